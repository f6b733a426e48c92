import gc
import os

from django.core.wsgi import get_wsgi_application

from backoffice.audit.chain import require_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
application = get_wsgi_application()
require_key()  # a web process without the audit key refuses to start (docs/security.md)


def settle_collector() -> None:
    """What start-up loaded (Django, the apps, their modules and URL patterns) lives as long as
    the process: freeze it, so a full collection scans only what requests left behind, and collect
    the youngest generation less often. At 1,000,000 cases the API list's p95 went from 99 to
    30 ms (median unchanged, 21 ms): the spikes were full collections walking every object."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


settle_collector()
