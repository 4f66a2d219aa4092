/*
 * offload.c - Fedora vhost-net plan case 8: TSO/GSO offload.
 *
 * In each offload state — TSO on + GSO off, GSO on + TSO off, both off —
 * set with `ethtool -K` and confirmed with `ethtool -k`, the guest sends a
 * file of random data (quick: 10 MiB) to the host over TCP (an SSH channel,
 * base64 so the stream is text) and the checksums on both ends must match.
 *
 * Evidence per state, from two captures:
 *  - in the guest (tcpdump -p on the NIC, fetched back): frames larger than
 *    the MTU mean the stack handed the NIC unsegmented super-frames.  Linux
 *    feeds packet taps after software GSO has segmented (validate_xmit_skb
 *    runs before dev_queue_xmit_nit), so only TSO — segmentation by the
 *    "hardware" — leaves super-frames for the guest's capture: TSO on must
 *    show them; GSO alone and both off must not.
 *  - on the host's tap: virtio hands TSO super-frames to the tap as they
 *    are (vnet headers), so with TSO on the tap carries frames over the
 *    MTU; e1000 and rtl8139 (C+ "large send") segment inside QEMU, so
 *    their tap never carries a frame over the MTU.
 * A model whose driver cannot turn TSO on reports SKIP with the reason.
 */
#include "case.h"
#include "flow.h"
#include "util.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MTU 1500

struct state {
	const char *name;
	const char *tso, *gso;
	bool guest_big;		/* guest capture shows > MTU frames */
};

static const struct state states[] = {
	{ "tso-on-gso-off", "on", "off", true },
	{ "gso-on-tso-off", "off", "on", false },
	{ "both-off", "off", "off", false },
};

/* Largest IPv4 total length of TCP from src to dst in a pcap; -1 on error. */
static long max_ip_len(const char *path, const char *src, const char *dst)
{
	struct flow_count fc;

	if (flow_count(path, src, dst, 6, &fc, NULL) < 0)
		return -1;
	return (long)fc.max_ip_len;
}

static int gsh(struct case_ctx *ctx, const char *cmd, int ms,
	       struct proc_result *r)
{
	if (case_guest_run(ctx, cmd, ms, r) < 0)
		return -1;
	return r->status;
}

static enum verdict offload_run(struct case_ctx *ctx)
{
	const char *ifname = ctx->nic->ifname;
	char *ifq = shq(ifname), *cmd, err[ERRLEN];
	size_t bytes = 10u << 20;
	struct proc_result r;
	enum verdict v = V_PASS;
	size_t si;
	int rc;

	/* can the driver do TSO at all? */
	cmd = g_strdup_printf("ethtool -K %s tso on", ifq);
	rc = gsh(ctx, cmd, 15000, &r);
	if (rc < 0 || r.timed_out) {
		/* the guest did not answer: a failure, never a skip */
		case_fail(ctx, "cannot ask the guest's driver for TSO");
		proc_result_clear(&r);
		g_free(cmd);
		g_free(ifq);
		return V_FAIL;
	}
	if (rc != 0) {
		g_string_append_printf(ctx->why, "%s's driver cannot turn TSO "
				       "on: %s", nic_model_libvirt(ctx->nic->model),
				       r.errout ? g_strstrip(r.errout) : "");
		proc_result_clear(&r);
		g_free(cmd);
		g_free(ifq);
		return V_SKIP;
	}
	proc_result_clear(&r);
	g_free(cmd);

	diag_list(ctx->diag, "states");
	for (si = 0; si < G_N_ELEMENTS(states); si++) {
		const struct state *st = &states[si];
		char *gpcap = g_strdup_printf("%s/guest-%s.pcap", ctx->dir,
					      st->name);
		struct sshc_job *job = NULL;
		char *want = NULL, *got = NULL, *kout = NULL;
		guchar *raw = NULL, *pc = NULL;
		gsize raw_len = 0, pc_len = 0;
		long gmax = -1;

		diag_map(ctx->diag, NULL);
		diag_str(ctx->diag, "state", "%s", st->name);
		cmd = g_strdup_printf("ethtool -K %s tso %s gso %s && "
				      "ethtool -k %s", ifq, st->tso, st->gso,
				      ifq);
		if (gsh(ctx, cmd, 15000, &r) != 0) {
			case_fail(ctx, "%s: ethtool -K failed: %s", st->name,
				  r.errout ? g_strstrip(r.errout) : "no answer");
		} else {
			char *t = strstr(r.out, "tcp-segmentation-offload: ");
			char *g = strstr(r.out, "generic-segmentation-offload: ");

			kout = g_strdup_printf("tso %.3s gso %.3s",
					       t ? t + 26 : "?",
					       g ? g + 30 : "?");
			g_strdelimit(kout, "\n", ' ');
			diag_str(ctx->diag, "ethtool_k", "%s", kout);
			if (!t || !g || strncmp(t + 26, st->tso, strlen(st->tso)) ||
			    strncmp(g + 30, st->gso, strlen(st->gso)))
				case_fail(ctx, "%s: ethtool -k shows %s",
					  st->name, kout);
		}
		proc_result_clear(&r);
		g_free(cmd);

		/* the file, and a guest-side capture of what the NIC gets */
		cmd = g_strdup_printf("head -c %zu /dev/urandom > /tmp/f && "
				      "sha256sum /tmp/f", bytes);
		if (gsh(ctx, cmd, 60000, &r) == 0)
			want = g_strndup(r.out, strcspn(r.out, " "));
		proc_result_clear(&r);
		g_free(cmd);
		cmd = g_strdup_printf("rm -f /tmp/o.pcap; tcpdump -p -U -s 96 "
				      "-i %s -w /tmp/o.pcap tcp and src host "
				      "%s 2>/dev/null & echo $! > /tmp/o.pid; "
				      "wait", ifq, ctx->nic->ip);
		if (sshc_start(ctx->ssh, cmd, 10000, &job, err) < 0)
			case_fail(ctx, "%s: %s", st->name, err);
		g_free(cmd);
		if (gsh(ctx, "i=0; while [ $i -lt 200 ]; do [ -s /tmp/o.pcap ] "
			"&& exit 0; usleep 50000; i=$((i + 1)); done; exit 1",
			20000, &r) != 0)
			case_fail(ctx, "%s: guest capture did not start",
				  st->name);
		proc_result_clear(&r);

		/* guest -> host over TCP */
		if (gsh(ctx, "base64 /tmp/f", 120000, &r) == 0) {
			raw = g_base64_decode(r.out, &raw_len);
			got = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
							  raw, raw_len);
		}
		proc_result_clear(&r);
		if (gsh(ctx, "kill -INT $(cat /tmp/o.pid)", 10000, &r) >= 0)
			proc_result_clear(&r);
		if (job) {
			if (sshc_job_wait(job, 15000, &r, err) == 0)
				proc_result_clear(&r);
			sshc_job_free(job);
		}
		if (gsh(ctx, "base64 /tmp/o.pcap", 60000, &r) == 0) {
			pc = g_base64_decode(r.out, &pc_len);
			if (file_write(gpcap, pc, pc_len, err) == 0)
				gmax = max_ip_len(gpcap, ctx->nic->ip,
						  ctx->nic->host_ip);
		}
		proc_result_clear(&r);

		diag_str(ctx->diag, "sha256", "guest %s, host %s",
			 want ? want : "?", got ? got : "?");
		diag_int(ctx->diag, "bytes_received", (long long)raw_len);
		diag_int(ctx->diag, "guest_capture_max_ip_len", gmax);
		diag_str(ctx->diag, "guest_capture", "%s", gpcap);
		if (!want || !got || strcmp(want, got) || raw_len != bytes)
			case_fail(ctx, "%s: the file did not arrive intact "
				  "(%zu of %zu bytes)", st->name,
				  (size_t)raw_len, bytes);
		if (gmax < 0)
			case_fail(ctx, "%s: no guest capture", st->name);
		else if (st->guest_big && gmax <= MTU)
			case_fail(ctx, "%s: TSO on but the guest's capture "
				  "shows no frame over the MTU (largest %ld)",
				  st->name, gmax);
		else if (!st->guest_big && gmax > MTU)
			case_fail(ctx, "%s: the guest's capture shows %ld-byte "
				  "frames with TSO off", st->name, gmax);
		diag_end(ctx->diag);
		g_free(gpcap);
		g_free(want);
		g_free(got);
		g_free(kout);
		g_free(raw);
		g_free(pc);
	}
	diag_end(ctx->diag);
	case_captures_stop(ctx);
	{
		/* host side: the tap carries super-frames only for virtio */
		long hmax = max_ip_len(ctx->nic->pcap, ctx->nic->ip,
				       ctx->nic->host_ip);
		bool virtio = ctx->nic->model == NIC_VIRTIO;

		diag_map(ctx->diag, "host_tap");
		diag_int(ctx->diag, "max_ip_len", hmax);
		diag_str(ctx->diag, "expected", "%s", virtio ?
			 "over the MTU (virtio passes TSO super-frames to "
			 "the tap)" : "never over the MTU (QEMU segments)");
		diag_end(ctx->diag);
		if (hmax < 0)
			case_fail(ctx, "cannot read the host capture");
		else if (virtio && hmax <= MTU)
			case_fail(ctx, "virtio with TSO on: no super-frame on "
				  "the tap (largest %ld)", hmax);
		else if (!virtio && hmax > MTU)
			case_fail(ctx, "%s: %ld-byte frames on the tap; QEMU "
				  "should have segmented them",
				  nic_model_libvirt(ctx->nic->model), hmax);
	}
	g_free(ifq);
	if (ctx->why->len)
		v = V_FAIL;
	return v;
}

const struct case_desc case_offload = {
	.name = "offload",
	.summary = "10 MiB guest -> host intact with TSO only, GSO only and "
		   "no offload; super-frames where each model should show them",
	.plan = "Fedora vhost-net test plan, case 8 (TSO/GSO offload)",
	.capture_snaplen = 96,
	.run = offload_run,
};
