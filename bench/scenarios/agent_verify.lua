-- agent_verify: POST /api/v2/auth/agents/verify with the agent's own token as the Bearer (an agent
-- asking about itself), over the seeded agent tokens: code_implementer tokens minted through
-- /api/v2/auth/agents/authenticate, granted file:read, file:write and git:commit, restricted to
-- /project/src/** (see bench/run, seed_agents). Per 10 requests, 8 ask for file:write on a path
-- under /project/src/ (allowed) and 2 for file:write on /project/.env (denied: outside file_paths).
-- Every answer is a 200; common.verify_check counts allowed and denied answers, and done() reports
-- them, so a wrong decision shows up as a wrong split (bench/run expects 0.8 allowed).
-- Every verify, allowed or denied, appends one durable audit event.
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local reqs, n, i = {}, 0, 0

function init(args)
  reqs = common.verify_requests(common.lines("agent.txt"))
  n = #reqs
  -- threads start at different tokens and kinds
  i = ((tid or 0) * 7) % n
end

function request()
  i = i % n + 1
  return reqs[i]
end

function response(status, headers, body)
  common.verify_check(status, body)
end
