// The review queue: orders the risk engine held (on_hold), oldest first, each with why it was held (the
// rules that fired, in the policy's words) and, on request, the stored decision with the signals it saw.
// An operator approves one (it becomes payable) or rejects it with a reason (cancelled, stock and coupon
// use returned), each after a confirmation. Support users read the queue but get no action.
import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap, type Order } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { ConfirmButton, Field, Loading, Money, Pager, ProblemNote, When, usePager } from '../components/ui.tsx';

export default function ReviewQueue() {
  const { t } = useI18n();
  const platform = usePlatform();
  const { cursor } = usePager();
  const queue = useQuery({
    queryKey: ['review-queue', platform.id, cursor],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(await api.GET('/admin/platforms/{platform}/orders/review-queue', { params: { path: { platform: platform.slug }, query: { limit: 20, ...(cursor ? { cursor } : {}) } } })),
  });
  return (
    <div className="page">
      <h1>{t('review.title')}</h1>
      <p className="muted">{t('review.help')}</p>
      <ProblemNote error={queue.error} />
      {queue.isLoading ? (
        <Loading />
      ) : (
        <ol className="held" data-testid="review-queue">
          {queue.data?.items.map((order) => (
            <HeldOrder key={order.id} order={order} />
          ))}
          {queue.data?.items.length === 0 && <li className="muted">{t('review.empty')}</li>}
        </ol>
      )}
      <Pager nextCursor={queue.data?.nextCursor} />
    </div>
  );
}

function HeldOrder({ order }: { order: Order }) {
  const { t } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [explain, setExplain] = useState(false);
  const path = { platform: platform.slug, orderId: order.id };
  const done = () => {
    void client.invalidateQueries({ queryKey: ['review-queue', platform.id] });
    void client.invalidateQueries({ queryKey: ['orders', platform.id] });
  };
  const approve = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/platforms/{platform}/orders/{orderId}/approve', { params: { path }, body: note.trim() ? { note: note.trim() } : {} })),
    onSuccess: done,
  });
  const reject = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/platforms/{platform}/orders/{orderId}/reject', { params: { path }, body: { reason: reason.trim() } })),
    onSuccess: done,
  });
  const hold = order.hold;
  return (
    <li data-testid={`held-${order.number}`} aria-label={t('order.title', { number: order.number })}>
      <div className="row">
        <Link to={`/p/${platform.slug}/orders/${order.id}`}>
          <strong>{order.number}</strong>
        </Link>
        <When at={order.createdAt} />
        <span>{order.email ?? '—'}</span>
        <Money amount={order.totals.total} currency={order.currency} />
        {order.couponCode && <span className="mono">{order.couponCode}</span>}
      </div>
      {hold && (
        <div data-testid="hold-reason">
          <p>
            {t('review.heldAt')} <When at={hold.heldAt} /> · {t('risk.point')}: <span className="mono">{hold.point}</span> · {t('risk.score')}: {hold.score}
          </p>
          <ul>
            {hold.rules.map((r) => (
              <li key={r.rule}>
                <span className="mono">{r.rule}</span> (+{r.score}){r.description && ` — ${r.description}`}
              </li>
            ))}
          </ul>
        </div>
      )}
      <button type="button" className="link" aria-expanded={explain} onClick={() => setExplain(!explain)}>
        {explain ? t('review.hideDecision') : t('review.showDecision')}
      </button>
      {explain && platform.modules.includes('risk') && <Decisions orderId={order.id} />}
      {canWrite && (
        <div className="row actions">
          <Field label={t('review.note')}>
            <input value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
          </Field>
          <ConfirmButton label={t('review.approve')} disabled={approve.isPending} question={t('review.confirmApprove', { number: order.number })} onConfirm={() => approve.mutate()} />
          <Field label={t('review.rejectReason')}>
            <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
          </Field>
          <ConfirmButton
            label={t('review.reject')}
            danger
            disabled={reason.trim() === '' || reject.isPending}
            question={t('review.confirmReject', { number: order.number })}
            onConfirm={() => reject.mutate()}
          />
        </div>
      )}
      <ProblemNote error={approve.error ?? reject.error} />
    </li>
  );
}

/** The risk engine's stored decisions about the order (checkout, payment), with the signals each saw. */
function Decisions({ orderId }: { orderId: string }) {
  const { t } = useI18n();
  const platform = usePlatform();
  const decisions = useQuery({
    queryKey: ['risk-decisions', platform.id, 'order', orderId],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/risk/decisions', { params: { path: { platform: platform.slug }, query: { orderId, limit: 10 } } })).items,
  });
  if (decisions.isLoading) return <Loading />;
  return (
    <div data-testid="decision-explanation">
      <ProblemNote error={decisions.error} />
      {decisions.data?.map((d) => (
        <dl key={d.id} className="facts">
          <dt>{t('risk.action')}</dt>
          <dd>
            {t(`risk.${d.action}`)} · {d.point} · <When at={d.decidedAt} />
          </dd>
          <dt>{t('risk.rules')}</dt>
          <dd className="mono">{d.fired.map((f) => `${f.rule} (+${f.score})`).join(', ') || '—'}</dd>
          <dt>{t('review.signals')}</dt>
          <dd className="mono">
            {Object.entries(d.signals)
              .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' · ') || '—'}
          </dd>
        </dl>
      ))}
      {decisions.data?.length === 0 && <p className="muted">{t('empty')}</p>}
    </div>
  );
}
