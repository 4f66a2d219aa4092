/* runner.c - see runner.h. */
#include "runner.h"
#include "compare.h"
#include "fixture.h"
#include "hostprobe.h"
#include "point.h"
#include "progress.h"
#include "report.h"
#include "runinfo.h"
#include "states.h"
#include "ssh.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
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

bool run_point_in_shard(const struct run_opts *o, const struct cell *cells,
			int n_cells, int pos)
{
	int n = n_cells * o->n_cases, *w, *of;
	bool in;

	if (o->shard.count == 0)
		return true;
	if (pos < 0 || pos >= n)
		return false;
	w = g_new0(int, n);
	of = g_new0(int, n);
	for (int k = 0; k < n; k++) {
		const struct cell *c = &cells[k / o->n_cases];
		const struct case_desc *cd = o->cases[k % o->n_cases];

		if ((c->vhost && c->model != NIC_VIRTIO) ||
		    (cd->only_model && *cd->only_model != (int)c->model))
			w[k] = 0;
		else
			w[k] = fixture_deadline_s(cd, &o->prof);
	}
	shard_split(w, n, o->shard.count, of);
	in = of[pos] == o->shard.index;
	g_free(w);
	g_free(of);
	return in;
}

/* ---- points ----------------------------------------------------------- */

/* One (cell, case) of the matrix, in matrix order. */
struct pt {
	const struct cell *cell;
	const struct case_desc *cd;
	const char *skip;	/* not run: why */
	bool running, done;
	unsigned n;		/* its number in the run (names) */
	int pos;		/* its place in the whole matrix */
	int cell_pts;		/* points of its cell in this run */
	int slot;
	pid_t pid;
	int pidfd;
	int deadline_s;
	int64_t t0, deadline, kill_at;
	bool stopping, timed_out;
	char *dir, *journal;
	struct point *p;	/* the result, once done */
};

struct runner {
	const struct run_opts *opts;
	struct run_env env;
	struct tap *tap;
	char *run_dir;
	struct pt *pts;
	int n_pts, next_emit, running;
	int jobs;
	/* the address plans (states.h): busy, and the cell each last ran */
	bool plan_busy[STATES_PLANS];
	const struct cell *plan_cell[STATES_PLANS];
	int cell_open;		/* index of the cell whose subtest is open */
	bool bail, failed;
	char bail_why[ERRLEN];
	pid_t parent;		/* nicq itself, as the points' processes see it */
	long points_kib;	/* the largest point process's peak RSS */
};

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* The point's process: fixture, case, teardown; never returns. */
/*
 * A point's own random numbers.  GLib's global generator is seeded once
 * per process; a child forked after the parent drew from it would repeat
 * its siblings' numbers.  Points at once share one lab namespace, so two
 * pings with the same random ICMP id each counted the other's replies
 * (seen: "6 transmitted, 10 received" and a flood's count twice the
 * wire's), and the knee's random size and transfer's seed were alike.
 */
static void reseed_random(void)
{
	guint32 seed;

	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (guint32)g_get_real_time() ^ (guint32)getpid();
	g_random_set_seed(seed);
}

static void point_child(struct runner *rn, const struct pt *t)
{
	struct point *p = point_new();
	char err[ERRLEN];
	int fd;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != rn->parent)	/* nicq died before the line above */
		_exit(3);
	/* stdout carries only TAP, which is the parent's to write */
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	interrupt_install();
	reseed_random();
	if (point_journal_open(p, t->journal, err) < 0)
		_exit(3);
	if (lab_child_reconnect(rn->env.lab, err) < 0) {
		point_error(p, NULL, err);
		_exit(0);
	}
	fixture_run_point(&rn->env, t->cell, t->cd, t->n, t->slot, t->dir, p);
	point_journal_close(p);
	_exit(0);
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

	/* under the run's folder: no symlink followed, the point's new */
	if (mkdir_p(celldir, err) < 0 ||
	    mkdir_new(dir, results_dir_mode(), err) < 0) {
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

static void bail(struct runner *rn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bail(struct runner *rn, const char *fmt, ...)
{
	va_list ap;

	if (rn->bail)
		return;
	va_start(ap, fmt);
	vsnprintf(rn->bail_why, sizeof(rn->bail_why), fmt, ap);
	va_end(ap);
	rn->bail = true;
}

/*
 * The plan point t starts on (states.h): one no running point has, where
 * its guests' saved states are most likely to be, so that it restores
 * rather than boots.  Best, a plan this run already ran t's cell on (every
 * later point of a cell then starts from the states its first made, in a
 * one-slot run too); then one where the cache knows this very point's
 * states, then one where more of its cell's points ran; among equals a
 * plan no other cell of this run holds (it keeps its own), the lowest.
 */
static int plan_for(const struct runner *rn, const struct pt *t)
{
	char *tag = g_strdup_printf("%s+%s", t->cell->slug, t->cd->name);
	char *prefix = g_strdup_printf("%s+", t->cell->slug);
	int best = -1, best_score = 0;

	for (int p = 0; p < STATES_PLANS; p++) {
		int score;

		if (rn->plan_busy[p])
			continue;
		if (rn->plan_cell[p] == t->cell)
			score = 1 << 20;
		else
			score = 2 * states_plan_score(rn->env.states, p, tag,
						      prefix) -
				(rn->plan_cell[p] != NULL);
		if (best < 0 || score > best_score) {
			best = p;
			best_score = score;
		}
	}
	g_free(tag);
	g_free(prefix);
	return best;
}

/* Start point t on a free plan; false (bail set) if it cannot start. */
static bool point_start(struct runner *rn, struct pt *t)
{
	char err[ERRLEN];
	int s = plan_for(rn, t);

	if (s < 0) {
		bail(rn, "no free address plan for %s %s", t->cell->name,
		     t->cd->name);
		return false;
	}
	t->slot = s;
	if (point_dir(rn->run_dir, t->cell, t->cd, &t->dir, err) < 0) {
		bail(rn, "%s", err);
		return false;
	}
	t->deadline_s = fixture_deadline_s(t->cd, &rn->opts->prof);
	t->p = point_new();
	point_set_identity(t->p, t->cd->name, t->cd->plan_case,
			   t->cd->summary, t->cell->name,
			   model_name(t->cell->model), t->cell->vhost, t->dir,
			   t->deadline_s);
	t->journal = g_build_filename(t->dir, "records.jsonl", NULL);
	t->t0 = mono_ms();
	t->deadline = t->t0 + (int64_t)t->deadline_s * 1000;
	fflush(NULL);
	t->pid = fork();
	if (t->pid == 0)
		point_child(rn, t);
	if (t->pid < 0) {
		bail(rn, "cannot fork: %s", strerror(errno));
		return false;
	}
	setpgid(t->pid, t->pid);	/* either side may win the race */
	t->pidfd = pidfd_open_(t->pid);
	progress_point_begin((int)(t - rn->pts), t->cell, t->cd, t->journal,
			     t->deadline_s);
	t->running = true;
	rn->plan_busy[s] = true;
	rn->plan_cell[s] = t->cell;
	rn->running++;
	return true;
}

/* Point t's process ended with status st: judge it. */
static void point_end(struct runner *rn, struct pt *t, int st)
{
	char err[ERRLEN], *result;

	if (t->pidfd >= 0)
		close(t->pidfd);
	t->running = false;
	t->done = true;
	rn->running--;
	progress_point_end((int)(t - rn->pts));
	/* the child's records first, then how it ended */
	if (point_journal_replay(t->p, t->journal, err) < 0)
		point_error(t->p, NULL, err);
	point_ended(t->p, st, t->timed_out, t->deadline_s);
	if (interrupted())
		bail(rn, "interrupted by signal %d", interrupt_signal());
	else if (lab_check(rn->env.lab, err) < 0)
		bail(rn, "lab failed: %s", err);
	/* a failed lab goes whole, in lab_close */
	if (!rn->bail || interrupted())
		fixture_reap_point(&rn->env, t->n, t->slot, t->dir);
	rn->plan_busy[t->slot] = false;
	point_finish(t->p, mono_ms() - t->t0);
	result = g_build_filename(t->dir, "result.json", NULL);
	if (point_write_json(t->p, result, err) < 0)
		fprintf(stderr, "nicq: %s\n", err);
	g_free(result);
}

/* Deadlines and interruptions of the running points. */
static void points_police(struct runner *rn)
{
	for (int i = 0; i < rn->n_pts; i++) {
		struct pt *t = &rn->pts[i];

		if (!t->running)
			continue;
		if (!t->stopping && (interrupted() || rn->bail)) {
			kill(-t->pid, SIGTERM);
			t->stopping = true;
			t->kill_at = mono_ms() + INTERRUPT_GRACE_MS;
		}
		if (!t->stopping && deadline_left(t->deadline) == 0) {
			t->timed_out = true;
			t->stopping = true;
			kill(-t->pid, SIGTERM);
			t->kill_at = mono_ms() + KILL_GRACE_MS;
		}
		if (t->stopping && mono_ms() >= t->kill_at) {
			kill(-t->pid, SIGKILL);
			t->kill_at = mono_ms() + 3600000;
		}
	}
}

/* Wait up to 200 ms for a point's process to end; judge those that did. */
static void points_reap(struct runner *rn)
{
	struct pollfd pfd[64];
	int n = 0;

	for (int i = 0; i < rn->n_pts && n < 64; i++)
		if (rn->pts[i].running && rn->pts[i].pidfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = rn->pts[i].pidfd,
						    .events = POLLIN };
	if (n)
		poll(pfd, (nfds_t)n, 200);
	else
		usleep(50000);
	for (int i = 0; i < rn->n_pts; i++) {
		struct pt *t = &rn->pts[i];
		siginfo_t si = { 0 };
		struct rusage ru = { 0 };
		int st = 0;

		if (!t->running ||
		    waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOHANG |
			   WNOWAIT) < 0 || si.si_pid != t->pid)
			continue;
		/*
		 * Anything left in its group, killed while the leader is a
		 * zombie: the group's number is still the point's own.
		 */
		kill(-t->pid, SIGKILL);
		if (wait4(t->pid, &st, 0, &ru) == t->pid) {
			rn->points_kib = MAX(rn->points_kib, ru.ru_maxrss);
			point_end(rn, t, st);
		}
	}
}

/*
 * Write the TAP of every point done, in matrix order, up to the first one
 * that is not: whatever order the points finish in, the stream is the
 * serial run's.  After a bail out, nothing more is written.
 */
static void points_emit(struct runner *rn)
{
	while (!rn->bail && rn->next_emit < rn->n_pts) {
		struct pt *t = &rn->pts[rn->next_emit];
		int ci = (int)(t->cell - rn->pts[0].cell);

		if (!t->done && !t->skip)
			return;
		progress_erase();	/* TAP never shares a line with it */
		if (rn->cell_open != ci) {
			if (rn->cell_open >= 0) {
				const struct cell *c = rn->pts[rn->next_emit - 1].cell;

				tap_subtest_end(rn->tap, c->name, c->skip, NULL);
			}
			tap_subtest_begin(rn->tap, t->cell->name);
			tap_plan(rn->tap, t->cell_pts);
			rn->cell_open = ci;
		}
		if (t->skip) {
			tap_point(rn->tap, TAP_SKIP, t->cd->name, t->skip, NULL);
		} else {
			enum verdict v = point_verdict(t->p);
			struct diag *d = point_to_diag(t->p);

			tap_point(rn->tap, tap_of(v), t->cd->name,
				  v == V_SKIP || v == V_KNOWN ?
				  point_reason(t->p) : NULL, d);
			diag_free(d);
			rn->failed |= v == V_FAIL;
		}
		rn->next_emit++;
		/* the last point of its cell: close the cell's subtest */
		if (rn->next_emit == rn->n_pts ||
		    rn->pts[rn->next_emit].cell != t->cell) {
			tap_subtest_end(rn->tap, t->cell->name, t->cell->skip,
					NULL);
			rn->cell_open = -1;
		}
	}
}

/* qsort: the longest deadline first, then matrix order. */
static const struct pt *order_pts;
static const struct profile *order_prof;

static int longest_first(const void *a, const void *b)
{
	int i = *(const int *)a, j = *(const int *)b;
	int di = order_pts[i].skip ? 0 :
		 fixture_deadline_s(order_pts[i].cd, order_prof);
	int dj = order_pts[j].skip ? 0 :
		 fixture_deadline_s(order_pts[j].cd, order_prof);

	return di != dj ? (di < dj) - (di > dj) : (i > j) - (i < j);
}

/*
 * The next point to start, from order[next] on: the first whose cell a
 * free plan last ran in this run (plan_for() gives it that plan, where its
 * cell's saved states are: a restore, not a boot), else order[next].  So
 * with --jobs 3 and three models each plan keeps to one model, and each
 * shape of a model boots once, not once on every plan (CI-like run ci-26:
 * 30 cold boots of 20-44 s under load, a third of the matrix's time).
 */
static int affine_next(const struct runner *rn, const int *order, int next)
{
	for (int k = next; k < rn->n_pts; k++) {
		const struct pt *t = &rn->pts[order[k]];

		if (t->skip || t->running || t->done)
			continue;
		for (int p = 0; p < STATES_PLANS; p++)
			if (!rn->plan_busy[p] && rn->plan_cell[p] == t->cell)
				return k;
	}
	return next;
}

/*
 * Run the matrix: start points as slots free up (--jobs), police their
 * deadlines, judge them as they end, and write their TAP in matrix order.
 * With one slot they start in matrix order; with more, the longest first
 * (by deadline, ties in matrix order), so that no long point (stress,
 * transfer) starts last and runs alone at the end while the other slots
 * idle.  On a bail out (the lab failed, an interruption) no new point
 * starts and the running ones are stopped.
 */
static void points_run(struct runner *rn)
{
	int next = 0;
	int *order = g_new(int, rn->n_pts > 0 ? rn->n_pts : 1);

	for (int k = 0; k < rn->n_pts; k++)
		order[k] = k;
	if (rn->jobs > 1) {
		order_pts = rn->pts;
		order_prof = &rn->opts->prof;
		qsort(order, (size_t)rn->n_pts, sizeof(*order), longest_first);
	}
	for (;;) {
		while (!rn->bail && next < rn->n_pts) {
			struct pt *t = &rn->pts[order[next]];
			int k;

			if (t->skip || t->running || t->done) {
				next++;
				continue;
			}
			if (interrupted()) {
				bail(rn, "interrupted by signal %d",
				     interrupt_signal());
				break;
			}
			if (rn->running >= rn->jobs)
				break;
			k = rn->jobs > 1 ? affine_next(rn, order, next) : next;
			if (!point_start(rn, &rn->pts[order[k]]))
				break;
		}
		points_emit(rn);
		if (!rn->running && (rn->bail || next >= rn->n_pts))
			break;
		points_police(rn);
		points_reap(rn);
		progress_tick();
	}
	points_emit(rn);
	g_free(order);
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

/*
 * The saved-state cache of this guest image: <image folder's parent>/
 * guest-states (like guest-debs, the image builder's package cache), or
 * NICQ_STATE_DIR.  A state depends on the image's bytes, the QEMU binary
 * and libvirt, so they salt its key.
 */
/* How much the saved-state cache may keep: NICQ_STATE_CACHE_MB, 4 GiB. */
static uint64_t state_cache_bytes(void)
{
	const char *v = g_getenv("NICQ_STATE_CACHE_MB");
	guint64 mb = 4096;

	if (v && *v && !g_ascii_string_to_unsigned(v, 10, 0, 1u << 30, &mb,
						     NULL))
		mb = 4096;
	return (uint64_t)mb << 20;
}

/* The saved-state folder: NICQ_STATE_DIR, or guest-states beside the image. */
static char *state_dir_of(const struct run_opts *o)
{
	const char *env = g_getenv("NICQ_STATE_DIR");
	char *img = g_canonicalize_filename(o->image_dir, NULL);
	char *parent = g_path_get_dirname(img);
	char *dir = env && *env ? g_canonicalize_filename(env, NULL) :
		    g_build_filename(parent, "guest-states", NULL);

	g_free(img);
	g_free(parent);
	return dir;
}

static int states_for(const struct run_opts *o, struct lab *lab,
		      const char *kernel, const char *initrd,
		      struct states **out, char *err)
{
	char *dir = state_dir_of(o);
	char *qemu = g_find_program_in_path("qemu-system-x86_64");
	const char *files[] = { kernel, initrd, NULL };
	unsigned long hv = 0, lv = 0;
	struct stat st = { 0 };
	char *salt;
	int rc;

	if (qemu)
		stat(qemu, &st);
	virConnectGetVersion(lab->conn, &hv);
	virConnectGetLibVersion(lab->conn, &lv);
	/* v2: domains of states are named nicq-state-j<slot>-<key> */
	salt = g_strdup_printf("v2|qemu %s %lld %lld %lu|libvirt %lu|%s",
			       qemu ? qemu : "-", (long long)st.st_size,
			       (long long)st.st_mtime, hv, lv,
			       lab->accel_name);
	rc = private_lab_path_ok(dir, "saved guest states", err);
	if (rc == 0)
		rc = states_open(dir, files, salt, out, err);
	g_free(dir);
	g_free(qemu);
	g_free(salt);
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

/*
 * The results root and the run's own folder, made fresh and exclusively
 * (an existing one is an error) with mode, in a root that only root can
 * change; from here on every file under it is opened from the folder's
 * descriptor without following symlinks (util.h results_dir_set).
 */
static int make_run_dir(const char *root, mode_t mode, char **out,
			char *err)
{
	char *id = make_run_id();
	char *dir = g_build_filename(root, id, NULL);
	char e2[ERRLEN];

	g_free(id);
	if (mkdir_p(root, err) < 0) {
		g_free(dir);
		return -1;
	}
	if (path_root_only(root, e2) < 0) {
		err_set(err, "results folder '%s' refused: %s", root, e2);
		g_free(dir);
		return -1;
	}
	if (mkdir_new(dir, mode, err) < 0 || chmod(dir, mode) < 0 ||
	    results_dir_set(dir, mode, err) < 0) {
		if (!*err)
			err_set(err, "cannot create '%s': %s", dir,
				strerror(errno));
		g_free(dir);
		return -1;
	}
	*out = dir;
	return 0;
}

int run_matrix(const struct run_opts *o)
{
	struct runner rn = { .opts = o, .parent = getpid() };
	struct lab_opts lo = { .uri = o->uri, .accel = o->accel };
	struct lab *lab = NULL;
	struct ssh_ident *ident = NULL;
	struct cell cells[6];
	char err[ERRLEN] = "", lab_err[ERRLEN] = "";
	char *tap_path = NULL, *logs = NULL, *vreason = NULL;
	char *sdir = NULL, *caps = NULL;
	char *kernel = NULL, *initrd = NULL;
	FILE *tapf = NULL;
	GPtrArray *unreported = g_ptr_array_new_with_free_func(g_free);
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
	/*
	 * 0750: only root reads what a run kept.  With --connect the user's
	 * libvirt may run QEMU as its own user, which must reach the
	 * point's disk: 0755 there.
	 */
	if (make_run_dir(o->results_root, o->uri ? 0755 : 0750, &rn.run_dir,
			 err) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	logs = g_build_filename(rn.run_dir, "lab", NULL);
	lo.log_dir = logs;
	/*
	 * libvirt's QEMU capabilities, kept beside the saved states (lab.c),
	 * in a folder only root can change (libvirtd reads them as root);
	 * else not kept
	 */
	sdir = state_dir_of(o);
	if (!o->uri && private_lab_path_ok(sdir, "saved guest states",
					   err) == 0 &&
	    g_mkdir_with_parents(sdir, 0700) == 0) {
		caps = g_build_filename(sdir, ".libvirt-caps", NULL);
		if ((g_mkdir(caps, 0700) < 0 && errno != EEXIST) ||
		    g_file_test(caps, G_FILE_TEST_IS_SYMLINK) ||
		    path_root_only(caps, err) < 0)
			g_clear_pointer(&caps, g_free);
	}
	*err = '\0';
	lo.caps_dir = caps;
	if (!o->uri)
		lab_rc = lab_open(&lo, &lab, lab_err);
	vhost_ok = host_probe_vhost(&vreason);
	n_cells = run_cells(o, cells, vhost_ok,
			    "vhost-net not available on this host");
	tap_path = g_build_filename(rn.run_dir, "run.tap", NULL);
	tapf = file_fopen(tap_path, "wx");
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
		bail(&rn, "lab will not start: %s", lab_err);
		tap_bail(rn.tap, rn.bail_why);
		fprintf(stderr, "nicq: %s\n", rn.bail_why);
		rc = EXIT_INFRA;
		goto out;
	}
	/* the cells this run reports: those with points in its shard */
	for (i = 0, j = 0; i < n_cells; i++) {
		bool any = false;

		for (int k = 0; k < o->n_cases; k++)
			any |= run_point_in_shard(o, cells, n_cells,
						  i * o->n_cases + k);
		j += any;
	}
	tap_plan(rn.tap, j);
	if (o->shard.count)
		tap_comment(rn.tap, "shard %d/%d: %d of the matrix's %d cells "
			    "(harness/shard.h splits it; nicq merge joins "
			    "the shards)", o->shard.index, o->shard.count, j,
			    n_cells);
	tap_comment(rn.tap, "lab: %s%s", lab->private_lab ?
		    "private, namespace " : "libvirt ",
		    lab->private_lab ? lab->netns : lab->uri);
	tap_comment(rn.tap, "accelerator: %s (%s)", lab->accel_name,
		    lab->accel_reason);
	if (!vhost_ok)
		tap_comment(rn.tap, "vhost-net: unavailable (%s)", vreason);
	rn.env.lab = lab;
	rn.env.kernel = kernel;
	rn.env.initrd = initrd;
	rn.env.prof = &o->prof;
	rn.env.fault = &o->fault;
	/*
	 * Saved guest states, kept across runs next to the guest image
	 * (states.h): on disk, seen alike by nicq and the private lab's
	 * libvirtd.  With --connect the user's libvirt may run QEMU as a user
	 * that cannot read them, so guests boot from power-on there.
	 */
	if (!o->fresh_boot && lab->private_lab) {
		if (states_for(o, lab, kernel, initrd, &rn.env.states,
			       err) == 0) {
			tap_comment(rn.tap, "guests: booted once per shape, "
				    "saved in %s, and restored for every "
				    "point", states_dir(rn.env.states));
		} else {
			tap_comment(rn.tap, "guests: booted for every point "
				    "(%s)", err);
		}
	} else {
		tap_comment(rn.tap, "guests: booted for every point (%s)",
			    o->fresh_boot ? "--boot fresh" : "--connect");
	}

	/*
	 * The guests' SSH identity: kept with the saved states, whose guests
	 * know its public key; one for this run alone otherwise.
	 */
	if (rn.env.states) {
		char *path = g_build_filename(states_dir(rn.env.states),
					      "client-ed25519", NULL);

		rc = ssh_ident_load(path, &ident, err);
		g_free(path);
	} else {
		rc = ssh_ident_new(&ident, err);
	}
	if (rc < 0) {
		tap_bail(rn.tap, err);
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_INFRA;
		goto out;
	}
	rn.env.ident = ident;

	/* the matrix, in order: cells x cases (this shard's part of it) */
	rn.pts = g_new0(struct pt, (gsize)n_cells * (gsize)o->n_cases + 1);
	for (i = 0; i < n_cells; i++) {
		int first = rn.n_pts;

		for (j = 0; j < o->n_cases; j++) {
			int pos = i * o->n_cases + j;
			struct pt *t;

			if (!run_point_in_shard(o, cells, n_cells, pos))
				continue;
			t = &rn.pts[rn.n_pts++];
			t->cell = &cells[i];
			t->cd = o->cases[j];
			t->pos = pos;
			t->n = (unsigned)pos + 1;
			t->pidfd = -1;
			t->skip = run_point_skip(&cells[i], t->cd);
		}
		for (j = first; j < rn.n_pts; j++)
			rn.pts[j].cell_pts = rn.n_pts - first;
	}
	rn.jobs = o->jobs > 0 ? o->jobs : 1;
	rn.cell_open = -1;
	tap_comment(rn.tap, "jobs: %d (%s)", rn.jobs, o->jobs_why);
	progress_start(o, cells, n_cells, rn.jobs);
	points_run(&rn);
	progress_stop();
	failed = rn.failed;
	/* judged after a bail out, yet not in TAP: not judged in the reports */
	for (i = rn.next_emit; rn.bail && i < rn.n_pts; i++)
		if (rn.pts[i].done)
			g_ptr_array_add(unreported, g_strdup_printf("%s/%s",
				rn.pts[i].cell->slug, rn.pts[i].cd->name));
	g_ptr_array_add(unreported, NULL);
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
	if (rn.env.states) {
		states_trim(rn.env.states, state_cache_bytes(), 600);
		states_close(rn.env.states);
	}
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
				    NULL, (const char *const *)unreported->pdata,
				    rn.points_kib, err) < 0 ||
			report_render(rn.run_dir, o->junit_path, err) < 0)) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = rc == EXIT_USAGE ? rc : EXIT_INFRA;
	}
	g_ptr_array_unref(unreported);
	for (i = 0; i < rn.n_pts; i++) {
		point_free(rn.pts[i].p);
		g_free(rn.pts[i].dir);
		g_free(rn.pts[i].journal);
	}
	g_free(rn.pts);
	ssh_ident_free(ident);
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
	g_free(sdir);
	g_free(caps);
	g_free(vreason);
	return rc;
}
