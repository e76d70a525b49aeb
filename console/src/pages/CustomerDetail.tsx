// One customer and their orders (the orders list filtered by customer id).
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { usePlatform } from '../components/Layout.tsx';
import { OrdersTable } from '../components/OrdersTable.tsx';
import { Loading, ProblemNote, When } from '../components/ui.tsx';

export default function CustomerDetail() {
  const { t } = useI18n();
  const platform = usePlatform();
  const { customerId } = useParams();
  const path = { platform: platform.slug };
  const customer = useQuery({
    queryKey: ['customer', platform.id, customerId],
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/customers/{customerId}', { params: { path: { ...path, customerId: customerId! } } })),
  });
  const orders = useQuery({
    queryKey: ['orders', platform.id, 'customer', customerId],
    enabled: customer.isSuccess && platform.modules.includes('orders'),
    queryFn: async () => unwrap(await api.GET('/admin/platforms/{platform}/orders', { params: { path, query: { customerId: customerId!, limit: 50 } } })),
  });
  if (customer.isLoading) return <Loading />;
  return (
    <div className="page">
      <p>
        <Link to={`/p/${platform.slug}/customers`}>← {t('customers.title')}</Link>
      </p>
      <ProblemNote error={customer.error} />
      {customer.data && (
        <>
          <h1>{customer.data.email}</h1>
          <p className="muted">
            {customer.data.name || '—'} · {t('customers.since')} <When at={customer.data.createdAt} />
          </p>
          <h2>{t('orders.title')}</h2>
          <OrdersTable orders={orders.data?.items} testId="customer-orders" />
          {orders.data?.nextCursor && <Link to={`/p/${platform.slug}/orders?customerId=${customerId}`}>{t('customers.allOrders')}</Link>}
        </>
      )}
    </div>
  );
}
