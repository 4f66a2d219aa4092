/* runner.c - see runner.h. */
#include "runner.h"
#include "compare.h"
#include "fixture.h"
#include "hostprobe.h"
#include "point.h"
#include "progress.h"
#include "report.h"
#include "runinfo.h"
#include "ssh.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A point's process that ignores SIGTERM gets SIGKILL after this. */
#define KILL_GRACE_MS 15000
/* An interrupted point may take this long to tear itself down. */
#define INTERRUPT_GRACE_MS 60000

int run_cells(const struct run_opts *opts, struct cell *cells,
	      bool vhost_ok, const char *vhost_reason)
{
	int m, v, n = 0;

	for (m = 0; m < NIC_MODEL_COUNT; m++) {
		for (v = 0; v < 2; v++) {
			struct cell *c;

			if (!opts->model[m] || !opts->vhost[v])
				continue;
			c = &cells[n++];
			memset(c, 0, sizeof(*c));
			c->model = (enum nic_model)m;
			c->vhost = v == 1;
			snprintf(c->name, sizeof(c->name), "%s vhost=%s",
				 model_name(c->model), v ? "on" : "off");
			snprintf(c->slug, sizeof(c->slug), "%s-vhost-%s",
				 model_name(c->model), v ? "on" : "off");
			if (c->vhost && !vhost_ok)
				c->skip = vhost_reason;
			else if (c->vhost && m != NIC_VIRTIO)
				c->skip = "vhost-net backs only virtio-net; "
					  "this model has no vhost backend";
			else if (opts->uri == NULL && !host_has_model(c->model))
				c->skip = "the host QEMU lacks this NIC model";
		}
	}
	return n;
}

const char *run_point_skip(const struct cell *c, const struct case_desc *cd)
{
	if (c->skip)
		return c->skip;
	if (cd->only_model && *cd->only_model != (int)c->model)
		return cd->skip_reason;
	return NULL;
}

/* ---- one point -------------------------------------------------------- */

struct runner {
	const struct run_opts *opts;
	struct run_env env;
	struct tap *tap;
	char *run_dir;
	unsigned n_points;
	bool bail;
	char bail_why[ERRLEN];
	const char *bail_cell, *bail_case;	/* the point it bailed in */
};

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* The point's process: fixture, case, teardown; never returns. */
static void point_child(struct runner *rn, const struct cell *cell,
			const struct case_desc *cd, unsigned n,
			const char *dir, const char *journal)
{
	struct point *p = point_new();
	char err[ERRLEN];
	int fd;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* stdout carries only TAP, which is the parent's to write */
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	interrupt_install();
	if (point_journal_open(p, journal, err) < 0)
		_exit(3);
	if (lab_child_reconnect(rn->env.lab, err) < 0) {
		point_error(p, NULL, err);
		_exit(0);
	}
	fixture_run_point(&rn->env, cell, cd, n, dir, p);
	point_journal_close(p);
	_exit(0);
}

/*
 * Wait for the point's process until it ends, killing its group past the
 * deadline or on an interruption.  Returns its wait status; *timed_out
 * says the deadline ended it.
 */
static int point_wait(pid_t pid, int deadline_s, bool *timed_out)
{
	int64_t deadline = mono_ms() + (int64_t)deadline_s * 1000, kill_at = 0;
	bool stopping = false;
	int fd = pidfd_open_(pid), st = 0;

	*timed_out = false;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			break;
		if (!stopping && interrupted()) {
			kill(-pid, SIGTERM);
			stopping = true;
			kill_at = mono_ms() + INTERRUPT_GRACE_MS;
		}
		if (!stopping && deadline_left(deadline) == 0) {
			*timed_out = true;
			stopping = true;
			kill(-pid, SIGTERM);
			kill_at = mono_ms() + KILL_GRACE_MS;
		}
		if (stopping && mono_ms() >= kill_at) {
			kill(-pid, SIGKILL);
			kill_at = mono_ms() + 3600000;
		}
		progress_tick();
		if (fd >= 0)
			poll(&pfd, 1, 200);
		else
			usleep(50000);
	}
	if (fd >= 0)
		close(fd);
	kill(-pid, SIGKILL);	/* anything left in its group */
	return st;
}

/* Record in p how its process ended, when that was not normal. */
static void point_ended(struct point *p, int st, bool timed_out,
			int deadline_s)
{
	const char *phase = point_last_phase(p) ? point_last_phase(p) :
			    "starting";
	char *msg = NULL;

	if (timed_out)
		msg = g_strdup_printf("timed out after %d s while %s",
				      deadline_s, phase);
	else if (WIFSIGNALED(st) && !interrupted())
		msg = g_strdup_printf("the point's process was killed by "
				      "signal %d while %s", WTERMSIG(st),
				      phase);
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		msg = g_strdup_printf("the point's process exited with status "
				      "%d while %s", WEXITSTATUS(st), phase);
	if (msg)
		point_error(p, NULL, msg);
	g_free(msg);
}

/* Make the point's folder, fresh: it must not exist yet. */
static int point_dir(const char *run_dir, const struct cell *cell,
		     const struct case_desc *cd, char **out, char *err)
{
	char *celldir = g_build_filename(run_dir, cell->slug, NULL);
	char *dir = g_build_filename(celldir, cd->name, NULL);

	if ((mkdir(celldir, 0755) < 0 && errno != EEXIST) ||
	    mkdir(dir, 0755) < 0) {
		err_set(err, "cannot create '%s': %s", dir, strerror(errno));
		g_free(celldir);
		g_free(dir);
		return -1;
	}
	g_free(celldir);
	*out = dir;
	return 0;
}

static enum tap_result tap_of(enum verdict v)
{
	switch (v) {
	case V_PASS:
		return TAP_OK;
	case V_SKIP:
		return TAP_SKIP;
	case V_KNOWN:
		return TAP_TODO;
	case V_FAIL:
		break;
	}
	return TAP_NOT_OK;
}

/*
 * Run one point; false when the run must stop (lab failed, interrupted):
 * rn->bail says why, and the point is not reported.
 */
static bool run_point(struct runner *rn, const struct cell *cell,
		      const struct case_desc *cd, bool *failed)
{
	const struct run_opts *o = rn->opts;
	unsigned n = ++rn->n_points;
	int deadline = fixture_deadline_s(cd, &o->prof);
	struct point *p = point_new();
	struct diag *d;
	char *dir = NULL, *journal = NULL, *result = NULL, err[ERRLEN];
	int64_t t0 = mono_ms();
	enum verdict v;
	bool timed_out;
	pid_t pid;
	int st;

	if (point_dir(rn->run_dir, cell, cd, &dir, err) < 0) {
		g_strlcpy(rn->bail_why, err, sizeof(rn->bail_why));
		rn->bail = true;
		goto out;
	}
	point_set_identity(p, cd->name, cd->plan_case, cd->summary,
			   cell->name, model_name(cell->model), cell->vhost,
			   dir, deadline);
	journal = g_build_filename(dir, "records.jsonl", NULL);
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		point_child(rn, cell, cd, n, dir, journal);
	if (pid < 0) {
		err_set(rn->bail_why, "cannot fork: %s", strerror(errno));
		rn->bail = true;
		goto out;
	}
	setpgid(pid, pid);	/* either side may win the race */
	progress_point_begin(cell, cd, journal, deadline);
	st = point_wait(pid, deadline, &timed_out);
	progress_point_end();
	/* the child's records first, then how it ended */
	if (point_journal_replay(p, journal, err) < 0)
		point_error(p, NULL, err);
	point_ended(p, st, timed_out, deadline);
	if (interrupted()) {
		err_set(rn->bail_why, "interrupted by signal %d",
			interrupt_signal());
		rn->bail = true;
	} else if (lab_check(rn->env.lab, err) < 0) {
		err_set(rn->bail_why, "lab failed: %s", err);
		rn->bail = true;
	}
	/* a failed lab goes whole, in lab_close */
	if (!rn->bail || interrupted())
		fixture_reap_point(&rn->env, n, dir);
	v = point_finish(p, mono_ms() - t0);
	result = g_build_filename(dir, "result.json", NULL);
	if (point_write_json(p, result, err) < 0)
		fprintf(stderr, "nicq: %s\n", err);
	if (rn->bail) {
		rn->bail_cell = cell->slug;
		rn->bail_case = cd->name;
		goto out;	/* the lab's failure, not the case's */
	}
	d = point_to_diag(p);
	tap_point(rn->tap, tap_of(v), cd->name, v == V_SKIP || v == V_KNOWN ?
		  point_reason(p) : NULL, d);
	diag_free(d);
	if (v == V_FAIL)
		*failed = true;
out:
	point_free(p);
	g_free(dir);
	g_free(journal);
	g_free(result);
	return !rn->bail;
}

/* A point that is not run at all: the cell or the case says why. */
static void skip_point(struct runner *rn, const struct cell *cell,
		       const struct case_desc *cd, const char *why)
{
	(void)cell;
	tap_point(rn->tap, TAP_SKIP, cd->name, why, NULL);
}

/* ---- the matrix ------------------------------------------------------- */

/*
 * The private lab's daemons see their own /var and /run (bind mounts of the
 * lab directory), so console logs and guest images there would be out of
 * their sight: refuse such paths up front with a clear message.
 */
static int private_lab_path_ok(const char *path, const char *what, char *err)
{
	char *abs = g_canonicalize_filename(path, NULL);
	int rc = 0;

	if (g_str_has_prefix(abs, "/var/") || !strcmp(abs, "/var") ||
	    g_str_has_prefix(abs, "/run/") || !strcmp(abs, "/run")) {
		err_set(err, "%s '%s' is under /var or /run, which the private "
			"lab's libvirtd does not see; use another folder or "
			"--connect", what, abs);
		rc = -1;
	}
	g_free(abs);
	return rc;
}

static char *make_run_id(void)
{
	char stamp[32], id[7];
	time_t now = time(NULL);
	struct tm tm;

	for (int i = 0; i < 6; i++)
		id[i] = "abcdefghijklmnopqrstuvwxyz0123456789"
			[g_random_int_range(0, 36)];
	id[6] = '\0';
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	return g_strdup_printf("%s-%s", stamp, id);
}

/* The results root and the run's own folder, made fresh (0755). */
static int make_run_dir(const char *root, char **out, char *err)
{
	char *id = make_run_id();
	char *dir = g_build_filename(root, id, NULL);

	g_free(id);
	if (mkdir_p(root, err) < 0) {
		g_free(dir);
		return -1;
	}
	if (mkdir(dir, 0755) < 0) {
		err_set(err, "cannot create '%s': %s", dir, strerror(errno));
		g_free(dir);
		return -1;
	}
	*out = dir;
	return 0;
}

int run_matrix(const struct run_opts *o)
{
	struct runner rn = { .opts = o };
	struct lab_opts lo = { .uri = o->uri, .accel = o->accel };
	struct lab *lab = NULL;
	struct ssh_ident *ident = NULL;
	struct cell cells[6];
	char err[ERRLEN] = "", lab_err[ERRLEN] = "";
	char *tap_path = NULL, *logs = NULL, *vreason = NULL;
	char *kernel = NULL, *initrd = NULL;
	FILE *tapf = NULL;
	int n_cells, i, j, rc = EXIT_PASS, lab_rc = 0;
	bool vhost_ok, failed = false, reports = false;

	if (image_check(o->image_dir, &kernel, &initrd, err) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		return EXIT_USAGE;
	}
	if (!o->uri && (private_lab_path_ok(o->results_root, "results folder",
					    err) < 0 ||
			private_lab_path_ok(o->image_dir, "guest image",
					    err) < 0)) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!o->uri && lab_check_leftovers(err) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_INFRA;
		goto out;
	}
	/*
	 * The user's libvirt refusing us is a configuration error, reported
	 * before any folder is made; the private lab starts once the run's
	 * folder exists, so that its daemons' logs can be kept there.
	 */
	if (o->uri && (lab_rc = lab_open(&lo, &lab, lab_err)) < 0) {
		fprintf(stderr, "nicq: %s\n", lab_err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (make_run_dir(o->results_root, &rn.run_dir, err) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	logs = g_build_filename(rn.run_dir, "lab", NULL);
	lo.log_dir = logs;
	if (!o->uri)
		lab_rc = lab_open(&lo, &lab, lab_err);
	vhost_ok = host_probe_vhost(&vreason);
	n_cells = run_cells(o, cells, vhost_ok,
			    "vhost-net not available on this host");
	tap_path = g_build_filename(rn.run_dir, "run.tap", NULL);
	tapf = fopen(tap_path, "wx");
	if (!tapf) {
		fprintf(stderr, "nicq: cannot write '%s': %s\n", tap_path,
			strerror(errno));
		rc = EXIT_USAGE;
		goto out;
	}
	rn.tap = tap_new(stdout, tapf, o->tap_version);
	tap_comment(rn.tap, "nicq run %s", rn.run_dir);
	tap_comment(rn.tap, "profile %s", o->prof.name);
	reports = runinfo_begin(rn.run_dir, o, lab_rc < 0 ? NULL : lab,
				lab_err, cells, n_cells, vhost_ok ? NULL :
				vreason, err) == 0;
	if (!reports)
		fprintf(stderr, "nicq: %s\n", err);
	if (lab_rc < 0) {
		err_set(rn.bail_why, "lab will not start: %s", lab_err);
		rn.bail = true;
		tap_bail(rn.tap, rn.bail_why);
		fprintf(stderr, "nicq: %s\n", rn.bail_why);
		rc = EXIT_INFRA;
		goto out;
	}
	tap_plan(rn.tap, n_cells);
	tap_comment(rn.tap, "lab: %s%s", lab->private_lab ?
		    "private, namespace " : "libvirt ",
		    lab->private_lab ? lab->netns : lab->uri);
	tap_comment(rn.tap, "accelerator: %s (%s)", lab->accel_name,
		    lab->accel_reason);
	if (!vhost_ok)
		tap_comment(rn.tap, "vhost-net: unavailable (%s)", vreason);
	if (ssh_ident_new(&ident, err) < 0) {
		tap_bail(rn.tap, err);
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_INFRA;
		goto out;
	}
	rn.env.lab = lab;
	rn.env.ident = ident;
	rn.env.kernel = kernel;
	rn.env.initrd = initrd;
	rn.env.prof = &o->prof;
	rn.env.fault = &o->fault;

	progress_start(o, cells, n_cells);
	for (i = 0; i < n_cells && !rn.bail; i++) {
		const struct cell *c = &cells[i];

		tap_subtest_begin(rn.tap, c->name);
		tap_plan(rn.tap, o->n_cases);
		for (j = 0; j < o->n_cases && !rn.bail; j++) {
			const struct case_desc *cd = o->cases[j];

			if (run_point_skip(c, cd))
				skip_point(&rn, c, cd, run_point_skip(c, cd));
			else if (interrupted()) {
				err_set(rn.bail_why, "interrupted by signal %d",
					interrupt_signal());
				rn.bail = true;
			} else
				run_point(&rn, c, cd, &failed);
		}
		if (!rn.bail)
			tap_subtest_end(rn.tap, c->name, c->skip, NULL);
	}
	progress_stop();
	if (rn.bail) {
		tap_bail(rn.tap, rn.bail_why);
		fprintf(stderr, "nicq: %s\n", rn.bail_why);
		rc = EXIT_INFRA;
	} else if (failed) {
		rc = EXIT_FAIL;
	}
	if (tap_io_error(rn.tap))
		rc = EXIT_INFRA;
out:
	lab_close(lab);
	ssh_ident_free(ident);
	/* the reports render what the folder holds, once the lab is gone */
	if (reports && o->baselines) {
		bool regressed = false;

		if (compare_baseline(rn.run_dir, o->baselines, stderr,
				     &regressed, err) < 0) {
			fprintf(stderr, "nicq: %s\n", err);
			rc = EXIT_INFRA;
		} else if (regressed && rc == EXIT_PASS) {
			rc = EXIT_FAIL;
		}
	}
	if (reports && (runinfo_end(rn.run_dir, rc, rn.bail ? rn.bail_why :
				    NULL, rn.bail_cell, rn.bail_case, err) < 0 ||
			report_render(rn.run_dir, o->junit_path, err) < 0)) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = rc == EXIT_USAGE ? rc : EXIT_INFRA;
	}
	tap_free(rn.tap);
	if (tapf)
		fclose(tapf);
	if (rn.run_dir && rc != EXIT_USAGE)
		fprintf(stderr, "nicq: results in %s\n", rn.run_dir);
	g_free(rn.run_dir);
	g_free(kernel);
	g_free(initrd);
	g_free(tap_path);
	g_free(logs);
	g_free(vreason);
	return rc;
}
