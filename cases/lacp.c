/*
 * lacp.c - bonding mode 4 (802.3ad, LACP) with a real partner: the setup
 * the Fedora plan's bonding case stands for (10GbE bonding with VLANs on
 * top) relies on it, and a lone guest on a bridge cannot test it.
 *
 * Two guests, each with two NICs of the cell's model and a management NIC
 * (SSH).  Guest A's NIC k and guest B's NIC k form link k: they sit on
 * segment k, but a Linux bridge never forwards 802.3ad frames (the slow
 * protocols group 01:80:c2:00:00:02 is one it may not forward), so nicq
 * wires each pair point to point: an nftables netdev table of the case's
 * own forwards every frame that enters one tap to the other ("fwd to", at
 * ingress, before the bridge sees it).  The captures on the taps still see
 * every frame (a packet socket gets it before the ingress hook).
 *
 * Both guests bond their two NICs in 802.3ad (miimon 100; lacp_rate slow:
 * a TCG guest on a loaded host can go seconds without running, and fast
 * rate's 3 s partner time-out then churned the aggregate; xmit_hash_policy
 * layer3+4; virtio NICs are given speed and duplex first, since LACP
 * aggregates only full-duplex ports of one speed) with VLAN 20 on top
 * (bond0.20, a /24 of the point's own: A .11, B .12).
 *
 *  1. Aggregation: within AGG_WAIT_S each side's /proc/net/bonding/bond0
 *     shows an active aggregator with both ports, both slaves (MII up) in
 *     it, in sync, collecting and distributing at both ends (actor and
 *     partner port state), and the other guest's bond MAC as partner.  A pings B over
 *     bond0.20 and every request is answered.
 *  2. Spreading: A opens STREAMS TCP streams to B's iperf3 at once; the
 *     transmit hash puts each on one link by its ports, so the captures on
 *     A's two taps must both carry A's segments to B.
 *  3. A link flap: link 0 fails as a pulled cable does, both ends at once
 *     (its link state down on both guests' NICs, through libvirt).  Both
 *     active aggregators must drop to one port, still with the other guest
 *     as partner, while A's pings to B all come back; with link 0 up again
 *     both take it back (two ports).  The aggregator IDs are observed.
 *
 * Negative controls: lacp-bridge leaves link 1 to its bridge (no
 * forwarding), which drops the LACPDUs: each side's aggregator holds one
 * port.  lacp-l2-hash hashes by MAC (xmit_hash_policy layer2): every
 * stream takes one link.  lacp-no-flap waits instead of taking link 0
 * down: the aggregators keep two ports.
 */
#include "case.h"
#include "flow.h"
#include "lacpinfo.h"
#include "util.h"

#include <glib.h>
#include <string.h>

#define NLINKS 2
#define VID 20
#define VIP_SUBNET 4
#define AGG_WAIT_S 40
#define PINGS 20
#define STREAMS 16
#define IPERF_PORT 5201

/* The NIC under test of guest g on link k (segment k). */
static struct nic_under_test *link_nic(struct case_ctx *ctx, int g, int k)
{
	for (int i = 0; i < ctx->n_nics; i++)
		if (!ctx->nics[i].mgmt && ctx->nics[i].guest == g &&
		    ctx->nics[i].segment == k)
			return &ctx->nics[i];
	return NULL;
}

static const char *vip(struct case_ctx *ctx, int g)
{
	return case_fmt(ctx, "198.18.%u.%d", case_octet(ctx, VIP_SUBNET),
			11 + g);
}

/*
 * The point-to-point wires: every frame entering one tap of link k goes
 * out of the other.  Links in skip are left to their bridge (the
 * control).  False (error recorded) if nft refused.
 */
static bool wires(struct case_ctx *ctx, const char *table, bool skip1)
{
	GString *s = g_string_new(NULL);
	char *path, err[ERRLEN];
	bool ok = true;

	g_string_append_printf(s, "table netdev %s\ndelete table netdev %s\n"
			       "table netdev %s {\n", table, table, table);
	for (int k = 0; k < NLINKS; k++) {
		const char *a = link_nic(ctx, 0, k)->tap;
		const char *b = link_nic(ctx, 1, k)->tap;

		if (k == 1 && skip1)
			continue;
		g_string_append_printf(s,
			"  chain l%da {\n"
			"    type filter hook ingress device \"%s\" priority 0;\n"
			"    fwd to \"%s\"\n  }\n"
			"  chain l%db {\n"
			"    type filter hook ingress device \"%s\" priority 0;\n"
			"    fwd to \"%s\"\n  }\n", k, a, b, k, b, a);
	}
	g_string_append(s, "}\n");
	path = g_build_filename(ctx->dir, "lacp-wires.nft", NULL);
	if (fault_apply(ctx->lab, s->str, path, err) < 0) {
		case_error(ctx, "cannot wire the links: %s", err);
		ok = false;
	}
	g_free(path);
	g_string_free(s, TRUE);
	return ok;
}

/* Bond guest g's two NICs in 802.3ad with bond0.20; its bond MAC or NULL. */
static char *bond_up(struct case_ctx *ctx, int g)
{
	const struct nic_under_test *n0 = link_nic(ctx, g, 0);
	const struct nic_under_test *n1 = link_nic(ctx, g, 1);
	char *q0 = shq(n0->ifname), *q1 = shq(n1->ifname), *cmd, *mac = NULL;
	bool virtio = n0->model == NIC_VIRTIO;
	struct proc_result r;

	cmd = g_strdup_printf(
		"ip link del bond0 2>/dev/null; "
		"ip link add bond0 type bond mode 802.3ad miimon 100 "
		"lacp_rate slow xmit_hash_policy %s && "
		"for s in %s %s; do ip link set $s down && "
		"%s"
		"ip link set $s master bond0 || exit 1; done && "
		"ip link set bond0 up && "
		"ip link add link bond0 name bond0.%d type vlan id %d && "
		"ip addr add %s/24 dev bond0.%d && ip link set bond0.%d up && "
		"echo mac=$(cat /sys/class/net/bond0/address)",
		ctx->fault->lacp_l2_hash ? "layer2" : "layer3+4", q0, q1,
		virtio ? "{ ethtool -s $s speed 10000 duplex full || exit 1; } "
			 "&& " : "",
		VID, VID, vip(ctx, g), VID, VID);
	if (case_guest_run_on(ctx, g, cmd, 30000, &r) == 0) {
		if (r.status != 0)
			case_error(ctx, "guest %c: cannot set up the bond: exit "
				   "%d, %s (%s)", 'A' + g, r.status,
				   g_strstrip(r.errout), case_last_cmd(ctx));
		else
			mac = kv_get(r.out, "mac=");
	}
	proc_result_clear(&r);
	g_free(cmd);
	g_free(q0);
	g_free(q1);
	return mac;
}

/* What one side's /proc/net/bonding/bond0 says about its aggregator. */
struct agg {
	struct lacp_agg l;	/* lacpinfo.h */
	char *text;		/* the file */
	const char *ev;
};

/*
 * Wait (at most AGG_WAIT_S by the guest's uptime: a loaded TCG guest
 * polls slowly, so no count of polls bounds it) until guest g's active
 * aggregator has ports ports, each in sync, collecting and distributing
 * at both ends (so traffic hashed to any of them crosses: rtl8139 under
 * load lost a ping sent before), then read the file into a.
 */
static void agg_wait(struct case_ctx *ctx, int g, int ports, struct agg *a)
{
	struct proc_result r;
	char *cmd = g_strdup_printf(
		"read u x < /proc/uptime; end=$((${u%%%%.*} + %d)); "
		"while :; do "
		"n=$(sed -n '/^Active Aggregator Info:/,/^$/s/.*Number of "
		"ports: //p' /proc/net/bonding/bond0); c=0; "
		"for v in $(sed -n 's/^    port state: //p' "
		"/proc/net/bonding/bond0); do "
		"[ $((v & %d)) = %d ] && c=$((c + 1)); done; "
		"[ \"$n\" = %d ] && [ $c -ge %d ] && break; "
		"read u x < /proc/uptime; "
		"[ ${u%%%%.*} -ge $end ] && break; usleep 500000; done; "
		"cat /proc/net/bonding/bond0", AGG_WAIT_S, LACP_PORT_READY,
		LACP_PORT_READY, ports, 2 * ports);

	memset(a, 0, sizeof(*a));
	a->l.id = a->l.ports = -1;
	if (case_guest_run_on(ctx, g, cmd, (AGG_WAIT_S + 60) * 1000,
			      &r) == 0 && r.status == 0) {
		a->text = g_strdup(r.out);
		a->ev = case_last_cmd(ctx);
		lacp_agg_parse(a->text, &a->l);
	}
	proc_result_clear(&r);
	g_free(cmd);
}

static void agg_clear(struct agg *a)
{
	g_free(a->text);
	lacp_agg_clear(&a->l);
	memset(a, 0, sizeof(*a));
}

static void agg_judge(struct case_ctx *ctx, const char *when, int g,
		      const struct agg *a, int ports, const char *other_mac)
{
	case_scope(ctx, "%sguest %c", when, 'A' + g);
	observe_int(ctx, "active aggregator ID", a->l.id, NULL);
	expect_eq(ctx, "ports in the active aggregator (/proc/net/bonding/"
		  "bond0)", ports, a->l.ports, a->ev);
	expect_eq(ctx, "slaves up (MII Status) whose Aggregator ID is the "
		  "active one", ports, a->l.slaves_in, a->ev);
	expect_eq(ctx, "of those, slaves in sync, collecting and distributing "
		  "at both ends (actor and partner port state)", ports,
		  a->l.slaves_ready, a->ev);
	expect_str(ctx, "partner MAC of the active aggregator (the other "
		   "guest's bond)", other_mac, a->l.partner, a->ev);
	case_scope(ctx, NULL);
}

/*
 * A pings B over bond0.20: every request answered.  One ping at a time,
 * each waiting up to 5 s for its reply: busybox's ping waits only twice
 * the longest round trip so far after its last request, and a TCG guest
 * on a loaded host can stall longer than that.
 */
static void ping_ab(struct case_ctx *ctx, const char *when)
{
	struct proc_result r;
	long long received;

	case_scope(ctx, "%sA -> B over bond0.%d", when, VID);
	if (case_guest_run_on(ctx, 0, case_fmt(ctx, "n=0; for i in $(seq %d); "
			"do ping -c 1 -W 5 %s >/dev/null && n=$((n + 1)); "
			"sleep 0.2; done; echo received=$n", PINGS,
			vip(ctx, 1)), PINGS * 6000 + 20000, &r) == 0) {
		if (kv_get_int(r.out, "received=", 0, PINGS, &received) < 0)
			received = -1;
		expect_eq(ctx, "echo replies A's pings received", PINGS,
			  received, case_last_cmd(ctx));
	}
	proc_result_clear(&r);
	case_scope(ctx, NULL);
}

/* Link 0's state on both guests' NICs (a cable: both ends at once). */
static bool link0(struct case_ctx *ctx, bool up)
{
	char err[ERRLEN] = "";

	for (int g = 0; g < 2; g++)
		if (guest_set_link(ctx->guests[g].g, link_nic(ctx, g, 0)->mac,
				   up, err) < 0) {
			case_error(ctx, "%s", err);
			return false;
		}
	return true;
}

/*
 * Link 0 fails under the aggregate, both ends (a pulled cable): both
 * aggregators must drop to one port while the pings still cross, and take
 * link 0 back once it is up again.
 */
static void flap(struct case_ctx *ctx, const char *const macs[2])
{
	struct agg a;
	struct proc_result r;
	int g;

	case_phase(ctx, "link 0 down");
	if (ctx->fault->lacp_no_flap) {
		observe_str(ctx, "injected fault", "lacp-no-flap: link 0 "
			    "stays up");
		if (case_guest_run_on(ctx, 0, "sleep 2", 10000, &r) == 0)
			proc_result_clear(&r);
	} else if (!link0(ctx, false)) {
		return;
	}
	for (g = 0; g < 2; g++) {
		agg_wait(ctx, g, NLINKS - 1, &a);
		agg_judge(ctx, "link 0 down: ", g, &a, NLINKS - 1,
			  macs[1 - g]);
		agg_clear(&a);
	}
	ping_ab(ctx, "link 0 down: ");
	case_phase(ctx, "link 0 up again");
	if (!ctx->fault->lacp_no_flap && !link0(ctx, true))
		return;
	for (g = 0; g < 2; g++) {
		agg_wait(ctx, g, NLINKS, &a);
		agg_judge(ctx, "link 0 up again: ", g, &a, NLINKS,
			  macs[1 - g]);
		agg_clear(&a);
	}
}

/*
 * STREAMS TCP streams A -> B at once (iperf3 -P): run now, judged from the
 * captures once they stopped (spread_judge()).  False if they did not run.
 */
static bool spread_run(struct case_ctx *ctx)
{
	struct proc_result r;
	bool ok = false;

	case_phase(ctx, "streams");
	if (case_guest_run_on(ctx, 1, case_fmt(ctx, "iperf3 -s -1 -D -p %d "
					       "-B %s", IPERF_PORT,
					       vip(ctx, 1)), 20000, &r) == 0) {
		if (r.status != 0)
			case_error(ctx, "guest B: iperf3 server: exit %d (%s)",
				   r.status, case_last_cmd(ctx));
		else
			ok = true;
	}
	proc_result_clear(&r);
	if (!ok)
		return false;
	ok = false;
	/* the server may take a moment to listen: a few tries */
	if (case_guest_run_on(ctx, 0, case_fmt(ctx,
			"for i in 1 2 3 4 5; do iperf3 -c %s -p %d -P %d -t 2 "
			">/dev/null 2>&1 && exit 0; sleep 1; done; exit 1",
			vip(ctx, 1), IPERF_PORT, STREAMS), 120000, &r) == 0) {
		if (r.status != 0)
			case_error(ctx, "guest A: iperf3 -P %d to B did not run "
				   "(%s)", STREAMS, case_last_cmd(ctx));
		else
			ok = true;
	}
	proc_result_clear(&r);
	return ok;
}

/*
 * A's TCP streams to B on A's two taps.  Each stream is put on the link
 * that carried most of its payload (the transmit hash keeps a flow on one
 * link; if the aggregator changed under the streams, all of them moved at
 * once, and each still has one link where its data mostly went): the
 * streams must have used both links.  Under a hash by MAC alone (the
 * control) every stream has the same main link: even when its last ACKs
 * and FIN left after link 0 went down, on link 1, which is what failed
 * this control by frames alone (CI, stop 16: both taps carried some of
 * A's TCP frames to B).
 */
#define MAX_CONNS 64

static void spread_judge(struct case_ctx *ctx)
{
	struct flow_conn conns[NLINKS][MAX_CONNS];
	size_t n[NLINKS];
	uint64_t others;
	char err[ERRLEN];
	int streams = 0, split = 0, main_links = 0;
	int on[NLINKS] = { 0 };

	case_scope(ctx, "A -> B, %d TCP streams", STREAMS);
	for (int k = 0; k < NLINKS; k++) {
		const struct nic_under_test *nic = link_nic(ctx, 0, k);
		uint64_t frames = 0;

		if (flow_conns(nic->pcap, vip(ctx, 0), vip(ctx, 1), 6,
			       conns[k], MAX_CONNS, &n[k], &others, err) < 0) {
			case_error(ctx, "%s", err);
			case_scope(ctx, NULL);
			return;
		}
		for (size_t i = 0; i < n[k]; i++)
			frames += conns[k][i].frames;
		observe_int(ctx, case_fmt(ctx, "TCP frames A -> B on link %d "
					  "(A's tap %s)", k, nic->tap),
			    (long long)(frames + others), "frames");
	}
	/* every connection to iperf3's port that carried data, by the link
	 * with most of its frames */
	for (int k = 0; k < NLINKS; k++)
		for (size_t i = 0; i < n[k]; i++) {
			const struct flow_conn *c = &conns[k][i];
			uint64_t f[NLINKS] = { 0 }, b[NLINKS] = { 0 };
			bool data = false, first = true;
			int best = 0;

			if (c->dport != IPERF_PORT)
				continue;
			/* counted once: at the first link that has it */
			for (int j = 0; j < NLINKS; j++)
				for (size_t m = 0; m < n[j]; m++)
					if (conns[j][m].sport == c->sport &&
					    conns[j][m].dport == c->dport) {
						if (j < k)
							first = false;
						f[j] = conns[j][m].frames;
						b[j] = conns[j][m].l4_bytes;
						data |= b[j] > 0;
					}
			if (!first || !data)
				continue;
			streams++;
			for (int j = 1; j < NLINKS; j++)
				if (b[j] > b[best])
					best = j;
			on[best]++;
			split += f[0] && f[1];
		}
	for (int k = 0; k < NLINKS; k++) {
		observe_int(ctx, case_fmt(ctx, "connections whose data went "
					  "mostly on link %d", k),
			    on[k], "connections");
		main_links += on[k] > 0;
	}
	observe_int(ctx, "connections with frames on both links (the "
		    "aggregator changed under them, or their last frames left "
		    "after the flap began)", split, "connections");
	observe_int(ctx, "connections with data (the streams and iperf3's "
		    "control connection)", streams, "connections");
	if (streams < STREAMS) {
		/* iperf3 ran them all: the captures missed some */
		case_error(ctx, "capture incomplete: A's taps carry %d "
			   "connections with data, iperf3 ran %d streams",
			   streams, STREAMS);
		case_scope(ctx, NULL);
		return;
	}
	expect_eq(ctx, "links that carried the streams' frames (each "
		  "stream's main link, by A's taps; the transmit hash spreads "
		  "flows by their ports)", NLINKS, main_links, NULL);
	case_scope(ctx, NULL);
}

static void lacp_run(struct case_ctx *ctx)
{
	char *table = NULL, *macs[2] = { NULL, NULL };
	struct agg aggs[2];
	struct proc_result r;
	bool spread = false;
	int g;

	memset(aggs, 0, sizeof(aggs));
	for (int k = 0; k < NLINKS; k++)
		for (g = 0; g < 2; g++)
			if (!link_nic(ctx, g, k)) {
				case_error(ctx, "no NIC of guest %d on link %d",
					   g, k);
				return;
			}
	case_phase(ctx, "wires");
	table = g_strdup_printf("nicq_lacp_%s", link_nic(ctx, 0, 0)->tap);
	if (ctx->fault->lacp_bridge)
		observe_str(ctx, "injected fault", "lacp-bridge: link 1 left "
			    "to its bridge, which drops LACPDUs");
	if (!wires(ctx, table, ctx->fault->lacp_bridge))
		goto out;

	case_phase(ctx, "bonds");
	for (g = 0; g < 2; g++)
		if (!(macs[g] = bond_up(ctx, g)))
			goto out;
	case_phase(ctx, "aggregation");
	for (g = 0; g < 2; g++)
		agg_wait(ctx, g, NLINKS, &aggs[g]);
	for (g = 0; g < 2; g++)
		agg_judge(ctx, "", g, &aggs[g], NLINKS, macs[1 - g]);

	case_phase(ctx, "traffic");
	ping_ab(ctx, "");
	spread = spread_run(ctx);
	/* the aggregate must have formed for a flap under it to mean much */
	if (!case_failed(ctx))
		flap(ctx, (const char *const *)macs);
out:
	case_captures_stop(ctx);
	if (spread && !interrupted())
		spread_judge(ctx);
	for (g = 0; g < 2; g++) {
		if (case_guest_run_on(ctx, g, "ip link del bond0", 10000,
				      &r) == 0)
			proc_result_clear(&r);
		agg_clear(&aggs[g]);
		g_free(macs[g]);
	}
	if (table)
		fault_remove(ctx->lab, table);
	g_free(table);
}

static int lacp_deadline(const struct profile *p)
{
	(void)p;
	/* three aggregations, two rounds of pings, the streams, setup */
	return 3 * (3 * 2 * AGG_WAIT_S + 2 * PINGS / 5 + 5 * 3 + 60);
}

static const struct topology lacp_topo = {
	.n_segments = 3,
	.n_guests = 2,
	.guests = {
		{ .n_nics = NLINKS + 1, .nics = {
			{ MODEL_OF_CELL, 0, 0, true },
			{ MODEL_OF_CELL, 1, 0, true },
			{ MODEL_MGMT, 2, 0, false },
		} },
		{ .n_nics = NLINKS + 1, .nics = {
			{ MODEL_OF_CELL, 0, 0, true },
			{ MODEL_OF_CELL, 1, 0, true },
			{ MODEL_MGMT, 2, 0, false },
		} },
	},
};

const struct case_desc case_lacp = {
	.name = "lacp",
	.summary = "two guests, two NICs each wired point to point, both "
		   "bonded 802.3ad with VLAN 20 on top: each side's active "
		   "aggregator holds both ports with the other as partner, "
		   "pings cross it, TCP streams spread over both links, and "
		   "a link flap leaves one port up and then takes it back",
	.plan_case = 13,
	.plan = "bonding (mode 4 with a partner)",
	.capture_snaplen = 128,
	.topo = &lacp_topo,
	.deadline_s = lacp_deadline,
	.controls = {
		{ "lacp-bridge", "virtio",
		  "guest A: ports in the active aggregator*" },
		{ "lacp-l2-hash", "virtio",
		  "A -> B, 16 TCP streams: links that carried the streams' "
		  "frames*" },
		{ "lacp-no-flap", "virtio",
		  "link 0 down: guest A: ports in the active aggregator*" },
	},
	.run = lacp_run,
};
