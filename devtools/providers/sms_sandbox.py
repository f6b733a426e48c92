"""The sandbox SMS gateway: takes `POST /sms` like a real gateway and, a moment later, calls the
product's webhook with a signed delivery report, so the demo shows delivery states.

Standard library only, a separate process (`manage.py sms_sandbox`). Each message is also written
as a JSON file into `--out` (like the product's `file://` gateway), for a person to read. With
`--fail-rate` some messages are reported undelivered (the product then sends the e-mail fallback).
"""

import hashlib
import hmac
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

MAX_BODY = 64 * 1024


def signed_post(*, url: str, secret: str, payload) -> dict:
    """A webhook call as the gateway sends it (`X-Signature` over `X-Timestamp + "." + body`);
    the JSON answer, or {"error": ...}."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Timestamp": timestamp,
        "X-Signature": signature,
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=10)
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        return {"error": str(exc)}


class SmsSandbox:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook: str = "",
        secret: str = "",
        fail_rate: float = 0.0,
        report_delay: float = 0.5,
        out: Path | None = None,
        seed: int | None = None,
    ):
        self.webhook, self.secret, self.fail_rate = webhook, secret, fail_rate
        self.report_delay, self.out = report_delay, out
        self.random = random.Random(seed)
        self.ids: dict[str, str] = {}
        self.reports: list[dict] = []  # what the webhook answered, for tests and the log
        self.lock = threading.Lock()
        self.reported = threading.Semaphore(0)  # released once per report made
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                status, answer = sandbox.accept(self)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/sms"

    def accept(self, handler) -> tuple[int, dict]:
        length = int(handler.headers.get("Content-Length") or 0)
        if handler.path != "/sms" or not 0 < length <= MAX_BODY:
            return 400, {"error": "POST /sms with a JSON body"}
        try:
            body = json.loads(handler.rfile.read(length))
            to, text = str(body["to"]), str(body["text"])
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "to and text are required"}
        key = handler.headers.get("Idempotency-Key", "")
        with self.lock:
            if key and key in self.ids:
                return 200, {"id": self.ids[key]}
            message_id = f"sandbox-sms-{len(self.ids) + 1}"
            if key:
                self.ids[key] = message_id
            failed = self.random.random() < self.fail_rate
        if self.out is not None:
            self._write(message_id, str(body.get("reference", "")), to, text)
        if self.webhook and self.secret:
            report = {
                "type": "delivery",
                "message_id": message_id,
                "status": "failed" if failed else "delivered",
                "error": "UNDELIV: sandbox failure" if failed else "",
            }
            threading.Thread(target=self._report, args=(report,), daemon=True).start()
        return 200, {"id": message_id}

    def _write(self, message_id: str, reference: str, to: str, text: str) -> None:
        """The message as a file, named like the product's `file://` gateway names it
        (`sms-<outbox id>.json`, from the reference `notification-<id>`) so readers find it."""
        outbox_id = reference.removeprefix("notification-")
        name = f"sms-{int(outbox_id):08d}.json" if outbox_id.isdigit() else f"{message_id}.json"
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / name).write_text(
            json.dumps({"to": to, "text": text, "id": message_id}, ensure_ascii=False, indent=1)
        )

    def _report(self, report: dict) -> None:
        """After the product has had time to record the id it was given, tell it the outcome;
        retried a few times (the report may come before the send is recorded)."""
        for attempt in range(5):
            time.sleep(self.report_delay * (attempt + 1))
            answer = signed_post(url=self.webhook, secret=self.secret, payload=report)
            results = answer.get("results") if isinstance(answer, dict) else None
            outcome = (results or [{}])[0].get("outcome")
            if outcome != "unknown_message":
                break
        with self.lock:
            self.reports.append({**report, "answer": answer})
        self.reported.release()

    def start(self) -> "SmsSandbox":
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
