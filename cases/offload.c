/*
 * offload.c - Fedora vhost-net plan case 8: TSO/GSO offload.
 *
 * In each offload state, set with `ethtool -K` and confirmed with `ethtool
 * -k`, the guest sends a file of random data (10 MiB) to the host over a
 * TCP connection of its own on the NIC under test: busybox nc in the guest,
 * nicq's receiver (harness/xfer.c) on the host, which hashes what arrives.
 * The SHA-256 at both ends must match.  SSH goes over a management NIC of
 * another model (topo_with_mgmt), so the NIC under test carries the
 * transfer alone and a fault on its TCP segments meets the file, not the
 * control channel.
 *
 * The states, and what each must show in the two captures (frames larger
 * than the 1500-byte MTU are "super-frames"):
 *
 *   state             guest's capture      host's tap
 *                                          virtio     e1000, rtl8139
 *   tso-on-gso-on     super-frames         super-     none
 *   (the default)                          frames
 *   tso-on-gso-off    super-frames         super-     none
 *                                          frames
 *   gso-on-tso-off    none                 none       none
 *   both-off          none                 none       none
 *
 *  - in the guest (tcpdump -p on the NIC, fetched back): Linux feeds packet
 *    taps after software GSO has segmented (validate_xmit_skb runs before
 *    dev_queue_xmit_nit), so only TSO - segmentation by the "hardware" -
 *    leaves super-frames for the guest's capture.  GSO alone and no
 *    offload look the same on both captures; ethtool -k and the intact file
 *    are what tell them apart.
 *  - on the host's tap: virtio hands TSO super-frames to the tap as they
 *    are (vnet headers); e1000 and rtl8139 (C+ "large send") segment inside
 *    QEMU, so their tap never carries a frame over the MTU.
 * The tap's capture is started afresh for each state, and must carry at
 * least the file's bytes as TCP payload on the transfer's connection, so
 * a transfer that took another path fails.
 *
 * A model whose driver cannot turn a feature on ("ethtool -K" refuses and
 * "ethtool -k" shows it off and [fixed]) reports SKIP with the reason,
 * before anything else ran; any other refusal is judged (not ok).
 *
 * Expectations, per state (the scope): ethtool -K accepted the setting,
 * ethtool -k shows it, the file arrived whole (bytes, and the host's
 * SHA-256 equal to the guest's), the largest TCP datagram guest -> host in
 * the guest's capture and on the tap as in the table, and the file's bytes
 * on the tap.
 */
#include "case.h"
#include "flow.h"
#include "util.h"
#include "xfer.h"

#include <glib.h>
#include <string.h>

#define MTU 1500
#define FILE_BYTES (10u << 20)

struct state {
	const char *name;
	const char *tso, *gso;
};

static const struct state states[] = {
	{ "tso-on-gso-on", "on", "on" },	/* the drivers' default */
	{ "tso-on-gso-off", "on", "off" },
	{ "gso-on-tso-off", "off", "on" },
	{ "both-off", "off", "off" },
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

#define FEATURES_GREP "| grep -E '^(tcp|generic)-segmentation-offload: '"

/*
 * The driver cannot turn TSO or GSO on: "ethtool -K ... on" failed and
 * "ethtool -k" shows the feature off and fixed.  Then the point is a SKIP,
 * with what ethtool said; otherwise false (the failure is judged later).
 */
static bool feature_fixed_off(struct case_ctx *ctx, const char *ifq,
			      const char *refusal)
{
	static const char *const feat[] = {
		"tcp-segmentation-offload", "generic-segmentation-offload",
	};
	char *cmd = g_strdup_printf("ethtool -k %s " FEATURES_GREP, ifq);
	struct proc_result r;
	const char *fixed = NULL;

	if (gsh(ctx, "ethtool -k", cmd, 15000, &r) == 0) {
		for (size_t i = 0; i < G_N_ELEMENTS(feat) && !fixed; i++) {
			char *line = g_strdup_printf("%s: off [fixed]",
						     feat[i]);

			if (strstr(r.out, line))
				fixed = feat[i];
			g_free(line);
		}
	}
	if (fixed && !case_failed(ctx))
		case_skip(ctx, "%s's driver (%s) cannot turn %s on: "
			  "ethtool -k shows %s: off [fixed]; ethtool -K said: "
			  "%s", model_name(ctx->nic->model),
			  model_info(ctx->nic->model)->driver, fixed, fixed,
			  refusal);
	proc_result_clear(&r);
	g_free(cmd);
	return fixed != NULL;
}

/* Set and read back the state's offloads; false when the guest is gone. */
static bool set_state(struct case_ctx *ctx, const struct state *st,
		      const char *ifq)
{
	struct proc_result r;
	char *cmd, *v;
	const char *ev;
	int rc;

	cmd = g_strdup_printf("ethtool -K %s tso %s gso %s", ifq, st->tso,
			      st->gso);
	rc = gsh(ctx, "ethtool -K", cmd, 15000, &r);
	g_free(cmd);
	proc_result_clear(&r);
	if (rc < 0)
		return false;
	expect_eq(ctx, "ethtool -K exit status", 0, rc, case_last_cmd(ctx));
	cmd = g_strdup_printf("ethtool -k %s " FEATURES_GREP, ifq);
	rc = gsh(ctx, "ethtool -k", cmd, 15000, &r);
	g_free(cmd);
	if (rc != 0) {
		if (rc > 0)
			case_error(ctx, "ethtool -k failed with status %d "
				   "(%s)", rc, case_last_cmd(ctx));
		proc_result_clear(&r);
		return rc > 0;
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
	return true;
}

/*
 * Judge the largest TCP datagram of the transfer's connection in a
 * capture: over the MTU (super-frames) or within it.
 */
static void judge_largest(struct case_ctx *ctx, const char *where,
			  const struct flow_count *fc, bool big,
			  const char *evidence)
{
	expect_cmp(ctx, case_fmt(ctx, "largest TCP/IPv4 datagram guest -> "
				 "host %s", where), big ? CMP_GT : CMP_LE, MTU,
		   (long long)fc->max_ip_len, evidence);
}

/*
 * One offload state: a fresh tap capture, the offloads, a capture in the
 * guest while it sends the file to nicq's receiver, both captures judged.
 * false when the guest can no longer be driven.
 */
static bool run_state(struct case_ctx *ctx, const struct state *st,
		      const char *ifq, const char *want)
{
	const struct nic_under_test *nic = ctx->nic;
	bool tso = !strcmp(st->tso, "on");
	bool virtio = nic->model == NIC_VIRTIO;
	char *gpcap = g_strdup_printf("%s/guest-%s.pcap", ctx->dir, st->name);
	char *cmd, err[ERRLEN];
	struct sshc_job *job = NULL;
	struct xfer *rx = NULL;
	struct xfer_result res;
	guchar *pc = NULL;
	gsize pc_len = 0;
	struct proc_result r;
	struct flow_count fc;
	const char *ev;
	bool alive = false;
	int rc, port;

	case_scope(ctx, "%s", st->name);
	case_phase(ctx, "%s", st->name);
	if (case_capture_rotate(ctx, st->name) < 0 ||
	    !set_state(ctx, st, ifq))
		goto out;

	/* the host listens on the NIC under test's segment, and after the
	 * first MiB lets the guest's data queue behind a shut window once
	 * (xfer_recv_start_backlog() says why) */
	if (xfer_recv_start_backlog(nic->host_ip, nic->ip, 0, FILE_BYTES,
				    1 << 20, case_scaled_ms(ctx, 90000), 30000,
				    &rx, err) < 0) {
		case_error(ctx, "%s", err);
		goto out;
	}
	port = xfer_port(rx);

	/*
	 * The guest's capture of what its NIC is handed.  In immediate mode:
	 * otherwise libpcap reads a TPACKET_V3 ring whose blocks reach
	 * tcpdump only when full or after its 1 s time-out, and the block
	 * still open when tcpdump is stopped is lost: TSO's few super-frames
	 * fit in one, and e1000's tso-on-gso-on capture came back empty
	 * (CI-like run ci-38: 0 frames, the file sent in 1.25 s).
	 */
	cmd = g_strdup_printf("rm -f /tmp/o.pcap; tcpdump -p -U "
			      "--immediate-mode -s 96 "
			      "-i %s -w /tmp/o.pcap tcp and src host %s and "
			      "dst port %d 2>/dev/null & echo $! > /tmp/o.pid; "
			      "wait", ifq, nic->ip, port);
	rc = sshc_start(ctx->ssh, cmd, 10000, &job, err);
	g_free(cmd);
	if (rc < 0) {
		case_error(ctx, "cannot start the guest's capture: %s", err);
		goto out;
	}
	/* tcpdump took up to 2.3 s to start with seven guests on 2 cores;
	 * it gets 600 rounds of 50 ms, 30 s and more */
	rc = gsh(ctx, "the guest's capture", "i=0; while [ $i -lt 600 ]; do "
		 "[ -s /tmp/o.pcap ] && exit 0; usleep 50000; i=$((i + 1)); "
		 "done; exit 1", 60000, &r);
	proc_result_clear(&r);
	if (rc != 0) {
		if (rc > 0)
			case_error(ctx, "the guest's capture did not start "
				   "within 30 s (%s)", case_last_cmd(ctx));
		goto out;
	}

	/* guest -> host on a connection of its own */
	case_phase(ctx, "%s: the file guest -> host", st->name);
	cmd = g_strdup_printf("nc %s %d < /tmp/f", nic->host_ip, port);
	rc = gsh(ctx, "sending the file", cmd, case_scaled_ms(ctx, 90000),
		 &r);
	g_free(cmd);
	ev = case_last_cmd(ctx);
	if (rc > 0)
		observe_str(ctx, "nc in the guest", "exit status %d", rc);
	proc_result_clear(&r);
	xfer_finish(rx, &res);
	xfer_note_refused(ctx, &res);
	rx = NULL;
	observe(ctx, "seconds to send the file", VAL_D(res.seconds), "s", ev);
	observe(ctx, "bytes the host held unread after the first MiB (the "
		"guest's queue behind a shut window)",
		VAL_I((long long)res.backlog_bytes), NULL,
		case_fmt(ctx, "%s; held %d ms", ev, res.backlog_ms));
	if (!res.ok)
		observe_str(ctx, "why the host's end stopped", "%s", res.err);
	expect_eq(ctx, "bytes the host received", FILE_BYTES,
		  (long long)res.bytes, ev);
	expect_str(ctx, "SHA-256 of what the host received, equal to the "
		   "guest's of the file", want, res.sha256, ev);
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
		else if (flow_count_port(gpcap, nic->ip, nic->host_ip, 6,
					 port, &fc, err) < 0)
			case_error(ctx, "%s", err);
		else if (!fc.frames && res.bytes)
			/* nothing to judge the NIC by */
			case_error(ctx, "capture incomplete: the guest's "
				   "capture holds none of the %llu bytes the "
				   "host received (%s)",
				   (unsigned long long)res.bytes,
				   case_rel(ctx, gpcap));
		else {
			observe(ctx, "TCP frames guest -> host in the "
				"guest's capture", VAL_I((long long)fc.frames),
				NULL, case_rel(ctx, gpcap));
			judge_largest(ctx, "in the guest's capture", &fc, tso,
				      case_rel(ctx, gpcap));
		}
	} else if (rc > 0) {
		case_error(ctx, "cannot fetch the guest's capture (%s)",
			   case_last_cmd(ctx));
	}
	proc_result_clear(&r);
	alive = rc >= 0;

	/* the host's tap over this state */
	case_captures_stop(ctx);
	if (flow_count_port(nic->pcap, nic->ip, nic->host_ip, 6, port, &fc,
			    err) < 0) {
		case_error(ctx, "%s", err);
		goto out;
	}
	expect_cmp(ctx, "TCP payload bytes guest -> host on the tap",
		   CMP_GE, FILE_BYTES, (long long)fc.l4_bytes,
		   case_rel(ctx, nic->pcap));
	judge_largest(ctx, virtio ? "on the tap (virtio hands TSO "
		      "super-frames to the tap)" : "on the tap (QEMU segments "
		      "TSO frames itself)", &fc, virtio && tso,
		      case_rel(ctx, nic->pcap));
out:
	if (rx)
		xfer_finish(rx, &res);
	sshc_job_free(job);
	case_scope(ctx, NULL);
	g_free(gpcap);
	g_free(pc);
	return alive;
}

static void offload_run(struct case_ctx *ctx)
{
	const struct nic_under_test *nic = ctx->nic;
	char *ifq = shq(nic->ifname), *cmd, *want = NULL;
	struct proc_result r;
	size_t si;
	int rc;

	/* what the driver starts with */
	case_phase(ctx, "offloads at boot");
	cmd = g_strdup_printf("ethtool -k %s " FEATURES_GREP, ifq);
	rc = gsh(ctx, "ethtool -k", cmd, 15000, &r);
	g_free(cmd);
	if (rc == 0)
		observe(ctx, "offloads at boot (ethtool -k)",
			VAL_S(g_strstrip(r.out)), NULL, case_last_cmd(ctx));
	proc_result_clear(&r);
	if (rc < 0)
		goto out;

	/* can the driver do TSO and GSO at all? */
	case_phase(ctx, "TSO and GSO on");
	cmd = g_strdup_printf("ethtool -K %s tso on gso on", ifq);
	rc = gsh(ctx, "ethtool -K", cmd, 15000, &r);
	g_free(cmd);
	if (rc > 0 && feature_fixed_off(ctx, ifq, r.errout && r.errout[0] ?
					g_strstrip(r.errout) : "(nothing)")) {
		proc_result_clear(&r);
		goto out;
	}
	proc_result_clear(&r);
	if (rc < 0)
		goto out;

	/* the file, once, with its SHA-256 in the guest */
	case_phase(ctx, "the test file");
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
	want = g_strstrip(want);

	for (si = 0; si < G_N_ELEMENTS(states); si++)
		if (!run_state(ctx, &states[si], ifq, want) || interrupted())
			break;
	case_captures_stop(ctx);
out:
	g_free(want);
	g_free(ifq);
}

/*
 * Measured under TCG on a loaded 2-core host: the case's own part took
 * 30-40 s for the four states (3-7 s a transfer); about 4x, and room for
 * one transfer's 90 s limit.  The file's size is fixed, so no parameter.
 */
static int offload_deadline(const struct profile *p)
{
	(void)p;
	return 240;
}

const struct case_desc case_offload = {
	.name = "offload",
	.summary = "10 MiB guest -> host over TCP of its own, intact with TSO "
		   "and GSO, TSO only, GSO only and no offload; super-frames "
		   "where each model should show them",
	.plan_case = 8,
	.plan = "TSO/GSO offload",
	.capture_snaplen = 96,
	.topo = &topo_with_mgmt,
	.deadline_s = offload_deadline,
	.controls = {
		{ "corrupt-tcp", "virtio",
		  "tso-on-gso-on: SHA-256 of what the host received*" },
	},
	.run = offload_run,
};
