-- mixed: one weighted workload over a shared set of 64 connections, per 1,000 requests:
--   500 me (GET /api/v2/users/me), 300 agent_verify (POST /api/v2/auth/agents/verify, the agent's
--   own token as the Bearer, 80% allowed paths and 20% denied ones, as in agent_verify.lua),
--   100 refresh (rotation chains from refresh_b.txt, disjoint from the refresh scenario's),
--    99 health, 1 login (Argon2id).
-- The order is a fixed shuffle (same every run). A refresh with no chain left in this thread's pool
-- is sent as a `me` request instead (counted in "dry").
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local WEIGHTS = {{"me", 500}, {"agent_verify", 300}, {"refresh", 100}, {"health", 99}, {"login", 1}}
local schedule, pos = {}, 0
local me_reqs, verify_reqs, health_req = {}, {}, nil
local emails, password, pool
local mi, vi, li = 0, 0, 0

function init(args)
  for _, w in ipairs(WEIGHTS) do
    for _ = 1, w[2] do schedule[#schedule + 1] = w[1] end
  end
  -- deterministic Fisher-Yates shuffle (an LCG, so every run and thread sees the same order)
  local seed = 12345 + (tid or 0)
  for k = #schedule, 2, -1 do
    seed = (seed * 1103515245 + 12345) % 2147483648
    local j = seed % k + 1
    schedule[k], schedule[j] = schedule[j], schedule[k]
  end
  for _, token in ipairs(common.share(common.lines("access.txt"))) do
    me_reqs[#me_reqs + 1] = wrk.format("GET", "/api/v2/users/me", {["Authorization"] = "Bearer " .. token})
  end
  verify_reqs = common.verify_requests(common.lines("agent.txt"))
  vi = ((tid or 0) * 7) % #verify_reqs
  health_req = wrk.format("GET", "/health")
  emails = common.share(common.lines("emails.txt"))
  password = common.lines("password.txt")[1]
  pool = common.queue(common.share(common.lines("refresh_b.txt")))
end

local function me()
  mi = mi % #me_reqs + 1
  return me_reqs[mi]
end

function request()
  pos = pos % #schedule + 1
  local kind = schedule[pos]
  if kind == "me" then
    return me()
  elseif kind == "agent_verify" then
    vi = vi % #verify_reqs + 1
    return verify_reqs[vi]
  elseif kind == "refresh" then
    local token = pool:pop()
    if token == nil then
      dry = dry + 1
      return me()
    end
    return wrk.format("POST", "/api/v2/auth/refresh", {["Content-Type"] = "application/json"},
      '{"refresh_token":"' .. token .. '"}')
  elseif kind == "health" then
    return health_req
  else
    li = li % #emails + 1
    return wrk.format("POST", "/api/v2/auth/login", {["Content-Type"] = "application/json"},
      '{"email":"' .. emails[li] .. '","password":"' .. password .. '"}')
  end
end

function response(status, headers, body)
  if status >= 300 then
    common.note_error(status, body)
    return
  end
  -- only refresh answers carry a refresh_token in the body here (login does not ask for one)
  local successor = string.match(body, '"refresh_token":"([^"]+)"')
  if successor then
    pool:push(successor)
  elseif string.find(body, '"allowed":true', 1, true) then
    allowed_n = allowed_n + 1
  elseif string.find(body, '"allowed":false', 1, true) then
    denied_n = denied_n + 1
  end
end
