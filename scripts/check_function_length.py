#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Reports every function definition in the C++ headers under a folder that spans
more than a limit of lines (signature to closing brace), and fails if one is found
outside the allow-list.

usage: check_function_length.py INCLUDE_DIR [--max N] [--allow PATH ...] [--list]

A heuristic reader, not a compiler: comments, string and character literals and
preprocessor lines are blanked first; a '{' opens a function body when the text
before it (since the last ';', '{' or '}') holds a '(' and no '=' before that '('
(after dropping 'operator...' names), and is not a class, struct, union, enum or
namespace head. Lambdas and local blocks count towards the function around them.
ALLOW paths are relative to INCLUDE_DIR; a path ending in '/' allows a folder.
"""
import argparse
import pathlib
import re
import sys

SCOPE_HEAD = re.compile(r'^\s*(template\s*<.*>\s*)?(class|struct|union|enum|namespace)\b|^\s*extern\s+"', re.S)


def blank(text):
    """Comments, literals and preprocessor lines replaced by spaces; newlines kept."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == '#' or (at_line_start and text[i:].lstrip(' \t').startswith('#') and c in ' \t'):
            # a preprocessor line, with its continuations
            while i < n:
                if text[i] == '\n' and (i == 0 or text[i - 1] != '\\'):
                    break
                out.append('\n' if text[i] == '\n' else ' ')
                i += 1
            continue
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
            continue
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(''.join('\n' if ch == '\n' else ' ' for ch in text[i:j]))
            i = j
            continue
        m = re.match(r'R"([^(\s]*)\(', text[i:i + 20])
        if m:
            end = text.find(')' + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(''.join('\n' if ch == '\n' else ' ' for ch in text[i:j]))
            i = j
            continue
        if c in '"\'':
            # a digit separator (1'000) is not a literal
            if c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
                out.append(' ')
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(' ' * (j - i))
            i = j
            continue
        out.append(c)
        if c == '\n':
            at_line_start = True
        elif not c.isspace():
            at_line_start = False
        i += 1
    return ''.join(out)


def functions(text):
    """(name, first line, last line) of every function definition outside other functions."""
    code = blank(text)
    found = []
    stack = []  # per open brace: ('fn', name, start line) | ('scope',) | ('block',)
    head_start = 0
    for i, c in enumerate(code):
        if c in ';':
            if not stack or stack[-1][0] == 'scope':
                head_start = i + 1
        elif c == '{':
            inside_fn = any(s[0] == 'fn' for s in stack)
            head = code[head_start:i]
            kind = ('block',)
            if not inside_fn:
                paren = head.find('(')
                named = re.sub(r'operator\s*(\(\)|[^\s(]+)', 'operator', head)
                p2 = named.find('(')
                if SCOPE_HEAD.match(head) or head.strip().endswith('=') or not head.strip():
                    kind = ('scope',) if SCOPE_HEAD.match(head) else ('block',)
                elif paren >= 0 and '=' not in named[:p2]:
                    name = re.findall(r'([~\w:]+(?:operator)?)\s*$', named[:p2].rstrip())
                    start = code.count('\n', 0, head_start + len(head) - len(head.lstrip())) + 1
                    kind = ('fn', name[0] if name else '?', start)
                elif re.match(r'^\s*(public|private|protected)\s*:', head) is None and paren < 0:
                    kind = ('block',)
            stack.append(kind)
            if not inside_fn:
                head_start = i + 1
        elif c == '}':
            if not stack:
                continue
            top = stack.pop()
            if top[0] == 'fn':
                found.append((top[1], top[2], code.count('\n', 0, i) + 1))
            if not any(s[0] == 'fn' for s in stack):
                head_start = i + 1
        elif c == ':' and (not stack or stack[-1][0] == 'scope'):
            # access specifiers end a head
            if re.search(r'\b(public|private|protected)\s*$', code[head_start:i]):
                head_start = i + 1
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('include_dir')
    ap.add_argument('--max', type=int, default=100)
    ap.add_argument('--allow', nargs='*', default=[])
    ap.add_argument('--list', action='store_true', help='print every function over the limit, allowed ones too')
    args = ap.parse_args()
    root = pathlib.Path(args.include_dir)
    bad = 0
    for path in sorted(root.rglob('*.hpp')):
        rel = path.relative_to(root).as_posix()
        allowed = any(rel == a or (a.endswith('/') and rel.startswith(a)) for a in args.allow)
        for name, first, last in functions(path.read_text()):
            length = last - first + 1
            if length <= args.max:
                continue
            if allowed:
                if args.list:
                    print(f'{rel}:{first}: {name} is {length} lines (allowed: being refactored)')
                continue
            print(f'{rel}:{first}: {name} is {length} lines (limit {args.max})')
            bad += 1
    if bad:
        print(f'{bad} function(s) longer than {args.max} lines')
        return 1
    print(f'every function under {root} is at most {args.max} lines (allow-list: {" ".join(args.allow) or "none"})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
