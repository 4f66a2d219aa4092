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
 * A model whose driver cannot turn TSO on ("ethtool -k" shows it off and
 * fixed) reports SKIP with the reason, before anything else ran.
 *
 * Expectations, per state (the scope): ethtool -K accepted the setting,
 * ethtool -k shows it, the file arrived whole (bytes and SHA-256), and the
 * largest TCP datagram in the guest's capture is over the MTU with TSO on
 * and within it otherwise; then, over the whole run, the largest on the
 * host's tap (scope "host tap").
 */
#include "case.h"
#include "flow.h"
#include "util.h"

#include <glib.h>
#include <string.h>

#define MTU 1500
#define FILE_BYTES (10u << 20)

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

/*
 * Run cmd in the guest: its exit status, or -1 when it could not be run
 * (error recorded) or did not end in time (error recorded, saying what).
 */
static int gsh(struct case_ctx *ctx, const char *what, const char *cmd,
	       int ms, struct proc_result *r)
{
	if (case_guest_run(ctx, cmd, ms, r) < 0)
		return -1;
	if (r->timed_out) {
		case_error(ctx, "%s: no answer within %d s (%s)", what,
			   ms / 1000, case_last_cmd(ctx));
		return -1;
	}
	return r->status;
}

/*
 * The driver cannot turn TSO on: "ethtool -K tso on" failed and
 * "ethtool -k" shows it off and fixed.  Then the point is a SKIP, with
 * what ethtool said; otherwise false (the failure is judged later).
 */
static bool tso_fixed_off(struct case_ctx *ctx, const char *ifq,
			  const char *refusal)
{
	char *cmd = g_strdup_printf("ethtool -k %s | grep "
				    "'^tcp-segmentation-offload: '", ifq);
	struct proc_result r;
	bool fixed = false;

	if (gsh(ctx, "ethtool -k", cmd, 15000, &r) == 0)
		fixed = strstr(r.out, "tcp-segmentation-offload: off "
			       "[fixed]") != NULL;
	if (fixed && !case_failed(ctx))
		case_skip(ctx, "%s's driver (%s) cannot turn TSO on: "
			  "ethtool -k shows tcp-segmentation-offload: off "
			  "[fixed]; ethtool -K said: %s",
			  model_name(ctx->nic->model),
			  model_info(ctx->nic->model)->driver, refusal);
	proc_result_clear(&r);
	g_free(cmd);
	return fixed;
}

/*
 * One offload state: set and read back the offloads, capture in the guest
 * while it sends the file over SSH, fetch the guest's capture.  false
 * when the guest can no longer be driven.
 */
static bool run_state(struct case_ctx *ctx, const struct state *st,
		      const char *ifq)
{
	const struct nic_under_test *nic = ctx->nic;
	char *gpcap = g_strdup_printf("%s/guest-%s.pcap", ctx->dir, st->name);
	char *cmd, *want = NULL, *got = NULL, *v, err[ERRLEN];
	struct sshc_job *job = NULL;
	guchar *raw = NULL, *pc = NULL;
	gsize raw_len = 0, pc_len = 0;
	struct proc_result r;
	struct flow_count fc;
	const char *ev;
	bool alive = false;
	int rc;

	case_scope(ctx, "%s", st->name);
	case_phase(ctx, "%s", st->name);
	cmd = g_strdup_printf("ethtool -K %s tso %s gso %s", ifq, st->tso,
			      st->gso);
	rc = gsh(ctx, "ethtool -K", cmd, 15000, &r);
	g_free(cmd);
	proc_result_clear(&r);
	if (rc < 0)
		goto out;
	expect_eq(ctx, "ethtool -K exit status", 0, rc, case_last_cmd(ctx));
	/*
	 * Only the two lines: SSH runs on this NIC, and the output of what
	 * is not judged is kept short, so a fault on TCP segments (the
	 * negative control corrupts those over 1000 bytes) meets the file.
	 */
	cmd = g_strdup_printf("ethtool -k %s | grep -E "
			      "'^(tcp|generic)-segmentation-offload: '", ifq);
	rc = gsh(ctx, "ethtool -k", cmd, 15000, &r);
	g_free(cmd);
	if (rc != 0) {
		if (rc > 0)
			case_error(ctx, "ethtool -k failed with status %d "
				   "(%s)", rc, case_last_cmd(ctx));
		proc_result_clear(&r);
		goto out;
	}
	ev = case_last_cmd(ctx);
	v = kv_get(r.out, "tcp-segmentation-offload: ");
	expect_str(ctx, "tcp-segmentation-offload (ethtool -k)", st->tso, v,
		   ev);
	g_free(v);
	v = kv_get(r.out, "generic-segmentation-offload: ");
	expect_str(ctx, "generic-segmentation-offload (ethtool -k)", st->gso,
		   v, ev);
	g_free(v);
	proc_result_clear(&r);

	/* the file, and a guest-side capture of what the NIC gets */
	cmd = g_strdup_printf("head -c %u /dev/urandom > /tmp/f && "
			      "sha256sum /tmp/f | sed 's/^/sha=/'",
			      FILE_BYTES);
	rc = gsh(ctx, "the test file", cmd, 60000, &r);
	g_free(cmd);
	if (rc == 0 && !(want = kv_get(r.out, "sha=")))
		case_error(ctx, "no SHA-256 of the test file (%s)",
			   case_last_cmd(ctx));
	else if (rc > 0)
		case_error(ctx, "cannot write the test file in the guest (%s)",
			   case_last_cmd(ctx));
	proc_result_clear(&r);
	if (!want)
		goto out;
	cmd = g_strdup_printf("rm -f /tmp/o.pcap; tcpdump -p -U -s 96 "
			      "-i %s -w /tmp/o.pcap tcp and src host "
			      "%s 2>/dev/null & echo $! > /tmp/o.pid; "
			      "wait", ifq, nic->ip);
	rc = sshc_start(ctx->ssh, cmd, 10000, &job, err);
	g_free(cmd);
	if (rc < 0) {
		case_error(ctx, "cannot start the guest's capture: %s", err);
		goto out;
	}
	rc = gsh(ctx, "the guest's capture", "i=0; while [ $i -lt 200 ]; do "
		 "[ -s /tmp/o.pcap ] && exit 0; usleep 50000; i=$((i + 1)); "
		 "done; exit 1", 20000, &r);
	proc_result_clear(&r);
	if (rc != 0) {
		if (rc > 0)
			case_error(ctx, "the guest's capture did not start "
				   "within 10 s (%s)", case_last_cmd(ctx));
		goto out;
	}

	/* guest -> host over TCP; judged on what arrived, even when the
	 * session broke on the way (the error is recorded too) */
	case_phase(ctx, "%s: the file guest -> host", st->name);
	rc = case_guest_run(ctx, "base64 /tmp/f", 120000, &r);
	ev = case_last_cmd(ctx);
	raw = g_base64_decode(r.out ? r.out : "", &raw_len);
	got = g_compute_checksum_for_data(G_CHECKSUM_SHA256, raw, raw_len);
	if (rc == 0)
		observe(ctx, "seconds to send the file",
			VAL_D(r.elapsed_ms / 1000.0), "s", ev);
	if (rc == 0 && r.status != 0)
		observe_str(ctx, "base64 in the guest", "%s",
			    r.timed_out ? "timed out" : "failed");
	proc_result_clear(&r);
	expect_eq(ctx, "bytes the host received", FILE_BYTES,
		  (long long)raw_len, ev);
	expect_str(ctx, "SHA-256 of what the host received", want, got, ev);
	if (rc < 0)
		goto out;

	/* stop the guest's capture and fetch it */
	if (gsh(ctx, "stopping the guest's capture",
		"kill -INT $(cat /tmp/o.pid)", 10000, &r) < 0) {
		proc_result_clear(&r);
		goto out;
	}
	proc_result_clear(&r);
	if (sshc_job_wait(job, 15000, &r, err) < 0)
		case_error(ctx, "the guest's capture: %s", err);
	proc_result_clear(&r);
	rc = gsh(ctx, "fetching the guest's capture", "base64 /tmp/o.pcap",
		 60000, &r);
	if (rc == 0) {
		pc = g_base64_decode(r.out, &pc_len);
		if (file_write(gpcap, pc, pc_len, err) < 0)
			case_error(ctx, "%s", err);
		else if (flow_count(gpcap, nic->ip, nic->host_ip, 6, &fc,
				    err) < 0)
			case_error(ctx, "%s", err);
		else {
			observe(ctx, "TCP frames guest -> host in the "
				"guest's capture", VAL_I((long long)fc.frames),
				NULL, case_rel(ctx, gpcap));
			expect_cmp(ctx, "largest TCP/IPv4 datagram guest -> "
				   "host in the guest's capture",
				   st->guest_big ? CMP_GT : CMP_LE, MTU,
				   (long long)fc.max_ip_len,
				   case_rel(ctx, gpcap));
		}
	} else if (rc > 0) {
		case_error(ctx, "cannot fetch the guest's capture (%s)",
			   case_last_cmd(ctx));
	}
	proc_result_clear(&r);
	alive = rc >= 0;
out:
	sshc_job_free(job);
	case_scope(ctx, NULL);
	g_free(gpcap);
	g_free(want);
	g_free(got);
	g_free(raw);
	g_free(pc);
	return alive;
}

static void offload_run(struct case_ctx *ctx)
{
	const struct nic_under_test *nic = ctx->nic;
	char *ifq = shq(nic->ifname), *cmd, err[ERRLEN];
	bool virtio = nic->model == NIC_VIRTIO;
	struct proc_result r;
	struct flow_count fc;
	size_t si;
	int rc;

	/* can the driver do TSO at all? */
	case_phase(ctx, "TSO on");
	cmd = g_strdup_printf("ethtool -K %s tso on", ifq);
	rc = gsh(ctx, "ethtool -K", cmd, 15000, &r);
	g_free(cmd);
	if (rc > 0 && tso_fixed_off(ctx, ifq, r.errout && r.errout[0] ?
				    g_strstrip(r.errout) : "(nothing)")) {
		proc_result_clear(&r);
		goto out;
	}
	proc_result_clear(&r);
	if (rc < 0)
		goto out;

	for (si = 0; si < G_N_ELEMENTS(states); si++)
		if (!run_state(ctx, &states[si], ifq) || interrupted())
			break;
	case_captures_stop(ctx);
	if (si < G_N_ELEMENTS(states))
		goto out;

	/* host side: the tap carries super-frames only for virtio */
	case_phase(ctx, "judge the tap");
	case_scope(ctx, "host tap");
	if (flow_count(nic->pcap, nic->ip, nic->host_ip, 6, &fc, err) < 0) {
		case_error(ctx, "%s", err);
	} else {
		expect_cmp(ctx, virtio ? "largest TCP/IPv4 datagram guest -> "
			   "host on the tap (virtio hands TSO super-frames to "
			   "the tap)" : "largest TCP/IPv4 datagram guest -> "
			   "host on the tap (QEMU segments TSO frames itself)",
			   virtio ? CMP_GT : CMP_LE, MTU,
			   (long long)fc.max_ip_len, case_rel(ctx, nic->pcap));
	}
	case_scope(ctx, NULL);
out:
	g_free(ifq);
}

/*
 * Measured under TCG on a loaded 2-core host (quick): 80-115 s for the
 * three states; about 3x.  The file's size is fixed, so no parameter.
 */
static int offload_deadline(const struct profile *p)
{
	(void)p;
	return 360;
}

const struct case_desc case_offload = {
	.name = "offload",
	.summary = "10 MiB guest -> host intact with TSO only, GSO only and "
		   "no offload; super-frames where each model should show them",
	.plan_case = 8,
	.plan = "TSO/GSO offload",
	.capture_snaplen = 96,
	.deadline_s = offload_deadline,
	.controls = {
		{ "corrupt-tcp", "e1000",
		  "tso-on-gso-off: SHA-256 of what the host received" },
	},
	.run = offload_run,
};
