#!/bin/bash
# build-image.sh OUTDIR - build nicq's guest (kernel + initramfs) from Debian
# packages, without a chroot.
#
#   OUTDIR/vmlinuz       the Debian kernel (linux-image-amd64's current 6.1 ABI)
#   OUTDIR/initrd.img    cpio (newc), uncompressed: busybox, dropbear, iproute2,
#                        ethtool, tcpdump, iperf3, kmod, the NIC modules, /init
#   OUTDIR/manifest.txt  package names and versions, kernel release, modules
#   OUTDIR/.recipe-hash  sha256 of the recipe (every file under guests/)
#
# Cached: when OUTDIR/.recipe-hash equals the current recipe hash and the
# outputs exist, it prints "guest image up to date" and exits 0.  NICQ_FORCE=1
# (or --force) rebuilds anyway.  Note the hash covers the recipe, not the
# mirror: a newer package version on the mirror alone does not cause a rebuild.
#
# Downloaded .debs are kept in OUTDIR/../guest-debs (NICQ_DEB_CACHE overrides)
# and reused while their SHA-256 still matches what apt expects.
#
# Recipe files (all under guests/):
#   packages.txt  packages, the programs taken from them, extra links
#   modules.txt   kernel modules to ship (with dependencies) and load at boot
#   init          the guest's /init
#
# Needs root (apt-get download, dpkg-deb, mknod for /dev/console), and the host
# tools apt-get, apt-cache, dpkg-deb, depmod (kmod), cpio, sha256sum.
#
# The initramfs is not compressed: under TCG the kernel took 1-2 s of the
# guest's time to gunzip it on an idle host and 6 s beside the matrix's
# other guests (CI-like run ci-31's boots: "Freeing initrd memory" 6.2 s
# after the kernel's start), against ~0.5 s to copy the 21 MB of the
# plain archive in.  It is loaded from the host's page cache (direct
# kernel boot); only pxe fetches it over TFTP, where 21 MB take ~3 s.
set -eEuo pipefail

me=build-image.sh
die() { echo "$me: error: $*" >&2; exit 1; }
note() { echo "$me: $*"; }
# shellcheck disable=SC2154  # rc is assigned inside the trap string
trap 'rc=$?; echo "$me: error: command failed (status $rc) at line $LINENO: $BASH_COMMAND" >&2' ERR

force=${NICQ_FORCE:-0}
args=()
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $a (usage: $me [--force] OUTDIR)" ;;
	*) args+=("$a") ;;
	esac
done
[ ${#args[@]} -eq 1 ] || die "usage: $me [--force] OUTDIR"

GUESTS=$(cd "$(dirname "$0")" && pwd)
OUT=${args[0]}
[ ! -d "$OUT" ] || OUT=$(cd "$OUT" && pwd)

# ---- recipe hash / cache check (cheap; no root needed for "up to date") ----
recipe_hash() {
	(cd "$GUESTS" && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum) | sha256sum | cut -c1-64
}
HASH=$(recipe_hash)
uptodate() {
	[ "$force" != 1 ] && [ -f "$OUT/.recipe-hash" ] &&
		[ "$(cat "$OUT/.recipe-hash")" = "$HASH" ] &&
		[ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ] &&
		[ -s "$OUT/manifest.txt" ]
}
if uptodate; then
	echo "guest image up to date ($OUT)"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root to build the guest image (apt-get download, dpkg-deb -x and mknod need it); try: sudo $0 ${args[0]}"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
for t in apt-get apt-cache dpkg-deb depmod cpio sha256sum flock find sort; do
	command -v "$t" >/dev/null 2>&1 ||
		die "host tool '$t' is missing (Debian packages: apt, dpkg, kmod, cpio, coreutils, util-linux, findutils)"
done

# One build per OUTDIR at a time; a second caller waits, then sees the result.
exec 9>"$OUT/.build-lock"
flock 9
if uptodate; then
	echo "guest image up to date ($OUT)"
	exit 0
fi

DEBS=${NICQ_DEB_CACHE:-$(dirname "$OUT")/guest-debs}
mkdir -p "$DEBS"
DEBS=$(cd "$DEBS" && pwd)
WORK=$(mktemp -d "$OUT/.work.XXXXXX")
cleanup() { [ "${NICQ_KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
U=$WORK/unpack     # every package unpacked here (dpkg-deb -x)
K=$WORK/kernel     # the kernel package, separately (it is large)
S=$WORK/root       # the initramfs tree
mkdir -p "$U" "$K" "$S"
rm -f "$OUT/.recipe-hash"   # an interrupted build must not look up to date

note "recipe $HASH, building in $WORK"

# ---- read the recipe ----
PKGSPEC=$GUESTS/packages.txt
MODSPEC=$GUESTS/modules.txt
[ -f "$PKGSPEC" ] || die "missing $PKGSPEC"
[ -f "$MODSPEC" ] || die "missing $MODSPEC"
[ -f "$GUESTS/init" ] || die "missing $GUESTS/init"

kernel_meta=
pkgs=()              # every package to download
declare -A pkgfiles  # package -> "path[=name] ..."
links=()             # "name target"
lineno=0
while read -r kind rest || [ -n "$kind" ]; do
	lineno=$((lineno + 1))
	case $kind in ''|'#'*) continue ;; esac
	read -r -a w <<<"$rest"
	case $kind in
	kernel)
		[ ${#w[@]} -eq 1 ] || die "packages.txt:$lineno: kernel takes one meta-package"
		[ -z "$kernel_meta" ] || die "packages.txt:$lineno: second kernel line"
		kernel_meta=${w[0]} ;;
	pkg)
		[ ${#w[@]} -ge 1 ] || die "packages.txt:$lineno: pkg needs a package name"
		pkgs+=("${w[0]}")
		pkgfiles[${w[0]}]="${w[*]:1}" ;;
	link)
		[ ${#w[@]} -eq 2 ] || die "packages.txt:$lineno: link needs <name> <target>"
		links+=("${w[0]} ${w[1]}") ;;
	*) die "packages.txt:$lineno: unknown kind '$kind'" ;;
	esac
done <"$PKGSPEC"
[ -n "$kernel_meta" ] || die "packages.txt has no kernel line"

modules=()
while read -r m _ || [ -n "$m" ]; do
	case $m in ''|'#'*) continue ;; esac
	modules+=("$m")
done <"$MODSPEC"

# ---- resolve package names (apt-get update once if the lists are empty) ----
# Each apt-get or apt-cache call loads apt's whole package cache (about 2 s
# of a core here, more under load): they are asked about every package at
# once, not one call per package (that was over a minute of the build).
updated=0
apt_update_once() {
	[ $updated = 0 ] || return 1
	updated=1
	note "apt lists do not know '$1'; running apt-get update once"
	apt-get update -q >&2 || die "apt-get update failed"
}
# lacking PKG...: the packages with no installable candidate, one a line
lacking() {
	LC_ALL=C apt-cache policy "$@" 2>/dev/null | awk -v want="$*" '
		BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) miss[w[i]] = 1 }
		/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1); next }
		/^  Candidate: / && $2 != "(none)" { delete miss[p] }
		END { for (m in miss) print m }'
}
need_candidates() {
	local miss
	miss=$(lacking "$@")
	[ -n "$miss" ] || return 0
	apt_update_once "$(echo $miss)" && miss=$(lacking "$@")
	[ -z "$miss" ] || die "apt has no installable candidate for package '$(echo $miss)' (check /etc/apt/sources.list)"
}

need_candidates "$kernel_meta" "${pkgs[@]}"
kpkg=$(apt-cache depends "$kernel_meta" 2>/dev/null |
	sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
[ -n "$kpkg" ] || die "cannot find the concrete kernel package: 'apt-cache depends $kernel_meta' lists no linux-image-<version> dependency"
case $kpkg in
linux-image-6.1.*-amd64) ;;
*) die "$kernel_meta depends on $kpkg, expected linux-image-6.1.*-amd64 (Debian 12)" ;;
esac
note "kernel package: $kpkg (from $kernel_meta)"

# ---- download into the cache ----
# apt-get download --print-uris: 'URI' FILENAME SIZE SHA256:HEX, one line a
# package in apt's order; a file name starts with its package's name and
# "_" (no package name holds one).
declare -A debfile debsum
uris=$(apt-get download --print-uris "$kpkg" "${pkgs[@]}" 2>/dev/null) || true
while read -r _ f _ sum _; do
	[ -n "${f:-}" ] || continue
	case $sum in SHA256:*) sum=${sum#SHA256:} ;; *) sum= ;; esac
	debfile[${f%%_*}]=$f
	debsum[${f%%_*}]=$sum
done <<<"$uris"
cached() { # PKG: its file is in the cache with the SHA-256 apt expects
	local f=$DEBS/${debfile[$1]} sum=${debsum[$1]}
	[ -f "$f" ] && { [ -z "$sum" ] || sha256sum --status -c - <<<"$sum  $f"; }
}
# fetch PKG...: every one not cached yet, from the host's apt cache when it
# holds the identical file, the rest in one apt-get download
fetch() {
	local p f sum get=()
	for p in "$@"; do
		[ -n "${debfile[$p]:-}" ] || die "apt-get download --print-uris printed nothing for $p"
		cached "$p" && continue
		f=${debfile[$p]} sum=${debsum[$p]}
		rm -f "$DEBS/$f"
		if [ -n "$sum" ] && [ -f "/var/cache/apt/archives/$f" ] &&
			sha256sum --status -c - <<<"$sum  /var/cache/apt/archives/$f"; then
			cp "/var/cache/apt/archives/$f" "$DEBS/$f.part" && mv "$DEBS/$f.part" "$DEBS/$f"
		else
			get+=("$p")
		fi
	done
	if [ ${#get[@]} -gt 0 ]; then
		note "downloading ${get[*]}"
		(cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "${get[@]}" >&2) ||
			die "apt-get download ${get[*]} failed"
	fi
	for p in "$@"; do
		[ -f "$DEBS/${debfile[$p]}" ] || die "apt-get download $p did not produce ${debfile[$p]}"
		cached "$p" || { rm -f "$DEBS/${debfile[$p]}"; die "${debfile[$p]}: SHA-256 does not match the apt index"; }
	done
}
# The kernel package is the large one (its data.tar.xz takes a minute of
# one core to decompress): fetched first and unpacked in the background
# while the rest downloads and unpacks; waited for before its modules are
# needed.
fetch "$kpkg"
debfile[$kpkg]=$DEBS/${debfile[$kpkg]}
note "unpacking $kpkg (in the background)"
dpkg-deb -x "${debfile[$kpkg]}" "$K" &
kx_pid=$!
cleanup() {
	{ kill "$kx_pid" && wait "$kx_pid"; } 2>/dev/null || true
	[ "${NICQ_KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
}
fetch "${pkgs[@]}"
for p in "${pkgs[@]}"; do debfile[$p]=$DEBS/${debfile[$p]}; done
# Drop superseded versions of these packages from the cache.  Package names
# contain no "_", so "<pkg>_*.deb" matches only that package's files and a
# shared cache directory is safe.
for p in "$kpkg" "${pkgs[@]}"; do
	for f in "$DEBS/${p}"_*.deb; do
		[ -f "$f" ] && [ "$f" != "${debfile[$p]}" ] || continue
		note "removing superseded ${f##*/} from the cache"
		rm -f "$f"
	done
done

# ---- manifest header, unpack ----
MAN=$WORK/manifest.txt
{
	echo "# nicq guest image manifest"
	echo "# recipe-sha256 $HASH"
	echo "# built $(date -u +%Y-%m-%dT%H:%M:%SZ) by guests/build-image.sh"
} >"$MAN"
for p in "$kpkg" "${pkgs[@]}"; do
	v=$(dpkg-deb -f "${debfile[$p]}" Version)
	echo "$p $v" >>"$MAN.pkgs"
done

note "unpacking ${#pkgs[@]} packages"
for p in "${pkgs[@]}"; do
	dpkg-deb -x "${debfile[$p]}" "$U" || die "dpkg-deb -x ${debfile[$p]} failed"
done

# ---- initramfs skeleton: merged /usr, single bin directory ----
# /bin, /sbin, /usr/sbin -> /usr/bin and /lib -> /usr/lib: every program lives
# in one directory, so no PATH order can pick busybox's ip over iproute2's.
mkdir -p "$S"/usr/bin "$S"/usr/lib/x86_64-linux-gnu "$S"/usr/lib64 \
	"$S"/etc/modprobe.d "$S"/etc/dropbear "$S"/dev "$S"/proc "$S"/sys \
	"$S"/tmp "$S"/run "$S"/var/log "$S"/root "$S"/mnt
ln -s usr/bin "$S/bin"
ln -s usr/bin "$S/sbin"
ln -s bin "$S/usr/sbin"
ln -s usr/lib "$S/lib"
ln -s usr/lib64 "$S/lib64"
ln -s ../run "$S/var/run"
chmod 700 "$S/root"
chmod 1777 "$S/tmp"
# The kernel opens /dev/console before /init runs (devtmpfs is mounted later).
mknod -m 600 "$S/dev/console" c 5 1
mknod -m 666 "$S/dev/null" c 1 3

# ---- programs ----
bins=()
for p in "${pkgs[@]}"; do
	for spec in ${pkgfiles[$p]}; do
		src=${spec%%=*}
		name=${spec#*=}
		[ "$name" != "$spec" ] || name=$(basename "$src")
		[ -e "$U$src" ] || die "package $p has no $src (packages.txt)"
		[ ! -e "$S/usr/bin/$name" ] || die "two programs named $name (packages.txt)"
		cp -L "$U$src" "$S/usr/bin/$name"
		chmod 755 "$S/usr/bin/$name"
		bins+=("$S/usr/bin/$name")
	done
done
for l in "${links[@]}"; do
	read -r name target <<<"$l"
	[ -e "$S/usr/bin/$target" ] || die "link $name -> $target: no program $target"
	[ ! -e "$S/usr/bin/$name" ] || die "link $name: /usr/bin/$name already exists"
	ln -s "$target" "$S/usr/bin/$name"
done
[ -x "$S/usr/bin/busybox" ] || die "packages.txt must provide /bin/busybox"
# busybox applets for every other command name.
"$S/usr/bin/busybox" --list >"$WORK/applets" || die "cannot list busybox applets"
while read -r a; do
	case $a in busybox|linuxrc) continue ;; esac
	[ -e "$S/usr/bin/$a" ] || [ -L "$S/usr/bin/$a" ] || ln -s busybox "$S/usr/bin/$a"
done <"$WORK/applets"
# The shell must run PATH's programs, not busybox's applets of the same name.
got=$(env -i PATH="$S/usr/bin" "$S/usr/bin/busybox" sh -c 'command -v ip' 2>&1) || true
[ "$got" = "$S/usr/bin/ip" ] ||
	die "busybox sh resolves 'ip' to '$got', not iproute2's ip: this busybox prefers its own applets (busybox-static does); use Debian's busybox package"
for c in sh init mount modprobe ip ethtool tcpdump iperf3 sha256sum dmesg \
	dropbear dropbearkey base64 hostname; do
	[ -e "$S/usr/bin/$c" ] || die "the guest would have no '$c' command"
done

# ---- shared libraries (from the unpacked packages only) ----
LDSO=$U/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
[ -x "$LDSO" ] || die "libc6 did not provide $LDSO"
LIBPATH=$U/lib/x86_64-linux-gnu:$U/usr/lib/x86_64-linux-gnu
declare -A libs
for b in "${bins[@]}"; do
	if ! "$LDSO" --verify "$b" >/dev/null 2>&1; then
		continue   # static (busybox)
	fi
	"$LDSO" --inhibit-cache --library-path "$LIBPATH" --list "$b" >"$WORK/ldd" 2>&1 ||
		die "cannot list the libraries of $(basename "$b"): $(cat "$WORK/ldd")"
	while read -r name arrow path _; do
		[ "$arrow" = "=>" ] || continue
		case $name in */ld-linux-x86-64.so.2|ld-linux-x86-64.so.2) continue ;; esac
		[ "$path" != not ] || die "$(basename "$b") needs $name, which no package in packages.txt provides"
		case $path in
		"$U"/*) libs[$name]=$path ;;
		*)
			hint=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1) || true
			die "$(basename "$b") needs $name, which no package in packages.txt provides${hint:+ (on this host it comes from package '$hint': add 'pkg $hint' to packages.txt)}" ;;
		esac
	done <"$WORK/ldd"
done
cp -L "$LDSO" "$S/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$S/usr/lib64/ld-linux-x86-64.so.2"
for name in "${!libs[@]}"; do
	cp -L "${libs[$name]}" "$S/usr/lib/x86_64-linux-gnu/$name"
done
note "${#libs[@]} shared libraries"

# ---- kernel and modules ----
wait "$kx_pid" || die "dpkg-deb -x ${debfile[$kpkg]} failed"
note "unpacked $kpkg"
vmlinuz=$(find "$K/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
[ -n "$vmlinuz" ] || die "$kpkg has no /boot/vmlinuz-*"
KVER=${vmlinuz##*/vmlinuz-}
KMOD=$K/lib/modules/$KVER
[ -d "$KMOD" ] || die "$kpkg has no /lib/modules/$KVER"
depmod -b "$K" "$KVER" || die "depmod -b on the unpacked kernel failed"
mkdir -p "$WORK/no-modprobe-conf"
SMOD=$S/lib/modules/$KVER
mkdir -p "$SMOD"
{
	echo "# kernel-release $KVER"
	for m in "${modules[@]}"; do
		# --show-depends: "insmod /path/x.ko [opts]" per module, dependencies
		# first, or "builtin x".  Host modprobe.d is ignored (-C empty dir).
		dep=$(modprobe -C "$WORK/no-modprobe-conf" -d "$K" -S "$KVER" \
			--show-depends "$m" 2>&1) ||
			die "kernel $KVER has no module or built-in '$m' (modules.txt): $dep"
		kind=builtin
		while read -r verb path _; do
			case $verb in
			insmod)
				rel=${path#"$KMOD"/}
				[ "$rel" != "$path" ] || die "unexpected module path $path"
				mkdir -p "$SMOD/$(dirname "$rel")"
				cp "$path" "$SMOD/$rel"
				case ${path##*/} in "$m".ko*|"${m//_/-}".ko*) kind=module ;; esac ;;
			builtin) ;;
			*) die "unexpected modprobe --show-depends output for $m: $verb $path" ;;
			esac
		done <<<"$dep"
		echo "# module $m $kind"
	done
} >>"$MAN"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$KMOD/$f" ] && cp "$KMOD/$f" "$SMOD/$f"
done
depmod -b "$S" "$KVER" || die "depmod on the initramfs tree failed"
{ echo "# <package> <version>"; cat "$MAN.pkgs"; } >>"$MAN"
rm -f "$MAN.pkgs"

# ---- configuration ----
sed -n 's/^[[:space:]]*\([a-z0-9_-][a-z0-9_-]*\).*/\1/p' "$MODSPEC" >"$S/etc/nicq-modules"
cat >"$S/etc/modprobe.d/nicq.conf" <<'EOF'
# nicq: no bond0 appears just because bonding is loaded; cases create bonds.
options bonding max_bonds=0
EOF
# Debian's tcpdump drops privileges to user "tcpdump" after opening the
# capture device (its built-in -Z default).  Here that user is uid 0, so
# tcpdump keeps running as root and -w can write anywhere.
cat >"$S/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
tcpdump:x:0:0:tcpdump (root in the nicq guest):/:/bin/false
EOF
cat >"$S/etc/group" <<'EOF'
root:x:0:
tcpdump:x:0:
EOF
echo /bin/sh >"$S/etc/shells"
cat >"$S/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
shadow: files
hosts: files
EOF
cat >"$S/etc/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost
EOF
# busybox init takes over as PID 1 after /init has set everything up: it reaps
# orphans and makes poweroff/reboot work.  No getty anywhere.
cat >"$S/etc/inittab" <<'EOF'
::ctrlaltdel:/bin/reboot
::shutdown:/bin/sync
EOF
install -m 755 "$GUESTS/init" "$S/init"
echo "$HASH" >"$S/etc/nicq-recipe"

# ---- pack ----
note "packing initramfs"
(cd "$S" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0) >"$WORK/initrd.img"
cp "$vmlinuz" "$WORK/vmlinuz"

mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initrd.img" "$OUT/initrd.img"
mv -f "$MAN" "$OUT/manifest.txt"
echo "$HASH" >"$OUT/.recipe-hash.tmp"
mv -f "$OUT/.recipe-hash.tmp" "$OUT/.recipe-hash"
note "done: kernel $KVER, initrd $(du -h "$OUT/initrd.img" | cut -f1) ($(du -sh "$S" | cut -f1) unpacked), vmlinuz $(du -h "$OUT/vmlinuz" | cut -f1)"
