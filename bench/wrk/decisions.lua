-- wrk script: POST /v1/decisions (dry run, e-mail, limit 3) for the seeded
-- subjects in turn, with a service token.
--   wrk -s bench/wrk/decisions.lua URL -- TOKEN_FILE SUBJECTS_FILE
-- Prints one machine-readable line at the end:
--   RESULT rps=... p50_us=... p90_us=... p99_us=... requests=... errors=... non2xx=...
local subjects = {}
local token
local counter = 0

function init(args)
  local f = assert(io.open(args[1]))
  token = f:read("*l")
  f:close()
  for line in io.lines(args[2]) do
    if line ~= "" then subjects[#subjects + 1] = line end
  end
  counter = math.random(#subjects)
end

function request()
  counter = counter % #subjects + 1
  local body = '{"subject":"' .. subjects[counter] .. '","channel":"email","limit":3,"dry_run":true}'
  return wrk.format("POST", "/v1/decisions",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_us=%d p90_us=%d p99_us=%d requests=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), summary.requests, errors, summary.errors.status))
end
