-- baseline: GET / on the loopback nginx that answers a fixed small JSON body
-- ({"success":true,"data":{"status":"ok"},"error":null}). The same-run yardstick for every ratio.
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done
wrk.method = "GET"
wrk.path = "/"
