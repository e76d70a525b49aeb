// The CLI's client for a running server's admin API (`--url`), for commands that must not open the
// database themselves (PGlite allows one process) or that act on the server's live state.

export function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function apiToken(url: string): Promise<string> {
  if (process.env.SOUK_API_KEY) return process.env.SOUK_API_KEY;
  const email = process.env.SOUK_ADMIN_EMAIL;
  const password = process.env.SOUK_ADMIN_PASSWORD;
  if (!email || !password) throw new Error('With --url, set SOUK_API_KEY (an owner key) or SOUK_ADMIN_EMAIL and SOUK_ADMIN_PASSWORD.');
  const res = await fetch(`${url}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (!res.ok) throw new Error(`Login at ${url} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export async function viaApi(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = await apiToken(url);
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = (await res.json()) as { detail?: string };
  if (!res.ok) throw new Error(`${method} ${path} failed (${res.status}): ${payload.detail ?? JSON.stringify(payload)}`);
  return payload;
}

/** The server to talk to: --url, or this machine's server on PORT. */
export function serverUrl(args: string[]): string {
  return (option(args, '--url') ?? `http://localhost:${process.env.PORT || 3000}`).replace(/\/$/, '');
}
