#!/bin/bash
# Integration tests: real guests in nicq's private lab.
#
#   1. bad input exits 2 with one line and starts nothing;
#   2. every case on all three models (quick profile) passes - e1000's
#      promisc is the known QEMU defect, reported as TODO with its
#      diagnosis - vhost=on cells skip with the reason, and TAP consumers
#      accept the output; one nicq per model, at once;
#   3. negative controls: faults make each case fail for real (not ok,
#      exit 1): ICMP loss (ping, bonding), dropped fragments (ping), an MTU
#      clamp (jumbo, multinic), a rewritten VLAN id (vlan), dropped
#      multicast frames (multicast), corrupted TCP payload (promisc,
#      transfer, offload, reload), UDP dropped after the capture (stress),
#      a wiped hibernation image (suspend), dropped TFTP requests (pxe);
#   4. SIGINT and SIGTERM in the middle of a run leave nothing behind,
#      also in the middle of pxe, reload and bonding;
#   5. leftovers are refused and removed by 'nicq cleanup'.
#
# Prints "integration: N passed, N failed" and exits non-zero on a failure.
set -u
cd "$(dirname "$0")/.."
NICQ=./nicq
WORK=$(mktemp -d /tmp/nicq-check.XXXXXX)
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { # check DESC CMD...
	local desc=$1; shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}

# Nothing of nicq's may be left: namespaces, lab dirs, daemons, guests.
no_leftovers() {
	local left=""
	left+=$(ip netns list 2>/dev/null | grep -E '^nicq-' || true)
	left+=$(ls /run/nicq 2>/dev/null | grep -v '^lock$' || true)
	left+=$(ps -eo pid,comm | grep -E 'qemu-system|libvirtd|virtlogd|dnsmasq' || true)
	left+=$(ip -br link | grep -E '^nq' || true)
	if [ -n "$left" ]; then
		echo "# left behind: $left"
		return 1
	fi
	return 0
}

# usage errors: exit 2, one line on stderr, nothing on stdout, no lab
usage_case() { # DESC ARGS...
	local desc=$1; shift
	local out err rc
	out=$($NICQ "$@" 2>"$WORK/err"); rc=$?
	err=$(cat "$WORK/err")
	if [ "$rc" -eq 2 ] && [ -z "$out" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] \
		&& no_leftovers; then
		ok "$desc: exit 2, '$err'"
	else
		bad "$desc: exit $rc, stdout '$out', stderr '$err'"
	fi
}

echo "# integration work dir $WORK"
check "no leftovers before the tests" no_leftovers

printf '[profile]\nping_count = oops\n' > "$WORK/bad.ini"
printf 'not a key file\n' > "$WORK/garbage.ini"
usage_case "unknown model" run --model bogus
usage_case "unknown case" run --case bogus
usage_case "bad URI" run --connect 'qemu:// bad uri'
usage_case "non-qemu URI" run --connect 'xen:///system'
usage_case "malformed config value" run --config "$WORK/bad.ini"
usage_case "malformed config file" run --config "$WORK/garbage.ini"
usage_case "missing config" run --config "$WORK/none.ini"
usage_case "missing guest image" run --image "$WORK/no-image"
usage_case "unknown profile" run --profile bogus
usage_case "bad fault" run --inject drop=0
usage_case "bad VLAN fault" run --inject vlan-rewrite=10:10
usage_case "results folder the lab cannot see" run --results /var/tmp/nicq-results

# Runs in the background: bg NAME ARGS... starts "nicq ARGS" with its TAP in
# $WORK/NAME.tap; bg_wait NAME... waits for them, their exit codes in
# $WORK/NAME.rc.  The machine has two cores and TCG guests are single
# threaded, so independent runs (each in its own private lab) go at once.
bg() {
	local name=$1; shift
	( $NICQ "$@" --results "$WORK/$name" >"$WORK/$name.tap" \
		2>"$WORK/$name.err"; echo $? >"$WORK/$name.rc" ) &
}
bg_wait() { wait; }
rc_of() { cat "$WORK/$1.rc" 2>/dev/null || echo none; }

# --- the matrix: every case on all three models, one nicq per model ---------
ALL="transfer ping jumbo promisc pxe vlan multicast offload reload suspend stress multinic bonding"
for m in rtl8139 e1000 virtio; do
	bg "matrix-$m" run --model "$m" --profile quick
done
bg_wait
for m in rtl8139 e1000 virtio; do
	t="$WORK/matrix-$m.tap"
	grep -vE '^ {6}' "$t"	# the YAML is in the results folder
	check "$m matrix exits 0 (got $(rc_of matrix-$m))" test "$(rc_of matrix-$m)" = 0
	check "every case passes on $m vhost=off" \
		grep -qE "^ok 1 - $m vhost=off$" "$t"
	check "$m vhost=on skips with the reason" \
		grep -qE "^ok 2 - $m vhost=on # SKIP vhost-net not available on this host$" "$t"
	for c in $ALL; do
		case "$m/$c" in
		e1000/promisc)
			# QEMU's e1000 starves receive under promisc toggling;
			# the case reports it only with its own diagnosis
			check "e1000 promisc: the known QEMU defect, diagnosed" \
				bash -c "grep -qE '^    not ok [0-9]+ - promisc # TODO QEMU e1000 holds off receive' '$t' &&
					grep -q 'ping_after_toggling: \"10 requests, 10 replies' '$t'" ;;
		rtl8139/multinic|e1000/multinic)
			check "$m multinic skips, saying why" \
				grep -qE '^    ok [0-9]+ - multinic # SKIP multinic runs once per vhost setting' "$t" ;;
		*)
			check "$m $c passes" grep -qE "^    ok [0-9]+ - $c$" "$t" ;;
		esac
	done
	run_dir=$(ls -d "$WORK/matrix-$m"/*/ | head -n 1)
	d="$run_dir/$m-vhost-off/ping"
	check "$m: pcap, console log, transcript, dmesg kept" \
		test -s "$(ls "$d"/capture-*.pcap | head -n 1)" -a -s "$d/console.log" \
		-a -s "$d/transcript.txt" -a -s "$d/dmesg.txt"
	check "$m: no swap disk or download left in the results" \
		test -z "$(find "$WORK/matrix-$m" -name disk.raw -o -name download.bin)"
	check "$m: tap-parser and TAP::Parser accept the TAP 14 output" \
		tests/tap-consumers.sh "$run_dir/run.tap" expect-pass
done
check "vlan keeps a capture per guest" \
	test "$(ls "$WORK"/matrix-e1000/*/e1000-vhost-off/vlan/capture-*.pcap | wc -l)" -eq 2
check "no leftovers after the matrix" no_leftovers

# --- negative controls: each breaks what its cases check --------------------
# (three groups of independent runs; the TAP 13 single-case run goes along)
not_ok() { # NAME CASE PATTERN: exit 1, CASE not ok, PATTERN in the TAP
	local t="$WORK/$1.tap"
	check "$1: exit 1 (got $(rc_of "$1"))" test "$(rc_of "$1")" = 1
	check "$1: $2 is not ok, '$3'" \
		bash -c "grep -qE '^    not ok [0-9]+ - $2\$' '$t' && grep -qE -- '$3' '$t'"
}
neg() { bg "$1" run --vhost off "${@:2}"; }
bg single run --model virtio --vhost off --case ping --tap-version 13
neg neg-drop --model virtio --case ping,bonding --inject drop=50
neg neg-frag --model virtio --case ping --inject drop-frag --tap-version 13
neg neg-mtu --model virtio --case jumbo,multinic --inject drop-over=1600
bg_wait
neg neg-vlan --model rtl8139 --case vlan --inject vlan-rewrite=10:30
neg neg-mc --model e1000 --case multicast --inject drop-mcast
neg neg-tcp --model virtio --case promisc,transfer --inject corrupt-tcp
neg neg-tftp --model e1000 --case pxe --inject drop-tftp
bg_wait
neg neg-tcp2 --model e1000 --case offload,reload --inject corrupt-tcp
neg neg-udp --model virtio --case stress --inject drop-udp=20
neg neg-s4 --model rtl8139 --case suspend --inject s4-fresh-boot
bg_wait

# one case, one model, TAP 13 for prove
check "single-case run exits 0 (got $(rc_of single))" test "$(rc_of single)" = 0
check "prove and tap-parser accept the TAP 13 output" \
	tests/tap-consumers.sh "$WORK/single.tap" expect-pass

not_ok neg-drop ping 'lost on the guest'
not_ok neg-drop bonding 'final pings after the flapping: '
check "ICMP dropped: tap-parser sees the failure" \
	tests/tap-consumers.sh "$WORK/neg-drop.tap" expect-fail
not_ok neg-frag ping '"ping size 65507 interval 0.1: .*loss 100%"'
check "dropped fragments: unfragmented 64-byte pings still pass" \
	grep -q '"ping size 64 interval 0.1: .*loss 0%"' "$WORK/neg-frag.tap"
check "dropped fragments: prove sees the failure" \
	tests/tap-consumers.sh "$WORK/neg-frag.tap" expect-fail
not_ok neg-mtu jumbo 'ping -M do -s [0-9]+: [0-9]+ of [0-9]+ replies on the wire'
not_ok neg-mtu multinic 'after the flood: [0-9]+ of [0-9]+ replies'
not_ok neg-vlan vlan 'with VID 30, expected 10'
not_ok neg-mc multicast 'joined IPv4 group 01:00:5e:c0:01:64: 0 of 4'
not_ok neg-tcp promisc 'checksums differ'
not_ok neg-tcp transfer 'checksums differ'
not_ok neg-tcp2 offload 'did not arrive intact|differ'
not_ok neg-tcp2 reload 'downloaded file differs'
not_ok neg-udp stress 'udp guest->host: the tap carried [0-9]* UDP payload bytes but the host'
not_ok neg-s4 suspend 'booted afresh instead of resuming'
check "image wiped: the token is gone too" \
	grep -q 'the token in /tmp is gone' "$WORK/neg-s4.tap"
not_ok neg-tftp pxe 'TFTP transfer of nicq.ipxe: 0 of [0-9]+ bytes'
check "no leftovers after the negative controls" no_leftovers

# --- interruption --------------------------------------------------------------
interrupt_case() { # SIGNAL MODEL CASE FILE WHEN-PATTERN
	local sig=$1 m=$2 c=$3 file=$4 when=$5 dir="$WORK/int-$1-$3" pid rc i
	setsid $NICQ run --model "$m" --vhost off --case "$c" --results "$dir" \
		>"$dir.tap" 2>"$dir.err" &
	pid=$!
	for i in $(seq 1 1200); do
		if grep -qs -- "$when" "$dir"/*/"$m"-vhost-off/"$c"/"$file" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	kill -"$sig" "$pid"
	wait "$pid"; rc=$?
	check "SIG$sig during $c ('$when'): exit 3 (got $rc)" test "$rc" -eq 3
	check "SIG$sig during $c: nothing left behind" no_leftovers
}
interrupt_case INT virtio ping console.log "NICQ-READY"
interrupt_case TERM virtio ping transcript.txt "ping"
# the disruptive cases' helpers: dnsmasq (pxe), the HTTP server and the
# driver loop (reload), the VLAN relay taps and link flapping (bonding)
interrupt_case INT e1000 pxe console.log "iPXE"
interrupt_case TERM rtl8139 reload transcript.txt "modprobe -r"
interrupt_case TERM virtio bonding transcript.txt "ip link set"

# --- leftovers are refused, then cleaned ---------------------------------------
ip netns add nicq-leftovertest
$NICQ run --model virtio --vhost off --case ping --results "$WORK/left" \
	>/dev/null 2>"$WORK/left.err"
rc=$?
check "refuses to start over leftovers (exit $rc)" \
	bash -c "[ $rc -eq 3 ] && grep -q 'nicq cleanup' '$WORK/left.err'"
$NICQ cleanup 2>"$WORK/cleanup.err"
check "nicq cleanup removes them" no_leftovers

echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$WORK"
[ "$fail" -eq 0 ]
