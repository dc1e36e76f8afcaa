-- The naive conversion, part 2: fill every event's tenant_id with ONE statement. It is one
-- transaction: it row-locks every event it touches until it commits, so every application
-- UPDATE (or DELETE, or SELECT ... FOR UPDATE) of an event it has already passed waits for the
-- whole statement, and every old row version stays until it commits (a table twice its size).
\set ON_ERROR_STOP on
UPDATE events e SET tenant_id = u.tenant_id FROM users u WHERE u.id = e.user_id;
