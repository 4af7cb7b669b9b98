-- Argo CD health of a coffer.io BackupSchedule: resource.customizations.health.coffer.io_BackupSchedule
hs = {}
local s = obj.status
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: no new Backups are created"
  return hs
end
if s == nil or s.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Coffer operator"
  return hs
end
for _, c in ipairs(s.conditions) do
  if c.type == "Ready" and c.status == "False" then
    hs.status = "Degraded"
    hs.message = c.message or "The schedule is invalid"
    return hs
  end
end
hs.status = "Healthy"
hs.message = "Next run " .. (s.nextScheduleTime or "unknown")
if s.lastSuccessfulBackup ~= nil then
  hs.message = hs.message .. "; last success " .. s.lastSuccessfulBackup
end
return hs
