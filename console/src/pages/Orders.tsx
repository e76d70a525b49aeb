// Orders, newest first, filtered by status, payment status, customer e-mail or customer id; every filter and
// the page are URL parameters, so a filtered list is a link to share.
import { useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap, type Order } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { EmptyRow, Loading, Money, Pager, ProblemNote, Status, When, useUrlFilter, usePager } from '../components/ui.tsx';

const STATUSES: Order['status'][] = ['pending_payment', 'paid', 'fulfilled', 'delivered', 'completed', 'cancelled'];
const PAYMENT_STATUSES: Order['paymentStatus'][] = ['unpaid', 'paid', 'partially_refunded', 'refunded'];

export default function Orders() {
  const { t } = useI18n();
  const platform = usePlatform();
  const [status, setStatus] = useUrlFilter('status');
  const [paymentStatus, setPaymentStatus] = useUrlFilter('paymentStatus');
  const [email, setEmail] = useUrlFilter('email');
  const [customerId, setCustomerId] = useUrlFilter('customerId');
  const { cursor } = usePager();
  const [emailDraft, setEmailDraft] = useState(email);

  const list = useQuery({
    queryKey: ['orders', platform.id, status, paymentStatus, email, customerId, cursor],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      unwrap(
        await api.GET('/admin/platforms/{platform}/orders', {
          params: {
            path: { platform: platform.slug },
            query: {
              limit: 50,
              ...(status ? { status: status as Order['status'] } : {}),
              ...(paymentStatus ? { paymentStatus: paymentStatus as Order['paymentStatus'] } : {}),
              ...(email ? { email } : {}),
              ...(customerId ? { customerId } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
  });

  function searchEmail(event: FormEvent) {
    event.preventDefault();
    setEmail(emailDraft.trim());
  }

  return (
    <div className="page">
      <h1>{t('orders.title')}</h1>
      <form className="row filters" onSubmit={searchEmail}>
        <select aria-label={t('orders.status')} value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">{t('orders.anyStatus')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
        <select aria-label={t('orders.paymentStatus')} value={paymentStatus} onChange={(e) => setPaymentStatus(e.target.value)}>
          <option value="">{t('orders.anyPayment')}</option>
          {PAYMENT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
        <input type="search" aria-label={t('orders.email')} placeholder={t('orders.email')} value={emailDraft} onChange={(e) => setEmailDraft(e.target.value)} />
        <button type="submit">{t('search')}</button>
        {customerId && (
          <button type="button" onClick={() => setCustomerId('')}>
            {t('orders.customerFilter', { id: customerId.slice(0, 8) })} ✕
          </button>
        )}
      </form>
      <ProblemNote error={list.error} />
      {list.isLoading ? (
        <Loading />
      ) : (
        <table data-testid="orders-table">
          <thead>
            <tr>
              <th>{t('orders.number')}</th>
              <th>{t('orders.placed')}</th>
              <th>{t('orders.customer')}</th>
              <th>{t('orders.status')}</th>
              <th>{t('orders.paymentStatus')}</th>
              <th className="num">{t('orders.total')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((o) => (
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
                </td>
              </tr>
            ))}
            <EmptyRow show={list.data?.items.length === 0} cols={6} />
          </tbody>
        </table>
      )}
      <Pager nextCursor={list.data?.nextCursor} />
    </div>
  );
}
