// The console's first API calls, started while its main bundle is still downloading and starting up (a
// cold load spends most of its time there): who is signed in, their platforms and, on the orders page
// with no filter, its first page. The app takes each answer once (src/boot.ts) and asks again itself for
// anything that failed or was not started here (or all of it, when the bundle happened to start first).
// Plain JavaScript copied as is (public/), loaded as a small async classic script from index.html, so the
// browser runs it as soon as it arrives, well before the bundle has been fetched and evaluated.
(() => {
  const token = sessionStorage.getItem('souk.console.token');
  if (!token) return;
  const get = (url) =>
    fetch(url, { headers: { authorization: `Bearer ${token}` } }).then(
      async (response) => ({ ok: response.ok, body: response.ok ? await response.json() : null }),
      () => ({ ok: false, body: null }),
    );
  const calls = { me: get('/admin/auth/me'), platforms: get('/admin/platforms') };
  const orders = /^\/console\/p\/([^/]+)\/orders\/?$/.exec(location.pathname);
  // Only the unfiltered first page: exactly what the orders page asks for with no URL parameters.
  if (orders && location.search === '') calls[`orders:${decodeURIComponent(orders[1])}`] = get(`/admin/platforms/${orders[1]}/orders?limit=50`);
  window.soukBoot = { token, calls };
})();
