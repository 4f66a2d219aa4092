/*
 * bonding.c - Fedora vhost-net plan case 13: NIC bonding under link
 * failures, the way people bond four NICs by hand.
 *
 * One guest with four NICs of the cell's model on one segment, bonded in
 * the guest, with VLAN 20 on top of the bond (bond0.20, 198.18.20.10/24),
 * and a management NIC of another model on a segment of its own.  SSH goes
 * over the management NIC, so the guest stays under control while every
 * NIC under test goes down and up.
 *
 * The host's end of VLAN 20 is 198.18.20.1 on a tap of nicq's own whose
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
 *      flood_seconds; loss during the flapping is reported, not judged;
 *   4. the flapping stops with every link up, the bond settles (all slaves
 *      up again), and after_count final pings (the plan's 100) must all be
 *      answered.
 * Each ping has its own ICMP identifier and is judged from the four taps'
 * captures together (harness/spread.h): a request or reply counts once
 * however many taps it crossed.
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
 */
#include "case.h"
#include "spread.h"
#include "util.h"
#include "vlanhost.h"

#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSLAVES 4
#define VID 20
#define HOST_VIP "198.18.20.1"
#define GUEST_VIP "198.18.20.10"
#define HOST_DOWN_MS 400
#define HOST_UP_MS 600

/* ---- host-side link flapping through libvirt (a thread) ------------- */

struct flapper {
	struct guest *g;
	const char *macs[NSLAVES];
	GMutex lock;
	GCond cond;
	bool stop;
	GThread *thread;
	GString *log;		/* one line per change, under lock */
	int downs, errors;
	int64_t t0;
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
	for (k = 0; k < NSLAVES; k++)
		f->macs[k] = ctx->nics[k].mac;
	g_mutex_init(&f->lock);
	g_cond_init(&f->cond);
	f->log = g_string_new(NULL);
	f->t0 = mono_ms();
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
	uint16_t id_flap, id_flood, id_final;
	int sent_flap, sent_flood, sent_final;	/* by ping's count */
	int guest_flaps, host_flaps, host_errors, kernel_failovers;
	GPtrArray *actives;	/* distinct active slaves seen, char * */
	bool settled;
};

static void note_active(struct phase *ph, const char *name)
{
	guint i;

	if (!*name || !strcmp(name, "None"))
		return;
	for (i = 0; i < ph->actives->len; i++)
		if (!strcmp(ph->actives->pdata[i], name))
			return;
	g_ptr_array_add(ph->actives, g_strdup(name));
}

/* Every "key<name>" in text (name up to white space) goes to actives. */
static void scan_actives(struct phase *ph, const char *text, const char *key)
{
	const char *p = text;

	while (p && (p = strstr(p, key))) {
		char *name;

		p += strlen(key);
		name = g_strndup(p, strcspn(p, " \r\n"));
		note_active(ph, name);
		g_free(name);
	}
}

static int count_str(const char *text, const char *s)
{
	int n = 0;

	while (text && (text = strstr(text, s))) {
		n++;
		text++;
	}
	return n;
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

static int console_count_since(struct case_ctx *ctx, size_t off,
			       const char *s)
{
	char *text;
	size_t len;
	int n = 0;

	if (file_read(ctx->guests[0].console, &text, &len, NULL) < 0)
		return -1;
	if (off <= len)
		n = count_str(text + off, s);
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

/* Wait (bounded) until the bond and all slaves show MII up. */
static bool bond_settle(struct case_ctx *ctx, struct phase *ph)
{
	struct proc_result r;
	bool ok = false;

	if (case_guest_run(ctx, "i=0; while [ $i -lt 200 ]; do "
			   "[ $(grep -c '^MII Status: up' "
			   "/proc/net/bonding/bond0) -ge 5 ] && break; "
			   "usleep 100000; i=$((i + 1)); done; "
			   "cat /proc/net/bonding/bond0", 40000, &r) == 0 &&
	    r.status == 0) {
		ok = count_str(r.out, "MII Status: up") >= 1 + NSLAVES;
		scan_actives(ph, r.out, "Currently Active Slave: ");
	}
	proc_result_clear(&r);
	return ok;
}

/* Ping the bond's VLAN address; returns how many requests ping says it
 * sent (-1: unknown), which the capture-judged replies are set against. */
static int host_ping(struct case_ctx *ctx, uint16_t id, int count,
		     bool flood)
{
	const struct profile *p = ctx->prof;
	char ids[16], cnt[16], secs[16];
	char *argv_c[] = { "ping", "-n", "-q", "-e", ids, "-c", cnt, "-i",
			   "0.1", "-W", "1", GUEST_VIP, NULL };
	char *argv_f[] = { "ping", "-n", "-q", "-f", "-e", ids, "-w", secs,
			   GUEST_VIP, NULL };
	struct proc_result r;
	int sent = -1;

	snprintf(ids, sizeof(ids), "%u", id);
	snprintf(cnt, sizeof(cnt), "%d", count);
	snprintf(secs, sizeof(secs), "%d", p->flood_seconds);
	if (case_host_run(ctx, flood ? argv_f : argv_c,
			  flood ? (p->flood_seconds + 30) * 1000 :
			  count * 100 + 30000, &r) == 0) {
		const char *t = strstr(r.out, " packets transmitted");

		if (t) {
			while (t > r.out && g_ascii_isdigit(t[-1]))
				t--;
			sent = atoi(t);
		}
		proc_result_clear(&r);
	}
	return sent;
}

static void run_phase(struct case_ctx *ctx, struct phase *ph)
{
	const struct profile *p = ctx->prof;
	char *slaves = slave_list(ctx), *cmd, err[ERRLEN];
	struct sshc_job *job = NULL;
	struct flapper fl = { 0 };
	struct proc_result r;
	size_t con0;
	int k;

	cmd = g_strdup_printf(
		"ip link del bond0 2>/dev/null; "
		"ip link add bond0 type bond mode %s miimon 100 && "
		"for s in %s; do ip link set $s down && "
		"ip link set $s master bond0 || exit 1; done && "
		"ip link set bond0 up && "
		"ip link add link bond0 name bond0.%d type vlan id %d && "
		"ip addr add %s/24 dev bond0.%d && ip link set bond0.%d up",
		ph->mode, slaves, VID, VID, GUEST_VIP, VID, VID);
	if (case_guest_run(ctx, cmd, 30000, &r) < 0 || r.status != 0) {
		case_fail(ctx, "%s: cannot set up the bond: %s", ph->mode,
			  r.errout ? g_strstrip(r.errout) : "ssh failed");
		proc_result_clear(&r);
		goto out;
	}
	proc_result_clear(&r);
	if (!bond_settle(ctx, ph)) {
		case_fail(ctx, "%s: the bond's slaves did not all come up",
			  ph->mode);
		goto out;
	}
	con0 = console_len(ctx);

	g_free(cmd);
	cmd = g_strdup_printf(
		"rm -f /tmp/nicq-stop; n=0; "
		"act() { sed -n 's/^Currently Active Slave: //p' "
		"/proc/net/bonding/bond0; }; "
		"while [ ! -e /tmp/nicq-stop ]; do for s in %s; do "
		"[ -e /tmp/nicq-stop ] && break; "
		"ip link set $s down; usleep 300000; "
		"echo \"$(cut -d' ' -f1 /proc/uptime) down $s active=$(act)\"; "
		"ip link set $s up; n=$((n + 1)); usleep 700000; "
		"echo \"$(cut -d' ' -f1 /proc/uptime) up $s active=$(act)\"; "
		"done; done; for s in %s; do ip link set $s up; done; "
		"echo flaps=$n", slaves, slaves);
	if (sshc_start(ctx->ssh, cmd, 10000, &job, err) < 0)
		case_fail(ctx, "%s: cannot start the guest's flapping: %s",
			  ph->mode, err);
	flap_start(&fl, ctx);

	ph->sent_flap = host_ping(ctx, ph->id_flap, p->bond_count, false);
	ph->sent_flood = host_ping(ctx, ph->id_flood, 0, true);

	flap_stop(&fl);
	if (case_guest_run(ctx, "touch /tmp/nicq-stop", 10000, &r) == 0)
		proc_result_clear(&r);
	if (job) {
		if (sshc_job_wait(job, 30000, &r, err) == 0) {
			const char *t = strstr(r.out, "flaps=");

			ph->guest_flaps = t ? atoi(t + 6) : -1;
			scan_actives(ph, r.out, "active=");
		} else {
			case_fail(ctx, "%s: the guest's flapping loop: %s",
				  ph->mode, err);
		}
		proc_result_clear(&r);
		sshc_job_free(job);
	}
	/* every link up again, whatever the thread managed */
	for (k = 0; k < NSLAVES; k++)
		if (guest_set_link(ctx->guest, ctx->nics[k].mac, true,
				   err) < 0)
			case_fail(ctx, "%s", err);
	ph->host_flaps = fl.downs;
	ph->host_errors = fl.errors;
	file_appendf(ctx->transcript, NULL, "### %s: host-side link "
		     "changes through libvirt\n%s\n", ph->mode, fl.log->str);
	g_string_free(fl.log, TRUE);

	ph->settled = bond_settle(ctx, ph);
	if (!ph->settled)
		case_fail(ctx, "%s: the bond's slaves were not all up again "
			  "after the flapping", ph->mode);
	ph->sent_final = host_ping(ctx, ph->id_final, p->after_count, false);
	ph->kernel_failovers = console_count_since(ctx, con0,
						   "the new active one");
	ph->ran = true;
out:
	if (case_guest_run(ctx, "ip link del bond0", 10000, &r) == 0)
		proc_result_clear(&r);
	g_free(cmd);
	g_free(slaves);
}

/* ---- judging ------------------------------------------------------------ */

static bool spread(struct case_ctx *ctx, uint16_t id, struct spread_report *rep)
{
	const char *paths[NSLAVES];
	char err[ERRLEN];
	int k;

	for (k = 0; k < NSLAVES; k++)
		paths[k] = ctx->nics[k].pcap;
	if (spread_analyze(paths, NSLAVES, HOST_VIP, GUEST_VIP, id, rep,
			   err) < 0) {
		case_fail(ctx, "%s", err);
		return false;
	}
	return true;
}

/*
 * Loss is set against what ping sent (a request dropped before any tap
 * is lost too); without ping's count, against the requests on the taps.
 */
static void diag_loss(struct case_ctx *ctx, const char *key, int sent,
		      const struct spread_report *s)
{
	unsigned base = sent >= 0 ? (unsigned)sent : s->requests;

	diag_str(ctx->diag, key, "%d sent, %u requests on the taps, %u "
		 "replies, loss %.1f%%%s", sent, s->requests, s->replies,
		 base ? 100.0 * (base - (s->replies < base ? s->replies :
					 base)) / base : 0.0,
		 s->dup_frames ? " (copies on several taps counted once)" :
		 "");
}

static void judge_phase(struct case_ctx *ctx, struct phase *ph)
{
	const struct profile *p = ctx->prof;
	struct spread_report s_flap, s_flood, s_final;
	unsigned sole[NSLAVES] = { 0 }, moves = 0;
	int k, taps = 0;
	guint i;

	diag_map(ctx->diag, ph->mode);
	diag_int(ctx->diag, "guest_slave_flaps", ph->guest_flaps);
	diag_str(ctx->diag, "host_link_flaps", "%d through libvirt%s",
		 ph->host_flaps, ph->host_errors ? ", some failed" : "");
	if (ph->host_errors)
		case_fail(ctx, "%s: %d host-side link changes failed (see the "
			  "transcript)", ph->mode, ph->host_errors);
	if (ph->active_backup) {
		diag_list(ctx->diag, "active_slaves_seen");
		for (i = 0; i < ph->actives->len; i++)
			diag_str(ctx->diag, NULL, "%s",
				 (char *)ph->actives->pdata[i]);
		diag_end(ctx->diag);
		diag_int(ctx->diag, "kernel_failovers", ph->kernel_failovers);
	}
	if (!ph->ran) {
		diag_end(ctx->diag);
		return;
	}
	if (spread(ctx, ph->id_flap, &s_flap))
		diag_loss(ctx, "pings_while_flapping", ph->sent_flap,
			  &s_flap);
	else
		memset(&s_flap, 0, sizeof(s_flap));
	if (spread(ctx, ph->id_flood, &s_flood))
		diag_loss(ctx, "flood_while_flapping", ph->sent_flood,
			  &s_flood);
	else
		memset(&s_flood, 0, sizeof(s_flood));
	if (spread(ctx, ph->id_final, &s_final))
		diag_loss(ctx, "final_pings", ph->sent_final,
			  &s_final);
	else
		memset(&s_final, 0, sizeof(s_final));
	if (s_final.requests != (unsigned)p->after_count ||
	    s_final.replies != (unsigned)p->after_count)
		case_fail(ctx, "%s: final pings after the flapping: %u of %d "
			  "requests reached the taps, %u replies", ph->mode,
			  s_final.requests, p->after_count, s_final.replies);

	diag_list(ctx->diag, "replies_left_on");
	for (k = 0; k < NSLAVES; k++) {
		sole[k] = s_flap.per[k].sole_replies +
			  s_flood.per[k].sole_replies +
			  s_final.per[k].sole_replies;
		if (sole[k])
			taps++;
		diag_str(ctx->diag, NULL, "%s: %u (final pings: %u)",
			 ctx->nics[k].tap, sole[k],
			 s_final.per[k].sole_replies);
	}
	diag_end(ctx->diag);
	moves = s_flap.moves + s_flood.moves + s_final.moves;
	diag_int(ctx->diag, "reply_tap_changes", moves);
	if (taps < 2)
		case_fail(ctx, "%s: the replies left on %d tap%s only: the "
			  "traffic never moved between the bond's NICs",
			  ph->mode, taps, taps == 1 ? "" : "s");
	if (ph->active_backup && ph->actives->len < 2)
		case_fail(ctx, "%s: the active slave never changed (%u seen "
			  "in /proc/net/bonding/bond0)", ph->mode,
			  ph->actives->len);
	if (!ph->active_backup && s_final.taps_with_replies < 2)
		case_fail(ctx, "%s: the final replies left on %u tap%s, not "
			  "spread over the slaves", ph->mode,
			  s_final.taps_with_replies,
			  s_final.taps_with_replies == 1 ? "" : "s");
	diag_end(ctx->diag);
}

/* ---- the case ----------------------------------------------------------- */

static enum verdict bonding_run(struct case_ctx *ctx)
{
	const struct profile *p = ctx->prof;
	struct phase phases[2] = {
		{ .mode = "active-backup", .active_backup = true },
		{ .mode = "balance-rr" },
	};
	char host_tap[16], port_tap[16], cidr[32], err[ERRLEN];
	struct vlanhost *vh = NULL;
	struct vlanhost_stats vs = { 0 };
	struct proc_result r;
	uint16_t base = (uint16_t)g_random_int_range(1, 0xff00);
	int hfd, pfd, i;

	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "control", "SSH over the management NIC (%s), "
		 "which is never taken down", nic_model_libvirt(ctx->nics[NSLAVES].model));
	diag_str(ctx->diag, "setup", "bond0 over the %d %s NICs, VLAN %d on "
		 "top (%s), host end %s", NSLAVES,
		 nic_model_libvirt(ctx->cell->model), VID, GUEST_VIP, HOST_VIP);
	diag_str(ctx->diag, "flapping", "guest downs/ups its slaves, nicq "
		 "sets their links down/up through libvirt, during %d pings "
		 "and a %d s flood; loss then is measured, not judged",
		 p->bond_count, p->flood_seconds);
	diag_str(ctx->diag, "active-backup", "0 loss on the final %d pings; "
		 "the active slave changes; replies leave on at least two "
		 "taps", p->after_count);
	diag_str(ctx->diag, "balance-rr", "0 loss on the final %d pings; "
		 "the final replies leave on at least two taps (each slave "
		 "in turn)", p->after_count);
	diag_end(ctx->diag);

	/* the host's end of VLAN 20 (harness/vlanhost.h) */
	snprintf(host_tap, sizeof(host_tap), "nq%.6svh", ctx->lab->id);
	snprintf(port_tap, sizeof(port_tap), "nq%.6svb", ctx->lab->id);
	hfd = vlanhost_tap(host_tap, err);
	pfd = hfd < 0 ? -1 : vlanhost_tap(port_tap, err);
	if (hfd < 0 || pfd < 0 || vlanhost_start(hfd, pfd, VID, &vh, err) < 0) {
		if (hfd >= 0 && pfd < 0)
			close(hfd);
		case_fail(ctx, "cannot make the host's end of VLAN %d: %s",
			  VID, err);
		return V_FAIL;
	}
	snprintf(cidr, sizeof(cidr), "%s/24", HOST_VIP);
	{
		char *cmds[][8] = {
			{ "ip", "link", "set", port_tap, "master",
			  ctx->nics[0].bridge, NULL },
			{ "ip", "link", "set", port_tap, "up", NULL },
			{ "ip", "addr", "add", cidr, "dev", host_tap, NULL },
			{ "ip", "link", "set", host_tap, "up", NULL },
		};

		for (i = 0; i < (int)G_N_ELEMENTS(cmds); i++) {
			if (case_host_run(ctx, cmds[i], 10000, &r) < 0 ||
			    r.status != 0) {
				case_fail(ctx, "cannot set up the host's end "
					  "of VLAN %d: %s", VID, r.errout ?
					  g_strstrip(r.errout) : "");
				proc_result_clear(&r);
				goto out;
			}
			proc_result_clear(&r);
		}
	}

	for (i = 0; i < 2; i++) {
		phases[i].actives = g_ptr_array_new_with_free_func(g_free);
		phases[i].id_flap = (uint16_t)(base + 3 * i);
		phases[i].id_flood = (uint16_t)(base + 3 * i + 1);
		phases[i].id_final = (uint16_t)(base + 3 * i + 2);
		run_phase(ctx, &phases[i]);
	}
	vlanhost_get_stats(vh, &vs);
	case_captures_stop(ctx);

	diag_map(ctx->diag, "measured");
	diag_str(ctx->diag, "host_vlan_relay", "%llu frames tagged, %llu "
		 "untagged, %llu of other VLANs or untagged dropped, %llu "
		 "errors", (unsigned long long)vs.tagged,
		 (unsigned long long)vs.untagged,
		 (unsigned long long)vs.dropped,
		 (unsigned long long)vs.errors);
	for (i = 0; i < 2; i++)
		judge_phase(ctx, &phases[i]);
	diag_end(ctx->diag);
out:
	vlanhost_free(vh);	/* the taps vanish with their descriptors */
	for (i = 0; i < 2; i++)
		if (phases[i].actives)
			g_ptr_array_free(phases[i].actives, TRUE);
	return ctx->why->len ? V_FAIL : V_PASS;
}

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
	.plan = "Fedora vhost-net test plan, case 13 (bonding)",
	.capture_snaplen = 96,
	.topo = &bonding_topo,
	.run = bonding_run,
};
