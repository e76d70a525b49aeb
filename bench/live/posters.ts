// The load process that talks in the rooms: chat posters (customers' sockets), likers (guest sockets
// tapping) and the high-priority sender, at fixed rates spread round robin over the rooms, driven by the
// harness over IPC (bench/live/ipc.ts):
//   setup  opens the posting and liking sockets (several nodes: spread over them)
//   run    sends for `seconds` at the given total rates, with warm-up or measured marks (marks.ts), then
//          waits briefly for the last acknowledgements and answers what was sent and accepted
//   close  closes every socket
// High-priority messages go through Souk's host socket (GET /admin/…/live/rooms/:id/ws, one per room:
// `say` frames, acknowledged with `ack`, in the host lane that is never dropped or shed) or, on the bare
// server, as a `host` frame on the room's first poster socket.
import { WebSocket } from 'ws';
import { serveCommands } from './ipc.ts';
import { MARK, markedText } from './marks.ts';

export interface PosterRoom {
  /** The room's socket URL on each node; posters and likers take them in turn. */
  wsUrls: string[];
  headers: Record<string, string>;
  /** Souk: the room's host socket URL for host messages. Bare: absent (a `host` frame instead). */
  hostUrl?: string;
}

export interface PostersSetup {
  kind: 'setup';
  rooms: PosterRoom[];
  /** Customer session tokens for the chat posters (Souk); empty for the bare server. */
  tokens: string[];
  adminToken?: string;
  postersPerRoom: number;
  likersPerRoom: number;
}

export interface PostersRun {
  kind: 'run';
  seconds: number;
  chatPerSecond: number;
  likesPerSecond: number;
  highPerSecond: number;
  warm: boolean;
  /** How long a high-priority message may wait for its ack before it counts as failed. */
  highTimeoutMs: number;
}

export interface PostersResult {
  seconds: number;
  chatSent: number;
  chatAcked: number;
  chatRefused: Record<string, number>;
  highSent: number;
  highAccepted: number;
  /** Accepted per room (index as in setup). */
  chatAckedPerRoom: number[];
  highAcceptedPerRoom: number[];
  highFailed: string[];
  likesSent: number;
  /** Frames of the posting sockets that could not be sent (socket not open). */
  notOpen: number;
}

interface RoomSockets {
  room: PosterRoom;
  /** Souk: the host socket, and the acks it waits for by ref. */
  host?: WebSocket;
  acks: Map<string, () => void>;
  posters: WebSocket[];
  likers: WebSocket[];
}

const rooms: RoomSockets[] = [];
let adminToken: string | undefined;
let result: PostersResult = emptyResult();

function emptyResult(): PostersResult {
  return { seconds: 0, chatSent: 0, chatAcked: 0, chatRefused: {}, highSent: 0, highAccepted: 0, chatAckedPerRoom: rooms.map(() => 0), highAcceptedPerRoom: rooms.map(() => 0), highFailed: [], likesSent: 0, notOpen: 0 };
}

function onFrame(room: number, data: Buffer): void {
  const first = data[9];
  if (first === 0x61 /* a: ack */) {
    result.chatAcked += 1;
    result.chatAckedPerRoom[room] = (result.chatAckedPerRoom[room] ?? 0) + 1;
  } else if (first === 0x65 /* e: error */) {
    const code = (JSON.parse(data.toString('utf8')) as { code?: string }).code ?? 'unknown';
    result.chatRefused[code] = (result.chatRefused[code] ?? 0) + 1;
  }
}

function openSocket(room: number, url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 20_000 });
    let welcomed = false;
    socket.on('message', (data: Buffer) => {
      if (welcomed) return onFrame(room, data);
      welcomed = true;
      resolve(socket);
    });
    socket.on('error', reject);
    socket.on('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: HTTP ${response.statusCode}`)));
  });
}

/** The room's host socket (Souk), ready once it said so; an ack resolves the send waiting on its ref. */
function openHostSocket(url: string, acks: Map<string, () => void>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${adminToken}` }, perMessageDeflate: false, handshakeTimeout: 20_000 });
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as { type: string; ref?: string; code?: string; message?: string };
      if (frame.type === 'ready') resolve(socket);
      else if (frame.type === 'ack' && frame.ref !== undefined) acks.get(frame.ref)?.();
      else if (frame.type === 'error' && result.highFailed.length < 5) result.highFailed.push(`host socket: ${frame.code} ${frame.message ?? ''}`);
    });
    socket.on('error', reject);
    socket.on('unexpected-response', (_request, response) => reject(new Error(`host socket refused: HTTP ${response.statusCode}`)));
  });
}

async function setup(command: PostersSetup): Promise<{ sockets: number }> {
  adminToken = command.adminToken;
  let opened = 0;
  let turn = 0;
  for (const [r, room] of command.rooms.entries()) {
    const url = () => room.wsUrls[turn++ % room.wsUrls.length]!;
    const posters = await Promise.all(
      Array.from({ length: command.postersPerRoom }, (_, p) => {
        const token = command.tokens.length > 0 ? command.tokens[(r * command.postersPerRoom + p) % command.tokens.length] : undefined;
        return openSocket(r, url(), token ? { ...room.headers, authorization: `Bearer ${token}` } : room.headers);
      }),
    );
    const likers = await Promise.all(Array.from({ length: command.likersPerRoom }, () => openSocket(r, url(), room.headers)));
    const acks = new Map<string, () => void>();
    const host = room.hostUrl ? await openHostSocket(room.hostUrl, acks) : undefined;
    rooms.push({ room, posters, likers, acks, ...(host ? { host } : {}) });
    opened += posters.length + likers.length + (host ? 1 : 0);
  }
  return { sockets: opened };
}

function sendOn(socket: WebSocket | undefined, frame: unknown): boolean {
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    result.notOpen += 1;
    return false;
  }
  socket.send(JSON.stringify(frame));
  return true;
}

async function sendHigh(index: number, text: string, pending: Promise<void>[], highTimeoutMs: number): Promise<void> {
  const target = rooms[index]!;
  const accepted = () => {
    result.highAccepted += 1;
    result.highAcceptedPerRoom[index] = (result.highAcceptedPerRoom[index] ?? 0) + 1;
  };
  result.highSent += 1;
  if (!target.host) {
    if (sendOn(target.posters[0], { type: 'host', text })) accepted();
    return;
  }
  const ref = `h${result.highSent}`;
  const host = target.host;
  pending.push(
    // Bounded, so a saturated server cannot hold the run: an ack later than this counts as failed.
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        target.acks.delete(ref);
        if (result.highFailed.length < 5) result.highFailed.push(`no ack within ${highTimeoutMs} ms`);
        resolve();
      }, highTimeoutMs);
      target.acks.set(ref, () => {
        clearTimeout(timer);
        target.acks.delete(ref);
        accepted();
        resolve();
      });
      if (!sendOn(host, { type: 'say', text, ref })) {
        clearTimeout(timer);
        target.acks.delete(ref);
        resolve();
      }
    }),
  );
}

async function run(command: PostersRun): Promise<PostersResult> {
  result = emptyResult();
  const chatMark = command.warm ? MARK.warmChat : MARK.chat;
  const highMark = command.warm ? MARK.warmHigh : MARK.high;
  const pending: Promise<void>[] = [];
  const started = performance.now();
  let chat = 0;
  let likes = 0;
  let high = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = Math.min(command.seconds, (performance.now() - started) / 1000);
      for (const due = Math.floor(elapsed * command.chatPerSecond); chat < due; chat += 1) {
        const target = rooms[chat % rooms.length]!;
        const poster = target.posters[Math.floor(chat / rooms.length) % target.posters.length];
        if (sendOn(poster, { type: 'post', text: markedText(chatMark, `p${chat}`) })) result.chatSent += 1;
      }
      for (const due = Math.floor(elapsed * command.likesPerSecond); likes < due; likes += 1) {
        const target = rooms[likes % rooms.length]!;
        if (sendOn(target.likers[Math.floor(likes / rooms.length) % target.likers.length], { type: 'like', count: 1 })) result.likesSent += 1;
      }
      for (const due = Math.floor(elapsed * command.highPerSecond); high < due; high += 1) {
        void sendHigh(high % rooms.length, markedText(highMark, `h${high}`), pending, command.highTimeoutMs);
      }
      if (elapsed >= command.seconds) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 10);
  });
  result.seconds = (performance.now() - started) / 1000;
  await Promise.allSettled(pending);
  // Acknowledgements of the last posts are still on their way.
  const refused = () => Object.values(result.chatRefused).reduce((a, b) => a + b, 0);
  for (let i = 0; i < 40 && result.chatAcked + refused() < result.chatSent; i += 1) await new Promise((r) => setTimeout(r, 50));
  return result;
}

serveCommands(async (raw) => {
  const command = raw as { kind: string };
  switch (command.kind) {
    case 'setup':
      return setup(command as PostersSetup);
    case 'run':
      return run(command as PostersRun);
    case 'close':
      for (const room of rooms) for (const socket of [...room.posters, ...room.likers, ...(room.host ? [room.host] : [])]) socket.terminate();
      rooms.length = 0;
      return { ok: true };
    default:
      throw new Error(`unknown command ${JSON.stringify(command.kind)}`);
  }
});
