"""Real local peers for the notification tests: an SMTP server and an HTTP SMS gateway."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.support.workers import free_port


class SmtpSink:
    """aiosmtpd on 127.0.0.1: collects every message it is handed."""

    def __init__(self):
        self.messages: list[dict] = []
        self.port = free_port()  # aiosmtpd's start-up check needs a real port, not 0
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", "replace"),
            }
        )
        return "250 OK"

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class SmsGateway:
    """An HTTP JSON SMS gateway that can be told to fail its next N requests with 500. It honours
    the Idempotency-Key: a key seen before is acknowledged without a second message."""

    def __init__(self):
        self.messages: list[dict] = []
        self.requests = 0
        self.fail_next = 0
        self.keys: dict[str, str] = {}
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                with gateway.lock:
                    gateway.requests += 1
                    if gateway.fail_next > 0:
                        gateway.fail_next -= 1
                        status, answer = 500, {"error": "try again"}
                    elif key in gateway.keys:
                        status, answer = 200, {"id": gateway.keys[key]}
                    else:
                        gateway.keys[key] = f"sms-{len(gateway.keys) + 1}"
                        gateway.messages.append({**body, "key": key})
                        status, answer = 200, {"id": gateway.keys[key]}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def start(self) -> "SmsGateway":
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
