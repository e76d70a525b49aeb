// The frame of every page: the shop's name or logo, search, cart with its count, account and language;
// a skip link for keyboard users; the page itself loads inside, with the frame already painted.
import { Suspense, useState, type FormEvent } from 'react';
import { Link, Outlet, useNavigate, useSearchParams } from 'react-router';
import { useShop, type Lang } from '../shop.tsx';
import { lineCount, useCart } from '../cart.ts';

function SearchBox() {
  const { t } = useShop();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [q, setQ] = useState(params.get('q') ?? '');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(`/search?q=${encodeURIComponent(q.trim())}`);
  };
  return (
    <form role="search" className="search-box" onSubmit={submit}>
      <label htmlFor="site-search" className="visually-hidden">
        {t('searchLabel')}
      </label>
      <input id="site-search" type="search" value={q} placeholder={t('searchPlaceholder')} onChange={(e) => setQ(e.target.value)} />
      <button type="submit">{t('search')}</button>
    </form>
  );
}

export function Layout() {
  const { t, theme, lang, setLang } = useShop();
  const cart = useCart();
  const count = lineCount(cart.data);
  return (
    <>
      <a className="skip-link" href="#main">
        {t('skipToContent')}
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          {theme.logoUrl ? <img src={theme.logoUrl} alt="" width="32" height="32" /> : null}
          <span>{theme.name}</span>
        </Link>
        {theme.pages.search ? <SearchBox /> : null}
        <nav aria-label={t('mainMenu')} className="header-nav">
          <Link to="/cart" aria-label={t('cartWithCount', { count })}>
            {t('cart')} <span className="badge">{count}</span>
          </Link>
          {theme.pages.flashSales ? <Link to="/flash-sales">{t('flashSales')}</Link> : null}
          {theme.pages.live ? <Link to="/live">{t('live')}</Link> : null}
          {theme.pages.account ? <Link to="/account">{t('account')}</Link> : null}
          <label className="lang">
            <span className="visually-hidden">{t('language')}</span>
            <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
              <option value="zh">中文</option>
              <option value="en">English</option>
            </select>
          </label>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">{t('loading')}</p>}>
          <Outlet />
        </Suspense>
      </main>
      <footer className="site-footer">
        <p>{theme.tagline || theme.name}</p>
      </footer>
    </>
  );
}

export function PageOff({ notFound = false }: { notFound?: boolean }) {
  const { t } = useShop();
  return (
    <section>
      <h1>{t(notFound ? 'notFound' : 'pageOff')}</h1>
      <Link to="/">{t('continueShopping')}</Link>
    </section>
  );
}
