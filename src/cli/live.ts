// `souk live watch <roomId>`: joins a live room as a viewer of a running server and prints what happens
// in it, one line per frame. With --token (a customer's session token) each line typed on stdin is
// posted to the chat, and a line of "+" sends a like. The platform is the one the server's Host answers
// for (--host overrides it) or the one of --key (a publishable key).
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { isUuid } from '../kernel/ids.ts';
import { option, serverUrl } from './api-client.ts';

export const liveUsage = (): string => `Usage:
  souk live watch <roomId> [--url URL] [--host HOST | --key PUBLISHABLE_KEY] [--token CUSTOMER_TOKEN] [--since MESSAGE_ID] [--json]
Prints the room's frames as they arrive (--json: the raw frames). With --token, lines typed on stdin are
posted as chat, and "+" sends a like. Stops when the room closes the socket or on Ctrl+C.`;

interface Frame {
  type: string;
  [key: string]: unknown;
}

interface ShownMessage {
  id: string;
  kind: string;
  author: string;
  text: string;
  at: string;
}

const line = (m: ShownMessage) => `${m.at.slice(11, 19)} ${m.kind === 'chat' ? '' : `[${m.kind}] `}${m.author}: ${m.text}`;

/** One frame as a person reads it; undefined for frames not worth a line. */
export function describeFrame(frame: Frame): string | undefined {
  switch (frame.type) {
    case 'welcome': {
      const room = frame.room as { title: string; state: string };
      const counts = frame.counts as { viewers: number; likes: number };
      const messages = (frame.messages as ShownMessage[]).map(line);
      return [`== ${room.title} (${room.state}), ${counts.viewers} watching, ${counts.likes} likes`, ...messages].join('\n');
    }
    case 'message':
      return line(frame.message as ShownMessage);
    case 'counts':
      return `-- ${String(frame.viewers)} watching, ${String(frame.likes)} likes`;
    case 'state':
      return `== the room is ${String(frame.state)}`;
    case 'deleted':
      return `-- message ${String(frame.messageId)} was deleted`;
    case 'missed':
      return `-- ${String(frame.count)} chat messages skipped (this connection fell behind)`;
    case 'error':
      return `!! ${String(frame.code)}: ${String(frame.message)}`;
    case 'moderation':
      return `!! a moderator: ${String(frame.action)}`;
    default:
      return undefined;
  }
}

async function watch(args: string[], roomId: string): Promise<number> {
  const base = serverUrl(args);
  const since = option(args, '--since');
  const headers: Record<string, string> = {};
  const host = option(args, '--host');
  const key = option(args, '--key');
  const token = option(args, '--token');
  if (host) headers.host = host;
  if (key) headers['x-publishable-key'] = key;
  if (token) headers.authorization = `Bearer ${token}`;
  const raw = args.includes('--json');
  const url = `${base.replace(/^http/, 'ws')}/store/live/rooms/${roomId}/ws${since ? `?since=${encodeURIComponent(since)}` : ''}`;
  console.error(`souk: watching room ${roomId} at ${base}${token ? ' as a customer' : ' as a guest'}`);
  const socket = new WebSocket(url, { headers });
  socket.on('message', (data) => {
    const text = data.toString();
    if (raw) return console.log(text);
    const shown = describeFrame(JSON.parse(text) as Frame);
    if (shown !== undefined) console.log(shown);
  });
  if (token) {
    const input = createInterface({ input: process.stdin });
    input.on('line', (typed) => {
      const text = typed.trim();
      if (!text || socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify(text === '+' ? { type: 'like' } : { type: 'post', text }));
    });
    socket.on('close', () => input.close());
  }
  return new Promise((resolve) => {
    socket.on('unexpected-response', (_request, response) => {
      console.error(`souk: the server refused the connection (${response.statusCode})`);
      resolve(1);
    });
    socket.on('error', (error) => {
      console.error(`souk: ${error.message}`);
      resolve(1);
    });
    socket.on('close', (code, reason) => {
      console.error(`souk: the room closed the connection (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
      resolve(code === 1000 || code === 1001 ? 0 : 1);
    });
  });
}

export async function liveCommand(args: string[]): Promise<number> {
  const [sub, roomId] = args;
  if (sub === 'help' || sub === '--help' || sub === undefined) {
    console.log(liveUsage());
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'watch' || !roomId || !isUuid(roomId)) {
    console.error(liveUsage());
    return 2;
  }
  return watch(args.slice(2), roomId);
}
