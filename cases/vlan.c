/*
 * vlan.c - Fedora vhost-net plan case 6: 802.1Q VLANs.
 *
 * Two guests of the cell's model share one segment.  Phase 1: guest A has
 * VLAN 10 (198.19.10.1), guest B VLAN 20 (198.19.10.2) - the same subnet,
 * so only the tags keep them apart: A's pings must all be lost, B must never
 * answer, and A's frames must carry VID 10.  Phase 2: B moves to VLAN 10
 * (198.19.11.2, A adds 198.19.11.1): A's pings must all come back.
 *
 * The captures on both taps decide: per VID, the ARP and echo frames of
 * each phase's address pair (harness/vlan.c).  Every test frame must be
 * tagged with the right VID on both taps, and none may travel untagged.
 * The host kernel has no 8021q; it does not need it: the lab's bridge
 * forwards tagged frames as they are.
 *
 * Adding a VLAN interface is judged, not taken for granted: with a NIC
 * that filters VLANs (e1000's VFTA, virtio's VIRTIO_NET_CTRL_VLAN) the
 * driver programs the VID when the interface is created.
 */
#include "case.h"
#include "util.h"
#include "vlan.h"

#include <glib.h>
#include <string.h>

#define VID_A 10
#define VID_B 20
#define P1_A "198.19.10.1"
#define P1_B "198.19.10.2"
#define P2_A "198.19.11.1"
#define P2_B "198.19.11.2"

static const char guest_name[] = { 'A', 'B' };

/*
 * Run cmd in guest g and judge that it exited 0 ("<what>: exit status").
 * false when it failed or could not be run (error recorded).
 */
static bool guest_step(struct case_ctx *ctx, int g, const char *cmd,
		       const char *what)
{
	struct proc_result r;
	bool ok;

	if (case_guest_run_on(ctx, g, cmd, 30000, &r) < 0)
		return false;
	ok = expect_eq(ctx, case_fmt(ctx, "guest %c: %s: exit status",
				     guest_name[g], what), 0, r.status,
		       case_last_cmd(ctx));
	if (!ok && r.errout && *g_strstrip(r.errout))
		observe_str(ctx, case_fmt(ctx, "guest %c: %s: stderr",
					  guest_name[g], what), "%s",
			    r.errout);
	proc_result_clear(&r);
	return ok;
}

/* Add VLAN vid with addr/24 on guest g's NIC. */
static bool add_vlan(struct case_ctx *ctx, int g, int vid, const char *addr)
{
	char *ifq = shq(ctx->nics[g].ifname);
	char *cmd = g_strdup_printf(
		"ip link add link %s name vl%d type vlan id %d && "
		"ip addr add %s/24 dev vl%d && ip link set vl%d up",
		ifq, vid, vid, addr, vid, vid);
	bool ok = guest_step(ctx, g, cmd,
			     case_fmt(ctx, "add VLAN %d with %s", vid, addr));

	g_free(cmd);
	g_free(ifq);
	return ok;
}

/*
 * A pings addr: ping's own summary (requests sent, replies received) for
 * the caller to judge; -1 (error recorded) when ping could not run or
 * printed no summary.
 */
static int ping_from_a(struct case_ctx *ctx, const char *addr, int count,
		       int *sent, int *received, const char **ev)
{
	char *cmd = g_strdup_printf("ping -c %d -i 0.2 -W 1 %s", count, addr);
	struct proc_result r;
	int errors, rc;

	rc = case_guest_run_on(ctx, 0, cmd, 30000 + count * 1000, &r);
	if (rc == 0) {
		ping_parse_summary(r.out, sent, received, &errors);
		*ev = case_last_cmd(ctx);
		if (*sent < 0) {
			case_error(ctx, "guest A's ping printed no summary "
				   "(%s)", *ev);
			rc = -1;
		}
	}
	proc_result_clear(&r);
	g_free(cmd);
	return rc;
}

/*
 * Judge one tap's capture for one phase (the scope is the phase).  Every
 * test frame tagged want_vid; phase 2 (want_echo): count requests and
 * count replies under it; phase 1: B never answers, and A's ARP requests
 * show on A's tap.
 */
static void judge(struct case_ctx *ctx, int tap, const char *a,
		  const char *b, int want_vid, bool want_echo, int count)
{
	const char *pcap = case_rel(ctx, ctx->nics[tap].pcap);
	char t = guest_name[tap];
	struct vlan_report *rep = NULL;
	const struct vlan_count *c;
	unsigned untagged = 0, other_vid = 0, replies = 0, arp_replies = 0;
	char err[ERRLEN];
	size_t i;

	if (vlan_analyze(ctx->nics[tap].pcap, a, b, &rep, err) < 0) {
		case_error(ctx, "%s", err);
		return;
	}
	for (i = 0; i < rep->n; i++) {
		c = &rep->counts[i];
		const char *under = c->vid < 0 ? "untagged" :
				    case_fmt(ctx, "VID %d", c->vid);

		observe(ctx, case_fmt(ctx, "tap %c: test frames %s", t, under),
			VAL_S(case_fmt(ctx, "%u frames: ARP %u requests %u "
				       "replies, echo %u requests %u replies, "
				       "%u other", c->frames, c->arp_requests,
				       c->arp_replies, c->echo_requests,
				       c->echo_replies, c->other)),
			NULL, pcap);
		if (c->vid < 0)
			untagged += c->frames;
		else if (c->vid != want_vid)
			other_vid += c->frames;
		replies += c->echo_replies;
		arp_replies += c->arp_replies;
	}
	expect_eq(ctx, case_fmt(ctx, "tap %c: untagged test frames", t), 0,
		  untagged, pcap);
	expect_eq(ctx, case_fmt(ctx, "tap %c: test frames tagged other than "
				"VID %d", t, want_vid), 0, other_vid, pcap);
	c = vlan_report_vid(rep, want_vid);
	if (want_echo) {
		expect_eq(ctx, case_fmt(ctx, "tap %c: echo requests tagged %d",
					t, want_vid), count,
			  c ? c->echo_requests : 0, pcap);
		expect_eq(ctx, case_fmt(ctx, "tap %c: echo replies tagged %d",
					t, want_vid), count,
			  c ? c->echo_replies : 0, pcap);
	} else {
		/* B must not answer across VLANs, under any tag */
		expect_eq(ctx, case_fmt(ctx, "tap %c: echo replies (any VID)",
					t), 0, replies, pcap);
		expect_eq(ctx, case_fmt(ctx, "tap %c: ARP replies (any VID)",
					t), 0, arp_replies, pcap);
		if (tap == 0)
			expect_cmp(ctx, case_fmt(ctx, "tap A: ARP requests "
						 "tagged %d", want_vid),
				   CMP_GE, 1, c ? c->arp_requests : 0, pcap);
	}
	vlan_report_free(rep);
}

static void vlan_run(struct case_ctx *ctx)
{
	int count = case_param(ctx, &param_after_count);
	int sent1 = -1, got1 = -1, sent2 = -1, got2 = -1;
	const char *ev1 = NULL, *ev2 = NULL;

	case_phase(ctx, "phase 1");
	case_scope(ctx, "phase 1");
	if (!add_vlan(ctx, 0, VID_A, P1_A) || !add_vlan(ctx, 1, VID_B, P1_B))
		return;
	if (ping_from_a(ctx, P1_B, count, &sent1, &got1, &ev1) < 0)
		return;

	/* phase 2: B moves to VLAN 10 on a fresh subnet */
	case_phase(ctx, "phase 2");
	case_scope(ctx, "phase 2");
	if (!guest_step(ctx, 1, case_fmt(ctx, "ip link del vl%d", VID_B),
			case_fmt(ctx, "remove VLAN %d", VID_B)) ||
	    !add_vlan(ctx, 1, VID_A, P2_B) ||
	    !guest_step(ctx, 0, case_fmt(ctx, "ip addr add %s/24 dev vl%d",
					  P2_A, VID_A),
			case_fmt(ctx, "add %s to VLAN %d", P2_A, VID_A)))
		return;
	if (ping_from_a(ctx, P2_B, count, &sent2, &got2, &ev2) < 0)
		return;
	case_captures_stop(ctx);

	case_phase(ctx, "judge");
	case_scope(ctx, "phase 1");
	expect_eq(ctx, "A's ping to B: echo requests sent",
		  count, sent1, ev1);
	expect_eq(ctx, case_fmt(ctx, "A's ping to B across VLANs %d and %d: "
				"replies", VID_A, VID_B), 0, got1, ev1);
	judge(ctx, 0, P1_A, P1_B, VID_A, false, count);
	judge(ctx, 1, P1_A, P1_B, VID_A, false, count);
	case_scope(ctx, "phase 2");
	expect_eq(ctx, "A's ping to B: echo requests sent", count, sent2, ev2);
	expect_eq(ctx, case_fmt(ctx, "A's ping to B on VLAN %d: replies",
				VID_A), count, got2, ev2);
	judge(ctx, 0, P2_A, P2_B, VID_A, true, count);
	judge(ctx, 1, P2_A, P2_B, VID_A, true, count);
	case_scope(ctx, NULL);
}

/*
 * Two guest pings 0.2 s apart and six guest commands (quick: 9-16 s
 * measured); about 3x that.
 */
static int vlan_deadline(const struct profile *p)
{
	return 3 * (2 * (prof_int(p, &param_after_count) / 5 + 2) + 10);
}

static const struct param *const vlan_params[] = {
	&param_after_count, NULL,
};

static const struct topology vlan_topo = {
	.n_segments = 1,
	.n_guests = 2,
	.guests = {
		{ .n_nics = 1, .nics = { { MODEL_OF_CELL, 0, 0 } } },
		{ .n_nics = 1, .nics = { { MODEL_OF_CELL, 0, 0 } } },
	},
};

const struct case_desc case_vlan = {
	.name = "vlan",
	.summary = "two guests: VLAN 10 vs 20 fully isolated, both on 10 "
		   "reach each other; every test frame tagged right on both taps",
	.plan_case = 6,
	.plan = "802.1q VLAN",
	.capture_snaplen = 128,
	.topo = &vlan_topo,
	.params = vlan_params,
	.deadline_s = vlan_deadline,
	.controls = {
		{ "vlan-rewrite=10:30", "rtl8139",
		  "phase *: tap B: test frames tagged other than VID 10" },
	},
	.run = vlan_run,
};
