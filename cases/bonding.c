/*
 * bonding.c - Fedora vhost-net plan case 13: NIC bonding under link
 * failures, the way people bond four NICs by hand.
 *
 * One guest with four NICs of the cell's model on one segment, bonded in
 * the guest, with VLAN 20 on top of the bond (bond0.20, .10 of a /24 of the point's own),
 * and a management NIC of another model on a segment of its own.  SSH goes
 * over the management NIC, so the guest stays under control while every
 * NIC under test goes down and up.
 *
 * The host's end of VLAN 20 is .1 of that /24 on a tap of nicq's own whose
 * frames a relay in nicq tags and untags on a port of the segment's bridge
 * (harness/vlanhost.h): the host kernel here has no 8021q and its bridges
 * no VLAN filtering.
 *
 * Two phases, one per bonding mode, each:
 *   1. create bond0 (miimon 100) with the four NICs, bond0.20 on top, wait
 *      until /proc/net/bonding/bond0 shows the bond and every slave up;
 *   2. the links fail underneath, from both sides at once: the guest downs
 *      and ups its slaves in turn (300 ms down, 700 ms up, over SSH in the
 *      background), and nicq sets the NICs' links down and up through
 *      libvirt (the interface's link state, a thread: 400 ms down, 600 ms
 *      up, in another order), which QEMU shows the guest as carrier loss;
 *   3. meanwhile the host pings the bond's VLAN address: the profile's
 *      bond_count pings 0.1 s apart (the plan's 1000), then a flood for
 *      flood_seconds; loss during the flapping is observed, not judged;
 *   4. the flapping stops with every link up, the bond settles (all slaves
 *      up again), and after_count final pings (the plan's 100) must all be
 *      answered.
 * Each ping has its own ICMP identifier and is judged from the four taps'
 * captures together (harness/spread.h): a request or reply counts once
 * however many taps it crossed.
 *
 * The flapping must have happened, in both modes: each slave's "Link
 * Failure Count" in /proc/net/bonding/bond0 (the bond's own count of the
 * link failures it detected) grew between the read after setup and a read
 * at the end of the flood, before the flapping stopped; and echo replies
 * crossed the bond during the pings and during the flood.  The kernel's
 * "link status definitely down/up" lines in that window are observed.
 *
 * active-backup: the bond sends on its active slave only, and a slave
 * losing its link makes another one active (the guest kernel logs "making
 * interface the new active one" and announces the move with a gratuitous
 * ARP, so the bridge learns the new port).  Expected: the active slave
 * changed during the run (at least two different "Currently Active Slave"
 * values, read from /proc/net/bonding/bond0 by the guest's loop after every
 * step), and the replies left on at least two taps.
 *
 * balance-rr: the bond sends each frame on the next slave, all with the
 * bond's MAC.  The Linux bridge therefore sees that MAC on four ports and
 * moves its forwarding entry to whichever port sent last; frames toward
 * the bond go out on that one port, the bond's replies come back on all of
 * them, and broadcasts the bridge floods reach the bond four times (it
 * accepts them on every slave).  No switch-side aggregation is involved,
 * so that is all balance-rr can do on a plain bridge.  While a slave's link
 * is down host-side, the bridge may still point at it until the guest next
 * sends elsewhere, so loss during the flapping can be larger than in
 * active-backup.  Expected: with every link up again, 0 loss, and the final
 * replies spread over at least two taps (normally all four).
 *
 * Then a silent path failure, twice: active-backup with the ARP monitor
 * (miimon 0, arp_interval 1000, arp_ip_target the host's VLAN address),
 * and with miimon 100 alone.  After the bond settled, the active slave's
 * tap drops every frame both ways (an nftables netdev table of the case's
 * own, egress and ingress) while its carrier stays up; the host pings the
 * bond (bond_count), nicq waits for the active slave to change (ARP
 * monitor: up to FAILOVER_WAIT_S; miimon: MIIMON_WATCH_S), reads
 * /proc/net/bonding/bond0 and the cut slave's carrier, waits for the bond
 * to answer (ARP monitor), and after_count more pings follow with the path
 * still cut.
 * With the ARP monitor the active slave must have changed and the later
 * pings all come back; the carrier must read 1 (the failure was silent).
 * With miimon alone the same is observed, not judged: it watches the
 * carrier, so it is expected to keep the dead slave active.
 *
 * Negative controls: drop=50 loses final pings; bond-no-flap takes no link
 * down and cuts no path, so in balance-rr no Link Failure Count grows and
 * the ARP monitor's active slave stays.
 */
#include "case.h"
#include "spread.h"
#include "transcript.h"
#include "util.h"
#include "vlanhost.h"

#include <glib.h>
#include <pthread.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NSLAVES 4
#define VID 20
/* VLAN 20's subnet: the point's own (case_octet), host .1, guest .10 */
#define VIP_SUBNET 4
#define HOST_VIP(ctx) \
	case_fmt(ctx, "198.18.%u.1", case_octet(ctx, VIP_SUBNET))
#define GUEST_VIP(ctx) \
	case_fmt(ctx, "198.18.%u.10", case_octet(ctx, VIP_SUBNET))
#define HOST_DOWN_MS 400
#define HOST_UP_MS 600

static const struct param p_bond_count = {
	"bond_count", PARAM_INT, "50", "1000", 1, 1000000,
	"echo requests (0.1 s apart) to the bond while its links flap",
};
/*
 * The silent path failure under miimon alone is observed, never judged
 * (miimon watches the carrier and is expected to miss it): 12 s of a
 * quick run on every model that prove nothing, so full only.
 */
static const struct param p_bond_miimon = {
	"bond_miimon_only", PARAM_INT, "0", "1", 0, 1,
	"1: also cut the active slave's path under miimon alone (observed, "
	"not judged: miimon cannot see it)",
};

/* ---- host-side link flapping through libvirt (a thread) ------------- */

struct flapper {
	struct guest *g;
	const char *macs[NSLAVES];
	GMutex lock;
	GCond cond;
	bool stop;
	GThread *thread;
	GString *log;		/* one line per change, under lock */
	bool idle;		/* bond-no-flap: only wait */
	int downs, errors;
	int64_t t0;
	struct timespec wall0;
};

/* Wait ms or until stopped; with the lock held.  True when stopped. */
static bool flap_wait(struct flapper *f, int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (!f->stop)
		if (!g_cond_wait_until(&f->cond, &f->lock, end))
			break;
	return f->stop;
}

static void flap_set(struct flapper *f, int k, bool up)
{
	char err[ERRLEN] = "";
	int rc = guest_set_link(f->g, f->macs[k], up, err);

	g_mutex_lock(&f->lock);
	g_string_append_printf(f->log, "%6.3f s link %s %s%s%s\n",
			       (mono_ms() - f->t0) / 1000.0, f->macs[k],
			       up ? "up" : "down", rc < 0 ? ": " : "",
			       rc < 0 ? err : "");
	if (rc < 0)
		f->errors++;
	else if (!up)
		f->downs++;
	g_mutex_unlock(&f->lock);
}

static gpointer flap_loop(gpointer p)
{
	/* another order than the guest's loop, so both hit different NICs */
	static const int order[NSLAVES] = { 2, 0, 3, 1 };
	struct flapper *f = p;
	sigset_t all;
	int i = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	g_mutex_lock(&f->lock);
	while (!f->stop) {
		int k = order[i++ % NSLAVES];

		if (f->idle) {
			flap_wait(f, HOST_DOWN_MS + HOST_UP_MS);
			continue;
		}
		g_mutex_unlock(&f->lock);
		flap_set(f, k, false);
		g_mutex_lock(&f->lock);
		flap_wait(f, HOST_DOWN_MS);
		g_mutex_unlock(&f->lock);
		flap_set(f, k, true);
		g_mutex_lock(&f->lock);
		flap_wait(f, HOST_UP_MS);
	}
	g_mutex_unlock(&f->lock);
	return NULL;
}

static void flap_start(struct flapper *f, struct case_ctx *ctx)
{
	int k;

	memset(f, 0, sizeof(*f));
	f->g = ctx->guest;
	f->idle = ctx->fault->bond_no_flap;
	for (k = 0; k < NSLAVES; k++)
		f->macs[k] = ctx->nics[k].mac;
	g_mutex_init(&f->lock);
	g_cond_init(&f->cond);
	f->log = g_string_new(NULL);
	f->t0 = mono_ms();
	clock_gettime(CLOCK_REALTIME, &f->wall0);
	f->thread = g_thread_new("nicq-flap", flap_loop, f);
}

static void flap_stop(struct flapper *f)
{
	if (!f->thread)
		return;
	g_mutex_lock(&f->lock);
	f->stop = true;
	g_cond_signal(&f->cond);
	g_mutex_unlock(&f->lock);
	g_thread_join(f->thread);
	f->thread = NULL;
	g_mutex_clear(&f->lock);
	g_cond_clear(&f->cond);
}

/* ---- one phase: one bonding mode -------------------------------------- */

struct phase {
	const char *mode;	/* "active-backup", "balance-rr" */
	bool active_backup;
	bool ran;		/* the bond came up and the pings ran */
	struct ping_summary flap, flood, final;
	long long guest_flaps;	/* -1: unknown */
	int host_flaps, kernel_failovers;
	GPtrArray *actives;	/* distinct active slaves seen, char * */
	const char *actives_ev;	/* where they were read */
	/*
	 * Each slave's "Link Failure Count" in /proc/net/bonding/bond0 after
	 * setup and at the end of the flood, before the flapping stopped:
	 * the bond's own count of the link failures it saw (-1: not read).
	 */
	long long fails0[NSLAVES], fails1[NSLAVES];
	const char *fails0_ev, *fails1_ev;
	int kernel_downs, kernel_ups;	/* "link status definitely down/up"
					 * in the console while flapping */
};

static void note_active(struct phase *ph, const char *name)
{
	guint i;

	if (!name || !*name || !strcmp(name, "None"))
		return;
	for (i = 0; i < ph->actives->len; i++)
		if (!strcmp(ph->actives->pdata[i], name))
			return;
	g_ptr_array_add(ph->actives, g_strdup(name));
}

/* The value of key on every line of text that has it goes to actives. */
static void scan_actives(struct phase *ph, const char *text, const char *key)
{
	char **lines = g_strsplit(text ? text : "", "\n", -1);

	for (char **l = lines; *l; l++) {
		char *name = kv_get(*l, key);

		note_active(ph, name);
		g_free(name);
	}
	g_strfreev(lines);
}

/* Lines of text that start with prefix. */
static int count_lines(const char *text, const char *prefix)
{
	char **lines = g_strsplit(text ? text : "", "\n", -1);
	int n = 0;

	for (char **l = lines; *l; l++)
		n += g_str_has_prefix(*l, prefix);
	g_strfreev(lines);
	return n;
}

/*
 * Each slave's "Link Failure Count" from /proc/net/bonding/bond0 (text)
 * into fails[] (by the slaves' order in ctx->nics), -1 where missing.
 * Lines are "Slave Interface: <name>" and, below it, "Link Failure Count:
 * <n>".  Returns how many slaves had a count.
 */
static int parse_fails(struct case_ctx *ctx, const char *text,
		       long long fails[NSLAVES])
{
	char **lines = g_strsplit(text ? text : "", "\n", -1);
	int cur = -1, found = 0, k;

	for (k = 0; k < NSLAVES; k++)
		fails[k] = -1;
	for (char **l = lines; *l; l++) {
		char *name = kv_get(*l, "Slave Interface: ");
		long long n;

		if (name) {
			cur = -1;
			for (k = 0; k < NSLAVES; k++)
				if (!strcmp(name, ctx->nics[k].ifname))
					cur = k;
			g_free(name);
		} else if (cur >= 0 && fails[cur] < 0 &&
			   kv_get_int(*l, "Link Failure Count: ", 0, G_MAXINT,
				      &n) == 0) {
			fails[cur] = n;
			found++;
		}
	}
	g_strfreev(lines);
	return found;
}

static size_t console_len(struct case_ctx *ctx)
{
	char *text;
	size_t len = 0;

	if (file_read(ctx->guests[0].console, &text, &len, NULL) < 0)
		return 0;
	g_free(text);
	return len;
}

/* Occurrences of s in the console log after its first off bytes. */
static int console_count_since(struct case_ctx *ctx, size_t off,
			       const char *s)
{
	char *text;
	const char *p;
	size_t len;
	int n = 0;

	if (file_read(ctx->guests[0].console, &text, &len, NULL) < 0)
		return -1;
	for (p = off <= len ? text + off : NULL; p && (p = strstr(p, s));
	     p++)
		n++;
	g_free(text);
	return n;
}

static char *slave_list(struct case_ctx *ctx)
{
	GString *s = g_string_new(NULL);
	int k;

	for (k = 0; k < NSLAVES; k++) {
		char *q = shq(ctx->nics[k].ifname);

		g_string_append_printf(s, "%s%s", k ? " " : "", q);
		g_free(q);
	}
	return g_string_free(s, FALSE);
}

/*
 * Wait (bounded) until the bond and all its slaves show MII up, then judge
 * that they do: "<when>: interfaces with MII Status up".  False when not
 * (or when the command could not run: an error is then recorded).
 */
static bool bond_settle(struct case_ctx *ctx, struct phase *ph,
			const char *when, long long *fails, const char **ev)
{
	struct proc_result r;
	bool ok = false;

	/*
	 * bounded by the guest's uptime (200 polls under TCG outlived 40
	 * s); the lines counted and copied by the shell itself, no grep or
	 * cat started (~0.15 s each under TCG, every 100 ms)
	 */
	if (case_guest_run(ctx, "read u x < /proc/uptime; end=$(( ${u%.*} + 20 )); "
			   "while :; do n=0; "
			   "while IFS= read -r l; do case $l in "
			   "'MII Status: up'*) n=$((n + 1)) ;; esac; "
			   "done < /proc/net/bonding/bond0; "
			   "[ $n -ge 5 ] && break; "
			   "read u x < /proc/uptime; [ ${u%.*} -ge $end ] && break; "
			   "usleep 100000; done; "
			   "while IFS= read -r l; do echo \"$l\"; "
			   "done < /proc/net/bonding/bond0",
			   40000, &r) == 0) {
		ok = expect_eq(ctx, case_fmt(ctx, "%s: interfaces with MII "
					     "Status up in /proc/net/bonding/"
					     "bond0 (the bond and its %d "
					     "slaves)", when, NSLAVES),
			       1 + NSLAVES,
			       count_lines(r.out, "MII Status: up"),
			       case_last_cmd(ctx));
		scan_actives(ph, r.out, "Currently Active Slave: ");
		if (fails) {
			parse_fails(ctx, r.out, fails);
			*ev = case_last_cmd(ctx);
		}
	}
	proc_result_clear(&r);
	return ok;
}

/* The host-side link changes, as one transcript entry; its line. */
static const char *flap_transcript(struct case_ctx *ctx,
				   const struct flapper *f)
{
	struct transcript_rec tr = { 0 };
	char *outcome = g_strdup_printf("%d down/up cycles, %d changes "
					"refused", f->downs, f->errors);
	unsigned line;

	tr.where = "host (libvirt)";
	tr.background = true;
	tr.cmd = "link state of the bond's NICs down and up in turn "
		 "(virDomainUpdateDeviceFlags, live)";
	tr.wall_start = f->wall0;
	tr.mono_start = f->t0;
	tr.outcome = outcome;
	tr.elapsed_ms = mono_ms() - f->t0;
	tr.out = f->log->str;
	tr.out_len = f->log->len;
	line = transcript_add(ctx->transcript, &tr);
	g_free(outcome);
	return case_fmt(ctx, "transcript.txt:%u", line);
}

/*
 * bond0 with opts ("mode ... miimon ...") and the four slaves, bond0.20 on
 * top with the guest's VLAN address.  False (error recorded) if not.
 */
static bool bond_create(struct case_ctx *ctx, const char *opts)
{
	char *slaves = slave_list(ctx), *cmd;
	struct proc_result r;
	bool ok = false;

	cmd = g_strdup_printf(
		"ip link del bond0 2>/dev/null; "
		"ip link add bond0 type bond %s && "
		"for s in %s; do ip link set $s down && "
		"ip link set $s master bond0 || exit 1; done && "
		"ip link set bond0 up && "
		"ip link add link bond0 name bond0.%d type vlan id %d && "
		"ip addr add %s/24 dev bond0.%d && ip link set bond0.%d up",
		opts, slaves, VID, VID, GUEST_VIP(ctx), VID, VID);
	if (case_guest_run(ctx, cmd, 30000, &r) == 0) {
		if (r.status != 0)
			case_error(ctx, "cannot set up the bond (%s): exit %d, "
				   "%s (%s)", opts, r.status,
				   g_strstrip(r.errout), case_last_cmd(ctx));
		ok = r.status == 0;
	}
	proc_result_clear(&r);
	g_free(cmd);
	g_free(slaves);
	return ok;
}

static void run_phase(struct case_ctx *ctx, struct phase *ph, uint16_t id0)
{
	char *slaves = slave_list(ctx), *cmd, err[ERRLEN];
	struct sshc_job *job = NULL;
	struct flapper fl = { 0 };
	struct proc_result r;
	struct ping_spec ps = { .dst = GUEST_VIP(ctx), .interval = 0.1,
				.size = 56, .reply_wait_s = 1 };
	size_t con0;
	int k;

	case_phase(ctx, "%s: bond up", ph->mode);
	cmd = NULL;
	if (!bond_create(ctx, case_fmt(ctx, "mode %s miimon 100", ph->mode)) ||
	    !bond_settle(ctx, ph, "after setup", ph->fails0, &ph->fails0_ev))
		goto out;
	con0 = console_len(ctx);

	case_phase(ctx, "%s: flapping", ph->mode);
	g_free(cmd);
	cmd = g_strdup_printf(
		"rm -f /tmp/nicq-stop; n=0; "
		"act() { sed -n 's/^Currently Active Slave: //p' "
		"/proc/net/bonding/bond0; }; "
		"while [ ! -e /tmp/nicq-stop ]; do for s in %s; do "
		"[ -e /tmp/nicq-stop ] && break; "
		"%s $s down; usleep 300000; "
		"echo \"$(cut -d' ' -f1 /proc/uptime) down $s active=$(act)\"; "
		"%s $s up; n=$((n + 1)); usleep 700000; "
		"echo \"$(cut -d' ' -f1 /proc/uptime) up $s active=$(act)\"; "
		"done; done; for s in %s; do ip link set $s up; done; "
		"echo flaps=$n", slaves,
		/* the control: the loop runs, the links stay up */
		ctx->fault->bond_no_flap ? ": ip link set" : "ip link set",
		ctx->fault->bond_no_flap ? ": ip link set" : "ip link set",
		slaves);
	if (sshc_start(ctx->ssh, cmd, 10000, &job, err) < 0)
		case_error(ctx, "cannot start the guest's flapping: %s", err);
	flap_start(&fl, ctx);

	ps.count = case_param(ctx, &p_bond_count);
	ps.ident = id0;
	case_host_ping(ctx, &ps, &ph->flap);
	ps.count = 0;
	ps.flood_s = case_param(ctx, &param_flood_seconds);
	ps.ident = (uint16_t)(id0 + 1);
	case_host_ping(ctx, &ps, &ph->flood);

	/* the bond's own count of link failures, while still flapping */
	if (case_guest_run(ctx, "cat /proc/net/bonding/bond0", 10000,
			   &r) == 0) {
		if (r.status == 0) {
			parse_fails(ctx, r.out, ph->fails1);
			ph->fails1_ev = case_last_cmd(ctx);
		}
		proc_result_clear(&r);
	}
	ph->kernel_downs = console_count_since(ctx, con0,
					       "link status definitely down");
	ph->kernel_ups = console_count_since(ctx, con0,
					     "link status definitely up");
	flap_stop(&fl);
	if (case_guest_run(ctx, "touch /tmp/nicq-stop", 10000, &r) == 0)
		proc_result_clear(&r);
	if (job) {
		if (sshc_job_wait(job, 30000, &r, err) < 0) {
			case_error(ctx, "the guest's flapping loop: %s", err);
		} else if (r.timed_out) {
			case_error(ctx, "the guest's flapping loop did not "
				   "stop within 30 s (%s)", case_last_cmd(ctx));
		} else {
			if (kv_get_int(r.out, "flaps=", 0, G_MAXINT,
				       &ph->guest_flaps) < 0)
				ph->guest_flaps = -1;
			scan_actives(ph, r.out, "active=");
			ph->actives_ev = case_last_cmd(ctx);
		}
		proc_result_clear(&r);
		sshc_job_free(job);
	}
	/* every link up again, whatever the thread managed */
	for (k = 0; k < NSLAVES; k++)
		if (guest_set_link(ctx->guest, ctx->nics[k].mac, true,
				   err) < 0)
			case_error(ctx, "%s", err);
	ph->host_flaps = fl.downs;
	{
		const char *ev = flap_transcript(ctx, &fl);

		if (fl.errors)
			case_error(ctx, "libvirt refused %d of the host-side "
				   "link changes (%s)", fl.errors, ev);
	}
	g_string_free(fl.log, TRUE);

	case_phase(ctx, "%s: final pings", ph->mode);
	bond_settle(ctx, ph, "after the flapping", NULL, NULL);
	ps.count = case_param(ctx, &param_after_count);
	ps.flood_s = 0;
	ps.ident = (uint16_t)(id0 + 2);
	case_host_ping(ctx, &ps, &ph->final);
	ph->kernel_failovers = console_count_since(ctx, con0,
						   "the new active one");
	ph->ran = true;
out:
	if (case_guest_run(ctx, "ip link del bond0", 10000, &r) == 0)
		proc_result_clear(&r);
	g_free(cmd);
	g_free(slaves);
}

/* ---- a silent path failure: carrier up, nothing gets through ------------ */

/*
 * active-backup with one monitor, and the active slave's path cut on the
 * host while its carrier stays up: every frame toward it and from it is
 * dropped on its tap (an nftables netdev table of the case's own, egress
 * and ingress).  The ARP monitor (arp_interval, arp_ip_target: the host's
 * VLAN address) sees the replies stop and must fail over; the MII monitor
 * looks at the carrier only, so it is expected to miss it, which is
 * observed, not judged.
 */
struct silent {
	const char *scope;	/* "arp monitor", "miimon only" */
	bool arp;
	bool ran;
	struct phase ph;	/* for bond_settle: actives seen */
	int failed;		/* slave index whose path was cut; -1 */
	char *active0, *active1;	/* before the cut, after the pings */
	char *mii1, *carrier1;	/* the cut slave's, after the pings */
	const char *ev0, *ev1;
	struct ping_summary during, final;
};

/*
 * 1 s, not less: QEMU's e1000 receives nothing for a second after every
 * RCTL write (its flush_queue_timer), and a failover writes RCTL on both
 * slaves (the bond moves its address lists), so with 100 ms the monitor
 * saw the new active slave silent and failed over again, on and on (Link
 * Failure Count 14-15 in 20 s).  Down after arp_missed_max (2) intervals.
 */
#define ARP_INTERVAL_MS 1000
#define FAILOVER_WAIT_S 15	/* the ARP monitor's failover, at most */
#define MIIMON_WATCH_S 4	/* miimon alone: shown to do nothing */

/* The bond's "Currently Active Slave" (g_free), or NULL (error recorded). */
static char *active_now(struct case_ctx *ctx, const char **ev)
{
	struct proc_result r;
	char *a = NULL;

	if (case_guest_run(ctx, "cat /proc/net/bonding/bond0", 10000,
			   &r) == 0) {
		a = kv_get(r.out, "Currently Active Slave: ");
		*ev = case_last_cmd(ctx);
		if (!a)
			case_error(ctx, "no active slave in "
				   "/proc/net/bonding/bond0 (%s)", *ev);
	}
	proc_result_clear(&r);
	return a;
}

/* Cut (or restore) every frame both ways on tap; false (error) if not. */
static bool path_cut(struct case_ctx *ctx, const char *tap, bool cut)
{
	char *table = g_strdup_printf("nicq_bond_%s", tap);
	char *path, *script, err[ERRLEN];
	bool ok = true;

	if (!cut) {
		fault_remove(ctx->lab, table);
		g_free(table);
		return true;
	}
	script = g_strdup_printf(
		"table netdev %s\ndelete table netdev %s\n"
		"table netdev %s {\n"
		"  chain egress {\n"
		"    type filter hook egress device \"%s\" priority 0;\n"
		"    drop\n  }\n"
		"  chain ingress {\n"
		"    type filter hook ingress device \"%s\" priority 0;\n"
		"    drop\n  }\n}\n", table, table, table, tap, tap);
	path = g_build_filename(ctx->dir, case_fmt(ctx, "silent-%s.nft", tap),
				NULL);
	if (fault_apply(ctx->lab, script, path, err) < 0) {
		case_error(ctx, "cannot cut the path on %s: %s", tap, err);
		ok = false;
	}
	g_free(path);
	g_free(script);
	g_free(table);
	return ok;
}

static void run_silent(struct case_ctx *ctx, struct silent *sp, uint16_t id0)
{
	struct ping_spec ps = { .dst = GUEST_VIP(ctx), .interval = 0.1,
				.size = 56, .reply_wait_s = 1 };
	struct proc_result r;
	const char *opts, *tap = NULL;
	char *aq, *cq;
	int k;

	case_phase(ctx, "%s: bond up", sp->scope);
	opts = sp->arp ?
	       case_fmt(ctx, "mode active-backup miimon 0 arp_interval %d "
			"arp_ip_target %s", ARP_INTERVAL_MS, HOST_VIP(ctx)) :
	       "mode active-backup miimon 100";
	observe_str(ctx, "bond options", "%s", opts);
	if (!bond_create(ctx, opts) ||
	    !bond_settle(ctx, &sp->ph, "after setup", NULL, NULL) ||
	    !(sp->active0 = active_now(ctx, &sp->ev0)))
		goto out;
	for (k = 0; k < NSLAVES; k++)
		if (!strcmp(sp->active0, ctx->nics[k].ifname))
			sp->failed = k;
	if (sp->failed < 0) {
		case_error(ctx, "the active slave '%s' is none of the bond's "
			   "NICs (%s)", sp->active0, sp->ev0);
		goto out;
	}

	case_phase(ctx, "%s: path cut", sp->scope);
	tap = ctx->nics[sp->failed].tap;
	if (!ctx->fault->bond_no_flap && !path_cut(ctx, tap, true)) {
		tap = NULL;
		goto out;
	}
	ps.count = case_param(ctx, &p_bond_count);
	ps.ident = id0;
	case_host_ping(ctx, &ps, &sp->during);
	aq = shq(sp->active0);
	/* the interface name came from the guest (NICQ-READY): quoted */
	cq = shq(case_fmt(ctx, "/sys/class/net/%s/carrier",
			  ctx->nics[sp->failed].ifname));
	/*
	 * then until the active slave changed, bounded: the ARP monitor
	 * needs its missed intervals and a failover; miimon alone is given
	 * MIIMON_WATCH_S to show that it does nothing
	 */
	if (case_guest_run(ctx, case_fmt(ctx, "read u x < /proc/uptime; "
					 "end=$(( ${u%%.*} + %d )); "
					 "while :; do a=; "
					 "while IFS= read -r l; do case $l in "
					 "'Currently Active Slave: '*) "
					 "a=${l#Currently Active Slave: } ;; "
					 "esac; done < /proc/net/bonding/bond0; "
					 "[ \"$a\" != %s ] && break; "
					 "read u x < /proc/uptime; "
					 "[ ${u%%.*} -ge $end ] && break; "
					 "usleep 100000; done; "
					 "while IFS= read -r l; do echo \"$l\"; "
					 "done < /proc/net/bonding/bond0; "
					 "c=; read c < %s; echo carrier=$c",
					 sp->arp ? FAILOVER_WAIT_S :
					 MIIMON_WATCH_S, aq, cq),
			   (FAILOVER_WAIT_S + 20) * 1000, &r) == 0) {
		char *sect = strstr(r.out, case_fmt(ctx, "Slave Interface: %s\n",
						     sp->active0));

		sp->active1 = kv_get(r.out, "Currently Active Slave: ");
		sp->mii1 = sect ? kv_get(sect, "MII Status: ") : NULL;
		sp->carrier1 = kv_get(r.out, "carrier=");
		sp->ev1 = case_last_cmd(ctx);
	}
	proc_result_clear(&r);
	g_free(aq);
	g_free(cq);
	/*
	 * traffic goes on with the path still cut, once the bond answers
	 * again (a new active e1000 is deaf for a second after the
	 * failover writes its RCTL): how long that took is observed
	 */
	if (sp->arp) {
		double after;

		bool got = case_ping_until(ctx, GUEST_VIP(ctx),
					   FAILOVER_WAIT_S, &after) == 0;

		observe_str(ctx, "first echo reply after the failover was "
			    "read", "%s %.1f s", got ? "after" : "none in",
			    after);
	}
	ps.count = case_param(ctx, &param_after_count);
	ps.ident = (uint16_t)(id0 + 1);
	case_host_ping(ctx, &ps, &sp->final);
	sp->ran = true;
out:
	if (tap && !ctx->fault->bond_no_flap)
		path_cut(ctx, tap, false);
	if (case_guest_run(ctx, "ip link del bond0", 10000, &r) == 0)
		proc_result_clear(&r);
}

static void judge_silent(struct case_ctx *ctx, struct silent *sp)
{
	int after = case_param(ctx, &param_after_count);
	bool changed;

	case_scope(ctx, "%s", sp->scope);
	if (!sp->ran)
		goto out;
	observe_str(ctx, "active slave before the cut", "%s", sp->active0);
	observe_str(ctx, "active slave after the pings", "%s",
		    sp->active1 ? sp->active1 : "?");
	observe_str(ctx, "MII Status of the cut slave after the pings", "%s",
		    sp->mii1 ? sp->mii1 : "?");
	observe_int(ctx, "pings during the cut: echo requests ping sent",
		    sp->during.sent, NULL);
	observe_int(ctx, "pings during the cut: echo replies ping received",
		    sp->during.received, NULL);
	if (ctx->fault->bond_no_flap)
		observe_str(ctx, "injected fault", "bond-no-flap: the path "
			    "was not cut");
	/* the premise: the failure is silent, the carrier stays up */
	expect_str(ctx, "carrier of the cut slave (silent failure: stays 1)",
		   "1", sp->carrier1, sp->ev1);
	changed = sp->active1 && strcmp(sp->active1, sp->active0) != 0 &&
		  strcmp(sp->active1, "None") != 0;
	if (sp->arp) {
		expect_true(ctx, "active slave after the silent failure of its "
			    "path (/proc/net/bonding/bond0)", changed,
			    case_fmt(ctx, "another slave than %s",
				     sp->active0),
			    sp->active1 ? sp->active1 : "not read",
			    case_fmt(ctx, "%s, %s", sp->ev0,
				     sp->ev1 ? sp->ev1 : "?"));
		expect_eq(ctx, "pings with the path still cut: echo replies "
			  "ping received", after, sp->final.received,
			  sp->final.evidence);
	} else {
		/* what the seed material says miimon does: nothing */
		observe_str(ctx, "active slave changed after the silent "
			    "failure (miimon sees the carrier only)", "%s",
			    changed ? "yes" : "no");
		observe_int(ctx, "pings with the path still cut: echo replies "
			    "ping received", sp->final.received, NULL);
		observe_int(ctx, "pings with the path still cut: echo requests "
			    "ping sent", sp->final.sent, NULL);
	}
out:
	case_scope(ctx, NULL);
}

/* ---- judging ------------------------------------------------------------ */

/* The four taps' captures of one ping; false when unreadable (error). */
static bool spread(struct case_ctx *ctx, const char *what, uint16_t id,
		   struct spread_report *rep)
{
	const char *paths[NSLAVES];
	char err[ERRLEN];
	int k;

	memset(rep, 0, sizeof(*rep));
	for (k = 0; k < NSLAVES; k++)
		paths[k] = ctx->nics[k].pcap;
	if (spread_analyze(paths, NSLAVES, HOST_VIP(ctx), GUEST_VIP(ctx), id,
			   rep,
			   err) < 0) {
		case_error(ctx, "%s: %s", what, err);
		return false;
	}
	return true;
}

/* "capture-a.pcap, ..., capture-d.pcap (ICMP id N)" */
static const char *taps_evidence(struct case_ctx *ctx, const char *ids)
{
	GString *s = g_string_new(NULL);
	const char *ev;
	int k;

	for (k = 0; k < NSLAVES; k++) {
		g_string_append_printf(s, "%s%s", k ? ", " : "",
				       case_rel(ctx, ctx->nics[k].pcap));
	}
	ev = case_fmt(ctx, "%s (ICMP %s)", s->str, ids);
	g_string_free(s, TRUE);
	return ev;
}

/*
 * Loss while flapping, observed: set against what ping sent (a request
 * dropped before any tap is lost too); without ping's count, against the
 * requests on the taps.
 */
static void observe_loss(struct case_ctx *ctx, const char *what,
			 const struct ping_summary *sum,
			 const struct spread_report *s)
{
	unsigned base = sum->sent >= 0 ? (unsigned)sum->sent : s->requests;
	unsigned got = s->replies < base ? s->replies : base;

	observe_int(ctx, case_fmt(ctx, "%s: echo requests ping sent", what),
		    sum->sent, NULL);
	observe_int(ctx, case_fmt(ctx, "%s: echo requests on the taps", what),
		    s->requests, NULL);
	observe_int(ctx, case_fmt(ctx, "%s: echo replies on the taps", what),
		    s->replies, NULL);
	observe_num(ctx, case_fmt(ctx, "%s: loss", what),
		    base ? round(1000.0 * (base - got) / base) / 10 : 0, "%");
	if (s->dup_frames)
		observe_int(ctx, case_fmt(ctx, "%s: copies on several taps "
					  "(counted once)", what),
			    s->dup_frames, NULL);
}

/*
 * The flapping happened, seen from inside the guest: the bond counted a
 * link failure on every slave ("Link Failure Count" grew between the read
 * after setup, before the flapping started, and the read at the end of
 * the flood, before it stopped; the pings ran in between), and traffic
 * crossed the bond meanwhile (echo replies on the taps during the pings
 * and during the flood).  Without this, "0 loss afterwards" and "replies
 * on several taps" would hold for a bond whose links never failed.
 */
static void judge_flapped(struct case_ctx *ctx, const struct phase *ph,
			  const struct spread_report *s_flap,
			  const struct spread_report *s_flood)
{
	GString *d = g_string_new(NULL);
	int k, grown = 0;

	for (k = 0; k < NSLAVES; k++) {
		const char *name = ctx->nics[k].ifname;

		if (ph->fails0[k] < 0 || ph->fails1[k] < 0) {
			g_string_append_printf(d, "%s%s: not read", k ? ", " : "",
					       name);
			continue;
		}
		grown += ph->fails1[k] > ph->fails0[k];
		g_string_append_printf(d, "%s%s: %lld -> %lld", k ? ", " : "",
				       name, ph->fails0[k], ph->fails1[k]);
		observe_int(ctx, case_fmt(ctx, "link failures the bond counted "
					  "on slave %d while flapping", k),
			    ph->fails1[k] - ph->fails0[k], NULL);
	}
	observe_int(ctx, "kernel log while flapping: \"link status definitely "
		    "down\"", ph->kernel_downs, NULL);
	observe_int(ctx, "kernel log while flapping: \"link status definitely "
		    "up\"", ph->kernel_ups, NULL);
	expect_true(ctx, "slaves whose Link Failure Count grew while the "
		    "links flapped (/proc/net/bonding/bond0)",
		    grown == NSLAVES, case_fmt(ctx, "all %d", NSLAVES),
		    case_fmt(ctx, "%d (%s)", grown, d->str),
		    case_fmt(ctx, "%s, %s",
			     ph->fails0_ev ? ph->fails0_ev : "?",
			     ph->fails1_ev ? ph->fails1_ev : "?"));
	expect_cmp(ctx, "echo replies through the bond during the pings while "
		   "flapping", CMP_GE, 1, s_flap->replies,
		   taps_evidence(ctx, case_fmt(ctx, "id %u", ph->flap.ident)));
	expect_cmp(ctx, "echo replies through the bond during the flood while "
		   "flapping", CMP_GE, 1, s_flood->replies,
		   taps_evidence(ctx, case_fmt(ctx, "id %u",
					       ph->flood.ident)));
	g_string_free(d, TRUE);
}

static void judge_phase(struct case_ctx *ctx, struct phase *ph)
{
	int after = case_param(ctx, &param_after_count);
	struct spread_report s_flap, s_flood, s_final;
	unsigned sole;
	int k, taps = 0;
	GString *seen;

	case_scope(ctx, "%s", ph->mode);
	if (ph->guest_flaps >= 0)
		observe_int(ctx, "slave down/up cycles by the guest",
			    ph->guest_flaps, NULL);
	observe_int(ctx, "link down/up cycles through libvirt",
		    ph->host_flaps, NULL);
	if (ph->active_backup) {
		seen = g_string_new(NULL);
		for (guint i = 0; i < ph->actives->len; i++)
			g_string_append_printf(seen, "%s%s", i ? ", " : "",
					       (char *)ph->actives->pdata[i]);
		observe_str(ctx, "active slaves seen", "%s",
			    seen->len ? seen->str : "none");
		g_string_free(seen, TRUE);
		if (ph->ran)
			observe_int(ctx, "failovers in the kernel log (\"the "
				    "new active one\")", ph->kernel_failovers,
				    NULL);
	}
	if (!ph->ran)
		goto out;
	if (spread(ctx, "pings while flapping", ph->flap.ident, &s_flap))
		observe_loss(ctx, "pings while flapping", &ph->flap, &s_flap);
	if (spread(ctx, "flood while flapping", ph->flood.ident, &s_flood))
		observe_loss(ctx, "flood while flapping", &ph->flood,
			     &s_flood);
	judge_flapped(ctx, ph, &s_flap, &s_flood);
	if (spread(ctx, "final pings", ph->final.ident, &s_final)) {
		const char *ev = taps_evidence(ctx,
			case_fmt(ctx, "id %u", ph->final.ident));

		expect_eq(ctx, "final pings: echo requests on the taps",
			  after, s_final.requests, ev);
		expect_eq(ctx, "final pings: echo replies on the taps",
			  after, s_final.replies, ev);
	}

	for (k = 0; k < NSLAVES; k++) {
		sole = s_flap.per[k].sole_replies +
		       s_flood.per[k].sole_replies +
		       s_final.per[k].sole_replies;
		taps += sole > 0;
		observe_int(ctx, case_fmt(ctx, "replies that left on %s (all "
					  "pings)", ctx->nics[k].tap),
			    sole, NULL);
		observe_int(ctx, case_fmt(ctx, "final pings: replies that "
					  "left on %s", ctx->nics[k].tap),
			    s_final.per[k].sole_replies, NULL);
	}
	observe_int(ctx, "changes of the tap the replies left on",
		    s_flap.moves + s_flood.moves + s_final.moves, NULL);
	expect_cmp(ctx, "taps the replies left on (all pings)", CMP_GE, 2,
		   taps, taps_evidence(ctx, case_fmt(ctx, "ids %u, %u, %u",
						      ph->flap.ident,
						      ph->flood.ident,
						      ph->final.ident)));
	if (ph->active_backup)
		expect_cmp(ctx, "distinct active slaves seen in "
			   "/proc/net/bonding/bond0", CMP_GE, 2,
			   ph->actives->len, ph->actives_ev);
	else
		expect_cmp(ctx, "taps the final replies left on", CMP_GE, 2,
			   s_final.taps_with_replies,
			   taps_evidence(ctx, case_fmt(ctx, "id %u",
						       ph->final.ident)));
out:
	case_scope(ctx, NULL);
}

/* ---- the case ----------------------------------------------------------- */

/* ip ... on the host; -1 (error recorded) unless it exits 0. */
static int host_ip(struct case_ctx *ctx, GStrvBuilder *b)
{
	GStrv argv = g_strv_builder_end(b);
	struct proc_result r;
	int rc;

	g_strv_builder_unref(b);
	rc = case_host_run(ctx, argv, 10000, &r);
	if (rc == 0 && r.status != 0) {
		case_error(ctx, "cannot set up the host's end of VLAN %d: "
			   "exit %d, %s (%s)", VID, r.status,
			   g_strstrip(r.errout), case_last_cmd(ctx));
		rc = -1;
	}
	proc_result_clear(&r);
	g_strfreev(argv);
	return rc;
}

static GStrvBuilder *ip_cmd(const char *first, ...) G_GNUC_NULL_TERMINATED;

static GStrvBuilder *ip_cmd(const char *first, ...)
{
	GStrvBuilder *b = g_strv_builder_new();
	va_list ap;

	g_strv_builder_add(b, "ip");
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		g_strv_builder_add(b, a);
	va_end(ap);
	return b;
}

static void bonding_case(struct case_ctx *ctx)
{
	struct phase phases[2] = {
		{ .mode = "active-backup", .active_backup = true },
		{ .mode = "balance-rr" },
	};
	struct silent silents[2] = {
		{ .scope = "arp monitor, silent path failure", .arp = true,
		  .failed = -1 },
		{ .scope = "miimon only, silent path failure", .failed = -1 },
	};
	char *host_tap, *port_tap, err[ERRLEN];
	const char *bridge = ctx->nics[0].bridge;
	struct vlanhost *vh = NULL;
	struct vlanhost_stats vs = { 0 };
	uint16_t base = case_ident(ctx, 3 * G_N_ELEMENTS(phases) + 2 * 2);
	int hfd, pfd, i, n_silent = 0;

	observe_str(ctx, "management NIC (SSH; never taken down)", "%s",
		    model_name(ctx->nics[NSLAVES].model));

	/* the host's end of VLAN 20 (harness/vlanhost.h) */
	case_phase(ctx, "host end of VLAN %d", VID);
	host_tap = g_strdup_printf("nq%.6sv%dh", ctx->lab->id, ctx->slot);
	port_tap = g_strdup_printf("nq%.6sv%db", ctx->lab->id, ctx->slot);
	hfd = vlanhost_tap(host_tap, err);
	pfd = hfd < 0 ? -1 : vlanhost_tap(port_tap, err);
	if (hfd < 0 || pfd < 0 || vlanhost_start(hfd, pfd, VID, &vh, err) < 0) {
		if (hfd >= 0 && pfd < 0)
			close(hfd);
		case_error(ctx, "cannot make the host's end of VLAN %d: %s",
			   VID, err);
		goto out;
	}
	if (host_ip(ctx, ip_cmd("link", "set", port_tap, "master", bridge,
				NULL)) < 0 ||
	    host_ip(ctx, ip_cmd("link", "set", port_tap, "up", NULL)) < 0 ||
	    host_ip(ctx, ip_cmd("addr", "add",
				       case_fmt(ctx, "%s/24", HOST_VIP(ctx)), "dev",
				host_tap, NULL)) < 0 ||
	    host_ip(ctx, ip_cmd("link", "set", host_tap, "up", NULL)) < 0)
		goto out;

	for (i = 0; i < 2 && !interrupted(); i++) {
		phases[i].actives = g_ptr_array_new_with_free_func(g_free);
		phases[i].guest_flaps = -1;
		for (int k = 0; k < NSLAVES; k++)
			phases[i].fails0[k] = phases[i].fails1[k] = -1;
		case_scope(ctx, "%s", phases[i].mode);
		run_phase(ctx, &phases[i], (uint16_t)(base + 3 * i));
		case_scope(ctx, NULL);
	}
	n_silent = case_param(ctx, &p_bond_miimon) ? 2 : 1;
	for (i = 0; i < n_silent && !interrupted(); i++) {
		silents[i].ph.mode = "active-backup";
		silents[i].ph.actives = g_ptr_array_new_with_free_func(g_free);
		case_scope(ctx, "%s", silents[i].scope);
		run_silent(ctx, &silents[i], (uint16_t)(base + 6 + 2 * i));
		case_scope(ctx, NULL);
	}
	vlanhost_get_stats(vh, &vs);
	case_captures_stop(ctx);
	if (interrupted())
		goto out;

	case_phase(ctx, "judge");
	observe_int(ctx, "VLAN relay: frames tagged toward the bridge",
		    (long long)vs.tagged, NULL);
	observe_int(ctx, "VLAN relay: frames untagged toward the host",
		    (long long)vs.untagged, NULL);
	observe_int(ctx, "VLAN relay: frames of other VLANs or untagged, "
		    "dropped", (long long)vs.dropped, NULL);
	observe_int(ctx, "VLAN relay: read or write errors",
		    (long long)vs.errors, NULL);
	for (i = 0; i < 2; i++)
		if (phases[i].actives)
			judge_phase(ctx, &phases[i]);
	for (i = 0; i < n_silent; i++)
		judge_silent(ctx, &silents[i]);
out:
	vlanhost_free(vh);	/* the taps vanish with their descriptors */
	for (i = 0; i < 2; i++) {
		if (phases[i].actives)
			g_ptr_array_free(phases[i].actives, TRUE);
		ping_summary_clear(&phases[i].flap);
		ping_summary_clear(&phases[i].flood);
		ping_summary_clear(&phases[i].final);
		if (silents[i].ph.actives)
			g_ptr_array_free(silents[i].ph.actives, TRUE);
		g_free(silents[i].active0);
		g_free(silents[i].active1);
		g_free(silents[i].mii1);
		g_free(silents[i].carrier1);
		ping_summary_clear(&silents[i].during);
		ping_summary_clear(&silents[i].final);
	}
	g_free(host_tap);
	g_free(port_tap);
}

/*
 * Measured under TCG (quick: 46 s on virtio): each phase takes its pings
 * (bond_count x 0.1 s, the flood, after_count x 0.1 s) plus about 15 s of
 * setup, settling and teardown.  Three times that; the same for the two
 * silent failures (bond_count and after_count pings each).  A quick run
 * with them took 95 s of case time on virtio, the host at load 11 on 2
 * cores.
 */
static int bonding_deadline(const struct profile *p)
{
	int pings = (prof_int(p, &p_bond_count) +
		     prof_int(p, &param_after_count)) / 10 +
		    prof_int(p, &param_flood_seconds);
	int silent = (prof_int(p, &p_bond_count) +
		      prof_int(p, &param_after_count)) / 10 +
		     FAILOVER_WAIT_S;

	return 3 * 2 * (pings + 15) +
	       3 * (1 + prof_int(p, &p_bond_miimon)) * (silent + 15);
}

static const struct param *const bonding_params[] = {
	&p_bond_count, &param_flood_seconds, &param_after_count,
	&p_bond_miimon, NULL,
};

static const struct topology bonding_topo = {
	.n_segments = 2,
	.n_guests = 1,
	.guests = { { .n_nics = NSLAVES + 1, .nics = {
		{ MODEL_OF_CELL, 0, 0, true },
		{ MODEL_OF_CELL, 0, 0, true },
		{ MODEL_OF_CELL, 0, 0, true },
		{ MODEL_OF_CELL, 0, 0, true },
		{ MODEL_MGMT, 1, 0, false },
	} } },
};

const struct case_desc case_bonding = {
	.name = "bonding",
	.summary = "four NICs bonded in the guest (active-backup, then "
		   "balance-rr) with VLAN 20 on top, pinged while their links "
		   "fail from the guest and through libvirt; 0 loss after, the "
		   "active slave and the taps change",
	.plan_case = 13,
	.plan = "bonding",
	.capture_snaplen = 96,
	.topo = &bonding_topo,
	.params = bonding_params,
	.deadline_s = bonding_deadline,
	.controls = {
		{ "drop=50", "virtio",
		  "*: final pings: echo requests on the taps" },
		{ "bond-no-flap", "virtio",
		  "balance-rr: slaves whose Link Failure Count grew while the "
		  "links flapped*" },
		{ "bond-no-flap", "virtio",
		  "arp monitor, silent path failure: active slave after the "
		  "silent failure of its path*" },
	},
	.run = bonding_case,
};
