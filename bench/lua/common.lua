-- Shared by every scenario: print wrk's summary as one JSON line.
local M = {}

function M.done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, errors.status,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end

-- Lines of a file, one request parameter each (message ids, pre-signed paths, ...).
function M.lines(path)
  local items = {}
  for line in io.lines(path) do
    if #line > 0 then items[#items + 1] = line end
  end
  return items
end

return M
