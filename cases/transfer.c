/*
 * transfer.c - Fedora vhost-net plan case 1: data transfer.
 *
 * Random data (quick: 128 MiB, full: 5 GiB each way) goes host -> guest
 * and guest -> host at the same time over plain TCP on the NIC under test,
 * with busybox nc at the guest end.  Nothing is stored: the host streams a
 * seeded generator and hashes it (harness/xfer.c); the guest hashes what
 * it receives and sends it straight back to the host over a second
 * connection, which the host hashes as it arrives.  So the guest's hash
 * checks host -> guest, and the host's hash of the returned stream against
 * the guest's checks guest -> host.  (A second random stream generated in
 * the guest would double the guest's CPU work under TCG - /dev/urandom and
 * a second SHA-256 - and cut the rate to a third, measured: 18 vs 67
 * Mbit/s on virtio.)
 *
 * The guest is driven over its management NIC (another model, see
 * topo_with_mgmt), so SSH's own traffic and encryption stay off the NIC
 * under test.  Each direction goes through the TCP ledger
 * (case_tcp_ledger(): by sequence number on the NIC's tap), so a transfer
 * that went another way fails, and since both streams end, the unique
 * payload on the tap must be exactly what the receiver read: the guest
 * counts what it received (wc -c on a third branch of its tee), the host
 * what came back.  Afterwards a ping over the NIC, judged from the
 * capture, must lose nothing.
 *
 * Expectations, per direction ("host -> guest", "guest -> host"): every
 * byte moved, the SHA-256 at the receiving end equal to the sender's, the
 * ledger's bounds and its equality; then the ping's requests and replies
 * on the tap.
 */
#include "case.h"
#include "flow.h"
#include "util.h"
#include "xfer.h"

#include <glib.h>
#include <string.h>

#define PORT_TO_GUEST 5001

static const struct param p_transfer_mib = {
	"transfer_mib", PARAM_INT, "32", "5120", 1, 65536,
	"MiB moved each way, at once, by the transfer case",
};

/* What one direction moved, as the host's end saw it. */
static void observe_xfer(struct case_ctx *ctx, const struct xfer_result *x)
{
	observe_num(ctx, "seconds", x->seconds, "s");
	observe_num(ctx, "throughput", x->seconds > 0 ?
		    x->bytes * 8 / x->seconds / 1e6 : 0, "Mbit/s");
	if (!x->ok)
		observe_str(ctx, "why the host's end stopped", "%s", x->err);
}

static void transfer_run(struct case_ctx *ctx)
{
	const struct nic_under_test *nic = ctx->nic;
	int mib = case_param(ctx, &p_transfer_mib);
	int after = case_param(ctx, &param_after_count);
	uint64_t len = (uint64_t)mib << 20;
	uint64_t seed = ((uint64_t)g_random_int() << 32) | g_random_int();
	/* TCG guests move 5-40 MB/s; allow 1 MB/s plus start-up */
	int timeout_ms = case_scaled_ms(ctx, 60000 + mib * 1000);
	int back_port;
	struct ping_spec ps = { .dst = nic->ip, .count = after, .size = 56 };
	struct ping_summary ping = { 0 };
	struct sshc_job *rx_job = NULL;
	struct xfer *to_guest = NULL, *from_guest = NULL;
	struct xfer_result r_to, r_from;
	struct proc_result r;
	char err[ERRLEN], *cmd, *sha_to = NULL, *got = NULL;
	long long guest_read = -1;
	const char *guest_ev = NULL, *ev_pcap;
	bool pinged = false;

	case_phase(ctx, "transfer");
	/* guest -> host: nicq listens first, then the guest sends */
	if (xfer_recv_start_from(nic->host_ip, nic->ip, 0, len, timeout_ms,
				 30000, &from_guest, err) < 0) {
		case_error(ctx, "%s", err);
		return;
	}
	back_port = xfer_port(from_guest);
	/*
	 * host -> guest: the guest listens, hashes what arrives and sends it
	 * straight back over a second connection; the host's sender retries
	 * until the listener is up.
	 */
	cmd = g_strdup_printf(
		"rm -f /tmp/nicq-f /tmp/nicq-c; mkfifo /tmp/nicq-f /tmp/nicq-c; "
		"sha256sum < /tmp/nicq-f > /tmp/nicq-sum & "
		"wc -c < /tmp/nicq-c > /tmp/nicq-n & "
		"nc -l -p %d | tee /tmp/nicq-f /tmp/nicq-c | nc %s %d; wait; "
		"sed 's/^/to_guest=/' /tmp/nicq-sum; "
		"sed 's/^ */to_guest_bytes=/' /tmp/nicq-n", PORT_TO_GUEST,
		nic->host_ip, back_port);
	if (sshc_start(ctx->ssh, cmd, timeout_ms, &rx_job, err) < 0) {
		case_error(ctx, "cannot start the guest's receiver: %s", err);
		g_free(cmd);
		xfer_finish(from_guest, &r_from);
		return;
	}
	g_free(cmd);
	if (xfer_send_start(nic->ip, PORT_TO_GUEST, len, seed, timeout_ms,
			    30000, &to_guest, err) < 0)
		case_error(ctx, "%s", err);

	xfer_finish(to_guest, &r_to);
	xfer_finish(from_guest, &r_from);
	xfer_note_refused(ctx, &r_from);
	if (sshc_job_wait(rx_job, 30000, &r, err) == 0) {
		sha_to = kv_get(r.out, "to_guest=");
		got = kv_get(r.out, "to_guest_bytes=");
		guest_ev = case_last_cmd(ctx);
	} else {
		case_error(ctx, "the guest's receiver: %s", err);
	}
	proc_result_clear(&r);
	sshc_job_free(rx_job);
	if (case_failed(ctx))
		goto out;

	case_phase(ctx, "ping after the transfer");
	pinged = case_host_ping(ctx, &ps, &ping) == 0;
	case_captures_stop(ctx);
	if (interrupted())
		goto out;

	case_phase(ctx, "judge");
	if (got) {
		gint64 v;

		guest_read = g_ascii_string_to_signed(g_strstrip(got), 10, 0,
						      G_MAXINT64, &v, NULL) ?
			     (long long)v : -1;
	}
	ev_pcap = case_rel(ctx, nic->pcap);
	case_scope(ctx, "host -> guest");
	expect_eq(ctx, "bytes the host sent", (long long)len,
		  (long long)r_to.bytes, NULL);
	expect_eq(ctx, "bytes the guest received", (long long)len,
		  guest_read, guest_ev);
	expect_str(ctx, "SHA-256 of what the guest received", r_to.sha256,
		   sha_to, guest_ev);
	case_tcp_ledger(ctx, nic, nic->host_ip, nic->ip, PORT_TO_GUEST,
			(long long)r_to.bytes, 0, guest_read,
			r_to.ok && guest_read >= 0, ev_pcap);
	observe_xfer(ctx, &r_to);

	/* what the guest hashed is what it sent back */
	case_scope(ctx, "guest -> host");
	expect_eq(ctx, "bytes the host received", (long long)len,
		  (long long)r_from.bytes, NULL);
	if (sha_to)
		expect_str(ctx, "SHA-256 of what the host received, equal "
			   "to the guest's of what it sent", sha_to,
			   r_from.sha256, guest_ev);
	/* the guest's tee passed on all it received */
	case_tcp_ledger(ctx, nic, nic->ip, nic->host_ip, back_port,
			guest_read, 0, (long long)r_from.bytes,
			r_from.ok && guest_read >= 0, ev_pcap);
	observe_xfer(ctx, &r_from);
	case_scope(ctx, NULL);

	if (pinged)
		case_ping_judge(ctx, nic, ping.ident, after,
				"ping after the transfer");
out:
	ping_summary_clear(&ping);
	g_free(sha_to);
	g_free(got);
}

/*
 * Measured under TCG on a 2-core host (quick, 128 MiB each way): 91-105 s
 * on the three models (0.7-0.8 s/MiB); about 3x, by size.  It also covers
 * the case's own bounds: the transfer's 60 s + 1 s/MiB, the guest's 30 s.
 */
static int transfer_deadline(const struct profile *p)
{
	return 90 + prof_int(p, &p_transfer_mib) * 5 / 2 +
	       prof_int(p, &param_after_count) / 2;
}

static const struct param *const transfer_params[] = {
	&p_transfer_mib, &param_after_count, NULL,
};

const struct case_desc case_transfer = {
	.name = "transfer",
	.summary = "random data both ways at once over TCP, SHA-256 checked at "
		   "both ends, the volume seen on the tap, then a clean ping",
	.plan_case = 1,
	.plan = "data transfer",
	.capture_snaplen = 96,
	.topo = &topo_with_mgmt,
	.params = transfer_params,
	.deadline_s = transfer_deadline,
	.controls = {
		{ "corrupt-tcp", "virtio",
		  "host -> guest: SHA-256 of what the guest received" },
	},
	.run = transfer_run,
};
