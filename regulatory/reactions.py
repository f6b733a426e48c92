"""What the classification does when a case opens or is resolved
(`settings.DOMAIN_EVENT_SUBSCRIBERS`): the default codes, refreshed with the root cause."""

from cases.domain_events import CaseOpened, CaseStatusChanged
from regulatory import services


def case_opened(event: CaseOpened) -> None:
    services.coding_open(case=event.case)


def case_resolved(event: CaseStatusChanged) -> None:
    services.coding_refresh(case=event.case)
