#!/usr/bin/python3
"""What a server and its descendants (nginx's workers, varnishd's child) use, summed:
    proc_tree.py cpu PID      user+system CPU seconds
    proc_tree.py memory PID   "PSS RSS" in KiB (from smaps_rollup)
"""
import os
import sys


def tree(pid):
    yield pid
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            kids = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            kids = []
        for kid in kids:
            yield from tree(int(kid))


def cpu(pid):
    ticks = 0
    for p in tree(pid):
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def memory(pid):
    pss = rss = 0
    for p in set(tree(pid)):
        try:
            for line in open(f"/proc/{p}/smaps_rollup"):
                key, _, rest = line.partition(":")
                if key == "Pss":
                    pss += int(rest.split()[0])
                elif key == "Rss":
                    rss += int(rest.split()[0])
        except OSError:
            continue
    return "%d %d" % (pss, rss)


if __name__ == "__main__":
    print({"cpu": cpu, "memory": memory}[sys.argv[1]](int(sys.argv[2])))
