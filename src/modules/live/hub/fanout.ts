// How a room's effects reach the other nodes. In process (one node) there is nobody to tell; with NATS
// (nats-fanout.ts) every effect is published on the room's subject and applied by the nodes that serve
// the room.
import type { RoomEffect } from './effects.ts';

export interface RoomEnvelope {
  /** The node that made the effect (it applied it already and ignores its own echo). */
  origin: string;
  platformId: string;
  roomId: string;
  effect: RoomEffect;
  /** When the origin published it (ms since epoch), for the fan-out latency metric. */
  sentAt?: number;
}

export interface Fanout {
  publish(envelope: RoomEnvelope): void;
  /** Starts delivering other nodes' envelopes to onRemote. */
  start(onRemote: (envelope: RoomEnvelope) => void): Promise<void>;
  stop(): Promise<void>;
}

export const inProcessFanout: Fanout = {
  publish: () => {},
  start: async () => {},
  stop: async () => {},
};
