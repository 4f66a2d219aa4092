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
 *     observed next to the throughput (virtio-net reports no speed; e1000
 *     says 1000 Mb/s whatever it really moves under emulation).
 *  2. iperf3 TCP host -> guest and guest -> host (-R), then UDP both ways
 *     offered at the TCP rate just measured in that direction, each for
 *     the profile's stress_seconds.  Throughput and UDP loss come from
 *     iperf3's JSON (kept as iperf-*.json) and are observed, not judged.
 *     Each run's data stream has a client port of its own (--cport), so
 *     its bytes on the tap can be counted apart from the control
 *     connection and the other runs; the count must agree with iperf3's
 *     (see crosscheck() for the tolerance): that is judged.
 *  3. The loss knee, host -> guest: for UDP payloads of 64, 512 and 1400
 *     bytes, the highest offered packet rate with loss under 0.1 %,
 *     stepping the rate (doubling, then one bisection; knee_seconds per
 *     step).  Measured host -> guest because only the host can really
 *     offer a rate: a guest under emulation that cannot keep up sends
 *     less instead of losing, so a guest -> host knee would measure the
 *     guest's CPU, not its NIC.  Observed, not judged.
 *  4. Afterwards a ping (judged from the capture) must be answered with 0
 *     loss; the runner then checks the kernel log.
 */
#include "case.h"
#include "iperf.h"
#include "util.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#define IPERF_PORT 5201
/* client ports: 45001.. in slot 0, 200 more a slot (--jobs) */
#define CPORT_BASE (45001 + 200 * ctx->slot)
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

static const struct param p_stress_seconds = {
	"stress_seconds", PARAM_INT, "3", "60", 1, 86400,
	"seconds of each iperf3 stress run (TCP and UDP, both directions)",
};
static const struct param p_knee_seconds = {
	"knee_seconds", PARAM_INT, "1", "5", 1, 600,
	"seconds of each step of the UDP loss-knee search",
};

struct run {
	const char *name;
	const char *tag;	/* iperf-<tag>.json */
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
 * it is still tearing the last test down.  -1 when it is not (an error is
 * recorded).
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
	if (rc == 0 && r.status != 0) {
		case_error(ctx, "the guest's iperf3 server is not listening "
			   "on port %d, or a connection stays open (%s)",
			   IPERF_PORT, case_last_cmd(ctx));
		rc = -1;
	}
	proc_result_clear(&r);
	return rc;
}

/* The host's UDP counters (the lab namespace's /proc/net/snmp). */
static int host_udp(struct case_ctx *ctx, struct iperf_udp_snmp *c)
{
	char *argv[] = { "cat", "/proc/net/snmp", NULL };
	struct proc_result r;
	char err[ERRLEN];
	int rc = -1;

	if (case_host_run(ctx, argv, 10000, &r) < 0) {
		proc_result_clear(&r);
		return -1;
	}
	if (r.status != 0)
		case_error(ctx, "cannot read the host's UDP counters: exit %d "
			   "(%s)", r.status, case_last_cmd(ctx));
	else if ((rc = iperf_snmp_parse(r.out, c, err)) < 0)
		case_error(ctx, "the host's UDP counters: %s (%s)", err,
			   case_last_cmd(ctx));
	proc_result_clear(&r);
	return rc;
}

/*
 * Run the host's iperf3 client; the JSON goes to dir/iperf-<tag>.json.
 * -1 when it gave no result (an error naming what is recorded).
 */
static int iperf_client(struct case_ctx *ctx, const char *tag, bool udp,
			bool reverse, int cport, double rate_bps, int len,
			int seconds, struct iperf_result *res)
{
	GStrvBuilder *b = g_strv_builder_new();
	char err[ERRLEN] = "";
	struct proc_result r;
	GStrv argv;
	char *path;
	int rc = -1;

	g_strv_builder_add_many(b, "iperf3", "-c", ctx->nic->ip, "-B",
				ctx->nic->host_ip, NULL);
	argv_addf(b, "-p%d", IPERF_PORT);
	argv_addf(b, "--cport=%d", cport);
	argv_addf(b, "-t%d", seconds);
	g_strv_builder_add_many(b, "-J", "--connect-timeout", "5000", NULL);
	if (reverse)
		g_strv_builder_add(b, "-R");
	if (udp) {
		g_strv_builder_add(b, "-u");
		argv_addf(b, "-b%.0f", rate_bps);
		if (len > 0)
			argv_addf(b, "-l%d", len);
	}
	argv = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
		if (server_idle(ctx) < 0)
			goto out;
		if (case_host_run(ctx, argv, seconds * 1000 + 15000, &r) < 0) {
			proc_result_clear(&r);
			goto out;
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
	if (rc < 0)
		case_error(ctx, "%s (%s, iperf-%s.json)", err,
			   case_last_cmd(ctx), tag);
out:
	g_strfreev(argv);
	return rc;
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
static void crosscheck(struct case_ctx *ctx, const struct run *ru,
		       const struct flow_count *fc, const char *ev)
{
	const struct iperf_sum *snt = &ru->res.sent, *rcv = &ru->res.received;
	long long wire = (long long)fc->l4_bytes;

	if (!ru->udp) {
		long long retx = snt->retransmits > 0 ? snt->retransmits : 0;

		expect_range(ctx, "payload bytes on the tap, between what "
			     "iperf3 received and what it sent (+ 64 KiB a "
			     "retransmit)", (double)rcv->bytes,
			     (double)snt->bytes + (double)retx * 65536,
			     (double)wire, ev);
	} else {
		/* the host's side: sender when host -> guest, else receiver
		 * plus what its kernel dropped at the socket */
		const struct iperf_sum *host = ru->reverse ? rcv : snt;
		long long blk = ru->res.blksize > 0 ? ru->res.blksize : 1500;
		long long drops = ru->reverse && ru->host_drops > 0 ?
				  ru->host_drops * blk : 0;
		long long hb = (long long)host->bytes + drops;
		long long slack = hb / 100 + 16 * blk;

		expect_range(ctx, ru->reverse ?
			     "payload bytes on the tap, within 1 % + 16 "
			     "datagrams of what the host's iperf3 received "
			     "(+ its socket drops)" :
			     "payload bytes on the tap, within 1 % + 16 "
			     "datagrams of what the host's iperf3 sent",
			     (double)(hb > slack ? hb - slack : 0),
			     (double)(hb + slack), (double)wire, ev);
		if (ru->reverse)
			expect_cmp(ctx, "bytes the guest's iperf3 sent, at "
				   "least the tap's payload less 1 % + 16 "
				   "datagrams", CMP_GE, wire - slack,
				   (long long)snt->bytes, ev);
		else
			expect_cmp(ctx, "bytes the guest's iperf3 received, "
				   "at most the tap's payload plus 1 % + 16 "
				   "datagrams", CMP_LE, wire + slack,
				   (long long)rcv->bytes, ev);
	}
}

static void knee_measure(struct case_ctx *ctx, int size)
{
	int seconds = case_param(ctx, &p_knee_seconds);
	struct iperf_knee k;
	double pps;
	int step = 0;

	case_scope(ctx, "knee %d bytes", size);
	iperf_knee_init(&k, KNEE_START_PPS, KNEE_MIN_PPS, KNEE_MAX_PPS,
			KNEE_BISECTIONS, KNEE_MAX_STEPS);
	while ((pps = iperf_knee_next(&k)) > 0 && !interrupted()) {
		struct iperf_result res;
		const char *ev;
		char tag[32];
		double got;

		pps = round(pps);
		g_snprintf(tag, sizeof(tag), "knee-%d-%d", size, ++step);
		if (iperf_client(ctx, tag, true, false, CPORT_BASE + 100 +
				 step, pps * size * 8, size, seconds,
				 &res) < 0)
			break;
		got = res.received.seconds > 0 ?
		      (double)(res.received.packets -
			       res.received.lost_packets) /
		      res.received.seconds : 0;
		/* one scope per step, its figures as numbers (plots) */
		ev = case_fmt(ctx, "iperf-%s.json", tag);
		case_scope(ctx, "knee %d bytes step %d", size, step);
		observe(ctx, "offered rate", VAL_D(pps), "pps", ev);
		observe(ctx, "sent rate", VAL_D(round(res.sent.seconds > 0 ?
			res.sent.packets / res.sent.seconds : 0)), "pps", ev);
		observe(ctx, "arrival rate", VAL_D(round(got)), "pps", ev);
		observe(ctx, "loss", VAL_D(round(res.received.lost_percent *
						 1000) / 1000), "%", ev);
		observe(ctx, "datagrams lost",
			VAL_I((long long)res.received.lost_packets), NULL, ev);
		observe(ctx, "datagrams (receiver)",
			VAL_I((long long)res.received.packets), NULL, ev);
		case_scope(ctx, "knee %d bytes", size);
		iperf_knee_record(&k, pps, res.received.lost_percent, got,
				  KNEE_LIMIT_PCT);
	}
	observe_int(ctx, "knee (highest rate with loss under 0.1 %)",
		    (long long)k.lo, "pps");
	observe_num(ctx, "knee throughput", mbit(k.lo * size * 8), "Mbit/s");
	observe_int(ctx, "lowest rate with loss at or over 0.1 %",
		    (long long)k.hi, "pps");
	if (k.lo == 0)
		observe_str(ctx, "note", "loss at or over %.1f%% even at %d "
			    "pps, the lowest rate tried", KNEE_LIMIT_PCT,
			    KNEE_MIN_PPS);
	else if (k.hi == 0)
		observe_str(ctx, "note", "no loss up to %d pps, the highest "
			    "rate nicq offers: the knee is above",
			    KNEE_MAX_PPS);
	case_scope(ctx, NULL);
}

/* What one run measured (iperf3's JSON): observed, not judged. */
static void observe_run(struct case_ctx *ctx, const struct run *ru)
{
	const struct iperf_sum *s = &ru->res.sent, *rv = &ru->res.received;

	observe_num(ctx, "sender throughput", mbit(s->bits_per_second),
		    "Mbit/s");
	observe_num(ctx, "receiver throughput", mbit(rv->bits_per_second),
		    "Mbit/s");
	observe_int(ctx, "bytes sent (iperf3)", (long long)s->bytes,
		    "bytes");
	observe_int(ctx, "bytes received (iperf3)", (long long)rv->bytes,
		    "bytes");
	if (!ru->udp) {
		observe_int(ctx, "retransmits (sender)", s->retransmits, NULL);
	} else {
		observe_int(ctx, "datagram size", ru->res.blksize, "bytes");
		observe_int(ctx, "datagrams (receiver)",
			    (long long)rv->packets, NULL);
		observe_int(ctx, "datagrams lost", (long long)rv->lost_packets,
			    NULL);
		observe_num(ctx, "loss", round(rv->lost_percent * 1000) / 1000,
			    "%");
		if (ru->reverse)
			observe_int(ctx, "datagrams the host dropped at its "
				    "socket", ru->host_drops, NULL);
	}
}

/* After the captures stopped: one run against the tap. */
static void judge_run(struct case_ctx *ctx, struct run *ru)
{
	struct nic_under_test *nic = ctx->nic;
	const char *pcap = case_rel(ctx, nic->pcap);
	struct flow_count fc;
	char err[ERRLEN];

	case_scope(ctx, "%s", ru->name);
	if (flow_count_port(nic->pcap, ru->reverse ? nic->ip : nic->host_ip,
			    ru->reverse ? nic->host_ip : nic->ip,
			    ru->udp ? 17 : 6, ru->cport, &fc, err) < 0) {
		case_error(ctx, "%s", err);
	} else {
		observe_int(ctx, "data frames on the tap", (long long)fc.frames,
			    NULL);
		crosscheck(ctx, ru, &fc,
			   case_fmt(ctx, "%s (client port %d); iperf-%s.json",
				    pcap, ru->cport, ru->tag));
	}
	case_scope(ctx, NULL);
}

static void stress_case(struct case_ctx *ctx)
{
	struct nic_under_test *nic = ctx->nic;
	struct run runs[] = {
		{ "tcp host->guest", "tcp-to-guest", false, false, CPORT_BASE },
		{ "tcp guest->host", "tcp-from-guest", false, true,
		  CPORT_BASE + 1 },
		{ "udp host->guest", "udp-to-guest", true, false,
		  CPORT_BASE + 2 },
		{ "udp guest->host", "udp-from-guest", true, true,
		  CPORT_BASE + 3 },
	};
	int after = case_param(ctx, &param_after_count);
	int seconds = case_param(ctx, &p_stress_seconds);
	double tcp_bps[2] = { 0, 0 };
	char *ifq = shq(nic->ifname), *ipq = shq(nic->ip), *cmd, err[ERRLEN];
	struct sshc_job *server = NULL;
	struct ping_spec ps = { .dst = nic->ip, .count = after, .size = 56 };
	struct ping_summary ping = { 0 };
	struct proc_result r;
	size_t i;

	observe_str(ctx, "management NIC (SSH; no iperf3 on it)", "%s",
		    model_name(ctx->nics[1].model));

	/* what the driver says about the link */
	case_phase(ctx, "ethtool");
	cmd = g_strdup_printf("ethtool %s", ifq);
	if (case_guest_run(ctx, cmd, 15000, &r) == 0) {
		char *speed = kv_get(r.out, "Speed: ");
		char *duplex = kv_get(r.out, "Duplex: ");

		observe_str(ctx, "link speed the driver reports", "%s",
			    speed ? speed : "none");
		observe_str(ctx, "duplex the driver reports", "%s",
			    duplex ? duplex : "none");
		g_free(speed);
		g_free(duplex);
	}
	proc_result_clear(&r);
	g_free(cmd);

	/* the guest's iperf3 server, on the NIC under test's address */
	case_phase(ctx, "iperf3 server");
	cmd = g_strdup_printf("exec iperf3 -s -B %s -p %d", ipq, IPERF_PORT);
	if (sshc_start(ctx->ssh, cmd, 10000, &server, err) < 0)
		case_error(ctx, "cannot start iperf3 in the guest: %s", err);
	g_free(cmd);
	if (server)
		server_idle(ctx);
	if (case_failed(ctx))
		goto stop;

	for (i = 0; i < G_N_ELEMENTS(runs) && !interrupted(); i++) {
		struct run *ru = &runs[i];
		struct iperf_udp_snmp u0, u1;
		double rate = 0;

		case_phase(ctx, "%s", ru->name);
		case_scope(ctx, "%s", ru->name);
		if (ru->udp) {
			rate = tcp_bps[ru->reverse];
			if (rate <= 0 || rate > UDP_MAX_BPS)
				rate = UDP_MAX_BPS;
			observe_num(ctx, "offered rate", mbit(rate), "Mbit/s");
		}
		ru->host_drops = -1;
		if (ru->udp && host_udp(ctx, &u0) < 0) {
			case_scope(ctx, NULL);
			continue;
		}
		if (iperf_client(ctx, ru->tag, ru->udp, ru->reverse, ru->cport,
				 rate, 0, seconds, &ru->res) < 0) {
			case_scope(ctx, NULL);
			continue;
		}
		if (ru->udp && host_udp(ctx, &u1) == 0)
			ru->host_drops = (long long)(u1.in_errors -
						     u0.in_errors);
		ru->ok = true;
		observe_run(ctx, ru);
		if (!ru->udp)
			tcp_bps[ru->reverse] = ru->res.received.bits_per_second;
		case_scope(ctx, NULL);
	}
	for (i = 0; i < G_N_ELEMENTS(knee_sizes) && !case_failed(ctx) &&
	     !interrupted(); i++) {
		case_phase(ctx, "knee %d bytes", knee_sizes[i]);
		knee_measure(ctx, knee_sizes[i]);
	}

stop:
	sshc_job_free(server);
	if (!interrupted()) {
		case_phase(ctx, "ping after");
		case_host_ping(ctx, &ps, &ping);
	}
	case_captures_stop(ctx);
	if (interrupted())
		goto out;

	case_phase(ctx, "judge");
	for (i = 0; i < G_N_ELEMENTS(runs); i++)
		if (runs[i].ok)
			judge_run(ctx, &runs[i]);
	if (ping.evidence)
		case_ping_judge(ctx, nic, ping.ident, after, "ping after");
out:
	ping_summary_clear(&ping);
	g_free(ifq);
	g_free(ipq);
}

/*
 * Measured under TCG (quick: 3 s runs, 1 s knee steps; 32 s on virtio,
 * 46 s on e1000): each iperf3 run takes its seconds plus about 2 s, each
 * knee step its seconds plus about 1 s, the server's start and the ping
 * after about 6 s.  Three times that, every knee search at its longest.
 */
static int stress_deadline(const struct profile *p)
{
	int runs = 4 * (prof_int(p, &p_stress_seconds) + 3);
	int knee = (int)G_N_ELEMENTS(knee_sizes) * KNEE_MAX_STEPS *
		   (prof_int(p, &p_knee_seconds) + 2);

	return 3 * (runs + knee + prof_int(p, &param_after_count) / 10 +
		    10);
}

static const struct param *const stress_params[] = {
	&p_stress_seconds, &p_knee_seconds, &param_after_count, NULL,
};

const struct case_desc case_stress = {
	.name = "stress",
	.summary = "iperf3 TCP and UDP both ways with throughput "
		   "cross-checked against the capture, the UDP loss knee at "
		   "64/512/1400 bytes, then a clean ping",
	.plan_case = 11,
	.plan = "stress (iperf3 for netperf)",
	/* headers up to the TCP data offset (54 bytes, 58 tagged) and ICMP
	 * ids are all the analyzers read; a million frames stay ~70 MB */
	.capture_snaplen = 64,
	.topo = &topo_with_mgmt,
	.params = stress_params,
	.deadline_s = stress_deadline,
	.controls = {
		{ "drop-udp=20", "virtio",
		  "udp guest->host: payload bytes on the tap, within *" },
	},
	.run = stress_case,
};
