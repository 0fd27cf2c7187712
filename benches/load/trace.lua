-- wrk script: POST /api/v1/trace with a different 450-token output on every request.
-- Bodies come from the file named by the BODIES environment variable, one JSON body per line.
local bodies = {}
local i = 0

function init(args)
  local path = os.getenv("BODIES")
  for line in io.lines(path) do
    bodies[#bodies + 1] = line
  end
  -- each wrk thread starts at a different offset
  i = math.random(#bodies)
end

function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/api/v1/trace", { ["Content-Type"] = "application/json" }, bodies[i])
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, errors: connect %d read %d write %d status %d timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
