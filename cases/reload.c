/*
 * reload.c - Fedora vhost-net plan case 9: driver reload.
 *
 * The guest downloads a file of random data (quick: 16 MiB, full: 256 MiB)
 * from nicq's HTTP server over the NIC under test with busybox `wget -c`,
 * retrying and resuming as a real downloader does, while it loops:
 * `ip link set down`, `modprobe -r <driver>`, `modprobe <driver>`, find
 * the new interface by its MAC, give it its address back, `ip link set up`,
 * a short pause.  The server is throttled so the download lasts longer
 * than the loop: the reloads really happen under the download.
 *
 * Verdict: the file's SHA-256 in the guest equals the host's; every round
 * really unloaded the driver (each round's interface has a new ifindex);
 * afterwards `ethtool -i` names the expected driver, a ping over the NIC
 * judged from the capture loses nothing, the tap carried at least the
 * file's bytes toward the guest, and the kernel log is clean (the harness
 * scans dmesg and the console after every case).  The guest is driven over
 * its management NIC, which uses another driver (topo_with_mgmt).
 *
 * Measured, not judged: how the download coped (HTTP requests and range
 * requests the server saw, wget attempts).  Whether a TCP connection
 * survives a reload depends on timing: the socket outlives the device and
 * TCP retransmits until the new device has the address again; the server
 * gives up on a client that stalls, and then wget resumes with a range
 * request.  (Busybox 1.35's wget has no working -T: it crashes; each
 * attempt is bounded with `timeout 60` instead.)
 */
#include "case.h"
#include "flow.h"
#include "httpd.h"
#include "util.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The driver each model binds in the guest, and the module to reload. */
static const char *const driver_of[NIC_MODEL_COUNT] = {
	[NIC_RTL8139] = "8139cp",
	[NIC_E1000] = "e1000",
	[NIC_VIRTIO] = "virtio_net",
};

/* Seconds a reload round takes under TCG, about (for the throttle). */
#define ROUND_S 2

/* Write len random bytes to path; *sha gets their SHA-256 (g_free). */
static int make_file(const char *path, uint64_t len, char **sha, char *err)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	guchar *buf = g_malloc(1 << 20);
	FILE *f = fopen(path, "we");
	uint64_t done = 0;
	int rc = -1;

	if (!f) {
		err_set(err, "cannot create %s: %m", path);
		goto out;
	}
	while (done < len) {
		size_t n = len - done < (1 << 20) ? (size_t)(len - done) :
			   (1 << 20), i;

		for (i = 0; i + 4 <= n; i += 4) {
			guint32 v = g_random_int();

			memcpy(buf + i, &v, 4);
		}
		if (fwrite(buf, 1, n, f) != n) {
			err_set(err, "cannot write %s: %m", path);
			goto out;
		}
		g_checksum_update(sum, buf, n);
		done += n;
	}
	if (fclose(f) != 0) {
		f = NULL;
		err_set(err, "cannot write %s: %m", path);
		goto out;
	}
	f = NULL;
	*sha = g_strdup(g_checksum_get_string(sum));
	rc = 0;
out:
	if (f)
		fclose(f);
	g_checksum_free(sum);
	g_free(buf);
	return rc;
}

static enum verdict reload_run(struct case_ctx *ctx)
{
	const struct nic_under_test *nic = ctx->nic;
	const struct profile *p = ctx->prof;
	const char *drv = driver_of[nic->model];
	uint64_t len = (uint64_t)p->reload_mib << 20;
	/* the download should last about twice the loop */
	uint64_t rate = len / ((uint64_t)p->reload_loops * ROUND_S * 2);
	int timeout_ms = 120000 + p->reload_loops * 10000 +
			 p->reload_mib * 1000;
	char *path = g_build_filename(ctx->dir, "download.bin", NULL);
	char *want = NULL, *got = NULL, *cmd, *s, err[ERRLEN];
	char *macq = shq(nic->mac), *ifq = shq(nic->ifname);
	struct sshc_job *dl = NULL;
	struct httpd *h = NULL;
	struct httpd_stats st = { 0 };
	struct proc_result r;
	struct flow_count fc;
	int rounds_ok = 0, distinct = 0;
	uint16_t ping_id = 0;

	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "driver", "%s", drv);
	diag_str(ctx->diag, "loop", "%d rounds of link down, modprobe -r %s, "
		 "modprobe %s, address back, link up; each round a new "
		 "interface (new ifindex)", p->reload_loops, drv, drv);
	diag_str(ctx->diag, "download", "%d MiB over HTTP with wget -c, "
		 "throttled to %llu bytes/s so it outlasts the loop; SHA-256 "
		 "equal at both ends", p->reload_mib, (unsigned long long)rate);
	diag_str(ctx->diag, "after", "ethtool -i names %s; %d pings, 0 lost; "
		 "clean kernel log", drv, p->after_count);
	diag_str(ctx->diag, "control", "SSH over the management NIC (%s)",
		 nic_model_libvirt(ctx->nics[1].model));
	diag_end(ctx->diag);

	diag_map(ctx->diag, "measured");
	if (make_file(path, len, &want, err) < 0 ||
	    httpd_start(nic->host_ip, 0, &h, err) < 0 ||
	    httpd_add_file(h, "/download.bin", path, err) < 0) {
		case_fail(ctx, "%s", err);
		goto out;
	}
	httpd_set_rate(h, rate ? rate : 1);
	s = g_build_filename(ctx->dir, "httpd.log", NULL);
	httpd_set_log(h, s, NULL);
	g_free(s);

	/* the downloader: resume until complete, as a real one would */
	cmd = g_strdup_printf(
		"rm -f /tmp/nicq-dl; n=0; "
		"until timeout 60 wget -c -q -O /tmp/nicq-dl "
		"http://%s:%d/download.bin 2>/dev/null; do "
		"n=$((n + 1)); [ $n -lt 200 ] || break; usleep 500000; done; "
		"echo attempts=$((n + 1)); sha256sum /tmp/nicq-dl | "
		"sed 's/^/sha=/'; rm -f /tmp/nicq-dl",
		nic->host_ip, httpd_port(h));
	if (sshc_start(ctx->ssh, cmd, timeout_ms, &dl, err) < 0)
		case_fail(ctx, "cannot start the download: %s", err);
	g_free(cmd);
	/* let the download get going before the first reload */
	usleep(1500000);

	/* the reload loop; each round prints the new interface's ifindex */
	cmd = g_strdup_printf(
		"mac=%s; dev=%s; "
		"find_mac() { for d in /sys/class/net/*; do "
		"[ \"$(cat $d/address)\" = \"$mac\" ] && { echo ${d##*/}; "
		"return 0; }; done; return 1; }; "
		"for i in $(seq %d); do "
		"ip link set dev $dev down; "
		"modprobe -r %s || echo \"round $i: modprobe -r failed\"; "
		"usleep 300000; "
		"modprobe %s || echo \"round $i: modprobe failed\"; "
		"t=0; until dev=$(find_mac); do t=$((t + 1)); "
		"[ $t -lt 50 ] || break; usleep 100000; done; "
		"[ -n \"$dev\" ] || { echo \"round $i: no interface\"; "
		"exit 1; }; "
		"ip addr add %s/24 dev $dev; ip link set dev $dev up; "
		"echo \"round $i dev=$dev ifindex=$(cat "
		"/sys/class/net/$dev/ifindex)\"; sleep 1; done; "
		"echo final_dev=$dev",
		macq, ifq, p->reload_loops, drv, drv, nic->ip);
	if (case_guest_run(ctx, cmd, p->reload_loops * 20000 + 30000,
			   &r) == 0) {
		GHashTable *seen = g_hash_table_new_full(g_str_hash,
							 g_str_equal, g_free,
							 NULL);
		char **lines = g_strsplit(r.out, "\n", -1), **l;

		diag_list(ctx->diag, "rounds");
		for (l = lines; *l; l++) {
			char *ix = case_field(*l, "ifindex=");

			if (!**l || g_str_has_prefix(*l, "final_dev="))
				continue;
			diag_str(ctx->diag, NULL, "%s", *l);
			if (ix) {
				rounds_ok++;
				if (!g_hash_table_contains(seen, ix))
					g_hash_table_add(seen, ix);
				else
					g_free(ix);
			}
		}
		diag_end(ctx->diag);
		distinct = (int)g_hash_table_size(seen);
		g_hash_table_destroy(seen);
		g_strfreev(lines);
		if (r.status != 0 || rounds_ok != p->reload_loops ||
		    strstr(r.out, "failed"))
			case_fail(ctx, "the reload loop did not complete "
				  "%d rounds (%d did)", p->reload_loops,
				  rounds_ok);
		else if (distinct != p->reload_loops)
			case_fail(ctx, "%d rounds gave %d distinct ifindexes: "
				  "the driver was not really reloaded each "
				  "round", rounds_ok, distinct);
	}
	proc_result_clear(&r);
	g_free(cmd);

	if (dl) {
		if (sshc_job_wait(dl, timeout_ms, &r, err) == 0) {
			char *att = case_field(r.out, "attempts=");

			got = case_field(r.out, "sha=");
			diag_str(ctx->diag, "wget_attempts", "%s",
				 att ? att : "?");
			g_free(att);
		} else {
			case_fail(ctx, "download: %s", err);
		}
		proc_result_clear(&r);
		sshc_job_free(dl);
	}
	httpd_stats(h, &st);
	diag_int(ctx->diag, "http_requests", (long long)st.requests);
	diag_int(ctx->diag, "http_range_requests",
		 (long long)st.range_requests);
	diag_int(ctx->diag, "http_body_bytes_sent", (long long)st.bytes_sent);
	diag_str(ctx->diag, "host_sha256", "%s", want);
	diag_str(ctx->diag, "guest_sha256", "%s", got ? got : "(none)");
	if (!got)
		case_fail(ctx, "the download gave no checksum");
	else if (strcmp(got, want))
		case_fail(ctx, "the downloaded file differs: host %s, guest %s",
			  want, got);

	/* the driver after the loop */
	cmd = g_strdup_printf("for d in /sys/class/net/*; do [ \"$(cat "
			      "$d/address)\" = %s ] && ethtool -i ${d##*/}; "
			      "done", macq);
	if (case_guest_run(ctx, cmd, 10000, &r) == 0) {
		char *d = case_field(r.out, "driver: ");

		diag_str(ctx->diag, "driver_after", "%s", d ? d : "(none)");
		if (!d || strcmp(d, drv))
			case_fail(ctx, "after the loop the NIC's driver is %s, "
				  "not %s", d ? d : "unknown", drv);
		g_free(d);
	}
	proc_result_clear(&r);
	g_free(cmd);

	ping_id = case_ping_host(ctx, nic, p->after_count, 56);
out:
	httpd_stop(h);
	case_captures_stop(ctx);
	if (ping_id)
		case_ping_judge(ctx, nic, ping_id, p->after_count,
				"ping_after");
	if (flow_count(nic->pcap, nic->host_ip, nic->ip, 6, &fc, err) < 0) {
		case_fail(ctx, "%s", err);
	} else {
		diag_int(ctx->diag, "tap_tcp_payload_to_guest",
			 (long long)fc.l4_bytes);
		if (fc.l4_bytes < len)
			case_fail(ctx, "the tap carried %llu TCP payload bytes "
				  "toward the guest, less than the file's "
				  "%llu", (unsigned long long)fc.l4_bytes,
				  (unsigned long long)len);
	}
	diag_end(ctx->diag);
	unlink(path);
	g_free(path);
	g_free(macq);
	g_free(ifq);
	g_free(want);
	g_free(got);
	return ctx->why->len ? V_FAIL : V_PASS;
}

const struct case_desc case_reload = {
	.name = "reload",
	.summary = "the NIC's driver unloaded and reloaded in a loop during a "
		   "resumed HTTP download: file intact, new device each round, "
		   "driver bound, clean ping and kernel log",
	.plan = "Fedora vhost-net test plan, case 9 (driver reload)",
	.capture_snaplen = 96,
	.topo = &topo_with_mgmt,
	.run = reload_run,
};
