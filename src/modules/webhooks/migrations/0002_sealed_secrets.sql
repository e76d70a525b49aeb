-- Signing secrets are kept sealed (AES-256-GCM with SOUK_SECRET_KEY, `v1.<keyId>.…`) from this version
-- on. SQL cannot encrypt, so the plaintext secrets of existing endpoints are sealed in code at the next
-- start (kernel/sealed-columns.ts, idempotent: only values without the `v1.` prefix); this migration
-- only records the new meaning of the columns.
comment on column webhook_endpoints.secret is 'signing secret, sealed with SOUK_SECRET_KEY (v1.<keyId>.<iv>.<tag>.<ciphertext>)';
comment on column webhook_endpoints.previous_secret is 'the secret before the last rotation, sealed like secret; signs until previous_secret_expires_at';
