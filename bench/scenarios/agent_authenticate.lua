-- agent_authenticate: POST /api/v2/auth/agents/authenticate with a user's access token as the
-- Bearer, rotating over this thread's share of the seeded sessions' access tokens (every seeded
-- user holds the agent_operator role, which may run the common types). The body is the spec's
-- example: code_implementer asking for file:read, file:write and git:commit (all granted).
-- Each success mints an ES256 agent token and makes two durable commits: the agent_tokens row and
-- the audit event.
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local BODY = '{"agent_type":"code_implementer","capabilities_requested":["file:read","file:write","git:commit"],'
  .. '"task_context":{"project_id":"p","task_type":"feature_implementation","estimated_duration":300}}'

local reqs, n, i = {}, 0, 0

function init(args)
  for _, token in ipairs(common.share(common.lines("access.txt"))) do
    n = n + 1
    reqs[n] = wrk.format("POST", "/api/v2/auth/agents/authenticate", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
    }, BODY)
  end
end

function request()
  i = i % n + 1
  return reqs[i]
end

function response(status, headers, body)
  if status >= 300 then
    common.note_error(status, body)
  elseif not string.find(body, '"agent_token":"', 1, true) then
    bad = bad + 1
    common.note_error(status, body)
  end
end
