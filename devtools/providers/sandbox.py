"""The sandbox refund provider: a standalone HTTP/1.1 JSON server on the standard library only.

It plays a payment provider that pays refunds out, keeps its own ledger (`ledger.py`, a SQLite
file) and injects the faults a real one shows: refusals, 503s, slow answers, refunds that settle
later and, the nasty one, a refund committed whose response never arrives. Run it with
`manage.py provider_sandbox`; the contract is in API.md, "Refund provider".
"""

import json
import random
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs, urlsplit

from devtools.providers.ledger import IdempotencyConflict, Ledger, Outcome

MAX_BODY = 64 * 1024
AMOUNT_RE = re.compile(r"(0|[1-9]\d{0,11})(\.\d{1,2})?")
CURRENCY_RE = re.compile(r"[A-Za-z]{3}")
REFUND_PATH_RE = re.compile(r"/v1/refunds/([A-Za-z0-9_]+)")
FAILURE_REASON = "insufficient_funds"


class HTTPError(Exception):
    def __init__(self, status: int, payload: dict):
        super().__init__(status, payload)
        self.status = status
        self.payload = payload


class DropConnection(Exception):
    """Answer nothing: reset the connection (the refund, if any, is already committed)."""


def check_setting(name: str, value: object) -> float | int:
    """A valid value for one fault setting, or ValueError. Rates are 0..1, durations whole ms ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(name)
    try:
        number = float(value)
    except ValueError:
        raise ValueError(name) from None
    if name.endswith("_rate"):
        if not 0.0 <= number <= 1.0:
            raise ValueError(name)
        return number
    if number < 0 or number != int(number):
        raise ValueError(name)
    return int(number)


@dataclass
class Config:
    """The fault-injection settings, changeable at runtime through `POST /_control`."""

    fail_rate: float = 0.0
    timeout_rate: float = 0.0
    error_rate: float = 0.0
    pending_rate: float = 0.0
    latency_ms: int = 0  # before the refund is processed (a slow provider)
    respond_delay_ms: int = 0  # after it is committed, before answering (a slow answer)
    settle_ms: int = 1000

    def update(self, changes: dict) -> None:
        """Validate every change first, then apply them all (or none)."""
        names = {f.name for f in fields(self)}
        clean = {}
        for name, value in changes.items():
            if name not in names:
                raise HTTPError(400, {"error": "unknown_setting", "field": name})
            try:
                clean[name] = check_setting(name, value)
            except ValueError:
                raise HTTPError(400, {"error": "invalid_setting", "field": name}) from None
        for name, value in clean.items():
            setattr(self, name, value)


@dataclass(frozen=True)
class Decision:
    error: bool  # answer 503 and record nothing
    drop: bool  # record, then reset the connection without an answer
    outcome: Outcome


class Faults:
    """Seeded decisions, one per new idempotency key: three draws each, so a seed replays a run."""

    def __init__(self, seed: int | None):
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def decide(self, config: Config) -> Decision:
        with self._lock:
            error, kind, drop = self._rng.random(), self._rng.random(), self._rng.random()
        if kind < config.fail_rate:
            outcome = Outcome(status="failed", failure_reason=FAILURE_REASON)
        elif kind < config.fail_rate + config.pending_rate:
            outcome = Outcome(status="pending", settle_seconds=config.settle_ms / 1000)
        else:
            outcome = Outcome(status="succeeded")
        return Decision(
            error=error < config.error_rate, drop=drop < config.timeout_rate, outcome=outcome
        )


def parse_json_object(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPError(400, {"error": "invalid_json"}) from None
    if not isinstance(data, dict):
        raise HTTPError(400, {"error": "invalid_body", "message": "expected a JSON object"})
    return data


def validate_refund(data: dict) -> tuple[str, str, str]:
    """(amount with two places, upper-case currency, reference), or a 400 naming the field."""
    amount = data.get("amount")
    if not isinstance(amount, str) or not AMOUNT_RE.fullmatch(amount) or Decimal(amount) <= 0:
        raise HTTPError(400, {"error": "invalid_amount", "field": "amount"})
    currency = data.get("currency")
    if not isinstance(currency, str) or not CURRENCY_RE.fullmatch(currency):
        raise HTTPError(400, {"error": "invalid_currency", "field": "currency"})
    reference = data.get("reference")
    if not isinstance(reference, str) or not 1 <= len(reference) <= 100:
        raise HTTPError(400, {"error": "invalid_reference", "field": "reference"})
    return f"{Decimal(amount):.2f}", currency.upper(), reference


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ProviderSandbox/1.0"
    server: "SandboxServer"

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self) -> None:
        try:
            status, payload = self._route(self._read_body())
        except HTTPError as exc:
            status, payload = exc.status, exc.payload
        except DropConnection:
            self._drop_connection()
            return
        except Exception:
            self.log_message("internal error:\n%s", traceback.format_exc())
            status, payload = 500, {"error": "internal_error"}
        self._send(status, payload)

    def _read_body(self) -> bytes:
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            raise HTTPError(411, {"error": "length_required"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True  # the body was not read: the connection cannot go on
            raise HTTPError(413 if length > MAX_BODY else 400, {"error": "invalid_content_length"})
        return self.rfile.read(length) if length else b""

    def _route(self, body: bytes) -> tuple[int, dict]:
        url = urlsplit(self.path)
        method, path = self.command, url.path
        if path == "/v1/refunds":
            if method == "POST":
                return self._submit(body)
            if method == "GET":
                return self._list(parse_qs(url.query, keep_blank_values=True))
        elif match := REFUND_PATH_RE.fullmatch(path):
            if method == "GET":
                return self._get(match.group(1))
        elif path == "/_control":
            if method == "POST":
                return 200, self.server.update_config(parse_json_object(body))
            if method == "GET":
                return 200, self.server.config_snapshot()
        elif path == "/_health":
            if method == "GET":
                return 200, {"status": "ok"}
        else:
            raise HTTPError(404, {"error": "not_found"})
        raise HTTPError(405, {"error": "method_not_allowed"})

    def _sleep_latency(self) -> None:
        latency_ms = self.server.config.latency_ms
        if latency_ms:
            time.sleep(latency_ms / 1000)

    def _submit(self, body: bytes) -> tuple[int, dict]:
        key = (self.headers.get("Idempotency-Key") or "").strip()
        if not key:
            raise HTTPError(400, {"error": "missing_idempotency_key"})
        if len(key) > 255:
            raise HTTPError(400, {"error": "invalid_idempotency_key", "field": "idempotency_key"})
        amount, currency, reference = validate_refund(parse_json_object(body))
        self._sleep_latency()
        decision: Decision | None = None

        def decide() -> Outcome | None:
            nonlocal decision
            decision = self.server.faults.decide(self.server.config)
            return None if decision.error else decision.outcome

        try:
            refund = self.server.ledger.submit(
                idempotency_key=key,
                amount=amount,
                currency=currency,
                reference=reference,
                decide=decide,
            )
        except IdempotencyConflict:
            raise HTTPError(409, {"error": "idempotency_key_reused"}) from None
        if decision is not None and decision.error:
            raise HTTPError(503, {"error": "unavailable"})
        if self.server.config.respond_delay_ms:
            time.sleep(self.server.config.respond_delay_ms / 1000)
        if decision is not None and decision.drop:
            raise DropConnection
        return 200, refund

    def _list(self, query: dict[str, list[str]]) -> tuple[int, dict]:
        self._sleep_latency()
        reference = query.get("reference", [None])[-1]
        status = query.get("status", [None])[-1]
        return 200, {"data": self.server.ledger.find(reference=reference, status=status)}

    def _get(self, refund_id: str) -> tuple[int, dict]:
        self._sleep_latency()
        refund = self.server.ledger.get(refund_id)
        if refund is None:
            raise HTTPError(404, {"error": "not_found"})
        return 200, refund

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _drop_connection(self) -> None:
        """Close abruptly: SO_LINGER 0 makes close() send a TCP RST instead of an orderly FIN."""
        self.close_connection = True
        self.log_message('"%s" dropped without a response', self.requestline)
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drops the file's reference to the socket, so close() is immediate
        sock.close()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The standard library's own errors (bad request line, unknown method), as JSON.
        self.close_connection = True
        error = HTTPStatus(code).phrase.lower().replace(" ", "_")
        self._send(code, {"error": error, "message": message or ""})

    def log_message(self, format: str, *args: object) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"provider sandbox: {self.address_string()} {format % args}\n")


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        ledger: Ledger,
        config: Config,
        seed: int | None,
        quiet: bool,
    ):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.ledger = ledger
        self.config = config
        self.faults = Faults(seed)
        self.quiet = quiet
        self._config_lock = threading.Lock()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look the host name up (getfqdn), which can hang on DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def config_snapshot(self) -> dict:
        with self._config_lock:
            return asdict(self.config)

    def update_config(self, changes: dict) -> dict:
        with self._config_lock:
            self.config.update(changes)
            return asdict(self.config)

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away (e.g. it timed out while we slept): nothing to report
        sys.stderr.write(f"provider sandbox: error serving {client_address}:\n")
        traceback.print_exc()


def serve(
    *,
    host: str,
    port: int,
    db: str | Path,
    config: Config,
    seed: int | None,
    quiet: bool = False,
    out: TextIO = sys.stdout,
) -> None:
    """Serve until SIGTERM or SIGINT, then stop accepting, close and return."""
    ledger = Ledger(db)
    server = SandboxServer((host, port), ledger=ledger, config=config, seed=seed, quiet=quiet)
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox", daemon=True
    )
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    out.write(f"fault injection: {json.dumps(server.config_snapshot())}, seed {seed}\n")
    out.write(
        f"provider sandbox listening on http://{shown_host}:{bound_port} "
        f"(ledger {ledger.path.resolve()})\n"
    )
    out.flush()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        out.write("provider sandbox stopped\n")
        out.flush()
