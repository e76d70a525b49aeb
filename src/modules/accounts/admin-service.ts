// Admin users, their sessions and secret API keys: everything that turns a bearer token into an
// AdminPrincipal. Tokens are random; only their SHA-256 is stored, so a database leak yields no tokens.
import { newId, newSecret, sha256 } from '../../kernel/ids.ts';
import type { Database } from '../../kernel/db/types.ts';
import type { AdminPrincipal, AdminRole, PlatformDirectory } from '../../kernel/context.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { adminEmailTaken, adminUserNotFound, apiKeyNotFound, platformsRequired, unknownPlatforms, wrongCredentials } from './problems.ts';

export interface AdminUserRow {
  id: string;
  email: string;
  password_hash: string;
  role: AdminRole;
  platform_ids: string[];
  disabled_at: Date | null;
  created_at: Date;
}

export function adminUserView(row: AdminUserRow) {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    platformIds: row.platform_ids,
    disabled: row.disabled_at !== null,
    createdAt: row.created_at.toISOString(),
  };
}

function checkPlatforms(directory: PlatformDirectory, role: AdminRole, platformIds: string[]): string[] {
  if (role === 'owner') return [];
  const unknown = platformIds.filter((id) => !directory.byId(id));
  if (unknown.length > 0) throw unknownPlatforms(unknown);
  return [...new Set(platformIds)];
}

export async function createAdminUser(
  db: Database,
  directory: PlatformDirectory,
  input: { email: string; password: string; role: AdminRole; platformIds?: string[] },
): Promise<AdminUserRow> {
  const platformIds = checkPlatforms(directory, input.role, input.platformIds ?? []);
  const existing = await db.query('select 1 from admin_users where lower(email) = lower($1)', [input.email]);
  if (existing.length > 0) throw adminEmailTaken(input.email);
  const rows = await db.query<AdminUserRow>(
    `insert into admin_users (id, email, password_hash, role, platform_ids) values ($1, $2, $3, $4, $5::uuid[]) returning *`,
    [newId(), input.email, await hashPassword(input.password), input.role, platformIds],
  );
  return rows[0]!;
}

export async function updateAdminUser(
  db: Database,
  directory: PlatformDirectory,
  id: string,
  patch: { role?: AdminRole; platformIds?: string[]; password?: string; disabled?: boolean },
): Promise<AdminUserRow> {
  const [current] = await db.query<AdminUserRow>('select * from admin_users where id = $1', [id]);
  if (!current) throw adminUserNotFound(id);
  const role = patch.role ?? current.role;
  const platformIds = checkPlatforms(directory, role, patch.platformIds ?? current.platform_ids);
  const passwordHash = patch.password ? await hashPassword(patch.password) : current.password_hash;
  const disabledAt = patch.disabled === undefined ? current.disabled_at : patch.disabled ? (current.disabled_at ?? new Date()) : null;
  const rows = await db.transaction(async (tx) => {
    const updated = await tx.query<AdminUserRow>(
      `update admin_users set role = $2, platform_ids = $3::uuid[], password_hash = $4, disabled_at = $5 where id = $1 returning *`,
      [id, role, platformIds, passwordHash, disabledAt],
    );
    // A new password or a disabled account ends every open session of that user.
    if (patch.password || patch.disabled) {
      await tx.execute('update admin_sessions set revoked_at = now() where admin_user_id = $1 and revoked_at is null', [id]);
    }
    return updated;
  });
  return rows[0]!;
}

export async function listAdminUsers(db: Database): Promise<AdminUserRow[]> {
  return db.query<AdminUserRow>('select * from admin_users order by created_at');
}

export async function adminLogin(db: Database, email: string, password: string, ttlSeconds: number) {
  const [user] = await db.query<AdminUserRow>('select * from admin_users where lower(email) = lower($1)', [email]);
  const ok = await verifyPassword(user?.password_hash, password);
  if (!user || !ok || user.disabled_at) throw wrongCredentials();
  const token = newSecret('sa');
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db.execute('insert into admin_sessions (id, admin_user_id, token_hash, expires_at) values ($1, $2, $3, $4)', [
    newId(),
    user.id,
    sha256(token),
    expiresAt,
  ]);
  return { token, expiresAt: expiresAt.toISOString(), user: adminUserView(user) };
}

export async function revokeAdminSession(db: Database, token: string): Promise<void> {
  await db.execute('update admin_sessions set revoked_at = now() where token_hash = $1 and revoked_at is null', [sha256(token)]);
}

/** Resolves a bearer token (admin session or `sk_` secret key) to a principal, or null. */
export async function authenticateAdmin(db: Database, token: string): Promise<AdminPrincipal | null> {
  const hash = sha256(token);
  if (token.startsWith('sk_')) {
    const [key] = await db.query<{ id: string; label: string; role: AdminRole; platform_ids: string[]; stale: boolean }>(
      `select id, label, role, platform_ids, (last_used_at is null or last_used_at < now() - interval '1 minute') as stale
       from api_keys where token_hash = $1 and revoked_at is null`,
      [hash],
    );
    if (!key) return null;
    // last_used_at is for humans auditing keys: minute precision, so automation does not write on every call.
    if (key.stale) await db.execute('update api_keys set last_used_at = now() where id = $1', [key.id]);
    return { kind: 'api_key', id: key.id, label: key.label, role: key.role, platformIds: key.role === 'owner' ? 'all' : key.platform_ids };
  }
  const [row] = await db.query<AdminUserRow>(
    `select u.* from admin_sessions s join admin_users u on u.id = s.admin_user_id
     where s.token_hash = $1 and s.revoked_at is null and s.expires_at > now() and u.disabled_at is null`,
    [hash],
  );
  if (!row) return null;
  return { kind: 'admin_user', id: row.id, label: row.email, role: row.role, platformIds: row.role === 'owner' ? 'all' : row.platform_ids };
}

export interface ApiKeyRow {
  id: string;
  label: string;
  prefix: string;
  role: AdminRole;
  platform_ids: string[];
  last_used_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

export function apiKeyView(row: ApiKeyRow) {
  return {
    id: row.id,
    label: row.label,
    prefix: row.prefix,
    role: row.role,
    platformIds: row.platform_ids,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

export async function createApiKey(
  db: Database,
  directory: PlatformDirectory,
  createdBy: string | null,
  input: { label: string; role: AdminRole; platformIds?: string[] },
): Promise<{ key: string; apiKey: ApiKeyRow }> {
  const platformIds = checkPlatforms(directory, input.role, input.platformIds ?? []);
  if (input.role !== 'owner' && platformIds.length === 0) {
    throw platformsRequired();
  }
  const key = newSecret('sk');
  const rows = await db.query<ApiKeyRow>(
    `insert into api_keys (id, label, token_hash, prefix, role, platform_ids, created_by)
     values ($1, $2, $3, $4, $5, $6::uuid[], $7)
     returning id, label, prefix, role, platform_ids, last_used_at, revoked_at, created_at`,
    [newId(), input.label, sha256(key), key.slice(0, 10), input.role, platformIds, createdBy],
  );
  return { key, apiKey: rows[0]! };
}

export async function listApiKeys(db: Database): Promise<ApiKeyRow[]> {
  return db.query<ApiKeyRow>('select id, label, prefix, role, platform_ids, last_used_at, revoked_at, created_at from api_keys order by created_at');
}

export async function revokeApiKey(db: Database, id: string): Promise<void> {
  const { rowCount } = await db.execute('update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1', [id]);
  if (rowCount === 0) throw apiKeyNotFound(id);
}

/** Creates the first owner from SOUK_ADMIN_EMAIL / SOUK_ADMIN_PASSWORD when there is no admin user yet. */
export async function bootstrapOwner(db: Database, directory: PlatformDirectory, email: string, password: string): Promise<boolean> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from admin_users');
  if ((row?.n ?? 0) > 0) return false;
  await createAdminUser(db, directory, { email, password, role: 'owner' });
  return true;
}
