// One request on a caller's own keep-alive agent, for the closed-loop virtual clients of the scenarios
// that drive Souk themselves (checkout customers, flash-sale shoppers): one function, so every scenario's
// client costs the same per request. Loopback only; the answer body is kept whole as text.
import http from 'node:http';

export interface Answer {
  status: number;
  body: string;
}

/** Sends `body` as JSON unless `headers` name another content-type; fails after 30 s. */
export function send(agent: http.Agent, port: number, method: string, urlPath: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: payload ? { ...headers, 'content-type': headers['content-type'] ?? 'application/json', 'content-length': String(payload.length) } : headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error(`${method} ${urlPath} timed out`)));
    request.on('error', reject);
    request.end(payload);
  });
}
