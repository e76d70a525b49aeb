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

const HEX: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Takes `size` bytes from the pool and returns the offset of the first (no Buffer per call). */
function takeRandom(size: number): number {
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += size;
  return at;
}

function poolHex(at: number, size: number): string {
  let hex = '';
  for (let i = at; i < at + size; i += 1) hex += HEX[pool[i]!];
  return hex;
}

/** `size` random bytes as lower-case hex. */
export function randomHex(size: number): string {
  return poolHex(takeRandom(size), size);
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
  // 48-bit unix_ts_ms, version 7 + 12-bit counter (rand_a), variant 10 + 62 random bits (rand_b).
  // Built as text directly: this runs on every request (the request id).
  const high = Math.floor(ms / 0x100000000);
  const low = ms >>> 0;
  const at = takeRandom(8);
  return (
    HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + HEX[low >>> 24]! + HEX[(low >>> 16) & 0xff]! + '-' +
    HEX[(low >>> 8) & 0xff]! + HEX[low & 0xff]! + '-' + HEX[0x70 | (counter >>> 8)]! + HEX[counter & 0xff]! + '-' +
    HEX[0x80 | (pool[at]! & 0x3f)]! + HEX[pool[at + 1]!]! + '-' + poolHex(at + 2, 6)
  );
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
