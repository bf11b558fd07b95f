#!/usr/bin/env python3
"""Memory per idle keep-alive client connection: gatehouse, haproxy and nginx side by side.

For each proxy (one worker, in front of the same nginx origin serving a 1 KiB file): start it in
a temp dir, warm it up, read its RSS, open N client connections that each complete one request
and then stay open and idle, wait, read its RSS again, and print (after - before) / N in KiB.
Connections are closed with RST (no TIME_WAIT) and every process is stopped by PID at exit.
Numbers are only comparable within one run on one machine; see bench/README.md.

    bench/idle_conns.py                        # 10,000 connections per proxy
    bench/idle_conns.py -n 2000 --only haproxy,nginx
    GATEHOUSE_BIN=/path/to/gatehouse bench/idle_conns.py
"""
import argparse
import os
import resource
import select
import shutil
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
REQUEST = b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n"
FD_MARGIN = 256  # fds the client and each server need besides the idle connections


def render(template, out, **values):
    """Copies bench/conf/TEMPLATE to OUT, replacing each @KEY@ with its value."""
    with open(os.path.join(HERE, "conf", template)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace("@%s@" % key, str(value))
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


def open_idle(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
    sock.sendall(REQUEST)
    status = read_response(sock)
    if status != 200:
        raise RuntimeError("status %d" % status)
    return sock


def wait_serving(port, proc, deadline=5.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            open_idle(port).close()
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


def measure(server, port, count, settle):
    warm = open_idle(port)  # a few requests: code paths and the backend connection pool warm
    for _ in range(9):
        warm.sendall(REQUEST)
        read_response(warm)
    warm.close()
    time.sleep(settle)
    before = rss_kib(server.proc.pid)
    socks = []
    try:
        for i in range(count):
            try:
                socks.append(open_idle(port))
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


def make_server(name, root, origin_port, port, conns, nofile, gatehouse_bin):
    workdir = os.path.join(root, name)
    os.makedirs(workdir)
    os.chmod(workdir, 0o755)  # nginx workers run as an unprivileged user when started as root
    if name == "haproxy":
        cfg = os.path.join(workdir, "haproxy.cfg")
        render("haproxy.cfg", cfg, PORT=port, ORIGIN_PORT=origin_port, MAXCONN=conns + FD_MARGIN)
        return Server(name, workdir, ["haproxy", "-db", "-f", cfg])
    if name == "nginx":
        cfg = os.path.join(workdir, "nginx.conf")
        # nginx's own sizing rule is client + upstream connections; below that it starts closing
        # idle keep-alive connections ("worker_connections are not enough, reusing connections").
        render("nginx-proxy.conf", cfg, DIR=workdir, PORT=port, ORIGIN_PORT=origin_port,
               MAXCONN=2 * conns + FD_MARGIN, NOFILE=nofile)
        return Server(name, workdir, ["nginx", "-p", workdir, "-c", cfg, "-e",
                                      os.path.join(workdir, "error.log")])
    cfg = os.path.join(workdir, "gatehouse.yaml")
    render("gatehouse.yaml", cfg, PORT=port, ORIGIN_PORT=origin_port)
    return Server(name, workdir, [gatehouse_bin, "run", "-c", cfg])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--connections", type=int, default=10000)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds to wait before reading RSS")
    parser.add_argument("--only", default=",".join(PROXIES), help="comma-separated subset of " + ",".join(PROXIES))
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    args = parser.parse_args()
    gatehouse_bin = os.environ.get("GATEHOUSE_BIN", os.path.join(REPO, "build/gatehouse"))
    names = [n for n in args.only.split(",") if n]
    for n in names:
        if n not in PROXIES:
            parser.error("unknown proxy %r" % n)

    nofile = raise_nofile(65536)
    count = args.connections
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
        origin_port, *ports = free_ports(1 + len(PROXIES))
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

        for name, port in zip(PROXIES, ports):
            if name not in names:
                continue
            if name == "gatehouse" and not os.access(gatehouse_bin, os.X_OK):
                print("idle_conns: gatehouse skipped: no binary at %s (build it, or set GATEHOUSE_BIN)"
                      % gatehouse_bin, file=sys.stderr)
                continue
            server = make_server(name, root, origin_port, port, count, nofile, gatehouse_bin)
            servers.append(server)
            server.start()
            if not wait_serving(port, server.proc):
                print("idle_conns: %s skipped: not serving through the proxy:\n%s"
                      % (name, server.output_tail()), file=sys.stderr)
                server.stop()
                continue
            print("idle_conns: %s: opening %d connections..." % (name, count), file=sys.stderr)
            results[name] = measure(server, port, count, args.settle)
            server.stop()  # one proxy at a time: the others' connections do not compete for fds
    finally:
        for server in reversed(servers):
            server.stop()
        if args.keep:
            print("idle_conns: kept %s" % root, file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)

    print()
    print("%-10s %8s %12s %12s %10s %11s" % ("proxy", "conns", "RSS before", "RSS after", "KiB/conn", "still open"))
    for name in PROXIES:
        if name in results:
            before, after, opened, alive = results[name]
            per = (after - before) / opened if opened else float("nan")
            print("%-10s %8d %8d KiB %8d KiB %10.2f %11d" % (name, opened, before, after, per, alive))
        elif name in names:
            print("%-10s %8s" % (name, "skipped"))


if __name__ == "__main__":
    main()
