-- health: GET /health (the full health document: database ping, key check, envelope).
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done
wrk.method = "GET"
wrk.path = "/health"
