// The proxy itself: a request is given a track by the active policy, sent to an available upstream of that
// track (or of the fallback track when the chosen one has none), and streamed back with x-souk-track naming
// the track that answered (relay.ts). Only idempotent methods without a body are retried on another
// upstream; a POST is never sent twice. WebSocket upgrades are piped as raw bytes to the chosen upstream.
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import ipaddr from 'ipaddr.js';
import type { Decide, Decision, RequestFacts } from './decide.ts';
import { parseRange } from './policy.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Tracks, Upstream } from './pools.ts';
import { upstreamHeaders } from './headers.ts';
import { Exchange, isConnectionError, type RelayContext } from './relay.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export interface ProxyDeps {
  tracks: Tracks;
  decide: () => Decide;
  fallbackTrack: string;
  retries: number;
  trustedProxies: readonly string[];
  upstreamTimeoutMs: number;
  /** RED metrics per track (metrics.ts). */
  metrics: GatewayMetrics;
}

/** The client's address: the socket's, or (behind trusted proxies) the nearest untrusted X-Forwarded-For hop. */
export function clientAddress(req: IncomingMessage, trusted: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][]): string {
  const socketAddress = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  if (trusted.length === 0) return socketAddress;
  const isTrusted = (text: string) => {
    try {
      let a = ipaddr.parse(text);
      if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
      return trusted.some(([range, bits]) => range.kind() === a.kind() && a.match(range, bits));
    } catch {
      return false;
    }
  };
  if (!isTrusted(socketAddress)) return socketAddress;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(hops[i]!)) return hops[i]!;
  return hops[0] ?? socketAddress;
}

export function factsOf(req: IncomingMessage, ip: string): RequestFacts {
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, ip };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function createProxy(deps: ProxyDeps) {
  const trusted = deps.trustedProxies.map((r) => parseRange(r)!);

  /** The upstream to try next: the decided track first, then the fallback track. */
  const next = (decision: Decision, tried: ReadonlySet<Upstream>): { upstream: Upstream; track: string } | undefined => {
    const own = deps.tracks.pick(decision.track, tried);
    if (own) return { upstream: own, track: decision.track };
    const fallback = deps.tracks.pick(deps.fallbackTrack, tried);
    return fallback ? { upstream: fallback, track: deps.fallbackTrack } : undefined;
  };

  const context: RelayContext = { tracks: deps.tracks, metrics: deps.metrics, fallbackTrack: deps.fallbackTrack, upstreamTimeoutMs: deps.upstreamTimeoutMs, next };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = process.hrtime.bigint();
    const ip = clientAddress(req, trusted);
    const decision = deps.decide()(factsOf(req, ip));
    const body = hasBody(req);
    const attempts = IDEMPOTENT.has(req.method ?? 'GET') && !body ? 1 + deps.retries : 1;
    new Exchange(context, req, res, ip, decision, body, attempts, startedAt).attempt();
  }

  /** A WebSocket (or other) upgrade: the request line and headers are replayed to the upstream, then bytes flow both ways. */
  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const ip = clientAddress(req, trusted);
    const decision = deps.decide()(factsOf(req, ip));
    const tried = new Set<Upstream>();
    socket.on('error', () => socket.destroy());
    const attempt = (): void => {
      const target = next(decision, tried);
      if (!target) {
        socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      tried.add(target.upstream);
      const upstreamSocket = net.connect(target.upstream.port, target.upstream.host);
      let connected = false;
      upstreamSocket.once('connect', () => {
        connected = true;
        const headers = upstreamHeaders(req, ip, target.track, true);
        let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
        for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
        upstreamSocket.write(`${text}\r\n`);
        if (head.length > 0) upstreamSocket.write(head);
        upstreamSocket.pipe(socket);
        socket.pipe(upstreamSocket);
        deps.metrics.upgraded(target.track);
      });
      upstreamSocket.on('error', (error) => {
        if (!connected) {
          deps.tracks.failed(target.upstream, isConnectionError(error));
          attempt();
        } else {
          socket.destroy();
        }
      });
      upstreamSocket.on('close', () => {
        if (connected) socket.destroy();
      });
      socket.on('close', () => upstreamSocket.destroy());
    };
    attempt();
  }

  return { handle, upgrade };
}
