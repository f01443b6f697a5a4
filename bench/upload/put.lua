-- wrk script of bench/upload/run.sh: PUTs of a fixed body, every request to a new key.
-- wrk args: MODE (ours | nginx), URL_FILE (ours: presigned path?query per line), THREADS, BODY_BYTES, NGINX_FOLDER.
-- ours: thread i takes lines i, i+THREADS, ... of the presigned list; nginx: /NGINX_FOLDER/t<i>/<n>.
-- done() prints one RESULT line that run.sh parses. No response() function: see done().

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  local thread_count = tonumber(args[3])
  body = string.rep("x", tonumber(args[4]))
  folder = args[5]
  paths = {}
  if mode == "ours" then
    local i = 0
    for line in io.lines(args[2]) do
      if i % thread_count == id - 1 then
        paths[#paths + 1] = line
      end
      i = i + 1
    end
  end
  sent = 0
  wrapped = 0
end

function request()
  sent = sent + 1
  local path
  if mode == "ours" then
    -- Reusing a URL would overwrite an object instead of creating one; flag it so run.sh can refuse the run.
    if sent > #paths then
      wrapped = 1
    end
    path = paths[((sent - 1) % #paths) + 1]
  else
    path = "/" .. folder .. "/t" .. id .. "/" .. sent
  end
  return wrk.format("PUT", path, nil, body)
end

function done(summary, latency, requests)
  local total_sent, any_wrapped = 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    any_wrapped = math.max(any_wrapped, thread:get("wrapped"))
  end
  -- wrk counts every response with a status above 399 in errors.status; nginx answers 201 and ours 200, so the
  -- others are the acknowledged PUTs. (A response() function would tell the same, but wrk then parses every
  -- response's headers into Lua tables: CPU taken from the server under test, on the same 2 cores, and more of it
  -- for a server that sends more headers, as ours does with OSS's ETag, request id and CRC-64.)
  local failed = summary.errors.status
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d duration_us=%d acked=%d failed=%d sent=%d wrapped=%d socket_errors=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f\n",
    summary.requests, summary.duration, summary.requests - failed, failed, total_sent, any_wrapped, errors,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
