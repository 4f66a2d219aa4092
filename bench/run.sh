#!/bin/bash
# Benchmarks: measure and print; no pass/fail thresholds here.
#
#   - analyzer speed: echo_analyze over a large generated capture
#   - the kernel-log scan over 1 and 4 MiB newline-free console lines
#   - one case on one model, end to end (the developer loop: target about
#     a minute on a TCG host), with the guest boot time it reports
#   - peak memory (max RSS) of nicq for that run
set -eu
cd "$(dirname "$0")/.."
make -s nicq build/tests/fixgen build/bench_echo build/bench_klog >/dev/null
WORK=$(mktemp -d /tmp/nicq-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "== analyzer: echo_analyze on a generated capture"
build/bench_echo "$WORK/big.pcap"

echo "== kernel-log scan: what a guest can print without a newline"
build/bench_klog

echo "== one case, one model, end to end (private lab)"
for m in ${BENCH_MODELS:-virtio}; do
	/usr/bin/time -f "%e s wall, %M KiB max RSS" -o "$WORK/time" \
		./nicq run --model "$m" --vhost off --case ping \
		--results "$WORK/res" >"$WORK/$m.tap" 2>/dev/null || true
	res=$(ls "$WORK"/res/*/"$m"-vhost-off/ping/result.json 2>/dev/null | head -n 1)
	summary=$(/usr/bin/python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print("guest start %s ms; point %s ms; verdict %s" % (r["guests"][0].get("start_ms", "?") if r["guests"] else "?", r["duration_ms"], r["verdict"]))' "$res" 2>/dev/null || echo "no result")
	echo "$m: $(cat "$WORK/time"); $summary"
done
