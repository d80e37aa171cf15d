"""A webhook receiver for kerro's tests that verifies every request with the
official Standard Webhooks library (PyPI `standardwebhooks`), not kerro's code.

    python webhook_receiver.py        # prints "listening on PORT", then serves

POST /hook           a delivery: verified with Webhook(secret).verify(body, headers);
                     answered 500 while `fail` is above 0 (counting down), else 204
                     (401 when verification fails)
POST /_control       {"secret": "whsec_...", "fail": N} sets the secret and how many
                     of the next deliveries get a 500
GET  /_log           every delivery so far: id, type, verified, answered status, body
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

lock = threading.Lock()
state = {"secret": None, "fail": 0, "log": []}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/_log":
            return self.answer(404)
        with lock:
            body = json.dumps(state["log"]).encode()
        self.answer(200, body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/_control":
            with lock:
                state.update(json.loads(body))
            return self.answer(204)
        headers = {k: v for k, v in self.headers.items()}
        with lock:
            secret = state["secret"]
        entry = {
            "id": headers.get("webhook-id") or headers.get("Webhook-Id"),
            "content_type": self.headers.get("Content-Type"),
            "body": body.decode("utf-8", "replace"),
        }
        try:
            payload = Webhook(secret).verify(body, headers)
            entry["verified"] = True
            entry["type"] = payload.get("type")
        except (WebhookVerificationError, TypeError, ValueError) as e:
            entry["verified"] = False
            entry["error"] = str(e)
        with lock:
            if not entry["verified"]:
                status = 401
            elif state["fail"] > 0:
                state["fail"] -= 1
                status = 500
            else:
                status = 204
            entry["status"] = status
            state["log"].append(entry)
        self.answer(status)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
