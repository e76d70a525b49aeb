// An independent consistency check of the commerce tables (inventory, orders, promotions, payments),
// written in SQL only: it imports nothing from src/, so a bug in the services cannot hide itself here.
// Run it against a stopped or a live database (it reads one REPEATABLE READ snapshot, so a live shop is
// seen at one instant):
//
//   node --import tsx scripts/check-commerce.ts <DATABASE_URL | pglite-data-dir> [platform-slug]
//        [--initial-stock=stock.json] [--grace=SECONDS]
//
// or import `checkCommerce(urlOrQueryable, { platform })` for a report. Exit code 0: consistent; 1: the
// issues are listed; 2: usage or connection error. A PGlite data directory may only be read while no
// Souk process has it open.
//
// What "consistent" means, per platform:
//   levels      0 <= reserved <= on_hand; reserved = the sum of the level's lines in active reservations
//   ledger      on_hand = the sum of the level's ledger deltas (set/adjust/commit all record the change);
//               each committed reservation has commit rows for exactly its lines, and nothing else does
//   initial     (with --initial-stock) on_hand per variant = initial − committed units + units put back
//               for cancelled paid orders (ledger adjust rows whose reference is the order)
//   orders      one order per cart and per order_checkouts row (orders placed from a cart), each order has
//               lines and its reservation
//               holds exactly its lines (summed per variant); pending_payment: that reservation is the
//               one active reservation of the order; paid/fulfilled/delivered/completed: committed;
//               cancelled: released or expired, or committed and put back on hand when it had been paid
//   cartless    an order without a cart (a flash-sale ticket drained into an order) says where it came from
//               (orders.source with a kind), has no checkout row, and one source ticket makes one order; a
//               flash_sale order's ticket (flash_sale_tickets, when that table exists) names that order
//   reservations an active reservation whose reference is an order id belongs to a pending order; one
//               whose reference is not an order (admin holds) is listed under orphans, not as an issue
//   timers      a pending order still has its unpaid timer (or its fired event not yet handled), and is
//               not past its payment deadline by more than the grace; an active hold is not past expiry
//   coupons     times_used = active redemptions <= usage_limit; each live order with a coupon has exactly
//               one active redemption of that coupon for its discount; cancelled or missing orders none
//   payments    paid orders have paid_amount = total and one succeeded payment of the total that was not
//               refunded as not payable; pending orders have no succeeded payment; every succeeded
//               payment of a cancelled order is refunded in full (pending or succeeded refunds)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

/** What the checker needs from a connection: positional-parameter SQL returning rows. */
export interface SqlReader {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Issue {
  platform: string;
  check: string;
  subject: string;
  detail: string;
}

export interface PlatformStats {
  orders: Record<string, number>;
  activeReservations: number;
  couponUses: number;
  succeededPayments: number;
}

export interface CommerceReport {
  ok: boolean;
  checkedAt: string;
  platforms: Record<string, PlatformStats>;
  issues: Issue[];
  /** Active reservations whose reference is not an order of the platform (admin holds): listed, not failed. */
  orphans: Issue[];
}

export interface CheckOptions {
  /** A platform slug; all platforms when omitted. */
  platform?: string;
  /** Units per variant id (summed over locations) before any sale, to check on_hand against sales. */
  initialStock?: Record<string, number>;
  /** How long past its deadline a pending order or an active hold may be before it is an issue. Default 300 s. */
  graceSeconds?: number;
}

type Check = (p: string, ctx: Ctx) => Promise<void>;
interface Ctx {
  q: SqlReader;
  issue(check: string, subject: string, detail: string): void;
  orphan(subject: string, detail: string): void;
  options: CheckOptions;
}

const PAID_STATUSES = ['paid', 'fulfilled', 'delivered', 'completed'];

const checks: Record<string, Check> = {
  async levels(p, { q, issue }) {
    const bad = await q.query<{ variant_id: string; location_id: string; on_hand: number; reserved: number }>(
      `select variant_id, location_id, on_hand, reserved from inventory_levels
       where platform_id = $1 and not (on_hand >= 0 and reserved >= 0 and reserved <= on_hand)`,
      [p],
    );
    for (const r of bad) issue('level_range', `level ${r.variant_id}/${r.location_id}`, `on_hand ${r.on_hand}, reserved ${r.reserved}: needs 0 <= reserved <= on_hand`);
    const sums = await q.query<{ variant_id: string; location_id: string; reserved: number | null; held: number | null }>(
      `with held as (
         select l.variant_id, l.location_id, sum(l.quantity)::int as held
         from inventory_reservation_lines l
         join inventory_reservations r on r.platform_id = l.platform_id and r.id = l.reservation_id
         where l.platform_id = $1 and r.status = 'active'
         group by l.variant_id, l.location_id)
       select coalesce(v.variant_id, h.variant_id) as variant_id, coalesce(v.location_id, h.location_id) as location_id, v.reserved, h.held
       from (select variant_id, location_id, reserved from inventory_levels where platform_id = $1) v
       full join held h on h.variant_id = v.variant_id and h.location_id = v.location_id
       where coalesce(v.reserved, 0) <> coalesce(h.held, 0)`,
      [p],
    );
    for (const r of sums) {
      issue('level_reserved', `level ${r.variant_id}/${r.location_id}`, `reserved is ${r.reserved ?? '(no level row)'} but active reservations hold ${r.held ?? 0}`);
    }
  },

  async ledger(p, { q, issue }) {
    const bad = await q.query<{ variant_id: string; location_id: string; on_hand: number | null; ledger: number | null }>(
      `with ledger as (
         select variant_id, location_id, sum(delta)::int as total from inventory_ledger where platform_id = $1 group by variant_id, location_id)
       select coalesce(v.variant_id, g.variant_id) as variant_id, coalesce(v.location_id, g.location_id) as location_id, v.on_hand, g.total as ledger
       from (select variant_id, location_id, on_hand from inventory_levels where platform_id = $1) v
       full join ledger g on g.variant_id = v.variant_id and g.location_id = v.location_id
       where coalesce(v.on_hand, 0) <> coalesce(g.total, 0)`,
      [p],
    );
    for (const r of bad) issue('ledger_on_hand', `level ${r.variant_id}/${r.location_id}`, `on_hand is ${r.on_hand ?? '(no level row)'} but the ledger's deltas sum to ${r.ledger ?? 0}`);
    // Commit rows are labelled "reservation <id>" by the inventory module; they must mirror the lines.
    const commits = await q.query<{ reservation_id: string; variant_id: string; location_id: string; status: string | null; lines: number | null; ledger: number | null }>(
      `with lines as (
         select r.id::text as reservation_id, l.variant_id, l.location_id, sum(l.quantity)::int as q
         from inventory_reservations r join inventory_reservation_lines l on l.platform_id = r.platform_id and l.reservation_id = r.id
         where r.platform_id = $1 and r.status = 'committed' group by 1, 2, 3),
       ledger as (
         select substr(actor_label, 13) as reservation_id, variant_id, location_id, -sum(delta)::int as q
         from inventory_ledger where platform_id = $1 and kind = 'commit' group by 1, 2, 3)
       select coalesce(a.reservation_id, b.reservation_id) as reservation_id, coalesce(a.variant_id, b.variant_id) as variant_id,
              coalesce(a.location_id, b.location_id) as location_id, a.q as lines, b.q as ledger,
              (select status from inventory_reservations r where r.platform_id = $1 and r.id::text = coalesce(a.reservation_id, b.reservation_id)) as status
       from lines a full join ledger b on b.reservation_id = a.reservation_id and b.variant_id = a.variant_id and b.location_id = a.location_id
       where coalesce(a.q, 0) <> coalesce(b.q, 0)`,
      [p],
    );
    for (const r of commits) {
      issue('ledger_commit', `reservation ${r.reservation_id}`, `${r.status ?? 'missing'} reservation: lines ${r.lines ?? 0} of ${r.variant_id}/${r.location_id}, ledger commit rows ${r.ledger ?? 0}`);
    }
  },

  async initialStock(p, { q, issue, options }) {
    const initial = options.initialStock;
    if (!initial) return;
    const rows = await q.query<{ variant_id: string; on_hand: number; committed: number; restocked: number }>(
      `with ids as (select unnest($2::uuid[]) as variant_id)
       select ids.variant_id,
         coalesce((select sum(on_hand)::int from inventory_levels v where v.platform_id = $1 and v.variant_id = ids.variant_id), 0) as on_hand,
         coalesce((select sum(l.quantity)::int from inventory_reservation_lines l join inventory_reservations r on r.platform_id = l.platform_id and r.id = l.reservation_id
                   where l.platform_id = $1 and l.variant_id = ids.variant_id and r.status = 'committed'), 0) as committed,
         coalesce((select sum(g.delta)::int from inventory_ledger g join orders o on o.platform_id = g.platform_id and o.id::text = g.reference
                   where g.platform_id = $1 and g.variant_id = ids.variant_id and g.kind = 'adjust' and o.status = 'cancelled'), 0) as restocked
       from ids`,
      [p, Object.keys(initial)],
    );
    for (const r of rows) {
      const expected = initial[r.variant_id]! - r.committed + r.restocked;
      if (r.on_hand !== expected) {
        issue('initial_stock', `variant ${r.variant_id}`, `on_hand ${r.on_hand}, expected ${expected} (initial ${initial[r.variant_id]} − committed ${r.committed} + restocked ${r.restocked})`);
      }
    }
  },

  async orders(p, { q, issue }) {
    const carts = await q.query<{ cart_id: string; n: number }>(
      'select cart_id, count(*)::int as n from orders where platform_id = $1 and cart_id is not null group by cart_id having count(*) > 1',
      [p],
    );
    for (const r of carts) issue('one_order_per_cart', `cart ${r.cart_id}`, `${r.n} orders were placed from one cart`);
    const checkouts = await q.query<{ order_id: string; key: string | null; number: string | null; n: number }>(
      `select coalesce(c.order_id, o.id) as order_id, c.scope || '/' || c.idempotency_key as key, o.number,
              count(*) over (partition by coalesce(c.order_id, o.id))::int as n
       from (select * from order_checkouts where platform_id = $1) c
       full join (select id, number from orders where platform_id = $1 and cart_id is not null) o on o.id = c.order_id`,
      [p],
    );
    for (const r of checkouts) {
      if (r.number === null) issue('checkout_order', `checkout ${r.key}`, `points at order ${r.order_id}, which does not exist or has no cart`);
      else if (r.key === null) issue('checkout_order', `order ${r.number}`, 'has no order_checkouts row (every order comes from one checkout)');
      else if (r.n > 1) issue('checkout_order', `order ${r.number}`, `${r.n} checkout rows point at it`);
    }
    const carted = await q.query<{ number: string; cart_id: string; status: string | null; completed_order_id: string | null }>(
      `select o.number, o.cart_id, c.status, c.completed_order_id from orders o
       left join carts c on c.platform_id = o.platform_id and c.id = o.cart_id
       where o.platform_id = $1 and o.cart_id is not null and (c.id is null or c.status <> 'completed' or c.completed_order_id <> o.id)`,
      [p],
    );
    for (const r of carted) issue('cart_completed', `order ${r.number}`, `its cart ${r.cart_id} is ${r.status ?? 'missing'} (completed by ${r.completed_order_id ?? 'nothing'})`);
    const lineless = await q.query<{ number: string }>(
      `select o.number from orders o where o.platform_id = $1 and not exists (select 1 from order_lines l where l.platform_id = $1 and l.order_id = o.id)`,
      [p],
    );
    for (const r of lineless) issue('order_lines', `order ${r.number}`, 'has no lines');
  },

  async cartless(p, { q, issue }) {
    // Orders placed without a cart come from somewhere else (today: a flash-sale ticket, drained later).
    const sourceless = await q.query<{ number: string }>(
      `select number from orders where platform_id = $1 and cart_id is null and (source is null or coalesce(source ->> 'kind', '') = '')`,
      [p],
    );
    for (const r of sourceless) issue('order_source', `order ${r.number}`, 'has neither a cart nor a source: nothing explains where it came from');
    const twice = await q.query<{ kind: string; ticket: string; n: number; numbers: string }>(
      `select source ->> 'kind' as kind, source ->> 'ticketId' as ticket, count(*)::int as n, string_agg(number, ', ' order by number) as numbers
       from orders where platform_id = $1 and cart_id is null and source ->> 'ticketId' is not null
       group by 1, 2 having count(*) > 1`,
      [p],
    );
    for (const r of twice) issue('one_order_per_source', `${r.kind} ticket ${r.ticket}`, `${r.n} orders were made from one ticket (${r.numbers})`);
    const [tickets] = await q.query<{ present: boolean }>(`select to_regclass('flash_sale_tickets') is not null as present`);
    if (!tickets?.present) return;
    // Each flash-sale order is the order of its ticket, and each ordered ticket's order exists and is its own.
    const saleOrders = await q.query<{ number: string; ticket: string | null; t_status: string | null; t_order: string | null; id: string }>(
      `select o.id, o.number, o.source ->> 'ticketId' as ticket, t.status as t_status, t.order_id::text as t_order
       from orders o left join flash_sale_tickets t on t.platform_id = o.platform_id and t.id::text = o.source ->> 'ticketId'
       where o.platform_id = $1 and o.source ->> 'kind' = 'flash_sale'`,
      [p],
    );
    for (const r of saleOrders) {
      if (!r.t_status) issue('sale_ticket', `order ${r.number}`, `made from flash-sale ticket ${r.ticket ?? '(none)'}, which does not exist`);
      else if (r.t_order !== r.id) issue('sale_ticket', `order ${r.number}`, `its ticket ${r.ticket} (${r.t_status}) names order ${r.t_order ?? 'none'}`);
    }
    const ordered = await q.query<{ id: string; order_id: string | null }>(
      `select t.id, t.order_id from flash_sale_tickets t
       left join orders o on o.platform_id = t.platform_id and o.id = t.order_id and o.source ->> 'ticketId' = t.id::text
       where t.platform_id = $1 and t.status = 'ordered' and o.id is null`,
      [p],
    );
    for (const r of ordered) issue('sale_ticket', `ticket ${r.id}`, `ordered, but order ${r.order_id ?? '(none)'} does not exist or was not made from it`);
  },

  async orderReservations(p, { q, issue }) {
    const rows = await q.query<{ number: string; status: string; reservation_id: string | null; r_status: string | null; r_reference: string | null; id: string; paid_amount: string }>(
      `select o.id, o.number, o.status, o.reservation_id, o.paid_amount::text, r.status as r_status, r.reference as r_reference
       from orders o left join inventory_reservations r on r.platform_id = o.platform_id and r.id = o.reservation_id
       where o.platform_id = $1`,
      [p],
    );
    for (const r of rows) {
      const subject = `order ${r.number}`;
      if (!r.reservation_id) {
        issue('order_reservation', subject, 'has no reservation');
        continue;
      }
      if (!r.r_status) {
        issue('order_reservation', subject, `its reservation ${r.reservation_id} does not exist`);
        continue;
      }
      if (r.r_reference !== r.id) issue('order_reservation', subject, `its reservation ${r.reservation_id} is for "${r.r_reference}", not the order`);
      const wanted =
        r.status === 'pending_payment' ? ['active'] : r.status === 'cancelled' ? (Number(r.paid_amount) > 0 ? ['released', 'expired', 'committed'] : ['released', 'expired']) : ['committed'];
      if (!wanted.includes(r.r_status)) issue('order_reservation', subject, `${r.status} but its reservation is ${r.r_status} (expected ${wanted.join(' or ')})`);
    }
    // Exactly one active reservation per pending order, and it is the order's own.
    const pending = await q.query<{ number: string; n: number; own: boolean }>(
      `select o.number, count(r.id)::int as n, coalesce(bool_or(r.id = o.reservation_id), false) as own
       from orders o left join inventory_reservations r on r.platform_id = o.platform_id and r.reference = o.id::text and r.status = 'active'
       where o.platform_id = $1 and o.status = 'pending_payment' group by o.number`,
      [p],
    );
    for (const r of pending) {
      if (r.n !== 1 || !r.own) issue('pending_reservation', `order ${r.number}`, `pending_payment with ${r.n} active reservation(s)${r.n > 0 && !r.own ? ', none of them its own' : ''}`);
    }
    // The reservation holds what the order sold, summed per variant (a reservation sums cart lines).
    const lines = await q.query<{ number: string; variant_id: string; ordered: number | null; held: number | null }>(
      `with ol as (
         select order_id, variant_id, sum(quantity)::int as q from order_lines where platform_id = $1 group by order_id, variant_id),
       rl as (
         select o.id as order_id, l.variant_id, sum(l.quantity)::int as q
         from orders o join inventory_reservation_lines l on l.platform_id = o.platform_id and l.reservation_id = o.reservation_id
         where o.platform_id = $1 group by o.id, l.variant_id)
       select o.number, coalesce(ol.variant_id, rl.variant_id) as variant_id, ol.q as ordered, rl.q as held
       from ol full join rl on rl.order_id = ol.order_id and rl.variant_id = ol.variant_id
       join orders o on o.platform_id = $1 and o.id = coalesce(ol.order_id, rl.order_id)
       where o.reservation_id is not null and coalesce(ol.q, 0) <> coalesce(rl.q, 0)`,
      [p],
    );
    for (const r of lines) issue('reservation_lines', `order ${r.number}`, `variant ${r.variant_id}: ordered ${r.ordered ?? 0}, reservation holds ${r.held ?? 0}`);
    // A paid order cancelled afterwards had its committed units put back with adjust rows naming the order.
    const restock = await q.query<{ number: string; variant_id: string; committed: number | null; restocked: number | null }>(
      `with c as (
         select o.id, l.variant_id, sum(l.quantity)::int as q from orders o
         join inventory_reservations r on r.platform_id = o.platform_id and r.id = o.reservation_id and r.status = 'committed'
         join inventory_reservation_lines l on l.platform_id = r.platform_id and l.reservation_id = r.id
         where o.platform_id = $1 and o.status = 'cancelled' group by o.id, l.variant_id),
       g as (
         select o.id, g.variant_id, sum(g.delta)::int as q from orders o
         join inventory_ledger g on g.platform_id = o.platform_id and g.reference = o.id::text and g.kind = 'adjust'
         where o.platform_id = $1 and o.status = 'cancelled' group by o.id, g.variant_id)
       select o.number, coalesce(c.variant_id, g.variant_id) as variant_id, c.q as committed, g.q as restocked
       from c full join g on g.id = c.id and g.variant_id = c.variant_id
       join orders o on o.platform_id = $1 and o.id = coalesce(c.id, g.id)
       where coalesce(c.q, 0) <> coalesce(g.q, 0)`,
      [p],
    );
    for (const r of restock) issue('cancel_restock', `order ${r.number}`, `cancelled after payment: ${r.committed ?? 0} unit(s) of ${r.variant_id} were committed, ${r.restocked ?? 0} put back`);
  },

  async activeReservations(p, { q, issue, orphan, options }) {
    const rows = await q.query<{ id: string; reference: string; number: string | null; status: string | null; overdue: boolean }>(
      `select r.id, r.reference, o.number, o.status, r.expires_at < now() - make_interval(secs => $2) as overdue
       from inventory_reservations r left join orders o on o.platform_id = r.platform_id and o.id::text = r.reference
       where r.platform_id = $1 and r.status = 'active'`,
      [p, options.graceSeconds ?? 300],
    );
    for (const r of rows) {
      if (r.number === null) orphan(`reservation ${r.id}`, `active, reference "${r.reference}" is not an order of this platform`);
      else if (r.status !== 'pending_payment') issue('active_reservation', `reservation ${r.id}`, `active for order ${r.number}, which is ${r.status}`);
      if (r.overdue) issue('reservation_overdue', `reservation ${r.id}`, 'still active long after its hold expired (its expiry timer did not run)');
    }
  },

  async timers(p, { q, issue, options }) {
    const rows = await q.query<{ number: string; timer: boolean; waiting: boolean; handled: boolean; overdue: boolean; dead: boolean }>(
      `select o.number,
         exists (select 1 from event_timers t where t.id = o.timeout_timer_id) as timer,
         exists (select 1 from event_outbox e where e.type = 'order.payment_timeout' and e.key = o.id::text)
           or exists (select 1 from event_log e where e.type = 'order.payment_timeout' and e.key = o.id::text
                      and not exists (select 1 from event_inbox i where i.consumer = 'orders.unpaid-timeout' and i.event_id = e.id)) as waiting,
         exists (select 1 from event_log e join event_inbox i on i.consumer = 'orders.unpaid-timeout' and i.event_id = e.id
                 where e.type = 'order.payment_timeout' and e.key = o.id::text) as handled,
         exists (select 1 from event_dead_letters d where d.consumer = 'orders.unpaid-timeout' and d.status = 'dead' and d.event->'payload'->>'orderId' = o.id::text) as dead,
         o.payment_due_at < now() - make_interval(secs => $2) as overdue
       from orders o where o.platform_id = $1 and o.status = 'pending_payment'`,
      [p, options.graceSeconds ?? 300],
    );
    for (const r of rows) {
      const subject = `order ${r.number}`;
      if (r.dead) issue('unpaid_timer', subject, 'its unpaid timeout is a dead letter');
      else if (r.handled && !r.waiting && !r.timer) issue('unpaid_timer', subject, 'pending_payment although its unpaid timeout was handled');
      else if (!r.timer && !r.waiting && !r.handled) issue('unpaid_timer', subject, 'pending_payment with no unpaid timer and no timeout event: it would never be cancelled');
      if (r.overdue) issue('unpaid_overdue', subject, 'still pending_payment long after its payment deadline');
    }
  },

  async coupons(p, { q, issue }) {
    const counts = await q.query<{ code: string; times_used: number; usage_limit: number | null; active: number }>(
      `select c.code, c.times_used, c.usage_limit,
         (select count(*)::int from promotions_redemptions r where r.platform_id = $1 and r.coupon_id = c.id and r.status = 'active') as active
       from promotions_coupons c where c.platform_id = $1`,
      [p],
    );
    for (const r of counts) {
      if (r.times_used !== r.active) issue('coupon_uses', `coupon ${r.code}`, `times_used ${r.times_used} but ${r.active} active redemption(s)`);
      if (r.usage_limit !== null && r.times_used > r.usage_limit) issue('coupon_uses', `coupon ${r.code}`, `times_used ${r.times_used} over the limit ${r.usage_limit}`);
    }
    const redemptions = await q.query<{ id: string; order_id: string; number: string | null; status: string | null }>(
      `select r.id, r.order_id, o.number, o.status from promotions_redemptions r
       left join orders o on o.platform_id = r.platform_id and o.id::text = r.order_id
       where r.platform_id = $1 and r.status = 'active' and (o.id is null or o.status = 'cancelled')`,
      [p],
    );
    for (const r of redemptions) {
      issue('coupon_redemption', `redemption ${r.id}`, r.number ? `active for order ${r.number}, which is cancelled` : `active for "${r.order_id}", which is not an order`);
    }
    const orders = await q.query<{ number: string; coupon_code: string; discount_total: string; n: number; matching: number; amount: number | null }>(
      `select o.number, o.coupon_code, o.discount_total::text, count(r.id)::int as n,
         count(r.id) filter (where lower(c.code) = lower(o.coupon_code))::int as matching, min(r.amount) as amount
       from orders o
       left join promotions_redemptions r on r.platform_id = o.platform_id and r.order_id = o.id::text and r.status = 'active'
       left join promotions_coupons c on c.platform_id = r.platform_id and c.id = r.coupon_id
       where o.platform_id = $1 and o.coupon_code is not null and o.status <> 'cancelled'
       group by o.number, o.coupon_code, o.discount_total`,
      [p],
    );
    for (const r of orders) {
      if (r.n !== 1 || r.matching !== 1) issue('order_coupon', `order ${r.number}`, `uses coupon ${r.coupon_code} but has ${r.n} active redemption(s), ${r.matching} of that coupon`);
      else if (String(r.amount) !== r.discount_total) issue('order_coupon', `order ${r.number}`, `discount ${r.discount_total} but its redemption is for ${r.amount}`);
    }
  },

  async payments(p, { q, issue }) {
    const rows = await q.query<{ number: string; status: string; total: string; paid_amount: string; kept: number; kept_total: string | null; succeeded: number; unrefunded: number }>(
      `with pay as (
         select y.order_id, y.id, y.captured_amount, y.refunded_amount,
           coalesce((select sum(f.amount) from payment_refunds f where f.platform_id = y.platform_id and f.payment_id = y.id and f.kind = 'not_payable' and f.status <> 'failed'), 0) as not_payable
         from payments y where y.platform_id = $1 and y.status = 'succeeded')
       select o.number, o.status, o.total::text, o.paid_amount::text,
         count(pay.id) filter (where pay.not_payable < pay.captured_amount)::int as kept,
         sum(pay.captured_amount) filter (where pay.not_payable < pay.captured_amount)::text as kept_total,
         count(pay.id)::int as succeeded,
         count(pay.id) filter (where pay.refunded_amount < pay.captured_amount)::int as unrefunded
       from orders o left join pay on pay.order_id = o.id
       where o.platform_id = $1 group by o.number, o.status, o.total, o.paid_amount`,
      [p],
    );
    for (const r of rows) {
      const subject = `order ${r.number}`;
      if (PAID_STATUSES.includes(r.status)) {
        if (r.paid_amount !== r.total) issue('paid_amount', subject, `${r.status} with paid_amount ${r.paid_amount}, total ${r.total}`);
        if (r.kept !== 1 || r.kept_total !== r.total) issue('paid_payment', subject, `${r.status} but ${r.kept} succeeded payment(s) kept, capturing ${r.kept_total ?? 0} of ${r.total}`);
      } else if (r.status === 'pending_payment') {
        if (r.succeeded > 0) issue('pending_payment_captured', subject, `pending_payment although ${r.succeeded} payment(s) succeeded`);
        if (r.paid_amount !== '0') issue('paid_amount', subject, `pending_payment with paid_amount ${r.paid_amount}`);
      } else if (r.status === 'cancelled' && r.unrefunded > 0) {
        issue('cancelled_refund', subject, `cancelled with ${r.unrefunded} succeeded payment(s) not refunded in full`);
      }
    }
  },
};

async function statsOf(q: SqlReader, p: string): Promise<PlatformStats> {
  const orders = await q.query<{ status: string; n: number }>('select status, count(*)::int as n from orders where platform_id = $1 group by status', [p]);
  const [one] = await q.query<{ active: number; uses: number; paid: number }>(
    `select (select count(*)::int from inventory_reservations where platform_id = $1 and status = 'active') as active,
            (select count(*)::int from promotions_redemptions where platform_id = $1 and status = 'active') as uses,
            (select count(*)::int from payments where platform_id = $1 and status = 'succeeded') as paid`,
    [p],
  );
  return {
    orders: Object.fromEntries(orders.map((r) => [r.status, r.n])),
    activeReservations: one?.active ?? 0,
    couponUses: one?.uses ?? 0,
    succeededPayments: one?.paid ?? 0,
  };
}

async function runChecks(q: SqlReader, options: CheckOptions): Promise<CommerceReport> {
  const platforms = await q.query<{ id: string; slug: string }>(
    `select id, slug from platforms ${options.platform ? 'where slug = $1' : ''} order by slug`,
    options.platform ? [options.platform] : [],
  );
  if (options.platform && platforms.length === 0) throw new Error(`There is no platform "${options.platform}".`);
  const report: CommerceReport = { ok: true, checkedAt: new Date().toISOString(), platforms: {}, issues: [], orphans: [] };
  for (const platform of platforms) {
    const ctx: Ctx = {
      q,
      options,
      issue: (check, subject, detail) => report.issues.push({ platform: platform.slug, check, subject, detail }),
      orphan: (subject, detail) => report.orphans.push({ platform: platform.slug, check: 'orphan_reservation', subject, detail }),
    };
    for (const check of Object.values(checks)) await check(platform.id, ctx);
    report.platforms[platform.slug] = await statsOf(q, platform.id);
  }
  report.ok = report.issues.length === 0;
  return report;
}

const SNAPSHOT = 'begin isolation level repeatable read read only';

/**
 * Checks one database: a PostgreSQL URL (its own connection, one snapshot), or an open reader such as
 * Souk's `database` (on PostgreSQL the statements may then see different instants: check a quiet shop).
 */
export async function checkCommerce(source: string | SqlReader, options: CheckOptions = {}): Promise<CommerceReport> {
  if (typeof source !== 'string') return runChecks(source, options);
  if (/^postgres(ql)?:\/\//.test(source)) {
    const client = new pg.Client({ connectionString: source });
    await client.connect();
    try {
      await client.query(SNAPSHOT);
      const reader: SqlReader = { query: async <T>(text: string, params?: readonly unknown[]) => (await client.query(text, params as unknown[])).rows as T[] };
      return await runChecks(reader, options);
    } finally {
      await client.query('rollback').catch(() => undefined);
      await client.end();
    }
  }
  // A PGlite data directory (the embedded engine), read in this process.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(source);
  try {
    await db.query(SNAPSHOT);
    return await runChecks({ query: async <T>(text: string, params?: readonly unknown[]) => (await db.query<T>(text, params as unknown[])).rows }, options);
  } finally {
    await db.query('rollback').catch(() => undefined);
    await db.close();
  }
}

/** The report as lines a person reads. */
export function formatReport(report: CommerceReport): string {
  const out: string[] = [];
  for (const [slug, s] of Object.entries(report.platforms)) {
    const orders = Object.entries(s.orders).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    out.push(`${slug}: orders ${orders}; active reservations ${s.activeReservations}; coupon uses ${s.couponUses}; succeeded payments ${s.succeededPayments}`);
  }
  for (const o of report.orphans) out.push(`  orphan  [${o.platform}] ${o.subject}: ${o.detail}`);
  for (const i of report.issues) out.push(`  ISSUE   [${i.platform}] ${i.check} — ${i.subject}: ${i.detail}`);
  out.push(report.ok ? `OK: no inconsistency in ${Object.keys(report.platforms).length} platform(s).` : `FAILED: ${report.issues.length} inconsistency(ies).`);
  return out.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const flags = argv.filter((a) => a.startsWith('--'));
  const [source, platform] = argv.filter((a) => !a.startsWith('--'));
  if (!source) {
    console.error('usage: node --import tsx scripts/check-commerce.ts <DATABASE_URL | pglite-data-dir> [platform-slug] [--initial-stock=file.json] [--grace=seconds]');
    return 2;
  }
  const options: CheckOptions = platform ? { platform } : {};
  for (const flag of flags) {
    const [name, value = ''] = flag.slice(2).split('=', 2) as [string, string?];
    if (name === 'initial-stock') options.initialStock = JSON.parse(readFileSync(value, 'utf8')) as Record<string, number>;
    else if (name === 'grace' && /^\d+$/.test(value)) options.graceSeconds = Number(value);
    else {
      console.error(`unknown option ${flag}`);
      return 2;
    }
  }
  try {
    const report = await checkCommerce(source, options);
    console.log(formatReport(report));
    return report.ok ? 0 : 1;
  } catch (error) {
    console.error(`check-commerce: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
