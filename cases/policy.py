"""What may be done to a case now: the rules the services enforce and the screens ask.

The case's policy has three parts, each with one home: who may act on which case is
`cases.permissions` (roles and queue scope), which status may follow which is `cases.transitions`
(the table), and this module puts them together with the case's state for each action and holds
the limits of the texts staff write. A service enforces a rule with `permissions.require(…)` and
the `ensure_*` functions here (the refusals and their codes are theirs); a screen asks the
`may_*` function of the action before it offers it. Neither restates the condition.
"""

from django.utils.translation import gettext as _

from backoffice.errors import Conflict
from cases import permissions
from cases.choices import Category, EventType, IncidentStatus, Status
from cases.transitions import allowed_targets

# The limits of what staff write (forms, API serializers and services use the same numbers).
MAX_MESSAGE = 20_000  # a reply, an internal note, a customer's message, a case's description
MAX_NOTE = 5_000  # the internal note of a status change or an incident's resolution
MAX_CUSTOMER_SUMMARY = 1_000  # what the customer is told about the resolution
MAX_EXTEND_REASON = 1_000  # why a regulatory deadline is extended (the customer is told)
MAX_SUBJECT = 200  # a case's or an incident's subject / title


# What makes a page stale: a write carries the version of the case its page showed (the id of the
# case's latest timeline event; every change writes one) and is refused when the case changed since.
# Events that only follow from a change or from the clock (an SLA clock's step, a notification to
# the customer) do not make a page stale on their own.
NOT_A_CHANGE = frozenset({EventType.SLA, EventType.NOTIFICATION})


def changes_the_case(event_type: str) -> bool:
    """Does an event of this type make a page rendered before it stale?"""
    return event_type not in NOT_A_CHANGE


# --- the case's state -----------------------------------------------------------------------------


def is_open(case) -> bool:
    """Open cases are claimed, assigned, merged, linked to incidents and triaged (the model's
    `Case.is_open`: the status is one of `OPEN_STATUSES`, which the queries filter by)."""
    return case.is_open


def accepts_replies(case) -> bool:
    """Staff may still write on a resolved case (it stays on the customer's record); not a closed one."""
    return case.status != Status.CLOSED


def is_merge_target(case) -> bool:
    """A case another may be merged into: not closed, not itself merged away."""
    return case.status != Status.CLOSED and case.merged_into_id is None


def has_sub_cause(case) -> bool:
    """Only credit-limit cases have a sub-cause (and its diagnosis checklist)."""
    return case.category == Category.CREDIT_LIMIT_UNUSABLE


def incident_is_open(incident) -> bool:
    """Cases are linked to, and resolved through, an open incident only."""
    return incident.status == IncidentStatus.OPEN


def ensure_open(case) -> None:
    if not is_open(case):
        raise Conflict(
            _("Case %(reference)s is %(status)s.")
            % {"reference": case.reference, "status": case.get_status_display()},
            code="case_not_open",
        )


def ensure_accepts_replies(case) -> None:
    if not accepts_replies(case):
        raise Conflict(
            _("Case %(reference)s is closed.") % {"reference": case.reference}, code="case_closed"
        )


def ensure_merge_target(case) -> None:
    if not is_merge_target(case):
        raise Conflict(
            _("Case %(reference)s is closed.") % {"reference": case.reference}, code="case_closed"
        )


def ensure_has_sub_cause(case) -> None:
    if not has_sub_cause(case):
        raise Conflict(
            _("Case %(reference)s is not a credit-limit case; only those have a sub-cause.")
            % {"reference": case.reference},
            code="no_sub_cause",
        )


# --- who may act, for an action -------------------------------------------------------------------


def may_assign(user, case, *, to_self: bool = False) -> bool:
    """Assign the case to someone: supervisors of its queue; to oneself, whoever may work it."""
    return permissions.can_supervise_case(user, case) or (
        to_self and permissions.can_work_case(user, case)
    )


def may_transition(user, case, to: str) -> bool:
    """Who may move the case to `to` (whether the table allows it is `transitions.allowed`)."""
    if to == Status.RESOLVED:
        return permissions.can_resolve_case(user, case)
    return permissions.can_work_case(user, case)


# --- the actions a screen offers: who, and the case's state now ------------------------------------


def may_claim(user, case) -> bool:
    return permissions.can_work_case(user, case) and is_open(case) and case.assignee_id is None


def may_assign_others(user, case) -> bool:
    return may_assign(user, case) and is_open(case)


def may_reply(user, case) -> bool:
    return permissions.can_work_case(user, case) and accepts_replies(case)


def may_attach(user, case) -> bool:
    """Upload a file to the case (evidence): its agents, while it still takes replies."""
    return permissions.can_attach(user, case) and accepts_replies(case)


def may_change_status(user, case) -> bool:
    return permissions.can_work_case(user, case) and bool(allowed_targets(case.status))


def may_extend(user, case, *, regulatory_running: bool) -> bool:
    """`regulatory_running`: the case has a running regulatory clock (`sla.policy` says which)."""
    return permissions.can_supervise_case(user, case) and regulatory_running


def may_link_incident(user, case) -> bool:
    return (
        permissions.can_act_through_incident(user, case)
        and is_open(case)
        and case.incident_id is None
    )


def may_merge(user, case) -> bool:
    """Merge this case away (into another of the customer's cases)."""
    return permissions.can_work_case(user, case) and is_open(case)


def may_merge_into(user, case) -> bool:
    """Merge a duplicate into this case."""
    return is_merge_target(case) and permissions.can_work_case(user, case)


def may_decide_contact(user, case) -> bool:
    """Confirm or reject a customer's contact change held on this case."""
    return permissions.can_work_case(user, case) and is_open(case)


def may_triage(user, case) -> bool:
    """Set the sub-cause and tick the checklist."""
    return permissions.can_work_case(user, case) and is_open(case) and has_sub_cause(case)
