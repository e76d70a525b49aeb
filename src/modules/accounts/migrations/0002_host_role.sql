-- The host role: a live-commerce host of some platforms, who may manage only the live rooms it hosts.
alter table admin_users drop constraint admin_users_role_check;
alter table admin_users add constraint admin_users_role_check check (role in ('owner', 'platform_admin', 'support', 'host'));
alter table api_keys drop constraint api_keys_role_check;
alter table api_keys add constraint api_keys_role_check check (role in ('owner', 'platform_admin', 'support', 'host'));
