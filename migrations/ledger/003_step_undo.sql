-- What undoes each step, as planned when it was recorded: a step that a later spec no longer
-- plans (a foreign key accepted as a cross-tenant reference after its validation failed) is
-- undone with it, when undoing it loses nothing.
ALTER TABLE tenantshift.step ADD COLUMN IF NOT EXISTS down jsonb;
ALTER TABLE tenantshift.step ADD COLUMN IF NOT EXISTS down_execution text;
ALTER TABLE tenantshift.step ADD COLUMN IF NOT EXISTS down_risk text;
