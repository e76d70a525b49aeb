// Operation ids, descriptions and problem codes of the risk routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const base = '/admin/platforms/{platform}/risk';
const point = `${base}/policies/{point}`;

export const riskDocs: OperationDocs = {
  [`GET ${base}/policies`]: {
    operationId: 'listRiskPolicies',
    description: 'The current policy of every decision point (signup, login, coupon, checkout, flash_sale, payment, live_chat, live_gift); version 0 is the built-in default.',
  },
  [`GET ${point}`]: { operationId: 'getRiskPolicy', description: 'The current policy of one decision point.' },
  [`PUT ${point}`]: {
    operationId: 'putRiskPolicy',
    description: 'Checks a policy document and stores it as the next version; every node runs it within a second. A bad document is a 400 naming the bad part, and nothing changes.',
    problems: { 400: ['risk_policy_invalid'] },
  },
  [`GET ${point}/versions`]: { operationId: 'listRiskPolicyVersions', description: 'Versions newest first, each with who stored it and when; version 0 (the default) ends the history.' },
  [`POST ${point}/rollback`]: {
    operationId: 'rollbackRiskPolicy',
    description: 'Stores a new version whose document is exactly that of the given earlier version (0: the default).',
    problems: { 404: ['risk_policy_version_not_found'] },
  },
  [`POST ${point}/try`]: {
    operationId: 'tryRiskPolicy',
    description: 'Judges an input with the current policy, or with a draft document, and explains the decision. Velocity counts start from zero, and nothing is stored.',
    problems: { 400: ['risk_policy_invalid'] },
  },
  [`GET ${base}/lists`]: { operationId: 'getRiskLists', description: 'Block list (denied before any rule), allow list (allowed unless blocked) and extra disposable email domains.' },
  [`PUT ${base}/lists/{list}`]: {
    operationId: 'putRiskList',
    description: 'Replaces one list. IP entries are addresses or CIDR ranges; the disposable list holds email_domain entries only. A bad entry is a 400 naming it, and nothing changes.',
    problems: { 400: ['risk_list_invalid'] },
  },
  [`GET ${base}/decisions`]: {
    operationId: 'listRiskDecisions',
    description: 'Stored decisions (every non-allow, a sample of allows), newest first, filtered by account, IP, device, order, point or action.',
    problems: { 400: ['invalid_cursor'] },
  },
  [`GET ${base}/decisions/{decisionId}`]: {
    operationId: 'getRiskDecision',
    description: 'One stored decision: its input, the signals the rules saw, the rules that fired with their score contributions.',
    problems: { 404: ['risk_decision_not_found'] },
  },
};
