// One live room's socket (/store/live/rooms/:id/ws, the platform from the Host like every /store call):
// the room's state as the frames build it, reconnecting by itself with a growing pause and resuming
// with `since` = the last message seen, so nothing said meanwhile is missed or shown twice. The page pings
// now and then; a socket that answers nothing for a while (a phone that changed networks leaves one
// half-open, with no close ever coming) is given up and replaced.
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { getToken } from './api.ts';

export interface LiveMessage {
  id: string;
  kind: 'chat' | 'host' | 'system';
  author: string;
  text: string;
  at: string;
  /** System messages: a key the page shows in its own language with params; text is the English. */
  key?: string;
  params?: Record<string, string | number>;
}

export interface ProductCard {
  productId: string;
  title: string;
  imageUrl: string | null;
  currency: string;
  price: number | null;
  inStock: boolean;
  available: number;
  variants: Array<{ id: string; title: string; price: number | null; compareAtPrice: number | null; available: number }>;
}

export interface Notice {
  key: string;
  kind: 'purchase' | 'gift' | 'moderation' | 'error';
  text: string;
  /** Purchase and gift notices: who, and what. */
  who?: string;
  what?: string;
  count?: number;
  /** Error notices: the frame's code (insufficient_coins, slow_mode…). */
  code?: string;
}

export interface RoomView {
  id: string;
  title: string;
  state: 'scheduled' | 'live' | 'ended';
  coverUrl: string | null;
}

export interface LiveState {
  connection: 'connecting' | 'open' | 'reconnecting' | 'closed';
  room: RoomView | null;
  messages: LiveMessage[];
  likes: number;
  viewers: number;
  card: ProductCard | null;
  notices: Notice[];
  signedIn: boolean;
  /** Set when the server closed for good (kicked, no such room). */
  closedCode: number | null;
  /** The coin balance the last gift left (the gift_ack frame), newer than any balance fetched before it. */
  coins: { balance: number; at: number } | null;
}

type Action = { type: 'frame'; frame: Record<string, unknown> } | { type: 'connection'; connection: LiveState['connection']; code?: number };

const MAX_MESSAGES = 200;
const MAX_NOTICES = 6;
let noticeCounter = 0;

function notice(state: LiveState, kind: Notice['kind'], text: string, extra: Partial<Notice> = {}): Notice[] {
  noticeCounter += 1;
  return [...state.notices, { key: `n${noticeCounter}`, kind, text, ...extra }].slice(-MAX_NOTICES);
}

function reduce(state: LiveState, action: Action): LiveState {
  if (action.type === 'connection') return { ...state, connection: action.connection, closedCode: action.code ?? state.closedCode };
  const f = action.frame;
  switch (f.type) {
    case 'welcome': {
      const counts = f.counts as { likes: number; viewers: number };
      const incoming = f.messages as LiveMessage[];
      // A resume brings only what came after; a fresh join (or a lost position) the latest messages.
      const messages = f.resumed ? [...state.messages, ...incoming] : incoming;
      return { ...state, connection: 'open', room: f.room as RoomView, likes: counts.likes, viewers: counts.viewers, messages: messages.slice(-MAX_MESSAGES), card: (f.card as ProductCard | null) ?? null };
    }
    case 'message': {
      const message = f.message as LiveMessage;
      if (state.messages.some((m) => m.id === message.id)) return state;
      return { ...state, messages: [...state.messages, message].slice(-MAX_MESSAGES) };
    }
    case 'deleted':
      return { ...state, messages: state.messages.filter((m) => m.id !== f.messageId) };
    case 'state':
      return state.room ? { ...state, room: { ...state.room, state: f.state as RoomView['state'] } } : state;
    case 'counts':
      return { ...state, likes: f.likes as number, viewers: f.viewers as number };
    case 'card':
      return { ...state, card: (f.card as ProductCard | null) ?? null };
    case 'purchase':
      return { ...state, notices: notice(state, 'purchase', String(f.text), { who: String(f.buyer), what: String(f.product) }) };
    case 'gift':
      return { ...state, notices: notice(state, 'gift', '', { who: String(f.from), what: String(f.name), count: Number(f.count) }) };
    case 'moderation':
      return { ...state, notices: notice(state, 'moderation', String(f.action)) };
    case 'auth':
      return { ...state, signedIn: true };
    case 'gift_ack':
      return { ...state, coins: { balance: Number(f.balance), at: Date.now() } };
    case 'error':
      return { ...state, notices: notice(state, 'error', String(f.message), { code: String(f.code) }) };
    default:
      return state;
  }
}

const initial: LiveState = { connection: 'connecting', room: null, messages: [], likes: 0, viewers: 0, card: null, notices: [], signedIn: false, closedCode: null, coins: null };

/** Close codes after which reconnecting cannot help: bad token, kicked or banned, no such room. */
const FINAL = new Set([4401, 4403, 4404]);
/** A ping every PING_MS; a socket that has said nothing for STALE_MS is taken to be dead. */
const PING_MS = 15_000;
const STALE_MS = 40_000;

export function useLiveRoom(roomId: string) {
  const [state, dispatch] = useReducer(reduce, initial);
  const socketRef = useRef<WebSocket | null>(null);
  const lastId = useRef<string | undefined>(undefined);
  lastId.current = state.messages.at(-1)?.id ?? lastId.current;

  useEffect(() => {
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let heard = Date.now();
    const retry = () => {
      dispatch({ type: 'connection', connection: 'reconnecting' });
      attempt += 1;
      // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so a room's viewers do not all come back at once.
      const pause = Math.min(15_000, 500 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
      clearTimeout(timer);
      timer = setTimeout(open, pause);
    };
    const open = () => {
      const since = lastId.current ? `?since=${encodeURIComponent(lastId.current)}` : '';
      const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/store/live/rooms/${encodeURIComponent(roomId)}/ws${since}`);
      socketRef.current = socket;
      heard = Date.now();
      socket.onopen = () => {
        attempt = 0;
        const token = getToken();
        if (token) socket.send(JSON.stringify({ type: 'auth', token }));
      };
      socket.onmessage = (event) => {
        heard = Date.now();
        if (typeof event.data === 'string') dispatch({ type: 'frame', frame: JSON.parse(event.data) as Record<string, unknown> });
      };
      socket.onclose = (event) => {
        if (stopped || socketRef.current !== socket) return;
        if (FINAL.has(event.code)) {
          dispatch({ type: 'connection', connection: 'closed', code: event.code });
          return;
        }
        retry();
      };
    };
    const heartbeat = setInterval(() => {
      const socket = socketRef.current;
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      if (Date.now() - heard > STALE_MS) {
        // No close will come on a half-open socket: let it go and open another.
        socketRef.current = null;
        socket.close();
        retry();
        return;
      }
      socket.send(JSON.stringify({ type: 'ping' }));
    }, PING_MS);
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(heartbeat);
      socketRef.current?.close(1000);
    };
  }, [roomId]);

  const send = useCallback((frame: Record<string, unknown>): boolean => {
    const socket = socketRef.current;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }, []);
  return { state, send };
}

/** The product of a card as a cart line needs it (first variant in stock). */
export function cardVariant(card: ProductCard): ProductCard['variants'][number] | undefined {
  return card.variants.find((v) => v.available > 0) ?? card.variants[0];
}

