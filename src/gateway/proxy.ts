// The proxy itself: a request is given a track by the active policy, sent to an available upstream of that
// track (or of the fallback track when the chosen one has none), and streamed back with x-souk-track naming
// the track that answered. Only idempotent methods without a body are retried on another upstream; a POST
// is never sent twice. WebSocket upgrades are piped as raw bytes to the chosen upstream.
import net from 'node:net';
import type { IncomingMessage, ServerResponse, IncomingHttpHeaders } from 'node:http';
import { EventEmitter } from 'node:events';
import type { Duplex, Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';
import type { Decide, Decision, RequestFacts } from './decide.ts';
import { STICKY_COOKIE } from './decide.ts';
import { parseRange } from './policy.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Tracks, Upstream } from './pools.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const STICKY_MAX_AGE = 7 * 24 * 3600;

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
  const isTrusted = (text: string) => {
    try {
      let a = ipaddr.parse(text);
      if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
      return trusted.some(([range, bits]) => range.kind() === a.kind() && a.match(range, bits));
    } catch {
      return false;
    }
  };
  if (trusted.length === 0 || !isTrusted(socketAddress)) return socketAddress;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(hops[i]!)) return hops[i]!;
  return hops[0] ?? socketAddress;
}

export function factsOf(req: IncomingMessage, ip: string): RequestFacts {
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, ip };
}

/** The headers sent upstream: hop-by-hop ones dropped, X-Forwarded-* extended, the track named. */
function upstreamHeaders(req: IncomingMessage, ip: string, track: string, keepUpgrade: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers as IncomingHttpHeaders)) {
    if (value === undefined) continue;
    if (HOP_BY_HOP.has(name) && !(keepUpgrade && (name === 'connection' || name === 'upgrade'))) continue;
    out[name] = value;
  }
  const prior = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${ip}` : ip;
  out['x-forwarded-proto'] = (req.headers['x-forwarded-proto'] as string | undefined) ?? ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  if (req.headers.host && !req.headers['x-forwarded-host']) out['x-forwarded-host'] = req.headers.host;
  out['x-souk-track'] = track;
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function stickyCookie(value: string): string {
  return `${STICKY_COOKIE}=${value}; Path=/; Max-Age=${STICKY_MAX_AGE}; HttpOnly; SameSite=Lax`;
}

function problem(res: ServerResponse, status: number, title: string, detail: string, track?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (track) headers['x-souk-track'] = track;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

const isConnectionError = (error: unknown) => {
  const code = (error as { code?: string }).code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(code);
};

/**
 * The upstream's body to the client with back-pressure, settled when the answer is sent or either side
 * fails. Lighter than stream/promises' pipeline, which makes and aborts an AbortController (creating a
 * DOMException) for every response: a tenth of the gateway's CPU in a profile under load.
 */
function relay(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    body.once('error', (error) => {
      body.unpipe(res);
      reject(error);
    });
    res.once('finish', () => resolve());
    res.once('close', () => {
      if (res.writableFinished) return;
      body.destroy();
      reject(new Error('the client went away before the answer was sent'));
    });
    body.pipe(res);
  });
}

export function createProxy(deps: ProxyDeps) {
  const trusted = deps.trustedProxies.map((r) => parseRange(r)!);

  /** The upstream to try next: the decided track first, then the fallback track. */
  const next = (decision: Decision, tried: Set<Upstream>): { upstream: Upstream; track: string } | undefined => {
    const own = deps.tracks.pick(decision.track, tried);
    if (own) return { upstream: own, track: decision.track };
    const fallback = deps.tracks.pick(deps.fallbackTrack, tried);
    return fallback ? { upstream: fallback, track: deps.fallbackTrack } : undefined;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = process.hrtime.bigint();
    const ip = clientAddress(req, trusted);
    const decision = deps.decide()(factsOf(req, ip));
    const method = req.method ?? 'GET';
    const body = hasBody(req);
    const attempts = IDEMPOTENT.has(method) && !body ? 1 + deps.retries : 1;
    const tried = new Set<Upstream>();
    // undici takes an EventEmitter as the cancel signal: an AbortController (an EventTarget) per request
    // was a few per cent of the gateway's CPU.
    const cancel = new EventEmitter();
    let cancelled = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      cancelled = true;
      cancel.emit('abort');
    });
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const target = next(decision, tried);
      if (!target) break;
      tried.add(target.upstream);
      const { upstream, track } = target;
      upstream.inFlight += 1;
      try {
        const answer = await upstream.pool.request({
          method: method as 'GET',
          path: req.url ?? '/',
          headers: upstreamHeaders(req, ip, track, false),
          body: body ? req : undefined,
          signal: cancel,
          headersTimeout: deps.upstreamTimeoutMs,
          bodyTimeout: deps.upstreamTimeoutMs,
        });
        const gatewayError = answer.statusCode === 502 || answer.statusCode === 503 || answer.statusCode === 504;
        if (gatewayError) deps.tracks.failed(upstream, false);
        else upstream.succeeded();
        if (gatewayError && attempt + 1 < attempts && next(decision, new Set([...tried]))) {
          await answer.body.dump();
          continue;
        }
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
        }
        headers['x-souk-track'] = track;
        headers['x-souk-rule'] = decision.reason;
        if (track !== decision.track) headers['x-souk-track-fallback'] = decision.track;
        if (decision.setSticky && track === decision.track) {
          const prior = headers['set-cookie'];
          headers['set-cookie'] = [...(prior === undefined ? [] : Array.isArray(prior) ? prior : [prior]), stickyCookie(decision.setSticky)];
        }
        res.writeHead(answer.statusCode, headers);
        deps.metrics.observe(res, track, method, answer.statusCode, startedAt);
        await relay(answer.body, res);
        return;
      } catch (error) {
        lastError = error;
        if (cancelled) return;
        if (isConnectionError(error)) deps.tracks.failed(upstream, true);
        if (res.headersSent) {
          res.destroy();
          return;
        }
      } finally {
        upstream.inFlight -= 1;
      }
    }
    deps.metrics.observe(res, decision.track, method, lastError === undefined ? 503 : 502, startedAt);
    if (lastError === undefined) {
      problem(res, 503, 'No upstream available', `Track "${decision.track}" and the fallback track "${deps.fallbackTrack}" have no healthy upstream.`, decision.track);
    } else {
      problem(res, 502, 'Upstream failed', `The upstream did not answer (${(lastError as Error).message}).`, decision.track);
    }
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
        for (const [name, value] of Object.entries(headers)) {
          for (const v of Array.isArray(value) ? value : [value]) text += `${name}: ${v}\r\n`;
        }
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
