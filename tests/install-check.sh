#!/bin/bash
# install-check.sh - 'make install' into a scratch DESTDIR, then use what it
# installed as a person would:
#
#   - the files: bin/nicq, share/man/man1/nicq.1, share/nicq/guests/ (the
#     whole guest recipe), share/bash-completion/completions/nicq,
#     share/doc/nicq/ (README, the result schemas);
#   - the installed nicq: --version (the tree's version), --help, 'list'
#     (it runs, and as an installed nicq looks for its guest image under
#     ~/.cache/nicq/guest, naming 'nicq build-image'), 'list cases';
#   - its recipe is the tree's: 'nicq build-image' on a copy of the built
#     image finds it up to date (the recipe hash covers every file);
#   - 'man -l' renders nicq(1) without a warning, with its sections, and
#     the page names every option of every command (from their --help),
#     every fault and every case;
#   - the bash completion completes commands, options, models, cases and
#     faults (also after a '=' bash splits words at);
#   - 'make uninstall' removes it all.
#
# Prints "install-check: N passed, N failed"; exits 1 on a failure.
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

D=$(mktemp -d /tmp/nicq-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
P=/usr/local
make -s install DESTDIR="$D" PREFIX="$P" >"$D.log" 2>&1
rc=$?
check "make install DESTDIR=... PREFIX=$P (exit $rc)" test $rc -eq 0
[ $rc -eq 0 ] || { cat "$D.log"; rm -f "$D.log"; exit 1; }
rm -f "$D.log"
R=$D$P
N=$R/bin/nicq

for f in bin/nicq share/man/man1/nicq.1 share/nicq/guests/build-image.sh \
	share/nicq/guests/init share/nicq/guests/packages.txt \
	share/nicq/guests/modules.txt share/bash-completion/completions/nicq \
	share/doc/nicq/README.md share/doc/nicq/result-schema.json \
	share/doc/nicq/results-schema.json; do
	check "installed $f" test -s "$R/$f"
done
check "every file of the guest recipe is installed" \
	diff <(ls guests) <(ls "$R/share/nicq/guests")
check "the binary and the recipe script are executable" \
	test -x "$N" -a -x "$R/share/nicq/guests/build-image.sh"

# the installed nicq, run from elsewhere with a clean environment
home=$D/home
mkdir -p "$home"
inst() { (cd / && env -i HOME="$home" PATH=/usr/sbin:/usr/bin:/sbin:/bin "$N" "$@"); }
check "installed nicq --version is the tree's ($(./nicq --version))" \
	test "$(inst --version)" = "$(./nicq --version)"
out=$(inst --help); rc=$?
check "installed nicq --help exits 0 and shows the commands" \
	bash -c '[ '$rc' -eq 0 ] && grep -q "nicq run" <<<"$1" && grep -q "nicq report" <<<"$1"' _ "$out"
out=$(inst run --help); rc=$?
check "installed nicq run --help: usage says 'nicq run'" \
	bash -c '[ '$rc' -eq 0 ] && grep -q "^  nicq run \[OPTION" <<<"$1"' _ "$out"
out=$(inst list 2>&1); rc=$?
check "installed nicq list exits 0 and lists the cases" \
	bash -c '[ '$rc' -eq 0 ] && grep -q "^cases:" <<<"$1" && grep -q "^  ping " <<<"$1"' _ "$out"
check "installed nicq looks for its image in ~/.cache/nicq/guest and says how to build it" \
	grep -q "guest image: unusable (guest image not found in '$home/.cache/nicq/guest'.*nicq build-image" <<<"$out"
check "installed nicq list cases = the tree's" \
	test "$(inst list cases)" = "$(./nicq list cases)"
img=${NICQ_IMAGE_DIR:-build/guest}
recipe=$(cd guests && find . -type f -print0 | LC_ALL=C sort -z |
	xargs -0 sha256sum | sha256sum | cut -c1-64)
if [ -s "$img/vmlinuz" ] && [ "$(cat "$img/.recipe-hash" 2>/dev/null)" != "$recipe" ]; then
	bad "the guest image in $img is not of this recipe (make guest builds it)"
elif [ -s "$img/vmlinuz" ] && [ -s "$img/.recipe-hash" ]; then
	mkdir -p "$home/img"
	cp -p "$img/vmlinuz" "$img/initrd.img" "$img/manifest.txt" \
		"$img/.recipe-hash" "$home/img/"
	out=$(inst build-image "$home/img" 2>&1); rc=$?
	check "installed nicq build-image runs the installed recipe, the tree's: up to date (exit $rc)" \
		bash -c '[ '$rc' -eq 0 ] && grep -q "guest image up to date" <<<"$1"' _ "$out"
else
	bad "no built guest image (make guest) to check the installed recipe against"
fi
out=$(inst build-image --help); rc=$?
check "installed nicq build-image --help exits 0" test $rc -eq 0

# the manual page
MANWIDTH=80 man --warnings -l "$R/share/man/man1/nicq.1" >"$D/man.txt" 2>"$D/man.err"
rc=$?
check "man -l renders nicq(1) (exit $rc, $(wc -l <"$D/man.txt") lines)" \
	test $rc -eq 0 -a -s "$D/man.txt"
check "man -l: no warning ($(head -c 200 "$D/man.err"))" test ! -s "$D/man.err"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS FAULTS CASES "EXIT STATUS" FILES; do
	check "nicq(1) has $s" grep -q "^$s" "$D/man.txt"
done
# every option of every command, every fault, every case, every status
missing=""
for c in run list report compare merge cleanup build-image; do
	for o in $(inst "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		[ "$o" = --help ] && continue
		grep -qF -- "$o" "$D/man.txt" || missing+=" $c:$o"
	done
done
# the faults --inject's help names, each under FAULTS
for f in $(inst run --help | grep -- '--inject' |
	grep -oE '[a-z0-9]+(-[a-z0-9]+)+|[a-z0-9-]+=[A-Z:]+' | sed 's/=.*//' |
	grep -v -- '^--' | sort -u); do
	grep -qE -- "^ +$f(=| |$)" "$D/man.txt" || missing+=" fault:$f"
done
for c in $(inst list cases); do
	grep -qw -- "$c" "$D/man.txt" || missing+=" case:$c"
done
check "nicq(1) names every option, fault and case${missing:+ (missing:$missing)}" test -z "$missing"

# the bash completion, as bash calls it (words split at '=')
comp() { # LINE WORD...: what the completion offers
	bash --norc -c 'source "$1"; shift; COMP_LINE=$1; COMP_POINT=${#1}; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nicq; echo "${COMPREPLY[*]}"' \
		_ "$R/share/bash-completion/completions/nicq" "$@"
}
check "completion: 'nicq r' -> run report" \
	test "$(comp "$N r" "$N" r)" = "run report"
check "completion: 'nicq run --mo' -> --model" \
	test "$(comp "$N run --mo" "$N" run --mo)" = "--model"
check "completion: 'nicq run --model e1000,vi' -> e1000,virtio" \
	test "$(comp "$N run --model e1000,vi" "$N" run --model e1000,vi)" = "e1000,virtio"
check "completion: 'nicq run --case mu' -> the installed nicq's cases" \
	test "$(comp "$N run --case mu" "$N" run --case mu)" = "multicast multinic"
check "completion: 'nicq run --inject drop-o' -> drop-over=" \
	test "$(comp "$N run --inject drop-o" "$N" run --inject drop-o)" = "drop-over="
check "completion: 'nicq run --inject corrupt-tcp,hang=pi' (split at '=') -> ping" \
	test "$(comp "$N run --inject corrupt-tcp,hang=pi" "$N" run --inject corrupt-tcp,hang = pi)" = "ping"
check "completion: 'nicq list c' -> cases controls" \
	test "$(comp "$N list c" "$N" list c)" = "cases controls"
check "completion: 'nicq co' -> compare" \
	test "$(comp "$N co" "$N" co)" = "compare"
check "completion: 'nicq compare --tolerance th' -> throughput=" \
	test "$(comp "$N compare --tolerance th" "$N" compare --tolerance th)" = "throughput="

make -s uninstall DESTDIR="$D" PREFIX="$P" >/dev/null 2>&1
left=$(find "$D" -type f -not -path "$home/*" -not -name 'man.*' | head -5)
check "make uninstall removes every installed file${left:+ (left: $left)}" test -z "$left"

echo "install-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
