// Webhook endpoints of one platform: create, read, change, delete, rotate the signing secret.
import type { SecretsApi } from '../../kernel/context.ts';
import type { PlatformDb } from '../../kernel/db/scoped.ts';
import { newId } from '../../kernel/ids.ts';
import { newWebhookSecret } from './signature.ts';
import { checkEndpointUrl } from './target.ts';
import { MAX_ENDPOINTS_PER_PLATFORM, type EndpointInput, type EndpointPatch, type EndpointView } from './schemas.ts';
import { endpointNotFound, invalidEventType, tooManyEndpoints } from './problems.ts';

/** ISO-8601 UTC text of a timestamptz, the same on PostgreSQL and PGlite whatever the session zone. */
export const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const EXACT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const PREFIX_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*$/;

/** Event type patterns as the bus understands them; anything else is a 400 naming the bad one. */
export function checkEventTypes(patterns: readonly string[]): string[] {
  for (const pattern of patterns) {
    if (pattern === '*' || EXACT_TYPE.test(pattern) || PREFIX_TYPE.test(pattern)) continue;
    throw invalidEventType(pattern);
  }
  return [...patterns];
}

interface EndpointRow {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  active: boolean;
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

const ENDPOINT_COLUMNS = `id, url, description, event_types, active,
  case when previous_secret_expires_at > now() then ${iso('previous_secret_expires_at')} end as previous_secret_expires_at,
  ${iso('created_at')} as created_at, ${iso('updated_at')} as updated_at`;

function toView(row: EndpointRow): EndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    active: row.active,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export { endpointNotFound };

export async function listEndpoints(pdb: PlatformDb): Promise<EndpointView[]> {
  const rows = await pdb.query<EndpointRow>(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where platform_id = $1 order by id`);
  return rows.map(toView);
}

export async function getEndpoint(pdb: PlatformDb, endpointId: string): Promise<EndpointView> {
  const row = await pdb.maybeOne<EndpointRow>(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where platform_id = $1 and id = $2`, [endpointId]);
  if (!row) throw endpointNotFound(endpointId);
  return toView(row);
}

/** The secret is stored sealed (ctx.secrets) and answered in plaintext this once. */
export async function createEndpoint(
  pdb: PlatformDb,
  secrets: SecretsApi,
  input: EndpointInput,
  allowPrivateTargets: boolean,
): Promise<EndpointView & { secret: string }> {
  const url = checkEndpointUrl(input.url, allowPrivateTargets);
  const eventTypes = checkEventTypes(input.eventTypes);
  const secret = newWebhookSecret();
  const row = await pdb.transaction(async (tx) => {
    // Serialise creations per platform so the cap holds under concurrent requests.
    await tx.query(`select pg_advisory_xact_lock(hashtext('webhook_endpoints:' || $1::text))`);
    const [count] = await tx.query<{ n: number }>('select count(*)::int as n from webhook_endpoints where platform_id = $1');
    if ((count?.n ?? 0) >= MAX_ENDPOINTS_PER_PLATFORM) {
      throw tooManyEndpoints(MAX_ENDPOINTS_PER_PLATFORM);
    }
    return tx.maybeOne<EndpointRow>(
      `insert into webhook_endpoints (platform_id, id, url, description, event_types, secret, active)
       values ($1, $2, $3, $4, $5::text[], $6, $7)
       returning ${ENDPOINT_COLUMNS}`,
      [newId(), url, input.description ?? '', eventTypes, secrets.seal(secret), input.active ?? true],
    );
  });
  return { ...toView(row!), secret };
}

export async function updateEndpoint(
  pdb: PlatformDb,
  endpointId: string,
  patch: EndpointPatch,
  allowPrivateTargets: boolean,
): Promise<EndpointView> {
  const url = patch.url === undefined ? null : checkEndpointUrl(patch.url, allowPrivateTargets);
  const eventTypes = patch.eventTypes === undefined ? null : checkEventTypes(patch.eventTypes);
  const row = await pdb.maybeOne<EndpointRow>(
    `update webhook_endpoints set
       url = coalesce($3, url),
       description = coalesce($4, description),
       event_types = coalesce($5::text[], event_types),
       active = coalesce($6, active),
       updated_at = now()
     where platform_id = $1 and id = $2
     returning ${ENDPOINT_COLUMNS}`,
    [endpointId, url, patch.description ?? null, eventTypes, patch.active ?? null],
  );
  if (!row) throw endpointNotFound(endpointId);
  return toView(row);
}

/** Deletes the endpoint with its deliveries and their attempt log. */
export async function deleteEndpoint(pdb: PlatformDb, endpointId: string): Promise<void> {
  const { rowCount } = await pdb.execute('delete from webhook_endpoints where platform_id = $1 and id = $2', [endpointId]);
  if (rowCount === 0) throw endpointNotFound(endpointId);
}

/**
 * A new secret signs from now on; with graceSeconds > 0 the old one keeps signing alongside until then.
 * Both columns hold sealed values: the old one moves over as it is.
 */
export async function rotateSecret(
  pdb: PlatformDb,
  secrets: SecretsApi,
  endpointId: string,
  graceSeconds: number,
): Promise<{ secret: string; previousSecretExpiresAt: string | null }> {
  const secret = newWebhookSecret();
  const row = await pdb.maybeOne<{ expires: string | null }>(
    `update webhook_endpoints set
       previous_secret = case when $4::int > 0 then secret end,
       previous_secret_expires_at = case when $4::int > 0 then now() + make_interval(secs => $4::int) end,
       secret = $3,
       updated_at = now()
     where platform_id = $1 and id = $2
     returning ${iso('previous_secret_expires_at')} as expires`,
    [endpointId, secrets.seal(secret), graceSeconds],
  );
  if (!row) throw endpointNotFound(endpointId);
  return { secret, previousSecretExpiresAt: row.expires };
}
