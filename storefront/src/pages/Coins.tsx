// Coins for live-room gifts: the balance, a few packs and any amount, paid on the payment provider's
// page (the sandbox here) like an order. The top-up being paid is remembered in sessionStorage, so when
// the provider sends the shopper back here (?status=approved) the page follows it until the payment's
// webhook has credited the coins, then offers the way back to the room the shopper came from.
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api.ts';
import { useShop } from '../shop.tsx';
import { useCustomer } from '../session.ts';
import { COINS_KEY, useCoins } from '../coins.ts';
import { formatMoney } from '../../../shared/format.ts';
import { payPage } from './Checkout.tsx';

const PACKS = [60, 300, 980];
const PENDING_KEY = 'souk.store.topUp';
const MAX_COINS = 1_000_000;

export default function Coins() {
  const { t, locale, problem } = useShop();
  const customer = useCustomer();
  const client = useQueryClient();
  const [params] = useSearchParams();
  const room = params.get('room');
  const returned = params.get('status');
  const [pendingId] = useState(() => (returned ? sessionStorage.getItem(PENDING_KEY) : null));
  const [custom, setCustom] = useState('');
  const signedIn = Boolean(customer.data);

  const account = useCoins({ enabled: signedIn });
  const price = account.data?.coinPrice;
  const priceOf = (coins: number) => (price ? formatMoney(coins * price.amount, price.currency, locale) : '');
  const topUp = useQuery({
    queryKey: ['top-up', pendingId],
    enabled: signedIn && pendingId !== null,
    queryFn: async () => unwrap(await api.GET('/store/live/coins/top-ups/{topUpId}', { params: { path: { topUpId: pendingId! } } })),
    // The provider's webhook may land a moment after the shopper is back: look again until it has (a minute at most).
    refetchInterval: (query) => (returned === 'approved' && query.state.data?.status === 'pending' && query.state.dataUpdateCount < 60 ? 1000 : false),
  });
  const paid = topUp.data?.status === 'paid';
  useEffect(() => {
    if (!paid) return;
    sessionStorage.removeItem(PENDING_KEY);
    void client.invalidateQueries({ queryKey: COINS_KEY });
  }, [paid, client]);

  const buy = useMutation({
    mutationFn: async (coins: number) => {
      const back = new URL('/coins', location.origin);
      if (room) back.searchParams.set('room', room);
      const created = unwrap(
        await api.POST('/store/live/coins/top-ups', {
          body: { coins, provider: 'sandbox', returnUrl: back.toString() },
          // One press, one top-up, however often the request is sent.
          headers: { 'idempotency-key': crypto.randomUUID() },
        }),
      );
      if (!created.redirectUrl) throw new Error(t('topUpFailed'));
      sessionStorage.setItem(PENDING_KEY, created.id);
      return payPage(created.redirectUrl);
    },
    onSuccess: (url) => window.location.assign(url),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const coins = Number(custom);
    if (Number.isInteger(coins) && coins >= 1 && coins <= MAX_COINS) buy.mutate(coins);
  };

  if (customer.isLoading) return <p className="muted">{t('loading')}</p>;
  const backLink = room ? <Link to={`/live/${encodeURIComponent(room)}`}>{t('backToRoom')}</Link> : null;
  if (!signedIn) {
    return (
      <section className="narrow">
        <h1>{t('coinsTitle')}</h1>
        <Link to={`/account/sign-in?next=${encodeURIComponent(`/coins${room ? `?room=${encodeURIComponent(room)}` : ''}`)}`}>{t('signInForCoins')}</Link>
      </section>
    );
  }
  return (
    <section className="narrow coins">
      <h1>{t('coinsTitle')}</h1>
      <p>{t('coinsIntro')}</p>
      <div role="status" aria-live="polite" className="order-state">
        {paid ? <p className="ok">{t('topUpPaid', { count: topUp.data!.coins })}</p> : null}
        {pendingId && !paid && returned === 'approved' && topUp.data?.status === 'pending' ? <p>{t('topUpPending')}</p> : null}
        {pendingId && (returned === 'declined' || topUp.data?.status === 'failed') ? <p className="notice">{t('topUpFailed')}</p> : null}
      </div>
      <p className="big-number" data-testid="coins-balance">
        {account.data ? t('coinsBalance', { count: account.data.balance }) : '\u00a0'}
      </p>
      {backLink}
      <ul className="packs" aria-label={t('topUp')}>
        {PACKS.map((coins) => (
          <li key={coins}>
            <button type="button" className="primary" disabled={buy.isPending} onClick={() => buy.mutate(coins)}>
              {t('buyCoins', { count: coins })}
            </button>
            <span className="price">{priceOf(coins)}</span>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="custom-coins">{t('customCoins')}</label>
        <input id="custom-coins" type="number" inputMode="numeric" min={1} max={MAX_COINS} step={1} required value={custom} onChange={(e) => setCustom(e.target.value)} />
        <button type="submit" disabled={buy.isPending}>
          {t('buyCustom')}
        </button>
        <span className="price">{Number(custom) > 0 && Number.isInteger(Number(custom)) ? priceOf(Number(custom)) : ''}</span>
      </form>
      {buy.isError ? <p role="alert">{problem(buy.error)}</p> : null}
      {topUp.isError ? <p role="alert">{problem(topUp.error)}</p> : null}
    </section>
  );
}
