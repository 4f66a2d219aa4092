/*
 * stress.c - Fedora vhost-net plan case 11: stress, with iperf3 (netperf
 * is not in Debian).
 *
 * The guest is driven over its management NIC (topo_with_mgmt: SSH on a
 * NIC of another model), so loading the NIC under test to saturation
 * cannot cut nicq off from the guest.  iperf3 runs on the NIC under test
 * only: the guest's server is bound to its address, the host's client
 * (inside the lab namespace) to the host's address on that segment.
 *
 *  1. `ethtool` in the guest: the link speed and duplex the driver reports,
 *     recorded next to the throughput (virtio-net reports no speed; e1000
 *     says 1000 Mb/s whatever it really moves under emulation).
 *  2. iperf3 TCP host -> guest and guest -> host (-R), then UDP both ways
 *     offered at the TCP rate just measured in that direction, each for
 *     the profile's stress_seconds.  Throughput and UDP loss come from
 *     iperf3's JSON (kept as iperf-*.json).  Each run's data stream has a
 *     client port of its own (--cport), so its bytes on the tap can be
 *     counted apart from the control connection and the other runs; the
 *     count must agree with iperf3's (see crosscheck() for the tolerance).
 *  3. The loss knee, host -> guest: for UDP payloads of 64, 512 and 1400
 *     bytes, the highest offered packet rate with loss under 0.1 %,
 *     stepping the rate (doubling, then one bisection; knee_seconds per
 *     step).  Measured host -> guest because only the host can really
 *     offer a rate: a guest under emulation that cannot keep up sends
 *     less instead of losing, so a guest -> host knee would measure the
 *     guest's CPU, not its NIC.  Recorded, not judged.
 *  4. Afterwards a ping (judged from the capture) must be answered with 0
 *     loss; the harness then checks the kernel log.
 */
#include "case.h"
#include "iperf.h"
#include "run.h"
#include "util.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPERF_PORT 5201
#define CPORT_BASE 45001
/*
 * UDP in the stress runs is offered at the TCP rate of its direction, at
 * most this: beyond what any model absorbs under emulation, and within
 * what the host's capture keeps up with.
 */
#define UDP_MAX_BPS 500e6
#define KNEE_LIMIT_PCT 0.1
#define KNEE_START_PPS 2000
#define KNEE_MIN_PPS 250
#define KNEE_MAX_PPS 64000	/* keeps the host's offer and the capture sane */
#define KNEE_BISECTIONS 1
#define KNEE_MAX_STEPS 7

static const int knee_sizes[] = { 64, 512, 1400 };

struct run {
	const char *name;
	bool udp, reverse;
	int cport;
	bool ok;		/* iperf3 gave a result */
	struct iperf_result res;
	long long host_drops;	/* UDP the host's kernel dropped at the
				 * socket during the run; -1: unknown */
};

static double mbit(double bps)
{
	return round(bps / 1e4) / 100;
}

/*
 * Wait until the guest's iperf3 server is idle again: listening, and no
 * connection of the last test still open on its side (ESTABLISHED or
 * CLOSE_WAIT).  iperf3 3.12 refuses or resets a client that comes while
 * it is still tearing the last test down.
 */
static int server_idle(struct case_ctx *ctx)
{
	struct proc_result r;
	int rc;

	rc = case_guest_run(ctx, "i=0; while [ $i -lt 400 ]; do "
			    "grep -q ':1451 00000000:0000 0A' /proc/net/tcp && "
			    "! grep -qE ':1451 [0-9A-F]+:[0-9A-F]+ 0[18] ' "
			    "/proc/net/tcp && exit 0; usleep 50000; "
			    "i=$((i + 1)); done; exit 1", 30000, &r);
	if (rc == 0 && r.status != 0)
		rc = -1;
	proc_result_clear(&r);
	return rc;
}

/* The host's UDP counters (the lab namespace's /proc/net/snmp). */
static int host_udp(struct case_ctx *ctx, struct iperf_udp_snmp *c)
{
	char *argv[] = { "cat", "/proc/net/snmp", NULL };
	struct proc_result r;
	int rc = -1;

	if (case_host_run(ctx, argv, 10000, &r) == 0 && r.status == 0)
		rc = iperf_snmp_parse(r.out, c, NULL);
	proc_result_clear(&r);
	return rc;
}

/* Run the host's iperf3 client; the JSON goes to dir/iperf-<tag>.json. */
static int iperf_client(struct case_ctx *ctx, const char *tag, bool udp,
			bool reverse, int cport, double rate_bps, int len,
			int seconds, struct iperf_result *res, char *err)
{
	char port[16], cp[16], t[16], b[32], l[16];
	char *argv[24], *path;
	struct proc_result r;
	int n = 0, rc = -1;

	snprintf(port, sizeof(port), "%d", IPERF_PORT);
	snprintf(cp, sizeof(cp), "%d", cport);
	snprintf(t, sizeof(t), "%d", seconds);
	snprintf(b, sizeof(b), "%.0f", rate_bps);
	snprintf(l, sizeof(l), "%d", len);
	argv[n++] = "iperf3";
	argv[n++] = "-c";
	argv[n++] = ctx->nic->ip;
	argv[n++] = "-B";
	argv[n++] = ctx->nic->host_ip;
	argv[n++] = "-p";
	argv[n++] = port;
	argv[n++] = "--cport";
	argv[n++] = cp;
	argv[n++] = "-t";
	argv[n++] = t;
	argv[n++] = "-J";
	argv[n++] = "--connect-timeout";
	argv[n++] = "5000";
	if (reverse)
		argv[n++] = "-R";
	if (udp) {
		argv[n++] = "-u";
		argv[n++] = "-b";
		argv[n++] = b;
		if (len > 0) {
			argv[n++] = "-l";
			argv[n++] = l;
		}
	}
	argv[n] = NULL;
	for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
		if (server_idle(ctx) < 0) {
			err_set(err, "the guest's iperf3 server is not "
				"listening");
			return -1;
		}
		if (case_host_run(ctx, argv, seconds * 1000 + 15000, &r) < 0) {
			err_set(err, "cannot run iperf3 on the host");
			return -1;
		}
		path = g_strdup_printf("%s/iperf-%s.json", ctx->dir, tag);
		file_write(path, r.out, strlen(r.out), NULL);
		g_free(path);
		if (r.timed_out)
			err_set(err, "iperf3 did not finish in %d s",
				seconds + 15);
		else
			rc = iperf_parse(r.out, strlen(r.out), res, err);
		proc_result_clear(&r);
		/* only a refused or reset start is worth another try */
		if (rc < 0 && !strstr(err, "unable to connect") &&
		    !strstr(err, "control message"))
			break;
	}
	return rc;
}

/* "Speed: 1000Mb/s" -> "1000Mb/s"; "?" when absent. */
static char *ethtool_field(const char *out, const char *key)
{
	const char *p = out ? strstr(out, key) : NULL;

	if (!p)
		return g_strdup("?");
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	return g_strndup(p, strcspn(p, "\r\n"));
}

/*
 * The cross-check of one run: the data stream's L4 payload on the tap
 * against iperf3's byte counts.  What may differ, and by how much:
 *  - TCP: the tap carries every byte the receiver read (so never less
 *    than its count) and no byte the sender did not write, except
 *    retransmissions (each at most a 64 KiB GSO super-frame).  The bytes
 *    the sender wrote but never sent (still in its socket buffer when the
 *    test ended) and the receiver's unread tail fall inside that range.
 *  - UDP: nothing is retransmitted, and the host is never the bottleneck
 *    (it runs natively, the guest under emulation), so the host's own
 *    count must match the tap: what the host sent (host -> guest) or
 *    received (guest -> host).  The slack is 1 % plus 16 datagrams:
 *    iperf3's 4-byte connect handshake rides the same ports, and
 *    datagrams in flight when the test ends are on the wire but not
 *    counted.  The guest's count must lie on the right side of the tap
 *    (it cannot receive more than crossed it, nor send less).
 * Loss after the tap on the host side (e.g. a fault dropping frames the
 * capture already saw) makes the host's count fall short of the tap's.
 */
static void crosscheck(struct case_ctx *ctx, struct run *ru,
		       const struct flow_count *fc)
{
	const struct iperf_sum *snt = &ru->res.sent, *rcv = &ru->res.received;
	uint64_t wire = fc->l4_bytes;

	if (!ru->udp) {
		uint64_t retx = snt->retransmits > 0 ?
				(uint64_t)snt->retransmits : 0;
		uint64_t lo = rcv->bytes, hi = snt->bytes + retx * 65536;

		diag_str(ctx->diag, "cross_check", "receiver %llu <= tap %llu "
			 "<= sender %llu + %llu retransmits x 64 KiB",
			 (unsigned long long)lo, (unsigned long long)wire,
			 (unsigned long long)snt->bytes,
			 (unsigned long long)retx);
		if (wire < lo || wire > hi)
			case_fail(ctx, "%s: the tap carried %llu payload bytes, "
				  "outside iperf3's %llu received .. %llu sent "
				  "(+%llu retransmits)", ru->name,
				  (unsigned long long)wire,
				  (unsigned long long)lo,
				  (unsigned long long)snt->bytes,
				  (unsigned long long)retx);
		return;
	} else {
		/* the host's side: sender when host -> guest, else receiver
		 * plus what its kernel dropped at the socket */
		const struct iperf_sum *host = ru->reverse ? rcv : snt;
		uint64_t blk = ru->res.blksize > 0 ? (uint64_t)ru->res.blksize :
			       1500;
		uint64_t drops = ru->reverse && ru->host_drops > 0 ?
				 (uint64_t)ru->host_drops * blk : 0;
		uint64_t hb = host->bytes + drops;
		uint64_t slack = hb / 100 + 16 * blk;
		uint64_t diff = wire > hb ? wire - hb : hb - wire;
		bool guest_ok = ru->reverse ? snt->bytes + slack >= wire :
				rcv->bytes <= wire + slack;

		diag_str(ctx->diag, "cross_check", "tap %llu vs host's %s "
			 "%llu (+ %llu dropped at its socket): differ by %llu, "
			 "allowed %llu (1%% + 16 datagrams); guest's %s %llu",
			 (unsigned long long)wire, ru->reverse ? "received" :
			 "sent", (unsigned long long)host->bytes,
			 (unsigned long long)drops,
			 (unsigned long long)diff, (unsigned long long)slack,
			 ru->reverse ? "sent" : "received",
			 (unsigned long long)(ru->reverse ? snt->bytes :
					      rcv->bytes));
		if (diff > slack)
			case_fail(ctx, "%s: the tap carried %llu UDP payload "
				  "bytes but the host's iperf3 %s %llu (+ %llu "
				  "dropped at its socket; more than 1%% + 16 "
				  "datagrams apart)", ru->name,
				  (unsigned long long)wire, ru->reverse ?
				  "received" : "sent",
				  (unsigned long long)host->bytes,
				  (unsigned long long)drops);
		if (!guest_ok)
			case_fail(ctx, "%s: the guest's iperf3 %s %llu bytes, "
				  "but the tap carried %llu", ru->name,
				  ru->reverse ? "sent" : "received",
				  (unsigned long long)(ru->reverse ? snt->bytes :
						       rcv->bytes),
				  (unsigned long long)wire);
	}
}

static void knee_measure(struct case_ctx *ctx, int size)
{
	struct iperf_knee k;
	char err[ERRLEN];
	double pps;
	int step = 0;

	iperf_knee_init(&k, KNEE_START_PPS, KNEE_MIN_PPS, KNEE_MAX_PPS,
			KNEE_BISECTIONS, KNEE_MAX_STEPS);
	diag_map(ctx->diag, NULL);
	diag_int(ctx->diag, "payload_bytes", size);
	diag_list(ctx->diag, "steps");
	while ((pps = iperf_knee_next(&k)) > 0 && !interrupted()) {
		struct iperf_result res;
		char tag[32];
		double got;

		pps = round(pps);
		snprintf(tag, sizeof(tag), "knee-%d-%d", size, ++step);
		if (iperf_client(ctx, tag, true, false, CPORT_BASE + 100 +
				 step, pps * size * 8, size,
				 ctx->prof->knee_seconds, &res, err) < 0) {
			diag_str(ctx->diag, NULL, "%.0f pps: %s", pps, err);
			case_fail(ctx, "knee %d bytes at %.0f pps: %s", size,
				  pps, err);
			break;
		}
		got = res.received.seconds > 0 ?
		      (double)(res.received.packets -
			       res.received.lost_packets) /
		      res.received.seconds : 0;
		diag_str(ctx->diag, NULL, "%.0f pps offered, %.0f sent, %.0f "
			 "arrived: loss %.3f%% (%llu of %llu)", pps,
			 res.sent.seconds > 0 ? res.sent.packets /
			 res.sent.seconds : 0, got, res.received.lost_percent,
			 (unsigned long long)res.received.lost_packets,
			 (unsigned long long)res.received.packets);
		iperf_knee_record(&k, pps, res.received.lost_percent, got,
				  KNEE_LIMIT_PCT);
	}
	diag_end(ctx->diag);
	diag_int(ctx->diag, "knee_pps", (long long)k.lo);
	diag_num(ctx->diag, "knee_mbit_per_s", mbit(k.lo * size * 8));
	diag_int(ctx->diag, "lowest_failing_pps", (long long)k.hi);
	if (k.lo == 0)
		diag_str(ctx->diag, "note", "loss at or over %.1f%% even at "
			 "%d pps, the lowest rate tried", KNEE_LIMIT_PCT,
			 KNEE_MIN_PPS);
	else if (k.hi == 0)
		diag_str(ctx->diag, "note", "no loss up to %d pps, the "
			 "highest rate nicq offers: the knee is above",
			 KNEE_MAX_PPS);
	diag_end(ctx->diag);
}

static enum verdict stress_run(struct case_ctx *ctx)
{
	struct nic_under_test *nic = ctx->nic;
	struct run runs[] = {
		{ "tcp host->guest", false, false, CPORT_BASE },
		{ "tcp guest->host", false, true, CPORT_BASE + 1 },
		{ "udp host->guest", true, false, CPORT_BASE + 2 },
		{ "udp guest->host", true, true, CPORT_BASE + 3 },
	};
	double tcp_bps[2] = { 0, 0 };
	char *ifq = shq(nic->ifname), *ipq = shq(nic->ip), *cmd, err[ERRLEN];
	char *speed = NULL, *duplex = NULL;
	struct sshc_job *server = NULL;
	struct proc_result r;
	gint64 t0 = g_get_monotonic_time();
	uint16_t ping_id;
	size_t i;

	diag_str(ctx->diag, "control", "SSH over the management NIC (%s); "
		 "iperf3 only on the NIC under test",
		 model_name(ctx->nics[1].model));
	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "runs", "iperf3 TCP and UDP, host -> guest and "
		 "guest -> host, %d s each; UDP offered at the TCP rate of "
		 "its direction", ctx->prof->stress_seconds);
	diag_str(ctx->diag, "cross_check", "each data stream's payload on "
		 "the tap agrees with iperf3: TCP between the receiver's and "
		 "the sender's count (+ retransmits); UDP within 1%% + 16 "
		 "datagrams of the host's count");
	diag_str(ctx->diag, "ping_after", "%d of %d answered",
		 ctx->prof->after_count, ctx->prof->after_count);
	diag_str(ctx->diag, "knee", "measured, not judged");
	diag_end(ctx->diag);

	/* what the driver says about the link */
	cmd = g_strdup_printf("ethtool %s", ifq);
	if (case_guest_run(ctx, cmd, 15000, &r) == 0) {
		speed = ethtool_field(r.out, "Speed:");
		duplex = ethtool_field(r.out, "Duplex:");
	}
	proc_result_clear(&r);
	g_free(cmd);

	/* the guest's iperf3 server, on the NIC under test's address */
	cmd = g_strdup_printf("exec iperf3 -s -B %s -p %d", ipq, IPERF_PORT);
	if (sshc_start(ctx->ssh, cmd, 10000, &server, err) < 0)
		case_fail(ctx, "cannot start iperf3 in the guest: %s", err);
	g_free(cmd);
	if (server && server_idle(ctx) < 0)
		case_fail(ctx, "the guest's iperf3 server is not listening");
	if (ctx->why->len)
		goto stop;

	diag_map(ctx->diag, "link");
	diag_str(ctx->diag, "model", "%s", model_name(nic->model));
	diag_str(ctx->diag, "ethtool_speed", "%s", speed ? speed : "?");
	diag_str(ctx->diag, "ethtool_duplex", "%s", duplex ? duplex : "?");
	diag_end(ctx->diag);

	for (i = 0; i < G_N_ELEMENTS(runs) && !interrupted(); i++) {
		struct run *ru = &runs[i];
		struct iperf_udp_snmp u0, u1;
		char tag[32];
		double rate = 0;

		snprintf(tag, sizeof(tag), "%s-%s", ru->udp ? "udp" : "tcp",
			 ru->reverse ? "from-guest" : "to-guest");
		if (ru->udp) {
			rate = tcp_bps[ru->reverse];
			if (rate <= 0 || rate > UDP_MAX_BPS)
				rate = UDP_MAX_BPS;
		}
		ru->host_drops = -1;
		if (ru->udp && host_udp(ctx, &u0) < 0)
			case_fail(ctx, "%s: cannot read the host's UDP "
				  "counters", ru->name);
		if (iperf_client(ctx, tag, ru->udp, ru->reverse, ru->cport,
				 rate, 0, ctx->prof->stress_seconds, &ru->res,
				 err) < 0) {
			case_fail(ctx, "%s: %s", ru->name, err);
			continue;
		}
		if (ru->udp && host_udp(ctx, &u1) == 0)
			ru->host_drops = (long long)(u1.in_errors -
						     u0.in_errors);
		ru->ok = true;
		if (!ru->udp)
			tcp_bps[ru->reverse] = ru->res.received.bits_per_second;
	}
	diag_map(ctx->diag, "knee");
	diag_str(ctx->diag, "direction", "host -> guest: only the host can "
		 "really offer a rate; a guest under emulation that cannot "
		 "keep up sends less instead of losing, so a guest -> host "
		 "knee would measure its CPU, not its NIC");
	diag_str(ctx->diag, "definition", "highest offered UDP packet rate "
		 "with loss under %.1f%% (iperf3 receiver), %d s per step, "
		 "doubling from %d pps (at most %d), then %d bisection",
		 KNEE_LIMIT_PCT, ctx->prof->knee_seconds, KNEE_START_PPS,
		 KNEE_MAX_PPS, KNEE_BISECTIONS);
	diag_list(ctx->diag, "sizes");
	for (i = 0; i < G_N_ELEMENTS(knee_sizes) && !ctx->why->len &&
	     !interrupted(); i++)
		knee_measure(ctx, knee_sizes[i]);
	diag_end(ctx->diag);
	diag_end(ctx->diag);

stop:
	sshc_job_free(server);
	ping_id = case_ping_host(ctx, nic, ctx->prof->after_count, 56);
	case_captures_stop(ctx);

	diag_map(ctx->diag, "measured");
	diag_list(ctx->diag, "runs");
	for (i = 0; i < G_N_ELEMENTS(runs); i++) {
		struct run *ru = &runs[i];
		const struct iperf_sum *s = &ru->res.sent,
				       *rv = &ru->res.received;
		struct flow_count fc;

		if (!ru->ok)
			continue;
		diag_map(ctx->diag, NULL);
		diag_str(ctx->diag, "run", "%s", ru->name);
		diag_num(ctx->diag, "sender_mbit_per_s",
			 mbit(s->bits_per_second));
		diag_num(ctx->diag, "receiver_mbit_per_s",
			 mbit(rv->bits_per_second));
		diag_str(ctx->diag, "next_to_link", "%.1f Mb/s received; the "
			 "driver reports %s, %s duplex",
			 mbit(rv->bits_per_second), speed ? speed : "?",
			 duplex ? duplex : "?");
		diag_int(ctx->diag, "sender_bytes", (long long)s->bytes);
		diag_int(ctx->diag, "receiver_bytes", (long long)rv->bytes);
		if (!ru->udp) {
			diag_int(ctx->diag, "retransmits", s->retransmits);
		} else {
			diag_int(ctx->diag, "datagram_bytes", ru->res.blksize);
			diag_int(ctx->diag, "packets", (long long)rv->packets);
			diag_int(ctx->diag, "lost_packets",
				 (long long)rv->lost_packets);
			diag_num(ctx->diag, "lost_percent",
				 round(rv->lost_percent * 1000) / 1000);
			if (ru->reverse)
				diag_int(ctx->diag, "host_socket_drops",
					 ru->host_drops);
		}
		if (flow_count_port(nic->pcap, ru->reverse ? nic->ip :
				     nic->host_ip, ru->reverse ? nic->host_ip :
				     nic->ip, ru->udp ? 17 : 6, ru->cport, &fc,
				     err) < 0) {
			case_fail(ctx, "%s: %s", ru->name, err);
		} else {
			diag_int(ctx->diag, "tap_frames", (long long)fc.frames);
			diag_int(ctx->diag, "tap_payload_bytes",
				 (long long)fc.l4_bytes);
			crosscheck(ctx, ru, &fc);
		}
		diag_end(ctx->diag);
	}
	diag_end(ctx->diag);
	case_ping_judge(ctx, nic, ping_id, ctx->prof->after_count,
			"ping_after");
	diag_num(ctx->diag, "seconds",
		 round((g_get_monotonic_time() - t0) / 1e5) / 10);
	diag_end(ctx->diag);
	g_free(speed);
	g_free(duplex);
	g_free(ifq);
	g_free(ipq);
	return ctx->why->len ? V_FAIL : V_PASS;
}

const struct case_desc case_stress = {
	.name = "stress",
	.summary = "iperf3 TCP and UDP both ways with throughput "
		   "cross-checked against the capture, the UDP loss knee at "
		   "64/512/1400 bytes, then a clean ping",
	.plan = "Fedora vhost-net test plan, case 11 (stress; iperf3 for "
		"netperf)",
	/* headers up to the TCP data offset (54 bytes, 58 tagged) and ICMP
	 * ids are all the analyzers read; a million frames stay ~70 MB */
	.capture_snaplen = 64,
	.topo = &topo_with_mgmt,
	.run = stress_run,
};
