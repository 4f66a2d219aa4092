#!/bin/bash
# Run commands at once, each with its output kept apart, then print each
# one's output in the order given, with its exit status and wall time.
# Exits 1 when any failed (all are waited for first).
#
#   tests/together.sh CMD...       each CMD is one shell command line
#
# make check uses it where steps leave a core idle: the guest image build
# is mostly one process (unpacking, cpio), a fuzz target's replay and a
# sanitizer build's real point are one process each, so on two cores they
# overlap at little cost to each other.
set -u
dir=$(mktemp -d /tmp/nicq-together.XXXXXX)
trap 'rm -rf "$dir"' EXIT
pids=()
i=0
for c in "$@"; do
	( s=$SECONDS; bash -c "$c" >"$dir/$i.out" 2>&1; rc=$?
	  echo "$rc $((SECONDS - s))" >"$dir/$i.rc" ) &
	pids+=($!)
	echo "== $(date +%T) started: $c"
	i=$((i + 1))
done
# on a signal, end what was started here (by pid, each in its subshell)
trap 'kill "${pids[@]}" 2>/dev/null; exit 130' INT TERM
wait
fail=0
i=0
for c in "$@"; do
	read -r rc secs <"$dir/$i.rc" 2>/dev/null || { rc=none; secs=?; }
	echo "== $c (exit $rc, ${secs} s):"
	cat "$dir/$i.out"
	[ "$rc" = 0 ] || { fail=1; echo "== FAILED (exit $rc): $c"; }
	i=$((i + 1))
done
exit $fail
