-- Shared by every scenario (loaded with dofile from each wrk Lua state: the main one and one per
-- thread). bench/run sets the environment:
--   BENCH_DATA     directory holding the seeded data (access.txt, refresh_*.txt, agent.txt, ...)
--   BENCH_THREADS  the wrk -t value, so each thread takes its own share of the data
-- done() prints one line `BENCH_RESULT {json}` that bench/run parses.
local M = {}

local threads = {}
local next_id = 0

-- Runs in the main state, once per thread, before that thread's init().
function M.setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function M.env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    if default ~= nil then return default end
    error("bench: environment variable " .. name .. " is not set")
  end
  return v
end

-- The lines of BENCH_DATA/<name>.
function M.lines(name)
  local path = M.env("BENCH_DATA") .. "/" .. name
  local f = assert(io.open(path, "r"), "bench: cannot open " .. path)
  local out = {}
  for line in f:lines() do
    if line ~= "" then out[#out + 1] = line end
  end
  f:close()
  assert(#out > 0, "bench: " .. path .. " is empty")
  return out
end

-- This thread's share of a list: items i with (i-1) % threads == tid. Falls back to the whole
-- list when the share would be empty.
function M.share(list)
  local n = tonumber(M.env("BENCH_THREADS", "1"))
  local id = tid or 0
  local out = {}
  for i, v in ipairs(list) do
    if (i - 1) % n == id then out[#out + 1] = v end
  end
  if #out == 0 then return list end
  return out
end

-- A FIFO of strings (refresh-token chains).
function M.queue(items)
  local q = {first = 1, last = 0, items = {}}
  function q:push(v) self.last = self.last + 1; self.items[self.last] = v end
  function q:pop()
    if self.first > self.last then return nil end
    local v = self.items[self.first]
    self.items[self.first] = nil
    self.first = self.first + 1
    return v
  end
  function q:size() return self.last - self.first + 1 end
  for _, v in ipairs(items or {}) do q:push(v) end
  return q
end

-- Per-thread counters a scenario may set as globals; done() sums them over threads.
-- bad: 2xx answers whose body was not what the scenario expects; dry: requests sent without a
-- token because the thread's refresh chain pool was empty; first_error: "status body" of the
-- first non-2xx (or unexpected) answer seen (only in scenarios with a response() callback);
-- allowed_n, denied_n: agent verify answers {"allowed":true} and {"allowed":false}.
bad, dry, first_error, allowed_n, denied_n = 0, 0, nil, 0, 0

function M.note_error(status, body)
  if first_error == nil then
    first_error = tostring(status) .. " " .. string.sub(body or "", 1, 400)
  end
end

-- POST /api/v2/auth/agents/verify requests, the agent's own token as the Bearer, for every token:
-- per 10 requests 8 for file:write on a path under /project/src/ (inside the code_implementer
-- tokens' file_paths: allowed) and 2 for file:write on /project/.env (outside: denied). Ordered
-- so that consecutive requests use different tokens and the 8/2 split holds over any 10 x #tokens.
local VERIFY_KINDS = {
  "/project/src/app.ts", "/project/src/index.ts", "/project/.env", "/project/src/lib/util.ts",
  "/project/src/api/routes.ts", "/project/src/components/Button.tsx", "/project/src/models/user.ts",
  "/project/.env", "/project/src/services/auth/session.ts", "/project/src/config.ts",
}

function M.verify_requests(tokens)
  local out = {}
  for _, path in ipairs(VERIFY_KINDS) do
    local body = '{"capability":"file:write","resource":{"path":"' .. path .. '"}}'
    for _, token in ipairs(tokens) do
      out[#out + 1] = wrk.format("POST", "/api/v2/auth/agents/verify", {
        ["Authorization"] = "Bearer " .. token,
        ["Content-Type"] = "application/json",
      }, body)
    end
  end
  return out
end

M.VERIFY_ALLOWED_SHARE = 0.8

-- response() of a verify request: a 200 with allowed true or false (counted), anything else an error.
function M.verify_check(status, body)
  if status >= 300 then
    M.note_error(status, body)
  elseif string.find(body, '"allowed":true', 1, true) then
    allowed_n = allowed_n + 1
  elseif string.find(body, '"allowed":false', 1, true) then
    denied_n = denied_n + 1
  else
    bad = bad + 1
    M.note_error(status, body)
  end
end

local function json_string(s)
  s = string.gsub(s, '[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" end
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. s .. '"'
end

function M.done(summary, latency, requests)
  local e = summary.errors
  local sum_bad, sum_dry, sum_allowed, sum_denied, first = 0, 0, 0, 0, nil
  for _, t in ipairs(threads) do
    sum_bad = sum_bad + (tonumber(t:get("bad")) or 0)
    sum_dry = sum_dry + (tonumber(t:get("dry")) or 0)
    sum_allowed = sum_allowed + (tonumber(t:get("allowed_n")) or 0)
    sum_denied = sum_denied + (tonumber(t:get("denied_n")) or 0)
    first = first or t:get("first_error")
  end
  local fields = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format('"non2xx":%d', e.status),
    string.format('"connect_errors":%d', e.connect),
    string.format('"read_errors":%d', e.read),
    string.format('"write_errors":%d', e.write),
    string.format('"timeouts":%d', e.timeout),
    string.format('"bad":%d', sum_bad),
    string.format('"dry":%d', sum_dry),
    string.format('"allowed":%d', sum_allowed),
    string.format('"denied":%d', sum_denied),
    string.format('"p50_us":%.1f', latency:percentile(50.0)),
    string.format('"p90_us":%.1f', latency:percentile(90.0)),
    string.format('"p99_us":%.1f', latency:percentile(99.0)),
    string.format('"max_us":%.1f', latency.max),
    string.format('"mean_us":%.1f', latency.mean),
  }
  if first then fields[#fields + 1] = '"first_error":' .. json_string(first) end
  io.write("BENCH_RESULT {" .. table.concat(fields, ",") .. "}\n")
end

return M
