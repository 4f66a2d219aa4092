/*
 * tap.h - TAP output and YAML diagnostics.
 *
 * stdout carries only TAP.  nicq writes TAP version 14 by default: one
 * subtest per cell ("# Subtest: <cell>", body indented four spaces, then a
 * test point for the cell), one test point per case, each with a YAML block
 * of diagnostics.  Version 13 writes the same stream with a "TAP version 13"
 * header, which Debian 12's prove (Test::Harness 3.44) accepts: it reads the
 * cell test points and ignores the indented subtest bodies; node's
 * tap-parser reads both versions with their subtests.  (prove 3.44 refuses
 * "TAP version 14" outright, so a gate that uses it needs version 13.)
 * tests/tap-consumers.sh checks a stream against both.
 *
 * Output can be duplicated to a file (results/<run>/run.tap); every line is
 * written whole and flushed on both streams as it is written, so a reader
 * sees progress and a crash never leaves half a line.
 *
 * Calling sequence for a run:
 *
 *	t = tap_new(stdout, run_tap_file, 14);
 *	tap_plan(t, ncells);
 *	for each cell that can run:
 *		tap_subtest_begin(t, cell);
 *		tap_plan(t, ncases);
 *		for each case: tap_point(t, result, case, skip_reason, diag);
 *		tap_subtest_end(t, NULL, NULL, cell_diag);
 *	for each cell that cannot run here:
 *		tap_point(t, TAP_SKIP, cell, reason, NULL);
 *	status = tap_failures(t) ? 1 : 0;
 *	tap_free(t);
 *
 * Text placed in TAP lines is made safe: invalid UTF-8 is replaced, control
 * characters become spaces, and in descriptions and SKIP reasons '\' and '#'
 * are escaped as "\\" and "\#" (TAP 14), so a name can never end a
 * description early or fake a directive.
 */
#ifndef NICQ_TAP_H
#define NICQ_TAP_H

#include <stdbool.h>
#include <stdio.h>

/*
 * YAML diagnostics: an ordered tree of maps, lists and scalars, built in
 * order and rendered when a test point is written.  The root is a map.
 *
 * Rendering is a conservative subset of YAML that YAML 1.1 and 1.2 parsers
 * (node's tap-parser) and prove's TAP::Parser::YAMLish::Reader read alike:
 * block style only, two-space indentation, strings double-quoted with
 * escapes whenever a plain scalar could be read as anything but that string
 * (empty, leading or trailing blanks, indicator characters, ':' or '#',
 * anything that could be a number, a bool or null, control characters,
 * non-ASCII), never multi-line.  Empty maps and lists are "{}" and "[]".
 */
struct diag;

struct diag *diag_new(void);
void diag_free(struct diag *d);	/* NULL is fine */
/*
 * Add a scalar to the current container.  In a map key is required; in a
 * list key must be NULL.  A key already present in the map is replaced in
 * place (YAML forbids duplicate keys).  Misuse (a missing or extra key, a
 * NULL d) is a programming error: it is reported with g_warning() and the
 * value is dropped, so the rest of the tree stays well formed.
 */
void diag_str(struct diag *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_int(struct diag *d, const char *key, long long v);
/*
 * Doubles are written independently of the locale, as the shortest decimal
 * that reads back as the same double: 1500, 0.1, 123.456, 1.0e+20, 1.0e-07.
 * NaN and infinities are YAML's .nan, .inf and -.inf.
 */
void diag_num(struct diag *d, const char *key, double v);
void diag_bool(struct diag *d, const char *key, bool v);
/* YAML's null ("~"): a value that could not be measured. */
void diag_null(struct diag *d, const char *key);
/*
 * Open a nested map or list under key (NULL inside a list); diag_end closes
 * it.  Every diag_map/diag_list needs its diag_end, even one that was
 * refused for a key error, so that the nesting stays balanced.
 */
void diag_map(struct diag *d, const char *key);
void diag_list(struct diag *d, const char *key);
void diag_end(struct diag *d);

/*
 * The YAML of d as a TAP point's block holds it (without the "---" and
 * "..." lines and the block's indentation), one line per entry, each
 * ending in a newline; "" for an empty or NULL d.  g_free().  Other
 * reports (JUnit's system-out) carry the same text.
 */
char *diag_yaml(const struct diag *d);

/*
 * TAP_TODO is a failure that is known and explained elsewhere (a defect
 * outside the tested program): "not ok N - desc # TODO reason".  TAP
 * consumers do not count it as a failure, and neither does a subtest.
 */
enum tap_result { TAP_OK, TAP_NOT_OK, TAP_SKIP, TAP_TODO };

struct tap;

/*
 * out: usually stdout; copy: a second stream or NULL; version: 13 or 14
 * (anything else returns NULL).  Writes the version line.  The streams stay
 * the caller's: tap_free does not close them.
 */
struct tap *tap_new(FILE *out, FILE *copy, int version);
void tap_free(struct tap *t);	/* NULL is fine */

/*
 * Plan for the current level ("1..n").  It may come first or after the
 * level's last point, once per level.
 */
void tap_plan(struct tap *t, int n);
/* A "# " comment line at the current level; multi-line text is split. */
void tap_comment(struct tap *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A test point at the current level.  For TAP_SKIP, reason is required and
 * the point reads "ok N - desc # SKIP reason"; for TAP_TODO it reads
 * "not ok N - desc # TODO reason".  diag may be NULL; it is
 * written as an indented "---"/"..." block and not freed.  A diag with no
 * entries writes no block.
 */
void tap_point(struct tap *t, enum tap_result r, const char *desc,
	       const char *reason, const struct diag *diag);
/* Begin a subtest: "# Subtest: name", then everything is indented 4 more. */
void tap_subtest_begin(struct tap *t, const char *name);
/*
 * End the innermost subtest and write its test point at the parent level,
 * named name, or the name given to tap_subtest_begin when name is NULL.
 * If the subtest wrote no plan, its trailing plan "1..count" is written
 * first ("1..0 # SKIP reason" for an empty skipped subtest).
 *
 * The point is "not ok" if any of its points failed or its plan does not
 * match the points written (a comment says so); otherwise a subtest whose
 * points were all skipped (or that has none) becomes
 * "ok N - name # SKIP reason" when skip_reason is given, and "ok" in every
 * other case.  Returns the result written; TAP_NOT_OK with no output when
 * no subtest is open or after a bail out.
 */
enum tap_result tap_subtest_end(struct tap *t, const char *name,
				const char *skip_reason, const struct diag *d);
/*
 * "Bail out! reason", written at the current level and then at every
 * enclosing level up to the top, the way node-tap does: a parser then sees
 * the open subtest's last point before the bail out, and a TAP 13 reader
 * that ignores indented lines still sees the top-level one.  Nothing is
 * written after a bail out; later calls are ignored.
 */
void tap_bail(struct tap *t, const char *reason);
/* Number of failed points at the top level so far. */
int tap_failures(const struct tap *t);
/*
 * True once writing or flushing either stream has failed (a full disk under
 * run.tap, a closed pipe); the run's TAP is then incomplete and the CLI
 * should treat it as an infrastructure failure.
 */
bool tap_io_error(const struct tap *t);

#endif
