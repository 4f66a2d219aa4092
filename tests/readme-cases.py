#!/usr/bin/env python3
"""readme-cases.py - README's case table must say what the cases declare.

  tests/readme-cases.py README.md

Reads `./nicq list` (cases, their Fedora plan case numbers) and
`./nicq list controls` (each case's negative controls: case, model, fault,
expectation), and README's "## Cases" table (| case | Fedora plan | what it
proves | negative control |).  Every case must have one row, in table
order, whose plan column says "case N" with its declared number, and whose
negative-control column names (in backticks) exactly the faults it declares.
Prints each mismatch; exits 1 on any, 0 when README and the code agree.
"""
import re
import subprocess
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    listing = subprocess.run(["./nicq", "list"], capture_output=True,
                             text=True, check=True).stdout
    cases = re.findall(r"^  ([a-z0-9]+) .*\n +\(Fedora vhost-net plan case "
                       r"(\d+):", listing, re.M)
    controls = {}
    out = subprocess.run(["./nicq", "list", "controls"], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        c, _model, fault, _breaks = line.split("\t")
        controls.setdefault(c, set()).add(fault)
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Cases", 1)[1].split("\n## ", 1)[0]
    rows = {}
    order = []
    for line in section.splitlines():
        cols = [x.strip() for x in line.strip().strip("|").split("|")]
        if len(cols) < 4 or cols[0] in ("case", "---") or \
                set(cols[0]) <= set("-"):
            continue
        rows[cols[0]] = cols
        order.append(cols[0])
    problems = []
    names = [c for c, _ in cases]
    if order != names:
        problems.append(f"README's rows {order} are not the cases in table "
                        f"order {names}")
    for name, plan in cases:
        row = rows.get(name)
        if not row:
            problems.append(f"{name}: no row in README's case table")
            continue
        if not re.search(rf"\bcase {plan}\b", row[1]):
            problems.append(f"{name}: README says '{row[1]}', the case "
                            f"declares plan case {plan}")
        said = set(re.findall(r"`([^`]+)`", row[3]))
        want = controls.get(name, set())
        if not want:
            problems.append(f"{name}: declares no negative control")
        if said != want:
            problems.append(f"{name}: README's controls {sorted(said)}, "
                            f"declared {sorted(want)}")
    for p in problems:
        print("readme-cases: " + p)
    print(f"readme-cases: {len(cases)} cases, {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
