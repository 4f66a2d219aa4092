/* fault.c - see fault.h. */
#include "fault.h"
#include "lab.h"
#include "util.h"
#include "xdp.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char known_faults[] =
	"drop=PCT, drop-frag, drop-over=BYTES, vlan-rewrite=FROM:TO[@NIC], "
	"corrupt-tcp, drop-mcast, drop-udp=PCT, drop-tftp, corrupt-icmp, "
	"drop-reply=PCT, s4-fresh-boot, mcast-allmulti, vlan-promisc, arp-flux, "
	"reload-no-unload, bond-no-flap, lacp-bridge, lacp-l2-hash, lacp-no-flap, "
	"udp-blackhole, host-stall, icmp-blackhole, icmp-ratelimit, hang=CASE";

/* "N" or "N%" in lo..hi; -1 if not. */
static long parse_num(const char *s, long lo, long hi, bool pct)
{
	char *end;
	long v;

	if (!g_ascii_isdigit(*s))
		return -1;
	v = strtol(s, &end, 10);
	if (pct && *end == '%')
		end++;
	if (*end || v < lo || v > hi)
		return -1;
	return v;
}

/*
 * "vlan-rewrite=FROM:TO" or "vlan-rewrite=FROM:TO@NIC" (v whole) into
 * f->vlan[], checked against the rewrites already there; -1 with err and
 * f untouched.
 */
static int parse_vlan(const char *v, struct fault *f, char *err)
{
	char **at = g_strsplit(v + 13, "@", -1), **ids = NULL;
	long from = -1, to = -1, nic = -1;
	int rc = -1;

	if (g_strv_length(at) < 1 || g_strv_length(at) > 2)
		goto bad;
	if (at[1] && (nic = parse_num(at[1], 0, 15, false)) < 0)
		goto bad;
	ids = g_strsplit(at[0], ":", -1);
	if (g_strv_length(ids) == 2) {
		from = parse_num(ids[0], 1, 4094, false);
		to = parse_num(ids[1], 1, 4094, false);
	}
	if (from < 0 || to < 0 || from == to)
		goto bad;
	if (f->n_vlan >= FAULT_MAX_VLAN) {
		err_set(err, "bad fault '%s': at most %d VLAN rewrites", v,
			FAULT_MAX_VLAN);
		goto out;
	}
	for (int i = 0; i < f->n_vlan; i++) {
		const struct fault_vlan *o = &f->vlan[i];

		/* rewrites that meet on a tap: every tap, or the same one */
		if (o->nic >= 0 && nic >= 0 && o->nic != nic)
			continue;
		if (o->from == from) {
			err_set(err, "bad fault '%s': VLAN id %ld is already "
				"rewritten toward that NIC", v, from);
			goto out;
		}
		if (o->from == to || o->to == from) {
			err_set(err, "bad fault '%s': it would chain with "
				"vlan-rewrite=%d:%d on the same tap", v,
				o->from, o->to);
			goto out;
		}
	}
	f->vlan[f->n_vlan].from = (int)from;
	f->vlan[f->n_vlan].to = (int)to;
	f->vlan[f->n_vlan].nic = (int)nic;
	f->n_vlan++;
	rc = 0;
	goto out;
bad:
	err_set(err, "bad fault '%s' (vlan-rewrite=FROM:TO[@NIC], ids "
		"1..4094, NIC 0..15)", v);
out:
	g_strfreev(ids);
	g_strfreev(at);
	return rc;
}

int fault_parse(const char *s, struct fault *f, char *err)
{
	char **items = g_strsplit(s, ",", -1), **it;
	const struct fault before = *f;
	int rc = 0;

	for (it = items; *it && rc == 0; it++) {
		char *v = g_strstrip(*it);
		long n;

		if (g_str_has_prefix(v, "drop=")) {
			if ((n = parse_num(v + 5, 1, 100, true)) < 0) {
				err_set(err, "bad fault '%s' (drop=1..100)", v);
				rc = -1;
			} else {
				f->drop_pct = (int)n;
			}
		} else if (g_str_has_prefix(v, "drop-udp=")) {
			if ((n = parse_num(v + 9, 1, 100, true)) < 0) {
				err_set(err, "bad fault '%s' (drop-udp=1..100)",
					v);
				rc = -1;
			} else {
				f->drop_udp = (int)n;
			}
		} else if (g_str_has_prefix(v, "drop-reply=")) {
			if ((n = parse_num(v + 11, 1, 100, true)) < 0) {
				err_set(err, "bad fault '%s' "
					"(drop-reply=1..100)", v);
				rc = -1;
			} else {
				f->drop_reply = (int)n;
			}
		} else if (g_str_has_prefix(v, "drop-over=")) {
			if ((n = parse_num(v + 10, 68, 65535, false)) < 0) {
				err_set(err, "bad fault '%s' "
					"(drop-over=68..65535)", v);
				rc = -1;
			} else {
				f->drop_over = (int)n;
			}
		} else if (g_str_has_prefix(v, "vlan-rewrite=")) {
			if (parse_vlan(v, f, err) < 0)
				rc = -1;
		} else if (g_str_has_prefix(v, "hang=") && v[5] &&
			   strlen(v + 5) < sizeof(f->hang)) {
			g_strlcpy(f->hang, v + 5, sizeof(f->hang));
		} else if (!strcmp(v, "drop-frag")) {
			f->drop_frag = true;
		} else if (!strcmp(v, "corrupt-tcp")) {
			f->corrupt_tcp = true;
		} else if (!strcmp(v, "drop-mcast")) {
			f->drop_mcast = true;
		} else if (!strcmp(v, "s4-fresh-boot")) {
			f->s4_fresh_boot = true;
		} else if (!strcmp(v, "drop-tftp")) {
			f->drop_tftp = true;
		} else if (!strcmp(v, "corrupt-icmp")) {
			f->corrupt_icmp = true;
		} else if (!strcmp(v, "mcast-allmulti")) {
			f->mcast_allmulti = true;
		} else if (!strcmp(v, "vlan-promisc")) {
			f->vlan_promisc = true;
		} else if (!strcmp(v, "arp-flux")) {
			f->arp_flux = true;
		} else if (!strcmp(v, "reload-no-unload")) {
			f->reload_no_unload = true;
		} else if (!strcmp(v, "bond-no-flap")) {
			f->bond_no_flap = true;
		} else if (!strcmp(v, "lacp-bridge")) {
			f->lacp_bridge = true;
		} else if (!strcmp(v, "lacp-l2-hash")) {
			f->lacp_l2_hash = true;
		} else if (!strcmp(v, "lacp-no-flap")) {
			f->lacp_no_flap = true;
		} else if (!strcmp(v, "udp-blackhole")) {
			f->udp_blackhole = true;
		} else if (!strcmp(v, "host-stall")) {
			f->host_stall = true;
		} else if (!strcmp(v, "icmp-blackhole")) {
			f->icmp_blackhole = true;
		} else if (!strcmp(v, "icmp-ratelimit")) {
			f->icmp_ratelimit = true;
		} else {
			err_set(err, "unknown fault '%s' (known: %s)", v,
				known_faults);
			rc = -1;
		}
	}
	g_strfreev(items);
	if (rc == 0 && f->corrupt_icmp && f->drop_reply) {
		/* one XDP program per tap */
		err_set(err, "bad fault 'corrupt-icmp,drop-reply=%d' (one of "
			"the two at a time)", f->drop_reply);
		rc = -1;
	}
	if (rc < 0)
		*f = before;	/* untouched on failure */
	return rc;
}

/* Whether f has anything for the nftables table. */
static bool fault_nft(const struct fault *f)
{
	return f->drop_pct || f->drop_frag || f->drop_over || f->n_vlan ||
	       f->corrupt_tcp || f->drop_mcast || f->drop_udp || f->drop_tftp;
}

bool fault_on_taps(const struct fault *f)
{
	return fault_nft(f) || f->corrupt_icmp || f->drop_reply;
}

/*
 * The match for a share of pct percent, or nothing for all of it: the
 * rule's own packet counter modulo 100 against pct values spread evenly
 * over 0..99 (for 20: 0, 5, 10 ... 95, every fifth packet).  Counted, not
 * drawn: "numgen random" left all ten of the ping case's pings after the
 * flood through 20% loss one run in nine (0.8^10), and its control found
 * nothing (CI, stop 14).  Spread evenly, any ceil(100 / pct) packets in a
 * row hold at least one that is dropped.
 */
static void share(GString *r, int pct)
{
	if (pct >= 100)
		return;
	g_string_append(r, "numgen inc mod 100 { ");
	for (int k = 0; k < pct; k++)
		g_string_append_printf(r, "%s%d", k ? ", " : "",
				       k * 100 / pct);
	g_string_append(r, " } ");
}

char *fault_rules(const struct fault *f, const char *table,
		  const char *const *taps)
{
	GString *r;
	int i;

	if (!fault_nft(f))
		return NULL;
	/* the table is replaced whole, so nothing older can linger */
	r = g_string_new(NULL);
	g_string_append_printf(r, "table netdev %s\ndelete table netdev %s\n"
			       "table netdev %s {\n", table, table, table);
	for (i = 0; taps && taps[i]; i++) {
		/*
		 * Egress of the tap: what the bridge sends toward the guest is
		 * changed before the capture sees it, so the pcap shows what
		 * really reached the guest's wire.
		 */
		g_string_append_printf(r, "  chain egress%d {\n"
			"    type filter hook egress device \"%s\" priority 0;\n",
			i, taps[i]);
		if (f->drop_pct) {
			g_string_append(r, "    ip protocol icmp ");
			share(r, f->drop_pct);
			g_string_append(r, "drop\n");
		}
		if (f->drop_frag)
			g_string_append(r, "    ip frag-off & 0x1fff != 0 "
					"drop\n");
		if (f->drop_over)
			g_string_append_printf(r, "    ip length > %d drop\n",
					       f->drop_over);
		for (int k = 0; k < f->n_vlan; k++)
			if (f->vlan[k].nic < 0 || f->vlan[k].nic == i)
				g_string_append_printf(r, "    vlan id %d vlan "
						       "id set %d\n",
						       f->vlan[k].from,
						       f->vlan[k].to);
		if (f->corrupt_tcp)
			g_string_append(r, "    meta l4proto tcp ip length > "
					"1000 @ih,0,8 set 0x55\n");
		if (f->drop_mcast)
			g_string_append(r, "    ether type 0x88b5 ether daddr "
					"& 01:00:00:00:00:00 == "
					"01:00:00:00:00:00 drop\n");
		g_string_append(r, "  }\n");
		if (!f->corrupt_tcp && !f->drop_tftp && !f->drop_udp)
			continue;
		/*
		 * Ingress of the tap: what the guest sent is changed after the
		 * capture saw it whole, so the host gets something else than
		 * the pcap shows.
		 */
		g_string_append_printf(r, "  chain ingress%d {\n"
			"    type filter hook ingress device \"%s\" "
			"priority 0;\n", i, taps[i]);
		if (f->corrupt_tcp)
			g_string_append(r, "    meta l4proto tcp ip length > "
					"1000 @ih,0,8 set 0x55\n");
		if (f->drop_tftp)
			g_string_append(r, "    meta l4proto udp udp dport 69 "
					"drop\n");
		/*
		 * Only datagrams over 256 bytes: iperf3's 4-byte UDP handshakes
		 * must get through, or iperf3 hangs instead of the stress
		 * case's cross-check seeing the loss.
		 */
		if (f->drop_udp) {
			g_string_append(r, "    ip protocol udp ip length "
					"> 256 ");
			share(r, f->drop_udp);
			g_string_append(r, "drop\n");
		}
		g_string_append(r, "  }\n");
	}
	g_string_append(r, "}\n");
	return g_string_free(r, FALSE);
}

static void describe(JsonArray *arr, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void describe(JsonArray *arr, const char *name, const char *fmt, ...)
{
	JsonObject *o = json_object_new();
	va_list ap;
	char *d;

	va_start(ap, fmt);
	d = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_object_set_string_member(o, "fault", name);
	json_object_set_string_member(o, "detail", d);
	json_array_add_object_element(arr, o);
	g_free(d);
}

void fault_describe(const struct fault *f, JsonArray *arr)
{
	if (f->drop_pct)
		describe(arr, "drop", "%d of every 100 ICMP packets toward the "
			 "guests, spread evenly, on their taps before the "
			 "capture", f->drop_pct);
	if (f->drop_frag)
		describe(arr, "drop-frag", "non-first IPv4 fragments toward "
			 "the guests, on their taps before the capture");
	if (f->drop_over)
		describe(arr, "drop-over", "IPv4 datagrams over %d bytes "
			 "toward the guests (an MTU clamp)", f->drop_over);
	for (int k = 0; k < f->n_vlan; k++) {
		if (f->vlan[k].nic < 0)
			describe(arr, "vlan-rewrite", "VLAN id %d rewritten to "
				 "%d toward the guests", f->vlan[k].from,
				 f->vlan[k].to);
		else
			describe(arr, "vlan-rewrite", "VLAN id %d rewritten to "
				 "%d toward NIC %d only (the point's NICs under "
				 "test in order, from 0)", f->vlan[k].from,
				 f->vlan[k].to, f->vlan[k].nic);
	}
	if (f->corrupt_tcp)
		describe(arr, "corrupt-tcp", "first payload byte of TCP "
			 "segments over 1000 bytes overwritten, both ways, on "
			 "the guests' taps");
	if (f->drop_mcast)
		describe(arr, "drop-mcast", "nicq's multicast test frames "
			 "toward the guests");
	if (f->drop_udp)
		describe(arr, "drop-udp", "%d of every 100 UDP datagrams over "
			 "256 bytes from the guests, spread evenly, after the "
			 "capture on their taps", f->drop_udp);
	if (f->drop_tftp)
		describe(arr, "drop-tftp", "TFTP requests (UDP to port 69) "
			 "from the guests, after the capture on their taps");
	if (f->corrupt_icmp)
		describe(arr, "corrupt-icmp", "ICMP echo replies from the "
			 "guests with at least %d payload bytes: payload bytes "
			 "%d-%d inverted, ICMP checksum corrected, on their taps "
			 "before the capture (XDP)", XDP_CORRUPT_OFF + 2,
			 XDP_CORRUPT_OFF, XDP_CORRUPT_OFF + 1);
	if (f->drop_reply)
		describe(arr, "drop-reply", "%d%% of ICMP echo replies from the "
			 "guests, on their taps before the capture (XDP)",
			 f->drop_reply);
	if (f->hang[0])
		describe(arr, "hang", "the %s case's process stops answering "
			 "(a control for the runner's deadline)", f->hang);
	if (f->s4_fresh_boot)
		describe(arr, "s4-fresh-boot", "the hibernation image on the "
			 "guest's swap disk is wiped before it starts again");
	if (f->mcast_allmulti)
		describe(arr, "mcast-allmulti", "the multicast case puts the "
			 "NIC in allmulticast mode before the frames come");
	if (f->vlan_promisc)
		describe(arr, "vlan-promisc", "the vlan case puts guest B's "
			 "NIC in promiscuous mode before phase 1 (the NIC's "
			 "VLAN filter goes off)");
	if (f->arp_flux)
		describe(arr, "arp-flux", "the multinic case leaves "
			 "arp_ignore and arp_announce at 0");
	if (f->reload_no_unload)
		describe(arr, "reload-no-unload", "the reload case's loop "
			 "skips modprobe -r: the driver stays bound and the "
			 "interface keeps its ifindex");
	if (f->bond_no_flap)
		describe(arr, "bond-no-flap", "the bonding case's guest loop "
			 "and host thread wait instead of taking the slaves' "
			 "links down and up, and its silent-failure phases cut "
			 "no path");
	if (f->lacp_bridge)
		describe(arr, "lacp-bridge", "the lacp case leaves link 1 to "
			 "its bridge, which drops LACPDUs, instead of wiring "
			 "it point to point");
	if (f->lacp_l2_hash)
		describe(arr, "lacp-l2-hash", "the lacp case's bonds hash "
			 "by MAC (xmit_hash_policy layer2): every flow between "
			 "the two guests takes one link");
	if (f->lacp_no_flap)
		describe(arr, "lacp-no-flap", "the lacp case waits instead "
			 "of taking link 0 down");
	if (f->udp_blackhole)
		describe(arr, "udp-blackhole", "the stress case drops a share "
			 "of the UDP toward a guest's iperf3 in that guest (A "
			 "from the host, B from A): every third datagram, by a "
			 "tc filter at its NIC's ingress no ledger counter "
			 "sees");
	if (f->host_stall)
		describe(arr, "host-stall", "the stress case's own iperf3 "
			 "stops reading for a second in every UDP stream "
			 "toward the host: the host's socket overflows");
	if (f->icmp_blackhole)
		describe(arr, "icmp-blackhole", "the ping case drops every "
			 "fifth ICMP echo request of its flood in the guest, "
			 "by a tc filter at its NIC's ingress no ledger "
			 "counter sees");
	if (f->icmp_ratelimit)
		describe(arr, "icmp-ratelimit", "the ping case has the "
			 "guest's kernel rate-limit its echo replies during "
			 "the flood (echo reply added to "
			 "net.ipv4.icmp_ratemask, icmp_ratelimit 1000 ms): "
			 "requests it took in go unanswered with no counter "
			 "of the ledger's moving");
}

int fault_check_taps(const struct fault *f, int n_taps, char *err)
{
	for (int k = 0; k < f->n_vlan; k++)
		if (f->vlan[k].nic >= n_taps) {
			err_set(err, "fault vlan-rewrite=%d:%d@%d: the point "
				"has %d NIC%s under test", f->vlan[k].from,
				f->vlan[k].to, f->vlan[k].nic, n_taps,
				n_taps == 1 ? "" : "s");
			return -1;
		}
	return 0;
}

int fault_apply(struct lab *lab, const char *script, const char *path,
		char *err)
{
	char *argv[] = { "nft", "-f", (char *)path, NULL };
	struct proc_result r;
	char e2[ERRLEN];

	if (file_write(path, script, strlen(script), e2) < 0) {
		err_set(err, "cannot inject fault: %s", e2);
		return -1;
	}
	if (lab_exec(lab, argv, 10000, &r, e2) < 0) {
		err_set(err, "cannot inject fault: %s", e2);
		return -1;
	}
	if (r.status != 0) {
		err_set(err, "cannot inject fault: nft: %s",
			g_strstrip(r.errout));
		proc_result_clear(&r);
		return -1;
	}
	proc_result_clear(&r);
	return 0;
}

void fault_remove(struct lab *lab, const char *table)
{
	char *argv[] = { "nft", "delete", "table", "netdev", (char *)table,
			 NULL };
	struct proc_result r;

	(void)lab;	/* nicq runs inside the lab's namespace */
	if (spawn_run_teardown(argv, 10000, &r, NULL) == 0)
		proc_result_clear(&r);
}

int fault_xdp_apply(const struct fault *f, const char *const *taps,
		    char *err)
{
	char e2[ERRLEN];
	int fd, rc = 0;

	if (!f->corrupt_icmp && !f->drop_reply)
		return 0;
	fd = xdp_load(f->corrupt_icmp ? XDP_CORRUPT_REPLY : XDP_DROP_REPLY,
		      f->drop_reply, e2);
	if (fd < 0) {
		err_set(err, "cannot inject fault: %s", e2);
		return -1;
	}
	for (int i = 0; taps && taps[i] && rc == 0; i++) {
		if (xdp_attach(taps[i], fd, e2) < 0) {
			err_set(err, "cannot inject fault: %s", e2);
			rc = -1;
		}
	}
	close(fd);
	return rc;
}

void fault_xdp_remove(const struct fault *f, const char *const *taps)
{
	if (!f->corrupt_icmp && !f->drop_reply)
		return;
	for (int i = 0; taps && taps[i]; i++)
		xdp_detach(taps[i], NULL);
}
