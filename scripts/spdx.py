#!/usr/bin/env python3
"""Adds an `SPDX-License-Identifier: BSL-1.0` line to every source file of the
project (the licence is LICENSE, the Boost Software License 1.0), or with --check
lists the files that lack one and fails.

Idempotent: a file that already has the line (in its first five lines or its last)
is left alone, so running it again after a merge adds the line only to files
that came in without it. The line goes first, or after a `#!` line (last in
the few files whose line numbers a test checks, AT_END); it is
`// ...` in C and C++ files and `# ...` in CMake, shell, Python, pkg-config,
systemd and bash-completion files. Files are the ones git tracks (plus, with
--untracked, the ones it does not ignore); data (fixtures, fuzz inputs and
dictionaries, CSV, SVG) and documentation are not source and are skipped.

Usage: scripts/spdx.py [--check] [--untracked] [ROOT]
"""
import os
import subprocess
import sys

TAG = "SPDX-License-Identifier: BSL-1.0"
SLASHES = (".hpp", ".cpp", ".h", ".cc", ".hh", ".ipp")
HASHES = (".cmake", ".sh", ".py", ".pc.in", ".cmake.in", ".service.in", ".timer",
          ".service", ".gitignore", ".clang-format")
HASH_NAMES = ("CMakeLists.txt", "run", "cloudlog-tools")
# Files whose line numbers a test checks: the line goes last in them.
AT_END = ("tests/headers/long_function/long.hpp",)


def comment_for(path):
    """The comment leader of PATH's kind, or None when it is not a source file."""
    name = os.path.basename(path)
    if name.endswith(SLASHES):
        return "//"
    if name in HASH_NAMES or name.endswith(HASHES):
        return "#"
    return None


def files(root, untracked):
    args = ["git", "-C", root, "ls-files", "-z"]
    if untracked:
        args += ["--cached", "--others", "--exclude-standard"]
    out = subprocess.run(args, check=True, capture_output=True).stdout.decode()
    for rel in sorted(set(p for p in out.split("\0") if p)):
        path = os.path.join(root, rel)
        if os.path.isfile(path) and not os.path.islink(path) and comment_for(rel):
            yield rel, path


def has_tag(text):
    lines = text.splitlines()
    return any(TAG in line for line in lines[:5] + lines[-1:])


def with_tag(text, leader, at_end=False):
    line = f"{leader} {TAG}\n"
    if at_end:
        return text + ("" if text.endswith("\n") or not text else "\n") + line
    if text.startswith("#!"):
        first, _, rest = text.partition("\n")
        return first + "\n" + line + rest
    return line + text


def main(argv):
    check = "--check" in argv
    untracked = "--untracked" in argv
    rest = [a for a in argv if not a.startswith("--")]
    root = rest[0] if rest else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    missing, added = [], []
    for rel, path in files(root, untracked):
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
        if has_tag(text):
            continue
        if check:
            missing.append(rel)
            continue
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(with_tag(text, comment_for(rel), rel in AT_END))
        added.append(rel)
    if check:
        for rel in missing:
            print(f"{rel}: no '{TAG}' line (scripts/spdx.py adds it)")
        return 1 if missing else 0
    print(f"added the SPDX line to {len(added)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
