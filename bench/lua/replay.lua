-- Replays requests from a file, one per line: METHOD <tab> PATH <tab> BODY.
-- Each wrk thread takes every Nth line, starting at its own offset, so threads never send the
-- same line twice until the file wraps around. Headers come from BENCH_HEADERS
-- ("Name: value|Name: value").
package.path = package.path .. ";" .. os.getenv("BENCH_LUA_DIR") .. "/?.lua"
local common = require("common")

local next_thread = 0
local threads = {}
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
  threads[#threads + 1] = thread
end

local requests, position, stride, headers

function init(args)
  requests = {}
  for _, line in ipairs(common.lines(os.getenv("BENCH_REQUESTS"))) do
    local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
    requests[#requests + 1] = { method, path, body ~= "" and body or nil }
  end
  stride = tonumber(os.getenv("BENCH_THREADS"))
  position = (thread_index % #requests) + 1
  headers = {}
  for pair in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^|]+") do
    local name, value = pair:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
end

function request()
  local r = requests[position]
  position = position + stride
  if position > #requests then
    position = ((position - 1) % #requests) + 1
  end
  return wrk.format(r[1], r[2], headers, r[3])
end

-- Vendors that answer errors with HTTP 200 (ZIM): BENCH_OK_PATTERN must appear in every
-- body, else the reply counts as an error.
local ok_pattern = os.getenv("BENCH_OK_PATTERN")
bad_replies = 0
if ok_pattern and #ok_pattern > 0 then
  function response(status, headers, body)
    if not body or not body:find(ok_pattern, 1, true) then
      bad_replies = bad_replies + 1
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("bad_replies") or 0)
  end
  summary.errors.status = summary.errors.status + bad
  common.done(summary, latency, requests)
end
