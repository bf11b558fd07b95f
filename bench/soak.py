#!/usr/bin/env python3
"""Soak: normal traffic next to a crowd of idle, half-sent and stalled connections.

gatehouse (one worker, in front of an nginx origin) serves a steady keep-alive load of 1 KiB GETs
while the soak holds IDLE kept-alive connections that each made one request, HALF connections
that sent half a request head (re-opened as gatehouse cuts them at client_header), and H2 slow
HTTP/2 streams: h2c connections that set INITIAL_WINDOW_SIZE=0 and ask for a 64 MiB body they
never read (re-opened as gatehouse resets them at client_send). Every INTERVAL seconds it prints
the normal load's p99, gatehouse's RSS and open fds, and how many attackers were cut and
re-opened. At the end: the worst p99 against the unloaded p99 (want <= 2x), and RSS and fds at
the end against the first sample after the ramp (want flat). A benchmark, never a test.

    bench/soak.py                                  # 10000 idle, 1000 half, 100x10 h2, 10 minutes
    bench/soak.py --idle 2000 --half 200 --h2-conns 20 --minutes 2
    GATEHOUSE_BIN=/path/to/gatehouse bench/soak.py
"""
import argparse
import os
import select
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idle_conns as ic  # noqa: E402  (render, free_ports, raise_nofile, rss_kib, Server, ...)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2_frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def h2_get(stream, path, authority="soak"):
    """HEADERS (END_STREAM|END_HEADERS) for GET http://authority/path, HPACK without Huffman."""
    block = b"\x82\x86"  # :method GET, :scheme http (static table)
    block += b"\x04" + bytes([len(path)]) + path.encode()  # :path, literal, name index 4
    block += b"\x01" + bytes([len(authority)]) + authority.encode()  # :authority, name index 1
    return h2_frame(1, 0x5, stream, block)


def nonblocking(s):
    s.setblocking(False)
    return s


def open_half(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: soak\r\nX-Half: ")
    s.setblocking(False)
    return s


def open_stalled_h2(port, streams):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    settings = h2_frame(4, 0, 0, struct.pack(">HI", 4, 0))  # SETTINGS_INITIAL_WINDOW_SIZE = 0
    s.sendall(PREFACE + settings + b"".join(h2_get(2 * i + 1, "/big.bin") for i in range(streams)))
    s.setblocking(False)
    return s


def closed_by_peer(s):
    """True when the server closed or reset s; anything it sent is read and dropped (never the
    DATA a window of 0 forbids, only SETTINGS, ACKs, HEADERS, RST_STREAM, GOAWAY)."""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


class Crowd:
    """A population of attacker connections kept at `size`: cut ones are re-opened."""

    def __init__(self, name, size, opener):
        self.name, self.size, self.opener = name, size, opener
        self.socks, self.reopened, self.failed = [], 0, 0

    def fill(self, initial):
        while len(self.socks) < self.size:
            try:
                self.socks.append(self.opener())
            except OSError:
                self.failed += 1
                return
            if not initial:
                self.reopened += 1

    def tend(self):
        """Reads what the server sent (one poll over the crowd), drops the closed, refills."""
        poller = select.poll()
        for s in self.socks:
            poller.register(s, select.POLLIN | select.POLLRDHUP)
        ready = {fd for fd, _ in poller.poll(0)}
        alive = []
        for s in self.socks:
            if s.fileno() in ready and closed_by_peer(s):
                s.close()
            else:
                alive.append(s)
        self.socks = alive
        self.fill(initial=False)

    def close(self):
        for s in self.socks:
            s.close()


class Load(threading.Thread):
    """CONNS keep-alive connections doing sequential GETs; latencies kept with their time."""

    def __init__(self, port, conns):
        super().__init__(daemon=True)
        self.port, self.conns = port, conns
        self.samples, self.errors = [], 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        socks = [ic.open_idle(self.port) for _ in range(self.conns)]
        while not self.stop.is_set():
            for i, s in enumerate(socks):
                started = time.monotonic()
                try:
                    s.sendall(ic.REQUEST)
                    ic.read_response(s)
                except OSError:
                    self.errors += 1
                    socks[i] = ic.open_idle(self.port)
                    continue
                with self.lock:
                    self.samples.append((started, time.monotonic() - started))

    def p99_since(self, since):
        with self.lock:
            window = sorted(d for t, d in self.samples if t >= since)
        return window[int(len(window) * 0.99)] * 1000 if window else float("nan")


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--half", type=int, default=1000)
    ap.add_argument("--h2-conns", type=int, default=100)
    ap.add_argument("--h2-streams", type=int, default=10)
    ap.add_argument("--load-conns", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--interval", type=float, default=10)
    ap.add_argument("--baseline", type=float, default=15, help="seconds of load alone first")
    args = ap.parse_args()
    gatehouse_bin = os.environ.get("GATEHOUSE_BIN", os.path.join(ic.REPO, "build", "gatehouse"))
    total = args.idle + args.half + args.h2_conns + args.load_conns
    nofile = ic.raise_nofile(total + ic.FD_MARGIN * 4)
    if nofile < total + ic.FD_MARGIN:
        sys.exit("soak: RLIMIT_NOFILE %d is too low for %d connections" % (nofile, total))
    root = tempfile.mkdtemp(prefix="gatehouse-soak-")
    os.chmod(root, 0o755)
    servers = []
    try:
        origin_port, port = ic.free_ports(2)
        www = os.path.join(root, "origin", "www")
        os.makedirs(www)
        with open(os.path.join(www, "1k.bin"), "wb") as f:
            f.write(os.urandom(1024))
        with open(os.path.join(www, "big.bin"), "wb") as f:
            f.truncate(64 << 20)
        os.chmod(os.path.join(root, "origin"), 0o755)
        ocfg = os.path.join(root, "origin", "nginx.conf")
        ic.render("origin-nginx.conf", ocfg, DIR=os.path.join(root, "origin"), PORT=origin_port)
        origin = ic.Server("origin", os.path.join(root, "origin"),
                           ["nginx", "-p", os.path.join(root, "origin"), "-c", ocfg])
        servers.append(origin)
        origin.start()
        gdir = os.path.join(root, "gatehouse")
        os.makedirs(gdir)
        gcfg = os.path.join(gdir, "gatehouse.yaml")
        ic.render("gatehouse-soak.yaml", gcfg, PORT=port, ORIGIN_PORT=origin_port)
        gh = ic.Server("gatehouse", gdir, [gatehouse_bin, "run", "-c", gcfg])
        servers.append(gh)
        gh.start()
        if not ic.wait_serving(port, gh.proc, deadline=10):
            sys.exit("soak: gatehouse did not serve:\n" + gh.output_tail())
        load = Load(port, args.load_conns)
        load.start()
        time.sleep(args.baseline)
        unloaded = load.p99_since(0)
        print("unloaded p99 %.2f ms (%d requests)" % (unloaded, len(load.samples)))
        crowds = [Crowd("idle", args.idle, lambda: nonblocking(ic.open_idle(port))),
                  Crowd("half", args.half, lambda: open_half(port)),
                  Crowd("h2", args.h2_conns, lambda: open_stalled_h2(port, args.h2_streams))]
        for c in crowds:
            c.fill(initial=True)
        print("%8s %9s %9s %7s %s" % ("t(s)", "p99(ms)", "RSS(KiB)", "fds",
                                     "  ".join("%s(open/reopened)" % c.name for c in crowds)))
        rows, started = [], time.monotonic()
        while time.monotonic() - started < args.minutes * 60:
            since = time.monotonic()
            while time.monotonic() - since < args.interval:
                for c in crowds:
                    c.tend()
                time.sleep(0.5)  # tend interval
            row = (time.monotonic() - started, load.p99_since(since), ic.rss_kib(gh.proc.pid),
                   fds(gh.proc.pid))
            rows.append(row)
            print("%8.0f %9.2f %9d %7d %s" % (row + ("  ".join(
                "%d/%d" % (len(c.socks), c.reopened) for c in crowds),)), flush=True)
        load.stop.set()
        load.join(timeout=10)
        for c in crowds:
            c.close()
        if len(rows) >= 2:
            worst = max(r[1] for r in rows)
            print("\nworst p99 %.2f ms = %.2fx unloaded (want <= 2x)" % (worst, worst / unloaded))
            print("RSS %d -> %d KiB (%+.1f%%), fds %d -> %d (first sample after the ramp -> last)"
                  % (rows[0][2], rows[-1][2], 100.0 * (rows[-1][2] - rows[0][2]) / rows[0][2],
                     rows[0][3], rows[-1][3]))
            print("load errors %d; open failures %s" % (load.errors, {c.name: c.failed for c in crowds}))
    finally:
        for s in reversed(servers):
            s.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
