/*
 * test_config.c - profiles built from the parameter registry (cases
 * declare their parameters, param_registry() collects them), key-file
 * overrides, list parsing; and the cells of a run (model names, vhost).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "config.h"
#include "fixture.h"
#include "model.h"
#include "runner.h"
#include "util.h"

/* ---- helpers ------------------------------------------------------------ */

static char *write_tmp(const char *text)
{
	char *path = NULL;
	int fd = g_file_open_tmp("nicq-config-XXXXXX.ini", &path, NULL);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

static const struct param *param_named(const char *name)
{
	for (const struct param *const *r = param_registry(); *r; r++)
		if (!strcmp((*r)->name, name))
			return *r;
	fail_msg("no registered parameter '%s'", name);
	return NULL;
}

static int registry_size(void)
{
	int n = 0;

	for (const struct param *const *r = param_registry(); *r; r++)
		n++;
	return n;
}

static int ival(const struct profile *p, const char *name)
{
	return prof_int(p, param_named(name));
}

static const struct pval *vals(const struct profile *p, const char *name)
{
	return prof_val(p, param_named(name));
}

/* ---- built-in profiles ---------------------------------------------------- */

static void test_builtin(void **state)
{
	struct profile q, f;
	char err[ERRLEN];
	const struct pval *v;

	(void)state;
	assert_int_equal(profile_builtin("quick", &q, err), 0);
	assert_int_equal(profile_builtin("full", &f, err), 0);
	assert_string_equal(q.name, "quick");
	assert_string_equal(f.name, "full");
	/* one value per registered parameter, in registry order */
	assert_int_equal(q.n, registry_size());
	assert_int_equal(f.n, registry_size());
	for (int i = 0; i < q.n; i++)
		assert_ptr_equal(q.params[i], param_registry()[i]);

	assert_int_equal(ival(&q, "ping_count"), 3);
	assert_int_equal(ival(&f, "ping_count"), 100);
	assert_int_equal(ival(&q, "flood_seconds"), 3);
	assert_int_equal(ival(&f, "flood_seconds"), 600);
	assert_int_equal(ival(&q, "after_count"), 10);
	assert_int_equal(ival(&f, "after_count"), 100);
	assert_int_equal(ival(&q, "boot_timeout"), 120);
	assert_int_equal(ival(&f, "boot_timeout"), 120);
	assert_int_equal(ival(&q, "guest_memory"), 384);
	assert_int_equal(ival(&q, "deadline_scale"), 100);
	/* the runner's own parameters by their exported declarations */
	assert_int_equal(prof_int(&q, &param_boot_timeout), 120);
	assert_int_equal(prof_int(&f, &param_flood_seconds), 600);

	/* both carry the plan's 12 sizes x 4 intervals */
	v = vals(&q, "ping_sizes");
	assert_int_equal(v->n, 12);
	assert_true(v->v[0] == 0);
	assert_true(v->v[11] == 65507);
	assert_int_equal(vals(&f, "ping_sizes")->n, 12);
	v = vals(&q, "ping_intervals");
	assert_int_equal(v->n, 4);
	assert_true(v->v[0] == 0.1);
	assert_true(v->v[3] == 0.0001);
}

/* Each parameter gets its declared value, whatever it is. */
static void test_builtin_declared(void **state)
{
	struct profile q, f;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(profile_builtin("quick", &q, err), 0);
	assert_int_equal(profile_builtin("full", &f, err), 0);
	for (const struct param *const *r = param_registry(); *r; r++) {
		const struct pval *vq = prof_val(&q, *r), *vf = prof_val(&f, *r);
		double want[CONFIG_MAX_LIST];
		int n = 0;

		assert_int_equal(parse_double_list((*r)->quick, want,
						   CONFIG_MAX_LIST, (*r)->lo,
						   (*r)->hi, &n, err), 0);
		assert_int_equal(vq->n, n);
		for (int i = 0; i < n; i++)
			if (vq->v[i] != want[i])
				fail_msg("%s quick[%d]: %g, declared %g",
					 (*r)->name, i, vq->v[i], want[i]);
		assert_int_equal(parse_double_list((*r)->full, want,
						   CONFIG_MAX_LIST, (*r)->lo,
						   (*r)->hi, &n, err), 0);
		assert_int_equal(vf->n, n);
		for (int i = 0; i < n; i++)
			if (vf->v[i] != want[i])
				fail_msg("%s full[%d]: %g, declared %g",
					 (*r)->name, i, vf->v[i], want[i]);
	}
}

static void test_builtin_unknown(void **state)
{
	struct profile p;
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(profile_builtin("fast", &p, err), -1);
	assert_non_null(strstr(err, "unknown profile 'fast'"));
	assert_non_null(strstr(err, "quick, full"));
	assert_int_equal(profile_builtin("", &p, err), -1);
	assert_int_equal(profile_builtin("Quick", &p, err), -1);
	assert_int_equal(profile_builtin("quick ", &p, err), -1);
}

/* ---- the registry ------------------------------------------------------------ */

static void test_registry_unique(void **state)
{
	const struct param *const *r = param_registry();
	int n = registry_size();

	(void)state;
	assert_true(n > 0);
	assert_true(n <= PROFILE_MAX_PARAMS);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			if (r[i] == r[j])
				fail_msg("'%s' registered twice", r[i]->name);
			if (!strcmp(r[i]->name, r[j]->name))
				fail_msg("two parameters named '%s'",
					 r[i]->name);
		}
	/* "base" is the key file's own key, never a parameter */
	for (int i = 0; i < n; i++)
		assert_string_not_equal(r[i]->name, "base");
	/* the registry is built once */
	assert_ptr_equal(param_registry(), r);
	assert_int_equal(registry_size(), n);
}

/* A parameter whose own values are out of its range, or unparseable, would
 * make every run fail at start: checked here, one by one. */
static void test_registry_values(void **state)
{
	char err[ERRLEN];

	(void)state;
	for (const struct param *const *r = param_registry(); *r; r++) {
		const struct param *p = *r;
		const char *texts[2] = { p->quick, p->full };

		assert_non_null(p->name);
		if (!*p->name || strspn(p->name, "abcdefghijklmnopqrstuvwxyz"
					"0123456789_") != strlen(p->name))
			fail_msg("parameter name '%s' is not a plain key",
				 p->name);
		if (!p->doc || !*p->doc)
			fail_msg("parameter '%s' has no doc", p->name);
		if (!(p->lo <= p->hi))
			fail_msg("parameter '%s': range %g..%g", p->name,
				 p->lo, p->hi);
		for (int k = 0; k < 2; k++) {
			int ints[CONFIG_MAX_LIST], n = 0;
			double d[CONFIG_MAX_LIST];
			int rc;

			if (!texts[k])
				fail_msg("parameter '%s' has no %s value",
					 p->name, k ? "full" : "quick");
			switch (p->type) {
			case PARAM_INT:
			case PARAM_INTS:
				if (p->lo != floor(p->lo) ||
				    p->hi != floor(p->hi))
					fail_msg("'%s': integer parameter "
						 "with a fractional range",
						 p->name);
				rc = parse_int_list(texts[k], ints,
						    p->type == PARAM_INT ? 1 :
						    CONFIG_MAX_LIST,
						    (int)p->lo, (int)p->hi,
						    &n, err);
				break;
			case PARAM_NUMS:
				rc = parse_double_list(texts[k], d,
						       CONFIG_MAX_LIST, p->lo,
						       p->hi, &n, err);
				break;
			default:
				rc = -1;
				snprintf(err, sizeof(err), "no type");
			}
			if (rc < 0)
				fail_msg("'%s' %s value '%s': %s", p->name,
					 k ? "full" : "quick", texts[k], err);
			assert_true(n >= 1);
		}
	}
}

/* Every parameter a case declares is registered, so prof_val finds it. */
static void test_registry_cases(void **state)
{
	struct profile q;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(profile_builtin("quick", &q, err), 0);
	for (const struct case_desc *const *c = case_table; *c; c++) {
		for (const struct param *const *p = (*c)->params; p && *p;
		     p++) {
			bool found = false;

			for (const struct param *const *r = param_registry();
			     *r; r++)
				found |= *r == *p;
			if (!found)
				fail_msg("case %s: '%s' not registered",
					 (*c)->name, (*p)->name);
			assert_true(prof_val(&q, *p)->n >= 1);
		}
	}
	/* the runner's first */
	assert_ptr_equal(param_registry()[0], &param_boot_timeout);
}

/* ---- key files ------------------------------------------------------------- */

static void test_file_override(void **state)
{
	struct profile p;
	char err[ERRLEN] = "";
	const struct pval *v;
	char *path = write_tmp("# comment\n[profile]\nbase = full\n"
			       "ping_sizes = 0;1500\nping_count = 7\n"
			       "flood_seconds = 2\n"
			       "ping_intervals = 0.5, 0.25;1\n");

	(void)state;
	assert_int_equal(profile_builtin("quick", &p, err), 0);
	if (profile_load_file(path, &p, err) < 0)
		fail_msg("%s", err);
	assert_string_equal(p.name, "full");
	v = vals(&p, "ping_sizes");
	assert_int_equal(v->n, 2);
	assert_true(v->v[0] == 0 && v->v[1] == 1500);
	assert_int_equal(ival(&p, "ping_count"), 7);
	assert_int_equal(ival(&p, "flood_seconds"), 2);
	v = vals(&p, "ping_intervals");
	assert_int_equal(v->n, 3);
	assert_true(v->v[0] == 0.5 && v->v[1] == 0.25 && v->v[2] == 1);
	/* what the file does not set comes from base = full */
	assert_int_equal(ival(&p, "after_count"), 100);
	assert_int_equal(ival(&p, "boot_timeout"), 120);
	unlink(path);
	g_free(path);
}

/* Without base the file overrides the profile it is given. */
static void test_file_no_base(void **state)
{
	struct profile p;
	char err[ERRLEN] = "";
	char *path = write_tmp("[profile]\nflood_seconds = 30\n"
			       "boot_timeout=300\n");

	(void)state;
	assert_int_equal(profile_builtin("quick", &p, err), 0);
	if (profile_load_file(path, &p, err) < 0)
		fail_msg("%s", err);
	assert_string_equal(p.name, "quick");
	assert_int_equal(ival(&p, "flood_seconds"), 30);
	assert_int_equal(ival(&p, "boot_timeout"), 300);
	assert_int_equal(ival(&p, "ping_count"), 3);
	assert_int_equal(ival(&p, "after_count"), 10);
	unlink(path);
	g_free(path);

	/* over full */
	path = write_tmp("[profile]\nping_count = 1\n");
	assert_int_equal(profile_builtin("full", &p, err), 0);
	assert_int_equal(profile_load_file(path, &p, err), 0);
	assert_string_equal(p.name, "full");
	assert_int_equal(ival(&p, "ping_count"), 1);
	assert_int_equal(ival(&p, "flood_seconds"), 600);
	unlink(path);
	g_free(path);
}

/* base applies first, wherever it is written; the file's keys then win. */
static void test_file_base_order(void **state)
{
	struct profile p;
	char err[ERRLEN] = "";
	char *path = write_tmp("[profile]\nping_count = 7\nbase = full\n");

	(void)state;
	assert_int_equal(profile_builtin("quick", &p, err), 0);
	if (profile_load_file(path, &p, err) < 0)
		fail_msg("%s", err);
	assert_string_equal(p.name, "full");
	assert_int_equal(ival(&p, "ping_count"), 7);
	assert_int_equal(ival(&p, "flood_seconds"), 600);
	unlink(path);
	g_free(path);

	/* base alone, with blanks around it */
	path = write_tmp("[profile]\nbase =  full  \n");
	assert_int_equal(profile_builtin("quick", &p, err), 0);
	assert_int_equal(profile_load_file(path, &p, err), 0);
	assert_string_equal(p.name, "full");
	assert_int_equal(ival(&p, "ping_count"), 100);
	unlink(path);
	g_free(path);
}

/* Boundaries of a range are allowed. */
static void test_file_bounds(void **state)
{
	struct profile p;
	char err[ERRLEN] = "";
	char *path = write_tmp("[profile]\nping_count = 100000\n"
			       "ping_sizes = 0;65507\n"
			       "ping_intervals = 0.0001;60\n"
			       "boot_timeout = 5\n");

	(void)state;
	assert_int_equal(profile_builtin("quick", &p, err), 0);
	if (profile_load_file(path, &p, err) < 0)
		fail_msg("%s", err);
	assert_int_equal(ival(&p, "ping_count"), 100000);
	assert_true(vals(&p, "ping_sizes")->v[1] == 65507);
	assert_true(vals(&p, "ping_intervals")->v[1] == 60);
	assert_int_equal(ival(&p, "boot_timeout"), 5);
	unlink(path);
	g_free(path);
}

static void expect_bad(const char *text, const char *msg)
{
	struct profile p, before;
	char err[ERRLEN] = "";
	char *path = write_tmp(text);

	assert_int_equal(profile_builtin("quick", &p, err), 0);
	before = p;
	assert_int_equal(profile_load_file(path, &p, err), -1);
	if (!strstr(err, msg))
		fail_msg("error '%s' lacks '%s' (file: %s)", err, msg, text);
	/* the message names the file */
	if (!strstr(err, path))
		fail_msg("error '%s' does not name the file", err);
	/* a failed load leaves the profile untouched */
	assert_memory_equal(&p, &before, sizeof(p));
	unlink(path);
	g_free(path);
}

static void test_file_errors(void **state)
{
	(void)state;
	/* unknown keys and groups, named */
	expect_bad("[profile]\nping_cuont = 3\n", "unknown key 'ping_cuont'");
	expect_bad("[profile]\nping_count = 3\nno_such_parameter = 2\n",
		   "unknown key 'no_such_parameter'");
	expect_bad("[prof]\nping_count = 3\n", "unknown group [prof]");
	expect_bad("[profile]\nping_count = 3\n[extra]\nx = 1\n",
		   "unknown group [extra]");
	expect_bad("[profile]\nbase = slow\n", "unknown profile 'slow'");
	/* malformed values, naming the key */
	expect_bad("[profile]\nping_count = many\n", "ping_count");
	expect_bad("[profile]\nping_count = many\n", "bad number 'many'");
	expect_bad("[profile]\nping_count = 3;4\n", "too many values");
	expect_bad("[profile]\nping_count = 1e3\n", "ping_count");
	expect_bad("[profile]\nping_count = 3.5\n", "ping_count");
	expect_bad("[profile]\nping_count =\n", "ping_count");
	expect_bad("[profile]\nping_sizes = 1;;2\n", "ping_sizes");
	expect_bad("[profile]\nping_intervals = nan\n", "ping_intervals");
	expect_bad("[profile]\nping_intervals = 0.1;inf\n", "ping_intervals");
	/* out of range */
	expect_bad("[profile]\nping_count = 0\n", "ping_count");
	expect_bad("[profile]\nping_count = 100001\n", "from 1 to 100000");
	expect_bad("[profile]\nping_sizes = 70000\n", "ping_sizes");
	expect_bad("[profile]\nping_sizes = -1\n", "ping_sizes");
	expect_bad("[profile]\nping_intervals = 0\n", "ping_intervals");
	expect_bad("[profile]\nping_intervals = 61\n", "ping_intervals");
	expect_bad("[profile]\nflood_seconds = -1\n", "flood_seconds");
	expect_bad("[profile]\nboot_timeout = 4\n", "boot_timeout");
	expect_bad("[profile]\nguest_memory = 64\n", "guest_memory");
	expect_bad("[profile]\nping_count = 99999999999999999999\n",
		   "ping_count");
	/* a good key before a bad one is not applied either */
	expect_bad("[profile]\nflood_seconds = 9\nping_count = x\n",
		   "ping_count");
	/* not a key file, or no [profile] in it */
	expect_bad("not a key file\n", "cannot load config");
	expect_bad("", "no [profile] group");
	expect_bad("# only a comment\n", "no [profile] group");
}

static void test_missing_file(void **state)
{
	struct profile p, before;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(profile_builtin("quick", &p, err), 0);
	before = p;
	assert_int_equal(profile_load_file("/nonexistent/nicq.ini", &p, err),
			 -1);
	assert_non_null(strstr(err, "cannot load config '/nonexistent/nicq.ini'"));
	assert_memory_equal(&p, &before, sizeof(p));
}

/* ---- lists ------------------------------------------------------------------ */

static void test_int_lists(void **state)
{
	int v[4] = { 0 }, n = 0;
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(parse_int_list("0; 64 ,1500", v, 4, 0, 65507, &n,
					err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 0);
	assert_int_equal(v[1], 64);
	assert_int_equal(v[2], 1500);
	/* one trailing separator is allowed */
	assert_int_equal(parse_int_list("1;2;", v, 4, 0, 9, &n, err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(parse_int_list("7,", v, 4, 0, 9, &n, err), 0);
	assert_int_equal(n, 1);
	/* exactly max values */
	assert_int_equal(parse_int_list("1;2;3;4", v, 4, 0, 9, &n, err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[3], 4);
	/* the bounds are inclusive */
	assert_int_equal(parse_int_list("-5;5", v, 4, -5, 5, &n, err), 0);
	assert_int_equal(v[0], -5);
	assert_int_equal(parse_int_list("2147483647", v, 4, 0, INT_MAX, &n,
					err), 0);
	assert_int_equal(v[0], INT_MAX);
	assert_int_equal(parse_int_list("+3", v, 4, 0, 9, &n, err), 0);
	assert_int_equal(v[0], 3);
}

static void expect_bad_ints(const char *s, int max, int lo, int hi,
			    const char *msg)
{
	int v[4] = { 11, 22, 33, 44 }, n = 99;
	char err[ERRLEN] = "";

	if (parse_int_list(s, v, max, lo, hi, &n, err) != -1)
		fail_msg("'%s' accepted", s);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, msg);
	assert_int_equal(n, 99);	/* the count is left alone */
}

static void test_int_lists_bad(void **state)
{
	(void)state;
	expect_bad_ints("65508", 4, 0, 65507, "bad number '65508'");
	expect_bad_ints("65508", 4, 0, 65507, "from 0 to 65507");
	expect_bad_ints("12x", 4, 0, 100, "bad number '12x'");
	expect_bad_ints("", 4, 0, 100, "empty list");
	expect_bad_ints(" ", 4, 0, 100, "bad number ''");
	expect_bad_ints(";", 4, 0, 100, "bad number ''");
	expect_bad_ints(";1", 4, 0, 100, "bad number ''");
	expect_bad_ints("1;;2", 4, 0, 100, "bad number ''");
	expect_bad_ints("1;2;;", 4, 0, 100, "bad number ''");
	expect_bad_ints("1 2", 4, 0, 100, "bad number '1 2'");
	expect_bad_ints("1;2;3;4;5", 4, 0, 100, "too many");
	expect_bad_ints("1;2", 1, 0, 9, "too many values (at most 1)");
	expect_bad_ints("-1", 4, 0, 9, "bad number '-1'");
	expect_bad_ints("0x10", 4, 0, 100, "bad number '0x10'");
	expect_bad_ints("1.5", 4, 0, 100, "bad number '1.5'");
	expect_bad_ints("1e3", 4, 0, 10000, "bad number '1e3'");
	expect_bad_ints("2147483648", 4, 0, INT_MAX, "bad number");
	expect_bad_ints("99999999999999999999", 4, 0, INT_MAX, "bad number");
	expect_bad_ints("-2147483649", 4, INT_MIN, 0, "bad number");
}

static void test_double_lists(void **state)
{
	double d[4] = { 0 };
	int n = 0;
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(parse_double_list("0.1,0.0001", d, 4, 0.0001, 60, &n,
					   err), 0);
	assert_int_equal(n, 2);
	assert_true(d[0] == 0.1);
	assert_true(d[1] == 0.0001);	/* the bound itself */
	assert_int_equal(parse_double_list(" 1e-3 ; 60 ;", d, 4, 0.0001, 60,
					   &n, err), 0);
	assert_int_equal(n, 2);
	assert_true(d[0] == 0.001);
	assert_true(d[1] == 60);
	assert_int_equal(parse_double_list("5", d, 4, 0, 10, &n, err), 0);
	assert_int_equal(n, 1);
	assert_true(d[0] == 5);
	/* '.' is the decimal point whatever the locale; ',' separates */
	assert_int_equal(parse_double_list("1,5", d, 4, 0, 10, &n, err), 0);
	assert_int_equal(n, 2);
}

static void expect_bad_doubles(const char *s, int max, const char *msg)
{
	double d[4] = { 0 };
	int n = 99;
	char err[ERRLEN] = "";

	if (parse_double_list(s, d, max, 0.0001, 60, &n, err) != -1)
		fail_msg("'%s' accepted", s);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, msg);
	assert_int_equal(n, 99);
}

static void test_double_lists_bad(void **state)
{
	(void)state;
	expect_bad_doubles("0.00001", 4, "bad number '0.00001'");
	expect_bad_doubles("60.5", 4, "bad number '60.5'");
	expect_bad_doubles("nan", 4, "bad number 'nan'");
	expect_bad_doubles("inf", 4, "bad number 'inf'");
	expect_bad_doubles("-inf", 4, "bad number");
	expect_bad_doubles("1e999", 4, "bad number");
	expect_bad_doubles("0.1s", 4, "bad number '0.1s'");
	expect_bad_doubles("", 4, "empty list");
	expect_bad_doubles("0.1;;0.2", 4, "bad number ''");
	expect_bad_doubles("1;2;3;4;5", 4, "too many values (at most 4)");
}

/* ---- cells -------------------------------------------------------------------- */

static void test_models(void **state)
{
	(void)state;
	assert_int_equal(model_from_name("rtl8139"), NIC_RTL8139);
	assert_int_equal(model_from_name("e1000"), NIC_E1000);
	assert_int_equal(model_from_name("virtio"), NIC_VIRTIO);
	assert_int_equal(model_from_name("virtio-net"), -1);
	assert_int_equal(model_from_name(""), -1);
	assert_string_equal(model_name(NIC_E1000), "e1000");
	assert_null(model_name(NIC_MODEL_COUNT));
}

/* vhost=on cells skip with the reason when vhost-net is missing; never run
 * as vhost=off in its place. */
static void test_cells(void **state)
{
	struct run_opts o;
	struct cell cells[6];
	int n, i;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.uri = "test:///default";	/* no QEMU device probing */
	o.model[NIC_E1000] = o.model[NIC_VIRTIO] = true;
	o.vhost[0] = o.vhost[1] = true;
	n = run_cells(&o, cells, false, "vhost-net not available on this host");
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		if (cells[i].vhost)
			assert_string_equal(cells[i].skip,
				"vhost-net not available on this host");
		else
			assert_null(cells[i].skip);
	}
	assert_string_equal(cells[3].name, "virtio vhost=on");
	assert_string_equal(cells[3].slug, "virtio-vhost-on");
	assert_true(cells[3].vhost);

	/* with vhost-net present, virtio vhost=on runs; e1000 has no vhost */
	n = run_cells(&o, cells, true, "unused");
	assert_int_equal(n, 4);
	assert_null(cells[3].skip);
	assert_non_null(cells[1].skip);
	assert_non_null(strstr(cells[1].skip, "only virtio"));

	o.vhost[1] = false;
	assert_int_equal(run_cells(&o, cells, true, "unused"), 2);
	assert_string_equal(cells[0].name, "e1000 vhost=off");
	assert_string_equal(cells[1].slug, "virtio-vhost-off");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_builtin_declared),
		cmocka_unit_test(test_builtin_unknown),
		cmocka_unit_test(test_registry_unique),
		cmocka_unit_test(test_registry_values),
		cmocka_unit_test(test_registry_cases),
		cmocka_unit_test(test_file_override),
		cmocka_unit_test(test_file_no_base),
		cmocka_unit_test(test_file_base_order),
		cmocka_unit_test(test_file_bounds),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_int_lists),
		cmocka_unit_test(test_int_lists_bad),
		cmocka_unit_test(test_double_lists),
		cmocka_unit_test(test_double_lists_bad),
		cmocka_unit_test(test_models),
		cmocka_unit_test(test_cells),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
