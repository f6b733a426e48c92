"""SLA clocks driven by the case services: start, pause, resume, stop, re-target, extend.

Every clock change writes a timeline event (type `sla`) whose payload is enough to rebuild the
clock (the tests replay them: `tests/sla/clock_rebuild.py`). Callers hold the case's transaction;
nothing here commits on its own.
"""

from datetime import datetime, timedelta

from django.db.models import Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from backoffice.cache import cached
from backoffice.calendars.models import BusinessCalendar
from backoffice.calendars.services import calendar_spec
from backoffice.calendars.timecalc import past_verified
from backoffice.held_rows import insert_rows
from cases.choices import OPEN_STATUSES, Channel, EventType, FlagCode, Status
from cases.events import record_event
from cases.models import Case
from cases.models.cases import NO_DUE
from sla import engine, facts
from sla.choices import RUNNING_STATES, ClockState, Metric, PolicyKind, Threshold
from sla.models import SlaClock, SlaPolicy, SlaTarget

CUSTOMER_FACING = frozenset({Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION})
# Which clocks each status pauses. Regulatory clocks never pause.
PAUSED_IN = {
    Status.WAITING_CUSTOMER: CUSTOMER_FACING,
    Status.WAITING_THIRD_PARTY: frozenset({Metric.RESOLUTION}),
}
RESPONSE_METRICS = frozenset({Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE})
CASE_METRICS_STOPPED_BY_RESOLVE = frozenset(
    {Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION, Metric.REGULATORY_DECISION}
)


def _counting_for_next_due(cycle):
    """The clocks whose due time `Case.next_due_at` follows: running ones and those breached in the
    case's current cycle (`cycle`: a number, or `OuterRef("cycle")`), not a refund's.

    A breached clock keeps its (past) due time in the key, so the list's "SLA due, soonest first"
    puts breached cases first, the longest overdue first: an open case is breached now
    (`sla.policy.case_breached_q`) exactly when `next_due_at <= now` (a breached clock's due time
    is never after its breach; a running one past due is breached by definition). Before, the
    breach left the key and the case sank to its next running clock's due time or to the end."""
    return SlaClock.objects.filter(
        Q(state=ClockState.ACTIVE) | Q(state=ClockState.BREACHED, cycle=cycle)
    ).exclude(metric=Metric.REFUND_APPROVAL)


def refresh_next_due(case) -> None:
    """Keep `Case.next_due_at` (the list's SLA ordering) equal to the earliest due time of its
    running or breached clocks while it is open; no due time once resolved or closed."""
    due = NO_DUE
    if case.status in OPEN_STATUSES:
        clocks = _counting_for_next_due(case.cycle).filter(case=case)
        due = clocks.aggregate(due=Min("due_at"))["due"] or NO_DUE
    if case.next_due_at != due:
        Case.objects.filter(pk=case.pk).update(next_due_at=due)
        case.next_due_at = due


def cases_mark_breached(case_ids) -> None:
    """`Case.breached` for cases one of whose clocks has just breached (the list's filter)."""
    if case_ids:
        Case.objects.filter(pk__in=case_ids, breached=False).update(breached=True)


def next_due_expression():
    """`refresh_next_due`'s due time as an expression over the `Case` rows of an `UPDATE`."""
    earliest = (
        _counting_for_next_due(OuterRef("cycle"))
        .filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(due=Min("due_at"))
        .values("due")
    )
    return Coalesce(Subquery(earliest), Value(NO_DUE))


def cases_next_due_refresh(case_ids) -> None:
    """`refresh_next_due` for many open cases in one statement (the in-memory cases are not
    updated)."""
    if not case_ids:
        return
    Case.objects.filter(pk__in=case_ids, status__in=OPEN_STATUSES).update(
        next_due_at=next_due_expression()
    )


# --- choosing policies and targets ---------------------------------------------------------------


def _is_regulator_referral(case, flag_codes=None) -> bool:
    """From the channel, then the case's open flags: `flag_codes` when the caller has them (a case
    being opened), else read."""
    if case.channel == Channel.REGULATOR:
        return True
    if flag_codes is not None:
        return FlagCode.REGULATOR_REFERRAL in flag_codes
    return case.flags.filter(code=FlagCode.REGULATOR_REFERRAL, cleared_at__isnull=True).exists()


def _policy_matches(policy: SlaPolicy, case, referral: bool) -> bool:
    return (
        (not policy.category or policy.category == case.category)
        and (not policy.channel or policy.channel == case.channel)
        and (not policy.priority or policy.priority == case.priority)
        and (policy.regulator_referral is None or policy.regulator_referral == referral)
    )


def policies_for(case) -> tuple[SlaPolicy | None, list[SlaPolicy]]:
    """The first matching service policy (by position) and every matching regulatory policy."""
    return _select_policies(case, _is_regulator_referral(case))


def _select_policies(case, referral: bool) -> tuple[SlaPolicy | None, list[SlaPolicy]]:
    service, regulatory = None, []
    for policy in _policies():
        if not _policy_matches(policy, case, referral):
            continue
        if policy.kind == PolicyKind.REGULATORY:
            regulatory.append(policy)
        elif service is None:
            service = policy
    return service, regulatory


def _policies() -> list[SlaPolicy]:
    return cached(
        "sla.policies",
        lambda: list(
            SlaPolicy.objects.filter(enabled=True)
            .select_related("calendar")
            .order_by("position", "id")
        ),
    )


def _targets() -> dict[tuple[int, str], list[SlaTarget]]:
    def load():
        by_policy_metric: dict[tuple[int, str], list[SlaTarget]] = {}
        for target in SlaTarget.objects.order_by("pk"):
            by_policy_metric.setdefault((target.policy_id, target.metric), []).append(target)
        return by_policy_metric

    return cached("sla.targets", load)


def target_for(policy: SlaPolicy, metric: str, priority: str) -> SlaTarget | None:
    targets = [t for t in _targets().get((policy.pk, metric), []) if t.priority in (priority, "")]
    targets.sort(key=lambda t: t.priority == "")  # the exact priority first
    return targets[0] if targets else None


def _calendar(policy: SlaPolicy) -> BusinessCalendar:
    if policy.calendar_id:
        return policy.calendar
    return cached("calendar.default", lambda: BusinessCalendar.objects.get(is_default=True))


# --- the clock's arithmetic, applied to a row ------------------------------------------------------


def _times(clock: SlaClock) -> engine.ClockTimes:
    return engine.compute(
        calendar_spec(clock.calendar),
        unit=clock.unit,
        amount=clock.amount,
        started_at=clock.started_at,
        paused=timedelta(seconds=clock.paused_seconds),
        regulatory=clock.metric == Metric.REGULATORY_DECISION,
    )


def _fired(clock: SlaClock) -> list[str]:
    return [c for c in clock.fired.split(",") if c]


def _schedule(clock: SlaClock, times: engine.ClockTimes | None = None) -> None:
    """Set due_at and the next threshold the sweep must look at (none unless running)."""
    times = times or _times(clock)
    clock.due_at = times.due_at
    clock.past_verified = past_verified(calendar_spec(clock.calendar), times.due_at)
    clock.next_threshold, clock.next_threshold_at = "", None
    if clock.state != ClockState.ACTIVE:
        return
    fired = _fired(clock)
    for code, at in times.thresholds:
        if code not in fired:
            clock.next_threshold, clock.next_threshold_at = code, at
            return


def _event(clock: SlaClock, action: str, actor=None, **extra) -> None:
    payload = {
        "action": action,
        "clock": clock.pk,
        "metric": clock.metric,
        "cycle": clock.cycle,
        "due_at": clock.due_at.isoformat(),
        **{k: v.isoformat() if isinstance(v, datetime) else v for k, v in extra.items()},
    }
    if clock.subject:
        payload["subject"] = clock.subject
    record_event(case=clock.case, type=EventType.SLA, actor=actor, payload=payload)


# --- starting -------------------------------------------------------------------------------------


def _new_clock(
    *, case, metric: str, policy: SlaPolicy, at: datetime, subject: str = ""
) -> SlaClock | None:
    """An unsaved, scheduled clock from `at` (the policy's target for the case's priority); None
    if the policy has no target for it."""
    target = target_for(policy, metric, case.priority)
    if target is None:
        return None
    clock = SlaClock(
        case=case,
        metric=metric,
        cycle=case.cycle,
        subject=subject,
        policy=policy,
        calendar=_calendar(policy),
        amount=target.amount,
        unit=target.unit,
        started_at=at,
        state=ClockState.ACTIVE,
    )
    _schedule(clock)
    clock.original_due_at = clock.due_at
    return clock


def _start_event(clock: SlaClock, actor) -> None:
    _event(
        clock,
        "start",
        actor,
        started_at=clock.started_at,
        amount=clock.amount,
        unit=clock.unit,
        policy=clock.policy.name,
        past_verified=clock.past_verified,
    )


def clock_start(
    *, case, metric: str, policy: SlaPolicy, at: datetime, actor=None, subject: str = ""
) -> SlaClock | None:
    """Start one clock from `at` (the policy's target for the case's priority); None if no target."""
    clock = _new_clock(case=case, metric=metric, policy=policy, at=at, subject=subject)
    if clock is None:
        return None
    clock.save()
    _start_event(clock, actor)
    return clock


def clocks_plan_for_case(*, case, flag_codes, at: datetime | None = None) -> list[SlaClock]:
    """A new case's clocks, unsaved: first response and resolution (service policy) and every
    regulatory clock, from `at` (the receipt); `flag_codes`: the flags it is being opened with.
    Sets `case.next_due_at` from them, so the case can be inserted with it;
    `clocks_start_planned` saves them once the case has its id."""
    at = at or case.received_at
    service, regulatory = _select_policies(case, _is_regulator_referral(case, flag_codes))
    planned = []
    if service is not None:
        for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
            planned.append(_new_clock(case=case, metric=metric, policy=service, at=at))
    for policy in regulatory:
        planned.append(
            _new_clock(case=case, metric=Metric.REGULATORY_DECISION, policy=policy, at=at)
        )
    clocks = [c for c in planned if c is not None]
    case.next_due_at = min((c.due_at for c in clocks), default=NO_DUE)
    return clocks


def clocks_start_planned(*, clocks: list[SlaClock], actor=None) -> None:
    """Insert the clocks of `clocks_plan_for_case` (their case saved by now) in one statement and
    write their start events."""
    insert_rows(clocks)  # held to the end of a bulk intake (`backoffice.held_rows`)
    for clock in clocks:
        _start_event(clock, actor)


def clock_start_metric(
    *, case, metric: str, actor=None, at: datetime | None = None, subject: str = ""
):
    """Start a clock of the service policy (next response, resolution after reopen, refund approval)
    unless one of this metric, cycle and subject already runs."""
    if SlaClock.objects.filter(
        case=case, metric=metric, cycle=case.cycle, subject=subject
    ).exists():
        return None
    service, _ = policies_for(case)
    if service is None:
        return None
    clock = clock_start(
        case=case,
        metric=metric,
        policy=service,
        at=at or timezone.now(),
        actor=actor,
        subject=subject,
    )
    refresh_next_due(case)
    return clock


# --- pausing, resuming, stopping ------------------------------------------------------------------


def _running(case, metrics=None, subject: str | None = ""):
    qs = SlaClock.objects.select_for_update(no_key=True).filter(case=case, state__in=RUNNING_STATES)
    if metrics is not None:
        qs = qs.filter(metric__in=metrics)
    if subject is not None:
        qs = qs.filter(subject=subject)
    return list(qs.order_by("pk"))


def _pause(clock: SlaClock, at: datetime, actor) -> None:
    clock.state, clock.paused_at = ClockState.PAUSED, at
    _schedule(clock)
    clock.save()
    _event(clock, "pause", actor, at=at)


def _resume(clock: SlaClock, at: datetime, actor) -> None:
    spec = calendar_spec(clock.calendar)
    added = engine.measure(spec, clock.unit, clock.paused_at, at).total_seconds()
    clock.paused_seconds += max(added, 0.0)
    clock.state, clock.paused_at = ClockState.ACTIVE, None
    _schedule(clock)
    clock.save()
    _event(clock, "resume", actor, at=at, paused_seconds=clock.paused_seconds)


def _unstopped(case, metrics=None, subject: str | None = ""):
    """Running clocks and breached ones not stopped yet (a breach is final, the stop time counts)."""
    qs = SlaClock.objects.select_for_update(no_key=True).filter(
        Q(state__in=RUNNING_STATES) | Q(state=ClockState.BREACHED, stopped_at__isnull=True),
        case=case,
    )
    if metrics is not None:
        qs = qs.filter(metric__in=metrics)
    if subject is not None:
        qs = qs.filter(subject=subject)
    return list(qs.order_by("pk"))


def _stop(clock: SlaClock, at: datetime, actor, *, cancel: bool = False) -> None:
    if clock.state == ClockState.PAUSED:
        _resume(clock, at, actor)
    if clock.state == ClockState.BREACHED:
        action = "stop"
    elif cancel:
        clock.state, action = ClockState.CANCELLED, "cancel"
    elif at <= clock.due_at:
        clock.state, action = ClockState.MET, "met"
    else:
        clock.state, clock.breached_at, action = ClockState.BREACHED, clock.due_at, "breach"
    clock.stopped_at = at
    clock.next_threshold, clock.next_threshold_at = "", None
    clock.save()
    facts.record_stop(clock)  # the report's row: minutes and the case's groups as they are now
    extra = {"at": at, "stopped_at": at}
    if action == "breach":
        extra["breached_at"] = clock.breached_at
        cases_mark_breached([clock.case_id])
    _event(clock, action, actor, **extra)


def clock_stop_subject(
    *, case, subject: str, at: datetime, actor=None, cancel: bool = False
) -> None:
    """Stop the clock kept for one subject of a case (e.g. `refund:42` when it is decided)."""
    for clock in _unstopped(case, subject=subject):
        _stop(clock, at, actor, cancel=cancel)
    refresh_next_due(case)


def clocks_on_reply(*, case, at: datetime, actor=None) -> None:
    """A public reply stops the first-response and next-response clocks."""
    for clock in _unstopped(case, RESPONSE_METRICS, subject=None):
        _stop(clock, at, actor)
    refresh_next_due(case)


def clocks_on_customer_message(*, case, at: datetime, actor=None) -> None:
    """A customer message starts the next-response clock (if none is waiting already)."""
    if case.status in (Status.RESOLVED, Status.CLOSED):
        return
    if not SlaClock.objects.filter(
        case=case, metric=Metric.NEXT_RESPONSE, state__in=RUNNING_STATES
    ).exists():
        clocks = SlaClock.objects.filter(case=case, metric=Metric.NEXT_RESPONSE, cycle=case.cycle)
        subject = f"msg:{clocks.count() + 1}"
        clock_start_metric(
            case=case, metric=Metric.NEXT_RESPONSE, actor=actor, at=at, subject=subject
        )


def clocks_on_status(*, case, previous: str, at: datetime | None = None, actor=None) -> None:
    """Pause, resume, stop or start clocks for a status change that has just been saved."""
    at = at or timezone.now()
    new = case.status
    if new == Status.RESOLVED:
        for clock in _unstopped(case, CASE_METRICS_STOPPED_BY_RESOLVE, subject=None):
            _stop(clock, at, actor)
    elif new == Status.CLOSED:
        for clock in _unstopped(case, subject=None):
            _stop(clock, at, actor, cancel=True)
    else:
        _pause_or_resume(case=case, previous=previous, at=at, actor=actor)
    refresh_next_due(case)


def _pause_or_resume(*, case, previous: str, at: datetime, actor) -> None:
    new = case.status
    if previous == Status.RESOLVED:  # reopened: a new cycle
        clock_start_metric(case=case, metric=Metric.RESOLUTION, actor=actor, at=at)
    paused_now = PAUSED_IN.get(new, frozenset())
    for clock in _running(case, CUSTOMER_FACING, subject=None):
        if clock.metric in paused_now and clock.state == ClockState.ACTIVE:
            _pause(clock, at, actor)
        elif clock.metric not in paused_now and clock.state == ClockState.PAUSED:
            _resume(clock, at, actor)


def clocks_retarget(*, case, actor=None) -> None:
    """A priority change re-targets every running clock from its original start."""
    for clock in _running(case, subject=None):
        target = target_for(clock.policy, clock.metric, case.priority)
        if target is None or (target.amount, target.unit) == (clock.amount, clock.unit):
            continue
        clock.amount, clock.unit = target.amount, target.unit
        _schedule(clock)
        clock.save()
        _event(
            clock, "retarget", actor, amount=clock.amount, unit=clock.unit, priority=case.priority
        )
    refresh_next_due(case)


def clock_extend(*, clock: SlaClock, actor, reason: str) -> SlaClock:
    """One extension step of a running clock (15 → 30 → 60 days); warnings start over."""
    target = target_for(clock.policy, clock.metric, clock.case.priority)
    steps = list(target.extensions) if target else []
    if clock.extension_level >= len(steps):
        return None
    clock.amount = steps[clock.extension_level]
    clock.extension_level += 1
    clock.fired = ""
    _schedule(clock)
    clock.save()
    _event(clock, "extend", actor, amount=clock.amount, level=clock.extension_level, reason=reason)
    refresh_next_due(clock.case)
    return clock


def running_regulatory_clock(case) -> SlaClock | None:
    return (
        SlaClock.objects.select_for_update(no_key=True)
        .filter(case=case, metric=Metric.REGULATORY_DECISION, state__in=RUNNING_STATES)
        .order_by("pk")
        .first()
    )


def fire_threshold(clock: SlaClock, code: str, at: datetime) -> None:
    """Record that a running clock crossed a threshold at `at` (the sweep decides when). The
    caller writes the clock and, after a breach, marks its case (`cases_mark_breached`): the sweep
    does both for a whole batch at once."""
    clock.fired = ",".join([*_fired(clock), code])
    if code == Threshold.BREACH:
        clock.state, clock.breached_at = ClockState.BREACHED, at
        _event(clock, "breach", None, at=at, breached_at=at)
    else:
        _event(clock, "warn", None, threshold=code, at=at)


def due_filter(now: datetime) -> Q:
    return Q(next_threshold_at__isnull=False, next_threshold_at__lte=now)
