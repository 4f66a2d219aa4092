#!/bin/bash
# Benchmarks: measure and print; no pass/fail thresholds here.
#
#   - analyzer speed: echo_analyze over a large generated capture
#   - one case on one model, end to end (the developer loop: target about
#     a minute on a TCG host), with the guest boot time it reports
#   - peak memory (max RSS) of nicq for that run
set -eu
cd "$(dirname "$0")/.."
make -s nicq build/tests/fixgen build/bench_echo >/dev/null
WORK=$(mktemp -d /tmp/nicq-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "== analyzer: echo_analyze on a generated capture"
build/bench_echo "$WORK/big.pcap"

echo "== one case, one model, end to end (private lab)"
for m in ${BENCH_MODELS:-virtio}; do
	/usr/bin/time -f "%e s wall, %M KiB max RSS" -o "$WORK/time" \
		./nicq run --model "$m" --vhost off --case ping \
		--results "$WORK/res" >"$WORK/$m.tap" 2>/dev/null || true
	boot=$(grep -m1 'boot_ms:' "$WORK/$m.tap" | awk '{print $2}')
	verdict=$(grep -E "^(ok|not ok) 1 - " "$WORK/$m.tap" || true)
	echo "$m: $(cat "$WORK/time"); guest boot ${boot:-?} ms; $verdict"
done
