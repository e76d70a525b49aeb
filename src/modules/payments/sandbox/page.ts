// The sandbox's hosted pay page: plain HTML with two forms (Approve / Decline), no script, so it works
// in any browser and in a test with nothing but HTTP. Every value shown is escaped.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Minor units as the currency's usual notation, e.g. 1999 USD → "$19.99", 500 JPY → "¥500". */
export function formatMoney(amount: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(amount / 10 ** digits);
  } catch {
    return `${amount} ${currency} (minor units)`;
  }
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
  .box { border: 1px solid #ddd; border-radius: .5rem; padding: 1.5rem; }
  .amount { font-size: 2rem; font-weight: 600; margin: .5rem 0 1.5rem; }
  .note { color: #666; font-size: .9rem; }
  form { display: inline; }
  button { font-size: 1rem; padding: .6rem 1.2rem; border-radius: .4rem; border: 1px solid #999; cursor: pointer; margin-right: .5rem; }
  button.approve { background: #1a7f37; border-color: #1a7f37; color: #fff; }
</style>
</head>
<body><div class="box">${body}</div></body>
</html>`;
}

export interface PageModel {
  platformName: string;
  orderNumber: string | null;
  amount: number;
  currency: string;
  /** The form actions, relative to the page. */
  approveAction: string;
  declineAction: string;
  status: 'requires_action' | 'approved' | 'declined';
  returnUrl: string | null;
}

export function payPage(model: PageModel): string {
  const heading = `<p class="note">Sandbox payment — no real money moves</p>
<h1>${escapeHtml(model.platformName)}</h1>
<p>${model.orderNumber ? `Order ${escapeHtml(model.orderNumber)}` : 'Order'}</p>
<div class="amount" data-amount="${model.amount}" data-currency="${escapeHtml(model.currency)}">${escapeHtml(formatMoney(model.amount, model.currency))}</div>`;
  if (model.status !== 'requires_action') return layout('Sandbox payment', `${heading}${resultText(model.status, model.returnUrl)}`);
  return layout(
    'Sandbox payment',
    `${heading}
<form method="post" action="${escapeHtml(model.approveAction)}"><button class="approve" type="submit">Approve</button></form>
<form method="post" action="${escapeHtml(model.declineAction)}"><button class="decline" type="submit">Decline</button></form>`,
  );
}

function resultText(status: 'approved' | 'declined', returnUrl: string | null): string {
  const text = status === 'approved' ? '<p id="result">Payment approved.</p>' : '<p id="result">Payment declined.</p>';
  return `${text}${returnUrl ? `<p><a href="${escapeHtml(returnUrl)}">Return to the shop</a></p>` : '<p class="note">You can close this page.</p>'}`;
}

/** The shopper's way back: the return URL with the payment and its outcome added. */
export function returnLocation(returnUrl: string, paymentId: string, status: 'approved' | 'declined'): string {
  const url = new URL(returnUrl);
  url.searchParams.set('paymentId', paymentId);
  url.searchParams.set('status', status);
  return url.toString();
}
