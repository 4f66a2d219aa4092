/*
 * runinfo.h - run.json: the facts of a run that no test point holds.
 *
 * Every point nicq runs leaves its own result.json; what a report needs
 * besides them is written here, once, by the runner:
 *
 *	at the start (runinfo_begin): nicq's version, the command line, the
 *	host (name, OS, kernel, CPUs, memory), the lab and its accelerator,
 *	the QEMU and libvirt versions, vhost-net, the guest image, the
 *	profile with every parameter's value, the options, and the planned
 *	points: every (cell, case) of the matrix in run order, each with
 *	its position in the whole matrix and the reason for each point that
 *	is skipped before it runs (a cell this host cannot run, a case
 *	limited to another model) - those points have no result.json.  A
 *	shard (--shard I/N) plans only its own points and says which shard
 *	of how many points it is (member "shard");
 *
 *	at the end (runinfo_end): the exit status, the Bail out! reason and
 *	the points judged after it that TAP does not report (those running
 *	when the run bailed out, and those finished behind them with --jobs:
 *	their result.json is kept for diagnosis, but they are not judged).
 *
 * A run.json without its end is a run that did not finish (killed).
 * Reports (harness/report.h) are renderings of run.json and the points'
 * result.json files together; the schema is docs/results-schema.md.
 */
#ifndef NICQ_RUNINFO_H
#define NICQ_RUNINFO_H

#include "runner.h"

#define RUNINFO_FILE "run.json"
#define RUNINFO_FORMAT "nicq-run"
#define RUNINFO_FORMAT_VERSION 1

/*
 * Write run_dir/run.json.  lab is the open lab, or NULL when it would not
 * start (lab_err says why); vhost_reason is NULL when vhost-net is usable.
 * -1 with err.
 */
int runinfo_begin(const char *run_dir, const struct run_opts *o,
		  const struct lab *lab, const char *lab_err,
		  const struct cell *cells, int n_cells,
		  const char *vhost_reason, char *err);

/*
 * Add the end to run_dir/run.json: exit status, and when the run bailed
 * out, why (bail_out) and the points it did not report ("<cell
 * folder>/<case>", NULL-terminated; NULL: none); nicq's peak memory (its
 * own process's, and points_kib: the largest of its points' processes,
 * in KiB).  -1 with err.
 */
int runinfo_end(const char *run_dir, int exit_status, const char *bail_out,
		const char *const *unreported, long points_kib, char *err);

/*
 * Record in run_dir/run.json the runs nicq run --baseline compared this
 * one with (paths, NULL-terminated) and whether anything regressed: then
 * nicq exits 1 even when every point passed.  -1 with err.
 */
int runinfo_baseline(const char *run_dir, char *const *baselines,
		     bool regressed, char *err);

#endif
