#!/usr/bin/env python3
"""isolation-check.py - points restored from one saved guest start alike.

  tests/isolation-check.py [--unproved-ok] RUN_DIR [RUN_DIR...]

In a run, every guest of one shape starts from one saved state.  Each
point records its guests' state at the start (start_state_sha256: links
with MTU, promiscuity and VLANs, addresses, modules) and at the end (an
observation "guest N: state at the end ...").  This checks, per run and
shape, that every point's guests started with the same state, and that the
check is not vacuous: at least one point left its guest in another state
(a reloaded driver, a changed MTU, a VLAN device...) and a later point of
the same shape still started with the shape's state.  Prints what it
found; exits 1 when a point started differently or nothing was shown.
With --unproved-ok, nothing shown is not a failure: for a matrix run with
several slots, where whether a point that changed its guest is followed by
one of its shape in the same slot depends on the schedule (make check
proves it on a run of its own, one slot, jumbo then reload).
"""
import glob
import json
import os
import sys


def points(run_dir):
    out = []
    for rj in glob.glob(os.path.join(run_dir, "*", "*", "result.json")):
        with open(rj) as f:
            r = json.load(f)
        out.append(r)
    return sorted(out, key=lambda r: r.get("started_ms", 0))


def main():
    args = sys.argv[1:]
    unproved_ok = bool(args) and args[0] == "--unproved-ok"
    if unproved_ok:
        args = args[1:]
    if not args:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    problems, proofs, shapes = [], [], 0
    for run in args:
        groups = {}
        for r in points(run):
            ends = {o["name"].split(":")[0]: o["value"]
                    for o in r.get("observations", [])
                    if o["name"].endswith("state at the end (SHA-256 of its "
                                          "links, addresses and modules)")}
            for g in r.get("guests", []):
                if g.get("start") != "restored" or "shape" not in g:
                    continue
                groups.setdefault((r["cell"]["name"], g["shape"]), []).append(
                    (r["case"], g.get("start_state_sha256"),
                     ends.get(f"guest {g['index']}")))
        for (cell, shape), pts in groups.items():
            shapes += 1
            first = pts[0][1]
            for case, start, _ in pts:
                if start != first:
                    problems.append(f"{run}: {cell}: {case} started in "
                                    f"another state than {pts[0][0]} "
                                    f"(shape {shape})")
            for i, (case, start, end) in enumerate(pts[:-1]):
                if end and end != start:
                    later = [c for c, s, _ in pts[i + 1:] if s == first]
                    if later:
                        proofs.append(f"{cell}: {case} left its guest "
                                      f"changed, {', '.join(later)} started "
                                      f"clean")
    for p in proofs[:6]:
        print(f"isolation-check: {p}")
    for p in problems:
        print(f"isolation-check: {p}")
    print(f"isolation-check: {shapes} shapes, {len(problems)} points that "
          f"started differently, {len(proofs)} proofs")
    if not proofs:
        print("isolation-check: no point changed its guest with a later "
              "point of its shape after it: nothing was proved")
        if not unproved_ok:
            return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
