/*
 * compare.h - what changed between runs: nicq compare OLD... NEW.
 *
 * Runs are results documents (harness/report.h): a run folder (read as
 * report_build reads it) or a results.json file.  Points are matched by
 * cell folder and case.
 *
 * Verdicts.  Each point's status in the last OLD against NEW:
 *
 *	new failure	NEW failed, was interrupted or did not run, and OLD
 *			had not (a regression)
 *	new known	NEW is a known defect, OLD passed (a regression: the
 *			defect appeared, even if it is not nicq's to fix)
 *	fixed		OLD failed (or was a known defect), NEW passes
 *	new skip	OLD ran, NEW is skipped (listed: coverage lost)
 *	added, removed	the point is in one run only (listed)
 *
 * Metrics, per point: "duration" (the point's, s), "boot" (its booted
 * guests' mean power-on to readiness, s), "restore" (its guests restored
 * from a saved state: restore to readiness, s; tolerance class boot),
 * "throughput <stream>" (stress: what
 * iperf3's receiver got, Mbit/s) and "knee <size> bytes" (stress: the
 * highest UDP rate with loss under 0.1 %, pps).  A metric regresses when
 * NEW is worse than the OLD mean by more than its tolerance; it improves
 * when better by more (listed, not a regression).  The tolerance comes
 * from the metric's own spread, and the output says which:
 *
 *	- three standard deviations of the OLD runs' values, when two or more
 *	  OLD runs have it;
 *	- with one OLD run, boot and restore times: three standard
 *	  deviations of the boots (or restores) in the OLD run's cell
 *	  (every point starts its own guests);
 *	  durations, throughput and knees have no spread in one run, so
 *	  they are listed and not judged;
 *	- --tolerance NAME=PCT (duration, boot, throughput, knee) sets it to
 *	  that share of the OLD mean instead.
 *
 * A tolerance is never finer than the measurement: at least 5 % of the
 * OLD mean and the metric's unit (1 s, 1 Mbit/s, 1 pps), and for a knee
 * its search's bracket (the knee lies between the highest rate without
 * loss and the lowest with it), so identical OLD runs do not make any
 * change a regression.
 */
#ifndef NICQ_COMPARE_H
#define NICQ_COMPARE_H

#include <stdbool.h>
#include <stdio.h>
#include <json-glib/json-glib.h>

#define COMPARE_MAX_RUNS 64

/* The metric classes --tolerance names. */
enum metric_class { MC_DURATION, MC_BOOT, MC_THROUGHPUT, MC_KNEE, MC_COUNT };

struct compare_opts {
	double tol_pct[MC_COUNT];	/* > 0: given with --tolerance */
	bool verbose;			/* also list metrics within tolerance */
};

/*
 * Parse "NAME=PCT" (NAME a metric class, 0 < PCT <= 1000) into o.  -1
 * with err.
 */
int compare_parse_tolerance(const char *s, struct compare_opts *o,
			    char *err);

/* A run folder or results.json as a results document.  -1 with err. */
int compare_load(const char *path, JsonObject **out, char *err);

/*
 * Compare the OLD runs (oldest first; verdicts against the last) with
 * NEW, writing the report to out.  Returns 1 when a verdict or a metric
 * regressed, 0 otherwise.
 */
int compare_runs(JsonObject *const *olds, int n_old, JsonObject *new_run,
		 const struct compare_opts *o, FILE *out);

/*
 * nicq run --baseline: compare the OLD runs (paths, NULL-terminated) with
 * the run in run_dir (its folder as it is now), write the report to out
 * and to run_dir/compare.txt, and record the baselines and the outcome in
 * run.json ("baseline").  *regressed says whether anything regressed.
 * -1 with err.
 */
int compare_baseline(const char *run_dir, char *const *baselines, FILE *out,
		     bool *regressed, char *err);

#endif
