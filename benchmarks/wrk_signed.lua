-- wrk script: POST pre-signed bodies, each once, spread over the threads.
-- Usage: wrk -t2 -c16 -d20s -s wrk_signed.lua URL -- <bodies file> <threads>
-- The file holds one delivery a line: "<hex hmac_sha256 signature>\t<JSON body>".
local thread_count = 0

function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
end

local bodies = {}
local signatures = {}
local index = 0

function init(args)
  local threads = tonumber(args[2])
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % threads == thread_number then
      local tab = string.find(line, "\t", 1, true)
      signatures[#signatures + 1] = string.sub(line, 1, tab - 1)
      bodies[#bodies + 1] = string.sub(line, tab + 1)
    end
    line_number = line_number + 1
  end
end

function request()
  index = index + 1
  -- Past the end the bodies repeat (answered as duplicates); the runner gives enough of them.
  local n = (index - 1) % #bodies + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-Signature"] = signatures[n],
  }, bodies[n])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
