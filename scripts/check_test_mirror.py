#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Fails when a header under include/cloudlog has no test at its mirrored path.

usage: check_test_mirror.py INCLUDE_DIR TESTS_DIR

The mirror of include/cloudlog/A/B.hpp is tests/A/B.cpp; of a core header
include/cloudlog/B.hpp, tests/core/B.cpp (STYLE.md rule 9). A header under impl/
holds the bodies of a contract header in the folder above that includes it
(A/impl/B_part.hpp of A/B.hpp): that header's test is its mirror. There are no
exceptions: every header has its test (the pending list that once named exceptions
has gone).
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
    errors, mirrored = [], 0
    headers = sorted(p.relative_to(include).as_posix() for p in include.rglob('*.hpp'))
    for rel in headers:
        contract = contract_of(include, rel)
        has = (tests / mirror_of(contract or rel)).is_file()
        if not has:
            errors.append(f'{rel}: no test at tests/{mirror_of(contract or rel)}')
        mirrored += has
    for e in errors:
        print(e)
    print(f'{mirrored} of {len(headers)} headers have a mirrored test')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
