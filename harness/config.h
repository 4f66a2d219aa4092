/*
 * config.h - profiles: every size, count and duration a case uses.
 *
 * Parameters are declared where they are used: each case lists its own in
 * its descriptor (struct case_desc.params), shared ones live in
 * cases/common.c, the runner's own (boot time-out, guest memory) in
 * harness/fixture.c.  param_registry() collects them all; a profile holds
 * one value per registered parameter.  "quick" (CI, laptops) and "full"
 * (the Fedora plan's numbers) are each parameter's two declared values, so
 * both run the same code.
 *
 * A key file given with --config overrides values:
 *
 *   [profile]
 *   base = quick
 *   ping_sizes = 0;64;1500
 *   flood_seconds = 30
 *
 * Every key is a registered parameter's name (`nicq list params` shows
 * them with their ranges); unknown groups or keys and malformed or
 * out-of-range values are errors (exit 2), never silently ignored.
 */
#ifndef NICQ_CONFIG_H
#define NICQ_CONFIG_H

#include <stdbool.h>

#define CONFIG_MAX_LIST 32
#define PROFILE_MAX_PARAMS 64

enum param_type {
	PARAM_INT,	/* one integer */
	PARAM_INTS,	/* a list of integers, "a;b;c" */
	PARAM_NUMS,	/* a list of numbers */
};

struct param {
	const char *name;	/* its key in [profile] */
	enum param_type type;
	const char *quick;	/* its values, as a key file writes them */
	const char *full;
	double lo, hi;		/* allowed range of each value */
	const char *doc;	/* what it sets, with its unit */
};

struct pval {
	int n;
	double v[CONFIG_MAX_LIST];
};

struct profile {
	char name[32];
	int n;
	const struct param *params[PROFILE_MAX_PARAMS];
	struct pval vals[PROFILE_MAX_PARAMS];
};

/*
 * Every parameter, each once: the runner's, then each case's in table
 * order (implemented in cases/table.c).  NULL-terminated.  Two parameters
 * with one name are a programming error, reported by the unit tests.
 */
const struct param *const *param_registry(void);

/* Fill p with a built-in profile ("quick" or "full"). */
int profile_builtin(const char *name, struct profile *p, char *err);

/* Apply a key file's [profile] group on top of p (see above). */
int profile_load_file(const char *path, struct profile *p, char *err);

/*
 * A parameter's value(s).  Asking for a parameter that is not registered
 * is a programming error (g_error).
 */
const struct pval *prof_val(const struct profile *p, const struct param *par);
int prof_int(const struct profile *p, const struct param *par);

/* Parse "a;b;c" or "a,b,c" lists; helpers exposed for tests. */
int parse_int_list(const char *s, int *out, int max, int lo, int hi,
		   int *n, char *err);
int parse_double_list(const char *s, double *out, int max, double lo,
		      double hi, int *n, char *err);

#endif
