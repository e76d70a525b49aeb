// The process-wide settings of modules (payments, webhooks, flash sales, live rooms), read from the environment with
// the rest of the kernel config, once, and handed to modules as ctx.config. Modules never read the
// environment themselves: one place parses and checks every setting (a bad value stops the start), and
// the README settings table documents them all (test/settings-docs.test.ts).
import path from 'node:path';
import { positiveIntEnv } from './env.ts';

export interface PaymentsEnvSettings {
  /** The sandbox's webhook signing secret; when unset one is generated and stored on first use. */
  sandboxSecret: string | undefined;
  /** How often pending refunds whose process died are picked up again (milliseconds). */
  refundSweepMs: number;
}

export interface WebhookEnvSettings {
  /** How long one POST may take, from connect to the last byte read (SOUK_WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Attempts before a delivery is marked dead (SOUK_WEBHOOK_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** First retry delay; each next one is retryFactor times longer, up to retryMaxMs. */
  retryInitialMs: number;
  retryMaxMs: number;
  retryFactor: number;
  /** POSTs in flight at once in this process (SOUK_WEBHOOK_CONCURRENCY). */
  concurrency: number;
  /** POSTs in flight at once to one endpoint from this process (SOUK_WEBHOOK_ENDPOINT_CONCURRENCY). */
  endpointConcurrency: number;
  /** How often every platform is checked for due deliveries another node may have queued (SOUK_WEBHOOK_POLL_MS). */
  pollMs: number;
  /** Let endpoints point at loopback and private networks (SOUK_WEBHOOK_ALLOW_PRIVATE, default off). */
  allowPrivateTargets: boolean;
  /** Finished deliveries (and their attempts) older than this are deleted (SOUK_WEBHOOK_RETENTION_DAYS). */
  retentionDays: number;
}

export interface FlashEnvSettings {
  /** Orders this node creates per second from won tickets (token bucket). */
  drainPerSecond: number;
  /** Purchases this node works on at once; beyond it answers 429 with Retry-After: 1. */
  maxInFlight: number;
  /** A node whose heartbeat is older than this is taken for dead; a survivor returns its in-flight takes. */
  nodeTimeoutMs: number;
}

export interface LiveEnvSettings {
  /** Frames of chat and high-priority messages one viewer may have queued before the oldest chat is dropped. */
  sendQueue: number;
  /** Bytes written to a viewer's socket and not yet sent (ws bufferedAmount) above which it counts as behind. */
  highWaterBytes: number;
  /** Rooms cross nodes through NATS core subjects (default when NATS_URL is set) or stay in this process. */
  fanout: 'nats' | 'local';
  /** First tokens of the room subjects: <prefix>.live.<platform>.<room> (SOUK_LIVE_SUBJECT_PREFIX). */
  subjectPrefix: string;
  /** Event-loop lag (ms) above which viewers' chat frames are refused unread (SOUK_LIVE_SHED_LAG_MS; 0: never). */
  shedLagMs: number;
}

export interface MediaEnvSettings {
  /** Public base URL of the media server's HTTP side: <base>/hls/<stream>.m3u8, <base>/recordings/<file> (SOUK_MEDIA_PLAYBACK_URL). */
  playbackBaseUrl: string;
  /** The RTMP application hosts push to, shown with a new stream key (SOUK_MEDIA_INGEST_URL). */
  ingestUrl: string;
  /** Where the media server writes HLS playlists and segments (SOUK_MEDIA_HLS_DIR). */
  hlsDir: string;
  /** Where the media server writes each session's recording; Souk adds the MP4 and poster beside it (SOUK_MEDIA_RECORDING_DIR). */
  recordingDir: string;
  /** The shared secret the media server's callbacks carry (?secret=); unset: every callback is refused (SOUK_MEDIA_CALLBACK_SECRET). */
  callbackSecret: string | undefined;
  /** Source addresses callbacks may come from (SOUK_MEDIA_CALLBACK_ALLOW, comma list; empty: any). */
  callbackAllow: string[];
  /** How long a stream may be gone before its room ends (SOUK_MEDIA_END_GRACE_SECONDS; 0: at once). */
  endGraceSeconds: number;
  /** Finished product videos on local disk (SOUK_MEDIA_VIDEO_DIR); uploads and transcodes work in <dir>.work beside it. */
  videoDir: string;
  /** The largest product video upload, in bytes (SOUK_MEDIA_VIDEO_MAX_MB). */
  videoMaxBytes: number;
  /** Finished product videos in an S3-compatible bucket instead of videoDir (SOUK_MEDIA_S3_*; unset: local disk). */
  s3: MediaS3Settings | undefined;
}

export interface MediaS3Settings {
  /** SOUK_MEDIA_S3_BUCKET: setting it turns the bucket storage on. */
  bucket: string;
  /** SOUK_MEDIA_S3_ENDPOINT: an S3-compatible server (MinIO, Ceph RGW, R2…), addressed path-style; unset: AWS S3. */
  endpoint: string | undefined;
  /** SOUK_MEDIA_S3_REGION (default us-east-1). */
  region: string;
  /** SOUK_MEDIA_S3_ACCESS_KEY_ID and SOUK_MEDIA_S3_SECRET_ACCESS_KEY; unset: the AWS SDK's own chain (AWS_* variables, instance roles). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Where viewers fetch the files (SOUK_MEDIA_S3_PUBLIC_URL: the bucket's public URL or a CDN in front of it). */
  publicUrl: string;
  /** Prepended to every object key (SOUK_MEDIA_S3_PREFIX), e.g. "videos/". */
  prefix: string;
}

export interface ModuleEnvSettings {
  payments: PaymentsEnvSettings;
  webhooks: WebhookEnvSettings;
  flashSales: FlashEnvSettings;
  live: LiveEnvSettings;
  media: MediaEnvSettings;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(raw.toLowerCase());
}

function paymentsSettings(env: NodeJS.ProcessEnv): PaymentsEnvSettings {
  const sweepName = 'SOUK_PAYMENTS_REFUND_SWEEP_MS';
  const raw = env[sweepName];
  const sweep = raw === undefined || raw === '' ? 5_000 : Number(raw);
  if (!Number.isSafeInteger(sweep) || sweep < 50) throw new Error(`${sweepName} must be an integer of at least 50, got "${raw}"`);
  const secret = env.SOUK_SANDBOX_WEBHOOK_SECRET;
  if (secret !== undefined && secret !== '' && secret.length < 16) throw new Error('SOUK_SANDBOX_WEBHOOK_SECRET must be at least 16 characters');
  return { sandboxSecret: secret || undefined, refundSweepMs: sweep };
}

function webhookSettings(env: NodeJS.ProcessEnv): WebhookEnvSettings {
  return {
    timeoutMs: positiveIntEnv(env, 'SOUK_WEBHOOK_TIMEOUT_MS', 10_000),
    maxAttempts: positiveIntEnv(env, 'SOUK_WEBHOOK_MAX_ATTEMPTS', 10),
    retryInitialMs: positiveIntEnv(env, 'SOUK_WEBHOOK_RETRY_INITIAL_MS', 10_000),
    retryMaxMs: positiveIntEnv(env, 'SOUK_WEBHOOK_RETRY_MAX_MS', 6 * 3600_000),
    // 10 s, 1 min, 6 min, 36 min, 3.6 h, then every 6 h: ten attempts span about a day.
    retryFactor: 6,
    concurrency: positiveIntEnv(env, 'SOUK_WEBHOOK_CONCURRENCY', 16),
    endpointConcurrency: positiveIntEnv(env, 'SOUK_WEBHOOK_ENDPOINT_CONCURRENCY', 4),
    pollMs: positiveIntEnv(env, 'SOUK_WEBHOOK_POLL_MS', 2_000),
    // Off by default: a platform admin must not make the server POST into its own network. Tests and the
    // demo, whose receivers listen on 127.0.0.1, opt in. Metadata addresses stay refused either way.
    allowPrivateTargets: flag(env, 'SOUK_WEBHOOK_ALLOW_PRIVATE', false),
    retentionDays: positiveIntEnv(env, 'SOUK_WEBHOOK_RETENTION_DAYS', 30),
  };
}

function flashSettings(env: NodeJS.ProcessEnv): FlashEnvSettings {
  return {
    drainPerSecond: positiveIntEnv(env, 'SOUK_FLASH_DRAIN_PER_SECOND', 200),
    maxInFlight: positiveIntEnv(env, 'SOUK_FLASH_MAX_IN_FLIGHT', 10_000),
    nodeTimeoutMs: positiveIntEnv(env, 'SOUK_FLASH_NODE_TIMEOUT_MS', 5000),
  };
}

function liveFanout(env: NodeJS.ProcessEnv): LiveEnvSettings['fanout'] {
  const raw = env.SOUK_LIVE_FANOUT;
  if (raw === undefined || raw === '') return env.NATS_URL ? 'nats' : 'local';
  if (raw !== 'nats' && raw !== 'local') throw new Error(`SOUK_LIVE_FANOUT must be nats or local, got "${raw}"`);
  if (raw === 'nats' && !env.NATS_URL) throw new Error('SOUK_LIVE_FANOUT=nats needs NATS_URL');
  return raw;
}

/** A whole number of at least 0 (0 switches the behaviour off), or fallback when unset or empty. */
function wholeEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number (0 or more), got "${raw}"`);
  return value;
}

function liveSettings(env: NodeJS.ProcessEnv): LiveEnvSettings {
  return {
    sendQueue: positiveIntEnv(env, 'SOUK_LIVE_SEND_QUEUE', 256),
    highWaterBytes: positiveIntEnv(env, 'SOUK_LIVE_HIGH_WATER_BYTES', 256 * 1024),
    fanout: liveFanout(env),
    subjectPrefix: env.SOUK_LIVE_SUBJECT_PREFIX || 'souk',
    shedLagMs: wholeEnv(env, 'SOUK_LIVE_SHED_LAG_MS', 100),
  };
}

function mediaSettings(env: NodeJS.ProcessEnv): MediaEnvSettings {
  const secret = env.SOUK_MEDIA_CALLBACK_SECRET;
  if (secret !== undefined && secret !== '' && !/^[A-Za-z0-9_-]{16,200}$/.test(secret)) {
    throw new Error('SOUK_MEDIA_CALLBACK_SECRET must be 16-200 characters of letters, digits, _ and - (it travels in the callback URL)');
  }
  const url = (name: string, fallback: string, schemes: string[]) => {
    const raw = (env[name] || fallback).replace(/\/+$/, '');
    if (!schemes.some((scheme) => raw.startsWith(`${scheme}://`))) throw new Error(`${name} must be an absolute ${schemes.join(' or ')} URL, got "${raw}"`);
    return raw;
  };
  const dataDir = env.SOUK_DATA_DIR || './data';
  return {
    playbackBaseUrl: url('SOUK_MEDIA_PLAYBACK_URL', 'http://127.0.0.1:8080', ['http', 'https']),
    ingestUrl: url('SOUK_MEDIA_INGEST_URL', 'rtmp://127.0.0.1:1935/live', ['rtmp', 'rtmps']),
    hlsDir: path.resolve(env.SOUK_MEDIA_HLS_DIR || `${dataDir}/media/hls`),
    recordingDir: path.resolve(env.SOUK_MEDIA_RECORDING_DIR || `${dataDir}/media/recordings`),
    callbackSecret: secret || undefined,
    callbackAllow: (env.SOUK_MEDIA_CALLBACK_ALLOW ?? '').split(',').map((a) => a.trim()).filter((a) => a !== ''),
    endGraceSeconds: wholeEnv(env, 'SOUK_MEDIA_END_GRACE_SECONDS', 30),
    videoDir: path.resolve(env.SOUK_MEDIA_VIDEO_DIR || `${dataDir}/media/videos`),
    videoMaxBytes: positiveIntEnv(env, 'SOUK_MEDIA_VIDEO_MAX_MB', 200) * 1024 * 1024,
    s3: mediaS3Settings(env, url),
  };
}

function mediaS3Settings(env: NodeJS.ProcessEnv, url: (name: string, fallback: string, schemes: string[]) => string): MediaS3Settings | undefined {
  const bucket = env.SOUK_MEDIA_S3_BUCKET;
  if (!bucket) return undefined;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`SOUK_MEDIA_S3_BUCKET must be a bucket name (3-63 lower-case letters, digits, . and -), got "${bucket}"`);
  const endpoint = env.SOUK_MEDIA_S3_ENDPOINT ? url('SOUK_MEDIA_S3_ENDPOINT', '', ['http', 'https']) : undefined;
  const region = env.SOUK_MEDIA_S3_REGION || 'us-east-1';
  const accessKeyId = env.SOUK_MEDIA_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.SOUK_MEDIA_S3_SECRET_ACCESS_KEY;
  if (!accessKeyId !== !secretAccessKey) throw new Error('SOUK_MEDIA_S3_ACCESS_KEY_ID and SOUK_MEDIA_S3_SECRET_ACCESS_KEY go together: set both or neither');
  const prefix = env.SOUK_MEDIA_S3_PREFIX ?? '';
  if (prefix !== '' && !/^[A-Za-z0-9._/-]{1,200}\/$/.test(prefix)) throw new Error(`SOUK_MEDIA_S3_PREFIX must be a key prefix ending in "/", e.g. "videos/", got "${prefix}"`);
  const fallbackPublicUrl = endpoint ? `${endpoint}/${bucket}` : `https://${bucket}.s3.${region}.amazonaws.com`;
  return {
    bucket,
    endpoint,
    region,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    publicUrl: url('SOUK_MEDIA_S3_PUBLIC_URL', fallbackPublicUrl, ['http', 'https']),
    prefix,
  };
}

/** Every module's process-wide settings from `env` (loadConfig passes process.env; tests their own). */
export function loadModuleSettings(env: NodeJS.ProcessEnv): ModuleEnvSettings {
  return { payments: paymentsSettings(env), webhooks: webhookSettings(env), flashSales: flashSettings(env), live: liveSettings(env), media: mediaSettings(env) };
}
