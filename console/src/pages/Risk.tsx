// Risk: the engine's recent decisions (filter by point and action, in the URL) with the rules that fired,
// and the current policy version of each decision point. Changing policies stays in the API for now.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { EmptyRow, FilterSelect, Loading, Pager, ProblemNote, When, useUrlFilter, usePager } from '../components/ui.tsx';

const POINTS = ['signup', 'login', 'coupon', 'checkout', 'flash_sale', 'payment', 'live_chat', 'live_gift'] as const;
const ACTIONS = ['allow', 'challenge', 'review', 'deny'] as const;

export default function Risk() {
  const { t } = useI18n();
  const platform = usePlatform();
  const path = { platform: platform.slug };
  const [point] = useUrlFilter('point');
  const [action] = useUrlFilter('action');
  const { cursor } = usePager();
  const decisions = useQuery({
    queryKey: ['risk-decisions', platform.id, point, action, cursor],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET('/admin/platforms/{platform}/risk/decisions', {
          params: {
            path,
            query: {
              limit: 50,
              ...(point ? { point: point as (typeof POINTS)[number] } : {}),
              ...(action ? { action: action as (typeof ACTIONS)[number] } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
  });
  const policies = useQuery({
    queryKey: ['risk-policies', platform.id],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/risk/policies', { params: { path } })).items,
  });
  return (
    <div className="page">
      <h1>{t('nav.risk')}</h1>
      <div className="row filters">
        <FilterSelect name="point" label={t('risk.point')} any={t('risk.anyPoint')} values={POINTS} labelOf={(p) => p} />
        <FilterSelect name="action" label={t('risk.action')} any={t('risk.anyAction')} values={ACTIONS} labelOf={(a) => t(`risk.${a as (typeof ACTIONS)[number]}`)} />
      </div>
      <ProblemNote error={decisions.error} />
      {decisions.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="risk-table">
          <thead>
            <tr>
              <th>{t('order.when')}</th>
              <th>{t('risk.point')}</th>
              <th>{t('risk.action')}</th>
              <th className="num">{t('risk.score')}</th>
              <th>{t('risk.rules')}</th>
            </tr>
          </thead>
          <tbody>
            {decisions.data?.items.map((d) => (
              <tr key={d.id}>
                <td>
                  <When at={d.decidedAt} />
                </td>
                <td className="mono">{d.point}</td>
                <td>
                  <span className={`status status-risk-${d.action}`}>{t(`risk.${d.action}`)}</span>
                </td>
                <td className="num">{d.score}</td>
                <td className="mono">{d.fired.map((f) => `${f.rule} (+${f.score})`).join(', ') || '—'}</td>
              </tr>
            ))}
            <EmptyRow show={decisions.data?.items.length === 0} cols={5} />
          </tbody>
        </table>
      )}
      <Pager nextCursor={decisions.data?.nextCursor} />
      <h2>{t('risk.policies')}</h2>
      <ProblemNote error={policies.error} />
      <table>
        <tbody>
          {policies.data?.map((p) => (
            <tr key={p.point}>
              <td className="mono">{p.point}</td>
              <td>v{p.version}</td>
              <td>{p.changedAt ? <When at={p.changedAt} /> : '—'}</td>
              <td className="muted">{p.changedBy ?? ''}</td>
              <td>{p.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
