#!/usr/bin/python3
"""validate-results.py - check a run folder's results against the schema.

  tests/validate-results.py RUN_DIR [RUN_DIR...]

For every test point: <cell>/<case>/result.json must validate against
docs/result-schema.json, and the YAML block of that point in run.tap
(parsed by PyYAML) must validate too and hold the same data: TAP's YAML
is a rendering of the same structure, never a second bookkeeping.  Points
whose YAML block is missing (SKIP points of cells that cannot run) have no
result.json either.

Uses Debian's python3-jsonschema and python3-yaml (hence /usr/bin/python3).
Prints one line per run folder; exits 1 on any problem.
"""
import glob
import json
import math
import os
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "docs", "result-schema.json")


def yaml_blocks(tap):
    """The YAML blocks of a TAP file, each as text dedented to column 0."""
    blocks, cur, indent = [], None, 0
    with open(tap, encoding="utf-8") as f:
        for line in f:
            s = line.rstrip("\n")
            if cur is None:
                if s.strip() == "---":
                    indent = len(s) - len(s.lstrip())
                    cur = []
            elif s.strip() == "..." and len(s) - len(s.lstrip()) == indent:
                blocks.append("\n".join(cur) + "\n")
                cur = None
            else:
                cur.append(s[indent:])
    return blocks


def same(a, b, path="$"):
    """Differences between the JSON and the YAML renderings."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        if list(a.keys()) != list(b.keys()):
            out.append(f"{path}: keys {list(a.keys())} vs {list(b.keys())}")
        for k in a:
            if k in b:
                out += same(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += same(x, y, f"{path}[{i}]")
        return out
    if isinstance(a, bool) or isinstance(b, bool):
        return [] if a is b else [f"{path}: {a!r} vs {b!r}"]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b or (isinstance(a, float) and math.isclose(a, b, rel_tol=1e-12)):
            return []
        return [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def check_run(run_dir, validator):
    problems = []
    results = {}
    for rj in sorted(glob.glob(os.path.join(run_dir, "*", "*", "result.json"))):
        try:
            with open(rj) as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            problems.append(f"{rj}: {e}")
            continue
        for e in validator.iter_errors(r):
            problems.append(f"{rj}: {'/'.join(map(str, e.path))}: {e.message}")
        results[(r.get("cell", {}).get("name"), r.get("case"))] = (rj, r)
    tap = os.path.join(run_dir, "run.tap")
    n_yaml = 0
    if os.path.exists(tap):
        for text in yaml_blocks(tap):
            try:
                y = yaml.safe_load(text)
            except yaml.YAMLError as e:
                problems.append(f"{tap}: a YAML block does not parse: {e}")
                continue
            if not isinstance(y, dict) or "case" not in y:
                continue        # not a point's block
            n_yaml += 1
            for e in validator.iter_errors(y):
                problems.append(f"{tap}: {y.get('case')}: "
                                f"{'/'.join(map(str, e.path))}: {e.message}")
            key = (y.get("cell", {}).get("name"), y.get("case"))
            if key not in results:
                problems.append(f"{tap}: {key}: no result.json for this point")
                continue
            diffs = same(results[key][1], y)
            problems += [f"{tap}: {key}: YAML differs from result.json: {d}"
                         for d in diffs[:5]]
    else:
        problems.append(f"{run_dir}: no run.tap")
    print(f"validate-results: {run_dir}: {len(results)} result.json, "
          f"{n_yaml} YAML blocks, {len(problems)} problems")
    return problems


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for d in sys.argv[1:]:
        problems += check_run(d, validator)
    for p in problems[:40]:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
