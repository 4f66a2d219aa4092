/*
 * html.h - report.html: a run's results as one self-contained page.
 *
 * A rendering of the results document (harness/report.h), for a person
 * reading last night's matrix: the run's facts (versions, host, lab,
 * profile, options), the matrix of cases x cells coloured by status, each
 * point's details (failures, expectations with expected and measured
 * values and evidence, observations, kernel-log findings, guests,
 * captures, phases) with links to the files it kept, and plots drawn as
 * inline SVG: throughput per cell next to the link speed the driver
 * reports, the loss knee (loss against offered rate per payload size),
 * where UDP loss happened (sender, tap, receiver), guest boot times and
 * per-case durations.
 *
 * The page fetches nothing: no scripts, styles or images from anywhere
 * (a Content-Security-Policy says so to the browser); links are relative
 * paths inside the run folder, made only to regular files that exist
 * there (checked without following symlinks through run_fd, the run
 * folder).  Every text from a result (a guest's kernel log, a command's
 * output) is escaped.
 *
 * For tests and tools the page marks its parts: every planned point has a
 * section with id "p-<cell folder>-<case>" and data-cell, data-case and
 * data-status attributes, and the matrix cell linking to it carries the
 * same data attributes.
 */
#ifndef NICQ_HTML_H
#define NICQ_HTML_H

#include <json-glib/json-glib.h>

/* The page for doc; run_fd is the run folder (for links).  g_free(). */
char *html_render(JsonObject *doc, int run_fd);

#endif
