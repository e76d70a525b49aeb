// The secret box and its key: round trip, tampering, wrong and previous keys, and where the key comes
// from (setting, embedded key file, refusal on PostgreSQL or in production).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox, SecretBoxError, isSealed } from './secret-box.ts';
import { SECRET_KEY_FILE, generateSecretKey, openSecretBox, parseSecretKey } from './secret-key.ts';

const key = () => randomBytes(32);

describe('secret box', () => {
  it('opens what it sealed, with a fresh IV each time and the key named in the value', () => {
    const box = new SecretBox(key());
    const a = box.seal('whsec_abc');
    const b = box.seal('whsec_abc');
    assert.notEqual(a, b);
    assert.ok(isSealed(a));
    assert.equal(a.split('.').length, 5);
    assert.equal(a.split('.')[1], box.currentKeyId);
    assert.ok(!a.includes('whsec_abc'));
    assert.equal(box.open(a), 'whsec_abc');
    assert.equal(box.open(box.seal('')), '');
    assert.equal(box.open(box.seal('ünïcödé ✓')), 'ünïcödé ✓');
  });

  it('refuses a value altered anywhere', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('a secret worth keeping');
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      const altered = parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.');
      assert.throws(() => box.open(altered), SecretBoxError);
    }
    assert.throws(() => box.open(parts.slice(0, 4).join('.')), SecretBoxError);
    assert.throws(() => box.open('whsec_plain'), SecretBoxError);
  });

  it('refuses a value sealed with another key, naming it', () => {
    const sealed = new SecretBox(key()).seal('x');
    assert.throws(() => new SecretBox(key()).open(sealed), /neither SOUK_SECRET_KEY .* nor SOUK_SECRET_KEY_PREVIOUS/);
  });

  it('opens with the previous key after a rotation, seals with the current one, and reseals', () => {
    const [oldKey, newKey] = [key(), key()];
    const before = new SecretBox(oldKey).seal('kept across the rotation');
    const after = new SecretBox(newKey, oldKey);
    assert.equal(after.keyOf(before), 'previous');
    assert.equal(after.open(before), 'kept across the rotation');
    const resealed = after.reseal(before);
    assert.equal(after.keyOf(resealed), 'current');
    assert.equal(new SecretBox(newKey).open(resealed), 'kept across the rotation');
    assert.equal(after.reseal(resealed), resealed);
    assert.equal(after.keyOf('whsec_plain'), 'plain');
    assert.equal(after.open(after.reseal('whsec_plain')), 'whsec_plain');
    assert.equal(after.keyOf(new SecretBox(key()).seal('x')), 'unknown');
  });
});

describe('secret key', () => {
  it('takes 32 bytes as hex, base64 or base64url and refuses anything weaker', () => {
    const bytes = key();
    for (const text of [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'), ` ${bytes.toString('hex')}\n`]) {
      assert.deepEqual(parseSecretKey(text, 'SOUK_SECRET_KEY'), bytes);
    }
    assert.equal(parseSecretKey(generateSecretKey(), 'K').length, 32);
    for (const weak of ['', 'secret', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), randomBytes(33).toString('hex'), '0'.repeat(64), 'ab'.repeat(32)]) {
      assert.throws(() => parseSecretKey(weak, 'SOUK_SECRET_KEY'), /SOUK_SECRET_KEY .*souk secrets generate-key/);
    }
  });

  it('embedded: generates secret.key (0600) on the first start and reads it back afterwards', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'souk-key-'));
    try {
      const settings = { secretKey: undefined, secretKeyPrevious: undefined, databaseUrl: undefined, dataDir, production: false };
      const first = openSecretBox(settings);
      assert.equal(first.source, 'generated key file');
      assert.equal(statSync(join(dataDir, SECRET_KEY_FILE)).mode & 0o777, 0o600);
      const second = openSecretBox(settings);
      assert.equal(second.source, 'key file');
      assert.equal(second.box.open(first.box.seal('same key')), 'same key');
      assert.equal(parseSecretKey(readFileSync(join(dataDir, SECRET_KEY_FILE), 'utf8'), 'file').length, 32);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start without a key on PostgreSQL or in production; the setting wins over the file', () => {
    const base = { secretKey: undefined, secretKeyPrevious: undefined, dataDir: '/nonexistent/souk', production: false };
    assert.throws(() => openSecretBox({ ...base, databaseUrl: 'postgres://x/y' }), /SOUK_SECRET_KEY is required when DATABASE_URL is set/);
    assert.throws(() => openSecretBox({ ...base, databaseUrl: undefined, production: true }), /SOUK_SECRET_KEY is required when NODE_ENV=production/);
    assert.equal(openSecretBox({ ...base, databaseUrl: 'postgres://x/y', secretKey: generateSecretKey() }).source, 'SOUK_SECRET_KEY');
    assert.equal(openSecretBox({ ...base, databaseUrl: undefined }, { inMemory: true }).source, 'in-memory');
    assert.throws(() => openSecretBox({ ...base, databaseUrl: undefined, secretKey: generateSecretKey(), secretKeyPrevious: 'short' }), /SOUK_SECRET_KEY_PREVIOUS must be/);
  });
});
