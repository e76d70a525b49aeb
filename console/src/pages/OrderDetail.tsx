// One order: lines, totals, payments with their refunds, and the history (who, when, why). The actions the
// order's state allows (fulfil, cancel, refund part of the money) ask for confirmation; support users see
// none of them.
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { formatMoney, parseMoney } from '../../../shared/format.ts';
import { useI18n } from '../i18n.tsx';
import type { MessageKey } from '../messages.ts';
import { useSession } from '../session.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { ConfirmButton, Field, Loading, Money, ProblemNote, Status, When } from '../components/ui.tsx';

export default function OrderDetail() {
  const { t, locale } = useI18n();
  const { canWrite } = useSession();
  const platform = usePlatform();
  const { orderId } = useParams();
  const client = useQueryClient();
  const path = { platform: platform.slug, orderId: orderId! };
  const [carrier, setCarrier] = useState('');
  const [tracking, setTracking] = useState('');
  const [cancelReason, setCancelReason] = useState('');
  const [refundAmount, setRefundAmount] = useState('');
  const [refundReason, setRefundReason] = useState('');

  const order = useQuery({
    queryKey: ['order', platform.id, orderId],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/orders/{orderId}', { params: { path } })),
  });
  const payments = useQuery({
    queryKey: ['order-payments', platform.id, orderId],
    enabled: platform.modules.includes('payments') && order.isSuccess,
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/orders/{orderId}/payments', { params: { path } })).items,
  });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['order', platform.id, orderId] });
    void client.invalidateQueries({ queryKey: ['order-payments', platform.id, orderId] });
    void client.invalidateQueries({ queryKey: ['orders', platform.id] });
  };
  const fulfil = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/platforms/{platform}/orders/{orderId}/fulfillment', { params: { path }, body: { carrier, trackingNumber: tracking } })),
    onSuccess: refresh,
  });
  const cancel = useMutation({
    mutationFn: async () => unwrap(await api.POST('/admin/platforms/{platform}/orders/{orderId}/cancel', { params: { path }, body: { reason: cancelReason } })),
    onSuccess: refresh,
  });
  const refund = useMutation({
    mutationFn: async (amount: number) =>
      unwrap(await api.POST('/admin/platforms/{platform}/orders/{orderId}/refunds', { params: { path }, body: { amount, ...(refundReason ? { reason: refundReason } : {}) } })),
    onSuccess: () => {
      setRefundAmount('');
      setRefundReason('');
      refresh();
    },
  });

  if (order.isLoading) return <Loading />;
  if (order.error || !order.data) {
    return (
      <div className="page" data-testid="order-missing">
        <p>
          <Link to={`/p/${platform.slug}/orders`}>← {t('orders.title')}</Link>
        </p>
        <ProblemNote error={order.error} />
      </div>
    );
  }
  const o = order.data;
  const refundable = o.paidAmount - o.refundedAmount;
  const refundMinor = parseMoney(refundAmount, o.currency);
  const canFulfil = o.allowedTransitions.includes('fulfilled');
  const canCancel = o.allowedTransitions.includes('cancelled');

  return (
    <div className="page">
      <p>
        <Link to={`/p/${platform.slug}/orders`}>← {t('orders.title')}</Link>
      </p>
      <div className="row head">
        <h1>{t('order.title', { number: o.number })}</h1>
        <Status value={o.status} />
        <Status value={o.paymentStatus} />
      </div>
      <p className="muted">
        <When at={o.createdAt} /> · {o.email ?? '—'}
        {o.customerId && (
          <>
            {' '}
            · <Link to={`/p/${platform.slug}/customers/${o.customerId}`}>{t('order.customer')}</Link>
          </>
        )}
        {o.couponCode && ` · ${t('order.coupon')}: ${o.couponCode}`}
      </p>

      <section>
        <h2>{t('order.lines')}</h2>
        <table>
          <thead>
            <tr>
              <th>{t('products.product')}</th>
              <th>SKU</th>
              <th className="num">{t('order.qty')}</th>
              <th className="num">{t('order.unitPrice')}</th>
              <th className="num">{t('orders.total')}</th>
            </tr>
          </thead>
          <tbody>
            {o.lines.map((l) => (
              <tr key={l.id}>
                <td>
                  {l.productTitle}
                  {l.title && l.title !== l.productTitle ? ` · ${l.title}` : ''}
                </td>
                <td className="mono">{l.sku}</td>
                <td className="num">{l.quantity}</td>
                <td className="num">
                  <Money amount={l.unitPrice} currency={o.currency} />
                </td>
                <td className="num">
                  <Money amount={l.lineTotal} currency={o.currency} />
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            {(
              [
                ['order.subtotal', o.totals.subtotal],
                ['order.discount', -o.totals.discount],
                ['order.shipping', o.totals.shipping],
                ['order.tax', o.totals.tax],
                ['orders.total', o.totals.total],
                ['order.paid', o.paidAmount],
                ['order.refunded', o.refundedAmount],
              ] as const
            ).map(([label, amount]) => (
              <tr key={label}>
                <td colSpan={4} className="num">
                  {t(label)}
                </td>
                <td className="num" data-testid={`total-${label}`}>
                  <Money amount={amount} currency={o.currency} />
                </td>
              </tr>
            ))}
          </tfoot>
        </table>
      </section>

      {canWrite && (canFulfil || canCancel || refundable > 0) && (
        <section className="actions">
          <h2>{t('order.actions')}</h2>
          {canFulfil && (
            <div className="row">
              <Field label={t('order.carrier')}>
                <input name="carrier" value={carrier} onChange={(e) => setCarrier(e.target.value)} />
              </Field>
              <Field label={t('order.tracking')}>
                <input name="tracking" value={tracking} onChange={(e) => setTracking(e.target.value)} />
              </Field>
              <ConfirmButton
                label={t('order.fulfil')}
                disabled={!carrier || !tracking || fulfil.isPending}
                question={t('order.confirmFulfil', { number: o.number })}
                onConfirm={() => fulfil.mutate()}
              />
              <ProblemNote error={fulfil.error} />
            </div>
          )}
          {refundable > 0 && (
            <div className="row">
              <Field label={t('order.refundAmount', { max: '' })}>
                <input name="refund-amount" inputMode="decimal" value={refundAmount} onChange={(e) => setRefundAmount(e.target.value)} />
              </Field>
              <Field label={t('order.reason')}>
                <input name="refund-reason" value={refundReason} onChange={(e) => setRefundReason(e.target.value)} />
              </Field>
              <ConfirmButton
                label={t('order.refund')}
                danger
                disabled={refundMinor === null || refundMinor <= 0 || refundMinor > refundable || refund.isPending}
                question={t('order.confirmRefund', { amount: refundAmount, currency: o.currency, number: o.number })}
                onConfirm={() => refundMinor !== null && refund.mutate(refundMinor)}
              />
              <span className="muted">
                {t('order.refundable')}: <Money amount={refundable} currency={o.currency} />
              </span>
              <ProblemNote error={refund.error} />
            </div>
          )}
          {canCancel && (
            <div className="row">
              <Field label={t('order.reason')}>
                <input name="cancel-reason" value={cancelReason} onChange={(e) => setCancelReason(e.target.value)} />
              </Field>
              <ConfirmButton
                label={t('order.cancel')}
                danger
                disabled={!cancelReason || cancel.isPending}
                question={t('order.confirmCancel', { number: o.number })}
                onConfirm={() => cancel.mutate()}
              />
              <ProblemNote error={cancel.error} />
            </div>
          )}
        </section>
      )}

      {payments.data && payments.data.length > 0 && (
        <section>
          <h2>{t('order.payments')}</h2>
          <table>
            <thead>
              <tr>
                <th>{t('order.provider')}</th>
                <th>{t('orders.status')}</th>
                <th className="num">{t('order.amount')}</th>
                <th className="num">{t('order.refunded')}</th>
                <th>{t('order.when')}</th>
              </tr>
            </thead>
            <tbody>
              {payments.data.flatMap((p) => [
                <tr key={p.id}>
                  <td>{p.provider}</td>
                  <td>
                    <Status value={p.status} />
                  </td>
                  <td className="num">
                    <Money amount={p.amount} currency={p.currency} />
                  </td>
                  <td className="num">
                    <Money amount={p.refundedAmount} currency={p.currency} />
                  </td>
                  <td>
                    <When at={p.createdAt} />
                  </td>
                </tr>,
                ...p.refunds.map((r) => (
                  <tr key={r.id} className="sub">
                    <td>↳ {t('order.refund')}</td>
                    <td>
                      <Status value={r.status} />
                    </td>
                    <td className="num">
                      <Money amount={r.amount} currency={r.currency} />
                    </td>
                    <td>{r.reason}</td>
                    <td>
                      <When at={r.createdAt} />
                    </td>
                  </tr>
                )),
              ])}
            </tbody>
          </table>
        </section>
      )}

      <section>
        <h2>{t('order.history')}</h2>
        <ol className="history" data-testid="history">
          {(o.history ?? []).map((h) => (
            <li key={h.id} data-kind={h.kind}>
              <When at={h.at} /> · <strong>{historyLine(h, t, (amount) => formatMoney(amount, o.currency, locale))}</strong> · <span className="muted">{h.actor}</span>
              {h.reason && <span> · {h.reason}</span>}
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}

type T = ReturnType<typeof useI18n>['t'];

function historyLine(
  h: { kind: string; fromStatus: string | null; toStatus: string | null; data: Record<string, unknown> },
  t: T,
  money: (minor: number) => string,
): string {
  const status = (s: string | null) => (s ? t(`status.${s}` as MessageKey) : '—');
  if (h.kind === 'refund') return t('history.refund', { amount: typeof h.data.amount === 'number' ? money(h.data.amount) : '?' });
  if (h.kind === 'payment') return t('history.payment');
  if (h.toStatus === 'fulfilled') return t('history.fulfilled', { carrier: String(h.data.carrier ?? ''), tracking: String(h.data.trackingNumber ?? '') });
  if (h.toStatus) return t('history.status', { from: status(h.fromStatus), to: status(h.toStatus) });
  return h.kind;
}
