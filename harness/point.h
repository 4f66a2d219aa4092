/*
 * point.h - one test point's result: the single data structure that every
 * report renders (the TAP YAML block, the point's result.json, and later
 * results.json, JUnit and HTML).  The schema is documented in
 * docs/result-schema.md and checked by docs/result-schema.json.
 *
 * A point is built from records, in order:
 *
 *	expect		a judged property: name, comparison, expected value,
 *			measured value, outcome, evidence
 *	observe		a value that is measured and not judged
 *	error		a step that could not be done (nothing to judge)
 *	skip		the case cannot run here, with the reason
 *	known		the case diagnosed a documented defect outside nicq,
 *			naming the expectations it explains
 *	phase		what the point is doing now (for time-outs and the
 *			timing breakdown)
 *	guest, control, capture, fault, klog, artifact
 *			what the runner set up and found
 *
 * Every record is a JSON object with a "k" member naming its kind.  The
 * process that runs a case appends each record to a journal file as one
 * line as it is made; the runner's parent process replays the journal into
 * a point of its own, so a case that hangs or crashes still leaves every
 * record it made.  point_add() is the one place a record enters a point,
 * whether it comes from the case's API or from a journal.
 *
 * The verdict is derived in one place, point_finish(), from the records
 * alone (see there for the rules).
 */
#ifndef NICQ_POINT_H
#define NICQ_POINT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-glib/json-glib.h>

struct diag;

/*
 * PASS: every expectation held.  FAIL: an expectation failed or a step
 * could not be done.  SKIP: the case said, before anything failed, that it
 * cannot run here.  KNOWN: the case diagnosed a documented defect outside
 * nicq, and every failure is one the diagnosis explains (TAP "# TODO").
 */
enum verdict { V_PASS, V_FAIL, V_SKIP, V_KNOWN };

const char *verdict_name(enum verdict v);	/* "pass", "fail", ... */

/* How an expectation compares the measured value with the expected. */
enum cmp {
	CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE,
	CMP_RANGE,	/* lo <= measured <= hi */
	CMP_STREQ,	/* equal strings; a missing measurement fails */
	CMP_TRUE,	/* a predicate the case evaluated; expected and
			 * measured are descriptions */
};

/* Bounds on what a point holds (a journal is read back under them). */
#define POINT_MAX_STR 2048		/* bytes of one string */
#define POINT_MAX_RECORDS 20000		/* records of one point */
#define POINT_MAX_LINE (64 * 1024)	/* bytes of one journal line */

struct point;

/*
 * A new, empty point.  The identity (case, plan case, cell) is set with
 * point_set_identity().  point_free(NULL) is fine.
 */
struct point *point_new(void);
void point_free(struct point *p);

/*
 * Identity: case name, Fedora plan case number (0: none), a one-line
 * summary, the cell ("virtio vhost=off"), its model name and vhost
 * setting, the point's folder (absolute; may be NULL) and its deadline.
 */
void point_set_identity(struct point *p, const char *case_name, int plan,
			const char *summary, const char *cell,
			const char *model, bool vhost, const char *dir,
			int deadline_s);

/*
 * Journal every record made from now on to path (created or appended,
 * one JSON object a line, written whole and unbuffered).  -1 with err.
 */
int point_journal_open(struct point *p, const char *path, char *err);
void point_journal_close(struct point *p);

/*
 * Add the records of a journal file to p.  A line that does not parse (a
 * process killed in the middle of a write) ends the replay; what came
 * before it stays.  Returns the number of records added, -1 with err when
 * the file cannot be read.
 */
int point_journal_replay(struct point *p, const char *path, char *err);

/*
 * Add one record (its "k" says which; see above).  rec is consumed (its
 * reference is taken).  Unknown kinds and malformed records are dropped
 * with a warning in the point's errors, so the point stays well formed.
 * Returns false only for a failed expectation, a dropped record or an
 * error record.
 */
bool point_add(struct point *p, JsonObject *rec);

/* ---- record builders (each calls point_add) ------------------------ */

/*
 * A value in an expectation or observation: an integer, a number, a
 * string, or nothing (could not be measured).
 */
enum val_kind { VAL_NONE, VAL_INT, VAL_NUM, VAL_STR, VAL_BOOL };
struct val {
	enum val_kind kind;
	long long i;
	double d;
	const char *s;
	bool b;
};
#define VAL_I(x) ((struct val){ .kind = VAL_INT, .i = (x) })
#define VAL_D(x) ((struct val){ .kind = VAL_NUM, .d = (x) })
#define VAL_S(x) ((struct val){ .kind = (x) ? VAL_STR : VAL_NONE, .s = (x) })
#define VAL_B(x) ((struct val){ .kind = VAL_BOOL, .b = (x) })
#define VAL_NONE_ ((struct val){ .kind = VAL_NONE })

/*
 * Evaluate and record an expectation; returns whether it held.  For
 * CMP_RANGE hi is the upper bound; for CMP_TRUE ok is the outcome the
 * case decided and expected/measured describe it; otherwise ok is ignored
 * and the outcome is computed.  A VAL_NONE measurement always fails.
 * scope may be NULL ("s3", "size 64 interval 0.1": groups expectations).
 */
bool point_expect(struct point *p, const char *scope, const char *name,
		  enum cmp op, struct val expected, struct val hi,
		  struct val measured, bool ok, const char *evidence);

void point_observe(struct point *p, const char *scope, const char *name,
		   struct val v, const char *unit, const char *evidence);
void point_error(struct point *p, const char *scope, const char *msg);
void point_skip(struct point *p, const char *reason);
/* explains: NULL-terminated expectation names (as "scope: name" or name) */
void point_known(struct point *p, const char *defect,
		 const char *const *explains);
void point_phase(struct point *p, const char *name);

/*
 * Sections filled by the runner: guests, control, captures, faults,
 * kernel-log findings, artifacts.  obj is consumed.
 */
void point_section(struct point *p, const char *kind, JsonObject *obj);

/* Whether anything failed so far (expectation or error). */
bool point_failed(const struct point *p);
int point_expectations(const struct point *p);
/* The last phase recorded, or NULL. */
const char *point_last_phase(const struct point *p);

/*
 * Derive the verdict from the records, once all are in:
 *  - an error record, or a failed expectation, makes it FAIL, except:
 *  - a skip record with no failure anywhere (before or after it) makes it
 *    SKIP; with any failure it is FAIL;
 *  - a known record makes it KNOWN when at least one expectation failed,
 *    every failed expectation is one it names, each of them was recorded
 *    before the known record, and there is no error; with no failure at
 *    all it is PASS (the defect did not show); otherwise FAIL;
 *  - a point that judged nothing (no expectation, no skip) is FAIL.
 * duration_ms is recorded with the verdict.  Returns the verdict.
 */
enum verdict point_finish(struct point *p, int64_t duration_ms);
enum verdict point_verdict(const struct point *p);
/* SKIP: the reason; KNOWN: the defect; FAIL: the failures, "; "-joined. */
const char *point_reason(const struct point *p);

/*
 * The point as one JSON object, keys in the documented order (the result
 * schema).  The caller owns the returned reference.
 */
JsonObject *point_to_json(const struct point *p);
/* The same, as the YAML diagnostics of a TAP point (diag_free()). */
struct diag *point_to_diag(const struct point *p);
/* Write point_to_json() pretty-printed to path.  -1 with err. */
int point_write_json(const struct point *p, const char *path, char *err);

/* The YAML/JSON tree of any JSON node as diag entries (used above). */
void diag_add_json(struct diag *d, const char *key, JsonNode *node);

#endif
