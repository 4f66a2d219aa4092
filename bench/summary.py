#!/usr/bin/env python3
"""summary.py - what a run's time went to, from its points' result.json.

  bench/summary.py RUN_DIR [WALL_SECONDS]

Prints per case and cell the point's duration; the guests' starts, booted
(power-on to readiness marker) and restored (from a saved state); and the
share of the wall clock that was not the case's own traffic: a point's
"case" phase runs from its "case" mark to its "kernel log" mark, the rest
(set-up, boots, restores, kernel logs, teardown) is overhead.  Measures and
prints; no thresholds.
"""
import glob
import json
import os
import sys


def phase_span(r, start, end):
    marks = {p["name"]: p["at_ms"] for p in r.get("phases", [])}
    if start in marks:
        stop = marks.get(end, r.get("duration_ms", 0))
        return max(0, stop - marks[start])
    return 0


def main():
    run = sys.argv[1]
    pts = []
    for f in glob.glob(os.path.join(run, "*", "*", "result.json")):
        with open(f) as fh:
            pts.append(json.load(fh))
    if not pts:
        print(f"summary: no points in {run}")
        return 1
    t0 = min(r["started_ms"] for r in pts)
    t1 = max(r["started_ms"] + r["duration_ms"] for r in pts)
    wall = float(sys.argv[2]) if len(sys.argv) > 2 else (t1 - t0) / 1000
    print(f"  points: {len(pts)}, wall {wall:.1f} s (first start to last end "
          f"{(t1 - t0) / 1000:.1f} s)")
    by_case = {}
    for r in sorted(pts, key=lambda r: (r["case"], r["cell"]["name"])):
        by_case.setdefault(r["case"], []).append(
            f"{r['cell']['model']} {r['duration_ms'] / 1000:.1f}")
    for c, v in by_case.items():
        print(f"  {c:10s} {', '.join(v)} s")
    booted = [g["boot_ms"] for r in pts for g in r["guests"] if "boot_ms" in g]
    booted += [g["start_ms"] for r in pts for g in r["guests"]
               if g.get("start") == "booted" and "start_ms" in g]
    restored = [g["start_ms"] for r in pts for g in r["guests"]
                if g.get("start") == "restored" and "start_ms" in g]
    if booted:
        print(f"  guest boots: {len(booted)}, mean {sum(booted) / len(booted) / 1000:.1f} s, "
              f"{min(booted) / 1000:.1f}-{max(booted) / 1000:.1f} s")
    if restored:
        print(f"  guest restores: {len(restored)}, mean "
              f"{sum(restored) / len(restored) / 1000:.2f} s, "
              f"{min(restored) / 1000:.2f}-{max(restored) / 1000:.2f} s")
    case_s = sum(phase_span(r, "case", "kernel log") for r in pts) / 1000
    point_s = sum(r["duration_ms"] for r in pts) / 1000
    print(f"  the cases' own traffic: {case_s:.1f} s of {point_s:.1f} s of "
          f"points ({100 * (1 - case_s / point_s):.0f} % overhead: set-up, "
          f"starts, kernel logs, teardown)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
