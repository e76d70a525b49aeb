-- A purchase the risk engine wants a person to look at still wins its unit (the buyer is not told "no" at
-- the gate); its ticket keeps the review verdict, and the drain creates the order on_hold with it.
alter table flash_sale_tickets add column hold jsonb;
