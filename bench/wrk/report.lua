-- Appended to every wrk script: one JSON line with the figures the benchmark reads.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, ' ..
    '"socket_errors": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
