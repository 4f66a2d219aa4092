/*
 * progress.h - a progress line for a person at a terminal.
 *
 * Only when stderr is a terminal (and TERM is set and not "dumb"): one
 * line on stderr, redrawn in place, naming the points running (their
 * numbers among the points to run, cell, case and the phase each is in,
 * read from its journal as the case records it, with how long it has
 * taken), how long the run has taken, and an estimate of what is left.
 * The estimate comes from the profile: every point's deadline
 * (harness/fixture.h), scaled by how much of their deadlines the points so
 * far took (a third before the first point ends: the cases' own deadlines
 * are about three times their run time), over the points run at once.
 * The line is erased before the runner writes anything else
 * (progress_erase), so TAP on stdout never shares a line with it, even on
 * the same terminal.  Otherwise nothing is written at all.
 *
 * Calling sequence (the runner's):
 *
 *	progress_start(opts, cells, n_cells, jobs);
 *	for each point started: progress_point_begin(id, ...);
 *	while waiting: progress_tick();
 *	before writing TAP: progress_erase();
 *	for each point judged: progress_point_end(id);
 *	progress_stop();
 */
#ifndef NICQ_PROGRESS_H
#define NICQ_PROGRESS_H

#include "runner.h"

#define PROGRESS_MAX_RUNNING 16

void progress_start(const struct run_opts *o, const struct cell *cells,
		    int n_cells, int jobs);
/* id: any number that tells the points running apart (the runner's). */
void progress_point_begin(int id, const struct cell *c,
			  const struct case_desc *cd, const char *journal,
			  int deadline_s);
/* Redraw when due (at most twice a second); cheap to call often. */
void progress_tick(void);
/* Erase the line now (drawn again on the next tick). */
void progress_erase(void);
/* The point was judged: its time counts for the estimate. */
void progress_point_end(int id);
void progress_stop(void);

/* What a line shows (for progress_line). */
struct progress_view {
	int done, total;		/* points judged, points to run */
	int n_running;
	struct {
		const char *cell, *case_name, *phase;	/* phase may be NULL */
		long long ms;
	} running[PROGRESS_MAX_RUNNING];
	long long run_ms;
	long long left_ms;		/* -1: no estimate */
};

/*
 * The line for v, at most width columns (0: no limit): phases give way
 * first, then the end of the line.  g_free().
 */
char *progress_line(const struct progress_view *v, int width);

#endif
