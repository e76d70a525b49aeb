// `souk import` and `souk export` as a user runs them: directly on an embedded database (platform from
// the example metadata, the sample file imported, again with nothing changed, a dry run, a wrong file
// refused with exit code 2, the export read back), and through a running server's API as an import job
// with a report file of the refused rows.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asBearer, createTestPlatform, loginAsNewOwner, startTestSouk, type StartedSouk } from './harness.ts';

const run = promisify(execFile);
let dir: string;
const souk = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['bin/souk.js', ...args], {
    env: { ...process.env, DATABASE_URL: '', SOUK_API_KEY: '', SOUK_ADMIN_EMAIL: '', SOUK_ADMIN_PASSWORD: '', SOUK_CONFIG_DIR: join(dir, 'config'), ...env },
    timeout: 120_000,
  });
/** The exit code and output of a command expected to fail. */
const failing = async (args: string[], env: Record<string, string> = {}) => {
  try {
    await souk(args, env);
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
  throw new Error(`souk ${args.join(' ')} succeeded`);
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'souk-migration-cli-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

it('imports the Shopify sample into an embedded database, then changes nothing, and exports it back', async () => {
  const env = { SOUK_DATA_DIR: join(dir, 'db') };
  await souk(['platform', 'apply', 'examples/migration-platform.yaml', '--yes'], env);
  const dry = await souk(['import', 'examples/shopify-products.csv', '--platform', 'imported', '--format', 'shopify-products', '--dry-run'], env);
  assert.match(dry.stdout, /Dry run \(nothing written\)/);
  assert.match(dry.stdout, /products: {3}4 created, 0 updated, 0 unchanged/);
  const report = join(dir, 'refused.csv');
  const first = await souk(['import', 'examples/shopify-products.csv', '--platform', 'imported', '--format', 'shopify-products', '--report', report], env);
  assert.match(first.stderr.split('\n')[0]!, /^souk: database embedded PGlite in /);
  assert.match(first.stdout, /products: {3}4 created, 0 updated, 0 unchanged/);
  assert.match(first.stdout, /variants: {3}9 created/);
  assert.match(first.stdout, /refused: {4}0/);
  assert.equal(readFileSync(report, 'utf8'), 'first_row,last_row,key,reason\n');
  const again = await souk(['import', 'examples/shopify-products.csv', '--platform', 'imported', '--format', 'shopify-products'], env);
  assert.match(again.stdout, /products: {3}0 created, 0 updated, 4 unchanged/);
  assert.match(again.stdout, /stock: {6}0 set, 9 already right/);

  const wrong = await failing(['import', 'examples/shopify-customers.csv', '--platform', 'imported', '--format', 'shopify-products'], env);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /lacks the columns "Handle", "Title".*Expected columns: Handle, Title, Body \(HTML\)/);
  const usage = await failing(['import', 'examples/shopify-products.csv', '--platform', 'imported', '--format', 'magento'], env);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--format must be one of shopify-products, shopify-customers, woocommerce, jsonl/);

  const out = join(dir, 'export.jsonl');
  await souk(['export', '--platform', 'imported', '--format', 'jsonl', '--out', out], env);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; handle?: string; title?: string });
  assert.deepEqual(lines.filter((l) => l.kind === 'product').map((l) => l.handle).sort(), ['ceramic-mug', 'classic-tee', 'longjing-tea', 'silk-scarf']);
  assert.ok(lines.some((l) => l.title === '真丝围巾'));
  const csv = await souk(['export', '--platform', 'imported', '--format', 'csv', '--kind', 'products'], env);
  assert.match(csv.stdout, /^\uFEFFHandle,Title,Body \(HTML\)/);
  assert.match(csv.stdout, /silk-scarf,真丝围巾/);
});

let server: StartedSouk;

it('uploads to a running server as an import job and writes the refused rows to the report', async () => {
  server = await startTestSouk('pglite');
  try {
    const url = await server.souk.app.listen({ port: 0, host: '127.0.0.1' });
    const owner = await loginAsNewOwner(server.souk);
    const key = await asBearer(server.souk.app, owner, { method: 'POST', url: '/admin/api-keys', payload: { label: 'cli', role: 'owner' } });
    await createTestPlatform({ engine: 'pglite', souk: server.souk, app: server.souk.app, ownerToken: owner }, { slug: 'cli-import', currency: 'CNY', currencies: ['CNY'], modules: ['catalog', 'inventory', 'migration'] });
    const file = join(dir, 'woo-broken.csv');
    const sample = readFileSync('examples/woocommerce-products.csv', 'utf8').split('\n');
    // Row 9: a grouped product, which Souk has no equivalent for.
    writeFileSync(file, [...sample.slice(0, 8), '108,grouped,WOO-SET,Gift set,1,,,,,,,,,,,,,,,,,,,,,,'].join('\n'));
    const report = join(dir, 'woo-refused.csv');
    const env = { SOUK_API_KEY: key.json().key };
    const res = await souk(['import', file, '--platform', 'cli-import', '--format', 'woocommerce', '--report', report, '--url', url], env);
    assert.match(res.stderr, /souk: import job [0-9a-f-]{36}/);
    assert.match(res.stdout, /products: {3}3 created/);
    assert.match(res.stdout, /refused: {4}1/);
    assert.match(res.stdout, /row 9 \(WOO-SET\): Type "grouped" is not imported/);
    assert.match(readFileSync(report, 'utf8'), /^first_row,last_row,key,reason\n9,9,WOO-SET,"Type ""grouped"" is not imported/);
    const wrong = await failing(['import', 'examples/shopify-products.csv', '--platform', 'cli-import', '--format', 'woocommerce', '--url', url], env);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /lacks the columns "SKU", "Name", "Regular price", "Parent"/);
    const exported = await souk(['export', '--platform', 'cli-import', '--format', 'csv', '--kind', 'products', '--url', url], env);
    assert.match(exported.stdout, /woo-shirt,Linen Shirt/);
  } finally {
    await server.close();
  }
});
