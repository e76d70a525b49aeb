// Graceful shutdown of a real `souk start` process (what a container runtime or Kubernetes does on a
// rollout): SIGTERM lets a request already in flight finish, refuses new connections, lets a burst of
// checkouts in flight complete with every accepted order's event in the log, and the process exits 0
// before SOUK_SHUTDOWN_TIMEOUT_MS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSoukProcess, type SoukProcess } from './souk-process.ts';
import pg from 'pg';
import { createTempPostgres } from './harness.ts';

const DEADLINE_MS = 30_000;

type Running = SoukProcess;

function startSouk(dataDir: string, databaseUrl = ''): Promise<Running> {
  return startSoukProcess([], { SOUK_DATA_DIR: dataDir, SOUK_SHUTDOWN_TIMEOUT_MS: String(DEADLINE_MS), DATABASE_URL: databaseUrl });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Sends a request's headers and half its body now; the other half when finish() is called. */
async function halfSentRequest(port: number, path: string, body: string): Promise<{ finish(): Promise<string> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let response = '';
  socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
  const ended = new Promise<string>((resolve) => socket.once('close', () => resolve(response)));
  const half = Math.floor(body.length / 2);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`);
  return {
    finish() {
      socket.write(body.slice(half));
      return ended;
    },
  };
}

describe('SIGTERM to souk start', { timeout: 400_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'souk-shutdown-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finishes the request in flight, refuses new connections and exits 0 before the deadline', async (t) => {
    const souk = await startSouk(join(dir, 'slow'));
    try {
      const login = await halfSentRequest(souk.port, '/admin/auth/login', JSON.stringify({ email: 'admin@souk.local', password: 'souk-demo-admin' }));
      // A request sent after it is answered, so the server has read the login's headers and routed it:
      // the login is in flight (not a request that arrives after SIGTERM, which gets a 503).
      assert.equal((await fetch(`http://127.0.0.1:${souk.port}/healthz`)).status, 200);
      await sleep(200);
      const signalledAt = Date.now();
      souk.child.kill('SIGTERM');
      // The listener closes at once; the request in flight keeps its connection.
      for (let i = 0; i < 50 && (await connects(souk.port)); i += 1) await sleep(100);
      assert.equal(await connects(souk.port), false, 'a new connection is still accepted after SIGTERM');
      assert.equal(souk.child.exitCode, null, 'the process left before its request in flight was answered');

      await sleep(1000); // a slow client: the server waits for the rest of the body
      const response = await login.finish();
      assert.match(response, /^HTTP\/1\.1 200 /, response);
      assert.match(response, /"token":"/);
      const { code, at } = await souk.exit;
      assert.equal(code, 0, souk.output());
      assert.ok(at - signalledAt < DEADLINE_MS, `exited ${at - signalledAt} ms after SIGTERM; the deadline is ${DEADLINE_MS} ms`);
      t.diagnostic(`exited ${at - signalledAt} ms after SIGTERM (the request in flight held it at least 1 s)`);
    } finally {
      souk.child.kill('SIGKILL');
    }
  });

  // On PostgreSQL, as in production: the embedded PGlite runs queries on the event loop, so while it works
  // the server accepts no connection, and connections still in the listen backlog at SIGTERM are reset
  // (never seen by Souk: the client may retry them). With PostgreSQL the loop accepts the whole burst.
  const postgres = process.env.DATABASE_URL || process.env.SOUK_REQUIRE_SERVICES === '1' ? undefined : 'needs PostgreSQL (DATABASE_URL)';
  describe('during a checkout burst', { skip: postgres }, () => {
    let souk: Running;
    let database: Awaited<ReturnType<typeof createTempPostgres>>;
    before(async () => {
      database = await createTempPostgres();
      souk = await startSouk(join(dir, 'burst'), database.url);
    });
    after(async () => {
      souk.child.kill('SIGKILL');
      await database.drop();
    });

    it('loses no order and no event: the checkouts in flight complete, each order with its order.created', async (t) => {
      const base = `http://127.0.0.1:${souk.port}`;
      const json = { 'content-type': 'application/json' };
      // One unit each of several products, so stock does not run out mid-burst.
      const products = (await (await fetch(`${base}/store/products?limit=8`)).json()) as { items: { variants: { id: string }[] }[] };
      const variants = products.items.map((item) => item.variants[0]!.id);
      const address = { firstName: 'Ada', lastName: 'Lovelace', line1: '12 Example Street', city: 'Berlin', postalCode: '10115', country: 'DE' };
      const carts: string[] = [];
      for (let i = 0; i < 16; i += 1) {
        const cart = (await (await fetch(`${base}/store/carts`, { method: 'POST', headers: json, body: JSON.stringify({ email: `burst${i}@example.com`, shippingAddress: address }) })).json()) as { id: string };
        const line = await fetch(`${base}/store/carts/${cart.id}/lines`, { method: 'POST', headers: json, body: JSON.stringify({ variantId: variants[i % variants.length], quantity: 1 }) });
        assert.equal(line.status, 200, await line.text());
        const shipping = await fetch(`${base}/store/carts/${cart.id}/shipping-method`, { method: 'PUT', headers: json, body: JSON.stringify({ methodId: 'standard' }) });
        assert.equal(shipping.status, 200, await shipping.text());
        carts.push(cart.id);
      }

      // All checkouts at once; SIGTERM as soon as the first is answered, while the others are in flight.
      const outcomes: (string | number)[] = [];
      let signalled = false;
      let answeredAfterSignal = 0;
      const checkout = async (cartId: string) => {
        try {
          const res = await fetch(`${base}/store/carts/${cartId}/checkout`, { method: 'POST', headers: { ...json, 'idempotency-key': `burst-${cartId}` }, body: '{}' });
          await res.arrayBuffer();
          outcomes.push(res.status);
          if (signalled && res.status === 201) answeredAfterSignal += 1;
        } catch (error) {
          outcomes.push(`refused(${(error as { cause?: { code?: string } }).cause?.code ?? 'error'})`);
        }
        if (!signalled) {
          signalled = true;
          souk.child.kill('SIGTERM');
        }
      };
      await Promise.all(carts.map(checkout));
      const { code } = await souk.exit;
      assert.equal(code, 0, souk.output());

      const accepted = outcomes.filter((o) => o === 201).length;
      t.diagnostic(`checkout outcomes in order of completion: ${outcomes.join(' ')}; ${answeredAfterSignal} orders placed after SIGTERM`);
      assert.ok(answeredAfterSignal > 0, `no checkout in flight at SIGTERM completed: ${outcomes.join(' ')}`);
      // 201 placed; 409 answered without an order (stock); 503 or refused: not taken, safe to retry.
      assert.ok(outcomes.every((o) => o === 201 || o === 409 || o === 503 || String(o).startsWith('refused')), `unexpected outcomes: ${outcomes.join(' ')}`);

      // The stopped server's database: one order per accepted checkout, and each order's event recorded.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const orders = await client.query<{ n: number }>(`select count(*)::int as n from orders where email like 'burst%'`);
        const events = await client.query<{ n: number }>(
          `select count(*)::int as n from (select type, key from event_outbox union all select type, key from event_log) e
            where e.type = 'order.created' and e.key in (select id::text from orders where email like 'burst%')`,
        );
        assert.equal(orders.rows[0]!.n, accepted, `outcomes: ${outcomes.join(' ')}`);
        assert.equal(events.rows[0]!.n, accepted);
      } finally {
        await client.end();
      }
    });
  });
});
