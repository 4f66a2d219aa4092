/*
 * ping.c - Fedora vhost-net plan case 2: ping the guest.
 *
 * The host pings the guest at every size x interval of the profile (the
 * plan: sizes 0..65507, intervals 0.1..0.0001 s); every step must lose
 * nothing.  Size 65508 cannot exist as an IPv4 echo (65508 + 8 + 20 bytes
 * overflows the 16-bit total length), so ping refuses it and nothing may
 * come back: 100% loss.  Then a flood ping for the profile's duration, and a
 * short ping after it that must lose nothing.
 *
 * The capture decides.  Each step uses its own ICMP identifier (ping -e),
 * and the echo analyzer counts, per identifier, the complete requests and
 * replies on the guest's tap (fragments reassembled by bookkeeping).  A
 * step passes when the tap carried a complete reply for every request ping
 * sent.  ping's own summary is recorded next to it; if ping saw more replies
 * than the tap carried, the capture is not trustworthy and the case fails.
 */
#include "case.h"
#include "echo.h"
#include "util.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct step {
	int size;
	double interval;	/* 0: flood */
	int count;		/* requests asked for; 0: flood (by time) */
	uint16_t ident;
	int ping_status;
	int ping_sent, ping_recv;	/* from ping's summary; -1 unknown */
	bool expect_loss;	/* oversize: every request must go unanswered */
	const char *label;
};

static void parse_summary(const char *out, int *sent, int *recv)
{
	const char *p = strstr(out, " packets transmitted, ");

	*sent = *recv = -1;
	if (!p)
		return;
	while (p > out && g_ascii_isdigit(p[-1]))
		p--;
	if (sscanf(p, "%d packets transmitted, %d", sent, recv) != 2)
		*sent = *recv = -1;
}

static int run_ping(struct case_ctx *ctx, struct step *s)
{
	char ident[8], size[8], count[16], interval[16], deadline[16];
	struct proc_result r;
	int wait_s;
	char *argv[20];
	int a = 0;

	snprintf(ident, sizeof(ident), "%u", s->ident);
	snprintf(size, sizeof(size), "%d", s->size);
	if (s->count) {
		wait_s = (int)ceil(s->count * s->interval) + 5;
		snprintf(count, sizeof(count), "%d", s->count);
		g_ascii_formatd(interval, sizeof(interval), "%.4f", s->interval);
	} else {
		wait_s = ctx->prof->flood_seconds;
	}
	snprintf(deadline, sizeof(deadline), "%d", wait_s);
	argv[a++] = "ping";
	argv[a++] = "-n";
	argv[a++] = "-q";
	argv[a++] = "-e";
	argv[a++] = ident;
	argv[a++] = "-s";
	argv[a++] = size;
	if (s->count) {
		argv[a++] = "-c";
		argv[a++] = count;
		argv[a++] = "-i";
		argv[a++] = interval;
		argv[a++] = "-W";
		argv[a++] = "3";
	} else {
		argv[a++] = "-f";
		argv[a++] = "-w";
		argv[a++] = deadline;
	}
	argv[a++] = ctx->nic->ip;
	argv[a] = NULL;
	if (case_host_run(ctx, argv, (wait_s + 15) * 1000, &r) < 0) {
		case_fail(ctx, "cannot run ping");
		return -1;
	}
	s->ping_status = r.status;
	parse_summary(r.out, &s->ping_sent, &s->ping_recv);
	proc_result_clear(&r);
	return 0;
}

static char *fmt_interval(double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	return g_strdup(g_ascii_formatd(buf, sizeof(buf), "%g", v));
}

/* Judge one step against the capture; returns true when it passed. */
/* The first few failing steps are named in the verdict; the YAML has all. */
#define FAIL_STEP(ctx, ...) \
	do { \
		if (*n_failed < 5) \
			case_fail(ctx, __VA_ARGS__); \
	} while (0)

static bool judge(struct case_ctx *ctx, const struct echo_report *rep,
		  const struct step *s, int *lost_total, int *n_failed)
{
	const struct echo_flow *f = echo_report_flow(rep, s->ident);
	unsigned req = f ? f->requests : 0, rep_n = f ? f->replies : 0;
	unsigned inc = f ? f->req_incomplete + f->rep_incomplete : 0;
	int sent = s->ping_sent >= 0 ? s->ping_sent : s->count;
	char *iv = fmt_interval(s->interval);
	int lost = sent - (int)rep_n;
	double loss = sent > 0 ? 100.0 * lost / sent : 100.0;
	bool ok = true;

	/* one line per step keeps 50 steps readable in the YAML */
	diag_str(ctx->diag, NULL, "%s size %d%s%s: ping %d sent %d received; "
		 "wire %u requests %u replies%s%s; loss %.4g%%", s->label,
		 s->size, s->count ? " interval " : "", s->count ? iv : "",
		 s->ping_sent, s->ping_recv, req, rep_n,
		 f && (f->req_fragmented || f->rep_fragmented) ?
		 ", fragmented" : "", inc ? ", incomplete datagrams" : "",
		 sent > 0 ? loss : 100.0);

	if (s->expect_loss) {
		if (rep_n != 0 || req != 0) {
			FAIL_STEP(ctx, "size %d: expected 100%% loss, the tap "
				  "carried %u requests and %u replies", s->size,
				  req, rep_n);
			ok = false;
		}
	} else if (s->count == 0) {
		/* flood: a measurement; the short ping after it judges */
	} else if (sent <= 0 || lost != 0) {
		FAIL_STEP(ctx, "size %d interval %s: %d of %d lost on the "
			  "guest's wire (%u requests and %u complete replies "
			  "captured)", s->size, iv, lost, sent, req, rep_n);
		ok = false;
		*lost_total += lost > 0 ? lost : 0;
	}
	if (s->ping_recv > (int)rep_n && !s->expect_loss) {
		FAIL_STEP(ctx, "size %d: ping got %d replies but the tap "
			  "carried %u: the capture missed frames", s->size,
			  s->ping_recv, rep_n);
		ok = false;
	}
	if (!ok)
		(*n_failed)++;
	g_free(iv);
	return ok;
}

static enum verdict ping_case(struct case_ctx *ctx)
{
	const struct profile *p = ctx->prof;
	int n_steps = p->n_ping_sizes * p->n_ping_intervals + 4, n = 0, i, j;
	struct step *steps = g_new0(struct step, n_steps);
	uint16_t base = (uint16_t)g_random_int_range(1, 0xffff - n_steps);
	struct echo_report *rep = NULL;
	char err[ERRLEN];
	int failed = 0, lost = 0;

	/* warm-up: resolves ARP; recorded, not judged */
	steps[n] = (struct step){ .size = 56, .interval = 0.2, .count = 2,
				  .ident = base + n, .label = "warm-up" };
	n++;
	for (i = 0; i < p->n_ping_sizes; i++) {
		for (j = 0; j < p->n_ping_intervals; j++) {
			steps[n] = (struct step){
				.size = p->ping_sizes[i],
				.interval = p->ping_intervals[j],
				.count = p->ping_count,
				.ident = base + n,
				.label = "ping",
			};
			n++;
		}
	}
	steps[n] = (struct step){ .size = p->ping_oversize, .interval = 0.1,
				  .count = 1, .ident = base + n,
				  .expect_loss = true, .label = "oversize" };
	n++;
	steps[n] = (struct step){ .size = 56, .count = 0, .ident = base + n,
				  .label = "flood" };
	n++;
	steps[n] = (struct step){ .size = 56, .interval = 0.2,
				  .count = p->after_count, .ident = base + n,
				  .label = "after flood" };
	n++;

	for (i = 0; i < n && !interrupted(); i++)
		if (run_ping(ctx, &steps[i]) < 0)
			break;
	case_captures_stop(ctx);
	if (interrupted())
		goto out;
	if (echo_analyze(ctx->nic->pcap, ctx->nic->host_ip, ctx->nic->ip, &rep,
			 err) < 0) {
		case_fail(ctx, "%s", err);
		goto out;
	}
	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "loss", "0%% at every size x interval, and after "
		 "the flood");
	diag_str(ctx->diag, "oversize", "size %d: 100%% loss (no request or "
		 "reply on the wire)", p->ping_oversize);
	diag_str(ctx->diag, "judged_from", "the capture on %s (complete "
		 "echo replies per ICMP identifier)", ctx->nic->tap);
	diag_end(ctx->diag);
	diag_map(ctx->diag, "measured");
	diag_int(ctx->diag, "frames", rep->frames);
	diag_int(ctx->diag, "steps", n);
	diag_list(ctx->diag, "per_step");
	for (i = 0; i < n; i++) {
		if (i == 0)	/* warm-up */
			continue;
		judge(ctx, rep, &steps[i], &lost, &failed);
	}
	diag_end(ctx->diag);
	if (failed > 5)
		case_fail(ctx, "and %d more failing steps", failed - 5);
	diag_int(ctx->diag, "failed_steps", failed);
	diag_int(ctx->diag, "lost_replies", lost);
	diag_end(ctx->diag);
out:
	echo_report_free(rep);
	g_free(steps);
	return ctx->why->len ? V_FAIL : V_PASS;
}

const struct case_desc case_ping = {
	.name = "ping",
	.summary = "host pings the guest at every size x interval, "
		   "oversize, flood; judged from the tap capture",
	.plan = "Fedora vhost-net test plan, case 2 (ping)",
	.capture_snaplen = 256,
	.run = ping_case,
};
