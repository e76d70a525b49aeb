// Flash sales: the countdown runs on the server's clock (the offset from the serverTime of each answer),
// and the buy button is honest under load: disabled while its one request is out (one request per
// press), then the ticket's status until its order exists, then straight to payment. Sold out and the
// per-customer limit are states of the button, not errors.
import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap, SoukProblemError } from '../api.ts';
import { useShop, type Shop } from '../shop.tsx';
import { useCustomer } from '../session.ts';
import { startPayment } from './Checkout.tsx';
import { formatMoney } from '../../../shared/format.ts';
import type { components } from '../../../sdk/index.ts';

type Sale = components['schemas']['StoreFlashSale'];
type SaleItem = Sale['items'][number];

/** Now on the server's clock, ticking four times a second. */
function useServerNow(offsetMs: number): number {
  const [now, setNow] = useState(() => Date.now() + offsetMs);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now() + offsetMs), 250);
    return () => clearInterval(timer);
  }, [offsetMs]);
  return now;
}

/** The server clock's lead over this browser's, from an answer's serverTime and the request's round trip. */
function offsetOf(serverTime: string, sentAt: number): number {
  const receivedAt = Date.now();
  return Date.parse(serverTime) - (sentAt + receivedAt) / 2;
}

function duration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${h > 0 ? `${h}:` : ''}${pad(m)}:${pad(s)}`;
}

type BuyState =
  | { kind: 'idle' }
  | { kind: 'sending' }
  | { kind: 'ticket'; ticketId: string }
  | { kind: 'paying' }
  | { kind: 'sold_out' }
  | { kind: 'limit' }
  | { kind: 'message'; text: string };

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Follows a won ticket until its order exists (or it failed), then opens the payment. */
async function followTicket(ticketId: string, shop: Shop): Promise<BuyState> {
  for (;;) {
    const ticket = unwrap(await api.GET('/store/flash-sales/tickets/{ticketId}', { params: { path: { ticketId } } }));
    if (ticket.status === 'ordered' && ticket.orderId) {
      window.location.assign(await startPayment(ticket.orderId));
      return { kind: 'paying' };
    }
    if (ticket.status === 'failed' || ticket.status === 'cancelled') return { kind: 'message', text: shop.t('purchaseFailed', { reason: ticket.failureReason ?? ticket.status }) };
    await sleep(500);
  }
}

function BuyButton({ sale, item, live }: { sale: Sale; item: SaleItem; live: boolean }) {
  const shop = useShop();
  const { t } = shop;
  const customer = useCustomer();
  const [state, setState] = useState<BuyState>(item.remaining <= 0 ? { kind: 'sold_out' } : { kind: 'idle' });
  const inFlight = useRef(false);
  const press = async () => {
    // One request per press: a second press while one is out does nothing (the button is disabled too).
    if (inFlight.current) return;
    inFlight.current = true;
    setState({ kind: 'sending' });
    try {
      const answer = unwrap(await api.POST('/store/flash-sales/{saleId}/purchase', { params: { path: { saleId: sale.id } }, body: { variantId: item.variantId, quantity: 1 } }));
      setState({ kind: 'ticket', ticketId: answer.ticketId });
      setState(await followTicket(answer.ticketId, shop));
    } catch (error) {
      if (error instanceof SoukProblemError && error.code === 'sold_out') setState({ kind: 'sold_out' });
      else if (error instanceof SoukProblemError && error.code === 'limit_reached') setState({ kind: 'limit' });
      else if (error instanceof SoukProblemError && (error.status === 429 || error.status === 503)) setState({ kind: 'message', text: t('busy') });
      else setState({ kind: 'message', text: shop.problem(error) });
    } finally {
      inFlight.current = false;
    }
  };
  if (!customer.data) {
    return (
      <Link className="button primary" to={`/account/sign-in?next=${encodeURIComponent(`/flash-sales/${sale.id}`)}`}>
        {t('signInToBuy')}
      </Link>
    );
  }
  const busy = state.kind === 'sending' || state.kind === 'ticket' || state.kind === 'paying';
  const closed = state.kind === 'sold_out' || state.kind === 'limit';
  const label = state.kind === 'sending' ? t('grabbing') : state.kind === 'sold_out' ? t('soldOut') : t('grab');
  return (
    <div className="flash-buy">
      <button type="button" className="primary" disabled={!live || busy || closed} onClick={() => void press()}>
        {label}
      </button>
      <p role="status" aria-live="polite" className="status-line" data-testid="flash-status">
        {state.kind === 'ticket' ? t('waitingForOrder') : null}
        {state.kind === 'paying' ? t('goToPayment') : null}
        {state.kind === 'sold_out' ? t('soldOut') : null}
        {state.kind === 'limit' ? t('limitReached') : null}
        {state.kind === 'message' ? state.text : null}
      </p>
    </div>
  );
}

function SaleView({ sale, offsetMs }: { sale: Sale; offsetMs: number }) {
  const { t, locale } = useShop();
  const now = useServerNow(offsetMs);
  const startsIn = Date.parse(sale.startsAt) - now;
  const endsIn = Date.parse(sale.endsAt) - now;
  const live = sale.phase !== 'cancelled' && startsIn <= 0 && endsIn > 0;
  return (
    <section className="flash-sale" aria-labelledby={`sale-${sale.id}`}>
      <h2 id={`sale-${sale.id}`}>{sale.name}</h2>
      <p className="countdown" aria-live="off" data-testid="countdown">
        {startsIn > 0 ? t('startsIn', { time: duration(startsIn) }) : endsIn > 0 ? t('endsIn', { time: duration(endsIn) }) : t('saleEnded')}
      </p>
      {sale.perCustomerLimit !== null ? <p className="muted">{t('limitPerCustomer', { count: sale.perCustomerLimit })}</p> : null}
      <ul className="flash-items">
        {sale.items.map((item) => (
          <li key={item.variantId}>
            <div>
              <strong>{item.productTitle}</strong> <span className="muted">{item.title}</span>
            </div>
            <span className="price">{formatMoney(item.salePrice, item.currency, locale)}</span>
            <span className="muted">{t('remaining', { count: Math.max(0, item.remaining) })}</span>
            <BuyButton sale={sale} item={item} live={live} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function FlashSales() {
  const { saleId } = useParams();
  const { t, problem } = useShop();
  const sales = useQuery({
    queryKey: ['flash-sales', saleId ?? 'all'],
    // Only while nobody is pressing: a refetch would not reset a button's state, but fresher "remaining" helps.
    refetchInterval: 10_000,
    queryFn: async () => {
      const sentAt = Date.now();
      if (saleId) {
        const one = unwrap(await api.GET('/store/flash-sales/{saleId}', { params: { path: { saleId } } }));
        return { items: [one.sale], offsetMs: offsetOf(one.serverTime, sentAt) };
      }
      const all = unwrap(await api.GET('/store/flash-sales'));
      return { items: all.items, offsetMs: offsetOf(all.serverTime, sentAt) };
    },
  });
  return (
    <>
      <h1>{t('flashSales')}</h1>
      {sales.isError ? <p role="alert">{problem(sales.error)}</p> : null}
      {sales.isPending ? <p className="muted">{t('loading')}</p> : null}
      {sales.data && sales.data.items.length === 0 ? <p>{t('noFlashSales')}</p> : null}
      {sales.data?.items.map((sale) => <SaleView key={sale.id} sale={sale} offsetMs={sales.data.offsetMs} />)}
    </>
  );
}
