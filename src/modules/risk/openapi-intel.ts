// Operation ids, descriptions and problem codes of the shadow and backtest routes (routes-intel.ts).
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}/risk';

export const riskIntelDocs: OperationDocs = {
  [`GET ${base}/shadow`]: { operationId: 'listRiskShadowPolicies', description: 'The decision points that run a shadow policy, with the draft and who set it.' },
  [`PUT ${base}/shadow/{point}`]: {
    operationId: 'putRiskShadowPolicy',
    description:
      'Checks a draft policy and runs it beside the live one at this point on every node: each decision records what the draft would have done (`shadow`), the outcome never changes. A bad document is a 400 naming the bad part, and nothing changes.',
    problems: { 400: ['risk_policy_invalid'] },
  },
  [`DELETE ${base}/shadow/{point}`]: { operationId: 'deleteRiskShadowPolicy', description: 'Stops the point’s shadow policy.', problems: { 404: ['risk_shadow_not_found'] } },
  [`POST ${base}/policies/{point}/backtest`]: {
    operationId: 'backtestRiskPolicy',
    description:
      'Runs a draft policy over the decisions stored at this point in a time range, on the signals each one saw, and reports how many would change action, from what to what, and which rules made the difference. Allows are stored as a sample, so changes from allow are counted over that sample. Nothing is written.',
    problems: { 400: ['risk_policy_invalid', 'risk_backtest_range_invalid'] },
  },
};
