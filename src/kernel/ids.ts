// UUIDv7 ids: sortable by creation time (good B-tree locality, cursor pagination by id) and unguessable
// enough in their random tail. PostgreSQL 15 has no uuidv7(), so ids are made here for both databases.
import { randomBytes, randomFillSync, createHash } from 'node:crypto';

// Ids and trace ids are made on every request; one call into the CSPRNG per 4 KiB instead of one per id
// (the same trick crypto.randomUUID uses) took a measurable slice off the hot path. Secrets below still
// come straight from randomBytes.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `size` cryptographically random bytes from the pool, copied into `target` at `at`. */
export function fillRandom(target: Buffer, at: number, size: number): void {
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, at, poolOffset, poolOffset + size);
  poolOffset += size;
}

/** `size` random bytes as lower-case hex. */
export function randomHex(size: number): string {
  const bytes = Buffer.allocUnsafe(size);
  fillRandom(bytes, 0, size);
  return bytes.toString('hex');
}

let lastMs = 0;
let counter = 0;

export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    // Same millisecond: bump a counter in the rand_a bits so ids made in one process stay ordered.
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  fillRandom(bytes, 6, 10);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** A random secret token with a readable prefix, e.g. `sk_live_…`; only its hash is stored. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
