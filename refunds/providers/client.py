"""The product's HTTP client for the refund provider (`settings.REFUND_PROVIDER_URL`).

Two kinds of failure, and the difference is the whole point:
- `ProviderUnavailable`: timeout, connection refused/reset, 5xx, 429, a body we cannot read. The
  refund may or may not have been made: retry later with the SAME idempotency key.
- `ProviderRejected`: any other 4xx. The provider refused this request and paid nothing for it.
  (`idempotency_key_reused` is special: the key already belongs to another request, which may have
  been paid; the caller must look at that one, not start over.)

The client never retries: the caller owns retries and keeps the key across them.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
STATUSES = frozenset({"succeeded", "pending", "failed"})
TRANSIENT_4XX = frozenset({408, 429})  # "try again later": the request was not acted upon


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: str
    reference: str
    amount: Decimal
    currency: str
    idempotency_key: str
    failure_reason: str | None

    @classmethod
    def from_json(cls, data: object) -> "ProviderRefund":
        """Parse one refund; ValueError (or KeyError/TypeError) if it is not one."""
        if not isinstance(data, dict):
            raise ValueError("refund is not an object")
        status = data["status"]
        if status not in STATUSES:
            raise ValueError(f"unknown refund status {status!r}")
        failure_reason = data.get("failure_reason")
        fields = (data["id"], data["reference"], data["currency"], data["idempotency_key"])
        if not all(isinstance(value, str) for value in fields) or not isinstance(
            failure_reason, str | None
        ):
            raise ValueError("refund fields have the wrong types")
        try:
            amount = Decimal(data["amount"])
        except (InvalidOperation, TypeError):
            raise ValueError(f"bad amount {data['amount']!r}") from None
        return cls(
            id=data["id"],
            status=status,
            reference=data["reference"],
            amount=amount,
            currency=data["currency"],
            idempotency_key=data["idempotency_key"],
            failure_reason=failure_reason,
        )


class ProviderError(Exception):
    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class ProviderUnavailable(ProviderError):
    """No usable answer: the outcome is UNKNOWN (retry with the same key)."""


class ProviderRejected(ProviderError):
    """A definite refusal (4xx): nothing was paid for this request. `.code`, `.field` from the body."""

    def __init__(
        self, message: str, *, status: int, code: str | None, field: str | None = None
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.field = field


def _format_amount(amount: Decimal) -> str:
    """Two places ("50" → "50.00"); never rounds: more places go as they are and the provider
    refuses them."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"amount must be a finite Decimal, not {amount!r}")
    cents = amount.quantize(CENT)
    return format(cents if cents == amount else amount, "f")


def _request(method: str, path: str, **kwargs) -> object:
    """Send one request; the decoded JSON body of a 2xx answer, or ProviderRejected/Unavailable."""
    url = settings.REFUND_PROVIDER_URL.rstrip("/") + path
    timeout = float(settings.REFUND_PROVIDER_TIMEOUT)
    try:
        with requests.Session() as session:
            response = session.request(
                method, url, timeout=(timeout, timeout), allow_redirects=False, **kwargs
            )
    except requests.RequestException as exc:
        logger.warning("refund provider %s %s: no answer (%s)", method, path, type(exc).__name__)
        raise ProviderUnavailable(f"{method} {path}: {exc}") from exc
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if 200 <= status < 300:
        if body is None:
            logger.warning(
                "refund provider %s %s: %s with an unreadable body", method, path, status
            )
            raise ProviderUnavailable(f"{method} {path}: unreadable body", status=status)
        return body
    code = body.get("error") if isinstance(body, dict) else None
    if 400 <= status < 500 and status not in TRANSIENT_4XX:
        field = body.get("field") if isinstance(body, dict) else None
        code = code if isinstance(code, str) else f"http_{status}"
        logger.info("refund provider %s %s: rejected %s %s", method, path, status, code)
        raise ProviderRejected(
            f"{method} {path}: {status} {code}" + (f" ({field})" if field else ""),
            status=status,
            code=code,
            field=field if isinstance(field, str) else None,
        )
    logger.warning("refund provider %s %s: %s %s", method, path, status, code)
    raise ProviderUnavailable(f"{method} {path}: {status} {code or ''}".rstrip(), status=status)


def _parse(body: object, what: str) -> ProviderRefund:
    try:
        return ProviderRefund.from_json(body)
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderUnavailable(f"{what}: malformed refund ({exc})") from exc


def submit_refund(
    *, idempotency_key: str, amount: Decimal, currency: str, reference: str
) -> ProviderRefund:
    """Ask the provider to pay a refund out. The same key always names the same refund there."""
    body = _request(
        "POST",
        "/v1/refunds",
        json={"amount": _format_amount(amount), "currency": currency, "reference": reference},
        headers={"Idempotency-Key": idempotency_key},
    )
    refund = _parse(body, "POST /v1/refunds")
    if refund.idempotency_key != idempotency_key or refund.reference != reference:
        raise ProviderUnavailable("POST /v1/refunds: the answer is about another refund")
    logger.info(
        "refund provider: key %s reference %s → %s %s",
        idempotency_key,
        reference,
        refund.id,
        refund.status,
    )
    return refund
