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
 * under test.  The capture on the NIC's tap must carry at least the bytes
 * moved, as TCP payload, in each direction (harness/flow.c), so a transfer
 * that went another way fails.  Afterwards a ping over the NIC, judged from
 * the capture, must lose nothing.
 */
#include "case.h"
#include "flow.h"
#include "util.h"
#include "xfer.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT_TO_GUEST 5001

static void judge_direction(struct case_ctx *ctx, const char *label,
			    const struct xfer_result *host,
			    const char *guest_sha, uint64_t want)
{
	diag_map(ctx->diag, label);
	diag_int(ctx->diag, "bytes", (long long)host->bytes);
	diag_num(ctx->diag, "seconds", host->seconds);
	diag_num(ctx->diag, "mbit_per_s", host->seconds > 0 ?
		 host->bytes * 8 / host->seconds / 1e6 : 0);
	diag_str(ctx->diag, "host_sha256", "%s", host->sha256);
	diag_str(ctx->diag, "guest_sha256", "%s", guest_sha ? guest_sha :
		 "(none)");
	diag_end(ctx->diag);
	if (!host->ok)
		case_fail(ctx, "%s: %s", label, host->err);
	else if (host->bytes != want)
		case_fail(ctx, "%s: %llu of %llu bytes", label,
			  (unsigned long long)host->bytes,
			  (unsigned long long)want);
	if (!guest_sha)
		case_fail(ctx, "%s: no checksum from the guest", label);
	else if (strcmp(guest_sha, host->sha256))
		case_fail(ctx, "%s: checksums differ: host %s, guest %s",
			  label, host->sha256, guest_sha);
}

static void check_tap(struct case_ctx *ctx, const char *label,
		      const char *src, const char *dst, uint64_t want)
{
	struct flow_count fc;
	char err[ERRLEN];

	if (flow_count(ctx->nic->pcap, src, dst, 6, &fc, err) < 0) {
		case_fail(ctx, "%s", err);
		return;
	}
	diag_int(ctx->diag, label, (long long)fc.l4_bytes);
	if (fc.l4_bytes < want)
		case_fail(ctx, "the tap %s carried %llu TCP payload bytes "
			  "%s -> %s, less than the %llu moved: the data did "
			  "not (all) go over the NIC under test",
			  ctx->nic->tap, (unsigned long long)fc.l4_bytes,
			  src, dst, (unsigned long long)want);
}

static enum verdict transfer_run(struct case_ctx *ctx)
{
	const struct nic_under_test *nic = ctx->nic;
	uint64_t len = (uint64_t)ctx->prof->transfer_mib << 20;
	uint64_t seed = ((uint64_t)g_random_int() << 32) | g_random_int();
	/* TCG guests move 5-40 MB/s; allow 1 MB/s plus start-up */
	int timeout_ms = 60000 + ctx->prof->transfer_mib * 1000;
	struct sshc_job *rx_job = NULL;
	struct xfer *to_guest = NULL, *from_guest = NULL;
	struct xfer_result r_to, r_from;
	struct proc_result r;
	char err[ERRLEN], *cmd, *sha_to = NULL;
	uint16_t ping_id;

	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "transfer", "%d MiB host -> guest and %d MiB "
		 "guest -> host at once over TCP on %s, SHA-256 equal at both "
		 "ends", ctx->prof->transfer_mib, ctx->prof->transfer_mib,
		 nic->tap);
	diag_str(ctx->diag, "capture", "at least that many TCP payload bytes "
		 "each way on %s", nic->tap);
	diag_str(ctx->diag, "control", "SSH over the management NIC (%s), "
		 "not the NIC under test", nic_model_libvirt(ctx->nics[1].model));
	diag_int(ctx->diag, "ping_after", ctx->prof->after_count);
	diag_end(ctx->diag);

	/* guest -> host: nicq listens first, then the guest sends */
	if (xfer_recv_start(nic->host_ip, 0, len, timeout_ms, 30000,
			    &from_guest, err) < 0)
		case_fail(ctx, "%s", err);
	/*
	 * host -> guest: the guest listens, hashes what arrives and sends it
	 * straight back over a second connection; the host's sender retries
	 * until the listener is up.
	 */
	if (from_guest) {
		cmd = g_strdup_printf(
			"rm -f /tmp/nicq-f; mkfifo /tmp/nicq-f; "
			"sha256sum < /tmp/nicq-f > /tmp/nicq-sum & "
			"nc -l -p %d | tee /tmp/nicq-f | nc %s %d; wait; "
			"sed 's/^/to_guest=/' /tmp/nicq-sum", PORT_TO_GUEST,
			nic->host_ip, xfer_port(from_guest));
		if (sshc_start(ctx->ssh, cmd, timeout_ms, &rx_job, err) < 0)
			case_fail(ctx, "cannot start the guest's echo: %s",
				  err);
		g_free(cmd);
	}
	if (rx_job && xfer_send_start(nic->ip, PORT_TO_GUEST, len, seed,
				      timeout_ms, 30000, &to_guest, err) < 0)
		case_fail(ctx, "%s", err);

	xfer_finish(to_guest, &r_to);
	xfer_finish(from_guest, &r_from);
	if (rx_job) {
		if (sshc_job_wait(rx_job, 30000, &r, err) == 0)
			sha_to = case_field(r.out, "to_guest=");
		else
			case_fail(ctx, "guest receiver: %s", err);
		proc_result_clear(&r);
		sshc_job_free(rx_job);
	}
	ping_id = case_ping_host(ctx, nic, ctx->prof->after_count, 56);
	case_captures_stop(ctx);

	diag_map(ctx->diag, "measured");
	judge_direction(ctx, "host_to_guest", &r_to, sha_to, len);
	/* what the guest hashed is what it sent back */
	judge_direction(ctx, "guest_to_host", &r_from, sha_to, len);
	check_tap(ctx, "tap_tcp_payload_to_guest", nic->host_ip, nic->ip, len);
	check_tap(ctx, "tap_tcp_payload_from_guest", nic->ip, nic->host_ip,
		  len);
	case_ping_judge(ctx, nic, ping_id, ctx->prof->after_count,
			"ping_after");
	diag_end(ctx->diag);
	g_free(sha_to);
	return ctx->why->len ? V_FAIL : V_PASS;
}

const struct case_desc case_transfer = {
	.name = "transfer",
	.summary = "random data both ways at once over TCP, SHA-256 checked at "
		   "both ends, the volume seen on the tap, then a clean ping",
	.plan = "Fedora vhost-net test plan, case 1 (data transfer)",
	.capture_snaplen = 96,
	.topo = &topo_with_mgmt,
	.run = transfer_run,
};
