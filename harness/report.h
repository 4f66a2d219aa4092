/*
 * report.h - the run-level reports: results.json, junit.xml, report.html.
 *
 * Every report is a rendering of what the run folder already holds - the
 * run's facts and planned points (run.json, harness/runinfo.h) and each
 * point's result.json (docs/result-schema.md) - never a second
 * bookkeeping.  Reading a folder gives one document, the results
 * (docs/results-schema.md): the run, a summary, and every cell with every
 * planned point, each with its status and, when it ran, its whole
 * result.json.  results.json is that document as it is; junit.xml and
 * report.html (harness/html.h) are renderings of it.
 *
 * Status of a point in the results:
 *
 *	pass, fail, known, skip	its result.json's verdict; or skip with the
 *				planned reason for a point skipped before it
 *				ran (no result.json)
 *	interrupted		the run bailed out before it was reported
 *				(it was running, or with --jobs finished
 *				behind one that was): its result.json is
 *				kept for diagnosis, TAP does not report it
 *				and it is not judged
 *	not_run			never started (the run bailed out before it,
 *				or did not finish), or its result.json is
 *				missing or unreadable (the reason says which)
 *
 * Files are read from the run folder without following symlinks (a
 * folder may hold a planted link; nicq runs as root), with a size bound,
 * and written through a new file renamed into place.
 *
 * Calling sequence: the runner writes run.json at its start and calls
 * report_render() once at its end; `nicq report DIR` calls it again on a
 * folder to re-render.
 */
#ifndef NICQ_REPORT_H
#define NICQ_REPORT_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <json-glib/json-glib.h>

#define REPORT_RESULTS_FILE "results.json"
#define REPORT_JUNIT_FILE "junit.xml"
#define REPORT_HTML_FILE "report.html"
#define REPORT_FORMAT "nicq-results"
#define REPORT_FORMAT_VERSION 1
/* Bound on one result.json or run.json. */
#define REPORT_MAX_FILE (256u << 20)

/*
 * Read the regular file name (relative to dirfd, or a path with AT_FDCWD)
 * whole, NUL-terminated, without following a final symlink, refusing more
 * than max bytes.  -1 with err.
 */
int report_read_file(int dirfd, const char *name, size_t max, char **out,
		     size_t *len, char *err);

/* Parse run_dir/run.json into *out (an object).  -1 with err. */
int report_load_runinfo(const char *run_dir, JsonObject **out, char *err);

/* The results document of a run folder (see above).  -1 with err. */
int report_build(const char *run_dir, JsonObject **out, char *err);

/* JUnit XML of a results document (one testsuite per cell), g_free(). */
char *report_junit(JsonObject *doc);

/*
 * Write results.json, junit.xml and report.html into run_dir from its
 * current contents; with junit_copy, junit.xml also there.  -1 with err.
 */
int report_render(const char *run_dir, const char *junit_copy, char *err);

/* Write doc to path as pretty-printed JSON (run.json, results.json). */
int report_write_json(const char *path, JsonObject *doc, char *err);

/*
 * Whether name is a plain file or folder name a report may use in a path
 * or a link: [A-Za-z0-9._+-], not starting with '.', at most 200 bytes.
 */
bool report_name_ok(const char *name);

/*
 * Reading a results document: a member of o of that type, or NULL (or
 * false, or dflt) when o is NULL, the member is missing or of another
 * type.  report_num takes integers and numbers.
 */
const char *report_str(JsonObject *o, const char *key);
JsonObject *report_obj(JsonObject *o, const char *key);
JsonArray *report_arr(JsonObject *o, const char *key);
bool report_num(JsonObject *o, const char *key, double *v);
long long report_int(JsonObject *o, const char *key, long long dflt);
/* Element i of a as an object, or NULL (a NULL, out of range, not one). */
JsonObject *report_elem(JsonArray *a, guint i);
/* Element i of a as a string, or "" (NULL, out of range, not a string). */
const char *report_arr_str(JsonArray *a, guint i);

#endif
