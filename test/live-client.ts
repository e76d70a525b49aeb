// A real WebSocket client for the live-room suites: connects to a listening Souk, keeps every frame it
// receives, and waits for frames by predicate.
import WebSocket from 'ws';
import { waitFor } from './wait.ts';

export interface LiveFrame {
  type: string;
  [key: string]: unknown;
}

export class LiveClient {
  readonly frames: LiveFrame[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as LiveFrame));
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  /** Opens a socket to the room (headers: host / publishable key, and optionally a customer's bearer token). */
  static connect(baseUrl: string, roomId: string, headers: Record<string, string>, query = ''): Promise<LiveClient> {
    return LiveClient.open(`${baseUrl}/store/live/rooms/${roomId}/ws${query}`, headers);
  }

  /** Opens a socket to any path of the server (the host socket lives under /admin). */
  static async open(url: string, headers: Record<string, string>): Promise<LiveClient> {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    const client = new LiveClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return client;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  ofType(type: string): LiveFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** The first frame (from `from` on) that matches, waiting for it. */
  async next(match: (frame: LiveFrame) => boolean, what: string, timeoutMs = 10_000, from = 0): Promise<LiveFrame> {
    return (await waitFor(what, () => this.frames.slice(from).find(match), timeoutMs, 5))!;
  }

  async welcome(): Promise<LiveFrame> {
    return this.next((f) => f.type === 'welcome', 'welcome');
  }

  /** Resolves when the server closed this socket. */
  async closedBy(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    return (await waitFor('socket close', () => this.closed, timeoutMs, 5))!;
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
  }
}

/** Chat texts of the message frames received, in order. */
export function chatTexts(client: LiveClient): string[] {
  return client.ofType('message').map((f) => (f.message as { text: string }).text);
}
