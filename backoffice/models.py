"""Models of the cross-cutting back-office pieces; each sub-package keeps its own models module."""

from backoffice.api.models import IdempotencyKey  # noqa: F401
from backoffice.audit.models import AuditEntry  # noqa: F401
from backoffice.calendars.models import BusinessCalendar, CalendarDay, CalendarDayKind  # noqa: F401
from backoffice.observability.models import MetricTally  # noqa: F401
