#!/bin/bash
# Run the libFuzzer targets built by `make fuzz` (see fuzz/README.md).
#
#   fuzz/run.sh check   replay each corpus, then mutate it for FUZZ_SECONDS
#                       (default 5) per target; new inputs go to a temporary
#                       folder, so the tree is not changed.  Fails on any
#                       crash, sanitizer report or broken invariant.
#   fuzz/run.sh long    fuzz each target for FUZZ_SECONDS (default 600);
#                       new inputs are added to fuzz/corpus/<target>/.
#   fuzz/run.sh merge   minimise each corpus (libFuzzer -merge=1), keeping
#                       the seed-* files of fuzz/seeds.py.
#
# FUZZ_TARGETS="echo klog" limits the targets; FUZZ_JOBS (long only) runs
# that many processes per target.  Crashing inputs are kept in
# build/fuzz/artifacts/<target>/ (crash-*, leak-*, timeout-*, oom-*).
# Each target's line says how many inputs it ran.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-check}
B=build/fuzz
targets=${FUZZ_TARGETS:-$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||')}
case "$mode" in
check) secs=${FUZZ_SECONDS:-2} ;;
long) secs=${FUZZ_SECONDS:-600} ;;
merge) secs=0 ;;
*) echo "usage: $0 check|long|merge" >&2; exit 2 ;;
esac
tmp=$(mktemp -d /tmp/nicq-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Captures are big; mutating 170 KiB files is slow and finds no more.
# The console and kernel-log scanners are linear; long lines are tested by
# the unit tests and bench/bench_klog.c, not by mutating 64 KiB inputs.
max_len() {
	case "$1" in
	echo|vlan|flow|frames|spread|netboot) echo 16384 ;;
	console|klog) echo 8192 ;;
	*) echo 65536 ;;
	esac
}

fail=0
total=0
for t in $targets; do
	bin=$B/fuzz_$t
	corpus=fuzz/corpus/$t
	art=$B/artifacts/$t
	[ -x "$bin" ] || { echo "fuzz: $bin missing: run make fuzz" >&2; exit 2; }
	mkdir -p "$corpus" "$art"
	log=$tmp/$t.log
	if [ "$mode" = merge ]; then
		mkdir -p "$tmp/$t.new"
		"$bin" -merge=1 -max_len="$(max_len "$t")" "$tmp/$t.new" \
			"$corpus" >"$log" 2>&1 || { cat "$log"; exit 1; }
		find "$corpus" -type f ! -name 'seed-*' -delete
		find "$tmp/$t.new" -type f -exec cp -n {} "$corpus/" \;
		echo "fuzz $t: $(ls "$corpus" | wc -l) inputs after merge"
		continue
	fi
	rc=0
	if [ "$mode" = check ]; then
		mkdir -p "$tmp/$t.out"
		# the corpus whole (no -max_len: files are replayed as they are)
		"$bin" -max_total_time="$secs" -timeout=20 -seed=1 \
			-print_final_stats=1 -artifact_prefix="$art/" \
			"$tmp/$t.out" "$corpus" >"$log" 2>&1 || rc=$?
	else
		"$bin" -max_total_time="$secs" -timeout=20 \
			-max_len="$(max_len "$t")" -print_final_stats=1 \
			-artifact_prefix="$art/" ${FUZZ_JOBS:+-jobs=$FUZZ_JOBS \
			-workers=$FUZZ_JOBS} "$corpus" >"$log" 2>&1 || rc=$?
		[ -z "${FUZZ_JOBS:-}" ] || cat fuzz-*.log >>"$log" 2>/dev/null
		rm -f fuzz-*.log
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		awk '{ s += $1 } END { print s + 0 }')
	total=$((total + runs))
	inputs=$(ls "$corpus" | wc -l)
	if [ "$rc" -ne 0 ]; then
		fail=1
		echo "fuzz $t: FAILED (exit $rc) after $runs runs; inputs in $art/"
		grep -E 'ERROR|SUMMARY|invariant|runtime error|CRITICAL|WARNING' \
			"$log" | head -n 20
		cp "$log" "$art/last.log"
	else
		echo "fuzz $t: $runs runs in ${secs} s, no crash ($inputs inputs in $corpus)"
	fi
	[ -z "$(ls "$art" 2>/dev/null | grep -v last.log)" ] ||
		echo "fuzz $t: earlier finds in $art/: $(ls "$art" | grep -vc last.log)"
done
echo "fuzz: $total runs in all"
exit $fail
