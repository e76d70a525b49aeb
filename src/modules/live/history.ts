// Room history in JetStream (with NATS): every room message and every deletion is appended to the
// stream <prefix>_live_history on the subject <prefix>.history.<platform>.<room>, kept for
// HISTORY_DAYS, so a room's chat outlives the node that carried it: a node loading a room merges the
// last minutes from the stream with the table, which covers the last chat batch a killed node never
// wrote, and the replay of a room that ended stays readable from the stream. Deletions are tombstones.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { RECENT_MESSAGES, type RoomMessage } from './hub/room-channel.ts';

const HISTORY_DAYS = 30;
/** How far back a loading node reads the stream (the table has everything older). */
export const HISTORY_WINDOW_MS = 10 * 60_000;
const TIMEOUT_MS = 5000;
const FETCH_BATCH = 1000;

export type HistoryEntry = { type: 'message'; message: RoomMessage } | { type: 'deleted'; messageId: string };

export interface RoomHistory {
  append(platformId: string, roomId: string, entry: HistoryEntry): void;
  /** Entries of the room since a time, oldest first. */
  since(platformId: string, roomId: string, fromMs: number): Promise<HistoryEntry[]>;
  /** Every entry the stream keeps of the room (at most `max`), oldest first: a replay after the room ended. */
  all(platformId: string, roomId: string, max: number): Promise<HistoryEntry[]>;
  stop(): Promise<void>;
}

interface Link {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export function jetStreamHistory(natsUrl: string, prefix: string, onError: (error: unknown) => void): RoomHistory {
  const stream = `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_live_history`;
  const subject = (platformId: string, roomId: string) => `${prefix}.history.${platformId}.${roomId}`;
  let link: Promise<Link> | undefined;
  const open = (): Promise<Link> => {
    link ??= (async () => {
      const nc = await connect({ servers: natsUrl.split(',').map((s) => s.trim()), name: 'souk-live-history', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      const jsm = await jetstreamManager(nc, { timeout: TIMEOUT_MS });
      const config = { subjects: [`${prefix}.history.>`], retention: RetentionPolicy.Limits, storage: StorageType.File, max_age: HISTORY_DAYS * 86_400 * 1e9, duplicate_window: 120 * 1e9 };
      await jsm.streams.info(stream).then(
        () => jsm.streams.update(stream, config),
        () => jsm.streams.add({ name: stream, ...config }),
      );
      return { nc, jsm, js: jetstream(nc, { timeout: TIMEOUT_MS }) };
    })();
    link.catch(() => {
      link = undefined;
    });
    return link;
  };
  /** The room's entries from where `from` says, oldest first, at most `max`, fetched in batches. */
  const read = async (platformId: string, roomId: string, from: { deliver_policy: DeliverPolicy; opt_start_time?: string }, max: number): Promise<HistoryEntry[]> => {
    const { js, jsm } = await open();
    const filter = subject(platformId, roomId);
    // Nothing on the subject: answer at once rather than wait out a fetch.
    const last = await jsm.streams.getMessage(stream, { last_by_subj: filter }).catch(() => null);
    if (!last) return [];
    const consumer = await js.consumers.get(stream, { filter_subjects: filter, ...from });
    let pending = Math.min((await consumer.info(true)).num_pending, max);
    const entries: HistoryEntry[] = [];
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, FETCH_BATCH), expires: TIMEOUT_MS });
      let got = 0;
      for await (const msg of batch) {
        entries.push(msg.json<HistoryEntry>());
        got += 1;
        if (msg.info.pending === 0) return entries;
      }
      if (got === 0) break;
      pending -= got;
    }
    return entries;
  };
  return {
    append(platformId, roomId, entry) {
      const msgID = entry.type === 'message' ? entry.message.id : `deleted-${entry.messageId}`;
      open()
        .then(({ js }) => js.publish(subject(platformId, roomId), JSON.stringify(entry), { msgID }))
        .catch(onError);
    },
    since(platformId, roomId, fromMs) {
      return read(platformId, roomId, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(fromMs).toISOString() }, RECENT_MESSAGES * 4);
    },
    all(platformId, roomId, max) {
      return read(platformId, roomId, { deliver_policy: DeliverPolicy.All }, max);
    },
    async stop() {
      const current = link;
      link = undefined;
      if (current) await (await current.catch(() => undefined))?.nc.drain().catch(onError);
    },
  };
}

/** The table's messages with the stream's: one list by id, deletions applied, the latest `keep` (RECENT_MESSAGES). */
export function mergeHistory(fromTable: RoomMessage[], fromStream: HistoryEntry[], keep = RECENT_MESSAGES): RoomMessage[] {
  const byId = new Map(fromTable.map((m) => [m.id, m]));
  const deleted = new Set<string>();
  for (const entry of fromStream) {
    if (entry.type === 'deleted') deleted.add(entry.messageId);
    else if (!byId.has(entry.message.id)) byId.set(entry.message.id, entry.message);
  }
  return [...byId.values()]
    .filter((m) => !deleted.has(m.id))
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .slice(-keep);
}
