// The delivery queue as the worker uses it: claim due deliveries (so no two workers send one at the
// same time), record an attempt's result, hand back a claim on shutdown, prune old ones.
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { isSealed } from '../../kernel/secret-box.ts';
import type { WebhookBody } from './deliveries.ts';

export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  body: WebhookBody;
  traceparent: string | null;
  /** This attempt's number (attempts so far, this one included). */
  attempt: number;
  /** Attempts since the last replay, this one included: what the retry budget counts. */
  attemptInRound: number;
  url: string;
  /** Secrets to sign with: the current one, then the previous one while its rotation grace lasts. */
  secrets: string[];
  /** Set when the stored (sealed) secrets could not be opened: the attempt fails with this, nothing is sent. */
  secretError?: string;
}

interface ClaimRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: WebhookBody;
  traceparent: string | null;
  attempts: number;
  attempts_at_replay: number;
  url: string;
  secret: string;
  previous_secret: string | null;
}

export interface ClaimOptions {
  limit: number;
  /** How long the claim holds: longer than the attempt's timeout, so only a crashed worker's claim expires. */
  lockMs: number;
  /** Endpoints that already have attempts in flight here, with how many more they may take. */
  endpointRoom: ReadonlyMap<string, number>;
  /** How many an endpoint with nothing in flight may take. */
  perEndpoint: number;
  /** Opens a stored secret (ctx.secrets.open). */
  open: (sealed: string) => string;
}

/**
 * The endpoint's secrets in plaintext, or why they cannot be had (a key missing or a value altered).
 * A value still in plaintext was written by an older version (a node not yet upgraded during a rolling
 * upgrade): it signs as it is, and the next start or `souk secrets rotate` seals it.
 */
function openSecrets(open: ClaimOptions['open'], stored: string[]): Pick<ClaimedDelivery, 'secrets' | 'secretError'> {
  try {
    return { secrets: stored.map((value) => (isSealed(value) ? open(value) : value)) };
  } catch (error) {
    return { secrets: [], secretError: `the endpoint's signing secret cannot be opened: ${(error as Error).message}` };
  }
}

/**
 * Claims up to `limit` due deliveries of active endpoints, at most the endpoint's room each, oldest
 * first. Rows another worker holds are skipped (skip locked), and the claim counts the attempt, so a
 * worker that dies mid-send still uses up one attempt rather than retrying forever.
 */
export async function claimDue(pdb: PlatformDb, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  const busy = [...options.endpointRoom.entries()];
  const rows = await pdb.query<ClaimRow>(
    `with picked as materialized (
       select c.id from webhook_deliveries c
       where c.platform_id = $1
         and c.status in ('pending', 'failed') and c.next_attempt_at <= now()
         and (c.locked_until is null or c.locked_until <= now())
         and c.id in (
           select ranked.id from (
             select w.id, w.endpoint_id,
                    row_number() over (partition by w.endpoint_id order by w.next_attempt_at, w.id) as n
             from webhook_deliveries w
             join webhook_endpoints we on we.platform_id = $1 and we.id = w.endpoint_id and we.active
             where w.platform_id = $1 and w.status in ('pending', 'failed') and w.next_attempt_at <= now()
               and (w.locked_until is null or w.locked_until <= now())
           ) ranked
           where ranked.n <= coalesce(
             (select b.room from unnest($2::uuid[], $3::int[]) as b(endpoint_id, room) where b.endpoint_id = ranked.endpoint_id), $4)
         )
       order by c.next_attempt_at, c.id
       limit $5
       for update of c skip locked
     )
     update webhook_deliveries d
     set locked_until = now() + $6::int * interval '1 millisecond', attempts = d.attempts + 1
     from picked
     join webhook_endpoints e on e.platform_id = $1
     where d.platform_id = $1 and d.id = picked.id and e.id = d.endpoint_id
     returning d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.traceparent, d.attempts, d.attempts_at_replay,
       e.url, e.secret, case when e.previous_secret_expires_at > now() then e.previous_secret end as previous_secret`,
    [busy.map(([id]) => id), busy.map(([, room]) => room), options.perEndpoint, options.limit, options.lockMs],
  );
  return rows.map((r) => ({
    id: r.id,
    endpointId: r.endpoint_id,
    eventId: r.event_id,
    eventType: r.event_type,
    body: r.payload,
    traceparent: r.traceparent,
    attempt: r.attempts,
    attemptInRound: r.attempts - r.attempts_at_replay,
    url: r.url,
    ...openSecrets(options.open, r.previous_secret ? [r.secret, r.previous_secret] : [r.secret]),
  }));
}

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

/**
 * Logs the attempt and moves the delivery on: succeeded, failed with a retry at `retryInMs`, or dead when
 * `retryInMs` is null. Only the claim that made this attempt may move it (attempts still equal), so a
 * late result after an expired claim cannot overwrite a newer one.
 */
export async function recordAttempt(pdb: PlatformDb, claimed: ClaimedDelivery, result: AttemptResult, retryInMs: number | null): Promise<string> {
  const status = result.ok ? 'succeeded' : retryInMs === null ? 'dead' : 'failed';
  await pdb.transaction(async (tx) => {
    // Written through a select so a delivery deleted meanwhile (with its endpoint) just logs nothing.
    await tx.execute(
      `insert into webhook_attempts (platform_id, id, delivery_id, attempt, url, outcome, status_code, latency_ms, error, response_excerpt)
       select $1, $2, d.id, $4, $5, $6, $7, $8, $9, $10 from webhook_deliveries d where d.platform_id = $1 and d.id = $3`,
      [newId(), claimed.id, claimed.attempt, claimed.url, result.ok ? 'succeeded' : 'failed', result.statusCode, result.latencyMs, result.error, result.responseExcerpt],
    );
    await tx.execute(
      `update webhook_deliveries set
         status = $4,
         locked_until = null,
         next_attempt_at = case when $4 = 'failed' then now() + $5::int * interval '1 millisecond' else next_attempt_at end,
         delivered_at = case when $4 = 'succeeded' then now() else delivered_at end,
         last_status_code = $6, last_latency_ms = $7, last_error = $8, response_excerpt = $9
       where platform_id = $1 and id = $2 and attempts = $3`,
      [claimed.id, claimed.attempt, status, retryInMs ?? 0, result.statusCode, result.latencyMs, result.error, result.responseExcerpt],
    );
  });
  return status;
}

/** Gives a claim back without counting it (the worker is stopping and aborted the attempt). */
export async function releaseClaim(pdb: PlatformDb, claimed: ClaimedDelivery): Promise<void> {
  await pdb.execute(
    `update webhook_deliveries set locked_until = null, attempts = attempts - 1
     where platform_id = $1 and id = $2 and attempts = $3 and locked_until is not null`,
    [claimed.id, claimed.attempt],
  );
}

/** Deletes finished deliveries (and their attempts) older than the retention. Returns how many. */
export async function pruneFinished(pdb: PlatformDb, retentionDays: number): Promise<number> {
  const { rowCount } = await pdb.execute(
    `delete from webhook_deliveries
     where platform_id = $1 and status in ('succeeded', 'dead') and created_at < now() - make_interval(days => $2::int)`,
    [retentionDays],
  );
  return rowCount;
}
