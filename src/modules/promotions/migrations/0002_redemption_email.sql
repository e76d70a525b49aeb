-- A per-customer allowance counts a use against the customer's id and against the normalised email the
-- order was placed with, so a guest checkout with an account's email cannot take that account's use again
-- (and an account cannot take a use its email already took as a guest). customer_key stays as it was.
alter table promotions_redemptions add column customer_id text check (length(customer_id) <= 200);
alter table promotions_redemptions add column email text check (length(email) <= 400);

-- Earlier uses: the key says who (a customer id, or a guest's lowered email).
update promotions_redemptions set customer_id = substr(customer_key, 10) where customer_key like 'customer:%';
update promotions_redemptions set email = substr(customer_key, 7) where customer_key like 'email:%';
-- A customer's earlier use also takes the email of its order, when the orders module is installed already
-- (on a new database it is created after this module, and there are no uses to fill in).
do $$
begin
  if to_regclass('orders') is not null then
    update promotions_redemptions r set email = lower(trim(o.email))
    from orders o
    where o.platform_id = r.platform_id and o.id::text = r.order_id and r.email is null;
  end if;
end
$$;

create index promotions_redemptions_customer_id on promotions_redemptions (platform_id, coupon_id, customer_id) where status = 'active';
create index promotions_redemptions_email on promotions_redemptions (platform_id, coupon_id, email) where status = 'active';
