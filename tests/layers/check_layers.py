#!/usr/bin/env python3
"""Checks every project #include against the layer diagram as CMake links it.

The tree is the architecture (DESIGN.md): a file may include a header only from its own library
or from a library it links, directly or through others. A static library does not fail to link
on a call that reaches upwards as long as the final binary has both sides, and a header-only
reach (an inline function, a forward declaration) never reaches the linker at all; this check
catches both, at test time, with the file and line.

Usage: check_layers.py LAYERS_JSON SOURCE_ROOT
LAYERS_JSON is written by the top CMakeLists.txt: {target: {"dir": ..., "sources": [...],
"links": [...]}} for every target of the diagram.
"""
import json
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def closure(target, layers):
    seen, stack = set(), [target]
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        stack.extend(layers[t]["links"])
    return seen


def main():
    layers_path, root = sys.argv[1], os.path.realpath(sys.argv[2])
    with open(layers_path) as f:
        layers = json.load(f)
    # Who owns a file: the target that compiles it (or its .cc sibling, for a header); a header
    # with neither belongs to the highest target of its folder (the one linking the others).
    owner_by_file, targets_by_dir = {}, {}
    for target, info in layers.items():
        info["links"] = [l for l in info["links"] if l in layers]
        rel_dir = os.path.relpath(os.path.realpath(info["dir"]), root)
        info["rel_dir"] = rel_dir
        targets_by_dir.setdefault(rel_dir, []).append(target)
        for source in info["sources"]:
            path = source if os.path.isabs(source) else os.path.join(info["dir"], source)
            owner_by_file[os.path.relpath(os.path.realpath(path), root)] = target
    closures = {t: closure(t, layers) for t in layers}

    def owner(rel_path):
        if rel_path in owner_by_file:
            return owner_by_file[rel_path]
        stem = os.path.splitext(rel_path)[0]
        if stem + ".cc" in owner_by_file:
            return owner_by_file[stem + ".cc"]
        candidates = targets_by_dir.get(os.path.dirname(rel_path))
        if not candidates:
            return None
        return max(candidates, key=lambda t: len(closures[t]))

    errors, checked = [], 0
    for rel_dir in targets_by_dir:
        folder = os.path.join(root, rel_dir)
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".h", ".cc")):
                continue
            rel_path = os.path.join(rel_dir, name)
            me = owner(rel_path)
            with open(os.path.join(root, rel_path), encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m or not os.path.exists(os.path.join(root, m.group(1))):
                        continue
                    checked += 1
                    theirs = owner(m.group(1))
                    if theirs and theirs not in closures[me]:
                        errors.append(f"{rel_path}:{lineno}: {me} includes {m.group(1)} of "
                                      f"{theirs}, which it does not link")
    for e in errors:
        print(e)
    print(f"{checked} includes checked in {len(layers)} targets; {len(errors)} reach outside "
          "their layer")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
