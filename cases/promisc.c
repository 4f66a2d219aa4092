/*
 * promisc.c - Fedora vhost-net plan case 4: promiscuous mode.
 *
 * A file of random data (quick: 32 MiB; full: 1 GiB) goes host -> guest
 * over the NIC under test (an SSH channel into `sha256sum`) while the guest
 * switches the NIC's promiscuous mode on and off every 10 ms.  The
 * checksums on both ends must match.  The toggling must really have
 * happened: the loop counts its own switches, and the guest kernel's
 * "entered promiscuous mode" lines on the serial console must show them
 * too; no toggling is a failure.  When the transfer fails, a ping judged
 * from the capture tells whether the guest stopped receiving.  The capture on the tap must carry at least the file's bytes
 * toward the guest (TCP payload), so a transfer over another path fails.
 */
#include "case.h"
#include "echo.h"
#include "flow.h"
#include "util.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum verdict promisc_run(struct case_ctx *ctx)
{
	size_t len = (size_t)ctx->prof->promisc_mib << 20;
	guchar *data = g_malloc(len);
	char *want, *ifq = shq(ctx->nic->ifname), *cmd, err[ERRLEN];
	struct sshc_job *job = NULL;
	struct proc_result r;
	struct flow_count fc;
	int toggles = -1, kernel_on = -1;
	uint16_t probe_id = 0;
	gint64 t0;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		guint32 v = g_random_int();

		memcpy(data + i, &v, 4);
	}
	want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "transfer", "%d MiB host -> guest, sha256 %s",
		 ctx->prof->promisc_mib, want);
	diag_str(ctx->diag, "toggling", "promisc on/off every 10 ms during "
		 "the transfer, seen by the kernel");
	diag_end(ctx->diag);

	cmd = g_strdup_printf(
		"rm -f /tmp/nicq-stop; n=0; "
		"while [ ! -e /tmp/nicq-stop ]; do "
		"ip link set dev %s promisc on && usleep 10000 && "
		"ip link set dev %s promisc off && usleep 10000 && "
		"n=$((n + 1)); done; echo toggles=$n", ifq, ifq);
	if (sshc_start(ctx->ssh, cmd, 10000, &job, err) < 0)
		case_fail(ctx, "cannot start the promisc toggling: %s", err);
	g_free(cmd);

	t0 = g_get_monotonic_time();
	diag_map(ctx->diag, "measured");
	if (sshc_run(ctx->ssh, "sha256sum", data, len,
		     60000 + ctx->prof->promisc_mib * 2000, &r, err) < 0) {
		case_fail(ctx, "transfer failed: %s", err);
	} else {
		char *got = g_strndup(r.out, strcspn(r.out, " \n"));
		double secs = (g_get_monotonic_time() - t0) / 1e6;

		diag_str(ctx->diag, "guest_sha256", "%s", got);
		diag_num(ctx->diag, "seconds", secs);
		diag_num(ctx->diag, "mbit_per_s",
			 secs > 0 ? len * 8 / secs / 1e6 : 0);
		if (r.timed_out)
			case_fail(ctx, "transfer did not finish in time");
		else if (strcmp(got, want))
			case_fail(ctx, "checksums differ: host %s, guest %s",
				  want, got);
		g_free(got);
	}
	proc_result_clear(&r);
	/*
	 * A failed transfer: is the guest still receiving at all?  Ping it
	 * (judged from the capture below) so the verdict can say whether the
	 * NIC's receive path died or something else went wrong.
	 */
	if (ctx->why->len) {
		char id[16];
		char *argv[] = { "ping", "-n", "-q", "-e", id, "-c", "5", "-i",
				 "0.2", "-W", "2", ctx->nic->ip, NULL };

		probe_id = (uint16_t)g_random_int_range(1, 0xffff);
		snprintf(id, sizeof(id), "%u", probe_id);
		if (case_host_run(ctx, argv, 30000, &r) == 0)
			proc_result_clear(&r);
	}
	if (case_guest_run(ctx, "touch /tmp/nicq-stop", 10000, &r) == 0)
		proc_result_clear(&r);
	if (job) {
		if (sshc_job_wait(job, 30000, &r, err) == 0) {
			const char *t = strstr(r.out, "toggles=");

			toggles = t ? atoi(t + 8) : -1;
		}
		proc_result_clear(&r);
		sshc_job_free(job);
	}
	/* the kernel's own record, from the serial console (no SSH needed) */
	if (file_read(ctx->guests[0].console, &cmd, NULL, NULL) == 0) {
		const char *p = cmd;

		kernel_on = 0;
		while ((p = strstr(p, "entered promiscuous mode"))) {
			kernel_on++;
			p++;
		}
		g_free(cmd);
	}
	diag_int(ctx->diag, "toggles", toggles);
	diag_int(ctx->diag, "kernel_entered_promisc", kernel_on);
	/* the loop's count is lost if SSH died; the kernel's is not */
	if (kernel_on < 1 || toggles == 0)
		case_fail(ctx, "promiscuous mode was not toggled during the "
			  "transfer (loop %d, kernel %d)", toggles, kernel_on);

	case_captures_stop(ctx);
	if (probe_id) {
		struct echo_report *rep = NULL;
		const struct echo_flow *f;

		if (echo_analyze(ctx->nic->pcap, ctx->nic->host_ip,
				 ctx->nic->ip, &rep, err) == 0) {
			f = echo_report_flow(rep, probe_id);
			diag_str(ctx->diag, "ping_after_failure", "%u requests, "
				 "%u replies on the tap", f ? f->requests : 0,
				 f ? f->replies : 0);
			if (!f || !f->replies)
				case_fail(ctx, "the guest stopped answering: "
					  "%u echo requests on its tap and no "
					  "reply%s", f ? f->requests : 0,
					  f && f->requests ? "" :
					  " (ARP went unanswered)");
			echo_report_free(rep);
		}
	}
	if (flow_count(ctx->nic->pcap, ctx->nic->host_ip, ctx->nic->ip, 6,
		       &fc, err) < 0) {
		case_fail(ctx, "%s", err);
	} else {
		diag_int(ctx->diag, "tap_tcp_payload_bytes",
			 (long long)fc.l4_bytes);
		if (fc.l4_bytes < len)
			case_fail(ctx, "the tap carried %llu TCP payload bytes "
				  "toward the guest, less than the %zu moved",
				  (unsigned long long)fc.l4_bytes, len);
	}
	diag_end(ctx->diag);
	g_free(data);
	g_free(want);
	g_free(ifq);
	return ctx->why->len ? V_FAIL : V_PASS;
}

const struct case_desc case_promisc = {
	.name = "promisc",
	.summary = "random data host -> guest with checksums while the guest "
		   "toggles promiscuous mode every 10 ms",
	.plan = "Fedora vhost-net test plan, case 4 (promiscuous mode)",
	.capture_snaplen = 96,
	.run = promisc_run,
};
