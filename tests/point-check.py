#!/usr/bin/env python3
"""point-check.py - assert a test point's verdict from its own result.json.

  tests/point-check.py RESULT.json --verdict pass|fail|skip|known
                       [--failed GLOB] [--reason REGEX]

--failed: at least one failed expectation whose full name ("scope: name",
or name) matches GLOB ('*' and '?', as nicq's declared controls use).
--reason: the verdict's reason (skip reason, known defect) matches REGEX.
Prints one line saying what it found; exits 0 when every assertion holds,
1 when one does not, 2 on bad usage or an unreadable file.
"""
import argparse
import fnmatch
import json
import re
import sys


def full_name(e):
    return f"{e['scope']}: {e['name']}" if e.get("scope") else e["name"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("result")
    ap.add_argument("--verdict", required=True,
                    choices=["pass", "fail", "skip", "known"])
    ap.add_argument("--failed")
    ap.add_argument("--reason")
    a = ap.parse_args()
    try:
        with open(a.result) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        print(f"point-check: {a.result}: {e}")
        return 2
    failed = [full_name(e) for e in r.get("expectations", [])
              if not e.get("ok")]
    problems = []
    if r.get("verdict") != a.verdict:
        problems.append(f"verdict {r.get('verdict')}, not {a.verdict}")
    if a.failed and not any(fnmatch.fnmatchcase(n, a.failed)
                            for n in failed):
        problems.append(f"no failed expectation matches '{a.failed}'")
    if a.reason and not re.search(a.reason, r.get("reason") or ""):
        problems.append(f"reason '{r.get('reason')}' does not match "
                        f"'{a.reason}'")
    where = f"{r.get('case')} in {r.get('cell', {}).get('name')}"
    if problems:
        print(f"point-check: {where}: " + "; ".join(problems) +
              f" (failed: {failed[:6]}; errors: "
              f"{[x for x in r.get('failures', []) if ': expected' not in x][:3]})")
        return 1
    print(f"point-check: {where}: {r['verdict']}"
          + (f", failed '{a.failed}'" if a.failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
