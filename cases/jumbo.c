/*
 * jumbo.c - Fedora vhost-net plan case 3: jumbo frames.
 *
 * Every hop gets the large MTU: the test segment is a libvirt network with
 * <mtu size='9000'/>, so libvirt gives the bridge and the guest's tap 9000;
 * the case checks both from netlink rather than trusting the XML.  In the
 * guest the case sets the NIC's MTU itself, because whether the driver
 * takes it is part of what is tested (the drivers' max_mtu is in the model
 * table, harness/model.c):
 *
 *   e1000   (e1000)    max_mtu 16110: takes 9000.
 *   virtio  (virtio_net) max_mtu 65535: takes 9000 (and more; the segment
 *                      is what stops at 9000).
 *   rtl8139 (8139cp)   max_mtu 4096 (CP_MAX_MTU in 8139cp.c; QEMU's rtl8139
 *                      is a C+ chip, so 8139cp binds, not 8139too): must
 *                      refuse 9000 - a pass, not a skip - and its largest
 *                      MTU, 4096, is what the rest of the case uses.  The
 *                      host cannot know that the guest's NIC stops short of
 *                      the segment, so the case tells it the way an
 *                      administrator would: a route to the guest's address
 *                      with "mtu lock 4096".
 *
 * After every MTU change in the guest the case waits for the link (carrier
 * 1 and operstate up, with a deadline; e1000 resets its link on an MTU
 * change) before it pings.  SSH goes over a management NIC (another model,
 * on its own segment), so the toggling cannot cut the case off its guest.
 * Then, all judged from the capture on the tap:
 *
 *   - the host's `ping -M do` at a sweep of sizes up to the largest (56,
 *     1472, 1473, half the MTU, MTU - 28): every request a full, unfragmented
 *     frame with DF of exactly its size, every reply there with the
 *     request's payload;
 *   - `ping -M do` one byte over the largest is refused by the sender (ping
 *     reports local errors, "message too long") and nothing of it is on
 *     the wire;
 *   - the guest pings the host at its MTU (busybox ping: Linux sets DF on
 *     what fits, IP_PMTUDISC_WANT): its requests are full-size frames with
 *     DF, unfragmented, and the host's replies are on the wire;
 *   - the guest toggles its MTU between 1500 and the largest in a loop
 *     that runs from before the host's flood at the largest size until
 *     after it, stamping each change with its uptime.  The guest's clock
 *     is mapped onto the pcap's (guest_clock, common.c), and at least one
 *     MTU change must fall inside the flood's first and last request on
 *     the wire: the toggling overlapped the flood, provably.  Every request
 *     the flood sent is on the wire and no reply carries another payload;
 *     loss while the link resets is recorded, not judged;
 *   - afterwards, the MTU back at the largest and the link up, a ping at
 *     the largest size loses nothing; the runner checks the kernel log.
 */
#include "case.h"
#include "echo.h"
#include "util.h"

#include <glib.h>
#include <string.h>

#define SEGMENT_MTU 9000
/* IPv4 header + ICMP header: ping -s <mtu - 28> fills the MTU exactly */
#define IP_ICMP_HDR 28
#define ETH_HDR 14
/* sizes of the DF sweep (sweep_sizes) */
#define SWEEP_MAX 5
/* how long a link may take to come up after an MTU change */
#define LINK_WAIT_S 30

/*
 * A host-side device's MTU, from netlink (ip): nicq runs inside the lab's
 * network namespace, but /sys shows the namespace that mounted it.
 * -1 (error recorded) when it cannot be read.
 */
static int host_mtu(struct case_ctx *ctx, const char *dev)
{
	char *argv[] = { "ip", "-o", "link", "show", "dev", (char *)dev, NULL };
	struct proc_result r;
	long long mtu = -1;

	if (case_host_run(ctx, argv, 10000, &r) < 0)
		return -1;
	if (r.status != 0 || kv_get_int(r.out, "mtu ", 0, 1 << 20, &mtu) < 0) {
		case_error(ctx, "cannot read the MTU of %s (%s): %s", dev,
			   case_last_cmd(ctx), r.status ? g_strstrip(r.errout)
			   : "no \"mtu\" in ip's output");
		mtu = -1;
	}
	proc_result_clear(&r);
	return (int)mtu;
}

/*
 * Run `ip link set <if> mtu <mtu>` in the guest: its exit status, or -1
 * (error recorded) when it could not be run.  *errout gets its stderr.
 */
static int guest_set_mtu(struct case_ctx *ctx, int mtu, char **errout)
{
	char *q = shq(ctx->nic->ifname);
	char *cmd = g_strdup_printf("ip link set dev %s mtu %d", q, mtu);
	struct proc_result r;
	int st = -1;

	if (case_guest_run(ctx, cmd, 15000, &r) == 0) {
		st = r.status;
		if (errout)
			*errout = g_strdup(g_strstrip(r.errout));
	}
	proc_result_clear(&r);
	g_free(cmd);
	g_free(q);
	return st;
}

/*
 * After an MTU change: the link, then an answer.  Link up is not receive
 * up: QEMU's e1000 holds receive off for a second after every write of its
 * receive control register, which each MTU change makes (see promisc.c).
 */
static void link_ready(struct case_ctx *ctx, int mtu)
{
	if (case_wait_link(ctx, ctx->nic, LINK_WAIT_S,
			   case_fmt(ctx, "after MTU %d", mtu)))
		case_wait_answer(ctx, ctx->nic, 15);
}

/* A DF ping at size: count requests 0.1 s apart (count 0: a flood). */
static int df_ping(struct case_ctx *ctx, uint16_t ident, int size, int count,
		   struct ping_summary *sum)
{
	struct ping_spec ps = {
		.dst = ctx->nic->ip, .count = count, .interval = 0.1,
		.flood_s = case_param(ctx, &param_flood_seconds),
		.size = size, .df = true, .ident = ident, .reply_wait_s = 3,
	};

	return case_host_ping(ctx, &ps, sum);
}

static const char *pcap_name(const struct case_ctx *ctx)
{
	return case_rel(ctx, ctx->nic->pcap);
}

static const char *wrong_where(struct case_ctx *ctx, const char *ev,
			       const struct echo_flow *f)
{
	if (!f || !f->bad_replies)
		return ev;
	return case_fmt(ctx, "%s; first: seq %d, payload byte %ld", ev,
			f->bad_first_seq, f->bad_first_byte);
}

/*
 * Judge a counted DF ping of size from the capture: all of it answered
 * with the request's payload; with frames, each request a full frame of
 * its size with DF and nothing fragmented.
 */
static void judge_ping(struct case_ctx *ctx, const struct echo_report *rep,
		       const struct ping_summary *sum, int count, int size,
		       bool frames)
{
	const struct echo_flow *f = echo_report_flow(rep, sum->ident);
	const char *ev = case_fmt(ctx, "%s (ICMP id %u); %s", pcap_name(ctx),
				  sum->ident, sum->evidence);

	expect_eq(ctx, "echo requests ping sent", count, sum->sent,
		  sum->evidence);
	expect_eq(ctx, "echo replies on the wire", count, f ? f->replies : 0,
		  ev);
	expect_eq(ctx, "echo replies with a payload other than the request's",
		  0, f ? f->bad_replies : 0, wrong_where(ctx, ev, f));
	expect_cmp(ctx, "ping's replies, all seen on the wire", CMP_LE,
		   f ? f->replies : 0, sum->received, ev);
	if (!frames)
		return;
	expect_eq(ctx, "largest frame on the wire (bytes)",
		  size + IP_ICMP_HDR + ETH_HDR,
		  f ? (long long)f->frame_max : 0, ev);
	expect_eq(ctx, "request frames with DF set", count,
		  f ? f->df_frames : 0, ev);
	expect_eq(ctx, "fragmented echo datagrams", 0,
		  f ? f->req_fragmented + f->rep_fragmented : 0, ev);
}

/*
 * One byte over the largest, with DF: the sender must refuse it (ping
 * says "message too long" and counts local errors, nothing answered), and
 * nothing of it may reach the wire.
 */
static void judge_refusal(struct case_ctx *ctx, const struct echo_report *rep,
			  const struct ping_summary *sum, int count)
{
	const struct echo_flow *f = echo_report_flow(rep, sum->ident);
	bool said = sum->out && strstr(sum->out, "essage too long");
	bool refused = sum->status != 0 && sum->received == 0 &&
		       sum->errors >= 1 && said;

	expect_true(ctx, "refused by the sender (ping -M do: local error, "
		    "message too long)", refused,
		    case_fmt(ctx, "%d requests, none sent: %d local errors, "
			     "\"message too long\"", count, count),
		    case_fmt(ctx, "exit status %d, %d transmitted, %d received, "
			     "%d errors, %s", sum->status, sum->sent,
			     sum->received, sum->errors,
			     said ? "\"message too long\"" :
			     "no \"message too long\""), sum->evidence);
	expect_eq(ctx, "frames of it on the wire", 0, f ? f->fragments : 0,
		  case_fmt(ctx, "%s (ICMP id %u)", pcap_name(ctx),
			   sum->ident));
}

/*
 * The guest pings the host at its MTU with busybox ping (its ICMP
 * identifier is its process id, which the command prints first).  *ident
 * gets the identifier, -1 when the command did not run.
 */
static int guest_ping(struct case_ctx *ctx, int size, int count,
		      long long *ident, struct ping_summary *sum)
{
	char *cmd = g_strdup_printf("echo pid=$$; exec ping -c %d -i 0.2 "
				    "-W 3 -s %d %s", count, size,
				    ctx->nic->host_ip);
	struct proc_result r;
	long long pid;

	memset(sum, 0, sizeof(*sum));
	*ident = -1;
	if (case_guest_run(ctx, cmd, (count + 20) * 1000, &r) < 0) {
		g_free(cmd);
		return -1;
	}
	g_free(cmd);
	sum->status = r.status;
	ping_parse_summary(r.out, &sum->sent, &sum->received, &sum->errors);
	sum->evidence = g_strdup(case_last_cmd(ctx));
	if (kv_get_int(r.out, "pid=", 1, 1 << 30, &pid) == 0)
		*ident = pid & 0xffff;
	proc_result_clear(&r);
	return 0;
}

/* The guest's pings to the host, judged on the wire (src = the guest). */
static void judge_guest_ping(struct case_ctx *ctx, int mtu, int count,
			     long long ident, const struct ping_summary *sum)
{
	struct echo_report *rep = NULL;
	const struct echo_flow *f = NULL;
	char err[ERRLEN];
	const char *ev;

	if (echo_analyze(ctx->nic->pcap, ctx->nic->ip, ctx->nic->host_ip,
			 &rep, err) < 0) {
		case_error(ctx, "%s", err);
		return;
	}
	if (ident >= 0)
		f = echo_report_flow(rep, (uint16_t)ident);
	ev = case_fmt(ctx, "%s (ICMP id %lld from the guest); %s",
		      pcap_name(ctx), ident, sum->evidence);
	expect_eq(ctx, "echo requests the guest's ping sent", count,
		  sum->sent, sum->evidence);
	expect_eq(ctx, "its requests on the wire", count,
		  f ? f->requests : 0, ev);
	expect_eq(ctx, "request frames with DF set", count,
		  f ? f->df_frames : 0, ev);
	expect_eq(ctx, "largest frame on the wire (bytes)", mtu + ETH_HDR,
		  f ? (long long)f->frame_max : 0, ev);
	expect_eq(ctx, "fragmented echo datagrams", 0,
		  f ? f->req_fragmented + f->rep_fragmented : 0, ev);
	expect_eq(ctx, "echo replies on the wire", count,
		  f ? f->replies : 0, ev);
	echo_report_free(rep);
}

/* The sizes of the sweep, ascending, each at most mtu - 28; returns n. */
static int sweep_sizes(int mtu, int out[SWEEP_MAX])
{
	const int want[SWEEP_MAX] = {
		56, 1500 - IP_ICMP_HDR, 1500 - IP_ICMP_HDR + 1,
		(mtu - IP_ICMP_HDR) / 2, mtu - IP_ICMP_HDR,
	};
	int n = 0;

	for (int i = 0; i < SWEEP_MAX; i++)
		if (want[i] <= mtu - IP_ICMP_HDR &&
		    (n == 0 || want[i] > out[n - 1]))
			out[n++] = want[i];
	return n;
}

/*
 * Tell the host that the guest takes at most mtu (a route to its address
 * with the MTU locked), when that is less than the segment's.  0, or -1
 * (error recorded).
 */
static int host_route_mtu(struct case_ctx *ctx, int mtu, bool add)
{
	char buf[16];
	char *add_argv[] = { "ip", "route", "replace", ctx->nic->ip, "dev",
			     ctx->nic->bridge, "mtu", "lock", buf, NULL };
	char *del_argv[] = { "ip", "route", "del", ctx->nic->ip, "dev",
			     ctx->nic->bridge, NULL };
	struct proc_result r;
	int rc = 0;

	g_snprintf(buf, sizeof(buf), "%d", mtu);
	if (case_host_run(ctx, add ? add_argv : del_argv, 10000, &r) < 0)
		return -1;
	if (add && r.status != 0) {
		case_error(ctx, "cannot set the route MTU to %s (%s): %s",
			   ctx->nic->ip, case_last_cmd(ctx),
			   g_strstrip(r.errout));
		rc = -1;
	}
	proc_result_clear(&r);
	return rc;
}

/* The flood while the guest toggles its MTU: judged and proved to overlap. */
static void judge_flood(struct case_ctx *ctx, const struct echo_report *rep,
			const struct ping_summary *sum, const GArray *changes,
			const struct guest_clock *clk, bool have_clock,
			double t0, double t1, int mtu)
{
	const struct echo_flow *f = echo_report_flow(rep, sum->ident);
	const char *ev = case_fmt(ctx, "%s (ICMP id %u); %s", pcap_name(ctx),
				  sum->ident, sum->evidence);
	double w0 = f ? f->req_first_us / 1e6 : 0;
	double w1 = f ? f->req_last_us / 1e6 : 0;
	unsigned inside = 0;

	observe(ctx, "echo requests ping sent", VAL_I(sum->sent), NULL,
		sum->evidence);
	observe(ctx, "echo replies on the wire", VAL_I(f ? f->replies : 0),
		NULL, ev);
	observe(ctx, "ping's own count of replies", VAL_I(sum->received),
		NULL, sum->evidence);
	/* loss while the link resets is expected: recorded, not judged */
	observe(ctx, "unanswered requests on the wire",
		VAL_I(f ? f->unanswered : 0), NULL, ev);
	expect_eq(ctx, "echo requests on the wire, all that ping sent",
		  sum->sent, f ? f->requests : 0, ev);
	expect_eq(ctx, "echo replies with a payload other than the request's",
		  0, f ? f->bad_replies : 0, wrong_where(ctx, ev, f));

	/* the toggling overlapped the flood: an MTU change inside it */
	if (have_clock && f && f->requests)
		inside = guest_times_within(changes, clk, w0, w1);
	if (have_clock && f && f->requests) {
		observe(ctx, "flood on the wire, first to last request",
			VAL_D(w1 - w0), "s", ev);
		observe(ctx, "toggling began, before the flood's first request",
			VAL_D(w0 - (t0 + clk->offset)), "s", NULL);
		observe(ctx, "toggling ended, after the flood's last request",
			VAL_D(t1 + clk->offset - w1), "s", NULL);
	}
	if (have_clock)
		observe(ctx, "guest clock on the host's, uncertainty",
			VAL_D(clk->uncert * 1000), "ms", NULL);
	expect_cmp(ctx, case_fmt(ctx, "MTU changes (1500 <-> %d) while the "
				 "flood was on the wire, by the guest's time "
				 "stamps", mtu), CMP_GE, 1,
		   have_clock ? (long long)inside : -1,
		   case_fmt(ctx, "%s; %u changes stamped by the guest's loop",
			    ev, changes ? changes->len : 0));
}

static void jumbo_run(struct case_ctx *ctx)
{
	const struct model_info *mi = model_info(ctx->nic->model);
	bool takes_jumbo = mi->max_mtu >= SEGMENT_MTU;
	int mtu = takes_jumbo ? SEGMENT_MTU : mi->max_mtu;
	int count = case_param(ctx, &param_after_count);
	int flood_s = case_param(ctx, &param_flood_seconds);
	uint16_t base = case_ident(ctx, SWEEP_MAX + 3);
	struct ping_summary s_sweep[SWEEP_MAX] = { { 0 } };
	struct ping_summary s_over = { 0 }, s_flood = { 0 }, s_after = { 0 };
	struct ping_summary s_guest = { 0 };
	struct guest_clock clk0 = { 0 }, clk1 = { 0 }, clk = { 0 };
	GArray *changes = g_array_new(FALSE, FALSE, sizeof(double));
	GArray *marks = g_array_new(FALSE, FALSE, sizeof(double));
	struct echo_report *rep = NULL;
	struct sshc_job *job = NULL;
	char *refusal = NULL, *cmd, *q;
	struct proc_result r;
	long long toggles = -1, guest_ident = -1;
	bool have_clock = false, routed = false;
	double t0 = 0, t1 = 0;
	char err[ERRLEN];
	int sizes[SWEEP_MAX], n_sizes = sweep_sizes(mtu, sizes);
	int tap_mtu, br_mtu, st, i;

	observe_int(ctx, "MTU the case uses", mtu, "bytes");

	/* every hop on the host side */
	case_phase(ctx, "host MTU");
	case_scope(ctx, "host side");
	tap_mtu = host_mtu(ctx, ctx->nic->tap);
	if (tap_mtu >= 0)
		expect_eq(ctx, "tap MTU", SEGMENT_MTU, tap_mtu,
			  case_last_cmd(ctx));
	br_mtu = host_mtu(ctx, ctx->nic->bridge);
	if (br_mtu >= 0)
		expect_eq(ctx, "bridge MTU", SEGMENT_MTU, br_mtu,
			  case_last_cmd(ctx));
	if (mtu < SEGMENT_MTU) {
		if (host_route_mtu(ctx, mtu, true) < 0)
			goto out;
		routed = true;
		observe(ctx, "route to the guest, MTU locked", VAL_I(mtu),
			"bytes", case_last_cmd(ctx));
	}

	/* the guest driver */
	case_phase(ctx, "guest MTU");
	case_scope(ctx, "guest driver %s (max_mtu %d)", mi->driver,
		   mi->max_mtu);
	st = guest_set_mtu(ctx, SEGMENT_MTU, &refusal);
	if (st < 0)
		goto out;
	expect_str(ctx, case_fmt(ctx, "ip link set mtu %d", SEGMENT_MTU),
		   takes_jumbo ? "accepted" : "refused",
		   st == 0 ? "accepted" : "refused", case_last_cmd(ctx));
	if (st != 0 && refusal && *refusal)
		observe(ctx, "refusal", VAL_S(refusal), NULL,
			case_last_cmd(ctx));
	if (mtu != SEGMENT_MTU) {
		st = guest_set_mtu(ctx, mtu, NULL);
		if (st < 0)
			goto out;
		expect_eq(ctx, case_fmt(ctx, "ip link set mtu %d (its maximum): "
					"exit status", mtu), 0, st,
			  case_last_cmd(ctx));
	}
	link_ready(ctx, mtu);
	case_scope(ctx, NULL);

	/* the host's DF pings: the sweep, then one byte over */
	case_phase(ctx, "df ping sweep");
	for (i = 0; i < n_sizes; i++)
		if (df_ping(ctx, (uint16_t)(base + i), sizes[i], count,
			    &s_sweep[i]) < 0)
			goto out;
	{
		struct ping_spec ps = {
			.dst = ctx->nic->ip, .count = 2, .interval = 0.1,
			.size = mtu - IP_ICMP_HDR + 1, .df = true,
			.ident = (uint16_t)(base + SWEEP_MAX),
			.reply_wait_s = 1, .verbose = true,
		};

		if (case_host_ping(ctx, &ps, &s_over) < 0)
			goto out;
	}

	/* the guest pings the host at its MTU */
	case_phase(ctx, "guest df ping");
	if (guest_ping(ctx, mtu - IP_ICMP_HDR, count, &guest_ident,
		       &s_guest) < 0)
		goto out;

	/*
	 * Toggle the MTU in the guest while the host floods at full size.
	 * The loop stamps its start, each change and its end with the
	 * guest's uptime, and runs until told to stop (after the flood), or
	 * by itself after the flood and two minutes more.
	 */
	case_phase(ctx, "flood while toggling the MTU");
	if (case_guest_clock(ctx, 0, &clk0) < 0)
		goto out;
	/* the stop file goes first: a loop that removed it itself could
	 * miss a stop that came before it ran */
	if (case_guest_run(ctx, "rm -f /tmp/nicq-stop /tmp/nicq-toggling",
			   10000, &r) == 0)
		proc_result_clear(&r);
	q = shq(ctx->nic->ifname);
	cmd = g_strdup_printf(
		"n=0; read u x < /proc/uptime; echo t0=$u; s=${u%%.*}; "
		": > /tmp/nicq-toggling; "
		"while [ ! -e /tmp/nicq-stop ] && [ $(( ${u%%.*} - s )) -lt %d ]; "
		"do ip link set dev %s mtu 1500 || break; "
		"read u x < /proc/uptime; echo c=$u; "
		"ip link set dev %s mtu %d || break; "
		"read u x < /proc/uptime; echo c=$u; n=$((n + 1)); done; "
		"read u x < /proc/uptime; echo t1=$u; echo toggles=$n",
		flood_s + 120, q, q, mtu);
	if (sshc_start(ctx->ssh, cmd, 10000, &job, err) < 0) {
		case_error(ctx, "cannot start the MTU toggling in the guest: "
			   "%s", err);
		job = NULL;
	}
	g_free(cmd);
	g_free(q);
	/* the flood starts once the loop runs (an SSH job takes a while) */
	for (i = 0; job && i < 30 && !interrupted(); i++) {
		st = -1;
		if (case_guest_run(ctx, "test -e /tmp/nicq-toggling", 10000,
				   &r) == 0)
			st = r.status;
		proc_result_clear(&r);
		if (st == 0)
			break;
		g_usleep(200000);
	}
	if (df_ping(ctx, (uint16_t)(base + SWEEP_MAX + 1),
		    mtu - IP_ICMP_HDR, 0, &s_flood) < 0)
		goto out;
	if (case_guest_run(ctx, "touch /tmp/nicq-stop", 10000, &r) == 0)
		proc_result_clear(&r);
	if (job) {
		if (sshc_job_wait(job, 120000, &r, err) == 0) {
			const char *tev = case_last_cmd(ctx);

			case_scope(ctx, "toggling");
			if (kv_get_int(r.out, "toggles=", 0, 1 << 30,
				       &toggles) < 0)
				toggles = -1;
			case_parse_times(r.out, "c=", changes, 100000);
			if (case_parse_times(r.out, "t0=", marks, 1) == 1)
				t0 = g_array_index(marks, double, 0);
			if (case_parse_times(r.out, "t1=", marks, 1) == 1)
				t1 = g_array_index(marks, double,
						   marks->len - 1);
			expect_cmp(ctx, case_fmt(ctx, "MTU toggles 1500 <-> %d "
						 "by the guest's loop", mtu),
				   CMP_GE, 1, toggles, tev);
			observe(ctx, "MTU changes stamped",
				VAL_I(changes->len), NULL, tev);
			case_scope(ctx, NULL);
		} else {
			case_error(ctx, "MTU toggling in the guest: %s", err);
		}
		proc_result_clear(&r);
	}
	if (case_guest_clock(ctx, 0, &clk1) < 0)
		goto out;
	clk = guest_clock_merge(&clk0, &clk1);
	have_clock = marks->len == 2;

	/* the toggling ends at the largest MTU; the link, then the ping */
	case_phase(ctx, "after toggling");
	case_scope(ctx, "after toggling");
	st = guest_set_mtu(ctx, mtu, NULL);
	if (st < 0)
		goto out;
	expect_eq(ctx, case_fmt(ctx, "ip link set mtu %d: exit status", mtu),
		  0, st, case_last_cmd(ctx));
	link_ready(ctx, mtu);
	case_scope(ctx, NULL);
	if (df_ping(ctx, (uint16_t)(base + SWEEP_MAX + 2), mtu - IP_ICMP_HDR,
		    count, &s_after) < 0)
		goto out;
	case_captures_stop(ctx);

	case_phase(ctx, "judge");
	if (echo_analyze(ctx->nic->pcap, ctx->nic->host_ip, ctx->nic->ip,
			 &rep, err) < 0) {
		case_error(ctx, "%s", err);
		goto out;
	}
	observe_int(ctx, "frames analysed", rep->frames, NULL);
	for (i = 0; i < n_sizes; i++) {
		case_scope(ctx, "df ping size %d", sizes[i]);
		judge_ping(ctx, rep, &s_sweep[i], count, sizes[i], true);
	}
	case_scope(ctx, "df ping size %d (largest + 1)",
		   mtu - IP_ICMP_HDR + 1);
	judge_refusal(ctx, rep, &s_over, 2);
	case_scope(ctx, "guest df ping size %d", mtu - IP_ICMP_HDR);
	judge_guest_ping(ctx, mtu, count, guest_ident, &s_guest);
	case_scope(ctx, "flood while toggling");
	judge_flood(ctx, rep, &s_flood, changes, &clk, have_clock, t0, t1,
		    mtu);
	case_scope(ctx, "after toggling size %d", mtu - IP_ICMP_HDR);
	judge_ping(ctx, rep, &s_after, count, mtu - IP_ICMP_HDR, false);
out:
	case_scope(ctx, NULL);
	if (routed)
		host_route_mtu(ctx, mtu, false);
	echo_report_free(rep);
	for (i = 0; i < SWEEP_MAX; i++)
		ping_summary_clear(&s_sweep[i]);
	ping_summary_clear(&s_over);
	ping_summary_clear(&s_flood);
	ping_summary_clear(&s_after);
	ping_summary_clear(&s_guest);
	sshc_job_free(job);
	g_array_free(changes, TRUE);
	g_array_free(marks, TRUE);
	g_free(refusal);
}

/*
 * Measured under TCG (quick): the sweep (5 sizes x count pings 0.1 s
 * apart), the refusal, the guest's count pings 0.2 s apart, the flood, the
 * MTU changes (e1000 takes seconds for each under TCG, and the toggling may
 * run a change or two past the flood), the clock samples and link waits.
 * About 3x that.
 */
static int jumbo_deadline(const struct profile *p)
{
	int count = prof_int(p, &param_after_count);
	int flood = prof_int(p, &param_flood_seconds);

	return 3 * ((SWEEP_MAX + 1) * (count / 10 + 3) + (count / 5 + 4) +
		    flood + 40);
}

static const struct param *const jumbo_params[] = {
	&param_after_count, &param_flood_seconds, NULL,
};

/*
 * The NIC under test on the jumbo segment, and a management NIC for SSH:
 * an MTU change resets e1000's link, so a control channel over the NIC
 * under test stalls while the guest toggles (and the case must talk to the
 * guest then: to stop the loop, to read its clock).
 */
static const struct topology jumbo_topo = {
	.n_segments = 2,
	.segment_mtu = { SEGMENT_MTU, 0 },
	.n_guests = 1,
	.guests = { { .n_nics = 2, .nics = {
		{ MODEL_OF_CELL, 0 },
		{ MODEL_MGMT, 1 },
	} } },
};

const struct case_desc case_jumbo = {
	.name = "jumbo",
	.summary = "MTU 9000 on every hop (rtl8139 must refuse it); DF pings "
		   "up to the largest MTU both ways arrive whole, one byte "
		   "more is refused; MTU toggling overlapping a flood",
	.plan_case = 3,
	.plan = "jumbo frames",
	.capture_snaplen = 128,
	.topo = &jumbo_topo,
	.params = jumbo_params,
	.deadline_s = jumbo_deadline,
	.controls = {
		/* the clamp drops every datagram over 1600 bytes toward the
		 * guest before the capture: the larger sizes go unanswered,
		 * the host's replies to the guest's pings too, and the flood
		 * never reaches the wire, so nothing can overlap it */
		{ "drop-over=1600", "virtio",
		  "df ping size *: echo replies on the wire" },
		{ "drop-over=1600", "virtio",
		  "guest df ping size *: echo replies on the wire" },
		{ "drop-over=1600", "virtio",
		  "flood while toggling: echo requests on the wire, all that "
		  "ping sent" },
		{ "drop-over=1600", "virtio",
		  "flood while toggling: MTU changes * while the flood was on "
		  "the wire*" },
		{ "corrupt-icmp", "virtio",
		  "df ping size *: echo replies with a payload other than the "
		  "request's" },
		{ "corrupt-icmp", "virtio",
		  "flood while toggling: echo replies with a payload other "
		  "than the request's" },
	},
	.run = jumbo_run,
};
