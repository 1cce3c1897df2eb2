-- me: GET /api/v2/users/me, rotating over the seeded sessions' access tokens (RS256, one per
-- session), so the verified-token cache sees as many distinct tokens as there are sessions.
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local reqs, n, i = {}, 0, 0

function init(args)
  for _, token in ipairs(common.share(common.lines("access.txt"))) do
    n = n + 1
    reqs[n] = wrk.format("GET", "/api/v2/users/me", {["Authorization"] = "Bearer " .. token})
  end
end

function request()
  i = i % n + 1
  return reqs[i]
end
