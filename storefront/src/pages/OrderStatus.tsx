// An order's page, where the payment provider sends the shopper back: status and payment state (asked
// again every second while the payment is being confirmed), lines and totals, and a pay button while
// the order waits for payment. A guest reads it with the order token kept at checkout.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useParams, useSearchParams } from 'react-router';
import { api, orderHeaders, unwrap, type Order } from '../api.ts';
import { useShop } from '../shop.tsx';
import { Totals } from './Cart.tsx';
import { startPayment } from './Checkout.tsx';
import { formatMoney } from '../../../shared/format.ts';

export default function OrderStatus() {
  const { orderId = '' } = useParams();
  const [params] = useSearchParams();
  const returned = params.get('status');
  const { t, locale, problem } = useShop();
  const order = useQuery({
    queryKey: ['order', orderId],
    queryFn: async () => unwrap(await api.GET('/store/orders/{orderId}', { params: { path: { orderId } }, headers: orderHeaders(orderId) })),
    // The provider's webhook may land a moment after the shopper is back: look again until it has.
    refetchInterval: (query) => (returned === 'approved' && query.state.data?.status === 'pending_payment' && query.state.dataUpdateCount < 60 ? 1000 : false),
  });
  const pay = useMutation({ mutationFn: () => startPayment(orderId), onSuccess: (url) => window.location.assign(url) });
  if (order.isError) return <p role="alert">{problem(order.error)}</p>;
  const data: Order | undefined = order.data;
  if (!data) return <p className="muted">{t('loading')}</p>;
  const waiting = returned === 'approved' && data.status === 'pending_payment';
  return (
    <article className="order">
      <h1>{t('order', { number: data.number })}</h1>
      <p className="muted">{t('placedOn', { date: new Date(data.createdAt).toLocaleString(locale) })}</p>
      <div role="status" aria-live="polite" className="order-state">
        {data.paymentStatus === 'paid' ? <p className="ok">{t('thanks')}</p> : null}
        {waiting ? <p>{t('waitingForPayment')}</p> : null}
        {returned === 'declined' && data.status === 'pending_payment' ? <p className="notice">{t('paymentDeclined')}</p> : null}
      </div>
      <dl className="facts">
        <dt>{t('orderStatus')}</dt>
        <dd data-testid="order-status">{t(`status_${data.status}`)}</dd>
        <dt>{t('paymentStatus')}</dt>
        <dd data-testid="payment-status">{t(`payment_${data.paymentStatus}`)}</dd>
      </dl>
      <ul className="cart-lines">
        {data.lines.map((line) => (
          <li key={line.id}>
            <div>
              <strong>{line.productTitle}</strong> <span className="muted">{line.title}</span>
            </div>
            <span>× {line.quantity}</span>
            <span className="price">{formatMoney(line.lineTotal, data.currency, locale)}</span>
          </li>
        ))}
      </ul>
      <Totals totals={data.totals} currency={data.currency} />
      {data.status === 'pending_payment' && !waiting ? (
        <button type="button" className="primary" disabled={pay.isPending} onClick={() => pay.mutate()}>
          {t('payNow')}
        </button>
      ) : null}
      {pay.isError ? <p role="alert">{problem(pay.error)}</p> : null}
    </article>
  );
}
