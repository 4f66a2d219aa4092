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
#include <string.h>

#define SEGMENT_MTU 9000
#define N 3
/* IPv4 header + ICMP header */
#define IP_ICMP_HDR 28

static const int after_sizes[] = { 64, 1472, 0 /* largest */ };
#define N_AFTER ((int)G_N_ELEMENTS(after_sizes))

/* NIC i's MTU (the topology's) and the echo payload that fills it. */
static int largest(const struct case_ctx *ctx, int i)
{
	return ctx->nics[i].mtu - IP_ICMP_HDR;
}

static int after_size(const struct case_ctx *ctx, int i, int k)
{
	return after_sizes[k] ? after_sizes[k] : largest(ctx, i);
}

/* ICMP identifiers: the flood is step 0, after_sizes[k] step k + 1. */
static uint16_t ident(uint16_t base, int step, int i)
{
	return (uint16_t)(base + N * step + i);
}

/*
 * Ping all three NICs at once from the host, DF set, one `ping` per NIC
 * with its own identifier (count 0: a flood of flood_s seconds).  The
 * addresses and numbers are nicq's own.  -1 when it could not be started.
 */
static int ping_all(struct case_ctx *ctx, uint16_t base, int step, int count,
		    int flood_s)
{
	GString *script = g_string_new(NULL);
	char *argv[] = { "sh", "-c", NULL, NULL };
	struct proc_result r;
	int i, rc;

	for (i = 0; i < N; i++) {
		int size = step ? after_size(ctx, i, step - 1) : largest(ctx, i);

		g_string_append_printf(script, "ping -n -q -M do -e %u -s %d ",
				       ident(base, step, i), size);
		if (count)
			g_string_append_printf(script, "-c %d -i 0.2 -W 3 ",
					       count);
		else
			g_string_append_printf(script, "-f -w %d ", flood_s);
		g_string_append_printf(script, "%s & ", ctx->nics[i].ip);
	}
	g_string_append(script, "wait");
	argv[2] = script->str;
	rc = case_host_run(ctx, argv, ((count ? count : flood_s) + 30) * 1000,
			   &r);
	proc_result_clear(&r);
	g_string_free(script, TRUE);
	return rc;
}

/* Judge NIC i's capture. */
static void judge_nic(struct case_ctx *ctx, int i, uint16_t base,
		      const char *const *evidence)
{
	const struct nic_under_test *nic = &ctx->nics[i];
	const char *model = model_name(nic->model);
	const char *pcap = case_rel(ctx, nic->pcap), *ev;
	int count = case_param(ctx, &param_after_count);
	struct echo_report *rep = NULL;
	const struct echo_flow *f;
	char err[ERRLEN];
	int j, k;

	if (echo_analyze(nic->pcap, nic->host_ip, nic->ip, &rep, err) < 0) {
		case_error(ctx, "%s", err);
		return;
	}
	case_scope(ctx, "%s flood size %d", model, largest(ctx, i));
	f = echo_report_flow(rep, ident(base, 0, i));
	ev = case_fmt(ctx, "%s (ICMP id %u); %s", pcap, ident(base, 0, i),
		      evidence[0]);
	expect_cmp(ctx, "echo requests on the wire", CMP_GE, 1,
		   f ? f->requests : 0, ev);
	observe(ctx, "echo replies on the wire", VAL_I(f ? f->replies : 0),
		NULL, ev);
	for (k = 0; k < N_AFTER; k++) {
		uint16_t id = ident(base, k + 1, i);

		case_scope(ctx, "%s size %d after the flood", model,
			   after_size(ctx, i, k));
		f = echo_report_flow(rep, id);
		ev = case_fmt(ctx, "%s (ICMP id %u); %s", pcap, id,
			      evidence[k + 1]);
		observe(ctx, "echo requests on the wire",
			VAL_I(f ? f->requests : 0), NULL, ev);
		expect_eq(ctx, "echo replies on the wire", count,
			  f ? f->replies : 0, ev);
	}
	echo_report_free(rep);

	/* nobody else's echo traffic on this tap */
	case_scope(ctx, "%s", model);
	for (j = 0; j < N; j++) {
		if (j == i)
			continue;
		if (echo_analyze(nic->pcap, ctx->nics[j].host_ip,
				 ctx->nics[j].ip, &rep, err) < 0) {
			case_error(ctx, "%s", err);
			continue;
		}
		expect_eq(ctx, case_fmt(ctx, "echo flows of %s's addresses "
					"on its tap",
					model_name(ctx->nics[j].model)),
			  0, (long long)rep->n_flows, pcap);
		echo_report_free(rep);
	}
	case_scope(ctx, NULL);
}

static void multinic_run(struct case_ctx *ctx)
{
	int count = case_param(ctx, &param_after_count);
	int flood_s = case_param(ctx, &param_flood_seconds);
	uint16_t base = (uint16_t)g_random_int_range(1, 0xf000);
	const char *evidence[1 + N_AFTER];
	struct proc_result r;
	int i, k;

	for (i = 0; i < N; i++)
		observe_str(ctx, case_fmt(ctx, "%s NIC", model_name(
					 ctx->nics[i].model)), "MTU %d, tap %s, guest %s", ctx->nics[i].mtu,
			    ctx->nics[i].tap, ctx->nics[i].ip);

	/* ARP: each address answers on its own NIC only */
	case_phase(ctx, "arp set-up");
	if (case_guest_run(ctx, "for f in /proc/sys/net/ipv4/conf/*/arp_ignore; "
			   "do echo 1 > $f; done; for f in "
			   "/proc/sys/net/ipv4/conf/*/arp_announce; do echo 2 "
			   "> $f; done", 10000, &r) < 0)
		return;
	if (r.status != 0) {
		case_error(ctx, "cannot set arp_ignore/arp_announce (%s)",
			   case_last_cmd(ctx));
		proc_result_clear(&r);
		return;
	}
	proc_result_clear(&r);

	/* every NIC's link up and answering before the flood starts */
	case_phase(ctx, "wait for the NICs");
	for (i = 0; i < N; i++)
		if (!case_wait_answer(ctx, &ctx->nics[i], 20))
			return;

	/* flood all three at once, then a short ping at each size */
	case_phase(ctx, "flood");
	if (ping_all(ctx, base, 0, 0, flood_s) < 0)
		return;
	evidence[0] = case_last_cmd(ctx);
	case_phase(ctx, "after the flood");
	for (k = 0; k < N_AFTER; k++) {
		if (ping_all(ctx, base, k + 1, count, 0) < 0)
			return;
		evidence[k + 1] = case_last_cmd(ctx);
	}
	case_captures_stop(ctx);

	case_phase(ctx, "judge");
	for (i = 0; i < N; i++)
		judge_nic(ctx, i, base, evidence);
}

/*
 * The flood and three rounds of counted pings 0.2 s apart, all NICs at
 * once, and the NICs' link-up (quick: 11 s measured); about 3x that.
 */
static int multinic_deadline(const struct profile *p)
{
	int count = prof_int(p, &param_after_count);

	return 3 * (prof_int(p, &param_flood_seconds) +
		    N_AFTER * (count / 5 + 1) + 5);
}

static const struct param *const multinic_params[] = {
	&param_after_count, &param_flood_seconds, NULL,
};

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
	.plan_case = 12,
	.plan = "multiple NICs",
	.capture_snaplen = 128,
	.topo = &multinic_topo,
	.only_model = &multinic_model,
	.skip_reason = "multinic runs once per vhost setting, in the virtio "
		       "cells (its guest carries all three models)",
	.params = multinic_params,
	.deadline_s = multinic_deadline,
	.controls = {
		{ "drop-over=1600", "virtio",
		  "* size 8972 after the flood: echo replies on the wire" },
	},
	.run = multinic_run,
};
