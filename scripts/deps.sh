#!/bin/sh
# Install (--install) or check (--check) the Debian packages nicq needs.
# Idempotent: installs only what is missing.  Needs root to install.
set -eu

# build
PKGS="gcc make pkg-config libvirt-dev libssh-dev libxml2-dev libpcap-dev
libcmocka-dev libglib2.0-dev libjson-glib-dev"
# the private lab and its guests
PKGS="$PKGS libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
qemu-system-x86 qemu-utils ipxe-qemu dnsmasq-base iproute2 iptables nftables
iputils-ping iperf3"
# building the guest image from Debian packages
PKGS="$PKGS apt dpkg kmod cpio gzip busybox-static dropbear-bin xz-utils zstd"
# fuzzing (make fuzz, and make check's regression run): clang 14 and its
# compiler-rt, which holds libFuzzer and the sanitizer runtimes
PKGS="$PKGS clang-14 libclang-rt-14-dev"
# tests: TAP consumers (prove is in perl; node runs tap-parser), the
# result schema check (Debian's python3 with jsonschema and yaml), the
# JUnit consumers (python3-junitparser; node's junit2json; xmllint), the
# HTML report in headless Chromium, man for the manual page
PKGS="$PKGS perl libxml2-utils nodejs python3 python3-jsonschema python3-yaml
python3-junitparser chromium man-db"

missing=""
for p in $PKGS; do
	if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then
		continue	# a node from elsewhere is fine
	fi
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

mode=${1:---check}
if [ -z "$missing" ]; then
	[ "$mode" = --install ] && echo "deps: all packages present"
	exit 0
fi
case "$mode" in
--check)
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make deps' as root to install them" >&2
	exit 1 ;;
--install)
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing:$missing" >&2
		echo "deps: run as root: sudo make deps (or apt-get install$missing)" >&2
		exit 1
	fi
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing ;;
*)
	echo "usage: $0 --check|--install" >&2; exit 2 ;;
esac
