// The live benchmark's ceiling: a broadcast server written directly on `ws`, with nothing Souk does
// between a frame in and a frame out (no platform, no auth, no lanes, no send queue, no history, no
// database). It speaks the subset of Souk's room protocol the load uses, with frames of the same shape
// and size, so the same viewers and posters drive both:
//   connect to /store/live/rooms/<room>/ws  → { type: "welcome", room, counts, messages: [] }
//   { type: "post", text, ref? }            → { type: "ack", id, ref? } to the sender, the chat message to the room
//   { type: "host", text }                  → the host message to the room (Souk: the admin API)
//   { type: "like", count? }                taps; each room gets { type: "counts", likes, viewers } once a second when changed
// Each broadcast is serialised once and the same Buffer handed to every socket of the room.
// Run as a child process by the harness: PORT (required), HOST (default 127.0.0.1).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('bare-ws-server: set PORT to the port to listen on');
  process.exit(2);
}

interface Room {
  sockets: Set<WebSocket>;
  likes: number;
  told: { likes: number; viewers: number };
}

const rooms = new Map<string, Room>();
const ROOM_PATH = /^\/store\/live\/rooms\/([^/?]+)\/ws/;

function roomOf(id: string): Room {
  let room = rooms.get(id);
  if (!room) rooms.set(id, (room = { sockets: new Set(), likes: 0, told: { likes: -1, viewers: -1 } }));
  return room;
}

function broadcast(room: Room, value: unknown): void {
  const frame = Buffer.from(JSON.stringify(value));
  for (const socket of room.sockets) if (socket.readyState === 1) socket.send(frame, { binary: false });
}

function message(kind: 'chat' | 'host', author: string, text: string) {
  return { id: randomUUID(), kind, author, text, at: new Date().toISOString() };
}

// Plain HTTP answers 200 (the harness's readiness check); upgrades go to the broadcast server.
const server = http.createServer((_request, response) => response.end('ok'));
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 16 * 1024 });

wss.on('connection', (socket, request) => {
  const id = ROOM_PATH.exec(request.url ?? '')?.[1] ?? 'default';
  const room = roomOf(id);
  room.sockets.add(socket);
  socket.send(JSON.stringify({ type: 'welcome', room: { id, title: 'Bare room', state: 'live' }, counts: { likes: room.likes, viewers: room.sockets.size }, you: { customerId: null, name: null, canPost: true }, resumed: false, messages: [] }));
  socket.on('message', (data: Buffer) => {
    let frame: { type?: unknown; text?: unknown; ref?: unknown; count?: unknown };
    try {
      frame = JSON.parse(data.toString('utf8')) as typeof frame;
    } catch {
      return;
    }
    const text = typeof frame.text === 'string' ? frame.text : '';
    if (frame.type === 'post') {
      const chat = message('chat', 'B***', text);
      socket.send(JSON.stringify({ type: 'ack', id: chat.id, ...(typeof frame.ref === 'string' ? { ref: frame.ref } : {}) }));
      broadcast(room, { type: 'message', message: chat });
    } else if (frame.type === 'host') {
      broadcast(room, { type: 'message', message: message('host', 'Host', text) });
    } else if (frame.type === 'like') {
      room.likes += typeof frame.count === 'number' ? frame.count : 1;
    }
  });
  socket.on('close', () => room.sockets.delete(socket));
  socket.on('error', () => socket.terminate());
});

setInterval(() => {
  for (const room of rooms.values()) {
    const counts = { likes: room.likes, viewers: room.sockets.size };
    if (counts.likes === room.told.likes && counts.viewers === room.told.viewers) continue;
    room.told = counts;
    broadcast(room, { type: 'counts', ...counts });
  }
}, 1000).unref();

server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`bare ws broadcast server listening on ${port}`));

const stop = () => {
  for (const socket of wss.clients) socket.terminate();
  wss.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
