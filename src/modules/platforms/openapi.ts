// Operation ids, descriptions and problem codes of the platforms routes, for the OpenAPI document.
import type { OperationDocs } from '../../kernel/http/openapi-problems.ts';

const PLATFORM_INPUT_PROBLEMS = { 400: ['invalid_platform', 'invalid_settings', 'invalid_slug', 'unknown_module'], 409: ['host_taken', 'slug_taken'] };

export const platformDocs: OperationDocs = {
  'GET /store/platform': {
    operationId: 'getStorefrontPlatform',
    description: 'The public face of the platform this storefront request resolved to (by x-publishable-key or Host): its name, currencies and locales and its storefront theme (settings.storefront with defaults filled in), so a shop can set itself up.',
  },
  'GET /admin/platforms': {
    operationId: 'listPlatforms',
    description: 'Every platform the caller can see: all of them for an owner, only the assigned ones for platform admins and support users.',
  },
  'POST /admin/platforms': {
    operationId: 'createPlatform',
    description: 'Creates a platform from its metadata (slug, name, hosts, currencies, locales, modules, settings). The answer carries its first publishable key; it is not shown again. Owners only.',
    problems: PLATFORM_INPUT_PROBLEMS,
  },
  'PUT /admin/platforms': {
    operationId: 'applyPlatform',
    description: 'Applies a platform metadata document, as a deployment tool would: creates the platform when its slug is new, updates it otherwise, and answers `unchanged` when the document matches. Owners only.',
    problems: PLATFORM_INPUT_PROBLEMS,
  },
  'GET /admin/platforms/{platform}': {
    operationId: 'getPlatform',
    description: 'One platform by id or slug, with its full metadata.',
  },
  'PATCH /admin/platforms/{platform}': {
    operationId: 'updatePlatform',
    description: 'Changes some of a platform\'s metadata; fields left out stay. Changing the hosts a platform answers on needs an owner.',
    problems: { 400: ['invalid_platform', 'invalid_settings', 'unknown_module'], 403: ['owner_only'], 409: ['host_taken'] },
  },
  'POST /admin/platforms/{platform}/disable': {
    operationId: 'disablePlatform',
    description: 'Disables the platform\'s storefront: its /store routes answer 404 platform_not_found until it is enabled again. Admin routes keep working. Owners only.',
  },
  'POST /admin/platforms/{platform}/enable': {
    operationId: 'enablePlatform',
    description: 'Re-enables a disabled platform\'s storefront. Owners only.',
  },
  'GET /admin/platforms/{platform}/publishable-keys': {
    operationId: 'listPublishableKeys',
    description: 'The platform\'s publishable keys, revoked ones included. Only each key\'s prefix is shown.',
  },
  'POST /admin/platforms/{platform}/publishable-keys': {
    operationId: 'createPublishableKey',
    description: 'Creates another publishable key for the platform, e.g. one per storefront app. The key is in this answer only.',
  },
  'POST /admin/platforms/{platform}/publishable-keys/{keyId}/revoke': {
    operationId: 'revokePublishableKey',
    description: 'Revokes a publishable key; storefront requests sending it are refused with 404 at once.',
    problems: { 404: ['key_not_found'] },
  },
};
