// The signals a rule can name. Each is a string, number or boolean, or absent (a rule comparing an absent
// signal does not fire, except "absent"). Velocity signals count the decisions at the same decision point
// of the same platform sharing the key within the window, the current one included.
import type { VelocityWindow } from './velocity.ts';

export const VELOCITY_KEYS = ['ip', 'subnet', 'device', 'account', 'email', 'phone', 'address', 'coupon', 'sale'] as const;
export type VelocityKey = (typeof VELOCITY_KEYS)[number];
const WINDOWS: readonly VelocityWindow[] = ['1m', '1h', '24h'];

export const VELOCITY_SIGNALS = VELOCITY_KEYS.flatMap((key) => WINDOWS.map((w) => `velocity_${key}_${w}` as const));

export const SIGNAL_NAMES = [
  'ip', // the client address (IPv4-mapped IPv6 unwrapped)
  'ip_prefix', // its /24 (IPv4) or /64 (IPv6)
  'ip_version', // 4 or 6
  'ip_private', // loopback, private or other non-public range
  'device_id', // the x-device-id header
  'device_present',
  'user_agent_class', // browser | headless | script | bot | empty | other
  'user_agent_browser', // the parser's browser name (Chrome, Mobile Safari, Chrome Headless, …)
  'user_agent_browser_major', // its major version
  'user_agent_os', // Windows, iOS, Android, Linux, …
  'user_agent_device', // mobile | tablet | desktop | smarttv | … (absent for scripts)
  'email_domain',
  'email_disposable', // the domain (or a parent) is bundled or on the platform's disposable list
  'email_aliased', // a plus tag or Gmail dots were folded away
  'email_digit_run', // longest run of digits in the local part
  'email_fingerprint', // the mailbox the address reaches, aliases folded
  'account_id',
  'account_age_hours', // hours since the account was created
  'phone_fingerprint', // the phone in E.164 (the shipping country as default region), else its digits
  'phone_valid', // libphonenumber-js says it is a possible, valid number
  'phone_country', // the country the number belongs to
  'address_fingerprint', // the shipping address folded: case, accents, punctuation, abbreviations
  'shipping_country', // ISO alpha-2, as the caller gave it
  'ip_country', // the IP's country from SOUK_RISK_GEOIP_FILE (absent without one)
  'ip_country_mismatch', // ip_country and shipping_country both known and different
  'accounts_on_device', // distinct accounts this node saw on the device (any point of the platform)
  'accounts_on_ip',
  'accounts_on_address',
  'accounts_on_instrument', // distinct accounts that paid (tried to pay) with the card, by the provider's fingerprint
  'account_cluster_size', // the largest of the four
  'instrument_fingerprint', // the payment instrument as the provider fingerprints it (payment point only)
  'amount', // the money at stake, in minor units, when the caller has one
  'history_orders', // orders the account has placed on the platform (history.ts; needs an account)
  'history_cancel_rate', // share of them cancelled (0 without orders)
  'history_refund_rate', // share of them refunded, fully or in part
  'history_unpaid_flash_orders', // flash-sale orders left unpaid until they expired
  ...VELOCITY_SIGNALS,
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];
