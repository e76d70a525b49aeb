// Settings and access (owners): platforms, applied from a JSON metadata document after a preview of what
// changes; admin users and their roles; secret API keys (the key is shown once) and revoking them.
// Platform admins see their platform's settings read-only.
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Platform } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { ActionForm } from '../components/ActionForm.tsx';
import { ConfirmButton, Field, ProblemNote, SecretOnce, Status, When } from '../components/ui.tsx';

type Role = 'owner' | 'platform_admin' | 'support';
const ROLES: Role[] = ['owner', 'platform_admin', 'support'];

export default function Admin() {
  const { t } = useI18n();
  const { isOwner, platforms } = useSession();
  const platform = usePlatform();
  return (
    <div className="page">
      <h1>{t('nav.admin')}</h1>
      <h2>{t('admin.platforms')}</h2>
      <table>
        <thead>
          <tr>
            <th>{t('dashboard.platform')}</th>
            <th>{t('admin.slug')}</th>
            <th>{t('admin.currencies')}</th>
            <th>{t('admin.locales')}</th>
            <th>{t('admin.modules')}</th>
            <th>{t('orders.status')}</th>
          </tr>
        </thead>
        <tbody>
          {platforms.map((p) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td className="mono">{p.slug}</td>
              <td>{p.currencies.join(', ')}</td>
              <td>{p.locales.join(', ')}</td>
              <td>{p.modules.join(', ')}</td>
              <td>
                <Status value={p.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {isOwner && <ApplyPlatform current={platform} />}
      {isOwner && <Users />}
      {isOwner && <ApiKeys />}
    </div>
  );
}

const COMPARED = ['name', 'status', 'defaultCurrency', 'currencies', 'defaultLocale', 'locales', 'hosts', 'modules', 'settings'] as const;

function ApplyPlatform({ current }: { current: Platform }) {
  const { t } = useI18n();
  const { platforms } = useSession();
  const client = useQueryClient();
  const [text, setText] = useState(() =>
    JSON.stringify(Object.fromEntries([['slug', current.slug], ...COMPARED.map((k) => [k, current[k]])]), null, 2),
  );
  let parsed: Record<string, unknown> | null = null;
  let parseError = '';
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
    else parseError = t('admin.notAnObject');
  } catch (e) {
    parseError = (e as Error).message;
  }
  const target = parsed ? platforms.find((p) => p.slug === parsed.slug) : undefined;
  const changes = parsed
    ? COMPARED.filter((k) => k in parsed! && JSON.stringify(parsed![k]) !== JSON.stringify(target?.[k])).map((k) => ({
        key: k,
        before: target ? JSON.stringify(target[k]) : '—',
        after: JSON.stringify(parsed![k]),
      }))
    : [];
  const apply = useMutation({
    mutationFn: async () => unwrap(await api.PUT('/admin/platforms', { body: parsed as never })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['me'] }),
  });
  return (
    <section className="actions">
      <h2>{t('admin.apply')}</h2>
      <p className="muted">{t('admin.applyHelp')}</p>
      <textarea aria-label={t('admin.metadata')} rows={12} cols={80} className="mono" value={text} onChange={(e) => setText(e.target.value)} />
      {parseError && <p className="problem">{parseError}</p>}
      {parsed && (
        <>
          <h3>{target ? t('admin.diffUpdate', { slug: String(parsed.slug) }) : t('admin.diffCreate', { slug: String(parsed.slug ?? '?') })}</h3>
          {changes.length === 0 ? (
            <p className="muted">{t('admin.noChanges')}</p>
          ) : (
            <table data-testid="platform-diff">
              <tbody>
                {changes.map((c) => (
                  <tr key={c.key}>
                    <td className="mono">{c.key}</td>
                    <td className="mono removed">{c.before}</td>
                    <td className="mono added">{c.after}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <ConfirmButton
            label={t('admin.applyButton')}
            disabled={changes.length === 0 || apply.isPending}
            question={t('admin.confirmApply', { slug: String(parsed.slug ?? '?') })}
            onConfirm={() => apply.mutate()}
          />
        </>
      )}
      <ProblemNote error={apply.error} />
      {apply.data && <p className="ok">{t(`admin.action.${apply.data.action}`)}</p>}
      {apply.data?.publishableKey && (
        <p>
          {t('secretOnce')} <code className="secret">{apply.data.publishableKey}</code>
        </p>
      )}
    </section>
  );
}

function RoleField({ value, onChange }: { value: Role; onChange(role: Role): void }) {
  const { t } = useI18n();
  return (
    <Field label={t('admin.role')}>
      <select value={value} onChange={(e) => onChange(e.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {t(`role.${r}`)}
          </option>
        ))}
      </select>
    </Field>
  );
}

function PlatformChecks({ value, onChange }: { value: string[]; onChange(ids: string[]): void }) {
  const { platforms } = useSession();
  return (
    <div className="checks">
      {platforms.map((p) => (
        <label key={p.id}>
          <input type="checkbox" checked={value.includes(p.id)} onChange={(e) => onChange(e.target.checked ? [...value, p.id] : value.filter((x) => x !== p.id))} /> {p.slug}
        </label>
      ))}
    </div>
  );
}

function Users() {
  const { t } = useI18n();
  const { platforms } = useSession();
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('support');
  const [platformIds, setPlatformIds] = useState<string[]>([]);
  const users = useQuery({ queryKey: ['admin-users'], queryFn: async () => unwrap(await api.GET('/admin/users')).items });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/users', { body: { email, password, role, ...(role === 'owner' ? {} : { platformIds }) } })),
    onSuccess: () => {
      setEmail('');
      setPassword('');
      void client.invalidateQueries({ queryKey: ['admin-users'] });
    },
  });
  const toggle = useMutation({
    mutationFn: async (u: { id: string; disabled: boolean }) => unwrap(await api.PATCH('/admin/users/{userId}', { params: { path: { userId: u.id } }, body: { disabled: !u.disabled } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['admin-users'] }),
  });
  const slugs = (ids: string[]) => ids.map((id) => platforms.find((p) => p.id === id)?.slug ?? id.slice(0, 8)).join(', ');
  return (
    <section>
      <h2>{t('admin.users')}</h2>
      <ProblemNote error={users.error ?? toggle.error} />
      <table data-testid="users-table">
        <tbody>
          {users.data?.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{t(`role.${u.role as Role}`)}</td>
              <td>{u.role === 'owner' ? t('all') : slugs(u.platformIds)}</td>
              <td>
                <Status value={u.disabled ? 'disabled' : 'active'} />
              </td>
              <td>
                <button type="button" onClick={() => toggle.mutate(u)}>
                  {u.disabled ? t('coupons.enable') : t('coupons.disable')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionForm
        submitLabel={t('admin.addUser')}
        pending={create.isPending}
        error={create.error}
        onSubmit={() => create.mutate()}
        below={role !== 'owner' && <PlatformChecks value={platformIds} onChange={setPlatformIds} />}
      >
        <Field label={t('signIn.email')}>
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label={t('signIn.password')}>
          <input type="password" required minLength={8} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <RoleField value={role} onChange={setRole} />
      </ActionForm>
    </section>
  );
}

function ApiKeys() {
  const { t } = useI18n();
  const client = useQueryClient();
  const [label, setLabel] = useState('');
  const [role, setRole] = useState<Role>('platform_admin');
  const [platformIds, setPlatformIds] = useState<string[]>([]);
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: async () => unwrap(await api.GET('/admin/api-keys')).items });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/api-keys', { body: { label, role, ...(role === 'owner' ? {} : { platformIds }) } })),
    onSuccess: () => {
      setLabel('');
      void client.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: async (keyId: string) => unwrap(await api.POST('/admin/api-keys/{keyId}/revoke', { params: { path: { keyId } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <section>
      <h2>{t('admin.apiKeys')}</h2>
      <ProblemNote error={keys.error ?? revoke.error} />
      <table data-testid="keys-table">
        <tbody>
          {keys.data?.map((k) => (
            <tr key={k.id}>
              <td>{k.label}</td>
              <td className="mono">{k.prefix}…</td>
              <td>{t(`role.${k.role as Role}`)}</td>
              <td>{k.lastUsedAt ? <When at={k.lastUsedAt} /> : '—'}</td>
              <td>
                {k.revokedAt ? (
                  <Status value="disabled" />
                ) : (
                  <ConfirmButton label={t('admin.revoke')} danger question={t('admin.confirmRevoke', { label: k.label })} onConfirm={() => revoke.mutate(k.id)} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ActionForm
        submitLabel={t('admin.addKey')}
        pending={create.isPending}
        error={create.error}
        onSubmit={() => create.mutate()}
        below={role !== 'owner' && <PlatformChecks value={platformIds} onChange={setPlatformIds} />}
        after={create.data && <SecretOnce secret={create.data.key} />}
      >
        <Field label={t('admin.keyLabel')}>
          <input required value={label} onChange={(e) => setLabel(e.target.value)} />
        </Field>
        <RoleField value={role} onChange={setRole} />
      </ActionForm>
    </section>
  );
}
