#!/usr/bin/python3
"""junit-check.py - read a run folder's junit.xml as Debian's junitparser
reads it, and check it says what the run's results.json says.

  tests/junit-check.py RUN_DIR [RUN_DIR...]

junit.xml is a rendering of results.json.  Read through python3-junitparser
(a JUnit reader nicq did not write):
  - one testsuite per cell (its name), one testcase per planned point, in
    order, classname "nicq.<cell folder>", time the point's duration;
  - pass: no result element; fail: one <failure> whose message is the
    point's reason and whose text holds every failure line; skip: one
    <skipped> with the reason; known (TAP's TODO): one <skipped> of type
    nicq.known naming the defect, so a gate does not count it as a failure
    and a reader still sees it; interrupted and not_run: one <error>;
  - system-out is the point's result as YAML, equal to its result.json;
  - the counts junitparser works out from the testcases
    (update_statistics) are the counts the file states, at both levels;
  - a gate reading only JUnit (no failure and no error anywhere) passes
    exactly when the run passed.

Prints one line per run folder; exits 1 on any problem, 2 on bad usage.
"""
import copy
import json
import math
import os
import sys

import yaml
from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite


def same(a, b):
    """Whether JSON a and YAML b hold the same data."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-12)
    return a == b


def check_run(d):
    problems = []
    with open(os.path.join(d, "results.json")) as f:
        res = json.load(f)
    xml = JUnitXml.fromfile(os.path.join(d, "junit.xml"))
    suites = [s for s in xml if isinstance(s, TestSuite)]
    cells = res["cells"]
    if [s.name for s in suites] != [c["name"] for c in cells]:
        problems.append(f"testsuites {[s.name for s in suites]} != cells "
                        f"{[c['name'] for c in cells]}")
        return problems, 0
    n = 0
    gate_fail = False
    for s, c in zip(suites, cells):
        stated = (s.tests, s.failures, s.errors, s.skipped)
        recount = copy.deepcopy(s)
        recount.update_statistics()
        got = (recount.tests, recount.failures, recount.errors,
               recount.skipped)
        if stated != got:
            problems.append(f"{s.name}: states {stated}, junitparser "
                            f"counts {got}")
        cases = list(s)
        if [t.name for t in cases] != [p["case"] for p in c["points"]]:
            problems.append(f"{s.name}: testcases "
                            f"{[t.name for t in cases]}")
            continue
        for t, p in zip(cases, c["points"]):
            n += 1
            where = f"{s.name} {t.name}"
            st = p["status"]
            r = t.result
            if t.classname != "nicq." + c["slug"]:
                problems.append(f"{where}: classname {t.classname}")
            if abs(t.time - (p["duration_ms"] or 0) / 1000) > 0.0015:
                problems.append(f"{where}: time {t.time}, duration "
                                f"{p['duration_ms']} ms")
            kinds = [type(x) for x in r]
            if any(k in (Failure, Error) for k in kinds):
                gate_fail = True
            want = {"pass": [], "fail": [Failure], "skip": [Skipped],
                    "known": [Skipped], "interrupted": [Error],
                    "not_run": [Error]}[st]
            if kinds != want:
                problems.append(f"{where}: {st}, junitparser reads "
                                f"{[k.__name__ for k in kinds]}")
                continue
            if st == "pass" and not t.is_passed:
                problems.append(f"{where}: pass, junitparser says not "
                                "passed")
            if st in ("skip", "known") and not t.is_skipped:
                problems.append(f"{where}: {st}, junitparser says not "
                                "skipped")
            if st == "fail":
                f = r[0]
                if f.message != p["reason"] or f.type != "nicq.fail":
                    problems.append(f"{where}: failure message "
                                    f"{f.message!r}")
                for line in p["result"]["failures"]:
                    if line not in (f.text or ""):
                        problems.append(f"{where}: failure text lacks "
                                        f"{line!r}")
            if st == "known":
                k = r[0]
                if k.type != "nicq.known" or \
                        p["result"]["known_defect"]["defect"] not in \
                        (k.message or ""):
                    problems.append(f"{where}: known defect as "
                                    f"{k.type} {k.message!r}")
            if st == "skip" and r[0].message != p["reason"]:
                problems.append(f"{where}: skip message {r[0].message!r}")
            if st in ("interrupted", "not_run") and \
                    r[0].type != "nicq." + st:
                problems.append(f"{where}: error type {r[0].type}")
            if p["result"] is not None:
                try:
                    y = yaml.safe_load(t.system_out or "")
                except yaml.YAMLError as e:
                    problems.append(f"{where}: system-out is not YAML: {e}")
                    continue
                if not same(p["result"], y):
                    problems.append(f"{where}: system-out differs from "
                                    "result.json")
            elif t.system_out:
                problems.append(f"{where}: system-out without a result")
    total = copy.deepcopy(xml)
    stated = (xml.tests, xml.failures, xml.errors)
    total.update_statistics()
    if stated != (total.tests, total.failures, total.errors):
        problems.append(f"testsuites states {stated}, junitparser counts "
                        f"{(total.tests, total.failures, total.errors)}")
    passed = res["summary"]["status"] == "pass"
    if gate_fail == passed:
        problems.append(f"a JUnit-only gate would say "
                        f"{'fail' if gate_fail else 'pass'}, the run "
                        f"{res['summary']['status']}")
    return problems, n


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    bad = 0
    for d in sys.argv[1:]:
        try:
            problems, n = check_run(d)
        except (OSError, ValueError, KeyError) as e:
            problems, n = [f"cannot read: {e!r}"], 0
        print(f"junit-check (junitparser): {d}: {n} testcases, "
              f"{len(problems)} problems")
        for p in problems[:30]:
            print("  " + p)
        bad += len(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
