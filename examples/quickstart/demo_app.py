#!/usr/bin/env python3
"""A tiny demo origin for the gatehouse quickstart (stdlib only).

Serves, with HTTP/1.1 keep-alive:
  GET /           an HTML page naming the instance that answered, and the request headers a
                  proxy adds (X-Forwarded-For, X-Request-Id, ...)
  GET /health     200 "ok" (for health checks)
  GET /api/time   JSON: instance, ISO time, unix time
  POST /api/echo  JSON: instance, body length, content type (to see bodies pass through)
Anything else is a 404. Run two of them: demo_app.py --port 8001 --name app1
"""
import argparse
import datetime
import html
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Headers worth showing: what the proxy added or rewrote on the way in.
SHOWN_HEADERS = ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
                 "X-Request-Id", "Forwarded", "Via", "User-Agent")
MAX_ECHO_BODY = 1 << 20

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>gatehouse demo: {name}</title>
<style>body{{font-family:sans-serif;margin:2em}} td{{padding:2px 12px}} code{{color:#a33}}</style>
</head><body>
<h1>Served by <code>{name}</code></h1>
<p>port {port}, pid {pid}, request #{count} on this connection, {method} <code>{path}</code></p>
<table>{rows}</table>
<p>Reload the page: gatehouse balances round-robin between the instances.
Try <a href="/api/time">/api/time</a> and <a href="/health">/health</a>.</p>
</body></html>
"""


class DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive by default; every response has Content-Length
    server_version = "demo-app"
    # Headers and body go out in two writes; with Nagle on, the body waits for the proxy's delayed
    # ACK of the headers (40 ms on Linux) on a reused keep-alive connection.
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.requests_on_connection = 0

    def do_HEAD(self):
        self.route(send_body=False)

    def do_GET(self):
        self.route(send_body=True)

    def do_POST(self):
        if self.path.split("?", 1)[0] != "/api/echo":
            self.reply(404, "application/json", json.dumps({"error": "not found"}), True)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_ECHO_BODY:
            self.close_connection = True
            self.reply(413, "application/json", json.dumps({"error": "body too large"}), True)
            return
        body = self.rfile.read(length)
        payload = {"instance": self.server.name, "length": len(body),
                   "content_type": self.headers.get("Content-Type")}
        self.reply(200, "application/json", json.dumps(payload), True)

    def route(self, send_body):
        self.requests_on_connection += 1
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self.reply(200, "text/plain", "ok\n", send_body)
        elif path == "/api/time":
            now = datetime.datetime.now(datetime.timezone.utc)
            payload = {"instance": self.server.name, "time": now.isoformat(),
                       "unix": now.timestamp()}
            self.reply(200, "application/json", json.dumps(payload), send_body)
        elif path == "/api/news":
            # Cacheable: gatehouse keeps it 30 s (Cache-Status shows hit/miss) and can drop it by
            # its tag: `curl -X PURGE -H 'xkey: news' ...` or `gatehouse ctl ban-tag news`.
            now = datetime.datetime.now(datetime.timezone.utc)
            payload = {"instance": self.server.name, "generated": now.isoformat(),
                       "news": ["gatehouse replaces nginx + Varnish + HAProxy"]}
            self.reply(200, "application/json", json.dumps(payload), send_body,
                       cache_control="public, max-age=30", extra=[("Surrogate-Key", "news")])
        elif path == "/":
            self.reply(200, "text/html; charset=utf-8", self.page(), send_body)
        else:
            self.reply(404, "application/json", json.dumps({"error": "not found"}), send_body)

    def page(self):
        rows = "".join(
            "<tr><td>{}</td><td><code>{}</code></td></tr>".format(
                html.escape(name), html.escape(self.headers.get(name) or "(absent)"))
            for name in SHOWN_HEADERS)
        return PAGE.format(name=html.escape(self.server.name), port=self.server.server_port,
                           pid=os.getpid(), count=self.requests_on_connection,
                           method=html.escape(self.command), path=html.escape(self.path),
                           rows=rows)

    def reply(self, status, content_type, text, send_body, cache_control="no-store", extra=()):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache_control)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("X-Served-By", self.server.name)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("[%s] %s - %s\n" % (self.server.name, self.address_string(), fmt % args))


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True  # idle keep-alive threads must not hold the process open at exit
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--name", default=None, help="instance name shown on the page")
    args = parser.parse_args()
    server = DemoServer((args.host, args.port), DemoHandler)
    server.name = args.name or "app@%d" % args.port
    sys.stderr.write("[%s] listening on http://%s:%d/\n" % (server.name, args.host, args.port))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
