// Coupons: the list with their usage against the budget, a form to create one, and switching one on or off.
import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api.ts';
import { parseMoney } from '../../../shared/format.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { ActionForm } from '../components/ActionForm.tsx';
import { Field, FilterSelect, Loading, Money, Pager, ProblemNote, Status, When, useUrlFilter, usePager } from '../components/ui.tsx';

export default function Coupons() {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const client = useQueryClient();
  const [status] = useUrlFilter('status');
  const { cursor } = usePager();
  const path = { platform: platform.slug };
  const list = useQuery({
    queryKey: ['coupons', platform.id, status, cursor],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET('/admin/platforms/{platform}/coupons', {
          params: { path, query: { limit: 50, ...(status ? { status: status as 'active' | 'disabled' } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });
  const toggle = useMutation({
    mutationFn: async (c: { id: string; status: 'active' | 'disabled' }) =>
      unwrap(
        await api.PATCH('/admin/platforms/{platform}/coupons/{couponId}', {
          params: { path: { ...path, couponId: c.id } },
          body: { status: c.status === 'active' ? 'disabled' : 'active' },
        }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['coupons', platform.id] }),
  });

  return (
    <div className="page">
      <h1>{t('nav.coupons')}</h1>
      <div className="row filters">
        <FilterSelect name="status" label={t('orders.status')} any={t('all')} values={['active', 'disabled']} />
      </div>
      <ProblemNote error={list.error ?? toggle.error} />
      {list.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="coupons-table">
          <thead>
            <tr>
              <th>{t('coupons.code')}</th>
              <th>{t('coupons.discount')}</th>
              <th className="num">{t('coupons.used')}</th>
              <th>{t('coupons.window')}</th>
              <th>{t('orders.status')}</th>
              {canWrite && <th />}
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((c) => (
              <tr key={c.id}>
                <td className="mono">{c.code}</td>
                <td>{c.kind === 'percentage' ? `${c.percent}%` : c.amount !== null && c.currency ? <Money amount={c.amount} currency={c.currency} /> : '—'}</td>
                <td className="num">
                  {c.timesUsed}
                  {c.usageLimit !== null && ` / ${c.usageLimit}`}
                </td>
                <td>
                  {c.startsAt ? <When at={c.startsAt} /> : '…'} – {c.endsAt ? <When at={c.endsAt} /> : '…'}
                </td>
                <td>
                  <Status value={c.status} />
                </td>
                {canWrite && (
                  <td>
                    <button type="button" disabled={toggle.isPending} onClick={() => toggle.mutate(c)}>
                      {c.status === 'active' ? t('coupons.disable') : t('coupons.enable')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager nextCursor={list.data?.nextCursor} />
      {canWrite && <NewCoupon />}
    </div>
  );
}

function NewCoupon() {
  const { t } = useI18n();
  const platform = usePlatform();
  const client = useQueryClient();
  const [code, setCode] = useState('');
  const [kind, setKind] = useState<'percentage' | 'fixed'>('percentage');
  const [value, setValue] = useState('');
  const [currency, setCurrency] = useState(platform.defaultCurrency);
  const [usageLimit, setUsageLimit] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const create = useMutation({
    mutationFn: async () => {
      const amount = kind === 'fixed' ? parseMoney(value, currency) : null;
      if (kind === 'fixed' && amount === null) throw new Error(t('coupons.badValue'));
      return unwrap(
        await api.POST('/admin/platforms/{platform}/coupons', {
          params: { path: { platform: platform.slug } },
          body: {
            code: code.trim(),
            kind,
            ...(kind === 'percentage' ? { percent: Number(value) } : { amount: amount!, currency }),
            ...(usageLimit ? { usageLimit: Number(usageLimit) } : {}),
            ...(endsAt ? { endsAt: new Date(endsAt).toISOString() } : {}),
          },
        }),
      );
    },
    onSuccess: () => {
      setCode('');
      setValue('');
      void client.invalidateQueries({ queryKey: ['coupons', platform.id] });
    },
  });
  return (
    <ActionForm title={t('coupons.new')} submitLabel={t('create')} pending={create.isPending} error={create.error} onSubmit={() => create.mutate()}>
        <Field label={t('coupons.code')}>
          <input required value={code} onChange={(e) => setCode(e.target.value)} />
        </Field>
        <Field label={t('coupons.kind')}>
          <select value={kind} onChange={(e) => setKind(e.target.value as 'percentage' | 'fixed')}>
            <option value="percentage">{t('coupons.percentage')}</option>
            <option value="fixed">{t('coupons.fixed')}</option>
          </select>
        </Field>
        <Field label={kind === 'percentage' ? '%' : t('order.amount')}>
          <input required inputMode="decimal" size={8} value={value} onChange={(e) => setValue(e.target.value)} />
        </Field>
        {kind === 'fixed' && (
          <Field label={t('coupons.currency')}>
            <select value={currency} onChange={(e) => setCurrency(e.target.value)}>
              {platform.currencies.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </Field>
        )}
        <Field label={t('coupons.budget')}>
          <input inputMode="numeric" size={8} value={usageLimit} onChange={(e) => setUsageLimit(e.target.value)} />
        </Field>
        <Field label={t('coupons.endsAt')}>
          <input type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} />
        </Field>
    </ActionForm>
  );
}
