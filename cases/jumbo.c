/*
 * jumbo.c - Fedora vhost-net plan case 3: jumbo frames.
 *
 * Every hop gets the large MTU: the test segment is a libvirt network with
 * <mtu size='9000'/>, so libvirt gives the bridge and the guest's tap 9000;
 * the case checks both from sysfs rather than trusting the XML.  In the
 * guest the case sets the NIC's MTU itself, because whether the driver
 * takes it is part of what is tested:
 *
 *   e1000   (e1000)    max_mtu 16110: takes 9000.
 *   virtio  (virtio_net) max_mtu 65535: takes 9000 (and more; the segment
 *                      is what stops at 9000).
 *   rtl8139 (8139cp)   max_mtu 4096 (CP_MAX_MTU in 8139cp.c; QEMU's rtl8139
 *                      is a C+ chip, so 8139cp binds, not 8139too): must
 *                      refuse 9000 — a pass, not a skip — and its largest
 *                      MTU, 4096, is what the rest of the case uses.
 *
 * Then: `ping -M do -s <mtu-28>` must lose nothing, and the capture must
 * show full-size frames (mtu + 14 bytes) with DF set and no IP fragments.
 * Then the guest toggles its MTU between 1500 and the maximum in a loop
 * while the host flood-pings at the maximum size (loss during the toggling
 * is recorded, not judged: the link resets); afterwards a short ping at the
 * maximum size must lose nothing, and the harness checks the kernel log.
 */
#include "case.h"
#include "echo.h"
#include "util.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEGMENT_MTU 9000

struct model_mtu {
	bool takes_jumbo;	/* accepts SEGMENT_MTU */
	int max_mtu;		/* what the case uses */
	const char *why;
};

static const struct model_mtu expectations[NIC_MODEL_COUNT] = {
	[NIC_RTL8139] = { false, 4096, "8139cp: max_mtu 4096 (CP_MAX_MTU)" },
	[NIC_E1000] = { true, SEGMENT_MTU, "e1000: max_mtu 16110" },
	[NIC_VIRTIO] = { true, SEGMENT_MTU, "virtio_net: max_mtu 65535" },
};

/*
 * A host-side device's MTU, from netlink (ip): nicq runs inside the lab's
 * network namespace, but /sys shows the namespace that mounted it.
 */
static int host_mtu(struct case_ctx *ctx, const char *dev)
{
	char *argv[] = { "ip", "-o", "link", "show", "dev", (char *)dev, NULL };
	struct proc_result r;
	const char *m;
	int mtu = -1;

	if (case_host_run(ctx, argv, 10000, &r) == 0 && r.status == 0 &&
	    (m = strstr(r.out, " mtu ")))
		mtu = atoi(m + 5);
	proc_result_clear(&r);
	return mtu;
}

/* Run `ip link set <if> mtu <mtu>` in the guest; returns its exit status. */
static int guest_set_mtu(struct case_ctx *ctx, int mtu, char **errout)
{
	char *q = shq(ctx->nic->ifname);
	char *cmd = g_strdup_printf("ip link set dev %s mtu %d", q, mtu);
	struct proc_result r;
	int st = -1;

	if (case_guest_run(ctx, cmd, 15000, &r) == 0) {
		st = r.status;
		if (errout)
			*errout = g_strdup(g_strstrip(r.errout));
	}
	proc_result_clear(&r);
	g_free(cmd);
	g_free(q);
	return st;
}

static int host_ping(struct case_ctx *ctx, uint16_t ident, int size,
		     int count, bool flood, int seconds)
{
	char id[16], sz[16], cnt[16], secs[16];
	char *argv[20];
	struct proc_result r;
	int a = 0, st = -1;

	snprintf(id, sizeof(id), "%u", ident);
	snprintf(sz, sizeof(sz), "%d", size);
	snprintf(cnt, sizeof(cnt), "%d", count);
	snprintf(secs, sizeof(secs), "%d", seconds);
	argv[a++] = "ping";
	argv[a++] = "-n";
	argv[a++] = "-q";
	argv[a++] = "-M";
	argv[a++] = "do";
	argv[a++] = "-e";
	argv[a++] = id;
	argv[a++] = "-s";
	argv[a++] = sz;
	if (flood) {
		argv[a++] = "-f";
		argv[a++] = "-w";
		argv[a++] = secs;
	} else {
		argv[a++] = "-c";
		argv[a++] = cnt;
		argv[a++] = "-i";
		argv[a++] = "0.2";
		argv[a++] = "-W";
		argv[a++] = "3";
	}
	argv[a++] = ctx->nic->ip;
	argv[a] = NULL;
	if (case_host_run(ctx, argv, (flood ? seconds : count) * 1000 + 20000,
			  &r) == 0)
		st = r.status;
	proc_result_clear(&r);
	return st;
}

static enum verdict jumbo_run(struct case_ctx *ctx)
{
	const struct model_mtu *e = &expectations[ctx->nic->model];
	const struct profile *p = ctx->prof;
	uint16_t base = (uint16_t)g_random_int_range(1, 0xff00);
	uint16_t id_df = base, id_flood = base + 1, id_after = base + 2;
	int mtu = e->max_mtu, tap_mtu, br_mtu, st, toggles = -1;
	char *refusal = NULL, *cmd, *q;
	struct sshc_job *job = NULL;
	struct echo_report *rep = NULL;
	const struct echo_flow *f;
	struct proc_result r;
	char err[ERRLEN];

	diag_map(ctx->diag, "expected");
	diag_int(ctx->diag, "segment_mtu", SEGMENT_MTU);
	diag_str(ctx->diag, "guest_takes_9000", "%s (%s)",
		 e->takes_jumbo ? "yes" : "no, refused", e->why);
	diag_int(ctx->diag, "test_mtu", mtu);
	diag_str(ctx->diag, "df_ping", "ping -M do -s %d: 0%% loss, frames "
		 "of %d bytes with DF, no fragments", mtu - 28, mtu + 14);
	diag_str(ctx->diag, "after_toggling", "ping -M do -s %d: 0%% loss",
		 mtu - 28);
	diag_end(ctx->diag);

	/* every hop on the host side */
	tap_mtu = host_mtu(ctx, ctx->nic->tap);
	br_mtu = host_mtu(ctx, ctx->nic->bridge);
	diag_map(ctx->diag, "measured");
	diag_int(ctx->diag, "tap_mtu", tap_mtu);
	diag_int(ctx->diag, "bridge_mtu", br_mtu);
	if (tap_mtu != SEGMENT_MTU || br_mtu != SEGMENT_MTU)
		case_fail(ctx, "host side not at MTU %d: tap %d, bridge %d",
			  SEGMENT_MTU, tap_mtu, br_mtu);

	/* the guest driver */
	st = guest_set_mtu(ctx, SEGMENT_MTU, &refusal);
	diag_str(ctx->diag, "guest_mtu_9000", "%s%s%s",
		 st == 0 ? "accepted" : "refused",
		 st == 0 ? "" : ": ", st == 0 ? "" : refusal ? refusal : "");
	if ((st == 0) != e->takes_jumbo)
		case_fail(ctx, "%s the jumbo MTU %d, expected it to %s (%s)",
			  st == 0 ? "driver took" : "driver refused",
			  SEGMENT_MTU, e->takes_jumbo ? "take it" :
			  "refuse it", e->why);
	if (mtu != SEGMENT_MTU && guest_set_mtu(ctx, mtu, NULL) != 0)
		case_fail(ctx, "driver refused its own maximum MTU %d", mtu);

	/* full-size frames with DF, nothing fragmented */
	host_ping(ctx, id_df, mtu - 28, p->after_count, false, 0);

	/* toggle the MTU in the guest while the host floods at full size */
	q = shq(ctx->nic->ifname);
	cmd = g_strdup_printf(
		"end=$(( $(date +%%s) + %d )); n=0; "
		"while [ $(date +%%s) -lt $end ]; do "
		"ip link set dev %s mtu 1500 && ip link set dev %s mtu %d && "
		"n=$((n + 1)); done; echo toggles=$n",
		p->flood_seconds, q, q, mtu);
	if (sshc_start(ctx->ssh, cmd, 10000, &job, err) < 0)
		case_fail(ctx, "cannot start the MTU toggling: %s", err);
	g_free(cmd);
	g_free(q);
	host_ping(ctx, id_flood, mtu - 28, 0, true, p->flood_seconds);
	if (job) {
		if (sshc_job_wait(job, (p->flood_seconds + 60) * 1000, &r,
				  err) == 0) {
			const char *t = strstr(r.out, "toggles=");

			toggles = t ? atoi(t + 8) : -1;
		} else {
			case_fail(ctx, "MTU toggling: %s", err);
		}
		proc_result_clear(&r);
		sshc_job_free(job);
	}
	diag_int(ctx->diag, "mtu_toggles", toggles);
	if (toggles < 1)
		case_fail(ctx, "the guest did not toggle its MTU (toggles=%d)",
			  toggles);
	/* make sure the toggling ended at the maximum, then the final check */
	guest_set_mtu(ctx, mtu, NULL);
	host_ping(ctx, id_after, mtu - 28, p->after_count, false, 0);
	case_captures_stop(ctx);

	if (echo_analyze(ctx->nic->pcap, ctx->nic->host_ip, ctx->nic->ip,
			 &rep, err) < 0) {
		case_fail(ctx, "%s", err);
		diag_end(ctx->diag);
		goto out;
	}
	f = echo_report_flow(rep, id_df);
	diag_str(ctx->diag, "df_ping", "%u requests %u replies, largest "
		 "frame %zu bytes, %u request frames with DF, %u fragmented",
		 f ? f->requests : 0, f ? f->replies : 0,
		 f ? f->frame_max : 0, f ? f->df_frames : 0,
		 f ? f->req_fragmented + f->rep_fragmented : 0);
	if (!f || f->replies != (unsigned)p->after_count)
		case_fail(ctx, "ping -M do -s %d: %u of %d replies on the wire",
			  mtu - 28, f ? f->replies : 0, p->after_count);
	else if (f->frame_max != (size_t)mtu + 14 ||
		 f->df_frames != f->requests ||
		 f->req_fragmented + f->rep_fragmented)
		case_fail(ctx, "expected %d-byte frames, DF on every request "
			  "and no fragments", mtu + 14);
	f = echo_report_flow(rep, id_flood);
	diag_str(ctx->diag, "flood_while_toggling", "%u requests %u replies "
		 "(loss during MTU changes is expected and not judged)",
		 f ? f->requests : 0, f ? f->replies : 0);
	f = echo_report_flow(rep, id_after);
	diag_str(ctx->diag, "after_toggling", "%u requests %u replies",
		 f ? f->requests : 0, f ? f->replies : 0);
	if (!f || f->replies != (unsigned)p->after_count)
		case_fail(ctx, "after the toggling: %u of %d replies at %d "
			  "bytes", f ? f->replies : 0, p->after_count,
			  mtu - 28);
	diag_end(ctx->diag);
out:
	echo_report_free(rep);
	g_free(refusal);
	return ctx->why->len ? V_FAIL : V_PASS;
}

static const struct topology jumbo_topo = {
	.n_segments = 1,
	.segment_mtu = { SEGMENT_MTU },
	.n_guests = 1,
	.guests = { { .n_nics = 1, .nics = { { MODEL_OF_CELL, 0 } } } },
};

const struct case_desc case_jumbo = {
	.name = "jumbo",
	.summary = "MTU 9000 on every hop (rtl8139 must refuse it); DF pings "
		   "at the largest MTU arrive whole; MTU toggling under flood",
	.plan = "Fedora vhost-net test plan, case 3 (jumbo frames)",
	.capture_snaplen = 128,
	.topo = &jumbo_topo,
	.run = jumbo_run,
};
