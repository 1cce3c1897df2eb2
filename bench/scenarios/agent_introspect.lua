-- agent_introspect: POST /api/v2/auth/introspect (RFC 7662, form-encoded) with HTTP Basic
-- service-client credentials from `archon-auth clients create`, over the same seeded agent tokens
-- as agent_verify (ES256, minted through /api/v2/auth/agents/authenticate).
-- A reference row, no target: the same token verification as agent_verify but no capability or
-- restriction check and, above all, no audit event. agent_verify / agent_introspect shows what the
-- durable audit row that every verify appends costs.
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local reqs, n, i = {}, 0, 0

function init(args)
  local basic = common.lines("client_basic.txt")[1]
  for _, token in ipairs(common.lines("agent.txt")) do
    n = n + 1
    reqs[n] = wrk.format("POST", "/api/v2/auth/introspect", {
      ["Authorization"] = "Basic " .. basic,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, "token=" .. token .. "&token_type_hint=agent_token")
  end
  -- threads start at different tokens
  i = (tid or 0) % n
end

function request()
  i = i % n + 1
  return reqs[i]
end

-- Every token must be active (agent_verify checks its bodies in the same way, so both scenarios
-- pay for the same response() callback in wrk).
function response(status, headers, body)
  if status >= 300 then
    common.note_error(status, body)
  elseif not string.find(body, '"active":true', 1, true) then
    bad = bad + 1
    common.note_error(status, body)
  end
end
