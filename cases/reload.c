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
 * Expectations: the file's SHA-256 in the guest equals the host's; the
 * loop ran every round without a failed modprobe and exited 0; every round
 * really unloaded the driver (each round's interface has a new ifindex);
 * afterwards `ethtool -i` names the model's driver, a ping over the NIC
 * judged from the capture loses nothing, and the tap carried at least the
 * file's bytes toward the guest (the runner checks the kernel log after
 * every case).  The guest is driven over its management NIC, which uses
 * another driver (topo_with_mgmt).
 *
 * Observed, not judged: how the download coped (HTTP requests and range
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
#include <string.h>
#include <unistd.h>

/* Seconds a reload round takes under TCG, about (for the throttle). */
#define ROUND_S 2
#define PING_SIZE 56

static const struct param p_loops = {
	"reload_loops", PARAM_INT, "4", "50", 1, 100000,
	"rounds of the driver reload loop (link down, modprobe -r, modprobe, "
	"address back, link up)",
};
static const struct param p_mib = {
	"reload_mib", PARAM_INT, "16", "256", 1, 4096,
	"MiB the guest downloads over HTTP during the reload loop",
};

/* Write len random bytes to path; *sha gets their SHA-256 (g_free). */
static int make_file(const char *path, uint64_t len, char **sha, char *err)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	guchar *buf = g_malloc(1 << 20);
	FILE *f = file_fopen(path, "w");
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


/* A file name for evidence: the part after the last '/'. */
static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * The reload loop's output: one "round N dev=D ifindex=I" line per round
 * that brought the interface back, "round N: ... failed" for a failed
 * modprobe.  Judges the rounds, the failures and the distinct ifindexes.
 */
static void judge_loop(struct case_ctx *ctx, const struct proc_result *r,
		       int loops, const char *ev)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, NULL);
	char **lines = g_strsplit(r->out, "\n", -1), **l;
	int rounds = 0, failed = 0;

	for (l = lines; *l; l++) {
		char *ix, *dev;

		g_strstrip(*l);
		if (!**l)
			continue;
		if ((dev = kv_get(*l, "final_dev="))) {
			observe_str(ctx, "interface after the loop", "%s", dev);
			g_free(dev);
		} else if ((ix = kv_get(*l, "ifindex="))) {
			rounds++;
			observe_str(ctx, case_fmt(ctx, "round %d", rounds), "%s",
				    *l);
			g_hash_table_add(seen, ix);	/* a repeat replaces */
		} else {
			/* "round N: modprobe failed", "round N: no interface" */
			failed += !!strstr(*l, "failed");
			observe_str(ctx, case_fmt(ctx, "problem in round %d",
						  rounds + 1), "%s", *l);
		}
	}
	expect_eq(ctx, "rounds that brought the interface back", loops,
		  rounds, ev);
	expect_eq(ctx, "failed modprobe -r / modprobe", 0, failed, ev);
	expect_eq(ctx, "exit status of the loop", 0, r->status, ev);
	/* a driver really unloaded gives the next round a new device */
	expect_eq(ctx, "distinct ifindexes (a new interface each round)",
		  rounds, g_hash_table_size(seen), ev);
	g_hash_table_destroy(seen);
	g_strfreev(lines);
}

static void reload_run(struct case_ctx *ctx)
{
	struct nic_under_test *nic = ctx->nic;
	const char *drv = model_info(nic->model)->driver;
	int loops = case_param(ctx, &p_loops), mib = case_param(ctx, &p_mib);
	uint64_t len = (uint64_t)mib << 20;
	/* the download should last about twice the loop */
	uint64_t rate = len / ((uint64_t)loops * ROUND_S * 2);
	int timeout_ms = 120000 + loops * 10000 + mib * 1000;
	char *path = g_build_filename(ctx->dir, "download.bin", NULL);
	char *want = NULL, *cmd, *s, err[ERRLEN];
	char *macq = shq(nic->mac), *ifq = shq(nic->ifname);
	struct sshc_job *dl = NULL;
	struct httpd *h = NULL;
	struct httpd_stats st = { 0 };
	struct proc_result r;
	struct flow_count fc;

	case_phase(ctx, "prepare the download");
	if (make_file(path, len, &want, err) < 0 ||
	    httpd_start_from(nic->host_ip, nic->ip, 0, &h, err) < 0 ||
	    httpd_add_file(h, "/download.bin", path, err) < 0) {
		case_error(ctx, "%s", err);
		goto out;
	}
	httpd_set_rate(h, rate ? rate : 1);
	s = g_build_filename(ctx->dir, "httpd.log", NULL);
	if (httpd_set_log(h, s, err) < 0)
		case_error(ctx, "%s", err);
	g_free(s);
	case_scope(ctx, "download");
	observe_int(ctx, "file size", (long long)len, "bytes");
	observe_int(ctx, "server throttle", (long long)(rate ? rate : 1),
		    "bytes/s");

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
		case_error(ctx, "cannot start the download: %s", err);
	g_free(cmd);
	/* let the download get going before the first reload */
	g_usleep(1500000);

	/* the reload loop; each round prints the new interface's ifindex */
	case_phase(ctx, "reload loop");
	case_scope(ctx, "reload loop");
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
		macq, ifq, loops, drv, drv, nic->ip);
	if (case_guest_run(ctx, cmd, loops * 20000 + 30000, &r) == 0)
		judge_loop(ctx, &r, loops, case_last_cmd(ctx));
	proc_result_clear(&r);
	g_free(cmd);

	case_phase(ctx, "download");
	case_scope(ctx, "download");
	if (dl) {
		if (sshc_job_wait(dl, timeout_ms, &r, err) == 0) {
			long long att;
			char *got = kv_get(r.out, "sha=");

			if (kv_get_int(r.out, "attempts=", 1, 1000, &att) == 0)
				observe_int(ctx, "wget attempts", att, NULL);
			expect_str(ctx, "SHA-256 of the file in the guest",
				   want, got, case_last_cmd(ctx));
			g_free(got);
		} else {
			case_error(ctx, "the download did not finish: %s",
				   err);
		}
		proc_result_clear(&r);
		sshc_job_free(dl);
	}
	httpd_stats(h, &st);
	observe_int(ctx, "HTTP requests", (long long)st.requests, NULL);
	observe_int(ctx, "HTTP range requests (resumed)",
		    (long long)st.range_requests, NULL);
	observe_int(ctx, "HTTP body bytes sent", (long long)st.bytes_sent,
		    "bytes");
	observe_int(ctx, "HTTP responses cut short",
		    (long long)st.aborted, NULL);

	/* the driver after the loop */
	case_phase(ctx, "after the loop");
	case_scope(ctx, "after the loop");
	cmd = g_strdup_printf("for d in /sys/class/net/*; do [ \"$(cat "
			      "$d/address)\" = %s ] && ethtool -i ${d##*/}; "
			      "done", macq);
	if (case_guest_run(ctx, cmd, 10000, &r) == 0) {
		char *d = kv_get(r.out, "driver: ");

		expect_str(ctx, "driver bound to the NIC (ethtool -i)", drv,
			   d, case_last_cmd(ctx));
		g_free(d);
	}
	proc_result_clear(&r);
	g_free(cmd);

	/* stops the captures, then judges the ping from the tap */
	case_ping_judged(ctx, nic, case_param(ctx, &param_after_count),
			 PING_SIZE, "ping");
	if (flow_count(nic->pcap, nic->host_ip, nic->ip, 6, &fc, err) < 0)
		case_error(ctx, "%s", err);
	else
		expect_cmp(ctx, case_fmt(ctx, "TCP payload toward the guest "
					 "on %s (bytes, at least the file)",
					 nic->tap),
			   CMP_GE, (long long)len, (long long)fc.l4_bytes,
			   base(nic->pcap));
out:
	case_scope(ctx, NULL);
	httpd_stop(h);
	unlink(path);
	g_free(path);
	g_free(macq);
	g_free(ifq);
	g_free(want);
}

/*
 * About 3x a quick run under TCG (35 s on an idle host; 80 s with the
 * load at 8 on 2 cores, when a round took 15 s): a round of the loop and
 * its share of the throttled download, hashing grows with the size, the
 * ping takes 0.1 s a request.
 */
static int reload_deadline(const struct profile *p)
{
	return 60 + prof_int(p, &p_loops) * 24 + prof_int(p, &p_mib) / 4 +
	       prof_int(p, &param_after_count);
}

static const struct param *const reload_params[] = {
	&p_loops, &p_mib, &param_after_count, NULL,
};

const struct case_desc case_reload = {
	.name = "reload",
	.summary = "the NIC's driver unloaded and reloaded in a loop during a "
		   "resumed HTTP download: file intact, new device each round, "
		   "driver bound, clean ping and kernel log",
	.plan_case = 9,
	.plan = "driver reload",
	.capture_snaplen = 96,
	.topo = &topo_with_mgmt,
	.params = reload_params,
	.deadline_s = reload_deadline,
	.controls = {
		{ "corrupt-tcp", "e1000",
		  "download: SHA-256 of the file in the guest" },
	},
	.run = reload_run,
};
