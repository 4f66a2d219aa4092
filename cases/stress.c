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
 *     iperf3's JSON (kept as iperf-*.json) and are observed.
 *     Each run's data stream has a client port of its own (--cport), so
 *     its bytes on the tap can be counted apart from the control
 *     connection and the other runs.  Every run goes through the loss
 *     ledger (harness/ledger.h): the counters of the guest's NIC and
 *     kernel and of the host's tap and namespace are read before and
 *     after it, and loss that no counter explains fails as silent loss,
 *     named by the layers where it happened (udp_ledger()).  TCP is
 *     followed by sequence number on the tap (judge_tcp()); UDP's tap
 *     count must also agree with the host's iperf3 (crosscheck()).
 *  3. The loss knee, host -> guest: for UDP payloads of 64, 512, 1400
 *     bytes and one random size, the highest offered packet rate with
 *     loss under 0.1 % (observed; each step's ledger judged, and per size
 *     where loss began: the first counter that moved, or the silent gap,
 *     at the lowest rate with any loss), stepping the rate (doubling,
 *     then one bisection; knee_seconds per step).  Measured host -> guest
 *     because only the host can really offer a rate: a guest under
 *     emulation that cannot keep up sends less instead of losing, so a
 *     guest -> host knee would measure the guest's CPU, not its NIC.
 *  4. Guest -> guest (the packet-loss guidance's second path): a second
 *     guest of the cell's model, its NIC under test on the same segment,
 *     runs the iperf3 server; guest A's iperf3 sends TCP, then UDP at the
 *     TCP rate, then the knee at vm_knee_sizes sizes, each through a
 *     ledger with both taps as counts (vm_udp_ledger(); TCP by sequence
 *     number on each tap).
 *  5. Afterwards a ping (judged from the capture) must be answered with 0
 *     loss; the runner then checks the kernel log.
 */
#include "case.h"
#include "iperf.h"
#include "ledger.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define IPERF_PORT 5201
/*
 * Before its data, an iperf3 client writes a 37-byte cookie on each data
 * connection (COOKIE_SIZE in iperf3's source); iperf3's byte counts leave
 * it out, the tap carries it.
 */
#define IPERF_COOKIE 37
/* client ports: 45001.. in slot 0, 200 more a slot (--jobs) */
#define CPORT_BASE (45001 + 200 * ctx->slot)
/* a stream run again takes its client port this much higher */
#define RETRY_CPORT 10
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

/* and one random size between 65 and 1471 bytes, drawn per point */
static const int knee_sizes[] = { 64, 512, 1400 };
#define KNEE_N_SIZES ((int)G_N_ELEMENTS(knee_sizes) + 1)
/*
 * The ledger's slack between two counts: datagrams in flight when a count
 * was taken, iperf3's connect datagram on the data port.  The receiver's
 * unread tail is allowed for separately: the datagrams still queued in its
 * socket when iperf3 stopped reading are freed with the socket and counted
 * nowhere (UDP InDatagrams counts datagrams read, not queued), at most
 * what its receive buffer holds: rmem_default (212992 bytes; iperf3 sets
 * no SO_RCVBUF for UDP) over the smallest truesize of a datagram's buffer
 * (512 bytes), plus the slack.  The first stress runs here left 18-156
 * datagrams a stream unread.
 */
#define LEDGER_SLACK 16
#define LEDGER_TAIL (212992 / 512 + LEDGER_SLACK)
/* seconds the counters before and after a stream take to read (TCG) */
#define LEDGER_READ_S 6


static const struct param p_stress_seconds = {
	"stress_seconds", PARAM_INT, "3", "60", 1, 86400,
	"seconds of each iperf3 stress run (TCP and UDP, both directions)",
};
static const struct param p_knee_sizes = {
	"knee_sizes", PARAM_INT, "1", "4", 1, KNEE_N_SIZES,
	"datagram sizes of the host -> guest loss knee: 64 bytes, a random "
	"size, 512 and 1400 bytes, this many of them",
};
static const struct param p_knee_seconds = {
	"knee_seconds", PARAM_INT, "1", "5", 1, 600,
	"seconds of each step of the UDP loss-knee search",
};

/* The counters on both sides, before and after a stream. */
struct snaps {
	bool ok;
	struct ledger_snap g0, g1, h0, h1;
};

/* One step of a knee search, judged once the capture stopped. */
struct kstep {
	int size, step, cport;
	double pps;
	char tag[32];
	struct iperf_result res;
	struct snaps sn;
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
	struct snaps sn;
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
static int server_idle(struct case_ctx *ctx, int gi)
{
	struct proc_result r;
	int rc;

	/* the shell's own read and case: no grep started (~0.15 s each
	 * under TCG) */
	rc = case_guest_run_on(ctx, gi, "i=0; while [ $i -lt 400 ]; do "
			    "l=0; c=0; while read -r n la ra st x; do "
			    "case \"$la $ra $st\" in "
			    "*':1451 00000000:0000 0A') l=1 ;; "
			    "*':1451 '*' 01'|*':1451 '*' 08') c=1 ;; esac; "
			    "done < /proc/net/tcp; "
			    "[ $l = 1 ] && [ $c = 0 ] && exit 0; usleep 50000; "
			    "i=$((i + 1)); done; exit 1", 30000, &r);
	if (rc == 0 && r.status != 0) {
		case_error(ctx, "guest %d's iperf3 server is not listening "
			   "on port %d, or a connection stays open (%s)", gi,
			   IPERF_PORT, case_last_cmd(ctx));
		rc = -1;
	}
	proc_result_clear(&r);
	return rc;
}

#define LD(a, b, f, have) ledger_delta((a)->f, (b)->f, (a)->have && \
				       (b)->have)

/* The guest's link drop counters of each direction (ip -s -s link). */
static const char *const rx_names[] = {
	"guest rx_dropped", "guest rx_missed_errors", "guest rx_fifo_errors",
	"guest rx_over_errors", "guest rx_length_errors",
	"guest rx_crc_errors", "guest rx_frame_errors", NULL,
};
static const char *const tx_names[] = {
	"guest tx_dropped", "guest tx_fifo_errors", "guest tx_aborted_errors",
	NULL,
};

static const long long *rx_vals(const struct ledger_snap *a,
				const struct ledger_snap *b, long long *v)
{
	v[0] = LD(a, b, rx_dropped, have_link);
	v[1] = LD(a, b, rx_missed, have_link);
	v[2] = LD(a, b, rx_fifo, have_link);
	v[3] = LD(a, b, rx_over, have_link);
	v[4] = LD(a, b, rx_length, have_link);
	v[5] = LD(a, b, rx_crc, have_link);
	v[6] = LD(a, b, rx_frame, have_link);
	return v;
}

static const long long *tx_vals(const struct ledger_snap *a,
				const struct ledger_snap *b, long long *v)
{
	v[0] = LD(a, b, tx_dropped, have_link);
	v[1] = LD(a, b, tx_fifo, have_link);
	v[2] = LD(a, b, tx_aborted, have_link);
	return v;
}

/* Add them to the ledger (device/driver); their known sum. */
static long long link_drops(struct ledger *l, const char *const *names,
			    const long long *v)
{
	long long sum = 0;

	for (int i = 0; names[i]; i++) {
		ledger_drop(l, false, "device/driver", names[i], v[i]);
		if (v[i] > 0)
			sum += v[i];
	}
	return sum;
}

/*
 * The ledger of one UDP stream, in datagrams, in the order the layers
 * see them.  tap: the stream's datagrams on the tap (-1: unknown).
 */
static void udp_ledger(struct ledger *l, bool reverse,
		       const struct iperf_result *res, long long tap,
		       const struct snaps *sn, char *eth, size_t eth_len)
{
	const struct ledger_snap *g0 = &sn->g0, *g1 = &sn->g1;
	const struct ledger_snap *h0 = &sn->h0, *h1 = &sn->h1;
	const struct iperf_sum *rv = &res->received;
	long long rcvd = rv->packets >= rv->lost_packets ?
			 (long long)(rv->packets - rv->lost_packets) :
			 LEDGER_UNKNOWN;
	/* the receiving side's counters, and the sending side's */
	const struct ledger_snap *r0 = reverse ? h0 : g0, *r1 = reverse ? h1 :
				   g1;
	const struct ledger_snap *s0 = reverse ? g0 : h0, *s1 = reverse ? g1 :
				   h1;
	bool rh = reverse;	/* the receiver is the host */
	const char *rk = reverse ? "host" : "guest kernel";
	long long in_err = LD(r0, r1, udp_in_errors, have_udp);
	long long rcvbuf = LD(r0, r1, udp_rcvbuf, have_udp);
	long long csum = LD(r0, r1, udp_csum, have_udp);
	long long other = in_err >= 0 && rcvbuf >= 0 && csum >= 0 &&
			  in_err >= rcvbuf + csum ? in_err - rcvbuf - csum :
			  LEDGER_UNKNOWN;
	long long ed, link, v[8];

	ledger_init(l, LEDGER_SLACK);
	ledger_count(l, !reverse, "sender", reverse ?
		     "guest iperf3 datagrams sent" :
		     "host iperf3 datagrams sent", (long long)res->sent.packets);
	ledger_drop(l, !reverse, reverse ? "guest kernel" : "host",
		    "UDP SndbufErrors", LD(s0, s1, udp_sndbuf, have_udp));
	if (reverse) {
		link = link_drops(l, tx_names, tx_vals(g0, g1, v));
		ed = ledger_ethtool_delta(g0, g1, true, eth, eth_len);
		ledger_drop(l, false, "device/driver", "guest ethtool -S tx "
			    "drop counters beyond the link's",
			    ledger_beyond(ed, link));
	}
	ledger_count(l, true, "tap", "datagrams on the tap (capture)", tap);
	if (!reverse) {
		ledger_drop(l, true, "tap", "host tap tx_dropped",
			    LD(h0, h1, tx_dropped, have_link));
		link = link_drops(l, rx_names, rx_vals(g0, g1, v));
		ed = ledger_ethtool_delta(g0, g1, false, eth, eth_len);
		ledger_drop(l, false, "device/driver", "guest ethtool -S rx "
			    "drop counters beyond the link's",
			    ledger_beyond(ed, link));
	} else {
		ledger_drop(l, true, "tap", "host tap rx_dropped",
			    LD(h0, h1, rx_dropped, have_link));
	}
	ledger_drop(l, rh, reverse ? "host kernel (whole machine)" : rk,
		    reverse ? "host softnet backlog dropped" :
		    "guest softnet backlog dropped",
		    LD(r0, r1, softnet_dropped, have_softnet));
	ledger_drop(l, rh, rk, "UDP RcvbufErrors", rcvbuf);
	ledger_drop(l, rh, rk, "UDP InCsumErrors", csum);
	ledger_drop(l, rh, rk, "UDP InErrors (other)", other);
	/* datagrams that came after the receiver closed its socket */
	ledger_drop(l, rh, rk, "UDP NoPorts", LD(r0, r1, udp_noports,
						 have_udp));
	/* the host's receiving socket's buffer, as its iperf3 says */
	ledger_count_slack(l, rh, "receiver", reverse ?
			   "host iperf3 datagrams received" :
			   "guest iperf3 datagrams received", rcvd,
			   reverse && res->rcvbuf > 0 ? res->rcvbuf / 512 +
			   LEDGER_SLACK : LEDGER_TAIL);
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

	/*
	 * nicq's end is the measuring instrument: ahead of the other points'
	 * guests for the CPU, so it drains its socket in time (seen: a few
	 * RcvbufErrors on the host with several points at once)
	 */
	if (udp && reverse && ctx->fault->host_stall)
		/* the host-stall control: it stops reading for a second */
		g_strv_builder_add_many(b, "sh", "-c", "\"$@\" & p=$!; "
					"sleep 1; kill -STOP $p; sleep 1; "
					"kill -CONT $p; wait $p", "sh", NULL);
	/*
	 * Receiving, it runs at a real-time priority (SCHED_FIFO 10; bounded
	 * by the kernel's RT throttling and by -t): at nice -10 it still fell
	 * behind five TCG guests on 2 cores (11-197 RcvbufErrors a stream).
	 * Sending, it stays a normal process, so a sender that never blocks
	 * cannot take a core from the guests.
	 */
	if (reverse)
		g_strv_builder_add_many(b, "chrt", "-f", "10", NULL);
	else
		g_strv_builder_add_many(b, "nice", "-n", "-10", NULL);
	g_strv_builder_add_many(b, "iperf3", "-c",
				ctx->nic->ip, "-B", ctx->nic->host_ip, NULL);
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
		if (server_idle(ctx, 0) < 0)
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
 * The cross-check of one UDP run: the data stream's L4 payload on the tap
 * against iperf3's byte counts.  Nothing is retransmitted, and the host is
 * never the bottleneck (it runs natively, the guest under emulation), so
 * the host's own count must match the tap: what the host sent (host ->
 * guest) or received (guest -> host).  The slack is 1 % plus 16
 * datagrams: iperf3's 4-byte connect handshake rides the same ports, and
 * datagrams in flight when the test ends are on the wire but not counted.
 * The guest's count must lie on the right side of the tap (it cannot
 * receive more than crossed it, nor send less).  Loss after the tap on the
 * host side (e.g. a fault dropping frames the capture already saw) makes
 * the host's count fall short of the tap's.  The ledger (udp_ledger) then
 * says where each lost datagram went.
 */
static void crosscheck(struct case_ctx *ctx, const struct run *ru,
		       const struct flow_count *fc, const char *ev)
{
	const struct iperf_sum *snt = &ru->res.sent, *rcv = &ru->res.received;
	long long wire = (long long)fc->l4_bytes;

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

/*
 * One knee step: offer pps datagrams of size a second for knee_seconds,
 * the step appended to steps with its ledger snapshots.  *res is the
 * step's iperf3 result (in steps), *ev its evidence.  Returns 1, 0 when
 * the step measured but the search must stop after it (a snapshot
 * failed), -1 when there is no result.
 */
typedef int (*knee_step_fn)(struct case_ctx *ctx, int size, int step,
			    double pps, GArray *steps,
			    const struct iperf_result **res, const char **ev);

/*
 * The knee search at one datagram size (what: "knee", "guest->guest
 * knee"): each step's figures from iperf3 are observed now, its ledger
 * judged once the captures stopped (steps).  Under emulation a sender
 * that cannot keep up sends less than offered: the sent rate is observed
 * next to the offered one.
 */
static void knee_search(struct case_ctx *ctx, const char *what, int size,
			GArray *steps, knee_step_fn fn)
{
	struct iperf_knee k;
	double pps;
	int step = 0, rc;

	case_scope(ctx, "%s %d bytes", what, size);
	iperf_knee_init(&k, KNEE_START_PPS, KNEE_MIN_PPS, KNEE_MAX_PPS,
			KNEE_BISECTIONS, KNEE_MAX_STEPS);
	while ((pps = iperf_knee_next(&k)) > 0 && !interrupted()) {
		const struct iperf_result *res = NULL;
		const char *ev = NULL;
		double got;

		pps = round(pps);
		rc = fn(ctx, size, ++step, pps, steps, &res, &ev);
		if (rc < 0)
			break;
		got = res->received.seconds > 0 ?
		      (double)(res->received.packets -
			       res->received.lost_packets) /
		      res->received.seconds : 0;
		/* one scope per step, its figures as numbers (plots) */
		case_scope(ctx, "%s %d bytes step %d", what, size, step);
		observe(ctx, "offered rate", VAL_D(pps), "pps", ev);
		observe(ctx, "sent rate", VAL_D(round(res->sent.seconds > 0 ?
			res->sent.packets / res->sent.seconds : 0)), "pps",
			ev);
		observe(ctx, "arrival rate", VAL_D(round(got)), "pps", ev);
		observe(ctx, "loss", VAL_D(round(res->received.lost_percent *
						 1000) / 1000), "%", ev);
		observe(ctx, "datagrams lost",
			VAL_I((long long)res->received.lost_packets), NULL, ev);
		observe(ctx, "datagrams (receiver)",
			VAL_I((long long)res->received.packets), NULL, ev);
		case_scope(ctx, "%s %d bytes", what, size);
		iperf_knee_record(&k, pps, res->received.lost_percent, got,
				  KNEE_LIMIT_PCT);
		if (rc == 0)
			break;
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

/* A host -> guest knee step (knee_step_fn). */
static int host_knee_step(struct case_ctx *ctx, int size, int step,
			  double pps, GArray *steps,
			  const struct iperf_result **res, const char **ev)
{
	struct kstep ks = { .size = size, .step = step, .pps = pps };
	struct kstep *in;

	/* a client port of its own in the whole point */
	ks.cport = CPORT_BASE + 100 + (int)steps->len;
	g_snprintf(ks.tag, sizeof(ks.tag), "knee-%d-%d", size, step);
	if (case_ledger_snap(ctx, ctx->nic, false, &ks.sn.g0,
			     &ks.sn.h0) < 0)
		return -1;
	if (iperf_client(ctx, ks.tag, true, false, ks.cport,
			 pps * size * 8, size, case_param(ctx, &p_knee_seconds),
			 &ks.res) < 0)
		return -1;
	ks.sn.ok = case_ledger_snap(ctx, ctx->nic, true, &ks.sn.g1,
				    &ks.sn.h1) == 0;
	g_array_append_val(steps, ks);
	in = &g_array_index(steps, struct kstep, steps->len - 1);
	*res = &in->res;
	*ev = case_fmt(ctx, "iperf-%s.json", in->tag);
	return in->sn.ok ? 1 : 0;
}

/*
 * After the captures stopped: every knee step's ledger (judged: no silent
 * loss), and per size where loss began: at the lowest offered rate at
 * which anything was lost or any drop counter moved, the first layer in
 * path order that counted it (or the gap where it was silent).
 */
static void knee_judge(struct case_ctx *ctx, const int *sizes, int n_sizes,
		       GArray *steps)
{
	struct nic_under_test *nic = ctx->nic;
	const char *pcap = case_rel(ctx, nic->pcap);

	for (int z = 0; z < n_sizes; z++) {
		const char *began = NULL;
		double began_pps = 0;

		for (guint i = 0; i < steps->len; i++) {
			struct kstep *ks = &g_array_index(steps, struct kstep,
							  i);
			struct flow_count fc;
			struct ledger l;
			struct ledger_sum sum;
			char err[ERRLEN], eth[256];
			const char *ev;

			if (ks->size != sizes[z] || !ks->sn.ok)
				continue;
			case_scope(ctx, "knee %d bytes step %d", ks->size,
				   ks->step);
			if (flow_count_port(nic->pcap, nic->host_ip, nic->ip,
					    17, ks->cport, &fc, err) < 0) {
				case_error(ctx, "%s", err);
				continue;
			}
			ev = case_fmt(ctx, "%s (client port %d); iperf-%s.json",
				      pcap, ks->cport, ks->tag);
			udp_ledger(&l, false, &ks->res, (long long)fc.frames,
				   &ks->sn, eth, sizeof(eth));
			ledger_settle(&l, &sum);
			case_ledger_record(ctx, &l, &sum, false, ev);
			if (sum.began[0] && (!began || ks->pps < began_pps)) {
				began = case_fmt(ctx, "%s", sum.began);
				began_pps = ks->pps;
			}
		}
		case_scope(ctx, "knee %d bytes", sizes[z]);
		if (began)
			observe_str(ctx, "loss began (lowest rate with loss or "
				    "a drop counter moving)", "%.0f pps: %s",
				    began_pps, began);
		else
			observe_str(ctx, "loss began (lowest rate with loss or "
				    "a drop counter moving)", "at no rate tried");
		case_scope(ctx, NULL);
	}
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

/*
 * The TCP ledger of one run (case_tcp_ledger()): iperf3 stops on time, so
 * the receiver's socket may hold bytes it acknowledged and never read: the
 * bounds, not the equality.  The 37-byte cookie goes client -> server: on
 * the wire with the data only when the host's client sends it.
 */
static void judge_tcp(struct case_ctx *ctx, const struct run *ru,
		      const char *ev)
{
	struct nic_under_test *nic = ctx->nic;

	case_tcp_ledger(ctx, nic, ru->reverse ? nic->ip : nic->host_ip,
			ru->reverse ? nic->host_ip : nic->ip, ru->cport,
			(long long)ru->res.sent.bytes,
			ru->reverse ? 0 : IPERF_COOKIE,
			(long long)ru->res.received.bytes, false, ev);
}

/* After the captures stopped: one run against the tap. */
static void judge_run(struct case_ctx *ctx, struct run *ru)
{
	struct nic_under_test *nic = ctx->nic;
	const char *pcap = case_rel(ctx, nic->pcap);
	const char *ev = case_fmt(ctx, "%s (client port %d); iperf-%s.json",
				  pcap, ru->cport, ru->tag);
	struct flow_count fc;
	char err[ERRLEN], eth[256];

	case_scope(ctx, "%s", ru->name);
	if (!ru->udp) {
		judge_tcp(ctx, ru, ev);
	} else if (flow_count_port(nic->pcap, ru->reverse ? nic->ip :
				   nic->host_ip, ru->reverse ? nic->host_ip :
				   nic->ip, 17, ru->cport, &fc, err) < 0) {
		case_error(ctx, "%s", err);
	} else {
		observe_int(ctx, "data frames on the tap", (long long)fc.frames,
			    NULL);
		crosscheck(ctx, ru, &fc, ev);
		if (ru->sn.ok) {
			struct ledger l;
			struct ledger_sum sum;

			udp_ledger(&l, ru->reverse, &ru->res,
				   (long long)fc.frames, &ru->sn, eth,
				   sizeof(eth));
			ledger_settle(&l, &sum);
			case_ledger_record(ctx, &l, &sum, true, ev);
			if (*eth)
				observe(ctx, "ledger: guest ethtool -S "
					"counters that moved",
					VAL_S(case_fmt(ctx, "%s", eth)), NULL,
					ev);
		}
	}
	case_scope(ctx, NULL);
}

/*
 * The udp-blackhole control: a loss no ledger counter sees.  In the
 * receiving guest, a tc filter on the NIC's ingress drops every third UDP
 * datagram to iperf3's port (gact's deterministic "random": the first
 * passes, so iperf3's one set-up datagram, which has no retry, does).  tc
 * ingress drops count in the filter's own statistics only, which the
 * ledger does not read (not rx_dropped, not the UDP counters); they are
 * observed here as the control's truth.  It used to be a policy rule
 * switched on and off by a loop in the guest's userspace, which a guest
 * taking UDP under TCG on a loaded host starves: CI-like runs ci-22 and
 * ci-23 saw the stream connected only as it ended, and nothing was lost
 * silently (at 398 Mbit/s, and at 20 at once with four controls at once).
 */
static bool blackhole_start(struct case_ctx *ctx,
			    const struct nic_under_test *nic)
{
	char *match = g_strdup_printf("match ip protocol 17 0xff match ip "
				      "dport %d 0xffff", IPERF_PORT);
	bool ok = case_ingress_drop_start(ctx, nic, match, 3, case_fmt(ctx,
		"udp-blackhole: every third UDP datagram to port %d dropped "
		"at guest %d's ingress by tc", IPERF_PORT, nic->guest));

	g_free(match);
	return ok;
}

static void blackhole_stop(struct case_ctx *ctx,
			   const struct nic_under_test *nic)
{
	case_ingress_drop_stop(ctx, nic, "datagrams the blackhole dropped "
			       "(tc's own count, outside the ledger)");
}

/*
 * One stream of the run list: the counters before, iperf3, the counters
 * after.  ru->ok when iperf3 gave a result.
 */
static void run_stream(struct case_ctx *ctx, struct run *ru, double rate,
		       int seconds)
{
	bool bh = ru->udp && !ru->reverse && ctx->fault->udp_blackhole;
	int rc;

	ru->host_drops = -1;
	if (case_ledger_snap(ctx, ctx->nic, false, &ru->sn.g0,
			     &ru->sn.h0) < 0)
		return;
	if (bh && !blackhole_start(ctx, ctx->nic)) {
		blackhole_stop(ctx, ctx->nic);
		return;
	}
	rc = iperf_client(ctx, ru->tag, ru->udp, ru->reverse, ru->cport, rate,
			  0, seconds, &ru->res);
	if (bh)
		blackhole_stop(ctx, ctx->nic);
	if (rc < 0)
		return;
	ru->sn.ok = case_ledger_snap(ctx, ctx->nic, true, &ru->sn.g1,
				     &ru->sn.h1) == 0;
	/* the ledger's host counters: no second read of /proc/net/snmp */
	if (ru->udp && ru->sn.ok)
		ru->host_drops = LD(&ru->sn.h0, &ru->sn.h1, udp_in_errors,
				    have_udp);
	ru->ok = true;
}

/*
 * The datagrams of a UDP stream that nicq's own end dropped, by the
 * counters udp_ledger() puts in the "host" layer: the receiving socket's
 * (InErrors, NoPorts) when the host receives, SndbufErrors when it sends.
 */
static long long host_lost(const struct run *ru)
{
	const struct ledger_snap *h0 = &ru->sn.h0, *h1 = &ru->sn.h1;
	long long a, b;

	if (!ru->ok || !ru->sn.ok)
		return 0;
	if (!ru->reverse)
		return MAX(LD(h0, h1, udp_sndbuf, have_udp), 0);
	a = LD(h0, h1, udp_in_errors, have_udp);
	b = LD(h0, h1, udp_noports, have_udp);
	return MAX(a, 0) + MAX(b, 0);
}

/* ---- guest -> guest: two guests of the cell's model on one segment ---- */

/*
 * Guest A (0) sends, guest B (1) receives, over their NICs under test on
 * segment 0 (the host's bridge joins their taps); SSH goes over their
 * management NICs.  The same ledger as host <-> guest, with both taps as
 * counts: what A's iperf3 sent, A's kernel and driver, tap A, the host
 * (bridge, backlog), tap B, B's driver and kernel, B's iperf3.
 */
#define NIC_A(ctx) (&(ctx)->nics[0])
#define NIC_B(ctx) (&(ctx)->nics[2])
/* their client ports: past the host's runs and knee steps in the slot */
#define VM_CPORT (CPORT_BASE + 150)
/* how long guest A's iperf3 may take for a run of s seconds */
#define VM_IPERF_S(s) (2 * (s) + 45)

static const struct param p_vm_knee_sizes = {
	"vm_knee_sizes", PARAM_INT, "0", "4", 0, KNEE_N_SIZES,
	"datagram sizes of the guest -> guest loss knee: the random one, "
	"then 64, 512 and 1400 bytes, this many of them",
};

/* One guest -> guest stream or knee step. */
struct vrun {
	const char *name;
	char tag[32];
	bool udp;
	int cport, size, step;
	double pps;
	bool ok;
	struct iperf_result res;
	struct snaps a, b;	/* guest A with tap A; guest B with tap B */
};

static const char *const tx_names_a[] = {
	"guest A tx_dropped", "guest A tx_fifo_errors",
	"guest A tx_aborted_errors", NULL,
};
static const char *const rx_names_b[] = {
	"guest B rx_dropped", "guest B rx_missed_errors",
	"guest B rx_fifo_errors", "guest B rx_over_errors",
	"guest B rx_length_errors", "guest B rx_crc_errors",
	"guest B rx_frame_errors", NULL,
};

/*
 * Guest A's iperf3 client toward B's server (the JSON is kept as
 * iperf-<tag>.json); -1 when it gave no result (an error recorded).
 */
static int guest_iperf(struct case_ctx *ctx, const char *tag, bool udp,
		       int cport, double rate_bps, int len, int seconds,
		       struct iperf_result *res)
{
	GString *cmd = g_string_new(NULL);
	char err[ERRLEN] = "", *path;
	struct proc_result r;
	int rc = -1;

	char *bq = shq(NIC_B(ctx)->ip), *aq = shq(NIC_A(ctx)->ip);

	g_string_append_printf(cmd, "iperf3 -c %s -B %s -p %d --cport %d "
			       "-t %d -J --connect-timeout 5000", bq, aq,
			       IPERF_PORT, cport, seconds);
	g_free(bq);
	g_free(aq);
	if (udp) {
		g_string_append_printf(cmd, " -u -b %.0f", rate_bps);
		if (len > 0)
			g_string_append_printf(cmd, " -l %d", len);
	}
	for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
		if (server_idle(ctx, 1) < 0)
			break;
		/*
		 * Two guests at full rate with other points beside them on 2
		 * cores: a 3 s UDP run ended after 16 s (B still draining
		 * its backlog before it sent iperf3's results), a TCP one
		 * past 18 s
		 */
		if (case_guest_run_on(ctx, 0, cmd->str,
				      VM_IPERF_S(seconds) * 1000, &r) < 0) {
			proc_result_clear(&r);
			break;
		}
		path = g_strdup_printf("%s/iperf-%s.json", ctx->dir, tag);
		file_write(path, r.out, strlen(r.out), NULL);
		g_free(path);
		if (r.timed_out)
			err_set(err, "iperf3 in guest A did not finish in %d s",
				VM_IPERF_S(seconds));
		else
			rc = iperf_parse(r.out, strlen(r.out), res, err);
		proc_result_clear(&r);
		if (rc < 0 && !strstr(err, "unable to connect") &&
		    !strstr(err, "control message"))
			break;
	}
	if (rc < 0)
		case_error(ctx, "%s (%s, iperf-%s.json)", err,
			   case_last_cmd(ctx), tag);
	g_string_free(cmd, TRUE);
	return rc;
}

/* Both guests' and both taps' counters; after: the receiver's settled. */
static bool vm_snaps(struct case_ctx *ctx, struct vrun *v, bool after)
{
	struct snaps *a = &v->a, *b = &v->b;

	if (case_ledger_snap(ctx, NIC_B(ctx), after, after ? &b->g1 : &b->g0,
			     after ? &b->h1 : &b->h0) < 0)
		return false;
	return case_ledger_snap(ctx, NIC_A(ctx), false, after ? &a->g1 :
				&a->g0, after ? &a->h1 : &a->h0) == 0;
}

/* The ledger of one guest -> guest UDP stream, in datagrams. */
static void vm_udp_ledger(struct ledger *l, const struct vrun *v,
			  long long tap_a, long long tap_b, char *eth_a,
			  char *eth_b, size_t eth_len)
{
	const struct ledger_snap *a0 = &v->a.g0, *a1 = &v->a.g1;
	const struct ledger_snap *b0 = &v->b.g0, *b1 = &v->b.g1;
	const struct ledger_snap *ta0 = &v->a.h0, *ta1 = &v->a.h1;
	const struct ledger_snap *tb0 = &v->b.h0, *tb1 = &v->b.h1;
	const struct iperf_sum *rv = &v->res.received;
	long long rcvd = rv->packets >= rv->lost_packets ?
			 (long long)(rv->packets - rv->lost_packets) :
			 LEDGER_UNKNOWN;
	long long in_err = LD(b0, b1, udp_in_errors, have_udp);
	long long rcvbuf = LD(b0, b1, udp_rcvbuf, have_udp);
	long long csum = LD(b0, b1, udp_csum, have_udp);
	long long other = in_err >= 0 && rcvbuf >= 0 && csum >= 0 &&
			  in_err >= rcvbuf + csum ? in_err - rcvbuf - csum :
			  LEDGER_UNKNOWN;
	long long ed, link, vals[8];

	ledger_init(l, LEDGER_SLACK);
	ledger_count(l, false, "sender", "guest A iperf3 datagrams sent",
		     (long long)v->res.sent.packets);
	ledger_drop(l, false, "guest A kernel", "guest A UDP SndbufErrors",
		    LD(a0, a1, udp_sndbuf, have_udp));
	link = link_drops(l, tx_names_a, tx_vals(a0, a1, vals));
	ed = ledger_ethtool_delta(a0, a1, true, eth_a, eth_len);
	ledger_drop(l, false, "device/driver", "guest A ethtool -S tx drop "
		    "counters beyond the link's", ledger_beyond(ed, link));
	ledger_count(l, true, "tap", "datagrams on tap A (capture)", tap_a);
	ledger_drop(l, true, "tap", "host tap A rx_dropped",
		    LD(ta0, ta1, rx_dropped, have_link));
	ledger_drop(l, true, "host kernel (whole machine)",
		    "host softnet backlog dropped",
		    LD(ta0, ta1, softnet_dropped, have_softnet));
	ledger_count(l, true, "tap", "datagrams on tap B (capture)", tap_b);
	ledger_drop(l, true, "tap", "host tap B tx_dropped",
		    LD(tb0, tb1, tx_dropped, have_link));
	link = link_drops(l, rx_names_b, rx_vals(b0, b1, vals));
	ed = ledger_ethtool_delta(b0, b1, false, eth_b, eth_len);
	ledger_drop(l, false, "device/driver", "guest B ethtool -S rx drop "
		    "counters beyond the link's", ledger_beyond(ed, link));
	ledger_drop(l, false, "guest B kernel", "guest B softnet backlog "
		    "dropped", LD(b0, b1, softnet_dropped, have_softnet));
	ledger_drop(l, false, "guest B kernel", "UDP RcvbufErrors", rcvbuf);
	ledger_drop(l, false, "guest B kernel", "UDP InCsumErrors", csum);
	ledger_drop(l, false, "guest B kernel", "UDP InErrors (other)", other);
	ledger_drop(l, false, "guest B kernel", "UDP NoPorts",
		    LD(b0, b1, udp_noports, have_udp));
	ledger_count_slack(l, false, "receiver", "guest B iperf3 datagrams "
			   "received", rcvd, LEDGER_TAIL);
}

/* One guest -> guest stream: counters, A's iperf3, counters. */
static void vm_stream(struct case_ctx *ctx, struct vrun *v, double rate,
		      int len, int seconds)
{
	bool bh = v->udp && ctx->fault->udp_blackhole && !v->step;
	int rc;

	if (!vm_snaps(ctx, v, false))
		return;
	/* the udp-blackhole control acts on B's receiving end here */
	if (bh && !blackhole_start(ctx, NIC_B(ctx))) {
		blackhole_stop(ctx, NIC_B(ctx));
		return;
	}
	rc = guest_iperf(ctx, v->tag, v->udp, v->cport, rate, len, seconds,
			 &v->res);
	if (bh)
		blackhole_stop(ctx, NIC_B(ctx));
	if (rc < 0)
		return;
	v->ok = vm_snaps(ctx, v, true);
}

/* After the captures stopped: one guest -> guest stream or step. */
static void vm_judge(struct case_ctx *ctx, struct vrun *v, bool full,
		     const char **began, double *began_pps)
{
	const struct nic_under_test *a = NIC_A(ctx), *b = NIC_B(ctx);
	const char *ev = case_fmt(ctx, "%s, %s (client port %d); iperf-%s.json",
				  case_rel(ctx, a->pcap), case_rel(ctx, b->pcap),
				  v->cport, v->tag);
	struct flow_count fa, fb;
	struct ledger l;
	struct ledger_sum sum;
	char err[ERRLEN], eth_a[256], eth_b[256];

	if (!v->udp) {
		case_scope(ctx, "%s, tap A", v->name);
		case_tcp_ledger(ctx, a, a->ip, b->ip, v->cport,
				(long long)v->res.sent.bytes, IPERF_COOKIE,
				(long long)v->res.received.bytes, false, ev);
		case_scope(ctx, "%s, tap B", v->name);
		case_tcp_ledger(ctx, b, a->ip, b->ip, v->cport,
				(long long)v->res.sent.bytes, IPERF_COOKIE,
				(long long)v->res.received.bytes, false, ev);
		return;
	}
	if (flow_count_port(a->pcap, a->ip, b->ip, 17, v->cport, &fa,
			    err) < 0 ||
	    flow_count_port(b->pcap, a->ip, b->ip, 17, v->cport, &fb,
			    err) < 0) {
		case_error(ctx, "%s", err);
		return;
	}
	vm_udp_ledger(&l, v, (long long)fa.frames, (long long)fb.frames,
		      eth_a, eth_b, sizeof(eth_a));
	ledger_settle(&l, &sum);
	case_ledger_record(ctx, &l, &sum, full, ev);
	if (*eth_a || *eth_b)
		observe(ctx, "ledger: ethtool -S counters that moved",
			VAL_S(case_fmt(ctx, "A: %s; B: %s", eth_a, eth_b)),
			NULL, ev);
	if (began && sum.began[0] && (!*began || v->pps < *began_pps)) {
		*began = case_fmt(ctx, "%.0f pps: %s", v->pps, sum.began);
		*began_pps = v->pps;
	}
}

/* A guest -> guest knee step, guest A offering (knee_step_fn). */
static int vm_knee_step(struct case_ctx *ctx, int size, int step,
			double pps, GArray *steps,
			const struct iperf_result **res, const char **ev)
{
	struct vrun v = { .name = "knee", .udp = true, .size = size,
			  .step = step, .pps = pps };
	struct vrun *in;

	v.cport = VM_CPORT + 10 + (int)steps->len;
	g_snprintf(v.tag, sizeof(v.tag), "vm-knee-%d-%d", size, step);
	vm_stream(ctx, &v, pps * size * 8, size,
		  case_param(ctx, &p_knee_seconds));
	if (!v.ok)
		return -1;
	g_array_append_val(steps, v);
	in = &g_array_index(steps, struct vrun, steps->len - 1);
	*res = &in->res;
	*ev = case_fmt(ctx, "iperf-%s.json", in->tag);
	return 1;
}

/*
 * Guest -> guest: B's iperf3 server, TCP from A for stress_seconds, then
 * UDP at that rate (at most UDP_MAX_BPS), then the knee at vm_knee_sizes
 * sizes.  Measured now; judged by vm_judge_all() once the captures
 * stopped.
 */
static void vm_measure(struct case_ctx *ctx, struct vrun *runs, int n_runs,
		       const int *sizes, GArray *steps)
{
	int seconds = case_param(ctx, &p_stress_seconds);
	int n_sizes = case_param(ctx, &p_vm_knee_sizes);
	char *cmd, *bq, err[ERRLEN];
	struct sshc_job *server = NULL;
	double rate = 0;

	case_phase(ctx, "guest B's iperf3 server");
	bq = shq(NIC_B(ctx)->ip);
	cmd = g_strdup_printf("exec iperf3 -s -B %s -p %d", bq, IPERF_PORT);
	g_free(bq);
	if (sshc_start(ctx->guests[1].ssh, cmd, 10000, &server, err) < 0)
		case_error(ctx, "cannot start iperf3 in guest B: %s", err);
	g_free(cmd);
	if (case_failed(ctx) || server_idle(ctx, 1) < 0)
		goto out;
	for (int i = 0; i < n_runs && !interrupted(); i++) {
		struct vrun *v = &runs[i];

		case_phase(ctx, "%s", v->name);
		case_scope(ctx, "%s", v->name);
		if (v->udp) {
			observe_num(ctx, "offered rate", mbit(rate), "Mbit/s");
		}
		vm_stream(ctx, v, rate, 0, seconds);
		if (v->ok) {
			observe_num(ctx, "sender throughput",
				    mbit(v->res.sent.bits_per_second),
				    "Mbit/s");
			observe_num(ctx, "receiver throughput",
				    mbit(v->res.received.bits_per_second),
				    "Mbit/s");
			if (v->udp)
				observe_int(ctx, "datagrams lost (iperf3)",
					    (long long)
					    v->res.received.lost_packets, NULL);
			else
				rate = MIN(v->res.received.bits_per_second,
					   UDP_MAX_BPS);
		}
		if (rate <= 0)
			rate = UDP_MAX_BPS;
		case_scope(ctx, NULL);
	}
	for (int z = 0; z < n_sizes && !case_failed(ctx) && !interrupted();
	     z++) {
		case_phase(ctx, "guest->guest knee %d bytes", sizes[z]);
		knee_search(ctx, "guest->guest knee", sizes[z], steps,
			    vm_knee_step);
	}
out:
	sshc_job_free(server);
}

static void vm_judge_all(struct case_ctx *ctx, struct vrun *runs, int n_runs,
			 const int *sizes, GArray *steps)
{
	int n_sizes = case_param(ctx, &p_vm_knee_sizes);

	for (int i = 0; i < n_runs; i++) {
		if (!runs[i].ok)
			continue;
		case_scope(ctx, "%s", runs[i].name);
		vm_judge(ctx, &runs[i], true, NULL, NULL);
		case_scope(ctx, NULL);
	}
	for (int z = 0; z < n_sizes; z++) {
		const char *began = NULL;
		double began_pps = 0;

		for (guint i = 0; i < steps->len; i++) {
			struct vrun *v = &g_array_index(steps, struct vrun, i);

			if (v->size != sizes[z])
				continue;
			case_scope(ctx, "guest->guest knee %d bytes step %d",
				   v->size, v->step);
			vm_judge(ctx, v, false, &began, &began_pps);
		}
		case_scope(ctx, "guest->guest knee %d bytes", sizes[z]);
		observe_str(ctx, "loss began (lowest rate with loss or a drop "
			    "counter moving)", "%s", began ? began :
			    "at no rate tried");
		case_scope(ctx, NULL);
	}
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
	GArray *ksteps = g_array_new(FALSE, TRUE, sizeof(struct kstep));
	GArray *vsteps = g_array_new(FALSE, TRUE, sizeof(struct vrun));
	struct vrun vruns[] = {
		{ .name = "tcp guest->guest", .tag = "tcp-guest-to-guest",
		  .cport = VM_CPORT },
		{ .name = "udp guest->guest", .tag = "udp-guest-to-guest",
		  .udp = true, .cport = VM_CPORT + 1 },
	};
	int sizes[KNEE_N_SIZES], vm_sizes[KNEE_N_SIZES];
	int n_sizes = case_param(ctx, &p_knee_sizes);
	size_t i;

	observe_str(ctx, "management NIC (SSH; no iperf3 on it)", "%s",
		    model_name(ctx->nics[1].model));
	/*
	 * 64 bytes, one size drawn at random (recorded), then 512 and 1400:
	 * the host's knee takes the first knee_sizes of them; guest -> guest
	 * the random size first, then the fixed ones
	 */
	sizes[0] = knee_sizes[0];
	sizes[1] = g_random_int_range(65, 1472);
	memcpy(sizes + 2, knee_sizes + 1, sizeof(knee_sizes) - sizeof(int));
	observe_int(ctx, "knee: the random datagram size", sizes[1], "bytes");
	vm_sizes[0] = sizes[1];
	memcpy(vm_sizes + 1, knee_sizes, sizeof(knee_sizes));

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
		server_idle(ctx, 0);
	if (case_failed(ctx))
		goto stop;

	for (i = 0; i < G_N_ELEMENTS(runs) && !interrupted(); i++) {
		struct run *ru = &runs[i];
		double rate = 0;
		long long lost;

		case_phase(ctx, "%s", ru->name);
		case_scope(ctx, "%s", ru->name);
		if (ru->udp) {
			rate = tcp_bps[ru->reverse];
			if (rate <= 0 || rate > UDP_MAX_BPS)
				rate = UDP_MAX_BPS;
			observe_num(ctx, "offered rate", mbit(rate), "Mbit/s");
		}
		run_stream(ctx, ru, rate, seconds);
		if (ru->udp && (lost = host_lost(ru)) > 0 && !interrupted()) {
			/*
			 * nicq's own end lost datagrams (its socket, or the
			 * namespace's other points' sockets on the shared
			 * counters): the instrument failed, not the NIC.  The
			 * stream runs once more on other ports; the first
			 * attempt stays in the folder and the YAML, and a
			 * second loss is judged as before.
			 */
			char *a = g_strdup_printf("%s/iperf-%s.json", ctx->dir,
						  ru->tag);
			char *b = g_strdup_printf("%s/iperf-%s-first.json",
						  ctx->dir, ru->tag);

			if (rename(a, b) < 0)
				case_error(ctx, "cannot keep %s: %s", a,
					   g_strerror(errno));
			observe(ctx, "first attempt: datagrams the host dropped "
				"itself (nicq's end fell behind: not judged; "
				"the stream ran again)", VAL_I(lost), "datagrams",
				case_fmt(ctx, "%s (client port %d); "
					 "iperf-%s-first.json",
					 case_rel(ctx, ctx->nic->pcap),
					 ru->cport, ru->tag));
			g_free(a);
			g_free(b);
			memset(&ru->res, 0, sizeof(ru->res));
			memset(&ru->sn, 0, sizeof(ru->sn));
			ru->ok = false;
			ru->cport += RETRY_CPORT;
			run_stream(ctx, ru, rate, seconds);
		}
		if (ru->ok) {
			observe_run(ctx, ru);
			if (!ru->udp)
				tcp_bps[ru->reverse] =
					ru->res.received.bits_per_second;
		}
		case_scope(ctx, NULL);
	}
	for (i = 0; i < (size_t)n_sizes && !case_failed(ctx) &&
	     !interrupted(); i++) {
		case_phase(ctx, "knee %d bytes", sizes[i]);
		knee_search(ctx, "knee", sizes[i], ksteps, host_knee_step);
	}
	if (!case_failed(ctx) && !interrupted())
		vm_measure(ctx, vruns, (int)G_N_ELEMENTS(vruns), vm_sizes,
			   vsteps);

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
	knee_judge(ctx, sizes, n_sizes, ksteps);
	vm_judge_all(ctx, vruns, (int)G_N_ELEMENTS(vruns), vm_sizes, vsteps);
	if (ping.evidence)
		case_ping_judge(ctx, nic, ping.ident, after, "ping after");
out:
	g_array_free(ksteps, TRUE);
	g_array_free(vsteps, TRUE);
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
	int runs = 4 * (prof_int(p, &p_stress_seconds) + 3 + LEDGER_READ_S);
	int knee = prof_int(p, &p_knee_sizes) * KNEE_MAX_STEPS *
		   (prof_int(p, &p_knee_seconds) + 2 + LEDGER_READ_S);
	/* guest -> guest: both guests' counters, twice a stream */
	int vm = 2 * (prof_int(p, &p_stress_seconds) + 10 + 2 * LEDGER_READ_S) +
		 prof_int(p, &p_vm_knee_sizes) * KNEE_MAX_STEPS *
		 (prof_int(p, &p_knee_seconds) + 6 + 2 * LEDGER_READ_S);

	return 3 * (runs + knee + vm + prof_int(p, &param_after_count) / 10 +
		    10);
}

static const struct param *const stress_params[] = {
	&p_stress_seconds, &p_knee_sizes, &p_knee_seconds, &p_vm_knee_sizes,
	&param_after_count, NULL,
};

/*
 * Guest A (the point's guest, SSH over its management NIC) and guest B of
 * the same shape, their NICs under test on one segment (the host's bridge
 * joins the two taps), the management NICs on another.
 */
static const struct topology stress_topo = {
	.n_segments = 2,
	.n_guests = 2,
	.guests = {
		{ .n_nics = 2, .nics = {
			{ MODEL_OF_CELL, 0, 0, false },
			{ MODEL_MGMT, 1, 0, false },
		} },
		{ .n_nics = 2, .nics = {
			{ MODEL_OF_CELL, 0, 0, false },
			{ MODEL_MGMT, 1, 0, false },
		} },
	},
};

const struct case_desc case_stress = {
	.name = "stress",
	.summary = "iperf3 TCP and UDP both ways with a loss ledger per "
		   "stream (no silent loss; TCP bytes by sequence number), "
		   "the UDP loss knee at 64/512/1400 and a random size with "
		   "where loss began, the same guest -> guest between two "
		   "guests on one segment, then a clean ping",
	.plan_case = 11,
	.plan = "stress (iperf3 for netperf)",
	/* headers up to the TCP data offset (54 bytes, 58 tagged) and ICMP
	 * ids are all the analyzers read; a million frames stay ~70 MB */
	.capture_snaplen = 64,
	.topo = &stress_topo,
	.params = stress_params,
	.deadline_s = stress_deadline,
	.controls = {
		{ "drop-udp=20", "virtio",
		  "udp guest->host: payload bytes on the tap, within *" },
		/* the same loss, in the host after the tap: silent there */
		{ "drop-udp=20", "virtio",
		  "udp guest->host: silent loss in the host between tap *" },
		/* a loss in the guest that no ledger counter sees */
		{ "udp-blackhole", "virtio",
		  "udp host->guest: silent loss between tap *" },
		/* nicq's own end falls behind, the second attempt too */
		{ "host-stall", "virtio",
		  "udp guest->host: loss in the host, counted by its own *" },
		/* guest -> guest: B's blackhole, unseen by any counter */
		{ "udp-blackhole", "virtio",
		  "udp guest->guest: silent loss between tap *" },
		/* guest -> guest: dropped after tap A, never on tap B */
		{ "drop-udp=20", "virtio",
		  "udp guest->guest: silent loss in the host between tap *" },
	},
	.run = stress_case,
};
