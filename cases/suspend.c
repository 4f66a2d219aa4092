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
 * virtio: virtio_net), and the host's pings over that NIC (counted on its
 * tap) must all be answered.
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
 * capture (the tap was re-created with the domain).
 *
 * Negative controls: --inject s4-fresh-boot wipes the swap header before
 * the restart, so the guest boots fresh and the token, sleeper and boot_id
 * are gone; drop=PCT loses the pings after S3.
 */
#include "case.h"
#include "capture.h"
#include "klog.h"
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

/* Read the evidence over ctx->ssh; -1 if the guest did not answer. */
static int evidence_read(struct case_ctx *ctx, long sleeper_pid,
			 struct resume_evidence *e)
{
	char *cmd = resume_evidence_cmd(ctx->nic->ifname, sleeper_pid);
	struct proc_result r;
	int rc = -1;

	if (case_guest_run(ctx, cmd, 20000, &r) == 0 && r.status == 0) {
		resume_evidence_parse(r.out, e);
		rc = 0;
	}
	proc_result_clear(&r);
	g_free(cmd);
	return rc;
}

/* Record now, and fail on each difference from before (resume_judge). */
static void evidence_judge(struct case_ctx *ctx, const char *phase,
			   const struct resume_evidence *before,
			   const struct resume_evidence *now)
{
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	guint i;

	diag_str(ctx->diag, "token", "%s", now->token ? now->token : "(gone)");
	diag_str(ctx->diag, "boot_id", "%s",
		 now->boot_id ? now->boot_id : "?");
	diag_str(ctx->diag, "sleeper", "%s",
		 now->sleeper ? now->sleeper : "(gone)");
	diag_str(ctx->diag, "driver", "%s", now->driver ? now->driver :
		 "(none)");
	diag_str(ctx->diag, "operstate", "%s", now->operstate ?
		 now->operstate : "?");
	diag_str(ctx->diag, "uptime_s", "%s", now->uptime ? now->uptime : "?");
	resume_judge(phase, before, now, resume_driver_of(ctx->nic->model),
		     problems);
	for (i = 0; i < problems->len; i++)
		case_fail(ctx, "%s", (const char *)problems->pdata[i]);
	g_ptr_array_free(problems, TRUE);
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

/* Scan a saved console log for kernel trouble, like run.c does. */
static void console_check(struct case_ctx *ctx, const char *path,
			  const char *what)
{
	GPtrArray *hits = NULL;
	char err[ERRLEN];

	if (klog_scan_file(path, &hits, err) < 0) {
		case_fail(ctx, "cannot scan %s: %s", path, err);
		return;
	}
	diag_int(ctx->diag, what, hits->len);
	if (hits->len) {
		const struct klog_hit *h = hits->pdata[0];

		case_fail(ctx, "%s shows %u kernel problem%s, first: line %u: "
			  "%s", path, hits->len, hits->len == 1 ? "" : "s",
			  h->line, h->text);
	}
	klog_hits_free(hits);
}

/* Start a new capture on the NIC under test's (re-created) tap. */
static int capture_again(struct case_ctx *ctx, const char *suffix)
{
	struct nic_under_test *n = ctx->nic;
	char err[ERRLEN];
	char *path = g_strdup_printf("%s/capture-%s-%s.pcap", ctx->dir, n->tap,
				     suffix);

	if (capture_start(n->tap, path, ctx->desc->capture_snaplen, &n->cap,
			  err) < 0) {
		case_fail(ctx, "%s", err);
		g_free(path);
		return -1;
	}
	g_free(n->pcap);
	n->pcap = path;	/* transferred; run.c lists and frees it */
	return 0;
}

/* Wait for a background job, record its status; true if it printed want. */
static bool job_done(struct case_ctx *ctx, struct sshc_job *job,
		     int timeout_ms, const char *key, const char *want)
{
	struct proc_result r;
	char err[ERRLEN] = "";
	bool ok = false;

	if (sshc_job_wait(job, timeout_ms, &r, err) < 0) {
		diag_str(ctx->diag, key, "no answer: %s", err);
	} else {
		ok = r.status == 0 && strstr(r.out, want);
		diag_str(ctx->diag, key, "exit %d%s%s", r.status,
			 r.errout && r.errout[0] ? ": " : "",
			 r.errout ? g_strstrip(r.errout) : "");
	}
	proc_result_clear(&r);
	return ok;
}

static void s3(struct case_ctx *ctx, const struct resume_evidence *before,
	       long sleeper_pid)
{
	struct sshc_job *job = NULL;
	struct resume_evidence now = { 0 };
	char err[ERRLEN] = "";
	int64_t t0;
	int count = ctx->prof->after_count;
	uint16_t id;

	diag_map(ctx->diag, "s3");
	/* the write returns only after the wake-up */
	if (sshc_start(ctx->ssh, "sleep 1; echo mem > /sys/power/state && "
		       "echo woke", 10000, &job, err) < 0) {
		case_fail(ctx, "S3: %s", err);
		goto out;
	}
	t0 = mono_ms();
	if (guest_wait_state(ctx->guest, VIR_DOMAIN_PMSUSPENDED, 30000,
			     err) < 0) {
		case_fail(ctx, "S3: %s", err);
		goto out;
	}
	diag_str(ctx->diag, "state", "%s",
		 guest_state_name(VIR_DOMAIN_PMSUSPENDED));
	diag_int(ctx->diag, "suspend_ms", mono_ms() - t0);
	t0 = mono_ms();
	if (guest_pm_wakeup(ctx->guest, err) < 0 ||
	    guest_wait_state(ctx->guest, VIR_DOMAIN_RUNNING, 30000, err) < 0) {
		case_fail(ctx, "S3: %s", err);
		goto out;
	}
	diag_int(ctx->diag, "wakeup_ms", mono_ms() - t0);
	if (!job_done(ctx, job, 30000, "mem_write", "woke"))
		case_fail(ctx, "S3: writing 'mem' to /sys/power/state did not "
			  "return 0 after the wake-up");
	diag_int(ctx->diag, "resumed_ms", mono_ms() - t0);
	if (evidence_read(ctx, sleeper_pid, &now) < 0)
		case_fail(ctx, "S3: the guest does not answer after the "
			  "wake-up");
	else
		evidence_judge(ctx, "after S3", before, &now);
	id = case_ping_host(ctx, ctx->nic, count, PING_SIZE);
	case_captures_stop(ctx);
	case_ping_judge(ctx, ctx->nic, id, count, "ping_after_s3");
	diag_str(ctx->diag, "capture_file", "%s", ctx->nic->pcap);
out:
	case_captures_stop(ctx);
	sshc_job_free(job);
	resume_evidence_clear(&now);
	diag_end(ctx->diag);
}

/*
 * Can this guest hibernate at all?  NULL if so, else why not (g_free()).
 * Prepares the swap on the way.
 */
static char *s4_prepare(struct case_ctx *ctx)
{
	struct proc_result r;
	char *why = NULL, *state = NULL, *modes = NULL;

	if (!ctx->guests[0].disk)
		return g_strdup("the guest has no disk to hibernate to");
	if (case_guest_run(ctx, "echo state=$(cat /sys/power/state); "
			   "echo disk=$(cat /sys/power/disk); "
			   "echo resume=$(cat /sys/power/resume)", 15000,
			   &r) < 0) {
		proc_result_clear(&r);
		return g_strdup("the guest does not answer");
	}
	state = resume_kv(r.out, "state");
	modes = resume_kv(r.out, "disk");
	diag_str(ctx->diag, "sys_power_state", "%s", state ? state : "");
	diag_str(ctx->diag, "sys_power_disk", "%s", modes ? modes : "");
	{
		char *res = resume_kv(r.out, "resume");

		diag_str(ctx->diag, "sys_power_resume", "%s", res ? res : "");
		g_free(res);
	}
	proc_result_clear(&r);
	if (!state || !strstr(state, "disk"))
		why = g_strdup_printf("the guest kernel offers no hibernation "
				      "(/sys/power/state: %s)",
				      state ? state : "empty");
	else if (!modes || !strstr(modes, "shutdown"))
		why = g_strdup_printf("the guest kernel has no 'shutdown' "
				      "hibernation mode (/sys/power/disk: %s)",
				      modes ? modes : "empty");
	g_free(state);
	g_free(modes);
	if (why)
		return why;
	if (case_guest_run(ctx, "mkswap /dev/vda && swapon /dev/vda && "
			   "cat /proc/swaps", 30000, &r) < 0 || r.status) {
		case_fail(ctx, "S4: cannot make /dev/vda swap: %s",
			  r.errout ? g_strstrip(r.errout) : "no answer");
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
	diag_bool(ctx->diag, "ssh_session_survived", alive);
	if (alive)
		return 0;
	if (!m || sshc_connect(m->ip, 22, ctx->guest->hostkey, ctx->ident,
			       30000, &s, err) < 0) {
		case_fail(ctx, "S4: cannot log in again: %s",
			  m ? err : "no management NIC");
		return -1;
	}
	sshc_set_transcript(s, ctx->transcript);
	sshc_free(ctx->guests[0].ssh);
	ctx->guests[0].ssh = ctx->ssh = s;	/* run.c frees it */
	return 0;
}

static void s4(struct case_ctx *ctx, const struct resume_evidence *before,
	       long sleeper_pid)
{
	const char *disk = ctx->guests[0].disk;
	struct sshc_job *job = NULL;
	struct resume_evidence now = { 0 };
	char err[ERRLEN] = "", *why, *saved = NULL, sig[11] = "";
	int64_t t0, deadline;
	int count = ctx->prof->after_count, st, rc;
	uint16_t id;

	diag_map(ctx->diag, "s4");
	why = s4_prepare(ctx);
	if (why) {
		/* an observation: S3 still gives the verdict */
		diag_str(ctx->diag, "not_possible", "%s", why);
		g_free(why);
		goto out;
	}
	if (ctx->why->len)
		goto out;
	if (sshc_start(ctx->ssh, "sleep 1; echo shutdown > /sys/power/disk "
		       "&& echo disk > /sys/power/state && echo NICQ-RESUMED "
		       ">/dev/ttyS0 && echo resumed || echo NICQ-S4-FAILED "
		       ">/dev/ttyS0", 10000, &job, err) < 0) {
		case_fail(ctx, "S4: %s", err);
		goto out;
	}
	/* the guest writes its image and powers off */
	t0 = mono_ms();
	deadline = t0 + 180000;
	for (;;) {
		char *text = NULL;

		st = guest_state(ctx->guest, err);
		if (st < 0 || st == VIR_DOMAIN_SHUTOFF)
			break;
		if (file_read(ctx->guests[0].console, &text, NULL, NULL) == 0 &&
		    strstr(text, "NICQ-S4-FAILED")) {
			g_free(text);
			case_fail(ctx, "S4: writing 'disk' to /sys/power/state "
				  "failed in the guest (see the console)");
			goto out;
		}
		g_free(text);
		if (interrupted() || deadline_left(deadline) == 0) {
			case_fail(ctx, "S4: the guest did not power off within "
				  "180 s (still %s)", guest_state_name(st));
			goto out;
		}
		usleep(200000);
	}
	if (st < 0) {
		case_fail(ctx, "S4: %s", err);
		goto out;
	}
	diag_int(ctx->diag, "hibernate_ms", mono_ms() - t0);
	diag_str(ctx->diag, "state", "%s", guest_state_name(st));
	if (swsusp_signature(disk, sig, err) < 0) {
		case_fail(ctx, "S4: %s", err);
		goto out;
	}
	diag_str(ctx->diag, "swap_signature", "%s", sig);
	if (strcmp(sig, SWSUSP_HIBERNATED))
		case_fail(ctx, "S4: the swap holds no hibernation image "
			  "(signature '%s', expected %s)", sig,
			  SWSUSP_HIBERNATED);
	saved = g_strdup_printf("%s/console-before-s4.log", ctx->dir);
	if (rename(ctx->guests[0].console, saved) < 0)
		case_fail(ctx, "cannot keep the console log: %s",
			  strerror(errno));
	else
		console_check(ctx, saved, "console_before_s4_problems");
	if (ctx->fault->s4_fresh_boot) {
		if (swsusp_wipe(disk, err) < 0) {
			case_fail(ctx, "%s", err);
			goto out;
		}
		diag_str(ctx->diag, "injected_fault", "s4-fresh-boot: the swap "
			 "header page of %s zeroed before the restart", disk);
	}

	/* start it again; it must resume, not boot */
	t0 = mono_ms();
	if (guest_restart(ctx->guest, err) < 0) {
		case_fail(ctx, "S4: %s", err);
		goto out;
	}
	capture_again(ctx, "after-s4");
	rc = guest_wait_resume(ctx->guest, "NICQ-RESUMED",
			       ctx->prof->boot_timeout_s * 1000, err);
	if (rc < 0) {
		case_fail(ctx, "S4: %s", err);
		goto out;
	}
	diag_int(ctx->diag, "restart_to_resumed_ms", mono_ms() - t0);
	diag_str(ctx->diag, "came_back_by", "%s", rc ? "resume (NICQ-RESUMED "
		 "on the console)" : "a fresh boot (NICQ-READY on the "
		 "console)");
	if (!rc)
		case_fail(ctx, "S4: the guest booted afresh instead of "
			  "resuming its image");
	if (rc && !job_done(ctx, job, 30000, "disk_write", "resumed"))
		case_fail(ctx, "S4: writing 'disk' to /sys/power/state did not "
			  "return 0 after the resume");
	if (s4_reconnect(ctx) < 0)
		goto out;
	if (evidence_read(ctx, sleeper_pid, &now) < 0)
		case_fail(ctx, "S4: the guest does not answer after the "
			  "restart");
	else
		evidence_judge(ctx, "after S4", before, &now);
	/* a resuming kernel puts the swap's own signature back */
	if (swsusp_signature(disk, sig, err) == 0)
		diag_str(ctx->diag, "swap_signature_after", "%s", sig);
	id = case_ping_host(ctx, ctx->nic, count, PING_SIZE);
	case_captures_stop(ctx);
	case_ping_judge(ctx, ctx->nic, id, count, "ping_after_s4");
	diag_str(ctx->diag, "capture_file", "%s", ctx->nic->pcap);
out:
	sshc_job_free(job);
	resume_evidence_clear(&now);
	g_free(saved);
	diag_end(ctx->diag);
}

static enum verdict suspend_run(struct case_ctx *ctx)
{
	struct resume_evidence before = { 0 };
	struct proc_result r;
	char *token, *cmd;
	long sleeper_pid = -1;
	unsigned secs = 1000000u + (unsigned)g_random_int_range(0, 8999999);

	token = g_strdup_printf("%08x%08x%08x%08x", g_random_int(),
				g_random_int(), g_random_int(),
				g_random_int());
	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "control", "SSH over the management NIC (%s); "
		 "the NIC under test is only suspended and pinged",
		 mgmt_nic(ctx) ? nic_model_libvirt(mgmt_nic(ctx)->model) :
		 "?");
	diag_str(ctx->diag, "driver", "%s", resume_driver_of(ctx->nic->model));
	diag_str(ctx->diag, "s3", "domain pmsuspended, woken through libvirt; "
		 "token, sleeper and boot_id kept; %d pings, 0 lost",
		 ctx->prof->after_count);
	diag_str(ctx->diag, "s4", "image written to the swap (S1SUSPEND), "
		 "domain off, started again, resumed (not booted): token, "
		 "sleeper and boot_id kept; %d pings, 0 lost",
		 ctx->prof->after_count);
	diag_end(ctx->diag);

	/* what this boot keeps in memory */
	cmd = g_strdup_printf("echo %s > /tmp/nicq-token && "
			      "{ setsid sleep %u </dev/null >/dev/null 2>&1 & "
			      "echo pid=$!; }", token, secs);
	if (case_guest_run(ctx, cmd, 15000, &r) == 0 && r.status == 0) {
		char *p = resume_kv(r.out, "pid");

		sleeper_pid = p ? strtol(p, NULL, 10) : -1;
		g_free(p);
	}
	proc_result_clear(&r);
	g_free(cmd);
	diag_map(ctx->diag, "before");
	if (sleeper_pid <= 0 || evidence_read(ctx, sleeper_pid, &before) < 0 ||
	    g_strcmp0(before.token, token)) {
		case_fail(ctx, "cannot leave the token in the guest");
	} else {
		char *want = g_strdup_printf("sleep %u", secs);

		evidence_judge(ctx, "before suspending", &before, &before);
		if (g_strcmp0(before.sleeper, want))
			case_fail(ctx, "the sleeping process shows '%s', "
				  "expected '%s'", before.sleeper ?
				  before.sleeper : "", want);
		g_free(want);
	}
	diag_end(ctx->diag);
	if (!ctx->why->len)
		s3(ctx, &before, sleeper_pid);
	if (!ctx->why->len)
		s4(ctx, &before, sleeper_pid);
	resume_evidence_clear(&before);
	g_free(token);
	return ctx->why->len ? V_FAIL : V_PASS;
}

const struct case_desc case_suspend = {
	.name = "suspend",
	.summary = "S3 (pmsuspended, woken through libvirt) and S4 (image to "
		   "a swap disk, power off, restart, resume): the guest keeps "
		   "its memory, the NIC keeps its driver and answers pings",
	.plan = "Fedora vhost-net test plan, case 10 (suspend/resume)",
	.topo = &topo_with_mgmt,
	.disk_mib = DISK_MIB,
	.run = suspend_run,
};
