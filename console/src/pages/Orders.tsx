// Orders, newest first, filtered by status, payment status, the days they were placed (in the browser's
// time zone), coupon code, customer e-mail or customer id; every filter and the page are URL parameters,
// so a filtered list is a link to share.
import { useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, getToken, unwrap, type Order } from '../api.ts';
import { fromBoot } from '../boot.ts';
import { dayStartIso } from '../../../shared/format.ts';
import { useI18n } from '../i18n.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { OrdersTable } from '../components/OrdersTable.tsx';
import { Field, FilterSelect, Loading, Pager, ProblemNote, useUrlFilter, usePager } from '../components/ui.tsx';

const STATUSES: Order['status'][] = ['on_hold', 'pending_payment', 'paid', 'fulfilled', 'delivered', 'completed', 'cancelled'];
const PAYMENT_STATUSES: Order['paymentStatus'][] = ['unpaid', 'paid', 'partially_refunded', 'refunded'];

/** The list query of the orders page for its URL filters: what the page asks the API. */
export function ordersQuery(filters: { status: string; paymentStatus: string; email: string; customerId: string; from: string; to: string; coupon: string; cursor: string | undefined }) {
  const createdFrom = dayStartIso(filters.from);
  const createdTo = dayStartIso(filters.to, true);
  return {
    limit: 50,
    ...(filters.status ? { status: filters.status as Order['status'] } : {}),
    ...(filters.paymentStatus ? { paymentStatus: filters.paymentStatus as Order['paymentStatus'] } : {}),
    ...(filters.email ? { email: filters.email } : {}),
    ...(filters.customerId ? { customerId: filters.customerId } : {}),
    ...(createdFrom ? { createdFrom } : {}),
    ...(createdTo ? { createdTo } : {}),
    ...(filters.coupon ? { coupon: filters.coupon } : {}),
    ...(filters.cursor ? { cursor: filters.cursor } : {}),
  };
}

export default function Orders() {
  const { t } = useI18n();
  const platform = usePlatform();
  const [status] = useUrlFilter('status');
  const [paymentStatus] = useUrlFilter('paymentStatus');
  const [email, setEmail] = useUrlFilter('email');
  const [customerId, setCustomerId] = useUrlFilter('customerId');
  const [from, setFrom] = useUrlFilter('from');
  const [to, setTo] = useUrlFilter('to');
  const [coupon, setCoupon] = useUrlFilter('coupon');
  const { cursor } = usePager();
  const [emailDraft, setEmailDraft] = useState(email);
  const [couponDraft, setCouponDraft] = useState(coupon);
  const query = ordersQuery({ status, paymentStatus, email, customerId, from, to, coupon, cursor });

  const list = useQuery({
    queryKey: ['orders', platform.id, query],
    placeholderData: keepPreviousData,
    queryFn: async () => {
      const call = async () => unwrap(await api.GET('/admin/platforms/{platform}/orders', { params: { path: { platform: platform.slug }, query } }));
      // The unfiltered first page may have been fetched by public/boot.js while the app was starting.
      return Object.keys(query).length === 1 ? fromBoot(`orders:${platform.slug}`, getToken(), call) : call();
    },
  });

  function search(event: FormEvent) {
    event.preventDefault();
    setEmail(emailDraft.trim());
    setCoupon(couponDraft.trim());
  }

  return (
    <div className="page">
      <h1>{t('orders.title')}</h1>
      <form className="row filters" onSubmit={search} aria-label={t('orders.filters')}>
        <FilterSelect name="status" label={t('orders.status')} any={t('orders.anyStatus')} values={STATUSES} />
        <FilterSelect name="paymentStatus" label={t('orders.paymentStatus')} any={t('orders.anyPayment')} values={PAYMENT_STATUSES} />
        <Field label={t('orders.from')}>
          <input type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <Field label={t('orders.to')}>
          <input type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
        </Field>
        <Field label={t('orders.coupon')}>
          <input type="search" size={12} value={couponDraft} onChange={(e) => setCouponDraft(e.target.value)} />
        </Field>
        <Field label={t('orders.email')}>
          <input type="search" value={emailDraft} onChange={(e) => setEmailDraft(e.target.value)} />
        </Field>
        <button type="submit">{t('search')}</button>
        {customerId && (
          <button type="button" onClick={() => setCustomerId('')}>
            {t('orders.customerFilter', { id: customerId.slice(0, 8) })} ✕
          </button>
        )}
      </form>
      <ProblemNote error={list.error} />
      {list.isLoading ? <Loading /> : <OrdersTable orders={list.data?.items} testId="orders-table" />}
      <Pager nextCursor={list.data?.nextCursor} />
    </div>
  );
}
