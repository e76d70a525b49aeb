// The cart: lines with their quantities, a coupon, the shipping method, and totals exactly as the
// server computed them (the page never adds money up itself).
import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap, type Cart } from '../api.ts';
import { useShop } from '../shop.tsx';
import { useCart, useSetCart } from '../cart.ts';
import { formatMoney } from '../../../shared/format.ts';

/** Totals as the server computed them, in the cart's or order's own currency. */
export function Totals({ totals, currency }: { totals: Cart['totals']; currency: string }) {
  const { t, locale } = useShop();
  const money = (minor: number) => formatMoney(minor, currency, locale);
  return (
    <dl className="totals">
      <dt>{t('subtotal')}</dt>
      <dd>{money(totals.subtotal)}</dd>
      {totals.discount > 0 ? (
        <>
          <dt>{t('discount')}</dt>
          <dd>−{money(totals.discount)}</dd>
        </>
      ) : null}
      <dt>{t('shipping')}</dt>
      <dd>{money(totals.shipping)}</dd>
      <dt>{totals.taxIncluded ? t('taxIncluded') : t('tax')}</dt>
      <dd>{money(totals.tax)}</dd>
      <dt className="total">{t('total')}</dt>
      <dd className="total" data-testid="cart-total">
        {money(totals.total)}
      </dd>
    </dl>
  );
}

function CartBody({ cart }: { cart: Cart }) {
  const { t, money, problem } = useShop();
  const setCart = useSetCart();
  const [code, setCode] = useState('');
  const path = { cartId: cart.id };
  const change = useMutation({
    mutationFn: async (step: () => Promise<Cart>) => step(),
    onSuccess: (next) => setCart(next),
  });
  const options = useQuery({
    queryKey: ['shipping-options', cart.id, cart.version],
    queryFn: async () => unwrap(await api.GET('/store/carts/{cartId}/shipping-options', { params: { path } })).items,
  });
  const applyCoupon = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = code.trim();
    if (trimmed) change.mutate(async () => unwrap(await api.PUT('/store/carts/{cartId}/coupon', { params: { path }, body: { code: trimmed } })));
  };
  const coupon = cart.coupon;
  return (
    <div className="cart-layout">
      <ul className="cart-lines" aria-label={t('cart')}>
        {cart.lines.map((line) => (
          <li key={line.id}>
            <div>
              <strong>{line.productTitle}</strong>
              <span className="muted"> {line.title}</span>
              {line.priceChanged ? <p className="notice">{t('priceChanged')}</p> : null}
            </div>
            <label className="quantity">
              <span className="visually-hidden">{t('quantityOf', { title: `${line.productTitle} ${line.title}` })}</span>
              <input
                type="number"
                min={1}
                max={100}
                defaultValue={line.quantity}
                key={`${line.id}-${line.quantity}`}
                onBlur={(e) => {
                  const quantity = Number(e.target.value);
                  if (Number.isInteger(quantity) && quantity >= 1 && quantity !== line.quantity) {
                    change.mutate(async () => unwrap(await api.PATCH('/store/carts/{cartId}/lines/{lineId}', { params: { path: { ...path, lineId: line.id } }, body: { quantity } })));
                  }
                }}
              />
            </label>
            <span className="price">{money(line.lineTotal)}</span>
            <button type="button" className="link" onClick={() => change.mutate(async () => unwrap(await api.DELETE('/store/carts/{cartId}/lines/{lineId}', { params: { path: { ...path, lineId: line.id } } })))}>
              {t('remove')}
            </button>
          </li>
        ))}
      </ul>
      <aside className="summary">
        <form onSubmit={applyCoupon} className="inline-form">
          <label htmlFor="coupon-code">{t('coupon')}</label>
          <input id="coupon-code" value={code} onChange={(e) => setCode(e.target.value)} autoCapitalize="characters" />
          <button type="submit" disabled={change.isPending}>
            {t('applyCoupon')}
          </button>
        </form>
        {coupon ? (
          <p className={'error' in coupon ? 'notice' : 'ok'} role="status">
            {'error' in coupon ? t('error_coupon', { detail: coupon.error.detail }) : t('couponApplied', { code: coupon.code, amount: money(coupon.discount) })}{' '}
            <button type="button" className="link" onClick={() => change.mutate(async () => unwrap(await api.DELETE('/store/carts/{cartId}/coupon', { params: { path } })))}>
              {t('removeCoupon')}
            </button>
          </p>
        ) : null}
        <fieldset className="option">
          <legend>{t('shippingMethod')}</legend>
          {(options.data ?? []).map((option) => (
            <label key={option.id} className="choice wide">
              <input
                type="radio"
                name="shipping-method"
                checked={cart.shippingMethod?.id === option.id}
                onChange={() => change.mutate(async () => unwrap(await api.PUT('/store/carts/{cartId}/shipping-method', { params: { path }, body: { methodId: option.id } })))}
              />
              <span>
                {option.name} · {money(option.amount)}
                {option.freeOver !== null ? <span className="muted"> ({t('freeOver', { amount: money(option.freeOver) })})</span> : null}
              </span>
            </label>
          ))}
        </fieldset>
        {change.isError ? <p role="alert">{problem(change.error)}</p> : null}
        <Totals totals={cart.totals} currency={cart.currency} />
        <Link to="/checkout" className="button primary">
          {t('checkout')}
        </Link>
      </aside>
    </div>
  );
}

/** The page's heading, then the cart's state: loading, failed, empty, or `body` with the cart's lines. */
export function WithCart({ title, body: Body }: { title: string; body: (props: { cart: Cart }) => ReactNode }) {
  const { t, problem } = useShop();
  const cart = useCart();
  return (
    <>
      <h1>{title}</h1>
      {cart.isError ? <p role="alert">{problem(cart.error)}</p> : null}
      {cart.isPending ? <p className="muted">{t('loading')}</p> : null}
      {cart.isSuccess && (!cart.data || cart.data.lines.length === 0) ? (
        <p>
          {t('cartEmpty')} <Link to="/">{t('continueShopping')}</Link>
        </p>
      ) : null}
      {cart.data && cart.data.lines.length > 0 ? <Body cart={cart.data} /> : null}
    </>
  );
}

export default function CartPage() {
  const { t } = useShop();
  return <WithCart title={t('cart')} body={CartBody} />;
}
