#!/bin/sh
# tap-consumers.sh - check a TAP stream nicq wrote against the consumers a
# release gate may use: Debian 12's prove (Test::Harness 3.44) and node's
# tap-parser (pinned in tests/package.json; install with
# `npm ci --prefix tests`).
#
#   tests/tap-consumers.sh FILE.tap expect-pass|expect-fail
#   tests/tap-consumers.sh --fixtures      # every fixtures/tap/*.tap,
#                                          # pass-* expect-pass, others fail
#
# The expected counts come from the file's own lines (test points at every
# indentation level, "not ok" points (a "not ok ... # TODO" is a known
# failure, which TAP does not count), SKIPs, YAML blocks, a top-level
# Bail out!), so a parser that drops subtests or misreads a YAML block shows
# up as a mismatch.  Checks:
#   prove       "prove --exec cat FILE".  TAP version 13: exit 0 for
#               expect-pass, non-zero for expect-fail.  TAP version 14:
#               prove 3.44 refuses the version line ("we don't know about
#               versions later than 13") and fails every such file; that is
#               reported, not counted as a mismatch.  A prove that accepts
#               version 14 is held to the version 13 rules.
#   TAP::Parser (prove's parser, run directly) counts the top-level points,
#               the failures and the bail out, must report no parse errors
#               (other than the short plan a bail out leaves), and reads
#               every YAML block with its YAMLish reader.  A version 14 file
#               is read with its version line changed to 13, the only way
#               to get its YAML read by this parser.
#   tap-parser  ok true/false as expected, the counts at every level, no
#               line it cannot read, and every YAML block equal to
#               YAMLish's reading of it (tests/tap-parse.js).
# Prints one line per consumer and every mismatch; exits 0 when all agree,
# 1 on a mismatch, 2 on bad usage or a missing tool.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

die() {
	echo "tap-consumers: $*" >&2
	exit 2
}

if [ "${1:-}" = "--fixtures" ]; then
	[ $# -eq 1 ] || die "usage: $0 --fixtures"
	rc=0
	for f in "$root"/fixtures/tap/*.tap; do
		[ -e "$f" ] || die "no fixtures under fixtures/tap"
		case $(basename "$f") in
		pass-*) e="expect-pass" ;;
		*) e="expect-fail" ;;
		esac
		"$0" "$f" "$e" || rc=1
	done
	exit $rc
fi

[ $# -eq 2 ] || die "usage: $0 FILE.tap expect-pass|expect-fail"
file=$1
expect=$2
case $expect in
expect-pass) want_ok=true ;;
expect-fail) want_ok=false ;;
*) die "usage: $0 FILE.tap expect-pass|expect-fail" ;;
esac
[ -r "$file" ] || die "cannot read '$file'"
for tool in prove perl node; do
	command -v $tool >/dev/null 2>&1 || die "'$tool' not found (Debian: perl, nodejs)"
done
[ -f "$here/node_modules/tap-parser/package.json" ] ||
	die "tap-parser is not installed: run 'npm ci --prefix tests'"

tmp=$(mktemp -d) || die "cannot make a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

echo "== $file ($expect)"
mismatch=0
bad() {
	echo "  MISMATCH $*"
	mismatch=1
}

# What the file says, line by line.
version=$(sed -n '1s/^TAP version \([0-9][0-9]*\)$/\1/p' "$file")
[ -n "$version" ] || version=none
read -r top top_fail all all_fail all_skip all_todo yaml bail <<EOF
$(awk '
	/^(    )*(not )?ok( |$)/ { all++; if ($0 ~ /^(not )?ok( |$)/) top++ }
	/^(    )*not ok( |$)/ && / # TODO( |$)/ { all_todo++; next }
	/^(    )*not ok( |$)/ { all_fail++; if ($0 ~ /^not ok/) top_fail++ }
	/^(    )*ok( |$)/ && / # SKIP( |$)/ { all_skip++ }
	/^ *---$/ { yaml++ }
	/^Bail out!/ { bail = 1 }
	END { print top + 0, top_fail + 0, all + 0, all_fail + 0, all_skip + 0, all_todo + 0, yaml + 0, bail + 0 }
' "$file")
EOF
echo "file: TAP version $version, $top top-level points ($top_fail not ok), $all in all ($all_fail not ok, $all_skip skipped, $all_todo known failures marked TODO), $yaml YAML blocks$([ "$bail" = 1 ] && echo ', bails out')"
if [ "$want_ok" = true ] && { [ "$all_fail" -ne 0 ] || [ "$bail" -ne 0 ]; }; then
	bad "expect-pass, but the file has failures or a bail out"
fi
if [ "$want_ok" = false ] && [ "$top_fail" -eq 0 ] && [ "$bail" -eq 0 ]; then
	bad "expect-fail, but the file has no failed top-level point and no bail out"
fi

# prove, the way a gate runs it.
harness=$(prove --version 2>/dev/null | sed -n 's/^TAP::Harness v\([^ ]*\).*/\1/p')
prove --exec cat "$file" >"$tmp/prove.out" 2>&1
prove_rc=$?
if grep -q "we don't know about versions later than" "$tmp/prove.out"; then
	if [ "$version" -ge 14 ] 2>/dev/null; then
		echo "prove (Test::Harness $harness): rejects TAP version $version (exit $prove_rc), as expected (a gate using this prove needs TAP version 13)"
	else
		bad "prove rejected the version line of a TAP version $version file"
	fi
elif [ "$want_ok" = true ]; then
	if [ $prove_rc -eq 0 ] && grep -q '^Result: PASS' "$tmp/prove.out"; then
		echo "prove (Test::Harness $harness): PASS (exit 0), as expected"
	else
		bad "prove (Test::Harness $harness) exit $prove_rc, expected PASS:"
		sed 's/^/    /' "$tmp/prove.out"
	fi
else
	if [ $prove_rc -ne 0 ] && grep -q '^Result: FAIL' "$tmp/prove.out"; then
		echo "prove (Test::Harness $harness): FAIL (exit $prove_rc), as expected"
	else
		bad "prove (Test::Harness $harness) exit $prove_rc, expected FAIL:"
		sed 's/^/    /' "$tmp/prove.out"
	fi
fi

# TAP::Parser itself: counts, parse errors, and the YAML as YAMLish reads it.
perl -MTAP::Parser -MJSON::PP -e '
	use strict;
	use warnings;
	my ($file, $json) = @ARGV;
	open(my $fh, "<:raw", $file) or die "cannot open $file: $!\n";
	my @lines = <$fh>;
	close($fh);
	$lines[0] = "TAP version 13\n"
		if @lines && $lines[0] =~ /^TAP version 14\s*$/;
	my $p = TAP::Parser->new({ tap => join("", @lines) });
	my (@yaml, $bail, $died);
	eval {
		while (my $r = $p->next) {
			push @yaml, $r->data if $r->is_yaml;
			$bail = $r->explanation if $r->is_bailout;
		}
		1;
	} or $died = $@;
	my @failed = $p->failed;
	my @errors = grep { !(defined $bail && /^Bad plan/) } $p->parse_errors;
	push @errors, "died: $died" if defined $died;
	open(my $out, ">:raw", $json) or die "cannot write $json: $!\n";
	print $out JSON::PP->new->canonical->encode(\@yaml);
	close($out);
	print join(" ", $p->tests_run, scalar(@failed), scalar(@yaml),
		   defined $bail ? 1 : 0), "\n";
	print "$_\n" for @errors;
' "$file" "$tmp/perl-yaml.json" >"$tmp/perl.out" 2>&1
perl_rc=$?
read -r p_tests p_failed p_yaml p_bail <"$tmp/perl.out"
if [ $perl_rc -ne 0 ] || [ -z "${p_bail:-}" ]; then
	bad "TAP::Parser could not run:"
	sed 's/^/    /' "$tmp/perl.out"
	p_tests=x p_failed=x p_yaml=x p_bail=x
	rm -f "$tmp/perl-yaml.json"
else
	echo "TAP::Parser $harness: $p_tests top-level points ($p_failed not ok), $p_yaml YAML blocks read$([ "$p_bail" = 1 ] && echo ', bailed out')"
	sed 1d "$tmp/perl.out" | grep . | sed 's/^/  MISMATCH TAP::Parser parse error: /' | grep . && mismatch=1
	[ "$p_tests" = "$top" ] || bad "TAP::Parser ran $p_tests top-level points, the file has $top"
	[ "$p_failed" = "$top_fail" ] || bad "TAP::Parser failed $p_failed top-level points, the file has $top_fail"
	[ "$p_yaml" = "$yaml" ] || bad "TAP::Parser read $p_yaml YAML blocks, the file has $yaml"
	[ "$p_bail" = "$bail" ] || bad "TAP::Parser bail out $p_bail, the file $bail"
fi

# node's tap-parser.
set -- --expect-ok $want_ok --top "$top" --top-fail "$top_fail" \
	--points "$all" --fail "$all_fail" --skip "$all_skip" --yaml "$yaml" \
	--bail "$bail"
[ -f "$tmp/perl-yaml.json" ] && set -- "$@" --perl-yaml "$tmp/perl-yaml.json"
node "$here/tap-parse.js" "$file" "$@" || mismatch=1

if [ $mismatch -ne 0 ]; then
	echo "RESULT: $file: MISMATCH"
	exit 1
fi
echo "RESULT: $file: consumers agree ($expect)"
exit 0
