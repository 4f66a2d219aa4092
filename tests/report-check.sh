#!/bin/bash
# report-check.sh - check the run-level reports of run folders with readers
# nicq did not write.
#
#   tests/report-check.sh [--screenshots DIR] RUN_DIR...
#   tests/report-check.sh --self-test RUN_DIR
#
# For each run folder:
#   results.json  validates against docs/results-schema.json, run.json
#                 against its run definition, and both agree with the
#                 points' result.json files and run.tap
#                 (tests/validate-report.py);
#   junit.xml     read by Debian's python3-junitparser
#                 (tests/junit-check.py) and node's junit2json
#                 (tests/junit-read.mjs), both checked against
#                 results.json; and valid against the Ant/Jenkins JUnit
#                 format (tests/junit.xsd) by xmllint;
#   report.html   opened in headless Chromium, its DOM checked (every point,
#                 every link, nothing fetched) and, with --screenshots, a
#                 screenshot kept (tests/html-check.py).
#
# --self-test RUN_DIR: the checks' own negative controls.  A copy of the
# folder is broken in one way at a time (a status changed in results.json,
# a failure dropped from junit.xml, an attribute JUnit has not, a point's
# section removed from report.html, a link to a file that is not there or
# out of the folder, a script fetched, the page's own script gone) and the
# check that guards it must then fail.
#
# Prints one line per check; exits 0 when all pass, 1 otherwise, 2 on bad
# usage or a missing tool.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

die() { echo "report-check: $*" >&2; exit 2; }
for t in xmllint node chromium "$py"; do
	command -v "$t" >/dev/null 2>&1 || die "'$t' not found (Debian: libxml2-utils, nodejs, chromium, python3)"
done
"$py" -c 'import junitparser, jsonschema, yaml' 2>/dev/null ||
	die "python3-junitparser, python3-jsonschema or python3-yaml missing"
[ -f "$here/node_modules/junit2json/package.json" ] ||
	die "junit2json is not installed: run 'npm ci --prefix tests'"

shots=()
if [ "${1:-}" = --screenshots ]; then
	[ $# -ge 2 ] || die "usage: $0 [--screenshots DIR] RUN_DIR..."
	shots=(--screenshots "$2")
	shift 2
fi

check_all() { # RUN_DIR...: every check, quiet about which failed
	local rc=0
	"$py" "$here/validate-report.py" "$@" || rc=1
	"$py" "$here/junit-check.py" "$@" || rc=1
	node "$here/junit-read.mjs" "$@" || rc=1
	for d in "$@"; do
		xmllint --noout --schema "$here/junit.xsd" "$d/junit.xml" \
			2>&1 | sed 's/^/xmllint (junit.xsd): /' || true
		xmllint --noout --schema "$here/junit.xsd" "$d/junit.xml" \
			2>/dev/null || rc=1
	done
	"$py" "$here/html-check.py" "${shots[@]}" "$@" || rc=1
	return $rc
}

if [ "${1:-}" != --self-test ]; then
	[ $# -ge 1 ] || die "usage: $0 [--screenshots DIR] RUN_DIR..."
	check_all "$@"
	exit $?
fi

# ---- the checks' negative controls -----------------------------------------
[ $# -eq 2 ] || die "usage: $0 --self-test RUN_DIR"
src=$2
[ -f "$src/results.json" ] || die "no results.json in '$src'"
tmp=$(mktemp -d /tmp/nicq-report-selftest.XXXXXX) || die "no temporary folder"
trap 'rm -rf "$tmp"' EXIT
fail=0
# broken NAME CHECK-CMD... : CHECK on a copy broken by the function NAME
# must fail
broken() {
	local name=$1; shift
	rm -rf "$tmp/run"
	cp -a "$src" "$tmp/run"
	if ! "break_$name" "$tmp/run"; then
		echo "not ok - self-test $name: could not break the copy"
		fail=1
		return
	fi
	if "$@" "$tmp/run" >"$tmp/out" 2>&1; then
		echo "not ok - self-test $name: the check passed a broken report"
		sed 's/^/    /' "$tmp/out"
		fail=1
	else
		echo "ok - self-test $name: $(grep -m1 -E '^  |error|fails' "$tmp/out" | sed 's/^ *//' | cut -c1-150)"
	fi
}
# a status that is not the point's verdict
break_status() {
	"$py" - "$1/results.json" <<'EOF'
import json, sys
p = sys.argv[1]
r = json.load(open(p))
for c in r["cells"]:
    for pt in c["points"]:
        if pt["result"] and pt["status"] == "pass":
            pt["status"] = "fail"
            json.dump(r, open(p, "w"))
            sys.exit(0)
sys.exit(1)
EOF
}
# a point's outcome element dropped (or a pass made a failure)
break_junit_outcome() {
	"$py" - "$1/junit.xml" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
n = re.sub(r'(<testcase [^>]*>)(\s*<system-out>)',
           r'\1<failure message="x" type="nicq.fail">x</failure>\2', s, count=1)
if n == s:
    sys.exit(1)
open(p, "w", encoding="utf-8").write(n)
EOF
}
# an attribute the JUnit format does not have
break_junit_attr() {
	sed -i '0,/<testcase /s//<testcase verdict="pass" /' "$1/junit.xml"
}
# a point's section gone from the page
break_html_section() {
	"$py" - "$1/report.html" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
n = re.sub(r'<section class="point".*?</section>\n', '', s, count=1,
           flags=re.S)
if n == s:
    sys.exit(1)
open(p, "w", encoding="utf-8").write(n)
EOF
}
# a link to a file the folder does not have
break_html_link() {
	sed -i '0,/<footer>/s//<footer><a href="no-such-file.pcap">x<\/a>/' "$1/report.html"
}
# a link out of the folder
break_html_escape() {
	sed -i '0,/<footer>/s//<footer><a href="..\/..\/etc\/passwd">x<\/a>/' "$1/report.html"
}
# something fetched
break_html_script() {
	sed -i '0,/<footer>/s//<footer><script src="https:\/\/example.invalid\/x.js"><\/script>/' "$1/report.html"
}
# the page's script gone: a matrix cell no longer opens its point
break_html_noscript() {
	grep -q '<script>' "$1/report.html" &&
		sed -i 's|<script>[^<]*</script>||' "$1/report.html"
}
broken status "$py" "$here/validate-report.py"
broken junit_outcome "$py" "$here/junit-check.py"
broken junit_outcome node "$here/junit-read.mjs"
xml_attr() { xmllint --noout --schema "$here/junit.xsd" "$1/junit.xml"; }
broken junit_attr xml_attr
broken html_section "$py" "$here/html-check.py"
broken html_link "$py" "$here/html-check.py"
broken html_escape "$py" "$here/html-check.py"
broken html_script "$py" "$here/html-check.py"
broken html_noscript "$py" "$here/html-check.py"
exit $fail
