#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Writes the C++ exemplars of a docs page into a header, so the code the docs show
is the code the tests compile and run (one source).

usage: extract_exemplars.py PAGE.md OUT.hpp NAMESPACE

Every ```cpp block right after a line
    <!-- exemplar: HEADER[, HEADER...] -->
is copied, in page order, into namespace cloudlog::exemplars::NAMESPACE (with
`using namespace cloudlog;`), after #include of each HEADER. A page with a marker
but no block after it is an error.
"""
import pathlib
import re
import sys

MARK = re.compile(r'^<!-- exemplar: (.*) -->\s*$')


def main():
    page, out, ns = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
    lines = page.read_text().split('\n')
    includes, blocks = [], []
    i = 0
    while i < len(lines):
        m = MARK.match(lines[i])
        if not m:
            i += 1
            continue
        for h in (x.strip() for x in m.group(1).split(',')):
            if h and h not in includes:
                includes.append(h)
        if i + 1 >= len(lines) or lines[i + 1].strip() != '```cpp':
            sys.exit(f'{page}:{i + 1}: an exemplar marker must be followed by a ```cpp block')
        j = i + 2
        while j < len(lines) and lines[j].strip() != '```':
            j += 1
        if j == len(lines):
            sys.exit(f'{page}:{i + 2}: unterminated code block')
        blocks.append((i + 3, '\n'.join(lines[i + 2:j])))
        i = j + 1
    if not blocks:
        sys.exit(f'{page}: no exemplar marker')
    guard = 'CLOUDLOG_EXEMPLARS_' + ns.upper() + '_HPP'
    text = [f'// Generated from {page.name} by scripts/extract_exemplars.py: edit the page, not this.',
            f'#ifndef {guard}', f'#define {guard}', '']
    text += [f'#include <{h}>' if not h.startswith('cloudlog/') else f'#include "{h}"' for h in includes]
    text += ['', f'namespace cloudlog::exemplars::{ns} {{', 'using namespace cloudlog;', '']
    for line, code in blocks:
        text += [f'#line {line} "{page.as_posix()}"', code, '']
    text += [f'}}  // namespace cloudlog::exemplars::{ns}', '', f'#endif  // {guard}', '']
    out.parent.mkdir(parents=True, exist_ok=True)
    new = '\n'.join(text)
    if not out.exists() or out.read_text() != new:
        out.write_text(new)
    return 0


if __name__ == '__main__':
    sys.exit(main())
