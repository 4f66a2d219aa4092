/*
 * fault.h - faults injected for negative controls (--inject).
 *
 * Most act on the taps of the NICs under test through an nftables netdev
 * table in the lab's namespace: egress rules change what reaches the guest
 * before the capture sees it (the pcap shows what the guest's wire
 * carried); ingress rules change what the host gets after the capture saw
 * it.  What the guest sends can be changed before the capture sees it only
 * by XDP (xdp.h says why): corrupt-icmp and drop-reply are XDP programs on
 * the taps, so the pcap shows a guest that answered wrongly or not at all.
 * s4-fresh-boot, mcast-allmulti, vlan-promisc, arp-flux, reload-no-unload,
 * bond-no-flap, lacp-bridge, lacp-l2-hash, lacp-no-flap, udp-blackhole,
 * host-stall, icmp-blackhole and icmp-ratelimit are not on the taps: the
 * case they name acts on them (suspend, multicast, vlan, multinic, reload,
 * bonding, lacp, stress, ping), and
 * every other case ignores them.
 *
 * Calling sequence, per test point: fault_rules() gives the table's text
 * for the point's taps (pure, unit-tested), fault_apply() loads it,
 * fault_remove() deletes it (idempotent; also run by the parent after a
 * case that was killed).
 */
#ifndef NICQ_FAULT_H
#define NICQ_FAULT_H

#include <stdbool.h>
#include <json-glib/json-glib.h>

struct lab;

#define FAULT_MAX_VLAN 4

/*
 * One VLAN id rewrite toward the guests (on the taps' egress, before the
 * capture): from -> to, on every tap (nic -1) or only on the tap of the
 * NIC under test with index nic (the point's NICs under test in order,
 * management NICs not counted: 0 is the first guest's first NIC).
 */
struct fault_vlan {
	int from, to;
	int nic;
};

struct fault {
	int drop_pct;		/* drop this share of ICMP toward the guest */
	bool drop_frag;		/* drop non-first IPv4 fragments toward it */
	int drop_over;		/* drop IPv4 datagrams longer than this
				 * toward it (an MTU clamp); 0: none */
	int n_vlan;		/* VLAN id rewrites (vlan-rewrite=F:T[@N]) */
	struct fault_vlan vlan[FAULT_MAX_VLAN];
	bool corrupt_tcp;	/* overwrite the first payload byte of large
				 * TCP segments, both directions */
	bool drop_mcast;	/* drop nicq's test frames (ethertype 0x88b5)
				 * with the group bit set toward it */
	int drop_udp;		/* drop this share of UDP from the guest,
				 * after the capture saw it (stress) */
	bool s4_fresh_boot;	/* not on the taps: the suspend case wipes
				 * the hibernation image on the guest's swap
				 * disk before it starts the guest again, so
				 * the guest boots fresh instead of resuming */
	bool drop_tftp;		/* drop TFTP requests (UDP to port 69) from
				 * it, after the capture saw them */
	bool corrupt_icmp;	/* invert a payload word of ICMP echo replies
				 * from it, checksum corrected, before the
				 * capture sees them (XDP) */
	int drop_reply;		/* drop this share of ICMP echo replies from
				 * it before the capture sees them (XDP) */
	bool mcast_allmulti;	/* not on the taps: the multicast case puts
				 * the NIC in allmulticast mode before the
				 * frames come, so its filter lets every
				 * group through */
	bool vlan_promisc;	/* not on the taps: the vlan case puts guest
				 * B's NIC in promiscuous mode before phase
				 * 1, which turns the NIC's VLAN filter off */
	bool arp_flux;		/* not on the taps: the multinic case leaves
				 * arp_ignore and arp_announce at the
				 * kernel's defaults (0) */
	bool reload_no_unload;	/* not on the taps: the reload case's loop
				 * skips `modprobe -r`, so the driver stays
				 * bound and the interface keeps its
				 * ifindex */
	bool bond_no_flap;	/* not on the taps: the bonding case's
				 * guest loop and host thread only wait
				 * instead of taking the slaves' links down
				 * and up, and its silent-failure phases
				 * cut no path */
	bool lacp_bridge;	/* not on the taps: the lacp case leaves
				 * link 1 to its bridge, which drops
				 * LACPDUs, instead of wiring it point to
				 * point */
	bool lacp_l2_hash;	/* not on the taps: the lacp case's bonds
				 * hash by MAC (xmit_hash_policy layer2):
				 * all flows between two guests on one
				 * link */
	bool lacp_no_flap;	/* not on the taps: the lacp case only waits
				 * where it would take link 0 down */
	bool udp_blackhole;	/* not on the taps: the stress case drops a
				 * share of the UDP toward the guest's iperf3
				 * in the guest, where no counter of the loss
				 * ledger sees it (a blackhole policy rule,
				 * switched on and off) */
	bool host_stall;	/* not on the taps: the stress case's own
				 * iperf3 is stopped (SIGSTOP) for a second
				 * in every UDP stream toward the host, so
				 * the host's socket overflows: the control
				 * for "loss in the host" (and its retry) */
	bool icmp_blackhole;	/* not on the taps: the ping case drops
				 * every fifth echo request of its flood in
				 * the guest (tc at the NIC's ingress), where
				 * no ledger counter sees it: silent loss
				 * between the tap and the guest's kernel */
	bool icmp_ratelimit;	/* not on the taps: the ping case has the
				 * guest's kernel rate-limit its echo
				 * replies during the flood, which no
				 * ledger counter sees: silent loss between
				 * the echo requests the kernel took in and
				 * the replies it sent */
	char hang[32];		/* a control for the runner, not the NIC:
				 * this case's process stops answering, so
				 * its deadline must end it */
};

/*
 * Parse --inject "a,b=c" into f (added to what is there; vlan-rewrite may
 * be given several times, up to FAULT_MAX_VLAN, as long as no two rewrite
 * the same id toward the same tap and none rewrites toward a tap into an
 * id another rewrites there).  -1 with err.
 */
int fault_parse(const char *s, struct fault *f, char *err);

/*
 * Whether f fits a point with n_taps NICs under test: -1 with err when a
 * vlan-rewrite names a NIC the point does not have (it would silently
 * change nothing).
 */
int fault_check_taps(const struct fault *f, int n_taps, char *err);

/* Whether f has anything for the taps. */
bool fault_on_taps(const struct fault *f);

/*
 * The nft script for table `table` on taps (NULL-terminated): it replaces
 * the table whole.  NULL when f has nothing for the taps.  g_free().
 */
char *fault_rules(const struct fault *f, const char *table,
		  const char *const *taps);

/*
 * What f does, one JSON object per fault ({"fault": "drop", "detail":
 * "..."}), for the point's "faults" section.  Adds to arr.
 */
void fault_describe(const struct fault *f, JsonArray *arr);

/*
 * Load script (from fault_rules) with `nft -f` inside the lab's namespace,
 * keeping it as path.  -1 with err.
 */
int fault_apply(struct lab *lab, const char *script, const char *path,
		char *err);

/* Delete the table (missing is fine).  Bounded, not cut short by signals. */
void fault_remove(struct lab *lab, const char *table);

/*
 * The XDP part of f (corrupt-icmp, drop-reply) on taps (NULL-terminated),
 * in nicq's network namespace (the lab's).  0 when f has none; -1 with
 * err.  fault_xdp_remove() takes it off again (best effort: a tap that is
 * gone took its program along).
 */
int fault_xdp_apply(const struct fault *f, const char *const *taps,
		    char *err);
void fault_xdp_remove(const struct fault *f, const char *const *taps);

#endif
