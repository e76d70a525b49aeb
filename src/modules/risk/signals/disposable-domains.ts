// A starting list of throwaway-mailbox domains, bundled so the default policy works offline. It is a seed,
// not a census: operators extend it per platform through the "disposable" list of the admin API, which is
// checked beside this one. A subdomain of a listed domain counts as listed.
export const BUNDLED_DISPOSABLE_DOMAINS: readonly string[] = [
  '10minutemail.com', '10minutemail.net', '20minutemail.com', '33mail.com', 'anonbox.net', 'burnermail.io',
  'discard.email', 'dispostable.com', 'dropmail.me', 'emailondeck.com', 'fakeinbox.com', 'fakemail.net',
  'getairmail.com', 'getnada.com', 'guerrillamail.biz', 'guerrillamail.com', 'guerrillamail.de',
  'guerrillamail.info', 'guerrillamail.net', 'guerrillamail.org', 'guerrillamailblock.com', 'harakirimail.com',
  'inboxbear.com', 'incognitomail.org', 'jetable.org', 'mail.tm', 'mailcatch.com', 'maildrop.cc',
  'mailinator.com', 'mailinator.net', 'mailinator2.com', 'mailnesia.com', 'mailpoof.com', 'mailsac.com',
  'mintemail.com', 'moakt.com', 'mohmal.com', 'mytemp.email', 'mytrashmail.com', 'nada.email',
  'sharklasers.com', 'spam4.me', 'spamgourmet.com', 'temp-mail.io', 'temp-mail.org', 'tempail.com',
  'tempinbox.com', 'tempmail.com', 'tempmail.net', 'tempmailo.com', 'tempr.email', 'throwawaymail.com',
  'trash-mail.com', 'trashmail.com', 'trashmail.de', 'trashmail.net', 'yopmail.com', 'yopmail.fr',
  'yopmail.net', 'mailnull.com', 'spambox.us', 'tmpmail.org', 'tmpmail.net', 'emailfake.com', 'linshiyouxiang.net',
  '027168.com', 'bccto.me', 'chacuo.net', 'mail.bccto.me', 'zhaoyouxiang.com',
];
