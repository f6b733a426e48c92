"""Every write of the regulatory classification: a case's default codes (at intake, refreshed
when its root cause is set, until a supervisor corrects them), a supervisor's correction, and
the code tables' versions (a new version copies a set; activating one makes it the only active)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit.services import audit_record
from backoffice.cache import cached
from backoffice.errors import Conflict, Invalid
from backoffice.held_rows import insert_rows
from cases import permissions
from cases.choices import Channel, EventType, Status
from cases.events import audit_case, record_event
from cases.models import Case
from privacy.hashing import personal_ref
from regulatory import facts, policy
from regulatory.models import Axis, CaseCoding, Code, CodeMapping, CodeSet, CodingSource
from regulatory.regions import region_of


def active_code_set() -> CodeSet | None:
    return CodeSet.objects.filter(active=True).first()


@dataclass(frozen=True)
class _Defaults:
    """The mapping resolved in one code set: (source, value, axis) → code id."""

    code_set_id: int
    code_ids: dict[tuple[str, str, str], int]


def _defaults_of(code_set_id: int) -> _Defaults:
    ids = dict(Code.objects.filter(code_set_id=code_set_id).values_list("code", "pk"))
    return _Defaults(
        code_set_id,
        {
            (m.source, m.value, m.axis): ids[m.code]
            for m in CodeMapping.objects.all()
            if m.code in ids
        },
    )


def _active_defaults() -> _Defaults | None:
    """The active set's mapping, kept for `CONFIG_CACHE_SECONDS` (read on every intake; edits in
    the admin clear it: `RegulatoryConfig.ready`)."""

    def load():
        code_set = active_code_set()
        return None if code_set is None else _defaults_of(code_set.pk)

    return cached("regulatory.defaults", load)


def default_codes(case: Case, defaults: _Defaults) -> dict[str, int | None]:
    """The mapped code id on each axis: the root cause's, else the category's, else the
    channel's (`a_id`, `b_id`, `c_id`)."""
    asked = [
        ("root_cause", case.root_cause),
        ("category", case.category),
        ("channel", case.channel),
    ]
    found = {}
    for axis in Axis.values:
        found[f"{axis.lower()}_id"] = next(
            (
                defaults.code_ids[(source, value, axis)]
                for source, value in asked
                if value and (source, value, axis) in defaults.code_ids
            ),
            None,
        )
    return found


def coding_open(*, case: Case) -> CaseCoding:
    """The default codes of a case just opened, where its customer's phone is registered, and its
    regulatory facts (`regulatory.facts`). Without an active code set the row has no codes yet."""
    defaults = _active_defaults()
    province, city = region_of(case.customer.phone)
    codes = default_codes(case, defaults) if defaults else {}
    coding = CaseCoding(
        case=case,
        code_set_id=defaults.code_set_id if defaults else None,
        province=province,
        city=city,
        received_at=case.received_at,
        referral=case.channel == Channel.REGULATOR,
        counted=case.merged_into_id is None,
        **codes,
    )
    (coding,) = insert_rows([coding])  # held to the end of a bulk intake (`backoffice.held_rows`)
    return coding


def coding_refresh(*, case: Case) -> CaseCoding:
    """The case was resolved: its regulatory facts, and the defaults re-derived (the root cause
    may change the cause code); a corrected coding keeps its codes."""
    coding = CaseCoding.objects.select_for_update().filter(case=case).first()
    if coding is None:
        coding = coding_open(case=case)
    facts.refresh(case_id=case.pk)
    if coding.source == CodingSource.CORRECTED:
        return coding
    defaults = _active_defaults()
    if coding.code_set_id is None:
        if defaults is None:
            return coding
        coding.code_set_id = defaults.code_set_id
        coding.save(update_fields=["code_set"])
    elif defaults is None or defaults.code_set_id != coding.code_set_id:
        defaults = _defaults_of(coding.code_set_id)  # coded from an older version: keep to it
    codes = default_codes(case, defaults)
    changed = [field for field, pk in codes.items() if getattr(coding, field) != pk]
    if changed:
        for field in changed:
            setattr(coding, field, codes[field])
        coding.save(update_fields=changed)
    return coding


def coding_status_changed(*, case: Case, previous: str) -> None:
    """A reopen clears the handled facts; a merge stops counting the duplicate. Other changes of
    status leave the facts as they are (no statement)."""
    reopened = previous == Status.RESOLVED and case.resolved_at is None
    if case.merged_into_id is None and not reopened:
        return
    if not facts.refresh(case_id=case.pk):
        coding_open(case=case)


def _code_for(code_set: CodeSet, axis: str, value) -> Code:
    code = Code.objects.filter(code_set=code_set, axis=axis, code=str(value or "").strip()).first()
    if code is None:
        raise Invalid(
            {
                axis.lower(): [
                    _("“%(code)s” is not a code of axis %(axis)s in %(set)s.")
                    % {"code": value, "axis": axis, "set": code_set}
                ]
            }
        )
    return code


@transaction.atomic
def coding_correct(*, actor, case: Case, a: str, b: str, c: str, reason: str) -> CaseCoding:
    """A supervisor of the case's queue sets its three codes (in the coding's code set), with a
    reason: a timeline event and an audit row; later changes of the root cause keep them."""
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    permissions.require(
        policy.may_correct(actor, case),
        _("Only a supervisor of this queue can correct the regulatory codes."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": [_("Say why the codes are corrected.")]})
    if len(reason) > policy.MAX_REASON:
        raise Invalid({"reason": [_("At most %(n)d characters.") % {"n": policy.MAX_REASON}]})
    coding = CaseCoding.objects.select_for_update().filter(case=case).first()
    if coding is None:
        coding = coding_open(case=case)
    if coding.code_set_id is None:
        coding.code_set = active_code_set()
        if coding.code_set is None:
            raise Conflict(_("No regulatory code set is active."), code="no_code_set")
    new = {
        axis.lower(): _code_for(coding.code_set, axis, value)
        for axis, value in (("A", a), ("B", b), ("C", c))
    }
    before = {axis: getattr(coding, axis).code if getattr(coding, axis) else None for axis in new}
    after = {axis: code.code for axis, code in new.items()}
    for axis, code in new.items():
        setattr(coding, axis, code)
    coding.source = CodingSource.CORRECTED
    coding.corrected_by, coding.corrected_at, coding.reason = actor, timezone.now(), reason
    coding.save()
    payload = {"from": before, "to": after, "reason": reason}
    record_event(case=case, type=EventType.REGULATORY_CODES, actor=actor, payload=payload)
    audit_case(
        actor=actor,
        action="case.regulatory_codes",
        case=case,
        payload={**payload, "reason": personal_ref(reason)},  # free text: its keyed reference
    )
    return coding


def code_set_in_use(code_set: CodeSet) -> bool:
    return CaseCoding.objects.filter(code_set=code_set).exists()


@transaction.atomic
def codeset_new_version(*, actor, code_set: CodeSet, version: str = "") -> CodeSet:
    """A copy of `code_set` and its codes (parents kept), not active: edit it, then activate it."""
    taken = set(CodeSet.objects.filter(name=code_set.name).values_list("version", flat=True))
    if not version:
        number = len(taken) + 1
        while str(number) in taken:
            number += 1
        version = str(number)
    if version in taken:
        raise Invalid({"version": [_("Version %(v)s exists.") % {"v": version}]})
    copy = CodeSet.objects.create(
        name=code_set.name, version=version, effective_from=timezone.localdate(), active=False
    )
    made: dict[int, Code] = {}
    for code in code_set.codes.order_by("level", "code"):
        made[code.pk] = Code.objects.create(
            code_set=copy,
            axis=code.axis,
            code=code.code,
            name=code.name,
            level=code.level,
            parent=made.get(code.parent_id),
        )
    audit_record(
        actor=actor,
        action="regulatory.codeset_new_version",
        target=copy,
        payload={"from": code_set.pk, "version": version},
    )
    return copy


@transaction.atomic
def codeset_activate(*, actor, code_set: CodeSet) -> CodeSet:
    """New cases are coded from `code_set`; the cases coded before keep their codes."""
    CodeSet.objects.filter(active=True).exclude(pk=code_set.pk).update(active=False)
    if not code_set.active:
        code_set.active = True
        code_set.save(update_fields=["active"])
    audit_record(actor=actor, action="regulatory.codeset_activate", target=code_set)
    return code_set
