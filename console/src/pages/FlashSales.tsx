// Flash sales: the schedule, a form to schedule one, and a sale's live figures, polled every two seconds
// while it is upcoming or live (attempts, wins, sold-out answers, queue depth, orders), with reconcile
// and cancel (both confirmed).
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api.ts';
import { parseMoney } from '../../../shared/format.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { BarChart } from '../components/Chart.tsx';
import { EmptyRow, ConfirmButton, Field, Loading, Money, ProblemNote, Status, When, useUrlFilter } from '../components/ui.tsx';

export default function FlashSales() {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const [saleId, setSaleId] = useUrlFilter('sale');
  const list = useQuery({
    queryKey: ['flash-sales', platform.id],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/flash-sales', { params: { path: { platform: platform.slug }, query: { limit: 100 } } })).items,
  });
  return (
    <div className="page">
      <h1>{t('nav.flashSales')}</h1>
      <ProblemNote error={list.error} />
      {list.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="sales-table">
          <thead>
            <tr>
              <th>{t('sales.name')}</th>
              <th>{t('sales.starts')}</th>
              <th>{t('sales.ends')}</th>
              <th>{t('orders.status')}</th>
              <th className="num">{t('sales.items')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.map((s) => (
              <tr key={s.id} className={s.id === saleId ? 'selected' : ''}>
                <td>
                  <button type="button" className="link" onClick={() => setSaleId(s.id)}>
                    {s.name}
                  </button>
                </td>
                <td>
                  <When at={s.startsAt} />
                </td>
                <td>
                  <When at={s.endsAt} />
                </td>
                <td>
                  <Status value={s.phase} />
                </td>
                <td className="num">{s.items.length}</td>
              </tr>
            ))}
            <EmptyRow show={list.data?.length === 0} cols={5} />
          </tbody>
        </table>
      )}
      {saleId && <SaleStats saleId={saleId} />}
      {canWrite && <NewSale onCreated={setSaleId} />}
    </div>
  );
}

interface Sample {
  at: number;
  attempts: number;
  won: number;
  soldOut: number;
}

function SaleStats({ saleId }: { saleId: string }) {
  const { t, locale } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const client = useQueryClient();
  const path = { platform: platform.slug, saleId };
  const [samples, setSamples] = useState<Sample[]>([]);
  const sale = useQuery({
    queryKey: ['flash-sale', platform.id, saleId],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/flash-sales/{saleId}', { params: { path } })),
  });
  const stats = useQuery({
    queryKey: ['flash-sale-stats', platform.id, saleId],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/flash-sales/{saleId}/stats', { params: { path } })),
    refetchInterval: (query) => (query.state.data && (query.state.data.phase === 'ended' || query.state.data.phase === 'cancelled') ? false : 2000),
  });
  useEffect(() => setSamples([]), [saleId]);
  useEffect(() => {
    const c = stats.data?.gate.counters;
    if (!c) return;
    setSamples((list) => [...list.slice(-29), { at: Date.now(), attempts: c.attempts, won: c.won, soldOut: c.soldOut }]);
  }, [stats.data]);
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['flash-sale-stats', platform.id, saleId] });
    void client.invalidateQueries({ queryKey: ['flash-sales', platform.id] });
    void client.invalidateQueries({ queryKey: ['flash-sale', platform.id, saleId] });
  };
  const reconcile = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/platforms/{platform}/flash-sales/{saleId}/reconcile', { params: { path } })),
    onSuccess: refresh,
  });
  const cancel = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/platforms/{platform}/flash-sales/{saleId}/cancel', { params: { path } })),
    onSuccess: refresh,
  });
  const s = stats.data;
  const bars = samples.slice(1).map((x, i) => ({
    label: new Intl.DateTimeFormat(locale, { minute: '2-digit', second: '2-digit' }).format(x.at),
    value: x.attempts - samples[i]!.attempts,
  }));
  return (
    <section className="actions" data-testid="sale-stats">
      <h2>
        {sale.data?.name} {s && <Status value={s.phase} />}
      </h2>
      <ProblemNote error={stats.error ?? sale.error ?? reconcile.error ?? cancel.error} />
      {s && (
        <>
          <div className="kpis">
            {(
              [
                ['sales.attempts', s.gate.counters.attempts],
                ['sales.won', s.gate.counters.won],
                ['sales.soldOut', s.gate.counters.soldOut],
                ['sales.limitReached', s.gate.counters.limitReached],
                ['sales.queue', s.queueDepth],
                ['sales.ordersCreated', s.ordersCreated],
                ['sales.ordersPaid', s.ordersPaid],
              ] as const
            ).map(([label, value]) => (
              <div key={label} className="kpi">
                <strong>{value}</strong>
                <span>{t(label)}</span>
              </div>
            ))}
          </div>
          <BarChart bars={bars} title={t('sales.attemptsPerPoll')} height={100} />
          <table>
            <thead>
              <tr>
                <th>{t('inventory.variant')}</th>
                <th className="num">{t('sales.quantity')}</th>
                <th className="num">{t('sales.remaining')}</th>
                <th className="num">{t('sales.price')}</th>
              </tr>
            </thead>
            <tbody>
              {s.items.map((item) => {
                const info = sale.data?.items.find((i) => i.variantId === item.variantId);
                return (
                  <tr key={item.variantId}>
                    <td>{info ? `${info.productTitle} · ${info.sku}` : item.variantId.slice(0, 8)}</td>
                    <td className="num">{item.quantity}</td>
                    <td className="num">{item.remaining}</td>
                    <td className="num">{info && <Money amount={info.salePrice} currency={info.currency} />}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {canWrite && (
            <div className="row">
              <ConfirmButton label={t('sales.reconcile')} question={t('sales.confirmReconcile')} onConfirm={() => reconcile.mutate()} disabled={reconcile.isPending} />
              {s.phase !== 'ended' && s.phase !== 'cancelled' && (
                <ConfirmButton label={t('sales.cancel')} danger question={t('sales.confirmCancel')} onConfirm={() => cancel.mutate()} disabled={cancel.isPending} />
              )}
              {reconcile.data && <span className="ok">{reconcile.data.reason}</span>}
            </div>
          )}
        </>
      )}
    </section>
  );
}

interface ItemRow {
  variantId: string;
  price: string;
  quantity: string;
}

function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function NewSale({ onCreated }: { onCreated(id: string): void }) {
  const { t } = useI18n();
  const platform = usePlatform();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [startsAt, setStartsAt] = useState(() => toLocalInput(new Date(Date.now() + 5 * 60_000)));
  const [endsAt, setEndsAt] = useState(() => toLocalInput(new Date(Date.now() + 65 * 60_000)));
  const [limit, setLimit] = useState('1');
  const [items, setItems] = useState<ItemRow[]>([{ variantId: '', price: '', quantity: '' }]);
  const products = useQuery({
    queryKey: ['products', platform.id, 'for-sale'],
    queryFn: async () =>
      unwrap(await api.GET('/admin/platforms/{platform}/products', { params: { path: { platform: platform.slug }, query: { limit: 100, status: 'published' } } })).items,
  });
  const variants = (products.data ?? []).flatMap((p) => p.variants.map((v) => ({ id: v.id, label: `${p.title} · ${v.sku}`, currency: v.prices[0]?.currency ?? platform.defaultCurrency })));
  const create = useMutation({
    mutationFn: async () => {
      const body = items
        .filter((i) => i.variantId)
        .map((i) => {
          const currency = variants.find((v) => v.id === i.variantId)?.currency ?? platform.defaultCurrency;
          const salePrice = parseMoney(i.price, currency);
          if (salePrice === null || !/^\d+$/.test(i.quantity)) throw new Error(t('sales.badItem'));
          return { variantId: i.variantId, salePrice, quantity: Number(i.quantity) };
        });
      return unwrap(
        await api.POST('/admin/platforms/{platform}/flash-sales', {
          params: { path: { platform: platform.slug } },
          body: { name, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), perCustomerLimit: Number(limit), items: body },
        }),
      );
    },
    onSuccess: (sale) => {
      void client.invalidateQueries({ queryKey: ['flash-sales', platform.id] });
      setName('');
      onCreated(sale.id);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }
  const setItem = (i: number, patch: Partial<ItemRow>) => setItems(items.map((x, k) => (k === i ? { ...x, ...patch } : x)));
  return (
    <form className="actions" onSubmit={submit}>
      <h2>{t('sales.new')}</h2>
      <div className="row">
        <Field label={t('sales.name')}>
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={t('sales.starts')}>
          <input type="datetime-local" required value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
        </Field>
        <Field label={t('sales.ends')}>
          <input type="datetime-local" required value={endsAt} onChange={(e) => setEndsAt(e.target.value)} />
        </Field>
        <Field label={t('sales.perCustomer')}>
          <input inputMode="numeric" size={4} value={limit} onChange={(e) => setLimit(e.target.value)} />
        </Field>
      </div>
      {items.map((item, i) => (
        <div className="row" key={i}>
          <Field label={t('inventory.variant')}>
            <select value={item.variantId} onChange={(e) => setItem(i, { variantId: e.target.value })}>
              <option value="">—</option>
              {variants.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('sales.price')}>
            <input inputMode="decimal" size={8} value={item.price} onChange={(e) => setItem(i, { price: e.target.value })} />
          </Field>
          <Field label={t('sales.quantity')}>
            <input inputMode="numeric" size={6} value={item.quantity} onChange={(e) => setItem(i, { quantity: e.target.value })} />
          </Field>
        </div>
      ))}
      <div className="row">
        <button type="button" onClick={() => setItems([...items, { variantId: '', price: '', quantity: '' }])}>
          {t('sales.addItem')}
        </button>
        <button type="submit" className="primary" disabled={create.isPending}>
          {t('sales.schedule')}
        </button>
      </div>
      <ProblemNote error={create.error} />
    </form>
  );
}
