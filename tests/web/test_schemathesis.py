"""Schemathesis over every operation of the OpenAPI schema the app serves.

The schema is read from the WSGI app itself (`GET /api/v1/schema/`, which needs no database) when
the module is collected, and every generated request goes to that app in-process, as a superuser
with a token. Path parameters point at a real case and a real pending refund, so that requests get
past the lookup to the bodies and the state rules.

`test_every_operation_conforms_to_the_schema` runs Schemathesis' default checks (no server error,
documented status codes, content types, headers and bodies, data acceptance and rejection);
`test_no_operation_answers_a_server_error` runs only the first, so that it still guards against
500s while an operation is known not to match its documentation (KNOWN_FAILURES below).

(`schemathesis.pytest.from_fixture` would load the schema per test, but 4.32.5 sets
`node._nodeid`, which pytest 9 no longer has.)
"""

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from backoffice.wsgi import application
from casework.services import IncomingFile, attach
from refunds.services import refund_request
from risk.models import FlaggedIp
from tests.support.factories import UserFactory, open_case, staff

# A schema-valid request may still break a business rule the schema cannot express (an unknown
# assignee, a transition the state does not allow): 400 and 409 are documented refusals of those;
# 429 is the token endpoint's documented refusal once an account has failed too often (the examples
# guess passwords for the same few user names).
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            }
        }
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=CONFIG)

BOUNDED = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples every run: a finding does not come and go
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)

# --- what the default checks find today (product bugs, reported; remove an entry once fixed) ----
# operation label ("GET /api/v1/cases/") → what is wrong. None known today.

KNOWN_FAILURES: dict[str, str] = {}
KNOWN_SERVER_ERRORS: dict[str, str] = {}
# test → (known failures, strict?). A schema mismatch that shows on almost any refused request is
# found every run (strict: the test fails once it is gone); a server error that needs a rare input
# (a far UTC offset, say) may or may not be among the examples of a given schema (not strict; pin
# it exactly in test_malformed_input).
KNOWN = {
    "test_every_operation_conforms_to_the_schema": (KNOWN_FAILURES, True),
    "test_no_operation_answers_a_server_error": (KNOWN_SERVER_ERRORS, False),
}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection when a request starts and finishes; Django's
    test client stops it from doing so, and so must we, or the test's transaction is gone."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def headers(db) -> dict:
    cache.clear()  # the throttles count in the cache
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def path_values(db) -> dict:
    """A real case, a real pending refund and a file on it, and an IP on the watch list, for the
    `{reference}`, `{id}`, `{attachment_id}` and `{ip}` parameters."""
    case = open_case()
    requester = staff("agent", "recharge", username="requester")
    refund = refund_request(
        actor=requester, case=case, amount="20.00", reason="充值失败", liability="company"
    )
    now = timezone.now()
    watched = FlaggedIp.objects.create(
        ip="198.51.100.7", first_seen=now, last_seen=now, failures=12, burst_from=now, burst_to=now
    )
    attachment = attach(
        case=case,
        file=IncomingFile(name="notes.txt", data="付款截图见附件".encode()),
        source="api",
        actor=requester,
    )
    return {
        "reference": case.reference,
        "id": refund.pk,
        "ip": watched.ip,
        "attachment_id": str(attachment.pk),  # the path parameter is a string of digits
    }


def aim(case, path_values: dict) -> None:
    if case.path_parameters:
        case.path_parameters = {
            name: path_values.get(name, value) for name, value in case.path_parameters.items()
        }


FOUND: set[tuple[str, str]] = set()


def label_of(request) -> str:
    return request.node.name.partition("[")[2].rstrip("]")


@pytest.fixture
def _known_failures(request):
    """Known failures are expected; a strict one that no longer happens fails the test's teardown.

    (Not `xfail(strict=True)`: on an XPASS, Schemathesis' pytest plugin asserts and pytest stops
    with INTERNALERROR. `raises=FailureGroup` keeps the teardown's failure a failure.)
    """
    label, (known, strict) = label_of(request), KNOWN[request.node.originalname]
    if label not in known:
        yield
        return
    reason = f"product bug: {known[label]}"
    request.node.add_marker(pytest.mark.xfail(raises=FailureGroup, reason=reason))
    yield
    if strict and (request.node.originalname, label) not in FOUND:
        pytest.fail(f"{label} now conforms: remove it from KNOWN_FAILURES", pytrace=False)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.usefixtures("_known_failures")
@schema.parametrize()
@BOUNDED
def test_every_operation_conforms_to_the_schema(request, case, headers, path_values):
    aim(case, path_values)
    try:
        case.call_and_validate(headers=headers)
    except FailureGroup:
        FOUND.add((request.node.originalname, label_of(request)))
        raise


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.usefixtures("_known_failures")
@schema.parametrize()
@BOUNDED
def test_no_operation_answers_a_server_error(request, case, headers, path_values):
    aim(case, path_values)
    try:
        case.call_and_validate(headers=headers, checks=[schemathesis.checks.not_a_server_error])
    except FailureGroup:
        FOUND.add((request.node.originalname, label_of(request)))
        raise


# --- the stateful phase: sequences of calls linked through their responses (the `next` cursor,
# a created case's reference) -------------------------------------------------------------------
StatefulBase = schema.as_state_machine()


@pytest.mark.slow
@pytest.mark.django_db
def test_stateful_sequences_conform_to_the_schema(headers, path_values):
    class Workflow(StatefulBase):
        def before_call(self, case):
            aim(case, path_values)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # Every call carries the test's token over the generated credentials, which
            # `ignored_auth` takes for the API accepting bad ones; 401 without a valid token is
            # pinned route by route in test_permission_matrix.
            case.validate_response(
                response,
                excluded_checks=[schemathesis.checks.ignored_auth],
                transport_kwargs=kwargs or None,
            )

    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            BOUNDED, max_examples=10, stateful_step_count=6, suppress_health_check=list(HealthCheck)
        ),
    )
