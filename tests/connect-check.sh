#!/bin/bash
# connect-check.sh - nicq --connect against a libvirtd it did not start.
#
#   tests/connect-check.sh [NICQ]
#
# Starts an independent libvirtd (and its virtlogd) the way a QA host runs
# its system daemon: its own configuration and state (/etc/libvirt, /var,
# /run/libvirt bind-mounted from a scratch folder in a mount namespace of
# its own), inside a network namespace this test creates, with no default
# network; QEMU runs as root under TCG (../shared/HOST-FACTS.md).  Then,
# from inside that namespace, with the results under a 0700 folder (as a
# QA host's /root is):
#   - runs with --connect to it: multicast on rtl8139, e1000 and virtio
#     (guest, network, tap capture, frames both ways; not ping, whose flood
#     check is at the mercy of a loaded host), then pxe on e1000 (libvirt's
#     dnsmasq, which drops its privileges, serves the TFTP root) - every
#     point passes;
#   - a run interrupted with SIGINT while its guest boots: exit 3, Bail
#     out!;
#   - while they run, every domain and network in that libvirt is named
#     nicq-*; afterwards there are none, and no nq* link, no dnsmasq or
#     QEMU is left in the namespace, nor a TFTP folder.
# Everything it started is ended by PID and its namespace deleted.
# Prints one line per check; exits 0 when all pass.
set -u
cd "$(dirname "$0")/.."
NICQ=$(realpath "${1:-./nicq}")
IMAGE=$(realpath "${NICQ_IMAGE_DIR:-build/guest}")
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

Q=$(mktemp -d /tmp/nicq-connect.XXXXXX)	# 0700, like /root
NS=nqqa-$$	# not nicq-*: that is nicq's own, and 'nicq cleanup' takes it
SOCK=$Q/daemon/run/libvirt-sock
URI="qemu+unix:///system?socket=$SOCK"
made_run_libvirt=""
libvirtd_pid=""
virtlogd_pid=""
watch_pid=""

cleanup() {
	local p
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	for p in $libvirtd_pid $virtlogd_pid; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $libvirtd_pid $virtlogd_pid; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	# anything of ours still in the namespace (a dnsmasq, a QEMU), by PID
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	ip netns delete "$NS" 2>/dev/null
	[ -n "$made_run_libvirt" ] && rmdir /run/libvirt 2>/dev/null
	if [ "$fail" -eq 0 ]; then
		rm -rf "$Q"
	else
		echo "# kept for diagnosis: $Q (results under private/results)"
	fi
}
trap cleanup EXIT

# --- the daemon ---------------------------------------------------------------
D=$Q/daemon
mkdir -p "$D/etc" "$D/run" "$D/var/lib/libvirt/dnsmasq" "$D/var/lib/libvirt/qemu" \
	"$D/var/lib/libvirt/network" "$D/var/cache/libvirt" "$D/var/log/libvirt/qemu" \
	"$D/var/tmp" "$D/var/run"
chmod 0755 "$Q"	# the daemon's tree; the results root below stays 0700
cat >"$D/etc/qemu.conf" <<'CONF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
namespaces = [ ]
security_driver = "none"
stdio_handler = "logd"
CONF
cat >"$D/etc/libvirtd.conf" <<'CONF'
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
listen_tls = 0
listen_tcp = 0
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
echo 'log_outputs = "3:file:/var/log/libvirt/virtlogd.log"' >"$D/etc/virtlogd.conf"
# libvirt 9.0 looks up its default QEMU user before it reads qemu.conf
cp /etc/passwd "$D/passwd"; cp /etc/group "$D/group"
getent passwd libvirt-qemu >/dev/null ||
	echo 'libvirt-qemu:x:64055:64055:qa:/nonexistent:/usr/sbin/nologin' >>"$D/passwd"
getent group libvirt-qemu >/dev/null || echo 'libvirt-qemu:x:64055:' >>"$D/group"
getent group kvm >/dev/null || echo 'kvm:x:64056:' >>"$D/group"
if [ ! -d /run/libvirt ]; then mkdir /run/libvirt && made_run_libvirt=1; fi

ip netns add "$NS" && ip -n "$NS" link set lo up
# daemon NAME ARGS...: start it in the namespace with the private tree
daemon() {
	local name=$1; shift
	ip netns exec "$NS" unshare -m --propagation private sh -c '
		D=$1; shift
		mount --bind "$D/etc" /etc/libvirt &&
		mount --bind "$D/passwd" /etc/passwd &&
		mount --bind "$D/group" /etc/group &&
		mount --bind "$D/var" /var &&
		mount --bind "$D/run" /run/libvirt &&
		exec "$@"' _ "$D" "$@" </dev/null >"$D/$name.stderr" 2>&1 &
	echo $!
}
virtlogd_pid=$(daemon virtlogd /usr/sbin/virtlogd -f /etc/libvirt/virtlogd.conf)
for _ in $(seq 1 100); do [ -S "$D/run/virtlogd-sock" ] && break; sleep 0.1; done
libvirtd_pid=$(daemon libvirtd /usr/sbin/libvirtd -f /etc/libvirt/libvirtd.conf)
for _ in $(seq 1 100); do virsh -q -c "$URI" version >/dev/null 2>&1 && break; sleep 0.2; done
check "an independent libvirtd answers in namespace $NS ($URI)" \
	virsh -q -c "$URI" version
names() { # every domain and network in that libvirt
	{ virsh -q -c "$URI" list --all --name; virsh -q -c "$URI" net-list --all --name; } 2>/dev/null |
		sed '/^$/d'
}
check "it starts with no domain and no network (no default network)" \
	test -z "$(names)"
# every name seen while nicq runs
( while :; do names >>"$Q/seen"; sleep 0.5; done ) &
watch_pid=$!

# --- the runs -----------------------------------------------------------------
R=$Q/private/results	# under a 0700 folder
mkdir -p "$R"; chmod 0700 "$Q/private"
# crun NAME ARGS...: nicq run --connect from inside the namespace
crun() {
	local name=$1 t0; shift
	t0=$(date +%s)
	ip netns exec "$NS" "$NICQ" run --connect "$URI" --image "$IMAGE" \
		--vhost off --results "$R/$name" "$@" >"$Q/$name.tap" 2>"$Q/$name.err"
	echo $? >"$Q/$name.rc"
	echo "# $name: $(( $(date +%s) - t0 )) s"
	grep -E '^ *(not )?ok [0-9]|^Bail' "$Q/$name.tap" | sed 's/^/# /'
}
crun mcast --model rtl8139,e1000,virtio --case multicast --jobs 2
crun pxe --model e1000 --case pxe --jobs 1
for n in mcast pxe; do
	check "--connect $n run exits 0 (got $(cat "$Q/$n.rc"): $(tail -n 1 "$Q/$n.err"))" \
		test "$(cat "$Q/$n.rc")" = 0
done
run=$(ls -d "$R"/mcast/*/ 2>/dev/null | head -n 1)
check "the TAP names that libvirt" grep -qF "# lab: libvirt $URI" "$Q/mcast.tap"
for m in rtl8139 e1000 virtio; do
	check "$m multicast passes against it" \
		tests/point-check.py "${run}$m-vhost-off/multicast/result.json" --verdict pass
done
run=$(ls -d "$R"/pxe/*/ 2>/dev/null | head -n 1)
check "e1000 pxe passes with the results under a 0700 folder (dnsmasq reads the TFTP root)" \
	tests/point-check.py "${run}e1000-vhost-off/pxe/result.json" --verdict pass
check "pxe keeps its iPXE script in the point's folder" \
	test -s "${run}e1000-vhost-off/pxe/nicq.ipxe"

# SIGINT while the guest boots
setsid ip netns exec "$NS" "$NICQ" run --connect "$URI" --image "$IMAGE" --vhost off \
	--model virtio --case ping --results "$R/int" >"$Q/int.tap" 2>"$Q/int.err" &
pid=$!
for _ in $(seq 1 1200); do
	grep -qs "Linux version" "$R"/int/*/virtio-vhost-off/ping/console*.log && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
saw=$(names | tr '\n' ' ')
kill -INT "$pid"
wait "$pid"; rc=$?
check "SIGINT while its guest boots (it had: $saw): exit 3 (got $rc)" test $rc -eq 3
check "SIGINT: Bail out! says interrupted" grep -q '^Bail out! interrupted by signal' "$Q/int.tap"
check "SIGINT: it had a domain in that libvirt when interrupted" grep -q 'nicq-' <<<"$saw"

# --- what is left -------------------------------------------------------------
kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; watch_pid=""
seen=$(sort -u "$Q/seen" | tr '\n' ' ')
check "only nicq-* domains and networks were made there (seen: ${seen:-none})" \
	bash -c '[ -n "$1" ] && ! grep -qvE "^nicq-" <(sort -u "$2")' _ "$seen" "$Q/seen"
check "none of them is left (left: $(names | tr '\n' ' '))" test -z "$(names)"
left_links=$(ip -n "$NS" -br link | grep -E '^nq' || true)
check "no nq* link left in the namespace${left_links:+: $left_links}" test -z "$left_links"
left_procs=""
for p in $(ip netns pids "$NS"); do
	[ "$p" = "$libvirtd_pid" ] || [ "$p" = "$virtlogd_pid" ] && continue
	left_procs+="$p:$(cat /proc/"$p"/comm 2>/dev/null) "
done
check "nothing but the daemons left in the namespace${left_procs:+: $left_procs}" \
	test -z "$left_procs"
check "no TFTP folder left" bash -c '! ls -A /run/nicq-tftp 2>/dev/null | grep -q .'
echo "# connect-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
