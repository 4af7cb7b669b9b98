-- Argo CD health of a coffer.io Backup: resource.customizations.health.coffer.io_Backup
hs = {}
local s = obj.status
if s == nil or s.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Coffer operator"
  return hs
end
if s.phase == "Succeeded" then
  if s.verification ~= nil and s.verification.result == "Failed" then
    hs.status = "Degraded"
    hs.message = "Stored backup failed verification: " .. (s.verification.message or "")
    return hs
  end
  hs.status = "Healthy"
  hs.message = "Stored " .. (s.size or "") .. " in " .. (s.duration or "")
  return hs
end
if s.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = s.lastError or "Backup failed"
  return hs
end
hs.status = "Progressing"
if s.nextAttemptAt ~= nil then
  hs.message = "Attempt failed (" .. (s.lastError or "") .. "); retrying at " .. s.nextAttemptAt
elseif s.progress ~= nil and s.progress.percent ~= nil then
  hs.message = s.phase .. ": " .. math.floor(s.progress.percent + 0.5) .. "%" .. (s.progress.item and (" (" .. s.progress.item .. ")") or "")
else
  hs.message = s.phase
end
return hs
