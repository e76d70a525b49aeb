// The Redis client for state several API nodes must share (flash-sale stock gate, rate limits). Optional:
// without REDIS_URL those run in-process. One client per process is enough: commands from concurrent
// requests are pipelined on its one connection, which is what the flash-sale rush needs.
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { tracingOn } from './otel.ts';
import { traceRedisCommands } from './redis-spans.ts';

export type RedisClient = Redis;

export interface OpenRedisOptions {
  /** Connection errors after the first connect (Redis restarting, network blips); ioredis reconnects by itself. */
  onError?: (error: Error) => void;
  connectTimeoutMs?: number;
}

/** The URL with any password hidden, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/**
 * A client for config.redisUrl that connects in the background (commands issued meanwhile wait in its
 * queue). For callers that cannot await at construction; prefer openRedis, which fails at start on a bad URL.
 */
export function createRedis(config: Pick<Config, 'redisUrl'>, options: OpenRedisOptions = {}): RedisClient {
  return makeClient(config, options, false);
}

/** Connects to config.redisUrl and resolves once the server answers, so a wrong URL fails at start, not mid-sale. */
export async function openRedis(config: Pick<Config, 'redisUrl'>, options: OpenRedisOptions = {}): Promise<RedisClient> {
  const client = makeClient(config, options, true);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`Cannot reach Redis at ${redactRedisUrl(config.redisUrl ?? '')}: ${(error as Error).message}`);
  }
  return client;
}

function makeClient(config: Pick<Config, 'redisUrl'>, options: OpenRedisOptions, lazyConnect: boolean): RedisClient {
  const url = config.redisUrl;
  if (!url) throw new Error('REDIS_URL is not set: there is no Redis to connect to.');
  const client = new Redis(url, {
    lazyConnect,
    // Commands issued in the same tick go out in one write: under a rush this multiplies throughput.
    enableAutoPipelining: true,
    // A hot-path call should fail fast while Redis is away rather than queue for ~20 retries.
    maxRetriesPerRequest: 2,
    connectTimeout: options.connectTimeoutMs ?? 5000,
  });
  // Without a listener ioredis prints every reconnect error; it reconnects by itself either way.
  client.on('error', (error: Error) => options.onError?.(error));
  if (tracingOn()) traceRedisCommands(client);
  return client;
}

/** Quits politely (pending replies arrive first); disconnects outright if Redis does not answer. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/**
 * Deletes every key under `prefix` (SCAN, so Redis is never blocked by KEYS), for an installation, test
 * run or benchmark that shares one Redis with others and must clean up after itself. Returns how many.
 */
export async function deleteKeysWithPrefix(client: RedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
