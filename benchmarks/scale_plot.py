#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
# Turns benchmarks/scale_bench.sh output (one or more files) into docs/scale/usage_index.csv
# and three gnuplot SVG curves (metadata bytes read, seconds, peak RSS against the
# fraction changed, one curve per N and walk). usage: scale_plot.py OUT_DIR RESULTS...
import json, os, subprocess, sys

out, files = sys.argv[1], sys.argv[2:]
rows = []
for f in files:
    for line in open(f):
        head, _, body = line.partition(' {')
        if not body: continue
        n, step = head.split()
        d = json.loads('{' + body)
        if 'metadata_bytes_read' not in d: continue
        n = int(n[2:])
        if step.startswith('idle-'): frac, kind = 0.0, step[5:]
        elif step == 'first-pass': continue
        else:
            frac, kind = step.split('-')
            frac = float(frac)
        if kind == 'pass': continue
        rows.append((n, frac, kind, d['metadata_bytes_read'], d['gets'], d['seconds'], d['peak_rss_kib']))
rows.sort()
with open(os.path.join(out, 'usage_index.csv'), 'w') as c:
    c.write('n,changed_fraction,walk,metadata_bytes_read,gets,seconds,peak_rss_kib\n')
    for r in rows: c.write(','.join(map(str, r)) + '\n')
# gnuplot wants a positive x for log scale: idle plotted at 0.0001.
def series(n, kind, col):
    return '\n'.join('%g %g' % (max(r[1], 1e-4), r[col]) for r in rows if r[0] == n and r[2] == kind) + '\ne\n'
ns = sorted(set(r[0] for r in rows))
kinds = [k for k in ('index', 'local', 'full', 'noindex', 'check') if any(r[2] == k for r in rows)]
label = {'index': 'index (store copy)', 'local': 'index (local copy)', 'full': 'full walk',
         'noindex': 'no index (graph)', 'check': 'periodic cross-check'}
for name, col, ylabel in (('metadata', 3, 'metadata bytes read from the store'),
                          ('seconds', 5, 'pass seconds (dry run)'),
                          ('memory', 6, 'peak RSS, KiB')):
    plots, data = [], ''
    for n in ns:
        for k in kinds:
            if not any(r[0] == n and r[2] == k for r in rows): continue
            plots.append("'-' using 1:2 with linespoints title 'N=%g %s'" % (n, label[k]))
            data += series(n, k, col)
    script = ("set terminal svg size 720,420 dynamic font 'sans,11'\nset output '%s'\n"
              "set logscale xy\nset xlabel 'fraction of objects changed (idle plotted at 1e-4)'\n"
              "set ylabel '%s'\nset key outside right\nset grid\nplot %s\n%s") % (
        os.path.join(out, name + '.svg'), ylabel, ', '.join(plots), data)
    subprocess.run(['gnuplot'], input=script.encode(), check=True)
