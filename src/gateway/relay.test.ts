// The relay's own paths that the process-level gateway tests do not reach: a 503 read to its end and
// retried elsewhere for a GET but passed through for a POST, a client that leaves mid-answer (the upstream
// request is cancelled and nothing stays in flight), and the header lists of both legs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createGatewayMetrics } from './metrics.ts';
import { Tracks } from './pools.ts';
import { createProxy } from './proxy.ts';
import { answerHeaders, upstreamHeaders } from './headers.ts';

const listen = async (server: http.Server) => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe('relay', () => {
  const seen: { upstream: string; method: string }[] = [];
  let slowClosed: Promise<unknown> | undefined;
  const failing = http.createServer((req, res) => {
    seen.push({ upstream: 'failing', method: req.method! });
    req.resume();
    res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
  });
  const healthy = http.createServer((req, res) => {
    seen.push({ upstream: 'healthy', method: req.method! });
    if (req.url === '/slow') {
      // Half an answer, then nothing: the client leaves before the rest.
      slowClosed = once(req.socket, 'close');
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000));
      return;
    }
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive', 'x-souk-track': 'spoofed', 'x-version': 'h' }).end('ok');
  });
  let tracks: Tracks;
  let gateway: http.Server;
  let url = '';

  before(async () => {
    const [a, b] = [await listen(failing), await listen(healthy)];
    // Both in one track, the failing one first in the round robin; `solo` has only the failing one.
    tracks = new Tracks({ stable: [a, b], solo: [a] }, 60_000, 4);
    const proxy = createProxy({
      tracks,
      decide: () => (facts) => ({ track: facts.url.startsWith('/solo') ? 'solo' : 'stable', reason: 'test' }),
      fallbackTrack: 'stable',
      retries: 2,
      trustedProxies: [],
      upstreamTimeoutMs: 5_000,
      metrics: createGatewayMetrics(),
    });
    gateway = http.createServer((req, res) => proxy.handle(req, res));
    url = await listen(gateway);
  });

  after(async () => {
    gateway.closeAllConnections();
    await tracks.close();
    for (const server of [gateway, failing, healthy]) {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reads a 503 to its end and tries the next upstream for a GET, passing on only the answer that counts', async () => {
    seen.length = 0;
    const res = await fetch(`${url}/items`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    assert.deepEqual(seen, [{ upstream: 'failing', method: 'GET' }, { upstream: 'healthy', method: 'GET' }]);
    assert.equal(res.headers.get('x-souk-track'), 'stable');
    assert.equal(res.headers.get('x-souk-rule'), 'test');
    assert.equal(res.headers.get('x-version'), 'h');
  });

  it('never sends a POST twice: the 503 is the answer', async () => {
    seen.length = 0;
    const res = await fetch(`${url}/solo/orders`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'busy');
    assert.deepEqual(seen, [{ upstream: 'failing', method: 'POST' }]);
  });

  it('cancels the upstream request when the client leaves mid-answer, with nothing left in flight', async () => {
    // The round robin may start on the failing upstream: its 503 is retried on the healthy one.
    const req = http.get(`${url}/slow`);
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    assert.equal(res.statusCode, 200);
    await once(res, 'data');
    req.destroy();
    await slowClosed;
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(tracks.byName.get('stable')!.map((u) => u.inFlight), [0, 0]);
  });
});

describe('relay header lists', () => {
  it('drops hop-by-hop request headers, keeps the first Host, extends X-Forwarded-For and names the track', () => {
    const req = {
      rawHeaders: ['Host', 'shop.test', 'host', 'other.test', 'Connection', 'keep-alive', 'X-Forwarded-For', '203.0.113.1', 'x-forwarded-for', '198.51.100.2', 'X-Souk-Track', 'canary', 'Accept', 'a/b', 'Accept', 'c/d'],
      socket: {},
    } as unknown as http.IncomingMessage;
    assert.deepEqual(upstreamHeaders(req, '192.0.2.9', 'stable', false), [
      'host', 'shop.test',
      'accept', 'a/b',
      'accept', 'c/d',
      'x-forwarded-for', '203.0.113.1, 198.51.100.2, 192.0.2.9',
      'x-forwarded-proto', 'http',
      'x-forwarded-host', 'shop.test',
      'x-souk-track', 'stable',
    ]);
  });

  it('keeps Connection and Upgrade for an upgrade', () => {
    const req = { rawHeaders: ['Connection', 'Upgrade', 'Upgrade', 'websocket'], socket: {} } as unknown as http.IncomingMessage;
    assert.deepEqual(upstreamHeaders(req, '192.0.2.9', 'canary', true).slice(0, 4), ['connection', 'Upgrade', 'upgrade', 'websocket']);
  });

  it("drops hop-by-hop answer headers and the gateway's own, keeping repeated ones", () => {
    const raw = ['Content-Type', 'text/plain', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Souk-Rule', 'x'].map((s) => Buffer.from(s, 'latin1'));
    assert.deepEqual(answerHeaders(raw), ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  });
});
