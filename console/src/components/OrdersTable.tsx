// A table of orders (number, placed, customer, status, payment, total), linking each to its detail: the
// orders list, a customer's orders and the review queue show the same rows.
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Order } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { usePlatform } from './Layout.tsx';
import { EmptyRow, Money, Status, When } from './ui.tsx';

export function OrdersTable({ orders, testId, extra }: { orders: Order[] | undefined; testId?: string; extra?: { header: string; cell(order: Order): ReactNode } }) {
  const { t } = useI18n();
  const platform = usePlatform();
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>{t('orders.number')}</th>
          <th>{t('orders.placed')}</th>
          <th>{t('orders.customer')}</th>
          <th>{t('orders.status')}</th>
          <th>{t('orders.paymentStatus')}</th>
          <th className="num">{t('orders.total')}</th>
          {extra && <th>{extra.header}</th>}
        </tr>
      </thead>
      <tbody>
        {orders?.map((o) => (
          <tr key={o.id}>
            <td>
              <Link to={`/p/${platform.slug}/orders/${o.id}`}>{o.number}</Link>
            </td>
            <td>
              <When at={o.createdAt} />
            </td>
            <td>{o.email ?? '—'}</td>
            <td>
              <Status value={o.status} />
            </td>
            <td>
              <Status value={o.paymentStatus} />
            </td>
            <td className="num">
              <Money amount={o.totals.total} currency={o.currency} />
              {o.couponCode && <span className="muted mono"> · {o.couponCode}</span>}
            </td>
            {extra && <td>{extra.cell(o)}</td>}
          </tr>
        ))}
        <EmptyRow show={orders?.length === 0} cols={extra ? 7 : 6} />
      </tbody>
    </table>
  );
}
