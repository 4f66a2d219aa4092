#!/bin/bash
# shard-check.sh - nicq merge joins shards into the unsplit run.
#
#   tests/shard-check.sh NICQ WORK UNSPLIT_RUN SHARD_RUN...
#
# SHARD_RUN... are the run folders of 'nicq run --shard I/N' for every I
# (same options); UNSPLIT_RUN a run whose matrix holds every point of
# theirs (the same options, or more models, cases or vhost settings).
# Checks:
#   - nicq merge WORK/merged SHARD_RUN... exits 0 and its results.json has
#     the cells and points of UNSPLIT_RUN's results.json, in the same
#     order, with the same statuses (timings and measurements differ);
#   - the merged run.tap has every point in matrix order, numbered as one
#     run's, and TAP consumers accept it;
#   - refusals, each exit 2 with one line and no folder written: a shard
#     missing, a shard given twice, shards whose options, nicq version or
#     profile differ, a point in two shards, an unfinished shard, a folder
#     that is not a shard, an OUT_DIR that is not empty.
# Prints one line per check; exits 0 when all pass.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
NICQ=$1 WORK=$2 UNSPLIT=$3
shift 3
SHARDS=("$@")
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
mkdir -p "$WORK"

M="$WORK/merged"
rm -rf "$M"
$NICQ merge "$M" "${SHARDS[@]}" >"$WORK/merged.tap" 2>"$WORK/merged.err"
rc=$?
check "nicq merge of ${#SHARDS[@]} shards exits 0 (got $rc: $(head -c 300 "$WORK/merged.err"))" \
	test $rc -eq 0
check "the merged TAP on stdout is run.tap" cmp -s "$WORK/merged.tap" "$M/run.tap"

# the merged cells and verdicts = the unsplit run's, for the same points
"$py" - "$M/results.json" "$UNSPLIT/results.json" >"$WORK/merged-cmp.txt" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
u = json.load(open(sys.argv[2]))
opts = m["run"]["options"]
def view(doc, keep_cells=None):
    out = []
    for c in doc["cells"]:
        if keep_cells is not None and c["slug"] not in keep_cells:
            continue
        pts = [(p["case"], p["status"]) for p in c["points"]
               if p["case"] in opts["cases"]]
        out.append((c["name"], c["slug"], c["skip"], pts))
    return out
mv = view(m)
uv = view(u, {c["slug"] for c in m["cells"]})
print("merged:  ", mv)
print("unsplit: ", uv)
ok = mv == uv and len(mv) > 0 and m["summary"]["points"] == sum(len(c[3]) for c in mv)
print("# summary", m["summary"]["status"], m["summary"]["counts"])
print("merged.count", m["run"]["merged"]["count"])
sys.exit(0 if ok else 1)
PY
rc=$?
sed 's/^/# /' "$WORK/merged-cmp.txt"
check "merged results.json: the unsplit run's cells and verdicts, in order" test $rc -eq 0
# TAP: cells and points in matrix order, numbered 1.. as one run's
"$py" - "$M/run.tap" "$M/results.json" <<'PY'
import json, re, sys
tap = open(sys.argv[1]).read().splitlines()
doc = json.load(open(sys.argv[2]))
want = []
for i, c in enumerate(doc["cells"], 1):
    for j, p in enumerate(c["points"], 1):
        want.append(f"    {j} - {p['case']}")
    want.append(f"{i} - {c['name']}")
got = [re.sub(r"^( *)(?:not )?ok ", r"\1", l).split(" # ")[0]
       for l in tap if re.match(r"^( {4})?(not )?ok ", l)]
plan = [l for l in tap if re.match(r"^1\.\.", l)]
sys.exit(0 if got == want and plan == [f"1..{len(doc['cells'])}"] else 1)
PY
check "merged run.tap: every cell and point in matrix order, numbered as one run's" test $? -eq 0
check "merged run.tap: tap-parser and TAP::Parser accept it" \
	"$here/tap-consumers.sh" "$M/run.tap" expect-pass
check "merged: each shard's run.json and run.tap kept under shards/" \
	test -s "$M/shards/1-of-${#SHARDS[@]}/run.json" -a -s "$M/shards/${#SHARDS[@]}-of-${#SHARDS[@]}/run.tap"

# refusals: exit 2, one line, nothing written
refused() { # DESC PATTERN SHARD...
	local desc=$1 pat=$2 out="$WORK/refused" rc err
	shift 2
	rm -rf "$out"
	$NICQ merge "$out" "$@" >"$WORK/refused.out" 2>"$WORK/refused.err"
	rc=$?
	err=$(cat "$WORK/refused.err")
	if [ $rc -eq 2 ] && [ "$(wc -l <"$WORK/refused.err")" -eq 1 ] &&
		grep -q -- "$pat" "$WORK/refused.err" && [ ! -e "$out" ] &&
		[ ! -s "$WORK/refused.out" ]; then
		ok "merge refuses $desc: '$err'"
	else
		bad "merge refuses $desc: exit $rc, '$err'"
	fi
}
# a copy of the last shard with its run.json changed by a Python expression
altered() { # NAME EXPR (r is run.json)
	local d="$WORK/alt-$1"
	rm -rf "$d"
	cp -a "${SHARDS[-1]}" "$d"
	"$py" -c 'import json, sys
r = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(r, open(sys.argv[1], "w"))' "$d/run.json" "$2"
	echo "$d"
}
last=${#SHARDS[@]}
others=("${SHARDS[@]:0:$((last - 1))}")
refused "a missing shard" "missing" "${others[@]}"
refused "a shard given twice" "given twice" "${SHARDS[@]}" "${SHARDS[0]}"
refused "shards of other options" "option --case" "${others[@]}" \
	"$(altered cases 'r["options"]["cases"] = r["options"]["cases"][::-1]')"
refused "shards of another nicq" "nicq version" "${others[@]}" \
	"$(altered version 'r["nicq_version"] = "0.0.1"')"
refused "shards of another profile" "profile boot_timeout" "${others[@]}" \
	"$(altered profile '[p for p in r["profile"]["params"] if p["name"] == "boot_timeout"][0]["value"] = 99999')"
refused "shards of another QEMU" "QEMU version" "${others[@]}" \
	"$(altered qemu 'r["versions"]["qemu"] = "1.0.0"')"
refused "a point in two shards" "is in shard" "${others[@]}" \
	"$(altered overlap 'r["planned"][0]["position"] = 0')"
refused "an unfinished shard" "did not finish" "${others[@]}" \
	"$(altered unfinished 'del r["end"]')"
refused "a run that is not a shard" "not a shard" "${others[@]}" "$UNSPLIT"
mkdir -p "$WORK/refused" && touch "$WORK/refused/x"
$NICQ merge "$WORK/refused" "${SHARDS[@]}" >/dev/null 2>"$WORK/refused.err"
rc=$?
check "merge refuses an OUT_DIR that is not empty (exit $rc: $(cat "$WORK/refused.err"))" \
	bash -c "[ $rc -eq 2 ] && grep -q 'not empty' '$WORK/refused.err' && [ \$(ls '$WORK/refused') = x ]"
rm -rf "$WORK"/alt-* "$WORK/refused"
echo "# shard-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
