// Operation ids, descriptions and problem codes of the accounts routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';
import { RISK_GATE_PROBLEMS } from '../../kernel/risk-gate.ts';

export const accountDocs: OperationDocs = {
  'POST /admin/auth/login': {
    operationId: 'adminLogin',
    description: 'Exchanges an admin user\'s email and password for a bearer token to send on /admin routes. Attempts are throttled per client address and per account and address.',
    problems: { 401: ['unauthorized'], 429: ['rate_limited'] },
  },
  'POST /admin/auth/logout': {
    operationId: 'adminLogout',
    description: 'Ends the admin session whose token is sent; the token stops working at once.',
  },
  'GET /admin/auth/me': {
    operationId: 'getAdminPrincipal',
    description: 'Who the bearer token belongs to: an admin user or a secret API key, its role and the platforms it can see.',
  },
  'GET /admin/users': {
    operationId: 'listAdminUsers',
    description: 'Every admin user with role, platforms and whether they are disabled. Owners only.',
  },
  'POST /admin/users': {
    operationId: 'createAdminUser',
    description: 'Creates an admin user with a role (owner, platform_admin, support) and, for the last two, the platforms they may see. Owners only.',
    problems: { 400: ['unknown_platform'], 409: ['email_taken'] },
  },
  'PATCH /admin/users/{userId}': {
    operationId: 'updateAdminUser',
    description: 'Changes an admin user\'s role, platforms or password, or disables them (their sessions end). Owners only.',
    problems: { 400: ['unknown_platform'], 404: ['admin_user_not_found'] },
  },
  'GET /admin/api-keys': {
    operationId: 'listApiKeys',
    description: 'Secret API keys for machines, revoked ones included; only prefixes are shown. Owners only.',
  },
  'POST /admin/api-keys': {
    operationId: 'createApiKey',
    description: 'Creates a secret API key (sk_…) with a role and platforms, for scripts and integrations. The key is in this answer only. Owners only.',
    problems: { 400: ['platforms_required', 'unknown_platform'] },
  },
  'POST /admin/api-keys/{keyId}/revoke': {
    operationId: 'revokeApiKey',
    description: 'Revokes a secret API key; requests sending it are refused at once. Owners only.',
    problems: { 404: ['api_key_not_found'] },
  },
  'GET /admin/platforms/{platform}/customers': {
    operationId: 'listCustomers',
    description: 'The platform\'s customers, newest first, optionally matching `q` in email or name; cursor paginated.',
  },
  'GET /admin/platforms/{platform}/customers/{customerId}': {
    operationId: 'getCustomer',
    description: 'One customer of the platform.',
    problems: { 404: ['customer_not_found'] },
  },
  'POST /admin/platforms/{platform}/customers/{customerId}/revoke-sessions': {
    operationId: 'revokeCustomerSessions',
    description: 'Logs a customer out of every device by ending all their sessions; answers how many were ended.',
    problems: { 404: ['customer_not_found'] },
  },
  'POST /admin/platforms/{platform}/customers/{customerId}/password-token': {
    operationId: 'issueCustomerPasswordToken',
    description:
      'Issues a one-time token (valid ?ttlHours=, default 168: a week) with which the customer sets a password at POST /store/customers/password: how imported customers, who arrive without a password, get in, and how a customer who forgot theirs chooses a new one. The token is in this answer only; send it to the customer (for example in a link of your shop\'s mail). A new token voids the older ones.',
    problems: { 404: ['customer_not_found'] },
  },
  'POST /store/customers/password': {
    operationId: 'setCustomerPassword',
    description:
      'Sets the password of the customer a one-time token from the shop names, ends their other sessions and logs them in: the answer carries a session token. A token works once. Attempts share the per-address login throttle.',
    problems: { 400: ['password_token_invalid'], 429: ['rate_limited'] },
  },
  'POST /store/customers': {
    operationId: 'registerCustomer',
    description: 'Registers a customer on this platform with email and password and logs them in: the answer carries a session token to send as a bearer token. Sign-ups share the per-address login throttle.',
    problems: { 403: RISK_GATE_PROBLEMS, 409: ['email_taken'], 429: ['rate_limited'] },
  },
  'POST /store/auth/login': {
    operationId: 'customerLogin',
    description: 'Exchanges a customer\'s email and password for a session token on this platform. Attempts are throttled per client address and per account and address.',
    problems: { 401: ['unauthorized'], 403: RISK_GATE_PROBLEMS, 429: ['rate_limited'] },
  },
  'POST /store/auth/logout': {
    operationId: 'customerLogout',
    description: 'Ends the customer session whose token is sent.',
    problems: { 401: ['unauthorized'] },
  },
  'GET /store/customers/me': {
    operationId: 'getCurrentCustomer',
    description: 'The customer the session token belongs to.',
    problems: { 401: ['unauthorized'] },
  },
  'PATCH /store/customers/me': {
    operationId: 'updateCurrentCustomer',
    description: 'Changes the logged-in customer\'s display name.',
    problems: { 401: ['unauthorized'], 404: ['customer_not_found'] },
  },
};
