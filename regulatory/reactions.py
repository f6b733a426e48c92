"""What the classification does when a case opens, is resolved, reopened or merged
(`settings.DOMAIN_EVENT_SUBSCRIBERS`): the default codes, refreshed with the root cause, and the
regulator's facts of the case (`regulatory.facts`)."""

from cases.domain_events import CaseOpened, CaseStatusChanged
from regulatory import services


def case_opened(event: CaseOpened) -> None:
    services.coding_open(case=event.case)


def case_resolved(event: CaseStatusChanged) -> None:
    services.coding_refresh(case=event.case)


def case_status_changed(event: CaseStatusChanged) -> None:
    services.coding_status_changed(case=event.case, previous=event.previous)
