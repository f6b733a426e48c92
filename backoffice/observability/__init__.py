"""Observability: request ids through logs and tasks, the Prometheus `/metrics` endpoint, task timings.

- `requestid`: the id of the request (from nginx's `X-Request-ID`, or made here) in a contextvar,
  on every log record, on the response, and carried in the headers of the tasks the request
  publishes, so the worker's log lines of those tasks carry it too;
- `tasktimes`: Celery signal handlers that record each task's run time and queue wait into the
  small table `TaskTiming` (one row per task × histogram bucket), readable from any process;
- `metrics`: the `/metrics` view (bearer token or an allowed address) and the collector that reads
  the gauges from the database at scrape time, so every gunicorn worker answers the same.
"""
