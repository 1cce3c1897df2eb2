-- agent_verify: POST /api/v2/auth/introspect (RFC 7662, form-encoded) with HTTP Basic service-client
-- credentials from `archon-auth clients create`, over the seeded agent tokens (ES256).
-- The dedicated agent verify endpoint arrives with the agents issue; until then this measures the
-- path a resource server uses today to check an agent token online.
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
