/*
 * progress.h - a progress line for a person at a terminal.
 *
 * Only when stderr is a terminal (and TERM is not "dumb"): one line on
 * stderr, redrawn in place, naming the point running (its number among
 * the points to run, cell, case), the phase it is in (read from the
 * point's journal as the case records it), how long it and the run have
 * taken, and an estimate of what is left.  The estimate comes from the
 * profile: every point's deadline (harness/fixture.h), scaled by how much
 * of their deadlines the points so far took (a third before the first
 * point ends: the cases' own deadlines are about three times their run
 * time).  The line is erased before the runner writes anything else, so
 * TAP on stdout is never mixed with it, even on the same terminal.
 * Otherwise nothing is written at all.
 *
 * Calling sequence (the runner's):
 *
 *	progress_start(opts, cells, n_cells);
 *	for each point run:
 *		progress_point_begin(cell, case, journal_path, deadline_s);
 *		while waiting: progress_tick();
 *		progress_point_end();
 *	progress_stop();
 */
#ifndef NICQ_PROGRESS_H
#define NICQ_PROGRESS_H

#include "runner.h"

void progress_start(const struct run_opts *o, const struct cell *cells,
		    int n_cells);
void progress_point_begin(const struct cell *c, const struct case_desc *cd,
			  const char *journal, int deadline_s);
/* Redraw when due (at most twice a second); cheap to call often. */
void progress_tick(void);
/* Erase the line; the point's time counts for the estimate. */
void progress_point_end(void);
void progress_stop(void);

/*
 * The line itself, for tests: what progress_tick() shows for these
 * figures, cut to width columns.  g_free().
 */
char *progress_line(int n, int total, const char *cell, const char *case_name,
		    const char *phase, long long point_ms, long long run_ms,
		    long long left_ms, int width);

#endif
