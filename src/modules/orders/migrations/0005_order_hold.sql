-- Orders held for review: the risk engine's "review" verdict creates a checkout's (or a flash-sale
-- ticket's) order on_hold. A held order keeps its stock and coupon use but cannot be paid or shipped until
-- an admin approves it (→ pending_payment) or rejects it (→ cancelled, stock and coupon use returned).
-- `hold` keeps the decision that held it (id, level, score, the rules that fired and the reason in words),
-- and stays after the review so the order still says why it was held.
alter table orders drop constraint orders_status_check;
alter table orders add constraint orders_status_check
  check (status in ('on_hold', 'pending_payment', 'paid', 'fulfilled', 'delivered', 'completed', 'cancelled'));
alter table orders add column hold jsonb;
-- The review queue reads held orders oldest first; few orders are ever held, so the index stays small.
create index orders_on_hold on orders (platform_id, id) where status = 'on_hold';
