-- login: POST /api/v2/auth/login cycling over the seeded users (all share one Argon2id hash, so every
-- login costs exactly one verification). Each success creates a session (durable: session row,
-- refresh token, audit event). Bound by Argon2id: compare with cores / single hash time.
local common = dofile(os.getenv("BENCH_SCENARIO_DIR") .. "/common.lua")
setup, done = common.setup, common.done

local emails, n, i, password

function init(args)
  emails = common.share(common.lines("emails.txt"))
  n = #emails
  password = common.lines("password.txt")[1]
  i = 0
end

function request()
  i = i % n + 1
  return wrk.format("POST", "/api/v2/auth/login", {["Content-Type"] = "application/json"},
    '{"email":"' .. emails[i] .. '","password":"' .. password .. '"}')
end
