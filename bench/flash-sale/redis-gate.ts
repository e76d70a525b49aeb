// The Redis stock gate of the postgres engine: whether Redis answers, and the removal of the run's keys.
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../src/kernel/redis.ts';

export async function redisReachable(url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client.disconnect();
  }
}

export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await deleteKeysWithPrefix(client, prefix);
  } finally {
    client.disconnect();
  }
}
