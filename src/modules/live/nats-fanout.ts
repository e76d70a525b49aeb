// Room effects across nodes through NATS core subjects, one per room: <prefix>.live.<platform>.<room>.
// Core NATS (no JetStream): the live stream is fire-and-forget like the sockets it feeds; what must
// survive is in the database (history, moderation, likes), which a node reads when it loads a room.
// Every node subscribes to the whole <prefix>.live.> and drops envelopes of rooms it does not serve.
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Fanout, RoomEnvelope } from './hub/fanout.ts';

const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function natsFanout(natsUrl: string, prefix: string, onError: (error: unknown) => void): Fanout {
  if (!SUBJECT_PREFIX.test(prefix)) throw new Error(`SOUK_LIVE_SUBJECT_PREFIX must be dot-separated NATS tokens, got "${prefix}"`);
  let nc: NatsConnection | undefined;
  let subscription: Subscription | undefined;
  const subject = (envelope: RoomEnvelope) => `${prefix}.live.${envelope.platformId}.${envelope.roomId}`;
  return {
    publish(envelope) {
      if (!nc || nc.isClosed()) return;
      try {
        nc.publish(subject(envelope), JSON.stringify(envelope));
      } catch (error) {
        onError(error);
      }
    },
    async start(onRemote) {
      nc = await connect({
        servers: natsUrl.split(',').map((s) => s.trim()),
        name: 'souk-live',
        // Ride out a server restart: viewers here keep their room, remote effects resume when it is back.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        pingInterval: 10_000,
      });
      subscription = nc.subscribe(`${prefix}.live.>`, {
        callback: (error, msg) => {
          if (error) return onError(error);
          try {
            onRemote(JSON.parse(msg.string()) as RoomEnvelope);
          } catch (parseError) {
            onError(parseError);
          }
        },
      });
    },
    async stop() {
      subscription?.unsubscribe();
      await nc?.drain().catch(onError);
      nc = undefined;
    },
  };
}
