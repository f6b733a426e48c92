"""gunicorn settings for the web process (`gunicorn -c backoffice/gunicorn_conf.py backoffice.wsgi`).

gunicorn's own logs (its error log and, when `--access-logfile` is given, the access log with each
request line and its query string) are set up by gunicorn, not by Django's `LOGGING`, so they do
not get the scrubbing filter. This logger class puts `backoffice.logging.ScrubFilter` on every
handler gunicorn makes: a phone number in a query string (`GET /api/v1/cases/?q=…`) is logged as
`+86 139****5678`. Integrations should search with `POST /api/v1/cases/search/` anyway, which keeps
the number out of the URL and so out of any proxy's log too (docs/operations.md).
"""

from gunicorn.glogging import Logger

from backoffice.logging import ScrubFilter


class ScrubbedLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        scrub = ScrubFilter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(scrub)


logger_class = ScrubbedLogger
