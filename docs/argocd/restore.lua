-- Argo CD health of a coffer.io Restore: resource.customizations.health.coffer.io_Restore
hs = {}
local s = obj.status
if s == nil or s.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Coffer operator"
  return hs
end
if s.phase == "Succeeded" then
  hs.status = "Healthy"
  if obj.spec ~= nil and obj.spec.dryRun == true then
    local n = 0
    if s.plan ~= nil then n = #s.plan end
    hs.message = "Preview ready: " .. n .. " items in status.plan; nothing was changed"
  else
    hs.message = "Restored in " .. (s.duration or "")
  end
  return hs
end
if s.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = s.lastError or "Restore failed"
  return hs
end
hs.status = "Progressing"
if s.waitingFor ~= nil then
  hs.message = "Waiting for " .. s.waitingFor
elseif s.progress ~= nil and s.progress.percent ~= nil then
  hs.message = s.phase .. ": " .. math.floor(s.progress.percent + 0.5) .. "%"
else
  hs.message = s.phase
end
return hs
