#!/bin/bash
# Benchmarks: measure and print; no pass/fail thresholds here.
#
#   - analyzer speed: echo_analyze over a large generated capture
#   - the kernel-log scan over 1 and 4 MiB newline-free console lines
#   - one case on one model, end to end (the developer loop), with where
#     its guest's start came from, and nicq's peak memory
#   - the quick matrix (BENCH_MODELS, default all three; vhost off) with
#     --jobs 1 and --jobs 2 in the same invocation, each from an empty
#     saved-state folder, then --jobs 2 on the states saved: wall, per-case wall,
#     booted vs restored guest starts, the share of the wall that is not
#     the cases' own traffic, and where a cold boot's time goes
#
# BENCH_MATRIX=0 skips the matrix (it takes many minutes under TCG).
set -eu
cd "$(dirname "$0")/.."
make -s nicq build/tests/fixgen build/bench_echo build/bench_klog >/dev/null
WORK=$(mktemp -d /tmp/nicq-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
models=${BENCH_MODELS:-rtl8139,e1000,virtio}

echo "== analyzer: echo_analyze on a generated capture"
build/bench_echo "$WORK/big.pcap"

echo "== kernel-log scan: what a guest can print without a newline"
build/bench_klog

echo "== one case, one model, end to end (private lab)"
# restore-cold: an empty saved-state folder (the guest boots, is saved,
# then restored); restore-cached: the same again (the developer's second
# run); fresh: --boot fresh (power-on, nothing saved)
for m in virtio; do
	for how in restore-cold restore-cached fresh; do
		boot=${how%%-*}
		/usr/bin/time -f "%e s wall" -o "$WORK/time" \
			env NICQ_STATE_DIR="$WORK/states-one" \
			./nicq run --model "$m" --vhost off --case ping \
			--boot "$boot" --results "$WORK/one-$how" \
			>"$WORK/one-$how.tap" 2>/dev/null || true
		res=$(ls "$WORK"/one-"$how"/*/"$m"-vhost-off/ping/result.json 2>/dev/null | head -n 1)
		summary=$(/usr/bin/python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
g = r["guests"][0] if r["guests"] else {}
print("guest %s%s in %s ms%s; point %s ms; verdict %s" % (g.get("start", "?"), " (state %s)" % g["state"] if "state" in g else "", g.get("start_ms", "?"), " (after a %s ms boot to save it)" % g["boot_ms"] if "boot_ms" in g else "", r["duration_ms"], r["verdict"]))' "$res" 2>/dev/null || echo "no result")
		# nicq's own peak memory, from run.json (what time(1) says of
		# nicq also holds the guests' QEMU, reaped under nicq)
		peak=$(/usr/bin/python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))["end"]["peak_rss_kib"]
print("nicq %d KiB max RSS (its largest point %d KiB)" % (p["nicq"], p["points"]))' \
			"$(ls -d "$WORK"/one-"$how"/*/ | head -n 1)run.json" 2>/dev/null || echo "peak memory unknown")
		echo "$m ping, $how: $(cat "$WORK/time"), $peak; $summary"
	done
done

[ "${BENCH_MATRIX:-1}" = 0 ] && exit 0
# each --jobs with an empty saved-state folder of its own (a first run),
# then --jobs 2 again on the states it saved (every later run)
for how in 1-cold 2-cold 2-cached; do
	jobs=${how%%-*}
	states="$WORK/states-m$jobs"
	echo "== quick matrix ($models, vhost off), --jobs $jobs, saved states ${how#*-}"
	start=$(date +%s.%N)
	NICQ_STATE_DIR="$states" ./nicq run --model "$models" --vhost off \
		--profile quick --jobs "$jobs" --results "$WORK/m$how" \
		>"$WORK/m$how.tap" 2>/dev/null || true
	end=$(date +%s.%N)
	wall=$(python3 -c "print(round($end - $start, 1))")
	echo "  wall $wall s; $(grep -cE '^    ok' "$WORK/m$how.tap") ok, $(grep -cE '^    not ok' "$WORK/m$how.tap") not ok"
	bench/summary.py "$(ls -d "$WORK/m$how"/*/ | head -n 1)" "$wall"
done
echo "== where a cold boot goes (the boots of the --jobs 1 matrix)"
bench/boot.py "$(ls -d "$WORK/m1-cold"/*/ | head -n 1)"
