// A small HTTP client for setup calls (login, creating platforms, discovering products). It uses
// node:http rather than fetch because storefront requests choose their platform by the Host header,
// which fetch does not let a caller set.
import http from 'node:http';

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? 'GET', headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** An answer with a status other than the one expected. */
export class UnexpectedStatusError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

/** Like httpRequest, but expects `expectedStatus` and parses the JSON body; anything else throws with the body. */
export async function httpJson<T>(url: string, options: HttpRequestOptions & { expectedStatus?: number } = {}): Promise<T> {
  const response = await httpRequest(url, options);
  const expected = options.expectedStatus ?? 200;
  if (response.status !== expected) {
    const message = `${options.method ?? 'GET'} ${url} answered ${response.status}, expected ${expected}: ${response.text.slice(0, 500)}`;
    throw new UnexpectedStatusError(message, response.status, response.text);
  }
  return JSON.parse(response.text) as T;
}

/** Closes idle keep-alive sockets so the process can exit promptly. */
export function closeHttpAgent(): void {
  agent.destroy();
}
