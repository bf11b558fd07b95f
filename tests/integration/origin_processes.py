"""Test origins as separate processes, so that a deploy script can restart them like real app
servers: `OriginProcesses(dir)` starts `tests/support/test_origin.py --port P --name N` per
server, keeps each PID in DIR/N.pid and its port in DIR/N.port; `restart_command()` is the shell
command the rolling-deploy script runs for $SERVER (this file, run as a script: SIGTERM the
old process, wait for it to exit, start a new one on the same port, wait until it listens).
Every process is stopped by PID at cleanup."""

import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN = os.path.join(HERE, "..", "support", "test_origin.py")


def _start(directory, name, port):
    log = open(os.path.join(directory, name + ".log"), "ab")
    p = subprocess.Popen([sys.executable, ORIGIN, "--port", str(port), "--name", name],
                         stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    line = p.stdout.readline().decode()  # "listening PORT" once bound
    if not line.startswith("listening"):
        raise RuntimeError("origin %s did not start: %r" % (name, line))
    p.stdout.close()
    with open(os.path.join(directory, name + ".pid"), "w") as f:
        f.write(str(p.pid))
    with open(os.path.join(directory, name + ".port"), "w") as f:
        f.write(str(port))
    return p.pid


def _alive(pid):
    """Running: a zombie is not (the first origins are the test's children, and the restart
    script that stops them cannot reap them: it used to wait 10 s for each, then SIGKILL)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _stop(pid, timeout=10.0):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
        except ChildProcessError:
            pass
        time.sleep(0.02)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


class OriginProcesses:
    def __init__(self, directory, names, ports):
        self.dir = directory
        self.names = list(names)
        self.ports = dict(zip(names, ports))
        self.pids = {n: _start(directory, n, self.ports[n]) for n in self.names}

    def address(self, name):
        return "127.0.0.1:%d" % self.ports[name]

    def pid(self, name):
        with open(os.path.join(self.dir, name + ".pid")) as f:
            return int(f.read())

    def restart_command(self):
        return "%s %s restart %s \"$SERVER\"" % (sys.executable, os.path.abspath(__file__), self.dir)

    def stop_all(self):
        for n in self.names:
            _stop(self.pid(n))


def restart(directory, name):
    with open(os.path.join(directory, name + ".pid")) as f:
        pid = int(f.read())
    with open(os.path.join(directory, name + ".port")) as f:
        port = int(f.read())
    _stop(pid)
    _start(directory, name, port)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "restart":
        sys.exit("usage: origin_processes.py restart DIR NAME")
    restart(sys.argv[2], sys.argv[3])
