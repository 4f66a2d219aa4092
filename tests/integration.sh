#!/bin/bash
# Integration tests: real guests in nicq's private lab.
#
#   1. bad input (options, config, URI, a missing, empty, truncated or
#      foreign guest image) exits 2 with one line and starts nothing;
#      README's case table matches what the cases declare;
#   2. README's front door, typed as a newcomer types it: from the checkout
#      root, no --results;
#   3. every case on all three models (quick profile, one run, three points
#      at a time, guests restored from saved states) - e1000's promisc is
#      the known QEMU defect, reported as TODO with its diagnosis - vhost=on
#      cells skip with the reason; TAP consumers accept the output; points
#      restored from one saved state start alike (that a case's leftovers
#      never reach the next point: a one-slot run of its own, jumbo then
#      reload, in section 4's pool); a part of that matrix
#      run as --shard 1/2 and 2/2 alongside and joined with nicq merge
#      gives the matrix run's cells and verdicts, and merge refuses
#      shards that do not make one matrix (tests/shard-check.sh);
#   4. every negative control the cases declare (`nicq list controls`): the
#      point fails, with the declared expectation among its failures, read
#      from the point's own result.json; a capture made to lose frames (a
#      4 KiB buffer, NICQ_CAPTURE_BUFFER) fails as "capture incomplete";
#   5. the runner's own controls (started with section 4, which is mostly
#      idle at its end): a case that hangs is killed at its
#      deadline and the next case runs; a guest killed in a case fails that
#      case and the next case runs on a fresh guest; the lab's libvirtd
#      killed mid-run gives Bail out!, exit 3, no case blamed;
#   6. every result.json and TAP YAML block of those runs validates against
#      docs/result-schema.json and the two agree;
#   7. SIGINT and SIGTERM in the middle of a run leave nothing behind; a
#      second SIGINT past a hung libvirtd kills what the lab started
#      (tests/interrupt-hard.sh);
#   8. leftovers are refused and removed by 'nicq cleanup'; after SIGKILL
#      of nicq the refusal names each process and namespace left;
#   9. the run-level reports of every run above (passing, failing, known
#      defect, timed out, bailed out, interrupted): run.json and
#      results.json against docs/results-schema.json and the points,
#      junit.xml through python3-junitparser, node's junit2json and the
#      JUnit schema, report.html in headless Chromium (a screenshot of each
#      is kept in build/check/screenshots/), and the checks' own negative
#      controls; --junit FILE; a bailed run's statuses; a run on a terminal
#      shows progress on stderr and TAP unmixed, runs off a terminal none;
#      nicq compare and --baseline: two clean runs pass, a negative
#      control's run against a clean one regresses.
#
# Prints "integration: N passed, N failed" and exits non-zero on a failure.
set -u
cd "$(dirname "$0")/.."
NICQ=./nicq
WORK=$(mktemp -d /tmp/nicq-check.XXXXXX)
pass=0
fail=0
RUNS=()	# run folders whose results are validated at the end
REPORT_RUNS=()	# more run folders whose reports are checked (bailed out)

stamp() { printf '# [integration at %d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
FAILED=()	# the failed checks with what their command printed, repeated at the end
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; FAILED+=("$*"); }
check() { # check DESC CMD...
	local desc=$1 out rc; shift
	# what the command printed is kept (its last lines) for the summary of
	# failures at the end
	out=$("$@" 2>&1); rc=$?
	[ -n "$out" ] && printf '%s\n' "$out"
	if [ $rc -eq 0 ]; then ok "$desc"; else bad "$desc${out:+
$(grep -vE ' 0 problems$|validates$|: screenshot |^ok ' <<<"$out" |
	tail -n 6 | cut -c1-300 | sed 's/^/#   /')}"; fi
}

# Nothing of nicq's may be left: namespaces, lab dirs, daemons, guests.
no_leftovers() {
	local left=""
	left+=$(ip netns list 2>/dev/null | grep -E '^nicq-' || true)
	left+=$(ls /run/nicq 2>/dev/null | grep -v '^lock$' || true)
	left+=$(ps -eo pid,stat,comm | awk '$2 !~ /Z/' | grep -E 'qemu-system|libvirtd|virtlogd|dnsmasq' || true)
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

# --- 1. bad input ------------------------------------------------------------
stamp "1. bad input"
printf '[profile]\nping_count = oops\n' > "$WORK/bad.ini"
printf 'not a key file\n' > "$WORK/garbage.ini"
printf '[profile]\nno_such_key = 1\n' > "$WORK/unknown.ini"
img=build/guest
mkdir -p "$WORK/img-empty" "$WORK/img-trunc" "$WORK/img-foreign" "$WORK/img-initrd"
: > "$WORK/img-empty/vmlinuz"; cp "$img/initrd.img" "$WORK/img-empty/"
head -c 1000000 "$img/vmlinuz" > "$WORK/img-trunc/vmlinuz"; cp "$img/initrd.img" "$WORK/img-trunc/"
head -c 4000000 /dev/urandom > "$WORK/img-foreign/vmlinuz"; cp "$img/initrd.img" "$WORK/img-foreign/"
cp "$img/vmlinuz" "$WORK/img-initrd/"; head -c 3000000 "$img/initrd.img" > "$WORK/img-initrd/initrd.img"
usage_case "unknown model" run --model bogus
usage_case "unknown case" run --case bogus
usage_case "bad URI" run --connect 'qemu:// bad uri'
usage_case "non-qemu URI" run --connect 'xen:///system'
usage_case "malformed config value" run --config "$WORK/bad.ini"
usage_case "malformed config file" run --config "$WORK/garbage.ini"
usage_case "unknown config key" run --config "$WORK/unknown.ini"
usage_case "missing config" run --config "$WORK/none.ini"
usage_case "missing guest image" run --image "$WORK/no-image"
usage_case "empty guest kernel" run --image "$WORK/img-empty"
usage_case "truncated guest kernel" run --image "$WORK/img-trunc"
usage_case "guest kernel that is not a kernel" run --image "$WORK/img-foreign"
usage_case "truncated guest initramfs" run --image "$WORK/img-initrd"
usage_case "unknown profile" run --profile bogus
usage_case "bad fault" run --inject drop=0
usage_case "bad VLAN fault" run --inject vlan-rewrite=10:10
usage_case "VLAN faults that would chain on one tap" run --inject vlan-rewrite=10:20@1,vlan-rewrite=20:30@1
usage_case "hang fault for no case" run --inject hang=bogus
usage_case "results folder the lab cannot see" run --results /var/tmp/nicq-results
usage_case "--jobs past the eight address plans" run --jobs 9
usage_case "shard index 0" run --shard 0/2
usage_case "shard index past the count" run --shard 3/2
usage_case "shard that is not I/N" run --shard half
usage_case "merge without shards" merge "$WORK/merged-none"
usage_case "merge of a folder that is not a run" merge "$WORK/merged-none" "$WORK"
check "README's case table matches the cases' declarations" \
	tests/readme-cases.py README.md

# Runs in the background: bg NAME ARGS... starts "nicq ARGS" with its TAP in
# $WORK/NAME.tap and results under $WORK/NAME; bg_wait waits for them all,
# exit codes in $WORK/NAME.rc.  The machine has two cores and TCG guests are
# single threaded, so independent runs (each in its own lab) go at once.
bg() {
	local name=$1; shift
	( $NICQ "$@" --results "$WORK/$name" >"$WORK/$name.tap" \
		2>"$WORK/$name.err"; echo $? >"$WORK/$name.rc" ) &
}
bg_wait() { wait; }
rc_of() { cat "$WORK/$1.rc" 2>/dev/null || echo none; }
run_dir() { # NAME: its run folder; matrix: the one 'make run' made
	if [ "$1" = matrix ]; then echo "${MATRIX_RUN:-$WORK/no-matrix-run}/"; return; fi
	ls -d "$WORK/$1"/*/ 2>/dev/null | head -n 1
}
# point NAME MODEL CASE: the point's result.json in run NAME
point() { echo "$(run_dir "$1")$2-vhost-off/$3/result.json"; }

# --- 2 and 3. the front door and the matrix ----------------------------------
stamp "2 and 3. the front door and the matrix"
# README's two front doors exactly as a newcomer types them, from the
# checkout root, with the default results folder: 'make run' (the whole
# quick matrix as one run, as many points at once as the host allows) and
# the one-case command alongside it.
front_before=$(ls results 2>/dev/null | sort)
( $NICQ run --model virtio --vhost off --case ping >"$WORK/front.tap" \
	2>"$WORK/front.err"; echo $? >"$WORK/front.rc" ) &
ALL=$($NICQ list | awk '/^cases:/{c=1;next} /^cells:/{c=0} c && /^  [a-z]/{print $1}')
( make run >"$WORK/matrix.tap" 2>"$WORK/matrix.err"; echo $? >"$WORK/matrix.rc" ) &
bg_wait
# the two new folders under results/: the matrix's has every model's cells
front_run="" matrix_run=""
for f in $(comm -13 <(echo "$front_before") <(ls results | sort)); do
	if [ -d "results/$f/rtl8139-vhost-off" ]; then matrix_run=$f; else front_run=$f; fi
done
MATRIX_RUN=${matrix_run:+$PWD/results/$matrix_run}
check "front door: './nicq run --model virtio --vhost off --case ping' exits 0 (got $(rc_of front))" \
	test "$(rc_of front)" = 0
check "front door: its results are under results/ in the checkout" \
	test -n "$front_run" -a -f "results/$front_run/virtio-vhost-off/ping/result.json"
[ -n "$front_run" ] && check "front door: ping passes, from its own result" \
	tests/point-check.py "results/$front_run/virtio-vhost-off/ping/result.json" --verdict pass
[ -n "$front_run" ] && RUNS+=("results/$front_run")

t="$WORK/matrix.tap"
rd=$(run_dir matrix)
RUNS+=("$rd")
grep -vE '^ {6}' "$t"	# the YAML is in the results folder
check "make run exits 0 (got $(rc_of matrix))" test "$(rc_of matrix)" = 0
check "make run: its results are under results/ in the checkout" test -n "$matrix_run"
check "make run: as many points at once as the host allows, said in the TAP" \
	grep -qE '^# jobs: [0-9]+ \(from the host: ' "$t"
check "the matrix restored its guests from saved states" \
	grep -q '^# guests: booted once per shape, saved in .*, and restored' "$t"
for m in rtl8139 e1000 virtio; do
	check "$m vhost=off: every point passes, skips or is a known defect" \
		grep -qE "^ok [0-9]+ - $m vhost=off$" "$t"
	check "$m vhost=on skips with the reason" \
		grep -qE "^ok [0-9]+ - $m vhost=on # SKIP vhost-net not available on this host$" "$t"
	for c in $ALL; do
		r="${rd}$m-vhost-off/$c/result.json"
		case "$m/$c" in
		e1000/promisc)
			# QEMU's e1000 starves receive under promisc toggling;
			# the case reports it only with its own diagnosis
			check "e1000 promisc: the known QEMU defect, diagnosed" \
				tests/point-check.py "$r" --verdict known \
				--reason 'QEMU e1000 holds off receive' ;;
		rtl8139/multinic|e1000/multinic)
			check "$m multinic skips, saying why" \
				grep -qE '^    ok [0-9]+ - multinic # SKIP multinic runs once per vhost setting' "$t" ;;
		*)
			check "$m $c passes" tests/point-check.py "$r" --verdict pass ;;
		esac
	done
	d="${rd}$m-vhost-off/ping"
	# a restored guest's console holds only what it printed after the
	# restore, often nothing: kept, maybe empty
	check "$m: pcap, console log, transcript, dmesg, records kept" \
		test -s "$(ls "$d"/capture-*.pcap | head -n 1)" -a -f "$d/console.log" \
		-a -s "$d/transcript.txt" -a -s "$d/dmesg.txt" -a -s "$d/records.jsonl"
done
check "no swap disk, download or saved guest left in the results" \
	test -z "$(find "$rd" -name disk.raw -o -name download.bin -o -name '*.save')"
check "tap-parser and TAP::Parser accept the TAP 14 output" \
	tests/tap-consumers.sh "${rd}run.tap" expect-pass
check "guests restored from one saved state start alike" \
	tests/isolation-check.py --unproved-ok "$rd"
check "vlan keeps a capture per guest" \
	test "$(ls "$rd"e1000-vhost-off/vlan/capture-*.pcap | wc -l)" -eq 2
check "no leftovers after the matrix" no_leftovers
# The reports of the front door's and the matrix's run folders (the
# matrix's: 84 points, some 5000 links for Chromium to follow) are read
# now, beside the control runs, at nice 10 like make check's unit lane:
# the pool's guests keep their cores, its idle moments do the reading.
REPORTS_MATRIX=("${RUNS[@]}")
( nice -n 10 tests/report-check.sh --screenshots build/check/screenshots "${REPORTS_MATRIX[@]}" \
	>"$WORK/reports-matrix.out" 2>&1; echo $? >"$WORK/reports-matrix.rc" ) &
reports_matrix_pid=$!

# --- 4. every declared negative control ----------------------------------------
stamp "4. every declared negative control (the sanitizer point and section 5's runs in its tail)"
# One run per (model, fault) with all the cases that declare it; five at
# once.  Each point must fail with its declared expectation among the
# failures, in its own result.json.
$NICQ list controls > "$WORK/controls"
check "the cases declare negative controls" test -s "$WORK/controls"
awk -F'\t' '{ k = $2 "\t" $3; if (!((k, $1) in seen)) { seen[k, $1] = 1
		if (k in c) c[k] = c[k] "," $1; else c[k] = $1 } }
	END { for (k in c) print k "\t" c[k] }' "$WORK/controls" | sort > "$WORK/control-runs"
# The runner's first control, started here because it mostly waits (section
# 5 checks it): a case that hangs is killed at its deadline and the matrix
# goes on.  Its deadline is as short as the runner allows: the guest is
# restored from a kept state (a second), and 1 % of ping's own time.
printf '[profile]\ndeadline_scale = 1\nboot_timeout = 20\n' > "$WORK/short.ini"
bg hang run --model virtio --vhost off --jobs 1 --case ping,multicast --inject hang=ping \
	--config "$WORK/short.ini" --baseline "results/$front_run"
# The single-case TAP 13 run for prove, with --junit; a run on a terminal
# (script(1) gives it one, stdout and stderr both on it), for the progress
# line; and a capture that loses frames: short and light, they go first,
# beside the first controls.
bg single run --model virtio --vhost off --case ping --tap-version 13 --jobs 1 \
	--junit "$WORK/single-junit.xml" --baseline "results/$front_run"
( TERM=xterm script -qfec "$NICQ run --model virtio --vhost off --case multicast --jobs 1 \
	--results '$WORK/tty'" "$WORK/tty.typescript" >/dev/null 2>&1
	echo $? >"$WORK/tty.rc" ) &
# a capture that loses frames (the test hook: a 4 KiB capture buffer, which
# the transfer overflows) fails its point as "capture incomplete", and the
# TCP ledger's tap count then falls short of what the receiver read
( NICQ_CAPTURE_BUFFER=4096 $NICQ run --model virtio --vhost off --case transfer --jobs 1 \
	--results "$WORK/capsmall" >"$WORK/capsmall.tap" 2>"$WORK/capsmall.err"
	echo $? >"$WORK/capsmall.rc" ) &
# lab_of NAME: the private lab's namespace of a running nicq (from its TAP)
lab_of() { sed -n 's/^# lab: private, namespace \(nicq-[a-z0-9]*\)$/\1/p' "$WORK/$1.tap"; }
# pid_in_lab NAME COMM: the pid of COMM in that run's lab
pid_in_lab() {
	local ns p
	ns=$(lab_of "$1")
	[ -n "$ns" ] || return 1
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
	done
	return 1
}
# wait_for NAME CASE FILE PATTERN: until the point's file shows PATTERN
wait_for() {
	local i
	for i in $(seq 1 1800); do
		grep -qs -- "$4" "$WORK/$1"/*/virtio-vhost-off/"$2"/"$3" && return 0
		sleep 0.1
	done
	return 1
}
# kill_when NAME CASE FILE PATTERN COMM: in the background, once the run's
# point shows PATTERN, SIGKILL the process COMM in its lab; its PID (or
# nothing) in NAME.killed
kill_when() {
	( local p=""
	if wait_for "$1" "$2" "$3" "$4"; then
		sleep 1
		p=$(pid_in_lab "$1" "$5")
		[ -n "$p" ] && kill -KILL "$p"
	fi
	echo "$p" >"$WORK/$1.killed" ) &
}
# Section 5's interruptions, in the pool's tail (they mostly wait), each in
# its own lab; each is checked for what its own lab left (namespace,
# /run/nicq folder, links, the processes that were in its namespace when
# the signal came), then the host as a whole.
interrupt_start() { # SIGNAL MODEL CASE FILE WHEN-PATTERN
	local sig=$1 m=$2 c=$3 file=$4 when=$5 dir="$WORK/int-$1-$3"
	(
		setsid $NICQ run --model "$m" --vhost off --case "$c" --results "$dir" \
			>"$dir.tap" 2>"$dir.err" &
		pid=$!
		for i in $(seq 1 1800); do
			grep -qs -- "$when" "$dir"/*/"$m"-vhost-off/"$c"/"$file" && break
			sleep 0.1
		done
		ns=$(sed -n 's/^# lab: private, namespace \(nicq-[a-z0-9]*\)$/\1/p' "$dir.tap")
		echo "$ns" $([ -n "$ns" ] && ip netns pids "$ns" 2>/dev/null) >"$dir.lab"
		kill -"$sig" "$pid"
		wait "$pid"
		echo $? >"$dir.rc"
	) &
}
# section 5's shards: a part of the matrix split in two, as two hosts would
# run it
SHARD_OPTS="--model virtio,e1000 --vhost off --case ping,multicast --jobs 1"
# Then five control runs at a time, a new one as soon as one ends (at four
# the 2 cores were a third idle in CI-like run ci-27: every control run
# restores its guests, and many wait on time-outs of lost traffic); the
# runs with the longest cases first, so that no long run is left alone at
# the end.
i=0
ctl_pids=()
ctl_running() { # how many of the control runs still run
	local n=0 p
	for p in "${ctl_pids[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
	echo "$n"
}
while IFS=$'\t' read -r model fault cases; do
	while [ "$(ctl_running)" -ge 5 ]; do wait -n; done
	case $model in
	@shard1|@shard2)	# section 5's shards
		bg "${model#@}" run $SHARD_OPTS --shard "${model#@shard}/2"
		ctl_pids+=($!) ;;
	@guestkill)	# section 5's guest killed in the middle of a case
		bg guestkill run --model virtio --vhost off --jobs 1 --case multicast,ping
		ctl_pids+=($!)
		kill_when guestkill multicast transcript.txt "=== #2 " qemu-system-x86 ;;
	@isolation)	# section 5's: jumbo leaves its guest changed, reload
			# restores the same state in the same slot after it
		bg isolation run --model virtio --vhost off --jobs 1 --case jumbo,reload
		ctl_pids+=($!) ;;
	# section 5's interruptions: SIGINT while its guest starts (booted,
	# or restored from a kept state: no NICQ-READY then); the disruptive
	# cases' helpers: dnsmasq (pxe), the HTTP server and the driver loop
	# (reload), the VLAN relay taps and link flapping (bonding)
	@int1)	interrupt_start INT virtio ping records.jsonl "guest 0"
		ctl_pids+=($!) ;;
	@int2)	interrupt_start TERM virtio ping transcript.txt "ping"
		ctl_pids+=($!) ;;
	@int3)	interrupt_start INT e1000 pxe console.log "iPXE"
		ctl_pids+=($!) ;;
	@int4)	interrupt_start TERM rtl8139 reload transcript.txt "modprobe -r"
		ctl_pids+=($!) ;;
	@int5)	interrupt_start TERM virtio bonding transcript.txt "ip link set"
		ctl_pids+=($!) ;;
	@san)	# the sanitizer build's real point (tests/san-run.sh), when
		# make check names that build
		( tests/san-run.sh "$NICQ_SAN" >"$WORK/san.out" 2>&1
		  echo $? >"$WORK/san.rc" ) &
		ctl_pids+=($!) ;;
	@labkill)	# section 5's lab killed in the middle of a run
		bg labkill run --model virtio --vhost off --jobs 1 --case ping,multicast
		ctl_pids+=($!)
		kill_when labkill ping transcript.txt "ping" libvirtd ;;
	*)
		i=$((i + 1))
		bg "ctl-$i" run --model "$model" --vhost off --jobs 1 --case "$cases" --inject "$fault"
		ctl_pids+=($!)
		echo "ctl-$i $model $fault" >> "$WORK/control-names" ;;
	esac
done < <(awk -F'\t' '{ w = 0; n = split($3, c, ",")
		# the wall time a case takes under its control here (a control
		# that loses traffic waits on time-outs): stress and promisc
		# about 2.5 minutes, suspend, ping and bonding (its silent-failure
		# phases) 1.5 to 2, the rest 1 or less
		for (j = 1; j <= n; j++) {
			if (c[j] ~ /^(stress|promisc)$/) w += 5
			else if (c[j] ~ /^(suspend|ping|bonding|lacp)$/) w += 4
			else if (c[j] ~ /^(transfer|jumbo|reload|vlan)$/) w += 2
			else w += 1
		}
		print w "\t" $0 }' "$WORK/control-runs" | sort -t$'\t' -k1,1nr -k2 | cut -f2-
	# then the sanitizer build's point and section 5's runs that check the
	# runner itself, light, in the pool's tail, five at a time like the
	# rest (nine runs starting at once on 2 cores starved their guests:
	# CI, stop 14)
	[ -n "${NICQ_SAN:-}" ] && echo @san
	printf '%s\n' @guestkill @labkill @int1 @int2 @int3 @int4 @int5 \
		@isolation @shard1 @shard2)
# every run of the pool and the ones beside it (not the matrix's reports)
for p in $(jobs -p); do [ "$p" = "$reports_matrix_pid" ] || wait "$p"; done
# A control run whose case met an error (its instrument, or its guest's
# NIC going silent under it: seen once, ci stop 16, a virtio guest that
# stopped sending in a UDP stream of stress's udp-blackhole control)
# never reached the property it breaks.  When its own check would fail
# for that, it runs once more, alone, and says so; the first run is kept
# as NAME-first.  A control that errs twice fails as before.
control_errored() { # RESULT.json: the case recorded an error (not an expectation)
	/usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if any(": expected" not in f for f in r.get("failures", [])) else 1)' "$1" 2>/dev/null
}
while read -r name model fault; do
	again=
	while IFS=$'\t' read -r c m f breaks; do
		[ "$m" = "$model" ] && [ "$f" = "$fault" ] || continue
		tests/point-check.py "$(point "$name" "$model" "$c")" --verdict fail \
			--failed "$breaks" >/dev/null 2>&1 && continue
		control_errored "$(point "$name" "$model" "$c")" && again=$c
	done < "$WORK/controls"
	[ -n "$again" ] || continue
	cases=$(awk -F'\t' -v m="$model" -v f="$fault" '$1 == m && $2 == f {print $3}' "$WORK/control-runs")
	echo "# $name ($model --inject $fault): $again recorded an error, the run goes once more:"
	/usr/bin/python3 -c 'import json, sys
for f in json.load(open(sys.argv[1])).get("failures", [])[:4]: print("#   " + f[:300])' \
		"$(point "$name" "$model" "$again")"
	rm -rf "$WORK/$name-first" && mv "$WORK/$name" "$WORK/$name-first"
	bg "$name" run --model "$model" --vhost off --jobs 1 --case "$cases" --inject "$fault" </dev/null
	wait $!
done < "$WORK/control-names"
while read -r name model fault; do
	RUNS+=("$(run_dir "$name")")
	check "$fault on $model: exit 1 (got $(rc_of "$name"))" test "$(rc_of "$name")" = 1
done < "$WORK/control-names"
while IFS=$'\t' read -r c model fault breaks; do
	name=$(awk -v m="$model" -v f="$fault" '$2 == m && $3 == f {print $1}' "$WORK/control-names")
	check "control $c --inject $fault ($model): not ok for '$breaks'" \
		tests/point-check.py "$(point "$name" "$model" "$c")" --verdict fail --failed "$breaks"
done < "$WORK/controls"
check "a capture that lost frames: exit 1 (got $(rc_of capsmall))" test "$(rc_of capsmall)" = 1
check "a capture that lost frames: transfer not ok for 'capture incomplete'" \
	tests/point-check.py "$(point capsmall virtio transfer)" --verdict fail \
	--failed "capture of virtio NIC 0: capture incomplete*"
check "a capture that lost frames: transfer's TCP ledger, the tap short of what the receiver read" \
	tests/point-check.py "$(point capsmall virtio transfer)" --verdict fail \
	--failed "* -> *: unique payload bytes on the tap, exactly what the receiver read*"
RUNS+=("$(run_dir capsmall)")
check "a failing run: tap-parser and TAP::Parser see the failure" \
	tests/tap-consumers.sh "$(run_dir ctl-1)run.tap" expect-fail
check "single-case run exits 0 (got $(rc_of single))" test "$(rc_of single)" = 0
check "--junit FILE: the run folder's junit.xml, written there too" \
	cmp "$WORK/single-junit.xml" "$(run_dir single)junit.xml"
check "--baseline (the front door's run): no regression, said in compare.txt" \
	grep -q '^result: no regression$' "$(run_dir single)compare.txt"
# nicq compare: two clean runs of a point pass; a negative control's run
# against a clean one is a regression
$NICQ compare "results/$front_run" "$(run_dir single)" >"$WORK/compare-clean.txt"
rc=$?
check "nicq compare on two clean runs: exit 0 (got $rc)" test $rc -eq 0
ctl_ping=$(awk '$2 == "virtio" && $3 == "drop=20" {print $1}' "$WORK/control-names")
$NICQ compare "$(run_dir single)" "$(run_dir "$ctl_ping")" >"$WORK/compare-ctl.txt"
rc=$?
check "saved states outlive their run: the drop=20 control restored the state README's one-case run saved" \
	/usr/bin/python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
sys.exit(0 if [g.get("state") for g in r["guests"]] == ["cached"] else 1)' \
	"$(point "$ctl_ping" virtio ping)"
check "nicq compare flags the drop=20 run against a clean one: exit 1 (got $rc)" \
	test $rc -eq 1
check "nicq compare names the regression: a new failure of virtio ping" \
	grep -qE '^  NEW FAILURE +virtio vhost=off ping: pass -> fail' "$WORK/compare-ctl.txt"
sed 's/^/# /' "$WORK/compare-ctl.txt" | head -n 12
check "a run on a terminal exits 0 (got $(rc_of tty))" test "$(rc_of tty)" = 0
check "on a terminal: progress on stderr, TAP on stdout unmixed" \
	tests/tty-check.py "$WORK/tty.typescript" "$(run_dir tty)"
REPORT_RUNS+=("$(run_dir tty)")
check "prove and tap-parser accept the TAP 13 output" \
	tests/tap-consumers.sh "$WORK/single.tap" expect-pass
RUNS+=("$(run_dir single)")
check "no leftovers after the negative controls" no_leftovers

# --- 5. the runner's own controls ------------------------------------------------
stamp "5. the runner's own controls and the interruptions"
# The reports of the run folders made so far are read now, beside the
# checks below and the hard ways out (which mostly wait); the rest after
# section 6.
REPORTS_EARLY=()
for r in "${RUNS[@]}" "${REPORT_RUNS[@]}"; do
	case " ${REPORTS_MATRIX[*]} " in *" $r "*) ;; *) REPORTS_EARLY+=("$r") ;; esac
done
( tests/report-check.sh --screenshots build/check/screenshots "${REPORTS_EARLY[@]}" \
	>"$WORK/reports-early.out" 2>&1; echo $? >"$WORK/reports-early.rc" ) &
reports_early_pid=$!
# lab_gone NS PID...: nothing of that lab is left (zombies count as gone)
lab_gone() {
	local ns=$1 id left="" p st; shift
	[ -n "$ns" ] || { echo "# no lab named in the TAP"; return 1; }
	id=${ns#nicq-}
	ip netns list | grep -qE "^$ns( |\$)" && left+=" namespace $ns"
	[ -e "/run/nicq/$id" ] && left+=" /run/nicq/$id"
	left+=$(ip -br link | awk -v p="nq$id" 'index($1, p) == 1 {printf " link %s", $1}')
	for p in "$@"; do
		st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || continue
		[ "$st" = Z ] || left+=" pid $p ($(cat "/proc/$p/comm" 2>/dev/null))"
	done
	[ -z "$left" ] && return 0
	echo "# left behind by $ns:$left"
	return 1
}
interrupt_check() { # SIGNAL CASE WHEN-PATTERN
	local dir="$WORK/int-$1-$2" rc
	rc=$(cat "$dir.rc" 2>/dev/null || echo none)
	check "SIG$1 during $2 ('$3'): exit 3 (got $rc)" test "$rc" = 3
	check "SIG$1 during $2: Bail out! says interrupted" \
		grep -qE '^Bail out! interrupted by signal' "$dir.tap"
	check "SIG$1 during $2: nothing of its lab left behind" lab_gone $(cat "$dir.lab")
}
# run in section 4's pool: the sanitizer build's point (san-run.sh's own
# checks, its output here), the interruptions, a guest killed in the
# middle of a case (that case fails, the next passes), the lab's libvirtd
# killed in the middle of a run (Bail out!, exit 3), and the matrix in two
# shards (merged, they must give the matrix run's cells and verdicts for
# those points)
if [ -n "${NICQ_SAN:-}" ]; then
	sed 's/^/# san-run: /' "$WORK/san.out"
	check "the sanitizer build's real point (tests/san-run.sh $NICQ_SAN): exit 0 (got $(rc_of san))" \
		test "$(rc_of san)" = 0
else
	echo "# the sanitizer build's point not run: NICQ_SAN names no build (make check sets it)"
fi
gk=$(cat "$WORK/guestkill.killed" 2>/dev/null)
lk=$(cat "$WORK/labkill.killed" 2>/dev/null)
RUNS+=("$(run_dir hang)" "$(run_dir guestkill)" "$(run_dir isolation)")
check "isolation run (virtio jumbo, reload; one slot): exit 0 (got $(rc_of isolation))" \
	test "$(rc_of isolation)" = 0
check "a case's leftovers never reach the next point: jumbo changed its guest, reload restored the same state clean" \
	tests/isolation-check.py "$(run_dir isolation)"
check "hang: exit 1 (got $(rc_of hang))" test "$(rc_of hang)" = 1
check "hang: the hung case is not ok, timed out while in the case" \
	tests/point-check.py "$(point hang virtio ping)" --verdict fail
check "hang: its failure says 'timed out after N s while case'" \
	grep -qE '"timed out after [0-9]+ s while case"' "$(point hang virtio ping)"
check "hang: the next case ran and passed" \
	tests/point-check.py "$(point hang virtio multicast)" --verdict pass
check "hang: --baseline records the regression (compare.txt, run.json)" \
	bash -c "grep -q '^  NEW FAILURE .*virtio vhost=off ping' '$(run_dir hang)compare.txt' &&
		grep -q '\"regressed\" : true' '$(run_dir hang)run.json'"
check "guest killed: found and killed its QEMU (pid ${gk:-none})" test -n "$gk"
check "guest killed: exit 1 (got $(rc_of guestkill))" test "$(rc_of guestkill)" = 1
check "guest killed: that case is not ok" \
	tests/point-check.py "$(point guestkill virtio multicast)" --verdict fail
check "guest killed: the next case passes on a fresh guest" \
	tests/point-check.py "$(point guestkill virtio ping)" --verdict pass
check "lab killed: found and killed its libvirtd (pid ${lk:-none})" test -n "$lk"
check "lab killed: exit 3 (got $(rc_of labkill))" test "$(rc_of labkill)" = 3
check "lab killed: Bail out! naming the lab" \
	grep -qE '^Bail out! lab failed: .*libvirtd' "$WORK/labkill.tap"
check "lab killed: no case is blamed (no not ok point)" \
	bash -c "! grep -qE '^ *not ok' '$WORK/labkill.tap'"
for i in 1 2; do
	check "shard $i/2 exits 0 (got $(rc_of shard$i))" test "$(rc_of shard$i)" = 0
done
check "shard 1/2 ran e1000 and shard 2/2 virtio (blocks balanced by deadline)" \
	test -d "$(run_dir shard1)e1000-vhost-off/ping" -a ! -e "$(run_dir shard1)virtio-vhost-off" \
	-a -d "$(run_dir shard2)virtio-vhost-off/ping" -a ! -e "$(run_dir shard2)e1000-vhost-off"
check "nicq merge of the shards = the matrix run's cells and verdicts; its refusals" \
	tests/shard-check.sh "$NICQ" "$WORK/shards" "$(run_dir matrix)" "$(run_dir shard1)" "$(run_dir shard2)"
check "a shard's run.json and results.json validate and agree with its points" \
	tests/validate-report.py "$(run_dir shard1)"
RUNS+=("$WORK/shards/merged/")	# its reports are checked with the others
interrupt_check INT ping "guest 0"
interrupt_check TERM ping "ping"
interrupt_check INT pxe "iPXE"
interrupt_check TERM reload "modprobe -r"
interrupt_check TERM bonding "ip link set"
check "no leftovers after the runner's controls and the interruptions" no_leftovers

# --- 6. the results against the schema --------------------------------------------
stamp "6. the results against the schema"
check "every result.json and TAP YAML block validates against the schema" \
	tests/validate-results.py "${RUNS[@]}"

# --- 9 (started here). the run-level reports ------------------------------------
# Every run folder is final now (the hard ways out below make none), so the
# report checks (Chromium, junit readers: CPU) go alongside sections 7 and 8,
# which mostly wait on signals and daemons; their result is taken in 9.
lk=$(run_dir labkill)
REPORT_RUNS+=("$lk" $(ls -d "$WORK"/int-*/*/ | head -n 2))
REPORTS_LATE=()
for r in "${RUNS[@]}" "${REPORT_RUNS[@]}"; do
	case " ${REPORTS_MATRIX[*]} ${REPORTS_EARLY[*]} " in *" $r "*) ;; *) REPORTS_LATE+=("$r") ;; esac
done
( tests/report-check.sh --screenshots build/check/screenshots "${REPORTS_LATE[@]}" \
	>"$WORK/reports.out" 2>&1; echo $? >"$WORK/reports.rc" ) &
reports_pid=$!

# --- 7. the hard ways out ----------------------------------------------------------
stamp "7. the hard ways out"
# a hung libvirtd: one SIGINT cannot finish, a second kills what the lab
# started; and SIGKILL of nicq: the next run names what is left (item 8).
# Alone: its 'nicq cleanup' would take other runs' labs.
check "a second SIGINT kills the lab past a hung libvirtd; after SIGKILL the next run names the leftovers" \
	tests/interrupt-hard.sh second sigkill

# --- 8. leftovers are refused, then cleaned --------------------------------------
stamp "8. leftovers are refused, then cleaned"
ip netns add nicq-leftovertest
$NICQ run --model virtio --vhost off --case ping --results "$WORK/left" \
	>/dev/null 2>"$WORK/left.err"
rc=$?
check "refuses to start over leftovers (exit $rc)" \
	bash -c "[ $rc -eq 3 ] && grep -q 'nicq cleanup' '$WORK/left.err'"
$NICQ cleanup 2>"$WORK/cleanup.err"
check "nicq cleanup removes them" no_leftovers

# --- 9. the run-level reports ----------------------------------------------------
# status_is RUN CELL-FOLDER/CASE STATUS: the point's status in results.json
status_is() {
	/usr/bin/python3 - "$1/results.json" "$2" "$3" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
pts = {f"{c['slug']}/{p['case']}": p for c in r["cells"] for p in c["points"]}
p = pts.get(sys.argv[2])
print(f"# {sys.argv[2]}: {p and p['status']}: {p and p['reason']}")
sys.exit(0 if p and p["status"] == sys.argv[3] else 1)
EOF
}
summary_is() { # RUN STATUS
	/usr/bin/python3 -c 'import json, sys
s = json.load(open(sys.argv[1] + "/results.json"))["summary"]
print("# summary:", s["status"], s["bail_out"])
sys.exit(0 if s["status"] == sys.argv[2] else 1)' "$1" "$2"
}
# --connect against a libvirtd nicq did not start (tests/connect-check.sh),
# alongside the report checks: not before, as the leftover checks above
# would see its daemons and 'nicq cleanup' would take its labs
( tests/connect-check.sh "$NICQ" >"$WORK/connect.out" 2>&1; echo $? >"$WORK/connect.rc" ) &
connect_pid=$!
check "lab killed: results.json says bailed" summary_is "$lk" bailed
check "lab killed: the point it bailed in is interrupted, not failed" \
	status_is "$lk" virtio-vhost-off/ping interrupted
check "lab killed: the point after it is not run" \
	status_is "$lk" virtio-vhost-off/multicast not_run
check "e1000 promisc is a known defect in results.json" \
	status_is "$(run_dir matrix)" e1000-vhost-off/promisc known
check "vhost=on points are skipped before they run, with the reason" \
	status_is "$(run_dir matrix)" virtio-vhost-on/ping skip
no_progress() {
	! grep -qE 'nicq \[[0-9]+' "$WORK"/matrix.err "$WORK"/ctl-*.err &&
		! grep -q $'\x1b' "$WORK"/matrix.err "$WORK"/ctl-*.err
}
check "no progress line off a terminal" no_progress
check "the report checks fail on broken reports (their negative controls)" \
	tests/report-check.sh --self-test "$(run_dir single)"
# all run folders in one go, started after section 6 (each reader started
# once; two Chromiums at a time); a failure names its folder
wait "$reports_matrix_pid" "$reports_early_pid" "$reports_pid"
bg_result() { cat "$WORK/$1.out"; return "$(cat "$WORK/$1.rc" 2>/dev/null || echo 1)"; }
check "reports of the front door's and the matrix's run folders: results.json, junit.xml, report.html" \
	bg_result reports-matrix
check "reports of the control pool's ${#REPORTS_EARLY[@]} run folders: results.json, junit.xml, report.html" \
	bg_result reports-early
check "reports of the other ${#REPORTS_LATE[@]} run folders: results.json, junit.xml, report.html" \
	bg_result reports
wait "$connect_pid"
check "--connect against an independent libvirtd (tests/connect-check.sh)" \
	bg_result connect
check "no leftovers after --connect" no_leftovers

[ -n "${front_run:-}" ] && rm -rf "results/$front_run"
[ "$fail" -eq 0 ] && [ -n "${matrix_run:-}" ] && rm -rf "results/$matrix_run"
# the failures again, last, where a CI log's tail shows them
stamp "done"
for f in "${FAILED[@]}"; do echo "# FAILED: $f"; done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$WORK"
[ "$fail" -eq 0 ]
