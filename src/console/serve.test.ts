// /console serving: the SPA fallback, year-long caching of hashed assets only, a 404 (not the app) for a
// missing asset, and a clear page instead of a crash when the console was never built.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerConsole } from './serve.ts';

describe('console static serving', () => {
  let dir: string;
  let built: FastifyInstance;
  let unbuilt: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'souk-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-abc123.js.br'), brotliCompressSync('console.log(1)'));
    built = Fastify();
    await registerConsole(built, `${dir}/`);
    unbuilt = Fastify();
    await registerConsole(unbuilt, join(dir, 'missing/'));
  });
  after(async () => {
    await built.close();
    await unbuilt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers index.html for any app route, never cached, with a content security policy', async () => {
    for (const url of ['/console/', '/console/p/shop/orders?status=paid', '/console/sign-in']) {
      const res = await built.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.body, /id="root"/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    }
    assert.equal((await built.inject({ url: '/console' })).statusCode, 302);
  });

  it('caches hashed assets for a year, sends the prepared brotli file, and answers 404 for a missing one', async () => {
    const asset = await built.inject({ url: '/console/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const compressed = await built.inject({ url: '/console/assets/index-abc123.js', headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(compressed.headers['content-encoding'], 'br');
    assert.equal(compressed.headers['cache-control'], 'public, max-age=31536000, immutable');
    const missing = await built.inject({ url: '/console/assets/index-old.js' });
    assert.equal(missing.statusCode, 404);
    assert.doesNotMatch(missing.body, /id="root"/);
  });

  it('says how to build the console when its build output is missing', async () => {
    const res = await unbuilt.inject({ url: '/console/p/shop/orders' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /console is not built/);
    assert.match(res.body, /npm run build/);
  });
});
