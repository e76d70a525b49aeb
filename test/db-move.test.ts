// `souk db move --mode full-stop` as an operator runs it: a stopped embedded shop (an imported
// catalogue with Chinese text and customers, and a gateway's policy tables) moved to an empty PostgreSQL database, verified per table and
// platform; the target then serves the same shop and the old database refuses to start. Also refused:
// a target that is not empty, a PostgreSQL source another process is connected to, and a copy that does
// not match its source (the verification catches one changed row). PostgreSQL only (skipped without it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createTempPostgres, engines } from './harness.ts';
import { openPostgres } from '../src/kernel/db/postgres.ts';
import { openPglite } from '../src/kernel/db/pglite.ts';
import { listTables } from '../src/kernel/db/move/tables.ts';
import { compareDigests, digestTable } from '../src/kernel/db/move/verify.ts';
import { ensureGatewaySchema } from '../src/gateway/schema.ts';

const run = promisify(execFile);
const onPostgres = engines().includes('postgres');

describe('souk db move --mode full-stop', { skip: !onPostgres && 'needs DATABASE_URL' }, () => {
  let dir: string;
  const temps: { drop(): Promise<void> }[] = [];
  const env = () => ({ ...process.env, DATABASE_URL: '', SOUK_SECRET_KEY: '', SOUK_DATA_DIR: join(dir, 'data'), SOUK_CONFIG_DIR: join(dir, 'config'), SOUK_API_KEY: '', REDIS_URL: '', NATS_URL: '' });
  const souk = (args: string[], extra: Record<string, string> = {}) => run(process.execPath, ['bin/souk.js', ...args], { env: { ...env(), ...extra }, timeout: 300_000 });
  const failing = async (args: string[], extra: Record<string, string> = {}) => {
    try {
      await souk(args, extra);
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
    throw new Error(`souk ${args.join(' ')} succeeded`);
  };
  const temp = async () => {
    const t = await createTempPostgres();
    temps.push(t);
    return t;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'souk-db-move-'));
    // A shop: a platform with a catalogue and customers imported from the sample files.
    await souk(['migrate', '--yes']);
    await souk(['platform', 'apply', 'examples/migration-platform.yaml']);
    await souk(['import', 'examples/shopify-products.csv', '--platform', 'imported', '--format', 'shopify-products']);
    await souk(['import', 'examples/woocommerce-products.csv', '--platform', 'imported', '--format', 'woocommerce']);
    await souk(['import', 'examples/shopify-customers.csv', '--platform', 'imported', '--format', 'shopify-customers']);
    // A gateway shared this database: its policy tables (created at its start, not by migrations) move too.
    const db = await openPglite(join(dir, 'data'));
    try {
      await ensureGatewaySchema(db);
      await db.query(`insert into souk_gateway_policies (version, document, created_by) values (1, '{"rules": [], "default": {"stable": 100}}', 'test')`);
    } finally {
      await db.close();
    }
  });

  after(async () => {
    for (const t of temps) await t.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a target that is not empty, and changes nothing', async () => {
    const target = await temp();
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    await client.query('create table something (x int)');
    await client.end();
    const refused = await failing(['db', 'move', '--to', target.url, '--mode', 'full-stop']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /The target database is not empty/);
  });

  it('moves the embedded shop, verifies it per table and platform, and switches', async () => {
    const target = await temp();
    const moved = await souk(['db', 'move', '--to', target.url, '--mode', 'full-stop']);
    assert.match(moved.stdout, /Verification/);
    assert.doesNotMatch(moved.stdout, /DIFFERS/);
    assert.match(moved.stdout, /ok +catalog_products +imported/);
    assert.match(moved.stdout, /ok +souk_gateway_policies +\(all\) +1 rows/);
    assert.doesNotMatch(moved.stdout, /Not copied/);
    assert.match(moved.stdout, /Switched\. Start Souk with DATABASE_URL=/);
    assert.match(moved.stdout, /Also set SOUK_SECRET_KEY to the key in/);
    // The target serves the same catalogue (read with the same key the embedded shop sealed with).
    const key = readFileSync(join(dir, 'data', 'secret.key'), 'utf8').trim();
    const exported = await souk(['export', '--platform', 'imported', '--format', 'jsonl', '--kind', 'products'], { DATABASE_URL: target.url, SOUK_SECRET_KEY: key });
    const titles = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; title?: string }).filter((l) => l.kind === 'product').map((l) => l.title);
    assert.equal(titles.length, 7);
    assert.ok(titles.includes('真丝围巾') && titles.includes('青花瓷茶杯'));
    // Every table and platform of the source is in the target, row for row.
    const source = await openPglite(join(dir, 'data'));
    const copy = await openPostgres(target.url, 2);
    try {
      const tables = await listTables(source);
      const a = [];
      const b = [];
      for (const table of tables) {
        a.push(...(await digestTable(source, table)));
        b.push(...(await digestTable(copy, table)));
      }
      assert.deepEqual(compareDigests(a, b), []);
      assert.ok(a.some((d) => d.table === 'catalog_variants' && d.rows >= 15));
      // One changed row is a difference.
      await copy.query("update catalog_products set title = title || '!' where handle = 'silk-scarf'");
      const changed = [];
      for (const table of tables.filter((t) => t.name === 'catalog_products')) changed.push(...(await digestTable(copy, table)));
      assert.equal(compareDigests(a.filter((d) => d.table === 'catalog_products'), changed).length, 1);
    } finally {
      await copy.close();
      await source.close();
    }
    // The old database refuses to start, and says where the shop went.
    const old = await failing(['export', '--platform', 'imported', '--format', 'jsonl']);
    assert.match(old.stderr, /This database was moved to postgres:\/\/.* \(souk db move\)/);
  });

  it('refuses a PostgreSQL source another process is connected to, and leaves it writable', async () => {
    const source = await temp();
    const target = await temp();
    const client = new pg.Client({ connectionString: source.url });
    await client.connect();
    try {
      await client.query('create table shop_rows (x int)');
      const refused = await failing(['db', 'move', '--to', target.url, '--mode', 'full-stop'], { DATABASE_URL: source.url, SOUK_SECRET_KEY: 'a'.repeat(64) });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /other connection/);
      await client.query('insert into shop_rows values (1)');
    } finally {
      await client.end();
    }
  });
});
