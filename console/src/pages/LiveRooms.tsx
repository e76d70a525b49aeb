// Live rooms: scheduled, live and ended rooms with their viewers and likes (refreshed every 5 s), a form to
// schedule one, and starting or ending a room (confirmed).
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { ActionForm } from '../components/ActionForm.tsx';
import { ConfirmButton, EmptyRow, Field, FilterSelect, Loading, ProblemNote, Status, When, useUrlFilter } from '../components/ui.tsx';

type RoomState = 'scheduled' | 'live' | 'ended';

export default function LiveRooms() {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const client = useQueryClient();
  const [state] = useUrlFilter('state');
  const path = { platform: platform.slug };
  const rooms = useQuery({
    queryKey: ['rooms', platform.id, state],
    refetchInterval: 5000,
    queryFn: async () =>
      unwrap(await api.GET('/admin/platforms/{platform}/live/rooms', { params: { path, query: { limit: 100, ...(state ? { state: state as RoomState } : {}) } } })).items,
  });
  const change = useMutation({
    mutationFn: async ({ roomId, to }: { roomId: string; to: 'start' | 'end' }) =>
      to === 'start'
        ? unwrap(await api.POST('/admin/platforms/{platform}/live/rooms/{roomId}/start', { params: { path: { ...path, roomId } } }))
        : unwrap(await api.POST('/admin/platforms/{platform}/live/rooms/{roomId}/end', { params: { path: { ...path, roomId } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['rooms', platform.id] }),
  });
  return (
    <div className="page">
      <h1>{t('nav.live')}</h1>
      <div className="row filters">
        <FilterSelect name="state" label={t('orders.status')} any={t('all')} values={['scheduled', 'live', 'ended']} />
      </div>
      <ProblemNote error={rooms.error ?? change.error} />
      {rooms.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="rooms-table">
          <thead>
            <tr>
              <th>{t('live.room')}</th>
              <th>{t('live.scheduled')}</th>
              <th>{t('orders.status')}</th>
              <th className="num">{t('live.viewers')}</th>
              <th className="num">{t('live.likes')}</th>
              {canWrite && <th />}
            </tr>
          </thead>
          <tbody>
            {rooms.data?.map((r) => (
              <tr key={r.id}>
                <td>{r.title}</td>
                <td>{r.scheduledAt ? <When at={r.scheduledAt} /> : '—'}</td>
                <td>
                  <Status value={r.state} />
                </td>
                <td className="num">{r.viewers}</td>
                <td className="num">{r.likes}</td>
                {canWrite && (
                  <td>
                    {r.state === 'scheduled' && (
                      <ConfirmButton label={t('live.start')} question={t('live.confirmStart', { title: r.title })} onConfirm={() => change.mutate({ roomId: r.id, to: 'start' })} />
                    )}
                    {r.state === 'live' && (
                      <ConfirmButton label={t('live.end')} danger question={t('live.confirmEnd', { title: r.title })} onConfirm={() => change.mutate({ roomId: r.id, to: 'end' })} />
                    )}
                  </td>
                )}
              </tr>
            ))}
            <EmptyRow show={rooms.data?.length === 0} cols={6} />
          </tbody>
        </table>
      )}
      {canWrite && <NewRoom />}
    </div>
  );
}

function NewRoom() {
  const { t } = useI18n();
  const platform = usePlatform();
  const client = useQueryClient();
  const [title, setTitle] = useState('');
  const [scheduledAt, setScheduledAt] = useState('');
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/admin/platforms/{platform}/live/rooms', {
          params: { path: { platform: platform.slug } },
          body: { title, ...(scheduledAt ? { scheduledAt: new Date(scheduledAt).toISOString() } : {}) },
        }),
      ),
    onSuccess: () => {
      setTitle('');
      void client.invalidateQueries({ queryKey: ['rooms', platform.id] });
    },
  });
  return (
    <ActionForm title={t('live.new')} submitLabel={t('create')} pending={create.isPending} error={create.error} onSubmit={() => create.mutate()}>
      <Field label={t('live.room')}>
        <input required value={title} onChange={(e) => setTitle(e.target.value)} />
      </Field>
      <Field label={t('live.scheduled')}>
        <input type="datetime-local" value={scheduledAt} onChange={(e) => setScheduledAt(e.target.value)} />
      </Field>
    </ActionForm>
  );
}
