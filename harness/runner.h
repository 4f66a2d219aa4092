/*
 * runner.h - a run: the matrix of cells x cases, from lab to TAP.
 *
 * The runner owns every test point's life.  Each (cell, case) runs in a
 * child process of its own (its own process group), which lays out the
 * fixture, runs the case and tears down (harness/fixture.h), writing the
 * point's records to a journal as it goes.  The parent waits on a pidfd
 * with the point's deadline; past it the group is killed and the point is
 * "not ok" with "timed out after N s while <phase>".  Whatever happened,
 * the parent then removes what the point left by name, replays the
 * journal, derives the verdict (harness/point.h) and writes the TAP point
 * and the point's result.json.
 *
 * After every point the parent checks the lab itself (lab_check): when the
 * lab failed (a daemon died, the connection closed, the namespace went),
 * the run stops with "Bail out!" and exit status 3, and no case is blamed.
 * An interruption (SIGINT, SIGTERM) stops it the same way.
 */
#ifndef NICQ_RUNNER_H
#define NICQ_RUNNER_H

#include <stdbool.h>
#include "case.h"
#include "config.h"
#include "fault.h"
#include "lab.h"
#include "shard.h"

#define RUN_MAX_CASES 32

enum exit_code { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INFRA = 3 };

struct run_opts {
	const char *uri;		/* NULL: private lab */
	enum accel accel;
	struct profile prof;
	bool model[NIC_MODEL_COUNT];
	bool vhost[2];			/* [0] off, [1] on */
	const struct case_desc *cases[RUN_MAX_CASES];
	int n_cases;
	char *results_root;		/* absolute, g_free() by the owner */
	const char *image_dir;		/* guest image */
	int tap_version;		/* 13 or 14 */
	struct fault fault;
	bool fresh_boot;		/* --boot fresh: no saved states */
	int jobs;			/* points at once (--jobs) */
	const char *jobs_why;		/* how that number was chosen */
	char **argv;			/* the command line, for run.json */
	const char *config_path;	/* --config FILE, or NULL */
	const char *junit_path;		/* --junit FILE (absolute), or NULL */
	char **baselines;		/* --baseline DIR..., NULL-terminated,
					 * absolute; NULL: none */
	struct shard shard;		/* --shard I/N; count 0: the whole
					 * matrix */
};

/*
 * Work out the cells of opts and whether each can run on this host (vhost
 * needs /dev/vhost-net and a virtio NIC; the model must be in the host's
 * QEMU).  Returns the number of cells written to cells (at most 6).
 */
int run_cells(const struct run_opts *opts, struct cell *cells,
	      bool vhost_ok, const char *vhost_reason);

/*
 * Why the point (cell, case) is not run here, or NULL: the cell cannot run
 * on this host, or the case runs only on another model.
 */
const char *run_point_skip(const struct cell *c, const struct case_desc *cd);

/*
 * Whether point pos of the matrix (cell pos / n_cases, case pos % n_cases)
 * is in this run's shard (always, without --shard).  The split is
 * harness/shard.h's, weighted by each point's deadline; points that run
 * on no host (a case limited to another model, vhost=on for a model
 * without vhost) weigh nothing, and nothing else this host can or cannot
 * run changes it.
 */
bool run_point_in_shard(const struct run_opts *opts, const struct cell *cells,
			int n_cells, int pos);

/*
 * Run the matrix; returns an exit code (enum exit_code).  The run folder
 * gets run.json at the start and results.json, junit.xml and report.html
 * at the end (harness/runinfo.h, harness/report.h); with baselines, the
 * run is compared with them at the end (harness/compare.h) and a
 * regression makes it exit 1.
 */
int run_matrix(const struct run_opts *opts);

#endif
