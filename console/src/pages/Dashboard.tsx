// The day at a glance: today's orders and revenue on every platform the user may see, orders per day on
// this platform, low stock, and flash sales and live rooms running now.
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap, type Platform } from '../api.ts';
import { dayKey, formatDay, formatMoney, startOfToday } from '../../../shared/format.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { BarChart } from '../components/Chart.tsx';
import { Loading, ProblemNote } from '../components/ui.tsx';
import { ordersSince, revenueByCurrency } from '../orders-window.ts';

const CHART_DAYS = 14;

function has(platform: Platform, module: string): boolean {
  return platform.modules.includes(module);
}

export default function Dashboard() {
  const { t, locale } = useI18n();
  const session = useSession();
  const platform = usePlatform();
  const today = startOfToday();
  const chartStart = new Date(today.getTime() - (CHART_DAYS - 1) * 86_400_000);

  const perPlatform = useQueries({
    queries: session.platforms.map((p) => ({
      queryKey: ['dashboard-today', p.id, dayKey(today)],
      enabled: has(p, 'orders'),
      queryFn: () => ordersSince(p.slug, today),
    })),
  });
  const history = useQuery({
    queryKey: ['dashboard-history', platform.id, dayKey(today)],
    enabled: has(platform, 'orders'),
    queryFn: () => ordersSince(platform.slug, chartStart),
  });
  const lowStock = useQuery({
    queryKey: ['low-stock', platform.id],
    enabled: has(platform, 'inventory'),
    queryFn: async () =>
      unwrap(await api.GET('/admin/platforms/{platform}/inventory/levels', { params: { path: { platform: platform.slug }, query: { lowStock: true, limit: 20 } } })).items,
  });
  const sales = useQuery({
    queryKey: ['live-sales', platform.id],
    enabled: has(platform, 'flash-sales'),
    queryFn: async () =>
      unwrap(await api.GET('/admin/platforms/{platform}/flash-sales', { params: { path: { platform: platform.slug }, query: { status: 'scheduled', limit: 50 } } })).items.filter(
        (s) => s.phase === 'live',
      ),
  });
  const rooms = useQuery({
    queryKey: ['live-rooms', platform.id],
    enabled: has(platform, 'live'),
    queryFn: async () =>
      unwrap(await api.GET('/admin/platforms/{platform}/live/rooms', { params: { path: { platform: platform.slug }, query: { state: 'live', limit: 50 } } })).items,
  });

  const bars = Array.from({ length: CHART_DAYS }, (_, i) => {
    const day = new Date(chartStart.getTime() + i * 86_400_000);
    const key = dayKey(day);
    return { label: formatDay(day, locale), value: history.data?.orders.filter((o) => dayKey(new Date(o.createdAt)) === key).length ?? 0 };
  });

  return (
    <div className="page">
      <h1>{t('dashboard.title')}</h1>
      <section>
        <h2>{t('dashboard.today')}</h2>
        <table data-testid="today-table">
          <thead>
            <tr>
              <th>{t('dashboard.platform')}</th>
              <th className="num">{t('dashboard.orders')}</th>
              <th className="num">{t('dashboard.revenue')}</th>
            </tr>
          </thead>
          <tbody>
            {session.platforms.map((p, i) => {
              const q = perPlatform[i];
              const revenue = q?.data ? [...revenueByCurrency(q.data.orders)] : [];
              return (
                <tr key={p.id}>
                  <td>
                    <Link to={`/p/${p.slug}`}>{p.name}</Link>
                  </td>
                  <td className="num">{has(p, 'orders') ? (q?.data ? `${q.data.orders.length}${q.data.truncated ? '+' : ''}` : '…') : '—'}</td>
                  <td className="num">
                    {revenue.length === 0 ? formatMoney(0, p.defaultCurrency, locale) : revenue.map(([c, amount]) => formatMoney(amount, c, locale)).join(' · ')}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section>
        <h2>{t('dashboard.ordersOverTime', { days: CHART_DAYS })}</h2>
        <ProblemNote error={history.error} />
        {history.isLoading ? <Loading /> : <BarChart bars={bars} title={t('dashboard.ordersOverTime', { days: CHART_DAYS })} />}
      </section>
      <div className="grid2">
        <section>
          <h2>{t('dashboard.lowStock')}</h2>
          <ProblemNote error={lowStock.error} />
          {lowStock.data?.length === 0 && <p className="muted">{t('dashboard.noLowStock')}</p>}
          <ul>
            {lowStock.data?.map((l) => (
              <li key={`${l.variantId}-${l.locationId}`}>
                <Link to={`/p/${platform.slug}/inventory?variantId=${l.variantId}`}>{l.variantId.slice(0, 8)}</Link> · {l.locationCode}:{' '}
                {t('inventory.availableN', { n: l.available })}
              </li>
            ))}
          </ul>
        </section>
        <section>
          <h2>{t('dashboard.live')}</h2>
          {sales.data?.length === 0 && rooms.data?.length !== undefined && rooms.data.length === 0 && <p className="muted">{t('dashboard.nothingLive')}</p>}
          {sales.data?.length === 0 && !has(platform, 'live') && <p className="muted">{t('dashboard.nothingLive')}</p>}
          <ul>
            {sales.data?.map((s) => (
              <li key={s.id}>
                <Link to={`/p/${platform.slug}/flash-sales?sale=${s.id}`}>⚡ {s.name}</Link>
              </li>
            ))}
            {rooms.data?.map((r) => (
              <li key={r.id}>
                ● {r.title} · {t('dashboard.viewers', { n: r.viewers })}
              </li>
            ))}
          </ul>
        </section>
      </div>
    </div>
  );
}
