import { Type } from 'typebox';

export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Password = Type.String({ minLength: 8, maxLength: 200, description: 'At least 8 characters' });
export const Role = Type.Union([Type.Literal('owner'), Type.Literal('platform_admin'), Type.Literal('support'), Type.Literal('host')], {
  description: 'owner: everything; platform_admin: its platforms; support: read-only; host: only the live rooms it hosts on its platforms',
});

export const LoginBody = Type.Object({ email: Email, password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const AdminUserView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.String(),
  platformIds: Type.Array(Type.String()),
  disabled: Type.Boolean(),
  createdAt: Type.String(),
}, { title: 'AdminUser' });

export const ApiKeyView = Type.Object({
  id: Type.String(),
  label: Type.String(),
  prefix: Type.String(),
  role: Type.String(),
  platformIds: Type.Array(Type.String()),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
}, { title: 'ApiKey' });

export const CustomerView = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), createdAt: Type.String() }, { title: 'Customer' });

export const PasswordTokenView = Type.Object(
  {
    customerId: Type.String(),
    email: Type.String(),
    token: Type.String({ description: 'Shown once; the customer sends it to POST /store/customers/password' }),
    expiresAt: Type.String(),
    hasPassword: Type.Boolean({ description: 'false: an imported account that never had a password' }),
  },
  { title: 'PasswordToken' },
);
export const CustomerSession = Type.Object({ token: Type.String(), expiresAt: Type.String(), customer: CustomerView }, { title: 'CustomerSession' });
