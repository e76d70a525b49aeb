// One relayed request, as the undici dispatch handler of its attempts. The upstream's status, raw header
// buffers and body chunks are written straight into the client's response: no Readable, no pipe, no
// promise per request (undici's `request()` built a body stream, a parsed header object and an async
// chain for every answer, which the profile showed as most of the gateway's own work). It uses undici's
// onConnect/onHeaders/onData/onComplete/onError interface: the newer controller interface is adapted onto
// it inside undici and parses the headers into an object on every response, which the relay never reads.
// An idempotent request without a body that fails before anything was sent moves on to another upstream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Decision } from './decide.ts';
import { STICKY_COOKIE } from './decide.ts';
import { answerHeaders, upstreamHeaders } from './headers.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Tracks, Upstream } from './pools.ts';

const STICKY_MAX_AGE = 7 * 24 * 3600;

/** What every exchange of one proxy shares. */
export interface RelayContext {
  tracks: Tracks;
  metrics: GatewayMetrics;
  fallbackTrack: string;
  upstreamTimeoutMs: number;
  /** The upstream to try next: the decided track first, then the fallback track. */
  next(decision: Decision, tried: ReadonlySet<Upstream>): { upstream: Upstream; track: string } | undefined;
}

/**
 * The answer is buffered in the response (Node corks the socket for the tick of the first write) up to
 * this before the upstream is paused: a read of a few tens of KB then goes out as one write without a
 * pause-and-drain turn, and a large download still waits for a slow client.
 */
const RELAY_BUFFER = 64 * 1024;

export const isConnectionError = (error: unknown) => {
  const code = (error as { code?: string }).code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(code);
};

export function problem(res: ServerResponse, status: number, title: string, detail: string, track?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (track) headers['x-souk-track'] = track;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

const stickyCookie = (value: string) => `${STICKY_COOKIE}=${value}; Path=/; Max-Age=${STICKY_MAX_AGE}; HttpOnly; SameSite=Lax`;

export class Exchange implements Dispatcher.DispatchHandler {
  private readonly tried = new Set<Upstream>();
  private attemptsLeft: number;
  private upstream: Upstream | undefined;
  private track = '';
  /** Cancels the attempt in flight (undici hands it over on connect). */
  private abort: ((error?: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  /** A 502/503/504 answer is being read to its end so the connection is kept, then the next upstream is tried. */
  private discarding = false;
  private closed = false;
  private lastError: unknown;
  /** The status and window of the answer counted in the metrics, recorded with its duration on close. */
  private status = 0;
  private windowId: number | undefined;
  private metricsTrack = '';

  constructor(
    private readonly context: RelayContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly ip: string,
    private readonly decision: Decision,
    private readonly withBody: boolean,
    attempts: number,
    private readonly startedAt: bigint,
  ) {
    this.attemptsLeft = attempts;
    res.once('close', this.onClientClose);
  }

  /** Sends the request to the next upstream, or answers 503/502 when none is left. */
  attempt(): void {
    if (this.closed) return;
    const target = this.attemptsLeft > 0 ? this.context.next(this.decision, this.tried) : undefined;
    if (!target) return this.giveUp();
    this.attemptsLeft -= 1;
    const { upstream, track } = target;
    this.tried.add(upstream);
    this.upstream = upstream;
    this.track = track;
    upstream.inFlight += 1;
    upstream.pool.dispatch(
      {
        method: this.req.method ?? 'GET',
        path: this.req.url ?? '/',
        headers: upstreamHeaders(this.req, this.ip, track, false),
        body: this.withBody ? this.req : undefined,
        headersTimeout: this.context.upstreamTimeoutMs,
        bodyTimeout: this.context.upstreamTimeoutMs,
      },
      this,
    );
  }

  onConnect(abort: (error?: Error) => void): void {
    if (this.closed) abort(new Error('the client went away'));
    else this.abort = abort;
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    const { context, upstream, decision, track, res } = this;
    if (statusCode < 200) return true; // an interim answer: the final one follows
    const gatewayError = statusCode === 502 || statusCode === 503 || statusCode === 504;
    if (gatewayError) context.tracks.failed(upstream!, false);
    else upstream!.succeeded();
    if (gatewayError && this.attemptsLeft > 0 && context.next(decision, this.tried)) {
      this.discarding = true;
      return true;
    }
    const headers = answerHeaders(raw);
    headers.push('x-souk-track', track, 'x-souk-rule', decision.reason);
    if (track !== decision.track) headers.push('x-souk-track-fallback', decision.track);
    if (decision.setSticky && track === decision.track) headers.push('set-cookie', stickyCookie(decision.setSticky));
    res.writeHead(statusCode, headers);
    this.counted(track, statusCode);
    this.resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.discarding) return true;
    const res = this.res;
    if (res.write(chunk) || res.writableLength < RELAY_BUFFER) return true;
    res.once('drain', this.onDrain);
    return false;
  }

  onComplete(): void {
    this.settle();
    if (this.discarding) {
      this.discarding = false;
      // Not from inside undici's parser callback: the next attempt may be dispatched on this same connection.
      process.nextTick(() => this.attempt());
      return;
    }
    this.res.end();
  }

  onError(error: Error): void {
    this.settle();
    this.lastError = error;
    if (this.closed) return;
    if (isConnectionError(error)) this.context.tracks.failed(this.upstream!, true);
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    this.discarding = false;
    process.nextTick(() => this.attempt());
  }

  private settle(): void {
    this.abort = undefined;
    this.resume = undefined;
    this.upstream!.inFlight -= 1;
  }

  private counted(track: string, status: number): void {
    this.metricsTrack = track;
    this.status = status;
    this.windowId = this.context.metrics.answered(track, this.req.method ?? 'GET', status);
  }

  private giveUp(): void {
    const { decision, res, context } = this;
    if (this.closed) return;
    const failed = this.lastError !== undefined;
    this.counted(decision.track, failed ? 502 : 503);
    if (failed) problem(res, 502, 'Upstream failed', `The upstream did not answer (${(this.lastError as Error).message}).`, decision.track);
    else problem(res, 503, 'No upstream available', `Track "${decision.track}" and the fallback track "${context.fallbackTrack}" have no healthy upstream.`, decision.track);
  }

  private readonly onDrain = (): void => {
    this.resume?.();
  };

  /** The response is finished or the client went away: the duration is recorded, an unfinished attempt cancelled. */
  private readonly onClientClose = (): void => {
    this.closed = true;
    if (this.status !== 0) this.context.metrics.finished(this.metricsTrack, this.windowId, this.status, this.startedAt);
    if (!this.res.writableFinished) this.abort?.(new Error('the client went away before the answer was sent'));
  };
}
