-- wrk script: POST pre-signed envelopes (one per line of a file), each exactly once per pass.
-- usage: wrk -t N -s wrk_post.lua URL -- BODIES_FILE TOKEN N
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  token = args[2]
  nthreads = tonumber(args[3])
  counter = id
  created, replayed, failed = 0, 0, 0
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
end

function request()
  local body = bodies[(counter % #bodies) + 1]
  counter = counter + nthreads
  return wrk.format("POST", "/v1/events", headers, body)
end

function response(status, hdrs, body)
  if status == 201 then created = created + 1
  elseif status == 200 then replayed = replayed + 1
  else
    failed = failed + 1
    if failed == 1 then io.stderr:write("first failure: " .. status .. " " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  local c, r, f = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); r = r + t:get("replayed"); f = f + t:get("failed")
  end
  io.write(string.format(
    '{"created":%d,"replayed":%d,"failed":%d,"duration_us":%d,"requests":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d}\n',
    c, r, f, summary.duration, summary.requests,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
