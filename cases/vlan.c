/*
 * vlan.c - Fedora vhost-net plan case 6: 802.1Q VLANs.
 *
 * Two guests of the cell's model share one segment.  Phase 1: guest A has
 * VLAN 10 (198.19.10.1), guest B VLAN 20 (198.19.10.2) — the same subnet,
 * so only the tags keep them apart: A's pings must all be lost, B must never
 * answer, and A's frames must carry VID 10.  Phase 2: B moves to VLAN 10
 * (198.19.11.2, A adds 198.19.11.1): A's pings must all come back.
 *
 * The captures on both taps decide: per VID, the ARP and echo frames of
 * each phase's address pair (harness/vlan.c).  Every test frame must be
 * tagged with the right VID on both taps, and none may travel untagged.
 * The host kernel has no 8021q; it does not need it: the lab's bridge
 * forwards tagged frames as they are.
 */
#include "case.h"
#include "util.h"
#include "vlan.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VID_A 10
#define VID_B 20
#define P1_A "198.19.10.1"
#define P1_B "198.19.10.2"
#define P2_A "198.19.11.1"
#define P2_B "198.19.11.2"

static int guest_sh(struct case_ctx *ctx, int g, const char *cmd,
		    struct proc_result *r)
{
	if (case_guest_run_on(ctx, g, cmd, 30000, r) < 0)
		return -1;
	return r->status;
}

/* add VLAN vid with addr/24 on guest g's NIC */
static int add_vlan(struct case_ctx *ctx, int g, int vid, const char *addr)
{
	char *ifq = shq(ctx->nics[g].ifname);
	char *cmd = g_strdup_printf(
		"ip link add link %s name vl%d type vlan id %d && "
		"ip addr add %s/24 dev vl%d && ip link set vl%d up",
		ifq, vid, vid, addr, vid, vid);
	struct proc_result r;
	int st = guest_sh(ctx, g, cmd, &r);

	if (st != 0)
		case_fail(ctx, "guest %c: cannot add VLAN %d: %s", 'A' + g, vid,
			  r.errout ? g_strstrip(r.errout) : "ssh failed");
	proc_result_clear(&r);
	g_free(cmd);
	g_free(ifq);
	return st;
}

/* A pings addr: returns replies ping counted, -1 when it could not run */
static int ping_from_a(struct case_ctx *ctx, const char *addr, int count)
{
	char *cmd = g_strdup_printf("ping -c %d -i 0.2 -W 1 %s", count, addr);
	struct proc_result r;
	int got = -1;

	if (guest_sh(ctx, 0, cmd, &r) >= 0) {
		const char *p = strstr(r.out, "packets transmitted, ");

		got = p ? atoi(p + strlen("packets transmitted, ")) : 0;
	}
	proc_result_clear(&r);
	g_free(cmd);
	return got;
}

/* Judge one tap's capture for one phase. */
static void judge(struct case_ctx *ctx, int tap, const char *a,
		  const char *b, int want_vid, bool want_echo, int count,
		  const char *phase)
{
	struct vlan_report *rep = NULL;
	const struct vlan_count *c;
	char err[ERRLEN];
	size_t i;

	if (vlan_analyze(ctx->nics[tap].pcap, a, b, &rep, err) < 0) {
		case_fail(ctx, "%s", err);
		return;
	}
	diag_list(ctx->diag, g_str_has_prefix(phase, "phase1") ?
		  (tap ? "phase1_tap_b" : "phase1_tap_a") :
		  (tap ? "phase2_tap_b" : "phase2_tap_a"));
	for (i = 0; i < rep->n; i++) {
		c = &rep->counts[i];
		diag_str(ctx->diag, NULL, "%s: vid %d: %u frames, ARP %u/%u, "
			 "echo %u/%u", phase, c->vid, c->frames,
			 c->arp_requests, c->arp_replies, c->echo_requests,
			 c->echo_replies);
		if (c->vid < 0)
			case_fail(ctx, "%s: %u test frames untagged on %s's "
				  "tap", phase, c->frames, tap ? "B" : "A");
		else if (c->vid != want_vid)
			case_fail(ctx, "%s: %u test frames on %s's tap with "
				  "VID %d, expected %d", phase, c->frames,
				  tap ? "B" : "A", c->vid, want_vid);
	}
	diag_end(ctx->diag);
	c = vlan_report_vid(rep, want_vid);
	if (want_echo) {
		if (!c || c->echo_requests != (unsigned)count ||
		    c->echo_replies != (unsigned)count)
			case_fail(ctx, "%s: %s's tap carried %u requests and "
				  "%u replies tagged %d, expected %d each",
				  phase, tap ? "B" : "A",
				  c ? c->echo_requests : 0,
				  c ? c->echo_replies : 0, want_vid, count);
	} else {
		unsigned replies = 0, arp_replies = 0;

		for (i = 0; i < rep->n; i++) {
			replies += rep->counts[i].echo_replies;
			arp_replies += rep->counts[i].arp_replies;
		}
		if (replies || arp_replies)
			case_fail(ctx, "%s: B answered across VLANs (%u echo "
				  "replies, %u ARP replies on %s's tap)", phase,
				  replies, arp_replies, tap ? "B" : "A");
		if (tap == 0 && (!c || c->arp_requests == 0))
			case_fail(ctx, "%s: A's ARP requests tagged %d never "
				  "showed on its tap", phase, want_vid);
	}
	vlan_report_free(rep);
}

static enum verdict vlan_run(struct case_ctx *ctx)
{
	int count = ctx->prof->after_count, got1, got2;
	struct proc_result r;

	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "phase1", "A on VLAN %d, B on VLAN %d: 100%% "
		 "loss, B never answers, A's frames tagged %d", VID_A, VID_B,
		 VID_A);
	diag_str(ctx->diag, "phase2", "both on VLAN %d: 0%% loss, every test "
		 "frame tagged %d on both taps, none untagged", VID_A, VID_A);
	diag_end(ctx->diag);

	if (add_vlan(ctx, 0, VID_A, P1_A) != 0 ||
	    add_vlan(ctx, 1, VID_B, P1_B) != 0)
		return V_FAIL;
	got1 = ping_from_a(ctx, P1_B, count);

	/* phase 2: B moves to VLAN 10 on a fresh subnet */
	if (guest_sh(ctx, 1, "ip link del vl20", &r) != 0)
		case_fail(ctx, "guest B: cannot remove VLAN %d", VID_B);
	proc_result_clear(&r);
	if (add_vlan(ctx, 1, VID_A, P2_B) != 0)
		return V_FAIL;
	if (guest_sh(ctx, 0, "ip addr add " P2_A "/24 dev vl10", &r) != 0)
		case_fail(ctx, "guest A: cannot add %s", P2_A);
	proc_result_clear(&r);
	got2 = ping_from_a(ctx, P2_B, count);
	case_captures_stop(ctx);

	diag_map(ctx->diag, "measured");
	diag_str(ctx->diag, "phase1_ping", "%d of %d replies", got1, count);
	diag_str(ctx->diag, "phase2_ping", "%d of %d replies", got2, count);
	if (got1 != 0)
		case_fail(ctx, "phase 1: A on VLAN %d reached B on VLAN %d "
			  "(%d replies)", VID_A, VID_B, got1);
	if (got2 != count)
		case_fail(ctx, "phase 2: %d of %d replies on VLAN %d", got2,
			  count, VID_A);
	judge(ctx, 0, P1_A, P1_B, VID_A, false, count, "phase1");
	judge(ctx, 1, P1_A, P1_B, VID_A, false, count, "phase1");
	judge(ctx, 0, P2_A, P2_B, VID_A, true, count, "phase2");
	judge(ctx, 1, P2_A, P2_B, VID_A, true, count, "phase2");
	diag_end(ctx->diag);
	return ctx->why->len ? V_FAIL : V_PASS;
}

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
	.plan = "Fedora vhost-net test plan, case 6 (802.1q VLAN)",
	.capture_snaplen = 128,
	.topo = &vlan_topo,
	.run = vlan_run,
};
