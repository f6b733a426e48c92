"""The refund provider client against the sandbox provider, a real process over real HTTP."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from refunds.providers import client
from refunds.providers.client import ProviderRejected, ProviderUnavailable
from tests.refunds import provider_reads
from tests.support.workers import free_port, wait_for


def new_ref() -> str:
    return f"RF-{uuid.uuid4().hex[:12]}"


def submit(key: str, reference: str, amount: str = "50.00", currency: str = "CNY"):
    return client.submit_refund(
        idempotency_key=key, amount=Decimal(amount), currency=currency, reference=reference
    )


def wait_until(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_submit_succeeds_and_the_ledger_shows_it(provider_sandbox):
    ref = new_ref()
    refund = submit(f"{ref}:1", ref, amount="50")

    assert refund.id.startswith("re_")
    assert (refund.status, refund.failure_reason) == ("succeeded", None)
    assert (refund.amount, refund.currency) == (Decimal("50.00"), "CNY")
    assert (refund.reference, refund.idempotency_key) == (ref, f"{ref}:1")
    [row] = provider_sandbox.ledger()
    assert (row["id"], row["amount"], row["status"]) == (refund.id, "50.00", "succeeded")
    assert provider_reads.find_refunds(reference=ref) == [refund]
    assert provider_reads.ledger() == [refund]
    assert provider_reads.get_refund(refund_id=refund.id) == refund
    assert provider_reads.find_refunds(reference="no-such-reference") == []


def test_same_key_twice_is_the_same_refund(provider_sandbox):
    ref = new_ref()
    first = submit(f"{ref}:1", ref)
    second = submit(f"{ref}:1", ref)

    assert second == first
    assert len(provider_sandbox.ledger()) == 1


def test_same_key_with_another_amount_is_refused(provider_sandbox):
    ref = new_ref()
    first = submit(f"{ref}:1", ref, amount="50.00")

    for changed in ({"amount": "60.00"}, {"currency": "USD"}, {"reference": new_ref()}):
        args = {"amount": "50.00", "currency": "CNY", "reference": ref} | changed
        with pytest.raises(ProviderRejected) as excinfo:
            submit(f"{ref}:1", **args)
        assert (excinfo.value.status, excinfo.value.code) == (409, "idempotency_key_reused")

    [row] = provider_sandbox.ledger()
    assert (row["id"], row["amount"], row["reference"]) == (first.id, "50.00", ref)


def test_fail_rate_records_a_failed_refund_and_pays_nothing(start_provider_sandbox):
    sandbox = start_provider_sandbox(fail_rate=1)
    ref = new_ref()
    refund = submit(f"{ref}:1", ref)

    assert (refund.status, refund.failure_reason) == ("failed", "insufficient_funds")
    assert [row["status"] for row in sandbox.ledger()] == ["failed"]
    assert sandbox.ledger(status="succeeded") == []
    assert sandbox.ledger(status="pending") == []
    assert submit(f"{ref}:1", ref) == refund  # a replay does not roll the dice again


def test_error_rate_answers_503_and_records_nothing(start_provider_sandbox):
    sandbox = start_provider_sandbox(error_rate=1)
    ref = new_ref()

    with pytest.raises(ProviderUnavailable) as excinfo:
        submit(f"{ref}:1", ref)
    assert excinfo.value.status == 503
    assert sandbox.ledger() == []

    sandbox.control(error_rate=0)
    assert submit(f"{ref}:1", ref).status == "succeeded"
    assert len(sandbox.ledger()) == 1


def test_timeout_rate_commits_then_drops_and_the_same_key_finds_it(start_provider_sandbox):
    sandbox = start_provider_sandbox(timeout_rate=1)
    ref = new_ref()

    with pytest.raises(ProviderUnavailable) as excinfo:
        submit(f"{ref}:1", ref)
    assert isinstance(excinfo.value.__cause__, requests.ConnectionError)
    assert excinfo.value.status is None
    [row] = sandbox.ledger(reference=ref)  # paid, although the client never heard so
    assert (row["status"], row["idempotency_key"]) == ("succeeded", f"{ref}:1")

    sandbox.control(timeout_rate=0)
    retried = submit(f"{ref}:1", ref)
    assert (retried.id, retried.status) == (row["id"], "succeeded")
    assert len(sandbox.ledger()) == 1


def test_a_replay_is_answered_even_while_timeouts_are_injected(start_provider_sandbox):
    sandbox = start_provider_sandbox(timeout_rate=1)
    ref = new_ref()
    with pytest.raises(ProviderUnavailable):
        submit(f"{ref}:1", ref)

    # Faults are decided per NEW key: a retry of a known key gets the stored refund.
    assert submit(f"{ref}:1", ref).id == sandbox.ledger()[0]["id"]


def test_pending_settles_to_succeeded(start_provider_sandbox):
    start_provider_sandbox(pending_rate=1, settle_ms=300)
    ref = new_ref()
    refund = submit(f"{ref}:1", ref)
    assert refund.status == "pending"

    def settled() -> bool:
        return [(r.id, r.status) for r in provider_reads.find_refunds(reference=ref)] == [
            (refund.id, "succeeded")
        ]

    assert wait_for(settled, timeout=10)
    assert submit(f"{ref}:1", ref).status == "succeeded"


def test_latency_beyond_the_client_timeout_is_unavailable(provider_sandbox, settings):
    settings.REFUND_PROVIDER_TIMEOUT = 0.2
    provider_sandbox.control(latency_ms=3000)
    ref = new_ref()

    with pytest.raises(ProviderUnavailable) as excinfo:
        submit(f"{ref}:1", ref)
    # The client stopped waiting on its read timeout, before the provider had processed anything:
    # the sandbox sleeps its latency first, so its ledger is still empty for this reference.
    assert isinstance(excinfo.value.__cause__, requests.ReadTimeout)
    provider_sandbox.control(latency_ms=0)  # (the ledger's own GET would sleep it too)
    assert provider_sandbox.ledger(reference=ref) == []

    # The outcome really was unknown: the provider went on and paid after the client gave up.
    [row] = wait_until(lambda: provider_sandbox.ledger(reference=ref))
    assert submit(f"{ref}:1", ref).id == row["id"]


def test_a_provider_that_is_not_running_is_unavailable(settings):
    settings.REFUND_PROVIDER_URL = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(ProviderUnavailable):
        submit("k:1", "R-1")
    with pytest.raises(ProviderUnavailable):
        provider_reads.find_refunds(reference="R-1")
    with pytest.raises(ProviderUnavailable):
        provider_reads.ledger()


def test_bad_input_is_rejected_naming_the_field(provider_sandbox):
    cases = [
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"currency": "CN"}, "currency"),
        ({"currency": "C1Y"}, "currency"),
        ({"reference": ""}, "reference"),
        ({"reference": "x" * 101}, "reference"),
    ]
    for n, (changed, field) in enumerate(cases):
        args = {"amount": "50.00", "currency": "CNY", "reference": new_ref()} | changed
        with pytest.raises(ProviderRejected) as excinfo:
            submit(f"bad:{n}", **args)
        assert (excinfo.value.status, excinfo.value.code) == (400, f"invalid_{field}"), changed
        assert excinfo.value.field == field
    assert provider_sandbox.ledger() == []


def test_the_raw_server_answers_json_errors(provider_sandbox):
    url = provider_sandbox.url
    headers = {"Idempotency-Key": "raw:1", "Content-Type": "application/json"}

    malformed = requests.post(
        f"{url}/v1/refunds", data=b'{"amount": "5', headers=headers, timeout=5
    )
    assert (malformed.status_code, malformed.json()) == (400, {"error": "invalid_json"})
    not_object = requests.post(f"{url}/v1/refunds", json=[1, 2], headers=headers, timeout=5)
    assert (not_object.status_code, not_object.json()["error"]) == (400, "invalid_body")
    body = {"amount": "5.00", "currency": "CNY", "reference": "R"}
    no_key = requests.post(f"{url}/v1/refunds", json=body, timeout=5)
    assert (no_key.status_code, no_key.json()) == (400, {"error": "missing_idempotency_key"})
    as_number = requests.post(
        f"{url}/v1/refunds", json=body | {"amount": 5}, headers=headers, timeout=5
    )
    assert as_number.json() == {"error": "invalid_amount", "field": "amount"}
    unknown = requests.get(f"{url}/v2/whatever", timeout=5)
    assert (unknown.status_code, unknown.json()) == (404, {"error": "not_found"})
    assert requests.get(f"{url}/v1/refunds/re_nope", timeout=5).status_code == 404
    assert requests.delete(f"{url}/v1/refunds", timeout=5).status_code == 405
    bad_control = requests.post(f"{url}/_control", json={"fail_rate": 2}, timeout=5)
    assert bad_control.json() == {"error": "invalid_setting", "field": "fail_rate"}
    assert provider_sandbox.control()["fail_rate"] == 0.0

    assert requests.get(f"{url}/_health", timeout=5).json() == {"status": "ok"}
    assert provider_sandbox.ledger() == []


def _submit_all(calls: list[tuple[str, str]]) -> list:
    barrier = threading.Barrier(len(calls))

    def one(call):
        barrier.wait()
        return submit(*call)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def test_concurrent_submits_with_distinct_keys(provider_sandbox):
    ref = new_ref()
    refunds = _submit_all([(f"{ref}:{n}", ref) for n in range(20)])

    assert len({refund.id for refund in refunds}) == 20
    assert len(provider_sandbox.ledger(reference=ref)) == 20


def test_concurrent_submits_with_one_key(provider_sandbox):
    ref = new_ref()
    refunds = _submit_all([(f"{ref}:1", ref)] * 20)

    assert len({refund.id for refund in refunds}) == 1
    [row] = provider_sandbox.ledger()
    assert row["id"] == refunds[0].id


def test_the_ledger_survives_a_crash_and_stops_gracefully(provider_sandbox):
    ref = new_ref()
    refund = submit(f"{ref}:1", ref)

    provider_sandbox.kill()
    provider_sandbox.start()
    assert submit(f"{ref}:1", ref) == refund
    assert len(provider_sandbox.ledger()) == 1

    assert provider_sandbox.stop(cleanup=False) == 0
    assert "provider sandbox stopped" in provider_sandbox.output()
