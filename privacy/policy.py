"""Who may see which personal field of which customer in full, and who may export in full.

The table below is the one home of the rule: the reveal service enforces it, the workspace and the
API ask it which reveal buttons to offer. A reveal is always of one field of one customer, and
every role but the manager names a case of that customer which it may see (agents: may work), so
the reveal is tied to a piece of work.

| role        | fields              | which customers                                   |
|-------------|---------------------|---------------------------------------------------|
| agent       | phone, name         | of a case the agent may work (its queues)         |
| supervisor  | phone, e-mail, name | of a case in the supervisor's queues              |
| finance     | phone               | of a case finance may see (all: refund payouts)   |
| manager     | phone, e-mail, name | any (a case is optional)                          |
| intake      | none                |                                                   |
| ops admin   | none                |                                                   |
| superuser   | phone, e-mail, name | any                                               |
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from backoffice.roles import Role, has_role, roles_of
from cases import permissions

ALL_FIELDS = frozenset({"phone", "email", "name"})
WORK, SEE, ANY = "work", "see", "any"  # the case scope a role needs


@dataclass(frozen=True)
class RevealRule:
    fields: frozenset[str]
    scope: str  # WORK: a case the user may work; SEE: a case the user may see; ANY: no case needed


REVEAL_RULES: dict[str, RevealRule] = {
    Role.AGENT: RevealRule(frozenset({"phone", "name"}), WORK),
    Role.SUPERVISOR: RevealRule(ALL_FIELDS, SEE),
    Role.FINANCE: RevealRule(frozenset({"phone"}), SEE),
    Role.MANAGER: RevealRule(ALL_FIELDS, ANY),
}

# Who may export personal fields in full (asking for it each time, `full=1`).
EXPORT_FULL_ROLES = (Role.MANAGER,)


def _rules(user) -> list[RevealRule]:
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return [RevealRule(ALL_FIELDS, ANY)]
    return [REVEAL_RULES[role] for role in sorted(roles_of(user)) if role in REVEAL_RULES]


def _in_scope(user, rule: RevealRule, case) -> bool:
    if rule.scope == ANY:
        return case is None or permissions.can_view_case(user, case)
    if case is None:
        return False
    if rule.scope == WORK:
        return permissions.can_work_case(user, case)
    return permissions.can_view_case(user, case)


def revealable_fields(user, case=None) -> frozenset[str]:
    """The fields this user may reveal of the customer of `case` (or of any customer, no case)."""
    allowed: set[str] = set()
    for rule in _rules(user):
        if _in_scope(user, rule, case):
            allowed |= rule.fields
    return frozenset(allowed)


def reveal_refusal(user, *, customer, field: str, case=None) -> str | None:
    """Why this reveal may not happen (a role, field or scope reason), or None when it may. The
    service checks the case first (`case_problem`)."""
    if not _rules(user):
        return str(_("Your role may not reveal personal information."))
    if field in revealable_fields(user, case):
        return None
    return str(_("Your role may not reveal this field of this customer."))


def case_problem(user, *, customer, field: str, case=None) -> str | None:
    """What is wrong with the case named for a reveal (the answer names `case`), or None."""
    if case is not None and case.customer_id != customer.pk:
        return str(_("The case is not this customer's."))
    if (
        case is None
        and field not in revealable_fields(user, None)
        and field in revealable_fields_with_a_case(user)
    ):
        return str(_("Name the case you need this for."))
    return None


def revealable_fields_with_a_case(user) -> frozenset[str]:
    """Every field some case would let the user reveal."""
    allowed: set[str] = set()
    for rule in _rules(user):
        allowed |= rule.fields
    return frozenset(allowed)


def may_export_full(user) -> bool:
    """Export personal fields in full (when asked, `full=1`): managers and superusers."""
    return has_role(user, *EXPORT_FULL_ROLES)


def name_in_full_for(user) -> bool:
    """API responses: an intake client gets back the name it sent (spec/API.md shows the 201 body
    with the name); staff see it masked. Phone numbers are masked for everyone."""
    return permissions.is_outside_client(user)
