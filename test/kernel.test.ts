// The kernel's promises: migrations are idempotent and refuse a newer database, the tenancy guard
// refuses unscoped queries, and the operational endpoints answer.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { eachDatabase, TEST_METRICS_TOKEN } from './harness.ts';
import { collectMigrations, migrate } from '../src/kernel/migrations.ts';
import { forPlatform, systemDatabase, TenancyGuardError } from '../src/kernel/db/scoped.ts';

eachDatabase('kernel', (env) => {
  it('migrations are recorded, safe to run twice, and refuse a database newer than the code', async () => {
    const db = env.souk.database;
    const migrations = collectMigrations(env.souk.modules);
    assert.deepEqual(await migrate(db, migrations), []);
    const rows = await db.query<{ id: string }>('select id from souk_migrations order by applied_at, id');
    assert.equal(rows.length, migrations.length);
    await db.query(`insert into souk_migrations (id, module, checksum) values ('zz/9999_from_the_future', 'zz', 'x')`);
    try {
      await assert.rejects(migrate(db, migrations), /newer release/);
    } finally {
      await db.query(`delete from souk_migrations where id = 'zz/9999_from_the_future'`);
    }
  });

  it('the tenancy guard refuses platform tables without a platform constraint', async () => {
    const db = env.souk.database;
    const system = systemDatabase(db);
    await assert.rejects(system.query('select * from customers'), TenancyGuardError);
    const scoped = forPlatform(db, '00000000-0000-7000-8000-000000000000');
    await assert.rejects(scoped.query('select * from customers where email = $2', ['x']), TenancyGuardError);
    await assert.rejects(
      scoped.query('select * from customers c join customer_sessions s on s.customer_id = c.id where c.platform_id = $1'),
      TenancyGuardError,
    );
    assert.deepEqual(await scoped.query('select * from customers where platform_id = $1'), []);
  });

  it('serves health, readiness, metrics without per-id labels, OpenAPI 3.1 and the reference page', async () => {
    assert.equal((await env.app.inject({ url: '/healthz' })).json().status, 'ok');
    const ready = await env.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().status, 'ready');
    await env.app.inject({ url: '/admin/platforms/00000000-0000-7000-8000-000000000000', headers: { authorization: `Bearer ${env.ownerToken}` } });
    const metrics = await env.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } });
    assert.match(metrics.body, /souk_http_requests_total\{method="GET",route="\/admin\/platforms\/:platform",status_class="4xx"\} 1/);
    assert.match(metrics.body, /souk_http_request_duration_seconds_bucket/);
    assert.match(metrics.body, /souk_process_resident_memory_bytes/);
    assert.doesNotMatch(metrics.body, /00000000-0000-7000/);
    const openapi = await env.app.inject({ url: '/openapi.json' });
    assert.equal(openapi.json().openapi, '3.1.0');
    assert.ok(Object.keys(openapi.json().paths).includes('/store/products'));
    const docs = await env.app.inject({ url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });

  it('answers unknown routes and malformed JSON with problem+json 4xx and echoes a request id', async () => {
    const missing = await env.app.inject({ url: '/nope', headers: { 'x-request-id': 'trace-me-1' } });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'route_not_found');
    assert.equal(missing.headers['x-request-id'], 'trace-me-1');
    const broken = await env.app.inject({
      method: 'POST',
      url: '/admin/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    assert.equal(broken.statusCode, 400);
    assert.match(String(broken.headers['content-type']), /application\/problem\+json/);
  });

  it('answers a request the HTTP parser refuses (raw UTF-8 in the URL) with a problem+json 400', async () => {
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = env.app.server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from('GET /store/products?q=连衣裙 HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8')));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /content-type: application\/problem\+json/i);
    assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).code, 'malformed_request');
  });
});
