/*
 * suspend.c - Fedora vhost-net plan case 10: suspend and resume.
 *
 * Control channel: the NIC under test goes through suspend and resume, so
 * the guest is driven over SSH on the management NIC (topo_with_mgmt: a
 * model other than the cell's, never captured or faulted).  The guest
 * console (a file) carries the markers that say how the guest came back.
 *
 * Before anything, the guest keeps evidence of this boot in memory: a
 * random token in a tmpfs file, a sleeping process with a random argument,
 * and the kernel's boot_id.  A resume keeps all three; a fresh boot has
 * none of them.
 *
 * S3: the guest writes "mem" to /sys/power/state (in the background, on
 * its own SSH connection); the domain must reach pmsuspended; nicq wakes it
 * through libvirt (virDomainPMWakeup); the write must then return 0 in the
 * guest, the evidence must be intact, `ethtool -i` on the NIC under test
 * must still name the model's driver (rtl8139: 8139cp, e1000: e1000,
 * virtio: virtio_net), the NIC's link must come back (carrier 1, operstate
 * up, within LINK_WAIT_S) and answer a ping, and then the host's pings
 * over that NIC (counted on its tap) must all be answered.
 *
 * S4: the guest has a sparse raw virtio disk (vda) that nicq created in the
 * case's folder; it makes it swap, sets /sys/power/disk to "shutdown" and
 * writes "disk" to /sys/power/state.  The kernel writes its image to the
 * swap (the swap header's signature becomes S1SUSPEND, read by nicq from
 * the file) and powers off, so the transient domain disappears.  nicq
 * starts the same domain again; /init (nicq.resume=/dev/vda) points the
 * kernel at the disk before touching anything else, and the kernel restores
 * the image.  The restored shell that wrote "disk" then prints
 * NICQ-RESUMED on the console.  A fresh boot instead prints
 * NICQ-FRESH-BOOT and NICQ-READY with a new host key.  After the resume:
 * the same evidence, driver and ping checks as after S3, with a new
 * capture (capture-<tap>-s4.pcap: the tap was re-created with the
 * domain).  If the guest kernel offers no S4, that is an observation and
 * S3 alone decides.
 *
 * Every check above is an expectation, scoped "before suspending", "s3"
 * or "s4"; durations, the hibernation modes the kernel offers and the
 * swap signature after the resume are observations.  The console of the
 * first boot, saved before the restart (console-before-s4.log), is
 * scanned for kernel trouble here, since the runner scans only the
 * console of the last boot.
 *
 * Negative controls: --inject s4-fresh-boot wipes the swap header before
 * the restart, so the guest boots fresh and the token, sleeper and boot_id
 * are gone; drop=100 loses the pings after S3 (and after S4): the link
 * comes up, the wait for an answer fails, and the judged pings, which run
 * anyway, find no reply on the tap.
 */
#include "case.h"
#include "fixture.h"
#include "resume.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DISK_MIB 384		/* >= guest RAM: any image fits */
#define PING_SIZE 56
#define HIBERNATE_S 180		/* writing the image, at most */
#define SAVED_CONSOLE "console-before-s4.log"
#define LINK_WAIT_S 30		/* carrier back after a resume, at most */
#define ANSWER_WAIT_S 15	/* then the first answer, at most */

/*
 * After a resume the NIC's driver brings its link back in its own time
 * (e1000 and 8139cp reset the chip; virtio_net re-reads its status): wait
 * for carrier 1 and operstate up, then for an answer, before the judged
 * pings, so they judge the NIC and not the moment it was asked.  The
 * pings run whatever the waits found: their loss is the verdict's reason.
 */
static void link_ready(struct case_ctx *ctx, const char *when)
{
	if (case_wait_link(ctx, ctx->nic, LINK_WAIT_S, when))
		case_wait_answer(ctx, ctx->nic, ANSWER_WAIT_S);
}

/* The driver the NIC under test binds in the guest. */
static const char *driver_of(const struct case_ctx *ctx)
{
	return model_info(ctx->nic->model)->driver;
}

/*
 * Read the evidence over ctx->ssh into e; -1 (error recorded) if the guest
 * did not answer or the command failed.  *ev gets its transcript line.
 */
static int evidence_read(struct case_ctx *ctx, long sleeper_pid,
			 struct resume_evidence *e, const char **ev)
{
	char *cmd = resume_evidence_cmd(ctx->nic->ifname, sleeper_pid);
	struct proc_result r;
	int rc = -1;

	if (case_guest_run(ctx, cmd, 20000, &r) == 0) {
		*ev = case_last_cmd(ctx);
		if (r.status == 0) {
			resume_evidence_parse(r.out, e);
			rc = 0;
		} else {
			case_error(ctx, "cannot read the resume evidence in "
				   "the guest: exit %d (%s)", r.status, *ev);
		}
	}
	proc_result_clear(&r);
	g_free(cmd);
	return rc;
}

/* What is measured but not compared. */
static void evidence_observe(struct case_ctx *ctx,
			     const struct resume_evidence *now)
{
	observe_str(ctx, "operstate of the NIC", "%s",
		    now->operstate ? now->operstate : "?");
	observe_str(ctx, "guest uptime (s)", "%s",
		    now->uptime ? now->uptime : "?");
}

/*
 * After a resume: this boot's evidence unchanged (a fresh boot has no
 * token and no sleeper, and a new boot_id), the NIC still bound to its
 * driver.
 */
static void evidence_judge(struct case_ctx *ctx,
			   const struct resume_evidence *before,
			   const struct resume_evidence *now, const char *ev)
{
	expect_str(ctx, "token in /tmp (tmpfs: kept only in memory)",
		   before->token, now->token, ev);
	expect_str(ctx, "kernel boot_id (changes on a new boot)",
		   before->boot_id, now->boot_id, ev);
	expect_str(ctx, "sleeping process, still running",
		   before->sleeper, now->sleeper, ev);
	expect_str(ctx, "driver of the NIC under test (ethtool -i)",
		   driver_of(ctx), now->driver, ev);
	evidence_observe(ctx, now);
}

/* The management NIC, which carries SSH. */
static const struct nic_under_test *mgmt_nic(const struct case_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->n_nics; i++)
		if (ctx->nics[i].mgmt)
			return &ctx->nics[i];
	return NULL;
}

/*
 * The kernel log of the first boot, kept from its console before the
 * restart: the runner scans only the console of the last boot.
 */
static void console_check(struct case_ctx *ctx, const char *path)
{
	char *text = NULL, err[ERRLEN];
	size_t len = 0;

	if (file_read(path, &text, &len, err) < 0) {
		case_error(ctx, "cannot read %s: %s", SAVED_CONSOLE, err);
		return;
	}
	case_klog_check(ctx, "console before hibernating", SAVED_CONSOLE,
			text, len);
	g_free(text);
}

/*
 * Wait for a background write to /sys/power/state (what) and judge that
 * it returned 0 after the guest came back.
 */
static void job_judge(struct case_ctx *ctx, struct sshc_job *job,
		      int timeout_ms, const char *what)
{
	const char *name = case_fmt(ctx, "exit status of writing '%s' to "
				    "/sys/power/state", what);
	struct proc_result r;
	char err[ERRLEN] = "";

	if (sshc_job_wait(job, timeout_ms, &r, err) < 0)
		expect_true(ctx, name, false, "0, after the guest came back",
			    case_fmt(ctx, "no answer: %s", err), NULL);
	else
		expect_eq(ctx, name, 0, r.status, case_last_cmd(ctx));
	proc_result_clear(&r);
}

/* The domain's state now, by name; NULL (error recorded) if unknown. */
static const char *state_now(struct case_ctx *ctx)
{
	char err[ERRLEN] = "";
	int st = guest_state(ctx->guest, err);

	if (st < 0) {
		case_error(ctx, "%s", err);
		return NULL;
	}
	return guest_state_name(st);
}

/*
 * S3, then the checks.  Returns whether the guest answered afterwards
 * (S4 makes sense only then).
 */
static bool s3(struct case_ctx *ctx, const struct resume_evidence *before,
	       long sleeper_pid)
{
	struct sshc_job *job = NULL;
	struct resume_evidence now = { 0 };
	char err[ERRLEN] = "";
	const char *ev = NULL, *st;
	bool up = false;
	int64_t t0;

	case_phase(ctx, "s3");
	case_scope(ctx, "s3");
	/* the write returns only after the wake-up */
	if (sshc_start(ctx->ssh, "sleep 1; echo mem > /sys/power/state && "
		       "echo woke", 10000, &job, err) < 0) {
		case_error(ctx, "cannot start the suspend: %s", err);
		goto out;
	}
	t0 = mono_ms();
	guest_wait_state(ctx->guest, VIR_DOMAIN_PMSUSPENDED, 30000, err);
	if (!(st = state_now(ctx)) ||
	    !expect_str(ctx, "domain state after writing 'mem' (libvirt)",
			guest_state_name(VIR_DOMAIN_PMSUSPENDED), st, NULL))
		goto out;
	observe_int(ctx, "time to pmsuspended", mono_ms() - t0, "ms");
	t0 = mono_ms();
	if (guest_pm_wakeup(ctx->guest, err) < 0) {
		case_error(ctx, "cannot wake the guest: %s", err);
		goto out;
	}
	guest_wait_state(ctx->guest, VIR_DOMAIN_RUNNING, 30000, err);
	if (!(st = state_now(ctx)) ||
	    !expect_str(ctx, "domain state after the wake-up (libvirt)",
			guest_state_name(VIR_DOMAIN_RUNNING), st, NULL))
		goto out;
	observe_int(ctx, "time to running after the wake-up", mono_ms() - t0,
		    "ms");
	job_judge(ctx, job, 30000, "mem");
	observe_int(ctx, "time to the write's return after the wake-up",
		    mono_ms() - t0, "ms");
	if (evidence_read(ctx, sleeper_pid, &now, &ev) < 0)
		goto out;
	up = true;
	evidence_judge(ctx, before, &now, ev);
	link_ready(ctx, "after the wake-up");
	/* stops the captures; the ping is judged from the tap */
	case_ping_judged(ctx, ctx->nic, case_param(ctx, &param_after_count),
			 PING_SIZE, "ping");
out:
	case_captures_stop(ctx);
	sshc_job_free(job);
	resume_evidence_clear(&now);
	case_scope(ctx, NULL);
	return up;
}

/*
 * Can this guest hibernate at all?  NULL if so, else why not (g_free()).
 * Prepares the swap on the way (-1 through *failed: error recorded).
 */
static char *s4_prepare(struct case_ctx *ctx, bool *failed)
{
	struct proc_result r;
	char *why = NULL, *state = NULL, *modes = NULL, *res;

	*failed = false;
	if (!ctx->guests[0].disk)
		return g_strdup("the guest has no disk to hibernate to");
	/* one word each (kv_get reads up to a blank): "freeze,mem,disk" */
	if (case_guest_run(ctx, "echo state=$(sed 's/ *$//; s/ /,/g' "
			   "/sys/power/state); "
			   "echo disk=$(sed 's/ *$//; s/ /,/g' /sys/power/disk); "
			   "echo resume=$(cat /sys/power/resume)", 15000,
			   &r) < 0) {
		*failed = true;
		return NULL;
	}
	state = kv_get(r.out, "state=");
	modes = kv_get(r.out, "disk=");
	res = kv_get(r.out, "resume=");
	observe_str(ctx, "/sys/power/state", "%s", state ? state : "");
	observe_str(ctx, "/sys/power/disk", "%s", modes ? modes : "");
	observe_str(ctx, "/sys/power/resume", "%s", res ? res : "");
	g_free(res);
	proc_result_clear(&r);
	if (!state || !strstr(state, "disk"))
		why = g_strdup_printf("the guest kernel offers no hibernation "
				      "(/sys/power/state: %s)",
				      state && *state ? state : "empty");
	else if (!modes || !strstr(modes, "shutdown"))
		why = g_strdup_printf("the guest kernel has no 'shutdown' "
				      "hibernation mode (/sys/power/disk: %s)",
				      modes && *modes ? modes : "empty");
	g_free(state);
	g_free(modes);
	if (why)
		return why;
	if (case_guest_run(ctx, "mkswap /dev/vda && swapon /dev/vda && "
			   "cat /proc/swaps", 30000, &r) < 0) {
		*failed = true;
	} else if (r.status) {
		case_error(ctx, "cannot make /dev/vda swap: exit %d: %s (%s)",
			   r.status, g_strstrip(r.errout), case_last_cmd(ctx));
		*failed = true;
	}
	proc_result_clear(&r);
	return NULL;
}

/* After the restart: log in again (the old session usually survives). */
static int s4_reconnect(struct case_ctx *ctx)
{
	const struct nic_under_test *m = mgmt_nic(ctx);
	struct proc_result r;
	struct sshc *s = NULL;
	char err[ERRLEN] = "";
	bool alive;

	alive = sshc_run(ctx->ssh, "true", NULL, 0, 15000, &r, err) == 0 &&
		r.status == 0;
	proc_result_clear(&r);
	observe_str(ctx, "SSH session of the first boot", "%s",
		    alive ? "survived" : "gone, logged in again");
	if (alive)
		return 0;
	if (!m || sshc_connect(m->ip, 22, ctx->guest->hostkey, ctx->ident,
			       30000, &s, err) < 0) {
		case_error(ctx, "cannot log in again after the restart: %s",
			   m ? err : "no management NIC");
		return -1;
	}
	sshc_set_transcript(s, ctx->transcript);
	sshc_free(ctx->guests[0].ssh);
	ctx->guests[0].ssh = ctx->ssh = s;	/* the runner frees it */
	return 0;
}

/* Poll until the domain is off, the guest says the write failed, or
 * HIBERNATE_S passed.  The state's name, or NULL (error recorded). */
static const char *s4_wait_off(struct case_ctx *ctx)
{
	int64_t deadline = mono_ms() + HIBERNATE_S * 1000;
	char err[ERRLEN] = "";

	for (;;) {
		char *text = NULL;
		bool failed = false;
		int st = guest_state(ctx->guest, err);

		if (st < 0) {
			case_error(ctx, "%s", err);
			return NULL;
		}
		if (st == VIR_DOMAIN_SHUTOFF)
			return guest_state_name(st);
		if (file_read(ctx->guests[0].console, &text, NULL, NULL) == 0)
			failed = strstr(text, "NICQ-S4-FAILED") != NULL;
		g_free(text);
		if (failed) {
			observe_str(ctx, "the guest's console says",
				    "NICQ-S4-FAILED: writing 'disk' to "
				    "/sys/power/state failed");
			return guest_state_name(st);
		}
		if (interrupted() || deadline_left(deadline) == 0)
			return guest_state_name(st);
		g_usleep(200000);
	}
}

static void s4(struct case_ctx *ctx, const struct resume_evidence *before,
	       long sleeper_pid)
{
	const char *disk = ctx->guests[0].disk, *st, *ev = NULL, *how;
	struct sshc_job *job = NULL;
	struct resume_evidence now = { 0 };
	char err[ERRLEN] = "", *why, *saved = NULL, sig[11] = "";
	const char *sig_ev = case_fmt(ctx, "disk.raw (bytes %d..%d: the swap "
				      "header's signature)",
				      SWSUSP_SIG_OFFSET,
				      SWSUSP_SIG_OFFSET + 9);
	bool failed;
	int64_t t0;
	int rc;

	case_phase(ctx, "s4");
	case_scope(ctx, "s4");
	why = s4_prepare(ctx, &failed);
	if (why) {
		/* an observation: S3 still gives the verdict */
		observe_str(ctx, "hibernation not possible", "%s", why);
		g_free(why);
		goto out;
	}
	if (failed)
		goto out;
	if (sshc_start(ctx->ssh, "sleep 1; echo shutdown > /sys/power/disk "
		       "&& echo disk > /sys/power/state && echo NICQ-RESUMED "
		       ">/dev/ttyS0 && echo resumed || echo NICQ-S4-FAILED "
		       ">/dev/ttyS0", 10000, &job, err) < 0) {
		case_error(ctx, "cannot start the hibernation: %s", err);
		goto out;
	}
	/* the guest writes its image and powers off */
	t0 = mono_ms();
	if (!(st = s4_wait_off(ctx)))
		goto out;
	if (!expect_str(ctx, case_fmt(ctx, "domain state within %d s of "
				      "writing 'disk' (libvirt)",
				      HIBERNATE_S),
			guest_state_name(VIR_DOMAIN_SHUTOFF), st, "console.log"))
		goto out;
	observe_int(ctx, "time to power-off (image written)", mono_ms() - t0,
		    "ms");
	if (swsusp_signature(disk, sig, err) < 0) {
		case_error(ctx, "%s", err);
		goto out;
	}
	expect_str(ctx, "swap signature after hibernating (an image)",
		   SWSUSP_HIBERNATED, sig, sig_ev);
	saved = g_build_filename(ctx->dir, SAVED_CONSOLE, NULL);
	if (rename(ctx->guests[0].console, saved) < 0)
		case_error(ctx, "cannot keep the console log as %s: %s",
			   SAVED_CONSOLE, strerror(errno));
	else
		console_check(ctx, saved);
	if (ctx->fault->s4_fresh_boot) {
		if (swsusp_wipe(disk, err) < 0) {
			case_error(ctx, "%s", err);
			goto out;
		}
		observe_str(ctx, "injected fault", "s4-fresh-boot: the swap "
			    "header page of disk.raw zeroed before the "
			    "restart");
	}

	/* start it again; it must resume, not boot */
	case_phase(ctx, "s4 restart");
	t0 = mono_ms();
	if (guest_restart(ctx->guest, err) < 0) {
		case_error(ctx, "%s", err);
		goto out;
	}
	if (case_capture_rotate(ctx, "s4") < 0)
		goto out;
	rc = guest_wait_resume(ctx->guest, "NICQ-RESUMED",
			       case_param(ctx, &param_boot_timeout) * 1000,
			       err);
	how = rc > 0 ? "resumed its image (NICQ-RESUMED on the console)" :
	      rc == 0 ? "booted afresh (NICQ-READY on the console)" :
	      case_fmt(ctx, "neither: %s", err);
	expect_str(ctx, "how the guest came back after the restart",
		   "resumed its image (NICQ-RESUMED on the console)", how,
		   "console.log");
	if (rc < 0)
		goto out;
	observe_int(ctx, rc ? "time from the restart to the resume" :
		    "time from the restart to the fresh boot", mono_ms() - t0,
		    "ms");
	if (rc)
		job_judge(ctx, job, 30000, "disk");
	if (s4_reconnect(ctx) < 0)
		goto out;
	if (evidence_read(ctx, sleeper_pid, &now, &ev) == 0)
		evidence_judge(ctx, before, &now, ev);
	/* a resuming kernel puts the swap's own signature back */
	if (swsusp_signature(disk, sig, err) == 0)
		observe_str(ctx, "swap signature after the restart", "%s",
			    sig);
	link_ready(ctx, "after the resume");
	case_ping_judged(ctx, ctx->nic, case_param(ctx, &param_after_count),
			 PING_SIZE, "ping");
out:
	sshc_job_free(job);
	resume_evidence_clear(&now);
	g_free(saved);
	case_scope(ctx, NULL);
}

static void suspend_run(struct case_ctx *ctx)
{
	struct resume_evidence before = { 0 };
	struct proc_result r;
	const char *ev = NULL;
	char *token, *cmd;
	long long sleeper_pid = -1;
	unsigned secs = 1000000u + (unsigned)g_random_int_range(0, 8999999);

	token = g_strdup_printf("%08x%08x%08x%08x", g_random_int(),
				g_random_int(), g_random_int(),
				g_random_int());

	/* what this boot keeps in memory */
	case_phase(ctx, "before suspending");
	case_scope(ctx, "before suspending");
	cmd = g_strdup_printf("echo %s > /tmp/nicq-token && "
			      "{ setsid sleep %u </dev/null >/dev/null 2>&1 & "
			      "echo pid=$!; }", token, secs);
	if (case_guest_run(ctx, cmd, 15000, &r) == 0 &&
	    (r.status != 0 ||
	     kv_get_int(r.out, "pid=", 1, 1 << 22, &sleeper_pid) < 0))
		case_error(ctx, "cannot leave the token and the sleeping "
			   "process in the guest (%s)", case_last_cmd(ctx));
	proc_result_clear(&r);
	g_free(cmd);
	if (sleeper_pid > 0 &&
	    evidence_read(ctx, (long)sleeper_pid, &before, &ev) == 0) {
		expect_str(ctx, "token in /tmp", token, before.token, ev);
		expect_str(ctx, "sleeping process",
			   case_fmt(ctx, "sleep %u", secs), before.sleeper,
			   ev);
		expect_str(ctx, "driver of the NIC under test (ethtool -i)",
			   driver_of(ctx), before.driver, ev);
		observe_str(ctx, "kernel boot_id", "%s",
			    before.boot_id ? before.boot_id : "?");
		evidence_observe(ctx, &before);
	}
	case_scope(ctx, NULL);
	if (!case_failed(ctx) && s3(ctx, &before, (long)sleeper_pid))
		s4(ctx, &before, (long)sleeper_pid);
	resume_evidence_clear(&before);
	g_free(token);
}

/*
 * A quick run took 86 s under TCG, 50 s of it the restart.  The bound
 * keeps the case's own waits inside it, so they report rather than the
 * deadline: S3's (3 x 30 s), S4's hibernation (HIBERNATE_S), the restart
 * (the boot time-out), logging in again, and the pings.
 */
static int suspend_deadline(const struct profile *p)
{
	return 240 + HIBERNATE_S + prof_int(p, &param_boot_timeout) +
	       2 * (LINK_WAIT_S + ANSWER_WAIT_S) +
	       2 * prof_int(p, &param_after_count);
}

static const struct param *const suspend_params[] = {
	&param_after_count, &param_boot_timeout, NULL,
};

const struct case_desc case_suspend = {
	.name = "suspend",
	.summary = "S3 (pmsuspended, woken through libvirt) and S4 (image to "
		   "a swap disk, power off, restart, resume): the guest keeps "
		   "its memory, the NIC keeps its driver and answers pings",
	.plan_case = 10,
	.plan = "suspend/resume",
	.topo = &topo_with_mgmt,
	.disk_mib = DISK_MIB,
	.params = suspend_params,
	.deadline_s = suspend_deadline,
	.controls = {
		{ "s4-fresh-boot", "rtl8139",
		  "s4: how the guest came back after the restart" },
		{ "drop=100", "virtio", "s3: ping: echo replies on *" },
	},
	.run = suspend_run,
};
