#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Fails when a cloudlog header includes a header of a higher or a sibling layer.

usage: check_layers.py INCLUDE_DIR

The layers (docs/design.md, "Layers"), lowest first:
  core     cloudlog/*.hpp
  log      cloudlog/log/
  backend, crypto, policy   (siblings: none includes another)
  cleaner  cloudlog/cleaner/
  formats  cloudlog/formats/
A header may include its own layer and any lower one. (Which headers may need
OpenSSL or curl is the CMake targets' business: tests/headers compiles the
headers of cloudlog::cloudlog with those libraries' headers made unusable.)
"""
import pathlib
import re
import sys

RANK = {'core': 0, 'log': 1, 'backend': 2, 'crypto': 2, 'policy': 2, 'cleaner': 3, 'formats': 4}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def layer_of(rel):
    parts = rel.split('/')
    return 'core' if len(parts) == 1 else parts[0]


def main():
    root = pathlib.Path(sys.argv[1]) / 'cloudlog'
    errors = []
    for path in sorted(root.rglob('*.hpp')):
        rel = path.relative_to(root).as_posix()
        layer = layer_of(rel)
        if layer not in RANK:
            errors.append(f'{rel}: folder {layer}/ has no layer (add it to scripts/check_layers.py and docs/design.md)')
            continue
        for m in INCLUDE.finditer(path.read_text()):
            target = m.group(2)
            if target.startswith('cloudlog/'):
                dep = target[len('cloudlog/'):]
                dl = layer_of(dep)
                if dl not in RANK:
                    errors.append(f'{rel}: includes {target}, in no layer')
                elif RANK[dl] > RANK[layer] or (RANK[dl] == RANK[layer] and dl != layer):
                    errors.append(f'{rel} ({layer}) includes {target} ({dl}): an include that goes up or sideways')
    for e in errors:
        print(e)
    if errors:
        print(f'{len(errors)} layering violation(s); the order is core -> log -> {{backend, crypto, policy}} -> cleaner -> formats')
        return 1
    print('every include goes down: core -> log -> {backend, crypto, policy} -> cleaner -> formats')
    return 0


if __name__ == '__main__':
    sys.exit(main())
