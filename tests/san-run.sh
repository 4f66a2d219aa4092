#!/bin/bash
# The sanitizer build (make SANITIZE=address,undefined) runs one real point
# once (issue 10): build/san/nicq run --model virtio --vhost off --case ping
# in the private lab.  It must pass, validate, and AddressSanitizer and
# UBSan must report nothing - in nicq or in any point's process (each
# writes its own log_path.PID file, so none may exist).  Leak checks are
# off: libvirt, libssh and glib keep process-long allocations.  The run is
# kept short and light (a few sizes, no 64 KiB pings at 0.1 ms, which on
# a loaded 2-core host lose replies under TCG whatever the build): it is
# here to run nicq's code under the sanitizers; integration.sh judges
# the NIC.
#
#   tests/san-run.sh [NICQ]       (default build/san/nicq)
set -u
cd "$(dirname "$0")/.."
NICQ=${1:-build/san/nicq}
export NICQ_IMAGE_DIR=${NICQ_IMAGE_DIR:-$PWD/build/guest}
WORK=$(mktemp -d /tmp/nicq-san.XXXXXX)
fail=0
ok() { echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:log_path=$WORK/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$WORK/ubsan"
printf '[profile]\nping_sizes=0;64;1500;4096\nping_intervals=0.1;0.01\nflood_seconds=2\ndeadline_scale=300\n' \
	>"$WORK/light.conf"
$NICQ run --model virtio --vhost off --case ping --config "$WORK/light.conf" \
	--results "$WORK/res" \
	>"$WORK/run.tap" 2>"$WORK/run.err"
rc=$?
run=$(sed -n 's/^# nicq run //p' "$WORK/run.tap")
if [ "$rc" -eq 0 ]; then ok "sanitizer build: the point passes (exit 0)"
else bad "sanitizer build: exit $rc: $(tail -n 3 "$WORK/run.err")"; fi
if [ -n "$run" ] && tests/point-check.py "$run/virtio-vhost-off/ping/result.json" \
	--verdict pass && tests/validate-results.py "$run/" >/dev/null; then
	ok "sanitizer build: result.json says pass and validates"
else
	bad "sanitizer build: result.json ($run)"
fi
reports=$(ls "$WORK"/asan* "$WORK"/ubsan* 2>/dev/null)
if [ -z "$reports" ] && ! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$WORK/run.err"; then
	ok "sanitizer build: ASan and UBSan report nothing"
else
	bad "sanitizer build: sanitizer reports: $reports"
	cat $reports 2>/dev/null | head -n 60
	grep -A20 -E 'ERROR: AddressSanitizer|runtime error:' "$WORK/run.err" | head -n 60
fi
[ "$fail" -eq 0 ] && rm -rf "$WORK"
[ "$fail" -eq 0 ]
