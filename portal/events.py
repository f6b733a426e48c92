"""What happens on the customer's side that other parts react to (`backoffice.domain_events`)."""

from dataclasses import dataclass
from typing import Any

from backoffice.domain_events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SatisfactionAnswered(DomainEvent):
    """The customer answered `survey` (a `portal.models.Satisfaction`, saved with its score and
    comment) in this transaction. A low score opens a follow-up for the queue's supervisors."""

    name = "portal.satisfaction_answered"
    survey: Any
    case: Any
    actor: Any = None
