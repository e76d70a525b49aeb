// One event (owners only: the backbone spans platforms): what it carried, its trace (traceparent and trace
// id, to look up in the tracing backend), the chain of events that caused it and the events it caused, and
// each consumer's delivery of it (handled, retrying, dead-lettered), plus the webhook deliveries it made on
// its platform. Reached from a dead letter, a webhook delivery, or an event id typed on the events page.
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap, type EventView } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { EmptyRow, Loading, ProblemNote, Status, When } from '../components/ui.tsx';

export default function EventDetail() {
  const { t } = useI18n();
  const { isOwner } = useSession();
  const { eventId } = useParams();
  const chain = useQuery({
    queryKey: ['event', eventId],
    enabled: isOwner,
    queryFn: async () => unwrap(await api.GET('/admin/events/{eventId}', { params: { path: { eventId: eventId! } } })),
  });
  if (!isOwner) return <p className="muted">{t('ownersOnly')}</p>;
  if (chain.isLoading) return <Loading />;
  const data = chain.data;
  return (
    <div className="page" data-testid="event-detail">
      <p>
        <EventsLink />
      </p>
      <ProblemNote error={chain.error} />
      {data && (
        <>
          <h1>
            {t('events.event')} <span className="mono">{data.event.type}</span>
          </h1>
          <dl className="facts" data-testid="event-facts">
            <dt>Id</dt>
            <dd className="mono">{data.event.id}</dd>
            <dt>{t('order.when')}</dt>
            <dd>
              <When at={data.event.emittedAt} />
            </dd>
            <dt>{t('events.key')}</dt>
            <dd className="mono">{data.event.key ?? '—'}</dd>
            <dt>{t('events.traceId')}</dt>
            <dd className="mono" data-testid="trace-id">
              {data.event.traceId ?? '—'}
            </dd>
            <dt>traceparent</dt>
            <dd className="mono">{data.event.traceparent ?? '—'}</dd>
            <dt>{t('events.stored')}</dt>
            <dd>{data.event.status}</dd>
          </dl>
          <h2>{t('events.causedBy')}</h2>
          <EventTable testId="event-causes" rows={data.causes.map((event) => ({ event }))} />
          <h2>{t('events.caused')}</h2>
          <EventTable testId="event-effects" rows={data.effects} />
          <h2>{t('events.deliveries')}</h2>
          <table data-testid="event-consumers">
            <thead>
              <tr>
                <th>{t('events.consumer')}</th>
                <th>{t('orders.status')}</th>
                <th className="num">{t('events.attempts')}</th>
                <th>{t('order.when')}</th>
                <th>{t('events.error')}</th>
              </tr>
            </thead>
            <tbody>
              {consumerRows(data).map((row) => (
                <tr key={row.key}>
                  <td className="mono">{row.consumer}</td>
                  <td>
                    <Status value={row.status} />
                  </td>
                  <td className="num">{row.attempts ?? '—'}</td>
                  <td>
                    <When at={row.at} />
                  </td>
                  <td>{row.error}</td>
                </tr>
              ))}
              <EmptyRow show={data.handledBy.length + data.retrying.length + data.deadLetters.length === 0} cols={5} />
            </tbody>
          </table>
          {data.event.platformId && <WebhookDeliveries eventId={data.event.id} platformId={data.event.platformId} />}
          <h2>{t('events.payload')}</h2>
          <pre className="json">{JSON.stringify(data.event.payload, null, 2)}</pre>
        </>
      )}
    </div>
  );
}

type EventChain = { handledBy: { consumer: string; handledAt: string }[]; retrying: { consumer: string; attempts: number; nextAt: string; lastError: string }[]; deadLetters: { id: string; consumer: string; attempts: number; failedAt: string; lastError: string; status: string }[] };

/** Each consumer's delivery of the event as one row: handled (when), retrying (next attempt) or dead-lettered (when it gave up; requeued or discarded since). */
function consumerRows(chain: EventChain) {
  return [
    ...chain.handledBy.map((h) => ({ key: `h-${h.consumer}`, consumer: h.consumer, status: 'succeeded', attempts: null, at: h.handledAt, error: '' })),
    ...chain.retrying.map((r) => ({ key: `r-${r.consumer}`, consumer: r.consumer, status: 'failed', attempts: r.attempts, at: r.nextAt, error: r.lastError })),
    ...chain.deadLetters.map((d) => ({ key: `d-${d.id}`, consumer: d.consumer, status: d.status === 'dead' ? 'dead' : d.status, attempts: d.attempts, at: d.failedAt, error: d.lastError })),
  ];
}

function EventsLink() {
  const { t } = useI18n();
  const platform = usePlatform();
  return <Link to={`/p/${platform.slug}/events`}>← {t('nav.events')}</Link>;
}

function EventTable({ rows, testId }: { rows: { depth?: number; event: EventView }[]; testId: string }) {
  const platform = usePlatform();
  return (
    <table data-testid={testId}>
      <tbody>
        {rows.map(({ depth, event }) => (
          <tr key={event.id}>
            <td className="num">{depth ?? ''}</td>
            <td>
              <Link className="mono" to={`/p/${platform.slug}/events/${event.id}`}>
                {event.type}
              </Link>
            </td>
            <td>
              <When at={event.emittedAt} />
            </td>
            <td className="mono muted">{event.key ?? ''}</td>
          </tr>
        ))}
        <EmptyRow show={rows.length === 0} cols={4} />
      </tbody>
    </table>
  );
}

/** The webhook deliveries the event made, when its platform is one the user sees with webhooks on. */
function WebhookDeliveries({ eventId, platformId }: { eventId: string; platformId: string }) {
  const { t } = useI18n();
  const { platforms } = useSession();
  const platform = platforms.find((p) => p.id === platformId);
  const on = platform?.modules.includes('webhooks') ?? false;
  const deliveries = useQuery({
    queryKey: ['deliveries', platformId, 'event', eventId],
    enabled: on,
    queryFn: async () =>
      unwrap(await api.GET('/admin/platforms/{platform}/webhooks/deliveries', { params: { path: { platform: platform!.slug }, query: { eventId, limit: 100 } } })).items,
  });
  if (!on || !platform) return null;
  return (
    <>
      <h2>{t('webhooks.deliveries')}</h2>
      <ProblemNote error={deliveries.error} />
      <table data-testid="event-webhooks">
        <tbody>
          {deliveries.data?.map((d) => (
            <tr key={d.id}>
              <td>
                <Link to={`/p/${platform.slug}/webhooks/deliveries/${d.id}`}>{d.id.slice(0, 8)}</Link>
              </td>
              <td>
                <Status value={d.status} />
              </td>
              <td className="num">{d.lastStatusCode ?? '—'}</td>
              <td className="num">{d.attempts}</td>
            </tr>
          ))}
          <EmptyRow show={deliveries.data?.length === 0} cols={4} />
        </tbody>
      </table>
    </>
  );
}
