// The event backbone (owners only): each consumer's lag, retries and dead letters; dead letters with their
// error, requeued or discarded after a confirmation.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { EmptyRow, ConfirmButton, Loading, ProblemNote, When, useUrlFilter } from '../components/ui.tsx';

type DeadStatus = 'dead' | 'requeued' | 'discarded';

export default function Events() {
  const { t } = useI18n();
  const { isOwner } = useSession();
  const client = useQueryClient();
  const [statusFilter, setStatus] = useUrlFilter('status');
  const [consumer, setConsumer] = useUrlFilter('consumer');
  const status = (statusFilter || 'dead') as DeadStatus;
  const consumers = useQuery({
    queryKey: ['consumers'],
    enabled: isOwner,
    refetchInterval: 5000,
    queryFn: async () => unwrap(await api.GET('/admin/events/consumers')),
  });
  const dead = useQuery({
    queryKey: ['dead-letters', status, consumer],
    enabled: isOwner,
    queryFn: async () => unwrap(await api.GET('/admin/events/dead-letters', { params: { query: { limit: 100, status, ...(consumer ? { consumer } : {}) } } })).items,
  });
  const act = useMutation({
    mutationFn: async ({ id, action }: { id: string; action: 'requeue' | 'discard' }) =>
      action === 'requeue'
        ? unwrap(await api.POST('/admin/events/dead-letters/{deadLetterId}/requeue', { params: { path: { deadLetterId: id } } }))
        : unwrap(await api.POST('/admin/events/dead-letters/{deadLetterId}/discard', { params: { path: { deadLetterId: id } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['dead-letters'] });
      void client.invalidateQueries({ queryKey: ['consumers'] });
    },
  });
  if (!isOwner) return <p className="muted">{t('ownersOnly')}</p>;
  return (
    <div className="page">
      <h1>{t('nav.events')}</h1>
      <h2>
        {t('events.consumers')} {consumers.data && <span className="muted">({consumers.data.transport})</span>}
      </h2>
      <ProblemNote error={consumers.error} />
      {consumers.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="consumers-table">
          <thead>
            <tr>
              <th>{t('events.consumer')}</th>
              <th className="num">{t('events.lag')}</th>
              <th className="num">{t('events.retrying')}</th>
              <th className="num">{t('events.dead')}</th>
            </tr>
          </thead>
          <tbody>
            {consumers.data?.items.map((c) => (
              <tr key={c.consumer}>
                <td className="mono">
                  <button type="button" className="link" onClick={() => setConsumer(c.consumer)}>
                    {c.consumer}
                  </button>
                </td>
                <td className="num">{c.lag}</td>
                <td className="num">{c.retrying}</td>
                <td className="num">{c.dead}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t('events.deadLetters')}</h2>
      <div className="row filters">
        <select aria-label={t('orders.status')} value={status} onChange={(e) => setStatus(e.target.value)}>
          {(['dead', 'requeued', 'discarded'] as const).map((s) => (
            <option key={s} value={s}>
              {t(`events.status.${s}`)}
            </option>
          ))}
        </select>
        {consumer && (
          <button type="button" onClick={() => setConsumer('')}>
            {consumer} ✕
          </button>
        )}
      </div>
      <ProblemNote error={dead.error ?? act.error} />
      <table data-testid="dead-letters-table">
        <thead>
          <tr>
            <th>{t('order.when')}</th>
            <th>{t('events.consumer')}</th>
            <th>{t('events.event')}</th>
            <th className="num">{t('events.attempts')}</th>
            <th>{t('events.error')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {dead.data?.map((d) => (
            <tr key={d.id}>
              <td>
                <When at={d.failedAt} />
              </td>
              <td className="mono">{d.consumer}</td>
              <td className="mono">{d.eventId.slice(0, 8)}</td>
              <td className="num">{d.attempts}</td>
              <td>{d.lastError}</td>
              <td>
                {d.status === 'dead' && (
                  <div className="row">
                    <ConfirmButton label={t('events.requeue')} question={t('events.confirmRequeue')} onConfirm={() => act.mutate({ id: d.id, action: 'requeue' })} />
                    <ConfirmButton label={t('events.discard')} danger question={t('events.confirmDiscard')} onConfirm={() => act.mutate({ id: d.id, action: 'discard' })} />
                  </div>
                )}
              </td>
            </tr>
          ))}
          <EmptyRow show={dead.data?.length === 0} cols={6} />
        </tbody>
      </table>
    </div>
  );
}
