#!/bin/bash
# Run commands at once, each with its output kept apart, then print each
# one's output in the order given, with its exit status and wall time.
# Exits 1 when any failed (all are waited for first).
#
#   tests/together.sh [--first-live] CMD...
#                                  each CMD is one shell command line;
#                                  --first-live: the first one's output
#                                  goes out as it comes (not again after)
#
# make check uses it where steps leave a core idle: the guest image build
# is mostly one process (unpacking, cpio), a fuzz target's replay and a
# sanitizer build's real point are one process each, so on two cores they
# overlap at little cost to each other.
set -u
live=0
[ "${1:-}" = --first-live ] && { live=1; shift; }
dir=$(mktemp -d /tmp/nicq-together.XXXXXX)
trap 'rm -rf "$dir"' EXIT
pids=()
i=0
for c in "$@"; do
	# the live one keeps this script's stdout as it is (reopening
	# /dev/stdout would truncate a log file and write over it)
	if [ $live = 1 ] && [ $i = 0 ]; then
		# its output is kept too, for the failures repeated at the end
		( s=$SECONDS; bash -c "$c" 2>&1 | tee "$dir/$i.out"
		  rc=${PIPESTATUS[0]}
		  echo "$rc $((SECONDS - s))" >"$dir/$i.rc" ) &
	else
		( s=$SECONDS; bash -c "$c" >"$dir/$i.out" 2>&1; rc=$?
		  echo "$rc $((SECONDS - s))" >"$dir/$i.rc" ) &
	fi
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
	if [ $live = 1 ] && [ $i = 0 ]; then
		echo "== $c (exit $rc, ${secs} s; its output above)"
	else
		echo "== $c (exit $rc, ${secs} s):"
		cat "$dir/$i.out"
	fi
	[ "$rc" = 0 ] || { fail=1; echo "== FAILED (exit $rc): $c"; }
	i=$((i + 1))
done
# a CI log shows its head and its tail: each failed command's own summary
# of failures ('# FAILED: ' lines, as tests/integration.sh prints them) or
# its last lines come again here, last
i=0
for c in "$@"; do
	read -r rc secs <"$dir/$i.rc" 2>/dev/null || rc=none
	if [ "$rc" != 0 ]; then
		echo "== why it failed: $c"
		if grep -q '^# FAILED: ' "$dir/$i.out"; then
			grep -A6 '^# FAILED: ' "$dir/$i.out" | grep -v '^--$' |
				tail -n 60
		else
			tail -n 20 "$dir/$i.out"
		fi
	fi
	i=$((i + 1))
done
exit $fail
