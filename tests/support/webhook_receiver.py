"""A local webhook receiver for alert tests: answers queued failure codes first, then 200."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A local webhook that answers the queued status codes first, then 200.

    `delay` makes every answer that late (the body is received, and counted, first: a receiver
    that answers after the client gave up still has the alert). `echo` puts the request path in
    error answers, as a careless receiver might: the sender must scrub it.
    """

    def __init__(self, failures: list[int], *, delay: float = 0.0, echo: bool = False):
        self.failures = list(failures)
        self.delay = delay
        self.received: list[dict] = []
        self.accepted: list[dict] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.received.append(body)
                    receiver.paths.append(self.path)
                    status = receiver.failures.pop(0) if receiver.failures else 200
                    if status == 200:
                        receiver.accepted.append(body)
                if receiver.delay:
                    time.sleep(receiver.delay)
                answer = f"no hook at {self.path}".encode() if echo and status >= 400 else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base_url}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
