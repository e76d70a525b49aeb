// NATS JetStream housekeeping for the events bench: is the server there, and removing a scratch
// stream. Shared by the rig (Souk's stream) and the raw JetStream ceiling (its own stream).
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

export async function deleteStream(natsUrl: string, stream: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, timeout: 3000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

export async function natsReachable(natsUrl: string): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: natsUrl, timeout: 3000, reconnect: false });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.getAccountInfo();
    } finally {
      await nc.close();
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
