// One webhook delivery: where it went, the body it sent, the last response (status, time, the first KB of
// the body) and every attempt, and sending it again (confirmed) for users who may write.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { ConfirmButton, EmptyRow, Loading, ProblemNote, Status, When } from '../components/ui.tsx';

export default function DeliveryDetail() {
  const { t } = useI18n();
  const { canWrite, isOwner } = useSession();
  const platform = usePlatform();
  const client = useQueryClient();
  const { deliveryId } = useParams();
  const path = { platform: platform.slug, deliveryId: deliveryId! };
  const delivery = useQuery({
    queryKey: ['delivery', platform.id, deliveryId],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/webhooks/deliveries/{deliveryId}', { params: { path } })),
  });
  const endpoints = useQuery({
    queryKey: ['webhooks', platform.id],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/webhooks/endpoints', { params: { path: { platform: platform.slug } } })).items,
  });
  const resend = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/platforms/{platform}/webhooks/deliveries/{deliveryId}/redeliver', { params: { path } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['delivery', platform.id, deliveryId] });
      void client.invalidateQueries({ queryKey: ['deliveries', platform.id] });
    },
  });
  if (delivery.isLoading) return <Loading />;
  const d = delivery.data;
  const endpoint = d && endpoints.data?.find((e) => e.id === d.endpointId);
  return (
    <div className="page" data-testid="delivery-detail">
      <p>
        <Link to={`/p/${platform.slug}/webhooks`}>← {t('nav.webhooks')}</Link>
      </p>
      <ProblemNote error={delivery.error ?? resend.error} />
      {d && (
        <>
          <h1>
            {t('webhooks.delivery')} <span className="mono">{d.eventType}</span>
          </h1>
          <dl className="facts">
            <dt>{t('orders.status')}</dt>
            <dd>
              <Status value={d.status} />
            </dd>
            <dt>URL</dt>
            <dd className="mono">{endpoint?.url ?? d.endpointId}</dd>
            <dt>{t('events.event')}</dt>
            <dd className="mono">{isOwner ? <Link to={`/p/${platform.slug}/events/${d.eventId}`}>{d.eventId}</Link> : d.eventId}</dd>
            <dt>{t('webhooks.created')}</dt>
            <dd>
              <When at={d.createdAt} />
            </dd>
            <dt>{t('events.attempts')}</dt>
            <dd>{d.attempts}</dd>
            <dt>{t('webhooks.nextAttempt')}</dt>
            <dd>{d.nextAttemptAt ? <When at={d.nextAttemptAt} /> : '—'}</dd>
            <dt>{t('webhooks.lastResponse')}</dt>
            <dd data-testid="last-response">
              {d.lastStatusCode ?? '—'}
              {d.lastLatencyMs !== null && <span className="muted"> · {d.lastLatencyMs} ms</span>}
              {d.lastError && <span className="muted"> · {d.lastError}</span>}
            </dd>
          </dl>
          {d.responseExcerpt && <pre className="json">{d.responseExcerpt}</pre>}
          {canWrite && (
            <ConfirmButton label={t('webhooks.resend')} disabled={resend.isPending} question={t('webhooks.confirmResend', { type: d.eventType })} onConfirm={() => resend.mutate()} />
          )}
          {resend.isSuccess && <p role="status">{t('webhooks.resent')}</p>}
          <h2>{t('webhooks.request')}</h2>
          <pre className="json" data-testid="request-body">
            {JSON.stringify(d.payload, null, 2)}
          </pre>
          <h2>{t('webhooks.attemptLog')}</h2>
          <table data-testid="attempts-table">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>{t('order.when')}</th>
                <th>{t('orders.status')}</th>
                <th className="num">HTTP</th>
                <th className="num">ms</th>
                <th>{t('webhooks.response')}</th>
              </tr>
            </thead>
            <tbody>
              {d.attemptLog.map((a) => (
                <tr key={`${a.attempt}-${a.attemptedAt}`}>
                  <td className="num">{a.attempt}</td>
                  <td>
                    <When at={a.attemptedAt} />
                  </td>
                  <td>
                    <Status value={a.outcome} />
                  </td>
                  <td className="num">{a.statusCode ?? '—'}</td>
                  <td className="num">{a.latencyMs}</td>
                  <td className="mono">{a.error ?? a.responseExcerpt ?? ''}</td>
                </tr>
              ))}
              <EmptyRow show={d.attemptLog.length === 0} cols={6} />
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
