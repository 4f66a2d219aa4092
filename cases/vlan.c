/*
 * vlan.c - Fedora vhost-net plan case 6: 802.1Q VLANs.
 *
 * Two guests of the cell's model share one segment.  Phase 1: guest A has
 * VLAN 10 (198.19.10.1), guest B VLAN 20 (198.19.10.2) - the same subnet,
 * so only the tags keep them apart: A's pings must all be lost, B must never
 * answer, and A's frames must carry VID 10.  Phase 2: B moves to VLAN 10
 * (198.19.11.2, A adds 198.19.11.1): A's pings must all come back.
 *
 * The captures on both taps decide: per VID, the ARP and echo frames of
 * each phase's address pair (harness/vlan.c).  Every test frame must be
 * tagged with its sender's VID on both taps (A's 10; B's 20, then 10), and
 * none may travel untagged.
 * The host kernel has no 8021q; it does not need it: the lab's bridge
 * forwards tagged frames as they are.
 *
 * "B never answers" must not hold because nothing reached B.  So phase 1
 * also proves that B saw A's tagged frames: B's tap carries every VID-10
 * ARP request A's tap carries (the bridge floods them), and a capture in
 * guest B (tcpdump -p on its NIC, fetched back) shows what its NIC did
 * with them:
 *   rtl8139: 8139cp has no VLAN filter, so every one reaches B's kernel,
 *            which drops it (no VLAN 10 there) and does not answer;
 *   e1000, virtio: the NIC's VLAN filter (e1000's VFTA, virtio's
 *            VIRTIO_NET_CTRL_VLAN table, both programmed by the driver
 *            when vl20 was added) drops VID 10 before the kernel: none.
 * A NIC that stopped filtering (the vlan-promisc control puts B's NIC in
 * promiscuous mode, which turns the filter off) fails the second.
 *
 * Adding a VLAN interface is judged, not taken for granted: with a NIC
 * that filters VLANs the driver programs the VID when the interface is
 * created.
 */
#include "case.h"
#include "util.h"
#include "vlan.h"

#include <glib.h>
#include <string.h>

#define VID_A 10
#define VID_B 20
#define P1_A "198.19.10.1"
#define P1_B "198.19.10.2"
#define P2_A "198.19.11.1"
#define P2_B "198.19.11.2"

static const char guest_name[] = { 'A', 'B' };

#define B_PCAP "/tmp/nicq-vlan-b.pcap"

/*
 * Run cmd in guest g and judge that it exited 0 ("<what>: exit status").
 * false when it failed or could not be run (error recorded).
 */
static bool guest_step(struct case_ctx *ctx, int g, const char *cmd,
		       const char *what)
{
	struct proc_result r;
	bool ok;

	if (case_guest_run_on(ctx, g, cmd, 30000, &r) < 0)
		return false;
	ok = expect_eq(ctx, case_fmt(ctx, "guest %c: %s: exit status",
				     guest_name[g], what), 0, r.status,
		       case_last_cmd(ctx));
	if (!ok && r.errout && *g_strstrip(r.errout))
		observe_str(ctx, case_fmt(ctx, "guest %c: %s: stderr",
					  guest_name[g], what), "%s",
			    r.errout);
	proc_result_clear(&r);
	return ok;
}

/* Add VLAN vid with addr/24 on guest g's NIC. */
static bool add_vlan(struct case_ctx *ctx, int g, int vid, const char *addr)
{
	char *ifq = shq(ctx->nics[g].ifname);
	char *cmd = g_strdup_printf(
		"ip link add link %s name vl%d type vlan id %d && "
		"ip addr add %s/24 dev vl%d && ip link set vl%d up",
		ifq, vid, vid, addr, vid, vid);
	bool ok = guest_step(ctx, g, cmd,
			     case_fmt(ctx, "add VLAN %d with %s", vid, addr));

	g_free(cmd);
	g_free(ifq);
	return ok;
}

/*
 * A pings addr: ping's own summary (requests sent, replies received) for
 * the caller to judge; -1 (error recorded) when ping could not run or
 * printed no summary.
 */
static int ping_from_a(struct case_ctx *ctx, const char *addr, int count,
		       int *sent, int *received, const char **ev)
{
	char *cmd = g_strdup_printf("ping -c %d -i 0.2 -W 1 %s", count, addr);
	struct proc_result r;
	int errors, rc;

	rc = case_guest_run_on(ctx, 0, cmd, 30000 + count * 1000, &r);
	if (rc == 0) {
		ping_parse_summary(r.out, sent, received, &errors);
		*ev = case_last_cmd(ctx);
		if (*sent < 0) {
			case_error(ctx, "guest A's ping printed no summary "
				   "(%s)", *ev);
			rc = -1;
		}
	}
	proc_result_clear(&r);
	g_free(cmd);
	return rc;
}

/*
 * Judge one tap's capture for one phase (the scope is the phase).  Every
 * test frame A sent tagged want_vid, every one B sent vid_b (its own
 * VLAN's: B announces or probes its address there, and a restored virtio
 * guest's announcement reached a VLAN device created after the restore in
 * CI-like run ci-37, a gratuitous ARP for B's address under VID 20 that
 * this took for a leak when it judged all the pair's frames by A's VID);
 * phase 2 (want_echo): count requests and count replies under want_vid;
 * phase 1: B never answers, and A's ARP requests show on A's tap.
 */
static void judge(struct case_ctx *ctx, int tap, const char *a,
		  const char *b, int want_vid, int vid_b, bool want_echo,
		  int count)
{
	const char *pcap = case_rel(ctx, ctx->nics[tap].pcap);
	char t = guest_name[tap];
	struct vlan_report *rep = NULL;
	const struct vlan_count *c;
	unsigned untagged = 0, other_a = 0, other_b = 0, replies = 0,
		 arp_replies = 0;
	char err[ERRLEN];
	size_t i;

	if (vlan_analyze(ctx->nics[tap].pcap, a, b, &rep, err) < 0) {
		case_error(ctx, "%s", err);
		return;
	}
	for (i = 0; i < rep->n; i++) {
		c = &rep->counts[i];
		const char *under = c->vid < 0 ? "untagged" :
				    case_fmt(ctx, "VID %d", c->vid);

		observe(ctx, case_fmt(ctx, "tap %c: test frames %s", t, under),
			VAL_S(case_fmt(ctx, "%u frames: ARP %u requests %u "
				       "replies, echo %u requests %u replies, "
				       "%u other", c->frames, c->arp_requests,
				       c->arp_replies, c->echo_requests,
				       c->echo_replies, c->other)),
			NULL, pcap);
		if (c->vid < 0) {
			untagged += c->frames;
		} else {
			if (c->vid != want_vid)
				other_a += c->frames - c->from_b;
			if (c->vid != vid_b)
				other_b += c->from_b;
		}
		replies += c->echo_replies;
		arp_replies += c->arp_replies;
	}
	expect_eq(ctx, case_fmt(ctx, "tap %c: untagged test frames", t), 0,
		  untagged, pcap);
	expect_eq(ctx, case_fmt(ctx, "tap %c: A's test frames tagged other "
				"than VID %d", t, want_vid), 0, other_a, pcap);
	expect_eq(ctx, case_fmt(ctx, "tap %c: B's test frames tagged other "
				"than VID %d", t, vid_b), 0, other_b, pcap);
	c = vlan_report_vid(rep, want_vid);
	if (want_echo) {
		expect_eq(ctx, case_fmt(ctx, "tap %c: echo requests tagged %d",
					t, want_vid), count,
			  c ? c->echo_requests : 0, pcap);
		expect_eq(ctx, case_fmt(ctx, "tap %c: echo replies tagged %d",
					t, want_vid), count,
			  c ? c->echo_replies : 0, pcap);
	} else {
		/* B must not answer across VLANs, under any tag */
		expect_eq(ctx, case_fmt(ctx, "tap %c: echo replies (any VID)",
					t), 0, replies, pcap);
		expect_eq(ctx, case_fmt(ctx, "tap %c: ARP replies (any VID)",
					t), 0, arp_replies, pcap);
		if (tap == 0)
			expect_cmp(ctx, case_fmt(ctx, "tap A: ARP requests "
						 "tagged %d", want_vid),
				   CMP_GE, 1, c ? c->arp_requests : 0, pcap);
	}
	vlan_report_free(rep);
}

/*
 * Start a capture in guest B on its NIC (SSH, the only untagged TCP, left
 * out) for A's ping of count requests, and wait for its file header.  NULL
 * when it could not (error recorded).
 */
static struct sshc_job *b_capture_start(struct case_ctx *ctx, int count)
{
	char *ifq = shq(ctx->nics[1].ifname), *cmd, err[ERRLEN];
	struct sshc_job *job = NULL;
	struct proc_result r;

	cmd = g_strdup_printf("rm -f " B_PCAP "; tcpdump -p -U "
			      "--immediate-mode -s 128 -i %s "
			      "-w " B_PCAP " not tcp port 22 2>/dev/null & "
			      "echo $! > /tmp/nicq-vlan-b.pid; wait", ifq);
	g_free(ifq);
	/* it lasts A's ping (ping_from_a's bound) and the fetch */
	if (sshc_start(ctx->guests[1].ssh, cmd, 60000 + count * 1000, &job,
		       err) < 0) {
		case_error(ctx, "cannot start guest B's capture: %s", err);
		g_free(cmd);
		return NULL;
	}
	g_free(cmd);
	if (case_guest_run_on(ctx, 1, "i=0; while [ $i -lt 200 ]; do "
			      "[ -s " B_PCAP " ] && exit 0; usleep 50000; "
			      "i=$((i + 1)); done; exit 1", 20000, &r) < 0) {
		sshc_job_free(job);
		return NULL;
	}
	if (r.status != 0) {
		case_error(ctx, "guest B's capture did not start within 10 s "
			   "(%s)", case_last_cmd(ctx));
		sshc_job_free(job);
		job = NULL;
	}
	proc_result_clear(&r);
	return job;
}

/*
 * After A's ping to an address nobody answers, A's kernel may still be
 * asking (an INCOMPLETE neighbour entry sends its probes a second apart
 * after ping has exited): wait, up to 10 s, until it gave up, so guest B's
 * capture is not stopped while A's requests still come.  false when it
 * could not be run (error recorded).
 */
static bool a_arp_settled(struct case_ctx *ctx, const char *addr, int vid)
{
	char *cmd = g_strdup_printf("i=0; while [ $i -lt 100 ]; do "
				    "ip neigh show to %s dev vl%d | grep -q "
				    "INCOMPLETE || exit 0; usleep 100000; "
				    "i=$((i + 1)); done; exit 1", addr, vid);
	struct proc_result r;
	int rc = case_guest_run_on(ctx, 0, cmd, 20000, &r);

	g_free(cmd);
	if (rc == 0 && r.status != 0)
		case_error(ctx, "guest A still resolved %s after 10 s (%s)",
			   addr, case_last_cmd(ctx));
	rc = rc == 0 && r.status == 0;
	proc_result_clear(&r);
	return rc;
}

/*
 * Stop guest B's capture and fetch it to the point's folder: its path
 * (g_free), or NULL (error recorded).
 */
static char *b_capture_fetch(struct case_ctx *ctx, struct sshc_job *job)
{
	char *path = NULL, err[ERRLEN];
	struct proc_result r;
	guchar *raw = NULL;
	gsize len = 0;

	if (case_guest_run_on(ctx, 1, "kill -INT $(cat /tmp/nicq-vlan-b.pid)",
			      10000, &r) < 0)
		return NULL;
	proc_result_clear(&r);
	if (sshc_job_wait(job, 15000, &r, err) < 0) {
		case_error(ctx, "guest B's capture: %s", err);
		return NULL;
	}
	proc_result_clear(&r);
	if (case_guest_run_on(ctx, 1, "base64 " B_PCAP, 30000, &r) < 0)
		return NULL;
	if (r.status == 0) {
		raw = g_base64_decode(r.out, &len);
		path = g_build_filename(ctx->dir, "guest-b-phase1.pcap", NULL);
		if (file_write(path, raw, len, err) < 0) {
			case_error(ctx, "%s", err);
			g_free(path);
			path = NULL;
		}
	} else {
		case_error(ctx, "cannot fetch guest B's capture (%s)",
			   case_last_cmd(ctx));
	}
	proc_result_clear(&r);
	g_free(raw);
	return path;
}

/* VID-10 ARP requests of phase 1's pair in a capture; -1 (error recorded). */
static long vid10_requests(struct case_ctx *ctx, const char *pcap)
{
	struct vlan_report *rep = NULL;
	const struct vlan_count *c;
	char err[ERRLEN];
	long n;

	if (vlan_analyze(pcap, P1_A, P1_B, &rep, err) < 0) {
		case_error(ctx, "%s", err);
		return -1;
	}
	c = vlan_report_vid(rep, VID_A);
	n = c ? (long)c->arp_requests : 0;
	vlan_report_free(rep);
	return n;
}

/*
 * Phase 1's proof that B saw A's frames: B's tap carries every VID-10 ARP
 * request A's tap does, and guest B's capture shows what its NIC did with
 * them (see the top of the file).
 */
static void judge_reached_b(struct case_ctx *ctx, const char *b_pcap)
{
	bool filters = ctx->nics[1].model != NIC_RTL8139;
	long on_a = vid10_requests(ctx, ctx->nics[0].pcap);
	long on_b = vid10_requests(ctx, ctx->nics[1].pcap);
	long in_b = b_pcap ? vid10_requests(ctx, b_pcap) : -1;

	if (on_a < 0 || on_b < 0)
		return;
	expect_eq(ctx, case_fmt(ctx, "tap B: A's ARP requests tagged %d (as "
				"many as on tap A)", VID_A), on_a, on_b,
		  case_fmt(ctx, "%s; %s", case_rel(ctx, ctx->nics[1].pcap),
			   case_rel(ctx, ctx->nics[0].pcap)));
	if (in_b < 0)
		return;
	observe_str(ctx, "guest B's NIC and VID 10", "%s", filters ?
		    "filters it: its VLAN filter holds only VID 20, so none "
		    "reaches the kernel" : "8139cp has no VLAN filter: all "
		    "reach the kernel, which drops them (no VLAN 10)");
	expect_eq(ctx, case_fmt(ctx, "guest B's capture: A's ARP requests "
				"tagged %d (%s)", VID_A, filters ? "none: the "
				"NIC filters VID 10" : "all: no VLAN filter in "
				"the NIC"), filters ? 0 : on_a, in_b,
		  case_fmt(ctx, "%s; %s", case_rel(ctx, b_pcap),
			   case_rel(ctx, ctx->nics[0].pcap)));
}

static void vlan_run(struct case_ctx *ctx)
{
	int count = case_param(ctx, &param_after_count);
	int sent1 = -1, got1 = -1, sent2 = -1, got2 = -1;
	const char *ev1 = NULL, *ev2 = NULL;
	struct sshc_job *b_job = NULL;
	char *b_pcap = NULL;

	case_phase(ctx, "phase 1");
	case_scope(ctx, "phase 1");
	if (!add_vlan(ctx, 0, VID_A, P1_A) || !add_vlan(ctx, 1, VID_B, P1_B))
		return;
	if (ctx->fault->vlan_promisc) {
		char *ifq = shq(ctx->nics[1].ifname);
		bool ok = guest_step(ctx, 1, case_fmt(ctx, "ip link set dev %s "
						      "promisc on", ifq),
				     "promiscuous mode (fault vlan-promisc)");

		g_free(ifq);
		if (!ok)
			return;
	}
	b_job = b_capture_start(ctx, count);
	if (!b_job)
		return;
	if (ping_from_a(ctx, P1_B, count, &sent1, &got1, &ev1) < 0 ||
	    !a_arp_settled(ctx, P1_B, VID_A))
		goto out;
	b_pcap = b_capture_fetch(ctx, b_job);
	if (!b_pcap)
		goto out;

	/* phase 2: B moves to VLAN 10 on a fresh subnet */
	case_phase(ctx, "phase 2");
	case_scope(ctx, "phase 2");
	if (!guest_step(ctx, 1, case_fmt(ctx, "ip link del vl%d", VID_B),
			case_fmt(ctx, "remove VLAN %d", VID_B)) ||
	    !add_vlan(ctx, 1, VID_A, P2_B) ||
	    !guest_step(ctx, 0, case_fmt(ctx, "ip addr add %s/24 dev vl%d",
					  P2_A, VID_A),
			case_fmt(ctx, "add %s to VLAN %d", P2_A, VID_A)))
		goto out;
	if (ping_from_a(ctx, P2_B, count, &sent2, &got2, &ev2) < 0)
		goto out;
	case_captures_stop(ctx);

	case_phase(ctx, "judge");
	case_scope(ctx, "phase 1");
	expect_eq(ctx, "A's ping to B: echo requests sent",
		  count, sent1, ev1);
	expect_eq(ctx, case_fmt(ctx, "A's ping to B across VLANs %d and %d: "
				"replies", VID_A, VID_B), 0, got1, ev1);
	judge(ctx, 0, P1_A, P1_B, VID_A, VID_B, false, count);
	judge(ctx, 1, P1_A, P1_B, VID_A, VID_B, false, count);
	judge_reached_b(ctx, b_pcap);
	case_scope(ctx, "phase 2");
	expect_eq(ctx, "A's ping to B: echo requests sent", count, sent2, ev2);
	expect_eq(ctx, case_fmt(ctx, "A's ping to B on VLAN %d: replies",
				VID_A), count, got2, ev2);
	judge(ctx, 0, P2_A, P2_B, VID_A, VID_A, true, count);
	judge(ctx, 1, P2_A, P2_B, VID_A, VID_A, true, count);
	case_scope(ctx, NULL);
out:
	sshc_job_free(b_job);
	g_free(b_pcap);
}

/*
 * Two guest pings 0.2 s apart, six guest commands and guest B's capture
 * (quick: 9-16 s measured before the capture, which adds four commands);
 * about 3x that.
 */
static int vlan_deadline(const struct profile *p)
{
	return 3 * (2 * (prof_int(p, &param_after_count) / 5 + 2) + 20);
}

static const struct param *const vlan_params[] = {
	&param_after_count, NULL,
};

static const struct topology vlan_topo = {
	.n_segments = 1,
	.n_guests = 2,
	.guests = {
		{ .n_nics = 1, .nics = { { MODEL_OF_CELL, 0, 0 } } },
		{ .n_nics = 1, .nics = { { MODEL_OF_CELL, 0, 0 } } },
	},
};

const struct case_desc case_vlan = {
	.name = "vlan",
	.summary = "two guests: VLAN 10 vs 20 isolated though A's frames reach "
		   "B, both on 10 reach each other; every test frame tagged "
		   "right on both taps",
	.plan_case = 6,
	.plan = "802.1q VLAN",
	.capture_snaplen = 128,
	.topo = &vlan_topo,
	.params = vlan_params,
	.deadline_s = vlan_deadline,
	.controls = {
		{ "vlan-rewrite=10:30", "rtl8139",
		  "phase *: tap B: A's test frames tagged other than VID 10" },
		{ "vlan-rewrite=10:30", "rtl8139",
		  "phase 1: tap B: A's ARP requests tagged 10 (as many as on "
		  "tap A)" },
		{ "vlan-rewrite=10:20@1,vlan-rewrite=20:10@0", "virtio",
		  "phase 1: A's ping to B across VLANs 10 and 20: replies" },
		/* B's frames reach A's tap as VID 10: not B's VLAN */
		{ "vlan-rewrite=10:20@1,vlan-rewrite=20:10@0", "virtio",
		  "phase 1: tap A: B's test frames tagged other than VID 20" },
		{ "vlan-promisc", "e1000",
		  "phase 1: guest B's capture: A's ARP requests tagged 10 *" },
	},
	.run = vlan_run,
};
