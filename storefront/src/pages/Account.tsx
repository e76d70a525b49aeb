// Account pages: sign in, sign up (both then move a guest cart into the account), and for a signed-in
// shopper their orders, newest first, and sign out.
import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { Link, Navigate, Route, Routes, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap, type Order } from '../api.ts';
import { useShop } from '../shop.tsx';
import { useCustomer, useSignedIn, useSignOut } from '../session.ts';
import { formatMoney } from '../../../shared/format.ts';

function CredentialsForm({ mode }: { mode: 'sign-in' | 'sign-up' }) {
  const { t, problem } = useShop();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const signedIn = useSignedIn();
  const [form, setForm] = useState({ email: '', password: '', name: '' });
  const submit = useMutation({
    mutationFn: async () => {
      const session =
        mode === 'sign-in'
          ? unwrap(await api.POST('/store/auth/login', { body: { email: form.email.trim(), password: form.password } }))
          : unwrap(await api.POST('/store/customers', { body: { email: form.email.trim(), password: form.password, ...(form.name.trim() ? { name: form.name.trim() } : {}) } }));
      await signedIn(session.token);
    },
    onSuccess: () => {
      const next = params.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/account', { replace: true });
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit.mutate();
  };
  const title = t(mode === 'sign-in' ? 'signIn' : 'signUp');
  return (
    <form className="narrow" onSubmit={onSubmit}>
      <h1>{title}</h1>
      {mode === 'sign-up' ? (
        <label>
          {t('name')}
          <input autoComplete="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
      ) : null}
      <label>
        {t('email')}
        <input type="email" required autoComplete="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
      </label>
      <label>
        {t('password')}
        <input
          type="password"
          required
          minLength={mode === 'sign-up' ? 8 : undefined}
          aria-describedby={mode === 'sign-up' ? 'password-hint' : undefined}
          autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.target.value })}
        />
      </label>
      {mode === 'sign-up' ? (
        <p id="password-hint" className="muted">
          {t('passwordHint')}
        </p>
      ) : null}
      {submit.isError ? <p role="alert">{problem(submit.error)}</p> : null}
      <button type="submit" className="primary" disabled={submit.isPending}>
        {title}
      </button>
      <p>
        <Link to={`/account/${mode === 'sign-in' ? 'sign-up' : 'sign-in'}${params.size ? `?${params.toString()}` : ''}`}>{t(mode === 'sign-in' ? 'newHere' : 'haveAccount')}</Link>
      </p>
    </form>
  );
}

function MyOrders() {
  const { t, locale, problem } = useShop();
  const customer = useCustomer();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const orders = useInfiniteQuery({
    queryKey: ['my-orders', customer.data?.id],
    enabled: Boolean(customer.data),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: { items: Order[]; nextCursor: string | null }) => last.nextCursor ?? undefined,
    queryFn: async ({ pageParam }): Promise<{ items: Order[]; nextCursor: string | null }> => unwrap(await api.GET('/store/orders', { params: { query: { limit: 20, ...(pageParam ? { cursor: pageParam } : {}) } } })),
  });
  if (customer.isPending && customer.fetchStatus !== 'idle') return <p className="muted">{t('loading')}</p>;
  if (!customer.data) return <Navigate to="/account/sign-in" replace />;
  const items = orders.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <h1>{t('myOrders')}</h1>
      <p>
        {t('signedInAs', { email: customer.data.email })}{' '}
        <button type="button" className="link" onClick={() => void signOut().then(() => navigate('/'))}>
          {t('signOut')}
        </button>
      </p>
      {orders.isError ? <p role="alert">{problem(orders.error)}</p> : null}
      {orders.isSuccess && items.length === 0 ? <p>{t('noOrders')}</p> : null}
      <ul className="order-list">
        {items.map((order) => (
          <li key={order.id}>
            <Link to={`/orders/${order.id}`}>{t('order', { number: order.number })}</Link>
            <span className="muted">{new Date(order.createdAt).toLocaleDateString(locale)}</span>
            <span>{t(`status_${order.status}`)}</span>
            <span className="price">{formatMoney(order.totals.total, order.currency, locale)}</span>
          </li>
        ))}
      </ul>
      {orders.hasNextPage ? (
        <button type="button" className="secondary" onClick={() => void orders.fetchNextPage()}>
          {t('loadMore')}
        </button>
      ) : null}
    </>
  );
}

export default function Account() {
  return (
    <Routes>
      <Route index element={<MyOrders />} />
      <Route path="sign-in" element={<CredentialsForm key="in" mode="sign-in" />} />
      <Route path="sign-up" element={<CredentialsForm key="up" mode="sign-up" />} />
      <Route path="*" element={<Navigate to="/account" replace />} />
    </Routes>
  );
}
