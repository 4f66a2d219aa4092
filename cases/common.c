/* common.c - what several cases share: the management topology, shared
 * parameters, host pings and how they are judged. */
#include "case.h"
#include "flow.h"
#include "echo.h"
#include "ledger.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const struct topology topo_with_mgmt = {
	.n_segments = 2,
	.n_guests = 1,
	.guests = { { .n_nics = 2, .nics = {
		{ MODEL_OF_CELL, 0, 0, false },
		{ MODEL_MGMT, 1, 0, false },
	} } },
};

const struct param param_after_count = {
	"after_count", PARAM_INT, "10", "100", 1, 100000,
	"echo requests of the short ping that follows a stress (each must "
	"be answered)",
};

const struct param param_flood_seconds = {
	"flood_seconds", PARAM_INT, "3", "600", 1, 86400,
	"seconds of each flood ping",
};

/* The count at s, or -1 when there is none or it does not fit an int. */
static int count_at(const char *s)
{
	char *end;
	gint64 v;

	errno = 0;
	v = g_ascii_strtoll(s, &end, 10);
	if (end == s || errno || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

long long ping_parse_time_ms(const char *out)
{
	const char *p = out ? strstr(out, " packets transmitted, ") : NULL;
	const char *eol, *t;
	long long v = 0;
	int n = 0;

	if (!p)
		return -1;
	eol = strchr(p, '\n');
	t = g_strstr_len(p, eol ? eol - p : -1, ", time ");
	if (!t)
		return -1;
	for (t += strlen(", time "); g_ascii_isdigit(*t) && n < 12; t++, n++)
		v = v * 10 + (*t - '0');
	return n && n < 12 && !strncmp(t, "ms", 2) ? v : -1;
}

void ping_parse_summary(const char *out, int *sent, int *received,
			int *errors)
{
	const char *p = out ? strstr(out, " packets transmitted, ") : NULL;
	const char *q, *e;

	*sent = *received = -1;
	*errors = 0;
	if (!p)
		return;
	q = p;
	while (q > out && g_ascii_isdigit(q[-1]))
		q--;
	if (q == p)
		return;
	p += strlen(" packets transmitted, ");
	if (!g_ascii_isdigit(*p) || count_at(q) < 0 || count_at(p) < 0)
		return;
	*sent = count_at(q);
	*received = count_at(p);
	e = strstr(p, " errors");
	if (e) {
		const char *d = e;

		while (d > p && g_ascii_isdigit(d[-1]))
			d--;
		if (d < e && d > p && d[-1] == '+')
			*errors = count_at(d) < 0 ? INT_MAX : count_at(d);
	}
}

int ping_parse_pipe(const char *out)
{
	const char *p;
	int n;

	if (!out || !strstr(out, " packets transmitted, "))
		return -1;
	if ((p = strstr(out, ", pipe ")))
		p += strlen(", pipe ");
	else if ((p = strstr(out, "\npipe ")))	/* nothing answered */
		p += strlen("\npipe ");
	else
		return 1;
	n = g_ascii_isdigit(*p) ? count_at(p) : -1;
	return n >= 1 ? n : 1;
}

int case_host_ping(struct case_ctx *ctx, const struct ping_spec *spec,
	      struct ping_summary *out)
{
	GStrvBuilder *b = g_strv_builder_new();
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	struct proc_result r;
	GStrv argv;
	int wait_s, rc;

	memset(out, 0, sizeof(*out));
	out->status = out->sent = out->received = -1;
	out->ident = spec->ident ? spec->ident : case_ident(ctx, 1);
	/*
	 * The flood's ping reads its replies at a real-time priority
	 * (SCHED_FIFO 10, as nicq's receiving iperf3 does; ping -f is paced
	 * by the replies, never a busy loop): at a normal one, beside four
	 * control runs on 2 cores, it once left 85 replies that had crossed
	 * the tap unread in its socket when its deadline ended it (CI-like
	 * run ci-25: the ledger's "host kernel" loss, README's one-case run)
	 */
	if (spec->count <= 0)
		g_strv_builder_add_many(b, "chrt", "-f", "10", NULL);
	g_strv_builder_add_many(b, "ping", "-n", NULL);
	if (!spec->verbose)
		g_strv_builder_add(b, "-q");
	argv_addf(b, "-e%u", out->ident);
	argv_addf(b, "-s%d", spec->size);
	if (spec->df)
		g_strv_builder_add_many(b, "-M", "do", NULL);
	if (spec->count > 0) {
		double iv = spec->interval > 0 ? spec->interval : 0.1;

		argv_addf(b, "-c%d", spec->count);
		g_strv_builder_add_many(b, "-i",
			g_ascii_formatd(buf, sizeof(buf), "%.4f", iv), NULL);
		argv_addf(b, "-W%d", spec->reply_wait_s > 0 ?
			  spec->reply_wait_s : 2);
		wait_s = (int)ceil(spec->count * iv) + (spec->reply_wait_s > 0 ?
						       spec->reply_wait_s : 2);
	} else {
		g_strv_builder_add(b, "-f");
		argv_addf(b, "-w%d", spec->flood_s);
		wait_s = spec->flood_s;
	}
	g_strv_builder_add(b, spec->dst);
	argv = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	rc = case_host_run(ctx, argv, (wait_s + 15) * 1000, &r);
	g_strfreev(argv);
	if (rc < 0)
		return -1;
	out->end_us = g_get_real_time();
	out->status = r.status;
	ping_parse_summary(r.out, &out->sent, &out->received, &out->errors);
	out->pipe = ping_parse_pipe(r.out);
	out->time_ms = ping_parse_time_ms(r.out);
	out->out = g_strconcat(r.out ? r.out : "", r.errout ? r.errout : "",
			       NULL);
	out->evidence = g_strdup(case_last_cmd(ctx));
	proc_result_clear(&r);
	return 0;
}

void ping_summary_clear(struct ping_summary *s)
{
	g_free(s->evidence);
	g_free(s->out);
	memset(s, 0, sizeof(*s));
}

/*
 * A NIC that gives no answer: where did the pings go?  When the guest is
 * reached over another NIC (its management NIC), its counters and the
 * tap's are read around three more pings and recorded as observations
 * (the expectation has already failed): what the tap sent toward the guest
 * (the host's ARP requests count: an unanswered neighbour never lets an
 * echo request out), what the NIC received, its drop counters (a NIC with
 * no free receive buffer counts rx_missed_errors), and what it sent.
 */
static void answer_diagnose(struct case_ctx *ctx,
			    const struct nic_under_test *nic)
{
	char *argv[] = { "ping", "-n", "-q", "-c", "3", "-i", "0.3", "-W",
			 "1", (char *)nic->ip, NULL };
	struct ledger_snap g0, h0, g1, h1;
	struct proc_result r;
	const char *ev, *where;
	char *saved;
	long long tap_tx, tap_rx, rx, tx, missed, dropped, other;
	struct nic_under_test *self = &ctx->nics[nic - ctx->nics];
	const char *phase = case_phase_now(ctx);
	bool other_nic = false;

	/* once a phase: a wait and the ping judged after it see one outage */
	if (self->diagnosed_in && phase && !strcmp(self->diagnosed_in, phase))
		return;
	g_free(self->diagnosed_in);
	self->diagnosed_in = g_strdup(phase);

	for (int i = 0; i < ctx->n_nics; i++)
		other_nic |= ctx->nics[i].guest == nic->guest &&
			     &ctx->nics[i] != nic && !ctx->nics[i].no_addr &&
			     ctx->nics[i].mgmt;
	if (!other_nic || interrupted() ||
	    case_ledger_snap(ctx, nic, false, &g0, &h0) < 0)
		return;
	if (case_host_run(ctx, argv, 10000, &r) == 0)
		proc_result_clear(&r);
	if (case_ledger_snap(ctx, nic, false, &g1, &h1) < 0)
		return;
	ev = case_last_cmd(ctx);
	tap_tx = ledger_delta(h0.tx_packets, h1.tx_packets, h0.have_link &&
			      h1.have_link);
	tap_rx = ledger_delta(h0.rx_packets, h1.rx_packets, h0.have_link &&
			      h1.have_link);
	rx = ledger_delta(g0.rx_packets, g1.rx_packets, g0.have_link &&
			  g1.have_link);
	tx = ledger_delta(g0.tx_packets, g1.tx_packets, g0.have_link &&
			  g1.have_link);
	missed = ledger_delta(g0.rx_missed, g1.rx_missed, g0.have_link &&
			      g1.have_link);
	dropped = ledger_delta(g0.rx_dropped, g1.rx_dropped, g0.have_link &&
			       g1.have_link);
	other = ledger_delta(g0.rx_fifo + g0.rx_over + g0.rx_crc +
			     g0.rx_frame + g0.rx_length, g1.rx_fifo +
			     g1.rx_over + g1.rx_crc + g1.rx_frame +
			     g1.rx_length, g0.have_link && g1.have_link);
	saved = g_strdup(ctx->scope);
	case_scope(ctx, "%s%sno answer", saved ? saved : "",
		   saved ? ": " : "");
	observe_int(ctx, "frames the host's tap sent toward the guest "
		    "(3 more pings, ARP included)", tap_tx, NULL);
	observe_int(ctx, "frames the guest's NIC received (rx_packets)", rx,
		    NULL);
	observe_int(ctx, "the guest's rx_missed_errors (no receive buffer)",
		    missed, NULL);
	observe_int(ctx, "the guest's rx_dropped", dropped, NULL);
	observe_int(ctx, "the guest's other rx errors (fifo, over, crc, "
		    "frame, length)", other, NULL);
	observe_int(ctx, "frames the guest's NIC sent (tx_packets)", tx,
		    NULL);
	observe_int(ctx, "frames the host's tap received from the guest",
		    tap_rx, NULL);
	if (tap_tx <= 0)
		where = "the host: nothing went toward the guest";
	else if (rx == 0 && missed > 0)
		where = "device/driver: the NIC found no receive buffer for "
			"what came (rx_missed_errors) and received nothing";
	else if (rx == 0 && dropped + other > 0)
		where = "device/driver: the NIC dropped what came and "
			"received nothing";
	else if (rx == 0)
		where = "device/driver: the NIC received nothing of what the "
			"tap sent and no counter says why (silent)";
	else if (tx == 0)
		where = "guest kernel or device/driver: the NIC received "
			"frames and sent nothing back (tx_packets did not grow)";
	else if (tap_rx == 0)
		where = "device: the guest's NIC counted frames sent that "
			"never reached the tap";
	else
		where = "guest kernel or beyond: the NIC received frames, no "
			"answer came back";
	observe(ctx, "where the pings went", VAL_S(where), NULL, ev);
	if (saved)
		case_scope(ctx, "%s", saved);
	else
		case_scope(ctx, NULL);
	g_free(saved);
}

int case_ping_until(struct case_ctx *ctx, const char *ip, int timeout_s,
		    double *after_s)
{
	char *argv[] = { "ping", "-n", "-q", "-c", "1", "-W", "1",
			 (char *)ip, NULL };
	gint64 start = g_get_monotonic_time();
	gint64 end = start + (gint64)timeout_s * 1000000;
	struct proc_result r;
	int st = -1;

	while (!interrupted()) {
		st = -1;
		if (case_host_run(ctx, argv, 5000, &r) == 0) {
			st = r.status;
			proc_result_clear(&r);
		}
		if (st == 0 || g_get_monotonic_time() > end)
			break;
		g_usleep(500000);
	}
	*after_s = (g_get_monotonic_time() - start) / 1e6;
	return st == 0 ? 0 : -1;
}

bool case_ingress_drop_start(struct case_ctx *ctx,
			     const struct nic_under_test *nic,
			     const char *match, int every, const char *what)
{
	char *ifq = shq(nic->ifname);
	char *cmd = g_strdup_printf("tc qdisc add dev %s ingress && tc filter "
				    "add dev %s parent ffff: protocol ip prio "
				    "1 u32 %s action gact pass random determ "
				    "drop %d", ifq, ifq, match, every);
	struct proc_result r;
	bool ok = false;

	observe_str(ctx, "fault", "%s", what);
	if (case_guest_run_on(ctx, nic->guest, cmd, 15000, &r) < 0) {
		/* error recorded */
	} else if (r.status != 0) {
		case_error(ctx, "cannot set the fault's tc filter up (%s)",
			   case_last_cmd(ctx));
	} else {
		ok = true;
	}
	proc_result_clear(&r);
	g_free(cmd);
	g_free(ifq);
	return ok;
}

void case_ingress_drop_stop(struct case_ctx *ctx,
			    const struct nic_under_test *nic, const char *what)
{
	char *ifq = shq(nic->ifname);
	char *cmd = g_strdup_printf("tc -s filter show dev %s parent ffff:; "
				    "tc qdisc del dev %s ingress", ifq, ifq);
	struct proc_result r;

	if (case_guest_run_on(ctx, nic->guest, cmd, 15000, &r) == 0) {
		const char *d = r.out ? strstr(r.out, "dropped ") : NULL;

		if (r.status != 0)
			case_error(ctx, "cannot remove the fault's tc filter "
				   "(%s)", case_last_cmd(ctx));
		else if (d)
			observe_int(ctx, what, g_ascii_strtoll(d + 8, NULL, 10),
				    "packets");
	}
	proc_result_clear(&r);
	g_free(cmd);
	g_free(ifq);
}

bool case_wait_answer(struct case_ctx *ctx, const struct nic_under_test *nic,
		      int timeout_s)
{
	double after;
	int rc = case_ping_until(ctx, nic->ip, timeout_s, &after);

	if (!expect_true(ctx, case_fmt(ctx, "%s NIC %d answers a ping "
				       "within %d s", model_name(nic->model),
				       (int)(nic - ctx->nics), timeout_s),
			 rc == 0, "an echo reply",
			 rc == 0 ? case_fmt(ctx, "answered after %.1f s",
					    after) : "no reply",
			 case_fmt(ctx, "%s (%s)", case_last_cmd(ctx),
				  nic->ip))) {
		answer_diagnose(ctx, nic);
		return false;
	}
	return true;
}

bool case_wait_link(struct case_ctx *ctx, const struct nic_under_test *nic,
		    int timeout_s, const char *when)
{
	char *dir = g_strdup_printf("/sys/class/net/%s", nic->ifname);
	char *q = shq(dir);
	char *cmd = g_strdup_printf(
		"i=0; while :; do c=; o=; read c < %s/carrier 2>/dev/null; "
		"read o < %s/operstate 2>/dev/null; "
		"[ \"$c\" = 1 ] && [ \"$o\" = up ] && break; "
		"[ $i -ge %d ] && break; usleep 100000; i=$((i + 1)); done; "
		"echo carrier=$c operstate=$o polls=$i", q, q, timeout_s * 10);
	struct proc_result r;
	char *carrier = NULL, *oper = NULL;
	long long polls = -1;
	bool up = false;

	if (case_guest_run_on(ctx, nic->guest, cmd, (timeout_s + 20) * 1000,
			      &r) == 0 && r.status == 0) {
		carrier = kv_get(r.out, "carrier=");
		oper = kv_get(r.out, "operstate=");
		if (kv_get_int(r.out, "polls=", 0, 1 << 20, &polls) < 0)
			polls = -1;
		up = carrier && oper && !strcmp(carrier, "1") &&
		     !strcmp(oper, "up");
	}
	proc_result_clear(&r);
	expect_true(ctx, case_fmt(ctx, "link up (carrier 1, operstate up) "
				  "%s, within %d s", when, timeout_s), up,
		    "carrier=1 operstate=up",
		    case_fmt(ctx, "carrier=%s operstate=%s after %.1f s",
			     carrier && *carrier ? carrier : "?",
			     oper && *oper ? oper : "?",
			     polls >= 0 ? polls / 10.0 : -1.0),
		    case_last_cmd(ctx));
	g_free(carrier);
	g_free(oper);
	g_free(cmd);
	g_free(q);
	g_free(dir);
	return up;
}

unsigned case_ping_judge(struct case_ctx *ctx,
			 const struct nic_under_test *nic, uint16_t ident,
			 int count, const char *label)
{
	struct echo_report *rep = NULL;
	const struct echo_flow *f;
	char err[ERRLEN];
	unsigned req, rep_n;
	const char *ev;

	if (echo_analyze(nic->pcap, nic->host_ip, nic->ip, &rep, err) < 0) {
		case_error(ctx, "%s: %s", label, err);
		return 0;
	}
	f = echo_report_flow(rep, ident);
	req = f ? f->requests : 0;
	rep_n = f ? f->replies : 0;
	echo_report_free(rep);
	ev = case_fmt(ctx, "%s (ICMP id %u)", case_rel(ctx, nic->pcap), ident);
	/* names stay the same from run to run; the tap is in the evidence */
	expect_eq(ctx, case_fmt(ctx, "%s: echo requests on the tap", label),
		  count, req, ev);
	expect_eq(ctx, case_fmt(ctx, "%s: echo replies on the tap", label),
		  count, rep_n, ev);
	/*
	 * Nothing came back: where the pings went, under "<label>: no
	 * answer" (seen once in stress's ping after: a virtio guest whose
	 * NIC went silent in a UDP stream under TCG)
	 */
	if (count > 0 && rep_n == 0 && !interrupted()) {
		char *saved = g_strdup(ctx->scope);

		case_scope(ctx, "%s%s%s", saved ? saved : "",
			   saved ? ": " : "", label);
		answer_diagnose(ctx, nic);
		if (saved)
			case_scope(ctx, "%s", saved);
		else
			case_scope(ctx, NULL);
		g_free(saved);
	}
	return rep_n;
}

unsigned case_ping_judged(struct case_ctx *ctx,
			  const struct nic_under_test *nic, int count,
			  int size, const char *label)
{
	struct ping_spec ps = { .dst = nic->ip, .count = count, .size = size };
	struct ping_summary sum;
	unsigned replies;

	if (case_host_ping(ctx, &ps, &sum) < 0)
		return 0;
	case_captures_stop(ctx);
	replies = case_ping_judge(ctx, nic, sum.ident, count, label);
	ping_summary_clear(&sum);
	return replies;
}

int case_ledger_snap(struct case_ctx *ctx, const struct nic_under_test *nic,
		     bool settle, struct ledger_snap *g, struct ledger_snap *h)
{
	char *ifq = shq(nic->ifname), *tapq = shq(nic->tap);
	char *gcmd = ledger_snap_cmd(ifq, true, settle);
	char *hcmd = ledger_snap_cmd(tapq, false, settle);
	char *argv[] = { "sh", "-c", hcmd, NULL };
	struct proc_result r;
	char err[ERRLEN];
	int rc = -1;

	if (case_guest_run_on(ctx, nic->guest, gcmd, 15000, &r) == 0) {
		if (r.status != 0)
			case_error(ctx, "cannot read the guest's counters: "
				   "exit %d (%s)", r.status,
				   case_last_cmd(ctx));
		else if (ledger_snap_parse(r.out, strlen(r.out), g, err) < 0)
			case_error(ctx, "the guest's counters: %s (%s)", err,
				   case_last_cmd(ctx));
		else
			rc = 0;
	}
	proc_result_clear(&r);
	if (rc < 0)
		goto out;
	rc = -1;
	if (case_host_run(ctx, argv, 10000, &r) == 0) {
		if (r.status != 0)
			case_error(ctx, "cannot read the host's counters: exit "
				   "%d (%s)", r.status, case_last_cmd(ctx));
		else if (ledger_snap_parse(r.out, strlen(r.out), h, err) < 0)
			case_error(ctx, "the host's counters: %s (%s)", err,
				   case_last_cmd(ctx));
		else
			rc = 0;
	}
	proc_result_clear(&r);
out:
	g_free(ifq);
	g_free(tapq);
	g_free(gcmd);
	g_free(hcmd);
	return rc;
}

/*
 * Record a settled ledger: its entries (counts always; drop counters when
 * they moved or could not be read, or all of them with full), where loss
 * began, and per gap between two counts the judged expectation that no
 * loss was silent.  Silent loss between two counts on the host's side is
 * the host's: named so, never blamed on the NIC, and still a failure.
 */
void case_ledger_record(struct case_ctx *ctx, const struct ledger *l,
			const struct ledger_sum *s, bool full,
			const char *ev)
{
	bool host_drops = false;

	for (int i = 0; i < l->n; i++) {
		const struct ledger_entry *e = &l->e[i];

		if (e->kind == LEDGER_DROP && e->host &&
		    !strcmp(e->layer, "host"))
			host_drops = true;
		if (e->kind == LEDGER_DROP && !full && e->v == 0)
			continue;
		observe(ctx, case_fmt(ctx, "ledger %s: %s%s", e->layer,
				      e->name, e->kind == LEDGER_DROP ?
				      " (dropped)" : ""),
			e->v == LEDGER_UNKNOWN ? VAL_NONE_ : VAL_I(e->v), NULL,
			ev);
	}
	if (host_drops)
		expect_cmp(ctx, "loss in the host, counted by its own drop "
			   "counters (not the NIC's; the stream did not test "
			   "what it claims)", CMP_EQ, 0, s->host_counted, ev);
	observe(ctx, "ledger: where loss began", VAL_S(s->began[0] ?
		s->began : "nothing lost, no drop counter moved"), NULL, ev);
	for (int i = 0; i < s->n_gaps; i++) {
		const struct ledger_gap *g = &s->gaps[i];
		long long slack = l->e[g->to].slack >= 0 ? l->e[g->to].slack :
				  l->slack;

		expect_cmp(ctx, case_fmt(ctx, "%s %s", g->host ?
					 "silent loss in the host" :
					 "silent loss", g->where),
			   CMP_EQ, 0, g->silent,
			   case_fmt(ctx, "%s; lost %lld, drop counters %lld, "
				    "%d counter%s unread, allowed in flight "
				    "%lld", ev, g->lost, g->counted,
				    g->unknown, g->unknown == 1 ? "" : "s",
				    slack));
	}
}

int case_tcp_ledger(struct case_ctx *ctx, const struct nic_under_test *nic,
		    const char *src, const char *dst, int port,
		    long long wrote, long long extra, long long read,
		    bool complete, const char *ev)
{
	struct tcp_progress t;
	char err[ERRLEN];

	expect_cmp(ctx, "bytes the receiver read (a run that moved none "
		   "fails)", CMP_GT, 0, read, ev);
	if (flow_tcp_progress(nic->pcap, src, dst, port, &t, err) < 0) {
		case_error(ctx, "%s", err);
		return -1;
	}
	observe(ctx, "ledger sender: bytes written", VAL_I(wrote), "bytes",
		ev);
	observe(ctx, "ledger tap: unique payload bytes (by sequence number)",
		VAL_I((long long)t.unique_bytes), "bytes", ev);
	observe(ctx, "ledger tap: payload bytes sent again (retransmitted)",
		VAL_I((long long)(t.data_bytes - t.unique_bytes)), "bytes",
		ev);
	observe(ctx, "ledger tap: data segments", VAL_I((long long)
		t.data_frames), NULL, ev);
	observe(ctx, "ledger receiver kernel: bytes acknowledged on the tap",
		VAL_I((long long)t.acked), "bytes", ev);
	observe(ctx, "ledger receiver: bytes read", VAL_I(read), "bytes", ev);
	observe(ctx, "written but never on the tap (the sender's socket at "
		"the end)", VAL_I(wrote + extra - (long long)t.unique_bytes),
		"bytes", ev);
	observe(ctx, "acknowledged but never read (the receiver's socket at "
		"the end)", VAL_I((long long)t.acked - read - extra), "bytes",
		ev);
	expect_cmp(ctx, extra ? case_fmt(ctx, "unique payload bytes on the "
		   "tap, at most what the sender wrote (and the %lld-byte "
		   "cookie its iperf3 client writes first)", extra) :
		   "unique payload bytes on the tap, at most what the sender "
		   "wrote", CMP_LE, wrote + extra, (long long)t.unique_bytes,
		   ev);
	expect_cmp(ctx, "bytes the receiver acknowledged on the tap, at most "
		   "the unique payload there (+1: its FIN)", CMP_LE,
		   (long long)t.unique_bytes + 1, (long long)t.acked, ev);
	expect_cmp(ctx, "bytes the receiver read, at most what it "
		   "acknowledged on the tap", CMP_LE, (long long)t.acked, read,
		   ev);
	if (complete)
		expect_eq(ctx, "unique payload bytes on the tap, exactly what "
			  "the receiver read (the stream ended: nothing "
			  "crossed the tap unread, nothing read that the tap "
			  "did not carry)", read + extra,
			  (long long)t.unique_bytes, ev);
	return 0;
}

int case_guest_clock(struct case_ctx *ctx, int gi, struct guest_clock *out)
{
	static const char cmd[] = "read u x < /proc/uptime; echo up=$u";
	bool have = false;

	for (int i = 0; i < 3 && !interrupted(); i++) {
		struct proc_result r;
		gint64 t0 = g_get_real_time(), t1;
		char *v = NULL, *end;
		double up;

		if (case_guest_run_on(ctx, gi, cmd, 10000, &r) < 0)
			return -1;
		t1 = g_get_real_time();
		if (r.status == 0)
			v = kv_get(r.out, "up=");
		proc_result_clear(&r);
		if (!v)
			continue;
		up = g_ascii_strtod(v, &end);
		if (end != v && !*end && up >= 0 && isfinite(up)) {
			struct guest_clock c = {
				(t0 + t1) / 2e6 - up, (t1 - t0) / 2e6 + 0.01,
			};

			if (!have || c.uncert < out->uncert)
				*out = c;
			have = true;
		}
		g_free(v);
	}
	if (!have) {
		case_error(ctx, "guest %d gave no uptime (%s)", gi,
			   case_last_cmd(ctx));
		return -1;
	}
	return 0;
}

struct guest_clock guest_clock_merge(const struct guest_clock *a,
				     const struct guest_clock *b)
{
	struct guest_clock c = {
		(a->offset + b->offset) / 2,
		MAX(a->uncert, b->uncert) + fabs(a->offset - b->offset) / 2,
	};

	return c;
}

size_t case_parse_times(const char *text, const char *key, GArray *out,
			size_t max)
{
	size_t klen = strlen(key), n = 0;
	const char *p = text;

	while (p && *p && n < max) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, key, klen)) {
			char buf[32], *end;
			size_t len = (nl ? (size_t)(nl - p) : strlen(p)) - klen;
			double v;

			if (len > 0 && len < sizeof(buf)) {
				memcpy(buf, p + klen, len);
				buf[len] = 0;
				v = g_ascii_strtod(buf, &end);
				if (end != buf && !*end && isfinite(v)) {
					g_array_append_val(out, v);
					n++;
				}
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

unsigned guest_times_within(const GArray *t, const struct guest_clock *c,
			    double w0, double w1)
{
	unsigned n = 0;

	for (guint i = 0; t && i < t->len; i++) {
		double h = g_array_index(t, double, i) + c->offset;

		if (h - c->uncert >= w0 && h + c->uncert <= w1)
			n++;
	}
	return n;
}
