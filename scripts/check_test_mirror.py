#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Fails when a header under include/cloudlog has no test at its mirrored path.

usage: check_test_mirror.py INCLUDE_DIR TESTS_DIR [PENDING_FILE]

The mirror of include/cloudlog/A/B.hpp is tests/A/B.cpp; of a core header
include/cloudlog/B.hpp, tests/core/B.cpp (STYLE.md rule 9). A header under impl/
holds the bodies of a contract header in the folder above that includes it
(A/impl/B_part.hpp of A/B.hpp): that header's test is its mirror. PENDING_FILE lists
headers still without one, one per line ("path  # why"); a header listed there
that has its test now is an error too, so the list only shrinks.
"""
import pathlib
import sys


def mirror_of(rel):
    parts = rel.split('/')
    stem = rel[:-len('.hpp')] + '.cpp'
    return ('core/' + stem) if len(parts) == 1 else stem


def contract_of(include, rel):
    """The public header whose bodies the impl/ header REL holds, or None."""
    parts = rel.split('/')
    if len(parts) < 2 or parts[-2] != 'impl':
        return None
    folder = '/'.join(parts[:-2])
    for p in sorted((include / folder).glob('*.hpp')):
        if ('cloudlog/' + rel) in p.read_text():
            return p.relative_to(include).as_posix()
    return None


def main():
    include = pathlib.Path(sys.argv[1]) / 'cloudlog'
    tests = pathlib.Path(sys.argv[2])
    pending = {}
    if len(sys.argv) > 3:
        for line in pathlib.Path(sys.argv[3]).read_text().splitlines():
            text = line.split('#', 1)[0].strip()
            if text:
                pending[text] = line.split('#', 1)[1].strip() if '#' in line else ''
    errors, mirrored, waiting = [], 0, 0
    headers = sorted(p.relative_to(include).as_posix() for p in include.rglob('*.hpp'))
    for rel in headers:
        contract = contract_of(include, rel)
        has = (tests / mirror_of(contract or rel)).is_file()
        if has and rel in pending:
            errors.append(f'{rel}: has tests/{mirror_of(rel)} now; remove it from the pending list')
        elif not has and rel not in pending:
            errors.append(f'{rel}: no test at tests/{mirror_of(rel)}')
        mirrored += has
        waiting += (not has and rel in pending)
    for rel in pending:
        if rel not in headers:
            errors.append(f'{rel}: in the pending list but no such header')
    for e in errors:
        print(e)
    print(f'{mirrored} of {len(headers)} headers have a mirrored test; {waiting} pending')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
