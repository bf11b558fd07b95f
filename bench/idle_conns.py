#!/usr/bin/env python3
"""Memory per idle keep-alive client connection: gatehouse, haproxy and nginx side by side.

For each kind of connection (plain HTTP/1.1, HTTP/1.1 over TLS 1.3, HTTP/2 over TLS 1.3) and each
proxy (one worker, in front of the same nginx origin serving a 1 KiB file): start it in a temp
dir, warm it up, read its RSS, open N client connections that each complete one request and then
stay open and idle, wait, read its RSS again, and print (after - before) / N in bytes, with the
ratio to the best peer of the same kind. Connections are closed with RST (no TIME_WAIT) and every
process is stopped by PID at exit. Numbers are only comparable within one run on one machine;
see bench/README.md.

    bench/idle_conns.py                        # 10,000 connections per proxy and kind
    bench/idle_conns.py -n 2000 --only haproxy,nginx --kinds plain
    GATEHOUSE_BIN=/path/to/gatehouse bench/idle_conns.py
"""
import argparse
import os
import resource
import select
import shutil
import ssl
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PROXIES = ("haproxy", "nginx", "gatehouse")
KINDS = ("plain", "tls", "h2")
REQUEST = b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n"
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# GET https://bench/1k.bin as a browser would send it: HPACK static :method GET and :scheme https,
# :path and :authority as literals with incremental indexing (RFC 7541 §6.1, §6.2.1).
H2_REQUEST_BLOCK = b"\x82\x87\x44\x07/1k.bin\x41\x05bench"
FD_MARGIN = 256  # fds the client and each server need besides the idle connections
# Connections per client address: 127.0.0.1 to one server port has 28,232 ephemeral ports
# (32768-60999), so past this many the client binds its sockets to 127.0.0.2, .3, ... (all of
# 127/8 is loopback; the servers still listen on 127.0.0.1 only). 100,000 connections use four.
PER_SOURCE = 25000


# Opening 10,000 TLS connections takes longer than the templates' 60 s idle timeouts on a busy
# box: the first ones would be closed (and their memory freed) before RSS is read.
LONG_IDLE = (("client_idle: 60s", "client_idle: 600s"),                     # gatehouse
             ("timeout client 60s", "timeout client 600s"),                 # haproxy
             ("timeout http-keep-alive 60s", "timeout http-keep-alive 600s"),
             ("keepalive_timeout 60s;", "keepalive_timeout 600s;"))         # nginx


def render(template, out, **values):
    """Copies bench/conf/TEMPLATE to OUT, replacing each @KEY@ with its value, with idle
    timeouts of 600 s."""
    with open(os.path.join(HERE, "conf", template)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace("@%s@" % key, str(value))
    for short, long in LONG_IDLE:
        text = text.replace(short, long)
    with open(out, "w") as f:
        f.write(text)


def free_ports(count):
    socks = [socket.socket() for _ in range(count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def raise_nofile(wanted):
    """Raises RLIMIT_NOFILE toward WANTED (the servers started later inherit it); returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            pass  # not allowed to raise the hard limit here: use what there is
    new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, new_soft), hard))
    return max(soft, new_soft)


def process_tree(pid):
    """PID and its descendants (nginx: master and worker)."""
    yield pid
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return
    for task in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                kids = f.read().split()
        except OSError:
            kids = []
        for kid in kids:
            yield from process_tree(int(kid))


def rss_kib(pid):
    total = 0
    for p in process_tree(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Server:
    """One server process in its own temp dir, stopped by PID."""

    def __init__(self, name, workdir, argv):
        self.name, self.dir, self.argv, self.proc = name, workdir, argv, None

    def start(self):
        self.log = open(os.path.join(self.dir, "out.log"), "wb")
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def output_tail(self):
        text = ""
        for name in ("out.log", "error.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += "".join(f.readlines()[-15:])
        return text


def read_response(sock):
    """Reads one whole response (Content-Length or chunked); returns the status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in lines[1:] if ":" in line)}
    if "content-length" in headers:
        remaining = int(headers["content-length"]) - len(body)
        while remaining > 0:
            chunk = sock.recv(min(remaining, 65536))
            if not chunk:
                raise ConnectionError("closed mid-body")
            remaining -= len(chunk)
    elif "chunked" in headers.get("transfer-encoding", ""):
        while not body.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed mid-body")
            body += chunk
    return status


def h2_frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed mid-frame")
        data += chunk
    return data


def h2_exchange(sock):
    """One GET on stream 1 over a fresh HTTP/2 connection; returns the :status code."""
    sock.sendall(H2_PREFACE + h2_frame(4, 0, 0) + h2_frame(1, 0x5, 1, H2_REQUEST_BLOCK))
    status, ended, acked = 0, False, False
    for _ in range(64):  # bounded: SETTINGS, WINDOW_UPDATE, HEADERS, DATA...
        head = recv_exact(sock, 9)
        length = int.from_bytes(head[:3], "big")
        kind, flags, stream = head[3], head[4], int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
        payload = recv_exact(sock, length)
        if kind == 4 and not flags & 0x1:
            sock.sendall(h2_frame(4, 0x1, 0))  # SETTINGS ACK
        elif kind == 4:
            acked = True  # ours acknowledged: nothing more is owed, so the socket goes quiet
        elif kind == 7:
            raise ConnectionError("GOAWAY")
        elif kind == 1 and stream == 1:
            # :status 200 is static index 8: 0x88 (nginx, haproxy and nghttp2 all send it so),
            # after any dynamic table size updates (RFC 7541 §6.3: 001xxxxx, 5-bit integer).
            at = 0
            while at < len(payload) and payload[at] & 0xE0 == 0x20:
                at += 1
                if payload[at - 1] & 0x1F == 0x1F:
                    while payload[at] & 0x80:
                        at += 1
                    at += 1
            status = 200 if payload[at:at + 1] == b"\x88" else -1
        if stream == 1 and flags & 0x1 and kind in (0, 1):
            ended = True
        if ended and acked:
            return status
    raise ConnectionError("no end of stream 1")


CLIENT_TLS = None


def client_tls():
    global CLIENT_TLS
    if CLIENT_TLS is None:
        CLIENT_TLS = {}
        for alpn in ("http/1.1", "h2"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            ctx.set_alpn_protocols([alpn])
            CLIENT_TLS[alpn] = ctx
    return CLIENT_TLS


def open_idle(port, kind="plain", index=0):
    source = ("127.0.0.%d" % (1 + index // PER_SOURCE), 0)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=source)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
    if kind != "plain":
        alpn = "h2" if kind == "h2" else "http/1.1"
        sock = client_tls()[alpn].wrap_socket(sock, server_hostname="bench")
        if sock.selected_alpn_protocol() != alpn:
            sock.close()
            raise RuntimeError("ALPN chose %r, not %s" % (sock.selected_alpn_protocol(), alpn))
    if kind == "h2":
        status = h2_exchange(sock)
    else:
        sock.sendall(REQUEST)
        status = read_response(sock)
    if status != 200:
        raise RuntimeError("status %d" % status)
    return sock


def wait_serving(port, proc, deadline=5.0, kind="plain"):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            open_idle(port, kind).close()
            return True
        except (OSError, RuntimeError, ValueError, IndexError):
            time.sleep(0.1)
    return False


def still_open(socks):
    """How many sockets the server has not closed: none readable (no EOF, no RST) without blocking."""
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN | select.POLLRDHUP)
    return len(socks) - len(poller.poll(0))


def measure(server, port, count, settle, kind):
    for _ in range(10):  # code paths, TLS and the backend connection pool warm
        open_idle(port, kind).close()
    time.sleep(settle)
    before = rss_kib(server.proc.pid)
    socks = []
    try:
        for i in range(count):
            try:
                socks.append(open_idle(port, kind, i))
            except (OSError, RuntimeError) as e:
                print("  %s: connection %d failed: %s; measuring %d" % (server.name, i + 1, e, len(socks)),
                      file=sys.stderr)
                break
        time.sleep(settle)
        after = rss_kib(server.proc.pid)
        return before, after, len(socks), still_open(socks)
    finally:
        for s in socks:
            s.close()


def make_pki(root):
    """One ECDSA P-256 certificate from the tests' PKI helper (as tls_h2.sh): (cert, key, haproxy pem)."""
    sys.path.insert(0, os.path.join(REPO, "tests", "support"))
    from tls_material import TestPki
    os.makedirs(os.path.join(root, "pki"))
    pki = TestPki(directory=os.path.join(root, "pki"))
    pem = os.path.join(root, "pki", "haproxy.pem")
    with open(pem, "w") as out:
        for path in (pki.a.cert, pki.a.key):
            with open(path) as f:
                out.write(f.read())
    for dirpath, _dirs, files in os.walk(os.path.join(root, "pki")):
        os.chmod(dirpath, 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)
    return pki.a.cert, pki.a.key, pem


def make_server(name, kind, root, origin_port, port, conns, nofile, gatehouse_bin, pki):
    workdir = os.path.join(root, "%s-%s" % (name, kind))
    os.makedirs(workdir)
    os.chmod(workdir, 0o755)  # nginx workers run as an unprivileged user when started as root
    tls = kind != "plain"
    cert, key, pem = pki if tls else (None, None, None)
    if name == "haproxy":
        cfg = os.path.join(workdir, "haproxy.cfg")
        render("haproxy-tls.cfg" if tls else "haproxy.cfg", cfg, PORT=port, ORIGIN_PORT=origin_port,
               MAXCONN=conns + FD_MARGIN, CRT=pem)
        return Server(name, workdir, ["haproxy", "-db", "-f", cfg])
    if name == "nginx":
        cfg = os.path.join(workdir, "nginx.conf")
        # nginx's own sizing rule is client + upstream connections; below that it starts closing
        # idle keep-alive connections ("worker_connections are not enough, reusing connections").
        render("nginx-tls.conf" if tls else "nginx-proxy.conf", cfg, DIR=workdir, PORT=port,
               ORIGIN_PORT=origin_port, MAXCONN=2 * conns + FD_MARGIN, NOFILE=nofile, CERT=cert,
               KEY=key, KEEPALIVE=64)
        return Server(name, workdir, ["nginx", "-p", workdir, "-c", cfg, "-e",
                                      os.path.join(workdir, "error.log")])
    cfg = os.path.join(workdir, "gatehouse.yaml")
    render("gatehouse-tls.yaml" if tls else "gatehouse.yaml", cfg, PORT=port,
           ORIGIN_PORT=origin_port, CERT=cert, KEY=key, KEEPALIVE=64)
    # The templates (shared with run.sh and tls_h2.sh) cap client connections at 16,000.
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.replace("max_connections: 16000", "max_connections: %d" % (conns + FD_MARGIN)))
    return Server(name, workdir, [gatehouse_bin, "run", "-c", cfg])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--connections", type=int, default=10000)
    # 15 s: gatehouse's allocator (jemalloc, background purge) gives the pages freed when connections
    # park back to the kernel once unused for 10 s; nginx and haproxy (glibc) do not change in that
    # time. The peak of a burst is not what idle connections cost.
    parser.add_argument("--settle", type=float, default=15.0, help="seconds to wait before reading RSS")
    parser.add_argument("--only", default=",".join(PROXIES), help="comma-separated subset of " + ",".join(PROXIES))
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of " + ",".join(KINDS))
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    args = parser.parse_args()
    gatehouse_bin = os.environ.get("GATEHOUSE_BIN", os.path.join(REPO, "build/gatehouse"))
    names = [n for n in args.only.split(",") if n]
    for n in names:
        if n not in PROXIES:
            parser.error("unknown proxy %r" % n)
    kinds = [k for k in args.kinds.split(",") if k]
    for k in kinds:
        if k not in KINDS:
            parser.error("unknown kind %r" % k)

    count = args.connections
    nofile = raise_nofile(max(65536, count + FD_MARGIN))
    if count + FD_MARGIN > nofile:
        count = nofile - FD_MARGIN
        print("idle_conns: open-file limit is %d; measuring %d connections instead of %d"
              % (nofile, count, args.connections), file=sys.stderr)

    # SIGTERM/SIGHUP unwind through the finally below like Ctrl-C does, so servers are stopped.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    root = tempfile.mkdtemp(prefix="gatehouse-idle.")
    os.chmod(root, 0o755)
    servers = []
    results = {}
    try:
        origin_port = free_ports(1)[0]
        origin_dir = os.path.join(root, "origin")
        os.makedirs(os.path.join(origin_dir, "www"))
        with open(os.path.join(origin_dir, "www", "1k.bin"), "wb") as f:
            f.write(os.urandom(1024))
        for path in (origin_dir, os.path.join(origin_dir, "www")):
            os.chmod(path, 0o755)
        os.chmod(os.path.join(origin_dir, "www", "1k.bin"), 0o644)
        render("origin-nginx.conf", os.path.join(origin_dir, "nginx.conf"), DIR=origin_dir, PORT=origin_port)
        origin = Server("origin", origin_dir, ["nginx", "-p", origin_dir, "-c",
                                               os.path.join(origin_dir, "nginx.conf"),
                                               "-e", os.path.join(origin_dir, "error.log")])
        servers.append(origin)
        origin.start()
        if not wait_serving(origin_port, origin.proc):
            sys.exit("idle_conns: the origin did not start:\n" + origin.output_tail())

        pki = make_pki(root) if any(k != "plain" for k in kinds) else None
        for kind in kinds:
            for name in PROXIES:
                if name not in names:
                    continue
                if name == "gatehouse" and not os.access(gatehouse_bin, os.X_OK):
                    print("idle_conns: gatehouse skipped: no binary at %s (build it, or set GATEHOUSE_BIN)"
                          % gatehouse_bin, file=sys.stderr)
                    continue
                port = free_ports(1)[0]
                server = make_server(name, kind, root, origin_port, port, count, nofile, gatehouse_bin,
                                     pki)
                servers.append(server)
                server.start()
                if not wait_serving(port, server.proc, kind=kind):
                    print("idle_conns: %s %s skipped: not serving through the proxy:\n%s"
                          % (name, kind, server.output_tail()), file=sys.stderr)
                    server.stop()
                    continue
                print("idle_conns: %s %s: opening %d connections..." % (name, kind, count),
                      file=sys.stderr)
                results[(kind, name)] = measure(server, port, count, args.settle, kind)
                server.stop()  # one at a time: the others' connections do not compete for fds
    finally:
        for server in reversed(servers):
            server.stop()
        if args.keep:
            print("idle_conns: kept %s" % root, file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)

    print()
    print("%-6s %-10s %8s %12s %12s %10s %13s %11s" % ("kind", "proxy", "conns", "RSS before", "RSS after",
                                                     "B/conn", "vs best peer", "still open"))
    for kind in kinds:
        per_conn = {}
        for name in PROXIES:
            if (kind, name) in results:
                before, after, opened, _alive = results[(kind, name)]
                per_conn[name] = (after - before) * 1024 / opened if opened else float("nan")
        # A peer that closed some of the connections (still open < conns) is not a fair best.
        peers = [per_conn[n] for n in ("haproxy", "nginx")
                 if n in per_conn and per_conn[n] > 0 and results[(kind, n)][3] == results[(kind, n)][2]]
        best_peer = min(peers) if peers else None
        for name in PROXIES:
            if (kind, name) in results:
                before, after, opened, alive = results[(kind, name)]
                # Above 1.00: this proxy needs that many times the memory of the leaner peer.
                ratio = "%.2fx" % (per_conn[name] / best_peer) if best_peer else "-"
                print("%-6s %-10s %8d %8d KiB %8d KiB %10.0f %13s %11d"
                      % (kind, name, opened, before, after, per_conn[name], ratio, alive))
            elif name in names:
                print("%-6s %-10s %8s" % (kind, name, "skipped"))

if __name__ == "__main__":
    main()
