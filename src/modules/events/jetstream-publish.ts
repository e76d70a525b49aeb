// Publishing a relay batch to JetStream and waiting for every PubAck, with one reply subscription and one
// timer for the whole batch. The client's own js.publish is a request per message: a reply handler, a
// timer and two Error objects (their stacks captured) each, which was most of the relay's CPU per event.
// Here each message is a plain publish whose reply subject carries a token, and the PubAcks coming back
// on the one subscription settle the batch.
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export interface OutgoingMessage {
  subject: string;
  body: string;
  /** Carries Nats-Msg-Id, by which the stream drops a message sent again within its duplicate window. */
  headers: MsgHdrs;
}

export class JetStreamPublishFailed extends Error {}

/** Why a PubAck (or the server's status reply) refuses the message, or undefined when it was stored. */
function refusal(msg: Msg): Error | undefined {
  // No stream listens on the subject (503) and other status replies come as headers without a body.
  if (msg.headers?.hasError) return new JetStreamPublishFailed(`JetStream refused the publish: ${msg.headers.code} ${msg.headers.description}`);
  let ack: { stream?: string; error?: { description?: string; code?: number } };
  try {
    ack = msg.json();
  } catch {
    return new JetStreamPublishFailed('JetStream answered a publish with something that is not a PubAck');
  }
  if (ack.error) return new JetStreamPublishFailed(`JetStream refused the publish: ${ack.error.code ?? ''} ${ack.error.description ?? ''}`.trim());
  if (!ack.stream) return new JetStreamPublishFailed('JetStream answered a publish without a stream');
  return undefined;
}

export class BatchPublisher {
  private readonly prefix = createInbox();
  private subscription: Subscription | undefined;
  /** Messages waiting for their PubAck, by the token of their reply subject. */
  private readonly waiting = new Map<string, (error: Error | undefined) => void>();
  private counter = 0;

  constructor(private readonly nc: NatsConnection) {}

  /** The reply subscription, made once (the client re-subscribes it after a reconnect). */
  private replies(): void {
    if (this.subscription && !this.subscription.isClosed()) return;
    this.subscription = this.nc.subscribe(`${this.prefix}.*`, {
      callback: (error, msg) => {
        if (error) return;
        const token = msg.subject.slice(this.prefix.length + 1);
        const settle = this.waiting.get(token);
        if (!settle) return;
        this.waiting.delete(token);
        settle(refusal(msg));
      },
    });
  }

  /**
   * Publishes every message at once and resolves when each has its PubAck; rejects on the first refusal
   * or when some are still unacknowledged after `timeoutMs` (the caller keeps the batch and tries again).
   */
  async publishAll(messages: readonly OutgoingMessage[], timeoutMs: number): Promise<void> {
    if (messages.length === 0) return;
    this.replies();
    const tokens: string[] = [];
    let failed: ((error: Error) => void) | undefined;
    const refused = new Promise<never>((_, reject) => {
      failed = reject;
    });
    let left = messages.length;
    let allAcked!: () => void;
    const acked = new Promise<void>((resolve) => {
      allAcked = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      for (const message of messages) {
        const token = (this.counter++).toString(36);
        tokens.push(token);
        this.waiting.set(token, (error) => {
          if (error) failed?.(error);
          else if (--left === 0) allAcked();
        });
        // Throws when the connection is closed: the finally below forgets the tokens already handed out.
        this.nc.publish(message.subject, message.body, { reply: `${this.prefix}.${token}`, headers: message.headers });
      }
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new JetStreamPublishFailed(`JetStream did not acknowledge ${left} of ${messages.length} messages within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([acked, refused, timedOut]);
    } finally {
      clearTimeout(timer);
      for (const token of tokens) this.waiting.delete(token);
    }
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}
