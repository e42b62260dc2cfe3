"""Operating Civility: health and readiness probes, Prometheus metrics, request ids and JSON logs.

- `/healthz`: the process answers (no dependency is asked); `/readyz`: the database answers a
  query, Redis a PING when configured, and the model is in memory; 503 naming what is not ready
  (civility/ops/health.py).
- `/metrics`: Prometheus text format, for the addresses in CIVILITY_METRICS_ALLOW (loopback by
  default) or a bearer CIVILITY_METRICS_TOKEN (civility/ops/views.py). What each process
  records is defined in civility/metrics.py; cluster-wide figures (task queue depth, parked
  tasks, webhook deliveries failing) are read from the database at scrape time
  (civility/ops/collectors.py).
- Every request gets an id (the proxy's X-Request-ID when the proxy is trusted, else a new one),
  echoed in the response and carried by every log line written while it is served; one JSON
  log line per request (civility/ops/requests.py, civility/ops/logs.py).

Nothing imports this package but the settings, the URL conf and `civility serve`.
"""
