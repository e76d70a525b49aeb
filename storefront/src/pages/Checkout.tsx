// Checkout: a guest gives an e-mail (a signed-in shopper's account is used), everyone a shipping
// address; the order is placed with an idempotency key (a double press or a retry makes one order),
// then the payment starts and the shopper goes to the provider's page, which returns to the order page.
import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, orderHeaders, orderTokenKey, unwrap, type Address, type Cart } from '../api.ts';
import { useShop } from '../shop.tsx';
import { forgetCart, LIVE_ROOM_KEY } from '../cart.ts';
import { useCustomer } from '../session.ts';
import { Totals, WithCart } from './Cart.tsx';
import type { MessageKey } from '../messages.ts';

const FIELDS = ['firstName', 'lastName', 'line1', 'city', 'postalCode', 'country', 'phone'] as const;
type Field = (typeof FIELDS)[number];
const AUTOCOMPLETE: Record<Field, string> = {
  firstName: 'given-name',
  lastName: 'family-name',
  line1: 'address-line1',
  city: 'address-level2',
  postalCode: 'postal-code',
  country: 'country',
  phone: 'tel',
};

/** Where to send the shopper to pay: the sandbox's page on this origin (it is host-independent), any other provider's as given. */
export function payPage(redirectUrl: string): string {
  const url = new URL(redirectUrl);
  return url.pathname.startsWith('/pay/sandbox/') ? `${location.origin}${url.pathname}${url.search}` : redirectUrl;
}

/** Opens (or finds) the order's sandbox payment and answers the page to send the shopper to. */
export async function startPayment(orderId: string): Promise<string> {
  const payment = unwrap(
    await api.POST('/store/orders/{orderId}/payments', {
      params: { path: { orderId } },
      headers: orderHeaders(orderId),
      body: { provider: 'sandbox', returnUrl: `${location.origin}/orders/${orderId}` },
    }),
  );
  return payPage(payment.redirectUrl);
}

function CheckoutForm({ cart }: { cart: Cart }) {
  const { t, problem } = useShop();
  const client = useQueryClient();
  const customer = useCustomer();
  const signedIn = customer.data ?? null;
  const saved = (cart.shippingAddress ?? {}) as Partial<Record<Field, string>>;
  const [email, setEmail] = useState(cart.email ?? '');
  const [address, setAddress] = useState<Record<Field, string>>(() => Object.fromEntries(FIELDS.map((f) => [f, saved[f] ?? ''])) as Record<Field, string>);
  // One key per checkout attempt of this cart version: a double press or a retry after a lost answer finds the same order.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const place = useMutation({
    mutationFn: async () => {
      const path = { cartId: cart.id };
      const shippingAddress = Object.fromEntries(Object.entries({ ...address, country: address.country.trim().toUpperCase() }).filter(([, v]) => v.trim() !== '')) as unknown as Address;
      let current = unwrap(
        await api.PATCH('/store/carts/{cartId}', {
          params: { path },
          body: { ...(signedIn ? {} : { email: email.trim() }), shippingAddress },
        }),
      );
      if (!current.shippingMethod) {
        const options = unwrap(await api.GET('/store/carts/{cartId}/shipping-options', { params: { path } })).items;
        if (options[0]) current = unwrap(await api.PUT('/store/carts/{cartId}/shipping-method', { params: { path }, body: { methodId: options[0].id } }));
      }
      const liveRoomId = localStorage.getItem(LIVE_ROOM_KEY) ?? undefined;
      const order = unwrap(
        await api.POST('/store/carts/{cartId}/checkout', {
          params: { path, header: { 'idempotency-key': idempotencyKey } },
          body: { expectedVersion: current.version, ...(liveRoomId ? { liveRoomId } : {}) },
        }),
      );
      localStorage.removeItem(LIVE_ROOM_KEY);
      localStorage.setItem(orderTokenKey(order.id), order.accessToken);
      forgetCart();
      // The order exists now: a payment that cannot start is retried from the order's page.
      return startPayment(order.id).catch(() => `/orders/${order.id}`);
    },
    onSuccess: (url) => {
      client.setQueryData(['cart'], null);
      window.location.assign(url);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!place.isPending) place.mutate();
  };
  return (
    <form className="checkout" onSubmit={submit}>
      <fieldset>
        <legend>{t('contact')}</legend>
        {signedIn ? (
          <p>{t('signedInAs', { email: signedIn.email })}</p>
        ) : (
          <>
            <label>
              {t('email')}
              <input type="email" required autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
            </label>
            <Link to="/account/sign-in?next=/checkout">{t('orSignIn')}</Link>
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>{t('address')}</legend>
        {FIELDS.map((field) => (
          <label key={field}>
            {t(field as MessageKey)}
            <input
              required={field !== 'phone' && field !== 'lastName'}
              autoComplete={AUTOCOMPLETE[field]}
              value={address[field]}
              maxLength={field === 'country' ? 2 : 200}
              onChange={(e) => setAddress({ ...address, [field]: e.target.value })}
            />
          </label>
        ))}
      </fieldset>
      <Totals totals={cart.totals} currency={cart.currency} />
      {place.isError ? <p role="alert">{problem(place.error)}</p> : null}
      <button type="submit" className="primary" disabled={place.isPending || place.isSuccess}>
        {place.isPending || place.isSuccess ? t('placingOrder') : t('placeOrder')}
      </button>
    </form>
  );
}

export default function Checkout() {
  const { t } = useShop();
  return <WithCart title={t('checkout')} body={CheckoutForm} />;
}
