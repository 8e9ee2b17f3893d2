#!/usr/bin/env python3
"""An OpenAI-compatible chat-completions endpoint for benchmarks: every completion waits LATENCY
seconds (a model's think time), then answers a small {subject, body} object honouring
response_format json_schema. Prints its base URL on stdout, serves until killed.

Usage: bench/fake_llm.py [--latency 0.05]
"""
import argparse
import json
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = {"subject": "A quick next step", "body": "Hi,\n\nThanks for reaching out. Could we talk this week?\n\nBest regards,\nSales"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    latency = 0.05

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle and delayed ACKs add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer({"object": "list", "data": [{"id": "bench-model", "object": "model"}]})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        time.sleep(self.latency)
        last = request.get("messages", [{}])[-1].get("content", "")
        content = {"subject": "ping", "body": "pong"} if '"ping"' in last else REPLY
        self.answer({
            "id": "chatcmpl-bench", "object": "chat.completion", "model": request.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(content)}}],
            "usage": {"prompt_tokens": 150, "completion_tokens": 40, "total_tokens": 190},
        })


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    Handler.latency = args.latency
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
