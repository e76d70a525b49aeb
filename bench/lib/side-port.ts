// The loopback side port a benchmark's Souk server opens for work the harness cannot do over the public
// API (seeding thousands of customers, signing a provider's webhook): JSON in, JSON out, 500 with the
// error's message when the handler throws. The caller listens on 127.0.0.1 only.
import http from 'node:http';

export function jsonSidePort(handle: (input: unknown) => Promise<unknown>): http.Server {
  const answer = (response: http.ServerResponse, status: number, value: unknown) => {
    const out = JSON.stringify(value);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        try {
          answer(response, 200, await handle(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        } catch (error) {
          answer(response, 500, { error: error instanceof Error ? error.message : String(error) });
        }
      })();
    });
  });
  server.keepAliveTimeout = 60_000;
  return server;
}
