// The node registry: which nodes beat, and which have lapsed (see nodes.ts for what a survivor does about
// one). Kept apart from nodes.ts so the runtime can build a registry without importing the recovery code,
// which needs the runtime (reconcile.ts) — no import loop.
import { newId } from '../../kernel/ids.ts';
import type { RedisClient } from '../../kernel/redis.ts';

export interface NodeRegistry {
  /** This node is alive for the next `ttlMs`. */
  beat(nodeId: string, ttlMs: number): Promise<void>;
  /** Registered nodes whose heartbeat has lapsed. */
  lapsed(): Promise<string[]>;
  /** The right to recover `nodeId` for `holdMs`; false when another survivor holds it. */
  claim(nodeId: string, by: string, holdMs: number): Promise<boolean>;
  /** Lets go of a claim without finishing (a failed recovery is retried on a later beat). */
  release(nodeId: string): Promise<void>;
  /** The node is recovered: off the registry. */
  forget(nodeId: string): Promise<void>;
  /** A clean stop: the heartbeat goes at once, so survivors look at this node's takes now, not in ttlMs. */
  leave(nodeId: string): Promise<void>;
}

export function redisNodeRegistry(redis: RedisClient, prefix: string): NodeRegistry {
  const registry = `${prefix}fs-nodes`;
  const heartbeat = (id: string) => `${prefix}fs-node:${id}`;
  const recovery = (id: string) => `${prefix}fs-node:${id}:recovery`;
  return {
    async beat(nodeId, ttlMs) {
      // Registered on every beat, so a Redis that restarted empty learns about the node again.
      await Promise.all([redis.set(heartbeat(nodeId), String(Date.now()), 'PX', ttlMs), redis.hset(registry, nodeId, String(Date.now()))]);
    },
    async lapsed() {
      const ids = await redis.hkeys(registry);
      const alive = await Promise.all(ids.map((id) => redis.exists(heartbeat(id))));
      return ids.filter((_, i) => alive[i] === 0);
    },
    async claim(nodeId, by, holdMs) {
      return (await redis.set(recovery(nodeId), by, 'PX', holdMs, 'NX')) === 'OK';
    },
    async release(nodeId) {
      await redis.del(recovery(nodeId));
    },
    async forget(nodeId) {
      await redis.hdel(registry, nodeId);
      await redis.del(recovery(nodeId));
    },
    async leave(nodeId) {
      await redis.del(heartbeat(nodeId));
    },
  };
}

export function memoryNodeRegistry(now: () => number = Date.now): NodeRegistry {
  const expires = new Map<string, number>();
  const claims = new Map<string, number>();
  return {
    async beat(nodeId, ttlMs) {
      expires.set(nodeId, now() + ttlMs);
    },
    async lapsed() {
      const t = now();
      return [...expires].filter(([, until]) => until <= t).map(([id]) => id);
    },
    async claim(nodeId, _by, holdMs) {
      const t = now();
      if ((claims.get(nodeId) ?? 0) > t) return false;
      claims.set(nodeId, t + holdMs);
      return true;
    },
    async release(nodeId) {
      claims.delete(nodeId);
    },
    async forget(nodeId) {
      expires.delete(nodeId);
      claims.delete(nodeId);
    },
    async leave(nodeId) {
      expires.set(nodeId, 0);
    },
  };
}

/** This node's id: random per process, so a restarted node is a new node and its predecessor is recovered. */
export const newNodeId = (): string => newId();
