/*
 * multinic.c - Fedora vhost-net plan case 12: several NICs in one guest.
 *
 * One guest carries one NIC of each model, rtl8139 + e1000 + virtio, each on
 * its own segment (own bridge, own /24), each at its model's largest MTU
 * that the 9000-byte segments carry (rtl8139: 4096, 8139cp's max_mtu; the
 * others 9000).  ARP is set up as the plan says so each address answers
 * only on its own NIC (arp_ignore=1, arp_announce=2).  The host flood-pings
 * all three at once for the profile's duration at each NIC's largest size;
 * afterwards `ping -c` at 64 bytes, 1472 bytes and the largest size must lose
 * nothing on any NIC, and each NIC's capture must carry its own traffic
 * only (no echo of another NIC's address pair on its tap).
 *
 * The guest already has every model, so the case runs once per vhost
 * setting: in the virtio cells, where the virtio NIC takes the cell's vhost
 * setting.  The rtl8139 and e1000 cells report it as a SKIP saying so.
 */
#include "case.h"
#include "echo.h"
#include "util.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define SEGMENT_MTU 9000
#define N 3

static const int mtu_of[N] = { 4096, SEGMENT_MTU, SEGMENT_MTU };
static const int after_sizes[] = { 64, 1472, 0 /* largest */ };

static enum verdict multinic_run(struct case_ctx *ctx)
{
	const struct profile *p = ctx->prof;
	uint16_t base = (uint16_t)g_random_int_range(1, 0xf000);
	GString *cmd = g_string_new(NULL);
	struct proc_result r;
	char *argv[] = { "sh", "-c", NULL, NULL };
	int i, j, k;

	/* ARP: each address answers on its own NIC only */
	if (case_guest_run(ctx, "for f in /proc/sys/net/ipv4/conf/*/arp_ignore; "
			   "do echo 1 > $f; done; for f in "
			   "/proc/sys/net/ipv4/conf/*/arp_announce; do echo 2 "
			   "> $f; done", 10000, &r) == 0 && r.status != 0)
		case_fail(ctx, "cannot set arp_ignore/arp_announce");
	proc_result_clear(&r);

	diag_map(ctx->diag, "expected");
	for (i = 0; i < N; i++)
		diag_str(ctx->diag, nic_model_libvirt(ctx->nics[i].model),
			 "MTU %d; after the flood 0%% loss at 64, 1472 and %d "
			 "bytes; only its own traffic on %s", mtu_of[i],
			 mtu_of[i] - 28, ctx->nics[i].tap);
	diag_end(ctx->diag);

	/* every NIC's link up and answering before the flood starts */
	for (i = 0; i < N; i++)
		if (case_wait_answer(ctx, &ctx->nics[i], 20) < 0)
			goto judge;

	/* flood all three at once (values are nicq's own addresses) */
	for (i = 0; i < N; i++)
		g_string_append_printf(cmd, "ping -n -q -M do -f -e %u -s %d "
				       "-w %d %s & ", base + i, mtu_of[i] - 28,
				       p->flood_seconds, ctx->nics[i].ip);
	g_string_append(cmd, "wait");
	argv[2] = cmd->str;
	case_host_run(ctx, argv, (p->flood_seconds + 30) * 1000, &r);
	proc_result_clear(&r);

	/* then a short ping at each size on each NIC, all NICs at once */
	for (k = 0; k < (int)G_N_ELEMENTS(after_sizes); k++) {
		g_string_truncate(cmd, 0);
		for (i = 0; i < N; i++) {
			int size = after_sizes[k] ? after_sizes[k] :
				   mtu_of[i] - 28;

			g_string_append_printf(cmd, "ping -n -q -M do -c %d -i "
					       "0.2 -W 3 -e %u -s %d %s & ",
					       p->after_count,
					       base + N * (k + 1) + i, size,
					       ctx->nics[i].ip);
		}
		g_string_append(cmd, "wait");
		argv[2] = cmd->str;
		case_host_run(ctx, argv, (p->after_count + 30) * 1000, &r);
		proc_result_clear(&r);
	}
judge:
	case_captures_stop(ctx);

	diag_map(ctx->diag, "measured");
	for (i = 0; i < N; i++) {
		struct echo_report *rep = NULL;
		char err[ERRLEN];
		const struct echo_flow *f;

		diag_map(ctx->diag, nic_model_libvirt(ctx->nics[i].model));
		if (echo_analyze(ctx->nics[i].pcap, ctx->nics[i].host_ip,
				 ctx->nics[i].ip, &rep, err) < 0) {
			case_fail(ctx, "%s", err);
			diag_end(ctx->diag);
			continue;
		}
		f = echo_report_flow(rep, (uint16_t)(base + i));
		diag_str(ctx->diag, "flood", "%u requests %u replies",
			 f ? f->requests : 0, f ? f->replies : 0);
		if (!f || f->requests == 0)
			case_fail(ctx, "%s: no flood traffic on its tap",
				  nic_model_libvirt(ctx->nics[i].model));
		for (k = 0; k < (int)G_N_ELEMENTS(after_sizes); k++) {
			int size = after_sizes[k] ? after_sizes[k] :
				   mtu_of[i] - 28;

			f = echo_report_flow(rep,
					     (uint16_t)(base + N * (k + 1) + i));
			diag_str(ctx->diag, k == 0 ? "after_64" : k == 1 ? "after_1472" : "after_max",
				 "size %d: %u requests %u replies", size,
				 f ? f->requests : 0, f ? f->replies : 0);
			if (!f || f->replies != (unsigned)p->after_count)
				case_fail(ctx, "%s: size %d after the flood: "
					  "%u of %d replies on its tap",
					  nic_model_libvirt(ctx->nics[i].model), size,
					  f ? f->replies : 0, p->after_count);
		}
		echo_report_free(rep);
		/* nobody else's echo traffic on this tap */
		for (j = 0; j < N; j++) {
			if (j == i)
				continue;
			if (echo_analyze(ctx->nics[i].pcap,
					 ctx->nics[j].host_ip, ctx->nics[j].ip,
					 &rep, err) < 0)
				continue;
			if (rep->n_flows)
				case_fail(ctx, "%s's tap %s carried %zu echo "
					  "flows of %s's address %s",
					  nic_model_libvirt(ctx->nics[i].model),
					  ctx->nics[i].tap, rep->n_flows,
					  nic_model_libvirt(ctx->nics[j].model),
					  ctx->nics[j].ip);
			echo_report_free(rep);
		}
		diag_end(ctx->diag);
	}
	diag_end(ctx->diag);
	g_string_free(cmd, TRUE);
	return ctx->why->len ? V_FAIL : V_PASS;
}

static const struct topology multinic_topo = {
	.n_segments = 3,
	.segment_mtu = { SEGMENT_MTU, SEGMENT_MTU, SEGMENT_MTU },
	.n_guests = 1,
	.guests = { { .n_nics = 3, .nics = {
		{ NIC_RTL8139, 0, 4096 },
		{ NIC_E1000, 1, SEGMENT_MTU },
		{ NIC_VIRTIO, 2, SEGMENT_MTU },
	} } },
};

static const int multinic_model = NIC_VIRTIO;

const struct case_desc case_multinic = {
	.name = "multinic",
	.summary = "one guest with rtl8139 + e1000 + virtio on three segments "
		   "at their largest MTUs, flooded at once; each NIC carries "
		   "only its own traffic",
	.plan = "Fedora vhost-net test plan, case 12 (multiple NICs)",
	.capture_snaplen = 128,
	.topo = &multinic_topo,
	.only_model = &multinic_model,
	.skip_reason = "multinic runs once per vhost setting, in the virtio "
		       "cells (its guest carries all three models)",
	.run = multinic_run,
};
