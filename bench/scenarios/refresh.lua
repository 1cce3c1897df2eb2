-- refresh: POST /api/v2/auth/refresh {"refresh_token": ...}. Each refresh token is single use
-- (durable rotation with reuse detection), so every request takes a token from this thread's pool
-- and the response() callback puts back the successor it returns: each session is walked as one
-- chain, never presenting a used token. The pool is BENCH_REFRESH_FILE (refresh_a.txt: half of the
-- seeded sessions; the mixed scenario uses the other half).
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local pool

function init(args)
  pool = common.queue(common.share(common.lines(common.env("BENCH_REFRESH_FILE", "refresh_a.txt"))))
end

function request()
  local token = pool:pop()
  if token == nil then
    -- more connections than live chains: this request is bound to fail and is counted.
    dry = dry + 1
    token = "pool-empty"
  end
  return wrk.format("POST", "/api/v2/auth/refresh", {["Content-Type"] = "application/json"},
    '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
  local successor = string.match(body, '"refresh_token":"([^"]+)"')
  if status == 200 and successor then
    pool:push(successor)
  elseif status == 200 then
    bad = bad + 1
  else
    common.note_error(status, body)
  end
end
