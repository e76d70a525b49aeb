-- Refunds of coin top-ups. An admin refund takes the top-up's coins back off the balance and moves the
-- top-up paid → refunding in one transaction with the payment's refund reservation; the provider's answer
-- then moves it to refunded, or back to paid with the coins given back (ledger: top_up_refund_failed).
alter table live_coin_topups drop constraint live_coin_topups_status_check;
alter table live_coin_topups add constraint live_coin_topups_status_check
  check (status in ('pending', 'paid', 'failed', 'refunding', 'refunded'));
alter table live_coin_topups add column refund_id uuid;
alter table live_coin_topups add column refunded_at timestamptz;

alter table live_coin_ledger drop constraint live_coin_ledger_reason_check;
alter table live_coin_ledger add constraint live_coin_ledger_reason_check
  check (reason in ('top_up', 'gift', 'top_up_refund', 'top_up_refund_failed'));
-- "top_up_id is set exactly for top-ups" becomes "exactly for the top-up reasons".
alter table live_coin_ledger drop constraint live_coin_ledger_check;
alter table live_coin_ledger add constraint live_coin_ledger_top_up_check
  check ((reason in ('top_up', 'top_up_refund', 'top_up_refund_failed')) = (top_up_id is not null));
