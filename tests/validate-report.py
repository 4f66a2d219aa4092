#!/usr/bin/python3
"""validate-report.py - check a run folder's run.json and results.json.

  tests/validate-report.py RUN_DIR [RUN_DIR...]

For each run folder:
  - run.json validates against docs/results-schema.json#/definitions/run,
    and results.json against docs/results-schema.json (each point's result
    against docs/result-schema.json);
  - results.json is a rendering of the folder, not a second bookkeeping:
    its run is run.json as it is; its points are run.json's planned points,
    each once, in order; a point's result is its result.json as it is, and
    a point has one exactly when it has a result.json; its status is its
    verdict (interrupted only for the points run.json's end lists as
    unreported after a bail out), or skip
    with the planned reason for a point skipped before it ran;
  - the counts (per cell and in the summary) add up to the statuses, and
    the summary's status agrees with the end of run.json;
  - TAP agrees: every point TAP reports in run.json (a test point in its
    cell's subtest) has the status that TAP line says (ok, ok # SKIP,
    not ok # TODO, not ok), and every point TAP does not report is
    interrupted or not run.

Uses Debian's python3-jsonschema.  Prints one line per run folder; exits 1
on any problem, 2 on bad usage.
"""
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "docs")
STATUSES = ["pass", "fail", "known", "skip", "interrupted", "not_run"]


def validator(ref):
    """A validator for results-schema.json, or for ref inside it; both
    schemas come from docs/, never from the network (their $id)."""
    store = {}
    for name in ("results-schema.json", "result-schema.json"):
        with open(os.path.join(DOCS, name)) as f:
            s = json.load(f)
        jsonschema.Draft7Validator.check_schema(s)
        store[s["$id"]] = s
    schema = store["https://nicq.invalid/results-schema.json"]
    resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
    target = schema if ref is None else {"$ref": schema["$id"] + ref}
    return jsonschema.Draft7Validator(target, resolver=resolver)


def tap_points(tap):
    """{(cell name, case): status} for the points run.tap reports."""
    out = {}
    cell = None
    sub = re.compile(r"^# Subtest: (.*)$")
    pt = re.compile(r"^    (not ok|ok) \d+ - (\S+)( # (SKIP|TODO)( .*)?)?$")
    with open(tap, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = sub.match(line)
            if m:
                cell = m.group(1)
                continue
            m = pt.match(line)
            if m and cell:
                ok, case, directive = m.group(1), m.group(2), m.group(4)
                if ok == "ok":
                    status = "skip" if directive == "SKIP" else "pass"
                else:
                    status = "known" if directive == "TODO" else "fail"
                out[(cell, case)] = status
            elif not line.startswith("    "):
                if not line.startswith("#"):
                    cell = None
    return out


def load(path, problems):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        problems.append(f"{path}: {e}")
        return None


def check_run(d, v_run, v_results):
    problems = []
    run = load(os.path.join(d, "run.json"), problems)
    res = load(os.path.join(d, "results.json"), problems)
    if run is None or res is None:
        return problems, 0
    for e in v_run.iter_errors(run):
        problems.append(f"run.json: {'/'.join(map(str, e.path))}: {e.message}")
    for e in v_results.iter_errors(res):
        problems.append(f"results.json: {'/'.join(map(str, e.path))}: "
                        f"{e.message[:200]}")
    if problems:
        return problems, 0
    if res["run"] != run:
        problems.append("results.json's run is not run.json")
    end = run.get("end")
    unreported = (end or {}).get("unreported") or []
    planned = run["planned"]
    flat = [(c, p) for c in res["cells"] for p in c["points"]]
    if len(flat) != len(planned):
        problems.append(f"{len(flat)} points in results.json, "
                        f"{len(planned)} planned")
    tap = tap_points(os.path.join(d, "run.tap")) \
        if os.path.exists(os.path.join(d, "run.tap")) else None
    total = {s: 0 for s in STATUSES}
    for (cell, pt), plan in zip(flat, planned):
        where = f"{plan['slug']}/{plan['case']}"
        if (cell["slug"], cell["name"], pt["case"], pt["plan_case"]) != \
                (plan["slug"], plan["cell"], plan["case"], plan["plan_case"]):
            problems.append(f"{where}: out of order or renamed in results.json")
            continue
        rj = os.path.join(d, plan["slug"], plan["case"], "result.json")
        on_disk = os.path.isfile(rj) and not os.path.islink(rj)
        st = pt["status"]
        total[st] += 1
        if plan["skip"] is not None:
            if st != "skip" or pt["reason"] != plan["skip"] or pt["result"]:
                problems.append(f"{where}: skipped before it ran "
                                f"({plan['skip']}), results say {st}")
            if on_disk:
                problems.append(f"{where}: skipped before it ran, yet has "
                                "a result.json")
            continue
        if on_disk != (pt["result"] is not None):
            problems.append(f"{where}: result.json on disk {on_disk}, "
                            f"in results.json {pt['result'] is not None}")
        if on_disk:
            point = load(rj, problems)
            if pt["result"] != point:
                problems.append(f"{where}: the result in results.json is "
                                "not the point's result.json")
            if pt["path"] != where:
                problems.append(f"{where}: path {pt['path']}")
            if pt["duration_ms"] != point.get("duration_ms"):
                problems.append(f"{where}: duration_ms differs")
            want = "interrupted" if where in unreported else point["verdict"]
            if st != want:
                problems.append(f"{where}: status {st}, verdict "
                                f"{point['verdict']}")
        elif st != "not_run":
            problems.append(f"{where}: no result.json, status {st}")
        if tap is not None:
            t = tap.get((plan["cell"], plan["case"]))
            if st in ("interrupted", "not_run"):
                if t is not None:
                    problems.append(f"{where}: {st}, but TAP reports it {t}")
            elif t != st:
                problems.append(f"{where}: status {st}, TAP says {t}")
    for c in res["cells"]:
        cnt = {s: 0 for s in STATUSES}
        for p in c["points"]:
            cnt[p["status"]] += 1
        if cnt != c["counts"]:
            problems.append(f"{c['slug']}: counts {c['counts']} != {cnt}")
    s = res["summary"]
    if s["counts"] != total or s["points"] != len(planned):
        problems.append(f"summary counts {s['counts']} != {total}")
    if end is None:
        want = "unfinished"
    elif end["bail_out"]:
        want = "bailed"
    elif total["fail"] or total["not_run"] or total["interrupted"]:
        want = "fail"
    else:
        want = "pass"
    if s["status"] != want:
        problems.append(f"summary status {s['status']}, expected {want}")
    if end is not None and s["exit_status"] != end["exit_status"]:
        problems.append("summary exit status differs from run.json's")
    if end is not None and end["exit_status"] == 0 and want != "pass":
        problems.append(f"exit status 0 but status {want}")
    regressed = (run.get("baseline") or {}).get("regressed", False)
    if end is not None and end["exit_status"] == 1 and want != "fail" and \
            not (want == "pass" and regressed):
        problems.append(f"exit status 1 but status {want}")
    if end is not None and end["exit_status"] == 0 and regressed:
        problems.append("exit status 0, yet the baseline regressed")
    return problems, len(flat)


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    v_run = validator("#/definitions/run")
    v_results = validator(None)
    bad = 0
    for d in sys.argv[1:]:
        problems, n = check_run(d, v_run, v_results)
        print(f"validate-report: {d}: {n} points, {len(problems)} problems")
        for p in problems[:30]:
            print("  " + p)
        bad += len(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
