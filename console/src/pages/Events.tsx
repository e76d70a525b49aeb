// The event backbone (owners only): each consumer's lag, retries and dead letters; dead letters with their
// error, requeued or discarded after a confirmation.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api.ts';
import { usePlatform } from '../components/Layout.tsx';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { EmptyRow, ConfirmButton, Field, FilterSelect, Loading, ProblemNote, When, useUrlFilter } from '../components/ui.tsx';

type DeadStatus = 'dead' | 'requeued' | 'discarded';

export default function Events() {
  const { t } = useI18n();
  const { isOwner } = useSession();
  const client = useQueryClient();
  const platform = usePlatform();
  const navigate = useNavigate();
  const [eventDraft, setEventDraft] = useState('');
  const [statusFilter] = useUrlFilter('status');
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
      <form
        className="row filters"
        aria-label={t('events.show')}
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          if (eventDraft.trim()) navigate(`/p/${platform.slug}/events/${eventDraft.trim()}`);
        }}
      >
        <Field label={t('events.lookup')}>
          <input className="mono" size={38} pattern="[0-9a-fA-F-]{36}" value={eventDraft} onChange={(e) => setEventDraft(e.target.value)} />
        </Field>
        <button type="submit">{t('events.show')}</button>
      </form>
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
        <FilterSelect name="status" label={t('orders.status')} values={['dead', 'requeued', 'discarded']} labelOf={(s) => t(`events.status.${s as DeadStatus}`)} />
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
              <td className="mono">
                <Link to={`/p/${platform.slug}/events/${d.eventId}`}>{d.eventId.slice(0, 8)}</Link>
              </td>
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
