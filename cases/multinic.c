/*
 * multinic.c - Fedora vhost-net plan case 12: several NICs in one guest.
 *
 * One guest carries one NIC of each model, rtl8139 + e1000 + virtio, all
 * three on ONE segment (one bridge, one /24: .10, .12, .14), each at its
 * model's largest MTU that the 9000-byte segment carries (rtl8139: 4096,
 * 8139cp's max_mtu; the others 9000).  On a shared segment a Linux guest
 * answers ARP for any of its addresses on every NIC the request reaches
 * ("ARP flux"), and sends every reply to the /24 out of the first of its
 * three connected routes.  So the case sets up what the plan sets up -
 * arp_ignore=1 (answer ARP only for the address of the NIC it came in on)
 * and arp_announce=2 (ask with the address of the NIC it goes out on) - and
 * source routing (one routing table per address: what leaves from an
 * address leaves by its NIC), then judges that each address is answered on
 * its own NIC only.
 *
 * After the set-up the host forgets its neighbours on the segment and the
 * captures start afresh, so every ARP exchange of the run is on them.  The
 * host flood-pings all three addresses at once for the profile's duration
 * at each NIC's largest size; afterwards `ping -c` at 64 bytes, 1472 bytes
 * and the largest size must lose nothing on any NIC.  On each NIC's tap:
 * the host's ARP requests for the other two addresses arrived (they are
 * broadcast) and were not answered there, and no echo of the other two
 * addresses crossed it.
 *
 * The guest already has every model, so the case runs once per vhost
 * setting: in the virtio cells, where the virtio NIC takes the cell's vhost
 * setting.  The rtl8139 and e1000 cells report it as a SKIP saying so.
 */
#include "arp.h"
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

	/* the others' addresses: asked for here, never answered, no echo */
	case_scope(ctx, "%s", model);
	for (j = 0; j < N; j++) {
		const char *other = model_name(ctx->nics[j].model);
		struct arp_count ac;

		if (j == i)
			continue;
		if (arp_count(nic->pcap, ctx->nics[j].ip, NULL, &ac, err) < 0) {
			case_error(ctx, "%s", err);
			continue;
		}
		expect_true(ctx, case_fmt(ctx, "ARP for %s's address on its "
					  "tap: asked, not answered", other),
			    ac.requests >= 1 && ac.replies == 0,
			    ">= 1 request, 0 replies",
			    case_fmt(ctx, "%u requests, %u replies",
				     ac.requests, ac.replies),
			    case_fmt(ctx, "%s (%s)", pcap, ctx->nics[j].ip));
		if (echo_analyze(nic->pcap, ctx->nics[j].host_ip,
				 ctx->nics[j].ip, &rep, err) < 0) {
			case_error(ctx, "%s", err);
			continue;
		}
		expect_eq(ctx, case_fmt(ctx, "echo flows of %s's address on "
					"its tap", other),
			  0, (long long)rep->n_flows,
			  case_fmt(ctx, "%s (%s)", pcap, ctx->nics[j].ip));
		echo_report_free(rep);
	}
	/* its own: who answered the host's ARP for it, here */
	{
		struct arp_count ac;

		if (arp_count(nic->pcap, nic->ip, nic->mac, &ac, err) < 0) {
			case_error(ctx, "%s", err);
		} else {
			observe(ctx, "ARP for its own address on its tap",
				VAL_S(case_fmt(ctx, "%u requests, %u replies, "
					       "%u of them from its MAC %s",
					       ac.requests, ac.replies,
					       ac.replies_mac, nic->mac)),
				NULL, pcap);
		}
	}
	case_scope(ctx, NULL);
}

/*
 * ARP per NIC (unless the arp-flux control leaves the kernel's defaults)
 * and one routing table per address; then what the guest has, observed.
 * false when it could not be done (error recorded).
 */
static bool setup_guest(struct case_ctx *ctx)
{
	GString *cmd = g_string_new(NULL), *show = g_string_new(NULL);
	struct proc_result r;
	bool ok = false;
	int i;

	if (ctx->fault->arp_flux)
		observe_str(ctx, "arp set-up", "left at the kernel's defaults "
			    "(fault arp-flux)");
	else
		g_string_append(cmd, "for f in /proc/sys/net/ipv4/conf/*/"
				"arp_ignore; do echo 1 > $f || exit 1; done; "
				"for f in /proc/sys/net/ipv4/conf/*/"
				"arp_announce; do echo 2 > $f || exit 1; done; ");
	g_string_append(show, "c=/proc/sys/net/ipv4/conf; for d in all");
	for (i = 0; i < N; i++) {
		const struct nic_under_test *nic = &ctx->nics[i];
		char *ifq = shq(nic->ifname);

		/* addresses and names are nicq's own; the name is quoted */
		g_string_append_printf(cmd, "ip rule add from %s table %d && "
				       "ip route add 198.18.%u.0/24 dev %s src "
				       "%s table %d || exit 1; ", nic->ip,
				       100 + i, case_octet(ctx, nic->segment),
				       ifq, nic->ip, 100 + i);
		g_string_append_printf(show, " %s", ifq);
		g_free(ifq);
	}
	g_string_append(show, "; do echo \"$d: arp_ignore=$(cat "
			"$c/$d/arp_ignore) arp_announce=$(cat "
			"$c/$d/arp_announce) rp_filter=$(cat "
			"$c/$d/rp_filter)\"; done; ip rule show");
	if (case_guest_run(ctx, cmd->str, 10000, &r) < 0)
		goto out;
	if (r.status != 0) {
		case_error(ctx, "cannot set up ARP and source routing (%s)",
			   case_last_cmd(ctx));
		proc_result_clear(&r);
		goto out;
	}
	proc_result_clear(&r);
	if (case_guest_run(ctx, show->str, 10000, &r) < 0)
		goto out;
	if (r.status == 0)
		observe(ctx, "ARP settings and rules in the guest",
			VAL_S(g_strstrip(r.out)), NULL, case_last_cmd(ctx));
	proc_result_clear(&r);
	ok = true;
out:
	g_string_free(cmd, TRUE);
	g_string_free(show, TRUE);
	return ok;
}

static void multinic_run(struct case_ctx *ctx)
{
	int count = case_param(ctx, &param_after_count);
	int flood_s = case_param(ctx, &param_flood_seconds);
	uint16_t base = case_ident(ctx, N * (N_AFTER + 2));
	const char *evidence[1 + N_AFTER];
	struct proc_result r;
	int i, k;

	for (i = 0; i < N; i++)
		observe_str(ctx, case_fmt(ctx, "%s NIC", model_name(
					 ctx->nics[i].model)), "MTU %d, tap %s, guest %s", ctx->nics[i].mtu,
			    ctx->nics[i].tap, ctx->nics[i].ip);

	/* ARP and routing per NIC; then the host forgets its neighbours and
	 * the captures start afresh, so every ARP exchange is on them */
	case_phase(ctx, "arp and routing set-up");
	if (!setup_guest(ctx) || case_capture_rotate(ctx, "run") < 0)
		return;
	{
		char *argv[] = { "ip", "neigh", "flush", "dev",
				 (char *)ctx->nics[0].bridge, NULL };

		if (case_host_run(ctx, argv, 10000, &r) < 0)
			return;
		if (r.status != 0) {
			case_error(ctx, "cannot flush the host's neighbours "
				   "(%s)", case_last_cmd(ctx));
			proc_result_clear(&r);
			return;
		}
		proc_result_clear(&r);
	}

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
	/*
	 * The guest drains what the flood left queued first: with a
	 * two-guest stress point and bonding beside it on 2 cores, the first
	 * second of pings after the flood lost half their replies on all
	 * three NICs at once (the flood's own loss is recorded apart)
	 */
	case_phase(ctx, "after the flood: wait for the NICs");
	case_scope(ctx, "after the flood");
	for (i = 0; i < N; i++)
		if (!case_wait_answer(ctx, &ctx->nics[i], 20)) {
			case_scope(ctx, NULL);
			return;
		}
	case_scope(ctx, NULL);
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
 * The set-up, the flood and three rounds of counted pings 0.2 s apart, all
 * NICs at once, and the NICs' link-up (quick: 11 s measured); about 3x
 * that.
 */
static int multinic_deadline(const struct profile *p)
{
	int count = prof_int(p, &param_after_count);

	return 3 * (prof_int(p, &param_flood_seconds) +
		    N_AFTER * (count / 5 + 1) + 10);
}

static const struct param *const multinic_params[] = {
	&param_after_count, &param_flood_seconds, NULL,
};

static const struct topology multinic_topo = {
	.n_segments = 1,
	.segment_mtu = { SEGMENT_MTU },
	.n_guests = 1,
	.guests = { { .n_nics = 3, .nics = {
		{ NIC_RTL8139, 0, 4096 },
		{ NIC_E1000, 0, SEGMENT_MTU },
		{ NIC_VIRTIO, 0, SEGMENT_MTU },
	} } },
};

static const int multinic_model = NIC_VIRTIO;

const struct case_desc case_multinic = {
	.name = "multinic",
	.summary = "one guest with rtl8139 + e1000 + virtio on one segment at "
		   "their largest MTUs, flooded at once; each address answered "
		   "(ARP and echo) on its own NIC only",
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
		{ "arp-flux", "virtio",
		  "*: ARP for *'s address on its tap: asked, not answered" },
	},
	.run = multinic_run,
};
