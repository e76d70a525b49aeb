// Webhooks: endpoints (the signing secret is shown once, when the endpoint is made), the deliveries with
// their outcome, and sending one again.
import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { ActionForm } from '../components/ActionForm.tsx';
import { EmptyRow, Field, FilterSelect, SecretOnce, Loading, Pager, ProblemNote, Status, When, useUrlFilter, usePager } from '../components/ui.tsx';

type DeliveryStatus = 'pending' | 'failed' | 'succeeded' | 'dead';

export default function Webhooks() {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const client = useQueryClient();
  const path = { platform: platform.slug };
  const [status] = useUrlFilter('status');
  const { cursor } = usePager();
  const endpoints = useQuery({
    queryKey: ['webhooks', platform.id],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/webhooks/endpoints', { params: { path } })).items,
  });
  const deliveries = useQuery({
    queryKey: ['deliveries', platform.id, status, cursor],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET('/admin/platforms/{platform}/webhooks/deliveries', {
          params: { path, query: { limit: 50, ...(status ? { status: status as DeliveryStatus } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });
  const redeliver = useMutation({
    mutationFn: async (deliveryId: string) => unwrap(await api.POST('/admin/platforms/{platform}/webhooks/deliveries/{deliveryId}/redeliver', { params: { path: { ...path, deliveryId } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['deliveries', platform.id] }),
  });
  return (
    <div className="page">
      <h1>{t('nav.webhooks')}</h1>
      <h2>{t('webhooks.endpoints')}</h2>
      <ProblemNote error={endpoints.error} />
      {endpoints.isLoading ? (
        <Loading />
      ) : (
        <table>
          <thead>
            <tr>
              <th>URL</th>
              <th>{t('webhooks.events')}</th>
              <th>{t('orders.status')}</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.data?.map((w) => (
              <tr key={w.id}>
                <td className="mono">{w.url}</td>
                <td>{w.eventTypes.join(', ')}</td>
                <td>
                  <Status value={w.active ? 'active' : 'disabled'} />
                </td>
              </tr>
            ))}
            <EmptyRow show={endpoints.data?.length === 0} cols={3} />
          </tbody>
        </table>
      )}
      {canWrite && <NewEndpoint />}
      <h2>{t('webhooks.deliveries')}</h2>
      <div className="row filters">
        <FilterSelect name="status" label={t('orders.status')} any={t('all')} values={['pending', 'succeeded', 'failed', 'dead']} />
      </div>
      <ProblemNote error={deliveries.error ?? redeliver.error} />
      <table data-testid="deliveries-table">
        <thead>
          <tr>
            <th>{t('order.when')}</th>
            <th>{t('events.event')}</th>
            <th>{t('orders.status')}</th>
            <th className="num">HTTP</th>
            <th className="num">{t('events.attempts')}</th>
            {canWrite && <th />}
          </tr>
        </thead>
        <tbody>
          {deliveries.data?.items.map((d) => (
            <tr key={d.id}>
              <td>
                <Link to={`/p/${platform.slug}/webhooks/deliveries/${d.id}`}>
                  <When at={d.createdAt} />
                </Link>
              </td>
              <td className="mono">{d.eventType}</td>
              <td>
                <Status value={d.status} />
                {d.lastError && <span className="muted"> {d.lastError}</span>}
              </td>
              <td className="num">{d.lastStatusCode ?? '—'}</td>
              <td className="num">{d.attempts}</td>
              {canWrite && (
                <td>
                  <button type="button" disabled={redeliver.isPending} onClick={() => redeliver.mutate(d.id)}>
                    {t('webhooks.resend')}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <Pager nextCursor={deliveries.data?.nextCursor} />
    </div>
  );
}

function NewEndpoint() {
  const { t } = useI18n();
  const platform = usePlatform();
  const client = useQueryClient();
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('order.*');
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/admin/platforms/{platform}/webhooks/endpoints', {
          params: { path: { platform: platform.slug } },
          body: { url, eventTypes: types.split(/[\s,]+/).filter(Boolean) },
        }),
      ),
    onSuccess: () => {
      setUrl('');
      void client.invalidateQueries({ queryKey: ['webhooks', platform.id] });
    },
  });
  return (
    <ActionForm submitLabel={t('webhooks.add')} pending={create.isPending} error={create.error} onSubmit={() => create.mutate()} after={create.data && <SecretOnce secret={create.data.secret} />}>
      <Field label="URL">
        <input type="url" required size={40} value={url} onChange={(e) => setUrl(e.target.value)} />
      </Field>
      <Field label={t('webhooks.events')}>
        <input required value={types} onChange={(e) => setTypes(e.target.value)} />
      </Field>
    </ActionForm>
  );
}
