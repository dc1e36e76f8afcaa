-- Argo CD's health of a TenantMigration, read from the kstatus conditions as Flux reads them:
--   metadata.generation not yet observed, or Reconciling=True   Progressing (the message says why)
--   Stalled=True                                                Degraded (the cause)
--   Ready=True                                                  Healthy
--   spec.paused, not Ready                                      Suspended
--   anything else (no status yet, waiting)                      Progressing
-- Argo CD has no health check of its own for custom resources (it shows them Healthy as soon as
-- they exist): add this one to argocd-cm as
--   resource.customizations.health.tenantshift.dev_TenantMigration
-- (charts/tenantshift/README.md). It uses only Lua's base library, as Argo CD allows by default.
local hs = {status = "Progressing", message = "waiting for the operator to report status"}
if obj.metadata.deletionTimestamp ~= nil then
  hs.message = "being deleted: the operator stops its Jobs first"
  return hs
end
if obj.status == nil then
  return hs
end
local observed = obj.status.observedGeneration
if observed ~= nil and observed ~= obj.metadata.generation then
  hs.message = "the operator has not observed generation " .. tostring(obj.metadata.generation) ..
      " yet"
  return hs
end
if obj.status.conditions == nil then
  return hs
end
local ready = nil
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Reconciling" and condition.status == "True" then
    hs.message = condition.message
    return hs
  end
  if condition.type == "Stalled" and condition.status == "True" then
    hs.status = "Degraded"
    hs.message = condition.message
    return hs
  end
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
elseif obj.spec.paused == true then
  hs.status = "Suspended"
end
if ready ~= nil then
  hs.message = ready.message
end
return hs
