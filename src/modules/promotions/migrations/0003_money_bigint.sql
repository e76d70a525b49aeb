-- Money is 64-bit end to end (see kernel/money.ts): a fixed coupon's amount, its minimum subtotal and the
-- discount a redemption gave are bigint like the cart and order amounts they are compared with.
alter table promotions_coupons
  alter column amount type bigint,
  alter column min_subtotal type bigint;
alter table promotions_redemptions alter column amount type bigint;
