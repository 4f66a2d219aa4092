/* test_merge.c - nicq merge on synthetic shard folders (no guests). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merge.h"
#include "report.h"
#include "runner.h"
#include "util.h"

/*
 * The matrix: cells virtio-vhost-off, e1000-vhost-off x cases ping,
 * multicast.  Shard 1 of 2 has positions 0-1, shard 2 has 2-3; position 3
 * is skipped before it runs, position 2 failed.
 */
static const char *const slugs[] = { "virtio-vhost-off", "e1000-vhost-off" };
static const char *const cells[] = { "virtio vhost=off", "e1000 vhost=off" };
static const char *const cases[] = { "ping", "multicast" };

static char *tmp;
static bool bail2;	/* shard 2 bailed out while running position 2 */

static void put(const char *path, const char *text)
{
	char err[ERRLEN];

	assert_int_equal(file_write(path, text, strlen(text), err), 0);
}

/* A shard's run folder under tmp; extra is spliced into run.json. */
static char *make_shard(const char *name, int index, const char *options,
			const char *extra)
{
	char *dir = g_build_filename(tmp, name, NULL);
	GString *planned = g_string_new(NULL), *run = g_string_new(NULL);
	char *path;

	g_mkdir_with_parents(dir, 0755);
	for (int pos = (index - 1) * 2; pos < index * 2; pos++) {
		const char *slug = slugs[pos / 2], *cname = cases[pos % 2];
		bool skip = pos == 3;

		g_string_append_printf(planned, "%s{\"position\": %d, "
			"\"cell\": \"%s\", \"slug\": \"%s\", \"model\": \"%s\", "
			"\"vhost\": false, \"case\": \"%s\", \"plan_case\": 1, "
			"\"summary\": \"s\", \"deadline_s\": 10, \"skip\": %s}",
			planned->len ? ", " : "", pos, cells[pos / 2], slug,
			pos < 2 ? "virtio" : "e1000", cname,
			skip ? "\"not here\"" : "null");
		if (!skip) {
			char *pd = g_build_filename(dir, slug, cname, NULL);
			char *res = g_strdup_printf("{\"case\": \"%s\", "
				"\"cell\": {\"name\": \"%s\"}, \"verdict\": "
				"\"%s\", \"failures\": [%s], \"duration_ms\": "
				"%d}", cname, cells[pos / 2],
				pos == 2 ? "fail" : "pass",
				pos == 2 ? "\"lost 3 replies\"" : "", 100 + pos);

			g_mkdir_with_parents(pd, 0755);
			path = g_build_filename(pd, "result.json", NULL);
			put(path, res);
			g_free(path);
			path = g_build_filename(pd, "transcript.txt", NULL);
			put(path, "$ ping\n");
			g_free(path);
			/* a planted link: neither followed nor copied */
			path = g_build_filename(pd, "link", NULL);
			assert_int_equal(symlink("/etc/passwd", path), 0);
			g_free(path);
			g_free(pd);
			g_free(res);
		}
	}
	g_string_append_printf(run, "{\"format\": \"nicq-run\", "
		"\"format_version\": 1, \"nicq_version\": \"1.0\", "
		"\"run_id\": \"%s\", \"dir\": \"%s\", \"command\": [], "
		"\"started_ms\": %d, \"host\": {\"hostname\": \"h%d\"}, "
		"\"accelerator\": {\"name\": \"tcg\"}, "
		"\"vhost_net\": {\"available\": false}, "
		"\"versions\": {\"qemu\": \"7.2.0\"}, \"guest_image\": {}, "
		"\"profile\": {\"name\": \"quick\", \"params\": [{\"name\": "
		"\"boot_timeout\", \"value\": 120}]}, "
		"\"options\": %s, %s"
		"\"shard\": {\"index\": %d, \"count\": 2, \"matrix_points\": 4}, "
		"\"planned\": [%s], "
		"\"end\": {\"finished_ms\": %d, \"exit_status\": %d, "
		"\"bail_out\": %s, \"unreported\": [%s]}}",
		name, dir, 1000 * index, index, options, extra ? extra : "",
		index, planned->str, 5000 + index,
		index == 2 ? (bail2 ? 3 : 1) : 0,
		index == 2 && bail2 ? "\"lab failed: libvirtd died\"" : "null",
		index == 2 && bail2 ? "\"e1000-vhost-off/ping\"" : "");
	path = g_build_filename(dir, "run.json", NULL);
	put(path, run->str);
	g_free(path);
	path = g_build_filename(dir, "run.tap", NULL);
	put(path, "TAP version 14\n1..0\n");
	g_free(path);
	g_string_free(planned, TRUE);
	g_string_free(run, TRUE);
	return dir;
}

#define OPTS "{\"models\": [\"e1000\", \"virtio\"], \"vhost\": [\"off\"], " \
	     "\"cases\": [\"ping\", \"multicast\"], \"accel\": \"auto\", " \
	     "\"tap_version\": 14, \"boot\": \"restore\", \"faults\": []}"

static char *s1, *s2;

static int setup(void **state)
{
	(void)state;
	tmp = g_dir_make_tmp("nicq-merge-XXXXXX", NULL);
	assert_non_null(tmp);
	s1 = make_shard("s1", 1, OPTS, NULL);
	s2 = make_shard("s2", 2, OPTS, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(tmp, NULL);
	g_free(tmp);
	g_free(s1);
	g_free(s2);
	return 0;
}

static char *out_dir(const char *name)
{
	return g_build_filename(tmp, name, NULL);
}

static void test_merge_joins(void **state)
{
	const char *dirs[] = { s2, s1 };	/* any order */
	char *out = out_dir("merged"), err[ERRLEN] = "", *text = NULL, *p;
	char *args[] = { "nicq", "merge", NULL };
	JsonObject *doc = NULL, *run;
	JsonArray *pl, *cl;
	FILE *saved = stdout;

	(void)state;
	stdout = fopen("/dev/null", "w");	/* the TAP copy */
	assert_int_equal(merge_runs(out, dirs, 2, args, NULL, err),
			 EXIT_FAIL);
	fclose(stdout);
	stdout = saved;
	assert_int_equal(report_build(out, &doc, err), 0);
	run = report_obj(doc, "run");
	pl = report_arr(run, "planned");
	assert_int_equal(json_array_get_length(pl), 4);
	for (guint i = 0; i < 4; i++)
		assert_int_equal(report_int(report_elem(pl, i), "position",
					    -1), i);
	assert_null(report_obj(run, "shard"));
	assert_int_equal(report_int(report_obj(run, "merged"), "count", 0), 2);
	assert_int_equal(report_int(run, "started_ms", 0), 1000);
	assert_int_equal(report_int(report_obj(run, "end"), "finished_ms", 0),
			 5002);
	assert_int_equal(report_int(report_obj(run, "end"), "exit_status",
				    -1), 1);
	cl = report_arr(doc, "cells");
	assert_int_equal(json_array_get_length(cl), 2);
	assert_string_equal(report_str(report_elem(cl, 0), "slug"), slugs[0]);
	assert_string_equal(report_str(report_elem(report_arr(
		report_elem(cl, 1), "points"), 0), "status"), "fail");
	assert_int_equal(report_int(report_obj(report_obj(doc, "summary"),
					       "counts"), "pass", -1), 2);
	assert_string_equal(report_str(report_elem(report_arr(
		report_elem(cl, 1), "points"), 1), "status"), "skip");
	json_object_unref(doc);
	/* the points' files are copied, a symlink is not */
	p = g_build_filename(out, slugs[1], "ping", "transcript.txt", NULL);
	assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
	g_free(p);
	p = g_build_filename(out, slugs[1], "ping", "link", NULL);
	assert_false(g_file_test(p, G_FILE_TEST_EXISTS) ||
		     g_file_test(p, G_FILE_TEST_IS_SYMLINK));
	g_free(p);
	p = g_build_filename(out, "shards", "2-of-2", "run.json", NULL);
	assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
	g_free(p);
	/* one TAP for the matrix, numbered as one run's */
	p = g_build_filename(out, "run.tap", NULL);
	assert_int_equal(file_read(p, &text, NULL, err), 0);
	assert_non_null(strstr(text, "1..2\n# Subtest: virtio vhost=off\n"
			       "    1..2\n    ok 1 - ping\n"));
	assert_non_null(strstr(text, "    not ok 1 - ping\n"));
	assert_non_null(strstr(text, "    ok 2 - multicast # SKIP not here\n"));
	assert_non_null(strstr(text, "not ok 2 - e1000 vhost=off\n"));
	g_free(text);
	g_free(p);
	p = g_build_filename(out, "junit.xml", NULL);
	assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
	g_free(p);
	p = g_build_filename(out, "report.html", NULL);
	assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
	g_free(p);
	g_free(out);
}

/* merge refuses with exit 2, err containing what, and writes nothing. */
static void refused(const char *const *dirs, int n, const char *out_name,
		    const char *what)
{
	char *out = out_dir(out_name), err[ERRLEN] = "";
	char *args[] = { "nicq", NULL };
	bool existed = g_file_test(out, G_FILE_TEST_EXISTS);

	assert_int_equal(merge_runs(out, dirs, n, args, NULL, err),
			 EXIT_USAGE);
	if (!strstr(err, what))
		fail_msg("'%s' does not say '%s'", err, what);
	assert_int_equal(g_file_test(out, G_FILE_TEST_EXISTS), existed);
	g_free(out);
}

static void test_merge_refuses(void **state)
{
	char *other = make_shard("other", 2, "{\"models\": [\"virtio\"], "
		"\"vhost\": [\"off\"], \"cases\": [\"ping\", \"multicast\"], "
		"\"accel\": \"auto\", \"tap_version\": 14, \"boot\": "
		"\"restore\", \"faults\": []}", NULL);
	char *ver = make_shard("ver", 2, OPTS, "\"nicq_version\": \"2.0\", ");
	char *busy = out_dir("busy"), *f;
	const char *one[] = { s1 };
	const char *twice[] = { s1, s1, s2 };
	const char *opts[] = { s1, other };
	const char *vers[] = { s1, ver };
	const char *both[] = { s1, s2 };
	const char *notdir[] = { s1, "/nonexistent-nicq" };

	(void)state;
	refused(one, 1, "r1", "shard 2/2 missing");
	refused(twice, 3, "r2", "given twice");
	refused(opts, 2, "r3", "option --model");
	refused(vers, 2, "r4", "nicq version");
	refused(notdir, 2, "r5", "cannot open run folder");
	g_mkdir_with_parents(busy, 0755);
	f = g_build_filename(busy, "x", NULL);
	put(f, "x");
	refused(both, 2, "busy", "not empty");
	refused(both, 2, "s1/inside", "overlap");
	g_free(f);
	g_free(busy);
	g_free(other);
	g_free(ver);
}

/* A shard that bailed out: the merged run bails out where it did. */
static void test_merge_bailed(void **state)
{
	char *b2, *out = out_dir("bailed"), err[ERRLEN] = "", *text = NULL;
	char *args[] = { "nicq", NULL }, *p;
	const char *dirs[2];
	JsonObject *doc = NULL;
	FILE *saved = stdout;

	(void)state;
	bail2 = true;
	b2 = make_shard("b2", 2, OPTS, NULL);
	bail2 = false;
	dirs[0] = s1;
	dirs[1] = b2;
	stdout = fopen("/dev/null", "w");
	assert_int_equal(merge_runs(out, dirs, 2, args, NULL, err),
			 EXIT_INFRA);
	fclose(stdout);
	stdout = saved;
	assert_int_equal(report_build(out, &doc, err), 0);
	assert_string_equal(report_str(report_obj(doc, "summary"), "status"),
			    "bailed");
	assert_string_equal(report_str(report_obj(doc, "summary"),
				       "bail_out"),
			    "shard 2/2: lab failed: libvirtd died");
	assert_string_equal(report_str(report_elem(report_arr(report_elem(
		report_arr(doc, "cells"), 1), "points"), 0), "status"),
		"interrupted");
	json_object_unref(doc);
	p = g_build_filename(out, "run.tap", NULL);
	assert_int_equal(file_read(p, &text, NULL, err), 0);
	assert_non_null(strstr(text, "ok 1 - virtio vhost=off\n"
			       "# Subtest: e1000 vhost=off\n    1..2\n"
			       "    Bail out! shard 2/2: lab failed: "
			       "libvirtd died\n"));
	assert_null(strstr(text, "multicast # SKIP"));
	g_free(text);
	g_free(p);
	g_free(b2);
	g_free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge_joins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge_refuses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge_bailed, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
