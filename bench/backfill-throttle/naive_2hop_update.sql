\set ON_ERROR_STOP on
UPDATE accounts a SET tenant_id = u.tenant_id FROM users u WHERE u.id = a.user_id;
UPDATE events e SET tenant_id = a.tenant_id FROM accounts a WHERE a.id = e.account_id;
