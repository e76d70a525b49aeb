// The CLI's client for a running server's admin API (`--url`), for commands that must not open the
// database themselves (PGlite allows one process) or that act on the server's live state.
//
// One command logs in at most once: it uses SOUK_API_KEY, else the session `souk login` saved for this
// server, else logs in with SOUK_ADMIN_EMAIL/SOUK_ADMIN_PASSWORD and saves that session for the next
// commands. Logging in on every call used to hit the server's login limit (429) a few commands in.
import { credentialsFile, forgetSession, savedSession, saveSession } from './credentials.ts';

export function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The server to talk to: --url, else $SOUK_URL, else this machine's server on $PORT. */
export function serverUrl(args: string[]): string {
  return normalizeUrl(option(args, '--url') ?? defaultServerUrl());
}

export function defaultServerUrl(): string {
  return normalizeUrl(process.env.SOUK_URL || `http://localhost:${process.env.PORT || 3000}`);
}

function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

interface Credential {
  token: string;
  /** How the credential was found, for the command's first line. */
  source: string;
  /** A saved session can have been revoked on the server; then log in again once, if we can. */
  saved: boolean;
}

export async function loginWithPassword(url: string, email: string, password: string): Promise<{ token: string; expiresAt: string }> {
  const res = await fetch(`${url}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (!res.ok) throw new Error(`Login at ${url} failed: ${res.status} ${problemDetail(await res.text())}`);
  return (await res.json()) as { token: string; expiresAt: string };
}

function problemDetail(text: string): string {
  try {
    const problem = JSON.parse(text) as { detail?: string };
    return problem.detail ?? text;
  } catch {
    return text;
  }
}

export class ApiClient {
  private credential: Credential | undefined;
  private loggedIn = false;

  constructor(readonly url: string) {}

  /** The first line of a command's output (stderr): which server, as whom. */
  async announce(): Promise<void> {
    const credential = await this.resolve();
    console.error(`souk: server ${this.url} (${credential.source})`);
  }

  private async resolve(): Promise<Credential> {
    if (this.credential) return this.credential;
    if (process.env.SOUK_API_KEY) {
      this.credential = { token: process.env.SOUK_API_KEY, source: 'API key from SOUK_API_KEY', saved: false };
    } else {
      const session = savedSession(this.url);
      this.credential = session
        ? { token: session.token, source: `session of ${session.email} from ${credentialsFile()}`, saved: true }
        : await this.login();
    }
    return this.credential;
  }

  private async login(): Promise<Credential> {
    const email = process.env.SOUK_ADMIN_EMAIL;
    const password = process.env.SOUK_ADMIN_PASSWORD;
    if (!email || !password) {
      throw new Error(`Not logged in to ${this.url}: run \`souk login --url ${this.url}\`, or set SOUK_API_KEY (an owner key) or SOUK_ADMIN_EMAIL and SOUK_ADMIN_PASSWORD.`);
    }
    if (this.loggedIn) throw new Error(`The session for ${this.url} was refused right after logging in.`);
    this.loggedIn = true;
    const { token, expiresAt } = await loginWithPassword(this.url, email, password);
    saveSession(this.url, { token, email, expiresAt });
    return { token, source: `logged in as ${email}; session saved to ${credentialsFile()}`, saved: false };
  }

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.fetch(method, path, body === undefined ? undefined : { body: JSON.stringify(body), contentType: 'application/json' });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} failed (${res.status}): ${problemDetail(text)}`);
    return text ? JSON.parse(text) : undefined;
  }

  /**
   * The server's raw response (for uploads and streamed downloads); a body is sent as it is. A refused
   * saved session is replaced once, so a streamed body must be given as a function that opens it anew.
   */
  async fetch(method: string, path: string, body?: { body: string | Buffer | (() => ReadableStream<Uint8Array>); contentType: string }): Promise<Response> {
    const credential = await this.resolve();
    let res = await this.send(credential.token, method, path, body);
    if (res.status === 401 && credential.saved) {
      // The saved session expired or was revoked on the server: drop it and log in once more.
      forgetSession(this.url);
      this.credential = await this.login();
      res = await this.send(this.credential.token, method, path, body);
    }
    return res;
  }

  /** Throws with the problem's detail when the response is not a success. */
  static async ensureOk(res: Response, what: string): Promise<Response> {
    if (!res.ok) throw new Error(`${what} failed (${res.status}): ${problemDetail(await res.text())}`);
    return res;
  }

  private send(token: string, method: string, path: string, body?: { body: string | Buffer | (() => ReadableStream<Uint8Array>); contentType: string }): Promise<Response> {
    const payload = typeof body?.body === 'function' ? body.body() : body?.body;
    return fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': body.contentType } : {}) },
      body: payload,
      // A stream body is sent as it is read (Node's fetch needs to be told).
      ...(payload instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  }
}
