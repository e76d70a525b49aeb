// A load process of viewers: thousands of real WebSocket connections (the `ws` client) to rooms of a
// Souk node or of the bare ws server, driven by the harness over IPC (bench/live/ipc.ts):
//   connect  opens `count` sockets, socket i to rooms[(offset + i) % rooms.length], at most `concurrency`
//            upgrades in flight, and waits for each one's first frame (the welcome)
//   start    counting begins (frames before it are not looked at)
//   mark     the load stopped: a snapshot of the frames so far (deliveries per second)
//   stop     counting ends (after the drain): every counter and the latency samples
//   close    closes every socket
// Every frame is counted by its type, read from one byte (marks.ts); message frames are looked into
// only far enough to read their mark. Latency (send time in the text → receipt) is sampled on every
// `probeEvery`-th viewer, so reading the numbers does not become the load; high-priority messages are
// counted on every viewer, since none may be lost anywhere.
import { WebSocket } from 'ws';
import { clock, FrameKind, frameKind, MARK, sentAt, textStart } from './marks.ts';
import { serveCommands } from './ipc.ts';

export interface ViewerTarget {
  url: string;
  headers: Record<string, string>;
}

export interface ConnectCommand {
  kind: 'connect';
  rooms: ViewerTarget[];
  count: number;
  offset: number;
  concurrency: number;
  probeEvery: number;
  timeoutMs: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  firstErrors: string[];
  seconds: number;
}

export interface FrameCounts {
  frames: number;
  bytes: number;
  messages: number;
  counts: number;
  missedFrames: number;
  /** Frames the server said were dropped (sum of the missed frames' counts). */
  missedReported: number;
  chat: number;
  high: number;
  seconds: number;
}

export interface StopCommand {
  kind: 'stop';
  /** Chat and high-priority messages the servers accepted, per room (index as in the connect command). */
  chatPerRoom: number[];
  highPerRoom: number[];
}

export interface StopResult extends FrameCounts {
  /** Connected viewers still open. */
  viewers: number;
  /** Chat messages accepted for a viewer's room and not received by it, summed over viewers. */
  chatMissing: number;
  /** High-priority messages accepted for a viewer's room and not received by it, summed over viewers (must be 0). */
  highMissing: number;
  /** Viewers that missed at least one high-priority message. */
  viewersMissingHigh: number;
  chatLatencyMs: number[];
  highLatencyMs: number[];
  /** Sockets closed by the server while counting. */
  closedWhileCounting: number;
}

const C = MARK.chat.charCodeAt(0);
const H = MARK.high.charCodeAt(0);

const sockets: WebSocket[] = [];
let probe: Uint8Array = new Uint8Array(0);
let highSeen: Int32Array = new Int32Array(0);
let chatSeen: Int32Array = new Int32Array(0);
/** Room index of each viewer. */
let roomOfViewer: Int32Array = new Int32Array(0);
let counting = false;
let startedAt = 0;
let closedWhileCounting = 0;
let counts: FrameCounts = emptyCounts();
let chatLatency: number[] = [];
let highLatency: number[] = [];

function emptyCounts(): FrameCounts {
  return { frames: 0, bytes: 0, messages: 0, counts: 0, missedFrames: 0, missedReported: 0, chat: 0, high: 0, seconds: 0 };
}

function onFrame(viewer: number, data: Buffer): void {
  if (!counting) return;
  counts.frames += 1;
  counts.bytes += data.length;
  switch (frameKind(data)) {
    case FrameKind.Message: {
      counts.messages += 1;
      const start = textStart(data);
      const mark = start < 0 ? 0 : data[start];
      if (mark === C) {
        counts.chat += 1;
        chatSeen[viewer] = (chatSeen[viewer] ?? 0) + 1;
        if (probe[viewer] === 1) chatLatency.push(clock() - sentAt(data, start));
      } else if (mark === H) {
        counts.high += 1;
        highSeen[viewer] = (highSeen[viewer] ?? 0) + 1;
        if (probe[viewer] === 1) highLatency.push(clock() - sentAt(data, start));
      }
      return;
    }
    case FrameKind.Missed:
      counts.missedFrames += 1;
      counts.missedReported += (JSON.parse(data.toString('utf8')) as { count: number }).count;
      return;
    case FrameKind.Counts:
      counts.counts += 1;
      return;
    default:
      return;
  }
}

function open(index: number, target: ViewerTarget, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target.url, { headers: target.headers, perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: timeoutMs });
    sockets[index] = socket;
    let welcomed = false;
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no welcome in time'));
    }, timeoutMs);
    socket.on('message', (data: Buffer) => {
      if (!welcomed) {
        welcomed = true;
        clearTimeout(timer);
        resolve();
        return;
      }
      onFrame(index, data);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      reject(new Error(`upgrade refused: HTTP ${response.statusCode}`));
      socket.terminate();
    });
    socket.on('close', () => {
      if (counting) closedWhileCounting += 1;
      if (!welcomed) {
        clearTimeout(timer);
        reject(new Error('closed before the welcome'));
      }
    });
  });
}

async function connect(command: ConnectCommand): Promise<ConnectResult> {
  const began = clock();
  probe = new Uint8Array(command.count);
  highSeen = new Int32Array(command.count);
  chatSeen = new Int32Array(command.count);
  roomOfViewer = new Int32Array(command.count);
  let nextIndex = 0;
  let connected = 0;
  let failed = 0;
  const firstErrors: string[] = [];
  const worker = async () => {
    while (nextIndex < command.count) {
      const index = nextIndex++;
      const global = command.offset + index;
      probe[index] = global % command.probeEvery === 0 ? 1 : 0;
      roomOfViewer[index] = global % command.rooms.length;
      try {
        await open(index, command.rooms[global % command.rooms.length]!, command.timeoutMs);
        connected += 1;
      } catch (error) {
        failed += 1;
        if (firstErrors.length < 5) firstErrors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, worker));
  return { connected, failed, firstErrors, seconds: (clock() - began) / 1000 };
}

function snapshot(): FrameCounts {
  return { ...counts, seconds: (clock() - startedAt) / 1000 };
}

function stop(command: StopCommand): StopResult {
  counting = false;
  const result = snapshot();
  let viewers = 0;
  let chatMissing = 0;
  let highMissing = 0;
  let viewersMissingHigh = 0;
  for (let i = 0; i < sockets.length; i += 1) {
    if (sockets[i]?.readyState !== WebSocket.OPEN) continue;
    viewers += 1;
    const room = roomOfViewer[i] ?? 0;
    chatMissing += Math.max(0, (command.chatPerRoom[room] ?? 0) - (chatSeen[i] ?? 0));
    const short = Math.max(0, (command.highPerRoom[room] ?? 0) - (highSeen[i] ?? 0));
    highMissing += short;
    if (short > 0) viewersMissingHigh += 1;
  }
  const round1 = (v: number) => Math.round(v * 10) / 10;
  return {
    ...result,
    viewers,
    chatMissing,
    highMissing,
    viewersMissingHigh,
    chatLatencyMs: chatLatency.map(round1),
    highLatencyMs: highLatency.map(round1),
    closedWhileCounting,
  };
}

async function closeAll(): Promise<{ closed: number }> {
  counting = false;
  const closed = sockets.filter(Boolean).length;
  for (const socket of sockets) socket?.terminate();
  sockets.length = 0;
  return { closed };
}

serveCommands(async (raw) => {
  const command = raw as { kind: string };
  switch (command.kind) {
    case 'connect':
      return connect(command as ConnectCommand);
    case 'start':
      counts = emptyCounts();
      chatLatency = [];
      highLatency = [];
      highSeen.fill(0);
      chatSeen.fill(0);
      closedWhileCounting = 0;
      startedAt = clock();
      counting = true;
      return { ok: true };
    case 'mark':
      return snapshot();
    case 'stop':
      return stop(command as StopCommand);
    case 'close':
      return closeAll();
    default:
      throw new Error(`unknown command ${JSON.stringify(command.kind)}`);
  }
});
