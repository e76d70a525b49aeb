// Deliveries as the rest of the module sees them: queued from events (fan-out) or by an admin (test,
// replay), listed and inspected with their attempt log. Sending them is the worker's job (worker.ts).
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId, isUuid } from '../../kernel/ids.ts';
import { childTraceparent, currentTrace } from '../../kernel/trace.ts';
import { endpointNotFound, iso } from './endpoints.ts';
import type { AttemptView, DeliveriesQuery, DeliveryDetail, DeliveryView } from './schemas.ts';
import { deliveryInFlight, deliveryNotFound, inactiveForReplay, inactiveForTest } from './problems.ts';
import { invalidCursor } from '../../kernel/http/problems.ts';
import { sqlParams } from '../../kernel/db/params.ts';
import { rowsToFetch, takePage } from '../../kernel/page.ts';

/** The JSON body every delivery POSTs; stored as is so a replay sends the same content. */
export interface WebhookBody {
  id: string;
  type: string;
  platformId: string;
  createdAt: string;
  data: unknown;
}

export interface EventToDeliver {
  id: string;
  type: string;
  platformId: string;
  payload: unknown;
  emittedAt: string;
  traceparent: string | null;
}

/**
 * Queues one delivery per active endpoint of the event's platform whose patterns match its type, in the
 * caller's transaction. An event seen twice queues nothing new (unique endpoint + event). Returns how
 * many deliveries were queued.
 */
export async function queueEventDeliveries(pdb: PlatformDb, event: EventToDeliver): Promise<number> {
  const endpoints = await pdb.query<{ id: string }>(
    `select id from webhook_endpoints
     where platform_id = $1 and active
       and ('*' = any(event_types) or $2 = any(event_types)
            or exists (select 1 from unnest(event_types) as p(pattern)
                       where p.pattern like '%.*' and starts_with($2, left(p.pattern, -1))))`,
    [event.type],
  );
  if (endpoints.length === 0) return 0;
  const body: WebhookBody = { id: event.id, type: event.type, platformId: event.platformId, createdAt: event.emittedAt, data: event.payload ?? null };
  const { rowCount } = await pdb.execute(
    `insert into webhook_deliveries (platform_id, id, endpoint_id, event_id, event_type, payload, traceparent)
     select $1, d.id, d.endpoint_id, $4, $5, $6::jsonb, $7
     from unnest($2::uuid[], $3::uuid[]) as d(id, endpoint_id)
     on conflict (platform_id, endpoint_id, event_id) do nothing`,
    [endpoints.map(() => newId()), endpoints.map((e) => e.id), event.id, event.type, JSON.stringify(body), event.traceparent],
  );
  return rowCount;
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  response_excerpt: string | null;
  created_at: string;
  delivered_at: string | null;
}

const DELIVERY_COLUMNS = `d.id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempts,
  case when d.status in ('pending', 'failed') then ${iso('d.next_attempt_at')} end as next_attempt_at,
  d.last_status_code, d.last_latency_ms, d.last_error, d.response_excerpt,
  ${iso('d.created_at')} as created_at, ${iso('d.delivered_at')} as delivered_at`;

function toView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatusCode: row.last_status_code,
    lastLatencyMs: row.last_latency_ms,
    lastError: row.last_error,
    responseExcerpt: row.response_excerpt,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}


async function deliveryView(pdb: PlatformDb, deliveryId: string): Promise<DeliveryView | undefined> {
  const row = await pdb.maybeOne<DeliveryRow>(`select ${DELIVERY_COLUMNS} from webhook_deliveries d where d.platform_id = $1 and d.id = $2`, [deliveryId]);
  return row && toView(row);
}

/** Queues a webhook.test delivery to one endpoint, outside the event stream. */
export async function queueTestDelivery(pdb: PlatformDb, endpointId: string): Promise<DeliveryView> {
  const endpoint = await pdb.maybeOne<{ active: boolean }>('select active from webhook_endpoints where platform_id = $1 and id = $2', [endpointId]);
  if (!endpoint) throw endpointNotFound(endpointId);
  if (!endpoint.active) throw inactiveForTest();
  const eventId = newId();
  const body: WebhookBody = {
    id: eventId,
    type: 'webhook.test',
    platformId: pdb.platformId,
    createdAt: new Date().toISOString(),
    data: { endpointId, message: 'A test delivery from Souk: answer with any 2xx status.' },
  };
  const id = newId();
  await pdb.execute(
    `insert into webhook_deliveries (platform_id, id, endpoint_id, event_id, event_type, payload, traceparent)
     values ($1, $2, $3, $4, 'webhook.test', $5::jsonb, $6)`,
    [id, endpointId, eventId, JSON.stringify(body), childTraceparent(currentTrace()?.traceparent)],
  );
  return (await deliveryView(pdb, id))!;
}

function encodeCursor(id: string): string {
  return Buffer.from(`d:${id}`).toString('base64url');
}

function decodeCursor(raw: string): string {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const id = text.startsWith('d:') ? text.slice(2) : '';
  if (!isUuid(id)) throw invalidCursor();
  return id;
}

/** Newest first, filtered by endpoint, status and event type; keyset pages by id (ids are time-ordered). */
export async function listDeliveries(pdb: PlatformDb, query: DeliveriesQuery): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 20;
  const { params, param } = sqlParams();
  const where = ['d.platform_id = $1'];
  if (query.endpointId) where.push(`d.endpoint_id = ${param(query.endpointId)}::uuid`);
  if (query.status) where.push(`d.status = ${param(query.status)}`);
  if (query.eventType) where.push(`d.event_type = ${param(query.eventType)}`);
  if (query.eventId) where.push(`d.event_id = ${param(query.eventId.toLowerCase())}::uuid`);
  if (query.cursor) where.push(`d.id < ${param(decodeCursor(query.cursor))}::uuid`);
  const rows = await pdb.query<DeliveryRow>(
    `select ${DELIVERY_COLUMNS} from webhook_deliveries d where ${where.join(' and ')} order by d.id desc limit ${param(rowsToFetch(limit))}`,
    params,
  );
  return takePage(rows, limit, toView, (last) => encodeCursor(last.id));
}

export async function getDelivery(pdb: PlatformDb, deliveryId: string): Promise<DeliveryDetail> {
  const row = await pdb.maybeOne<DeliveryRow & { payload: unknown }>(
    `select ${DELIVERY_COLUMNS}, d.payload from webhook_deliveries d where d.platform_id = $1 and d.id = $2`,
    [deliveryId],
  );
  if (!row) throw deliveryNotFound(deliveryId);
  const attempts = await pdb.query<{
    attempt: number;
    url: string;
    outcome: string;
    status_code: number | null;
    latency_ms: number;
    error: string | null;
    response_excerpt: string | null;
    attempted_at: string;
  }>(
    `select * from (
       select attempt, url, outcome, status_code, latency_ms, error, response_excerpt, ${iso('attempted_at')} as attempted_at
       from webhook_attempts where platform_id = $1 and delivery_id = $2 order by attempt desc, id desc limit 100
     ) latest order by attempt`,
    [deliveryId],
  );
  const attemptLog: AttemptView[] = attempts.map((a) => ({
    attempt: a.attempt,
    url: a.url,
    outcome: a.outcome,
    statusCode: a.status_code,
    latencyMs: a.latency_ms,
    error: a.error,
    responseExcerpt: a.response_excerpt,
    attemptedAt: a.attempted_at,
  }));
  return { ...toView(row), payload: row.payload, attemptLog };
}

/**
 * Replays a delivery: the same body goes out again as soon as a worker is free, with a fresh set of
 * retries. Earlier attempts stay in the log. Refused while an attempt is in flight or the endpoint is off.
 */
export async function redeliver(pdb: PlatformDb, deliveryId: string): Promise<DeliveryView> {
  await pdb.transaction(async (tx) => {
    const current = await tx.maybeOne<{ in_flight: boolean; active: boolean }>(
      `select coalesce(d.locked_until > now(), false) as in_flight, e.active
       from webhook_deliveries d
       join webhook_endpoints e on e.platform_id = $1 and e.id = d.endpoint_id
       where d.platform_id = $1 and d.id = $2
       for update of d`,
      [deliveryId],
    );
    if (!current) throw deliveryNotFound(deliveryId);
    if (current.in_flight) throw deliveryInFlight();
    if (!current.active) throw inactiveForReplay();
    await tx.execute(
      `update webhook_deliveries
       set status = 'pending', next_attempt_at = now(), attempts_at_replay = attempts, locked_until = null, delivered_at = null
       where platform_id = $1 and id = $2`,
      [deliveryId],
    );
  });
  return (await deliveryView(pdb, deliveryId))!;
}
