/*
 * test_report.c - the run-level reports without a VM: run.json
 * (harness/runinfo.c), the results document, JUnit and the HTML page
 * (harness/report.c, harness/html.c) and the progress line
 * (harness/progress.c), on run folders made here from real points
 * (harness/point.h): every status (pass, fail, known, skip before and in
 * the case, interrupted, not run), a bailed and an unfinished run, hostile
 * text from a guest, planted symlinks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case.h"
#include "html.h"
#include "point.h"
#include "progress.h"
#include "report.h"
#include "runinfo.h"
#include "runner.h"
#include "tap.h"
#include "util.h"

/* Text a guest could print: markup, a CDATA end, controls, bad UTF-8. */
#define HOSTILE "<script>alert(1)</script> ]]> & \"q\" \x01\x1b[31m \xff\xfe"

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("'%s' not found in:\n%.3000s", needle,
			 hay ? hay : "(null)");
}

static void assert_lacks(const char *hay, const char *needle)
{
	const char *at = hay ? strstr(hay, needle) : NULL;

	if (at)
		fail_msg("'%s' found in:\n%.3000s", needle, at);
}

/* ---- a run folder ------------------------------------------------------ */

struct fx {
	char *dir;		/* the run folder */
	struct run_opts o;
	struct cell cells[6];
	int n_cells;
};

static const char *const fx_cases[] = { "ping", "multicast", "stress",
					"multinic", NULL };

/* virtio and e1000, vhost both (vhost unavailable), four cases. */
static struct fx *fx_new(void)
{
	struct fx *f = g_new0(struct fx, 1);
	char err[ERRLEN];
	static char *argv[] = { "nicq", "run", "--case", "x", NULL };

	f->dir = g_dir_make_tmp("nicq-report-XXXXXX", NULL);
	assert_non_null(f->dir);
	assert_int_equal(profile_builtin("quick", &f->o.prof, err), 0);
	f->o.model[NIC_VIRTIO] = f->o.model[NIC_E1000] = true;
	f->o.vhost[0] = f->o.vhost[1] = true;
	for (int i = 0; fx_cases[i]; i++)
		f->o.cases[f->o.n_cases++] = case_find(fx_cases[i]);
	f->o.uri = "test:///default";	/* no probe of the host's QEMU */
	f->o.tap_version = 14;
	f->o.results_root = "/tmp";
	f->o.image_dir = "/nonexistent";
	f->o.argv = argv;
	f->n_cells = run_cells(&f->o, f->cells, false,
			       "vhost-net not available on this host");
	assert_int_equal(f->n_cells, 4);
	assert_int_equal(runinfo_begin(f->dir, &f->o, NULL, "no lab here",
				       f->cells, f->n_cells,
				       "no /dev/vhost-net", err), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	char err[ERRLEN];

	rm_rf(f->dir, err);
	g_free(f->dir);
	g_free(f);
}

static const struct cell *fx_cell(struct fx *f, const char *slug)
{
	for (int i = 0; i < f->n_cells; i++)
		if (!strcmp(f->cells[i].slug, slug))
			return &f->cells[i];
	fail_msg("no cell %s", slug);
	return NULL;
}

/* A point of the folder: its folder made, identity set, a transcript. */
static struct point *fx_point(struct fx *f, const char *slug,
			      const char *case_name, char **pdir)
{
	const struct cell *c = fx_cell(f, slug);
	const struct case_desc *cd = case_find(case_name);
	char *celldir = g_build_filename(f->dir, slug, NULL);
	char *dir = g_build_filename(celldir, case_name, NULL);
	char *t = g_build_filename(dir, "transcript.txt", NULL), err[ERRLEN];
	struct point *p = point_new();
	JsonObject *art = json_object_new();

	g_mkdir(celldir, 0755);
	assert_int_equal(g_mkdir(dir, 0755), 0);
	assert_int_equal(file_write(t, "=== #1 ping\n", 12, err), 0);
	point_set_identity(p, cd->name, cd->plan_case, cd->summary, c->name,
			   model_name(c->model), c->vhost, dir, 100);
	json_object_set_string_member(art, "kind", "transcript");
	json_object_set_string_member(art, "path", "transcript.txt");
	point_section(p, "artifact", art);
	g_free(celldir);
	g_free(t);
	*pdir = dir;
	return p;
}

static void fx_write(struct point *p, char *dir, int64_t ms)
{
	char *path = g_build_filename(dir, "result.json", NULL), err[ERRLEN];

	point_finish(p, ms);
	assert_int_equal(point_write_json(p, path, err), 0);
	point_free(p);
	g_free(path);
	g_free(dir);
}

static void ok_expect(struct point *p, const char *name, long long want,
		      long long got, const char *evidence)
{
	point_expect(p, NULL, name, CMP_EQ, VAL_I(want), VAL_NONE_,
		     VAL_I(got), false, evidence);
}

/*
 * virtio vhost=off: ping passes, multicast fails on hostile text, stress
 * passes with throughput and knee observations; e1000 vhost=off: ping is
 * a known defect, multicast skips in the case, stress has no result
 * (as after a bail out); multinic runs only in virtio cells; vhost=on
 * cells skip before they run.
 */
static void fx_points(struct fx *f, bool e1000_stress)
{
	struct point *p;
	char *dir, *link;
	static const char *const explains[] = { "echo replies on the wire",
						NULL };

	p = fx_point(f, "virtio-vhost-off", "ping", &dir);
	ok_expect(p, "echo replies on the wire", 3, 3,
		  "transcript.txt:1; secret.txt");
	/* a planted link in the point's folder is never linked */
	link = g_build_filename(dir, "secret.txt", NULL);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	g_free(link);
	fx_write(p, dir, 12345);

	p = fx_point(f, "virtio-vhost-off", "multicast", &dir);
	point_expect(p, "joined " HOSTILE, "frames", CMP_STREQ,
		     VAL_S("five frames"), VAL_NONE_, VAL_S(HOSTILE), false,
		     "transcript.txt:9");
	{
		JsonObject *k = json_object_new(), *kl = json_object_new();

		json_object_set_string_member(k, "source", "dmesg.txt");
		json_object_set_int_member(k, "line", 7);
		json_object_set_string_member(k, "kind", "oops");
		json_object_set_string_member(k, "text", HOSTILE);
		(void)kl;
		json_object_unref(kl);
		point_section(p, "klog", k);
	}
	fx_write(p, dir, 2000);

	p = fx_point(f, "virtio-vhost-off", "stress", &dir);
	ok_expect(p, "ping after", 10, 10, NULL);
	point_observe(p, NULL, "link speed the driver reports",
		      VAL_S("1000Mb/s"), NULL, NULL);
	point_observe(p, "tcp host->guest", "receiver throughput",
		      VAL_D(96.5), "Mbit/s", NULL);
	point_observe(p, "udp host->guest", "receiver throughput",
		      VAL_D(41.7), "Mbit/s", NULL);
	point_observe(p, "udp host->guest", "datagram size", VAL_I(1448),
		      "bytes", NULL);
	point_observe(p, "udp host->guest", "bytes sent (iperf3)",
		      VAL_I(1448 * 1000), "bytes", NULL);
	point_observe(p, "udp host->guest", "bytes received (iperf3)",
		      VAL_I(1448 * 600), "bytes", NULL);
	point_observe(p, "udp host->guest", "data frames on the tap",
		      VAL_I(990), NULL, NULL);
	point_observe(p, "knee 64 bytes step 1", "offered rate", VAL_D(2000),
		      "pps", NULL);
	point_observe(p, "knee 64 bytes step 1", "loss", VAL_D(30.5), "%",
		      NULL);
	point_observe(p, "knee 64 bytes step 2", "offered rate", VAL_D(1000),
		      "pps", NULL);
	point_observe(p, "knee 64 bytes step 2", "loss", VAL_D(0), "%", NULL);
	fx_write(p, dir, 90000);

	p = fx_point(f, "virtio-vhost-off", "multinic", &dir);
	ok_expect(p, "echo", 1, 1, NULL);
	fx_write(p, dir, 1000);

	p = fx_point(f, "e1000-vhost-off", "ping", &dir);
	ok_expect(p, "echo replies on the wire", 3, 1, NULL);
	point_known(p, "QEMU e1000 holds off receive", explains);
	fx_write(p, dir, 5000);

	p = fx_point(f, "e1000-vhost-off", "multicast", &dir);
	point_skip(p, "this host cannot inject frames");
	fx_write(p, dir, 100);

	if (e1000_stress) {
		p = fx_point(f, "e1000-vhost-off", "stress", &dir);
		ok_expect(p, "ping after", 10, 10, NULL);
		fx_write(p, dir, 3000);
	}
}

static JsonObject *point_of(JsonObject *doc, const char *slug,
			    const char *case_name)
{
	JsonArray *cells = report_arr(doc, "cells");

	for (guint i = 0; i < json_array_get_length(cells); i++) {
		JsonObject *c = report_elem(cells, i);
		JsonArray *pts = report_arr(c, "points");

		if (strcmp(report_str(c, "slug"), slug))
			continue;
		for (guint j = 0; j < json_array_get_length(pts); j++)
			if (!strcmp(report_str(report_elem(pts, j), "case"),
				    case_name))
				return report_elem(pts, j);
	}
	fail_msg("no point %s/%s", slug, case_name);
	return NULL;
}

static const char *status_of(JsonObject *doc, const char *slug,
			     const char *case_name)
{
	return report_str(point_of(doc, slug, case_name), "status");
}

static JsonObject *build(struct fx *f)
{
	JsonObject *doc = NULL;
	char err[ERRLEN];

	assert_int_equal(report_build(f->dir, &doc, err), 0);
	return doc;
}

/* ---- tests ------------------------------------------------------------- */

static void test_runinfo(void **state)
{
	struct fx *f = fx_new();
	JsonObject *run = NULL, *pl;
	JsonArray *planned;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(report_load_runinfo(f->dir, &run, err), 0);
	assert_string_equal(report_str(run, "format"), "nicq-run");
	assert_non_null(report_str(report_obj(run, "versions"), "nicq"));
	assert_string_equal(report_str(report_obj(run, "lab"), "error"),
			    "no lab here");
	assert_string_equal(report_str(report_obj(run, "vhost_net"),
				       "reason"), "no /dev/vhost-net");
	assert_string_equal(report_str(report_obj(run, "profile"), "name"),
			    "quick");
	assert_string_equal(json_array_get_string_element(
		report_arr(run, "command"), 2), "--case");
	planned = report_arr(run, "planned");
	/* 4 cells x 4 cases, in run order */
	assert_int_equal(json_array_get_length(planned), 16);
	pl = report_elem(planned, 0);
	assert_string_equal(report_str(pl, "slug"), "e1000-vhost-off");
	assert_string_equal(report_str(pl, "case"), "ping");
	assert_null(report_str(pl, "skip"));
	/* multinic only in virtio cells; vhost=on cells skip */
	assert_string_equal(report_str(report_elem(planned, 3), "case"),
			    "multinic");
	assert_non_null(report_str(report_elem(planned, 3), "skip"));
	assert_string_equal(report_str(report_elem(planned, 4), "skip"),
			    "vhost-net not available on this host");
	assert_false(report_obj(run, "end") != NULL);
	json_object_unref(run);
	/* the end is added to the same file */
	assert_int_equal(runinfo_end(f->dir, 1, NULL, NULL, 0, err), 0);
	assert_int_equal(report_load_runinfo(f->dir, &run, err), 0);
	assert_int_equal(report_int(report_obj(run, "end"), "exit_status", -1),
			 1);
	assert_int_equal(json_array_get_length(report_arr(run, "planned")),
			 16);
	json_object_unref(run);
	fx_free(f);
}

static void test_statuses(void **state)
{
	struct fx *f = fx_new();
	JsonObject *doc, *sum, *cnt, *pt;
	char err[ERRLEN];

	(void)state;
	fx_points(f, true);
	assert_int_equal(runinfo_end(f->dir, 1, NULL, NULL, 0, err), 0);
	doc = build(f);
	assert_string_equal(status_of(doc, "virtio-vhost-off", "ping"), "pass");
	assert_string_equal(status_of(doc, "virtio-vhost-off", "multicast"),
			    "fail");
	assert_string_equal(status_of(doc, "e1000-vhost-off", "ping"),
			    "known");
	assert_string_equal(status_of(doc, "e1000-vhost-off", "multicast"),
			    "skip");
	assert_string_equal(status_of(doc, "e1000-vhost-off", "multinic"),
			    "skip");
	assert_string_equal(status_of(doc, "virtio-vhost-on", "ping"), "skip");
	pt = point_of(doc, "e1000-vhost-off", "ping");
	assert_string_equal(report_str(pt, "reason"),
			    "QEMU e1000 holds off receive");
	assert_string_equal(report_str(pt, "path"), "e1000-vhost-off/ping");
	assert_int_equal(report_int(pt, "duration_ms", -1), 5000);
	pt = point_of(doc, "virtio-vhost-on", "ping");
	assert_null(report_obj(pt, "result"));
	assert_null(report_str(pt, "path"));
	assert_string_equal(report_str(pt, "reason"),
			    "vhost-net not available on this host");
	/* the fail's reason is its first failure */
	assert_non_null(strstr(report_str(point_of(doc, "virtio-vhost-off",
						   "multicast"), "reason"),
			       "frames: expected"));
	sum = report_obj(doc, "summary");
	cnt = report_obj(sum, "counts");
	assert_string_equal(report_str(sum, "status"), "fail");
	assert_int_equal(report_int(sum, "exit_status", -1), 1);
	assert_int_equal(report_int(sum, "points", 0), 16);
	assert_int_equal(report_int(cnt, "pass", 0), 4);
	assert_int_equal(report_int(cnt, "fail", 0), 1);
	assert_int_equal(report_int(cnt, "known", 0), 1);
	assert_int_equal(report_int(cnt, "skip", 0), 10);
	/* a skipped cell says why */
	assert_string_equal(report_str(report_elem(report_arr(doc, "cells"),
						   1), "skip"),
			    "vhost-net not available on this host");
	assert_null(report_str(report_elem(report_arr(doc, "cells"), 0),
			       "skip"));
	json_object_unref(doc);
	fx_free(f);
}

static void test_bailed(void **state)
{
	struct fx *f = fx_new();
	JsonObject *doc, *sum;
	char err[ERRLEN];

	(void)state;
	fx_points(f, false);
	/* e1000 stress was running when the lab failed */
	{
		char *dir;
		struct point *p = fx_point(f, "e1000-vhost-off", "stress",
					   &dir);

		point_error(p, NULL, "the point's process was killed");
		fx_write(p, dir, 50);
	}
	{
		static const char *const unrep[] = { "e1000-vhost-off/stress",
						     NULL };

		assert_int_equal(runinfo_end(f->dir, 3, "lab failed: "
					     "libvirtd died", unrep, 0, err), 0);
	}
	doc = build(f);
	sum = report_obj(doc, "summary");
	assert_string_equal(report_str(sum, "status"), "bailed");
	assert_string_equal(report_str(sum, "bail_out"),
			    "lab failed: libvirtd died");
	assert_string_equal(status_of(doc, "e1000-vhost-off", "stress"),
			    "interrupted");
	assert_non_null(report_obj(point_of(doc, "e1000-vhost-off", "stress"),
				   "result"));
	/* the virtio cell comes after the e1000 one: never started */
	assert_string_equal(status_of(doc, "virtio-vhost-off", "stress"),
			    "pass");
	json_object_unref(doc);
	fx_free(f);
}

static void test_not_run(void **state)
{
	struct fx *f = fx_new();
	JsonObject *doc;
	char err[ERRLEN];

	(void)state;
	fx_points(f, false);
	/* not finished: no end in run.json */
	doc = build(f);
	assert_string_equal(report_str(report_obj(doc, "summary"), "status"),
			    "unfinished");
	assert_string_equal(status_of(doc, "e1000-vhost-off", "stress"),
			    "not_run");
	assert_string_equal(report_str(point_of(doc, "e1000-vhost-off",
						"stress"), "reason"),
			    "not run: the run did not finish");
	json_object_unref(doc);
	/* bailed out between points: the rest is not run */
	assert_int_equal(runinfo_end(f->dir, 3, "interrupted by signal 2",
				     NULL, 0, err), 0);
	doc = build(f);
	assert_string_equal(report_str(point_of(doc, "e1000-vhost-off",
						"stress"), "reason"),
			    "not run: the run bailed out before it: "
			    "interrupted by signal 2");
	json_object_unref(doc);
	/* finished normally, yet a result is missing: said so */
	assert_int_equal(runinfo_end(f->dir, 1, NULL, NULL, 0, err), 0);
	doc = build(f);
	assert_string_equal(status_of(doc, "e1000-vhost-off", "stress"),
			    "not_run");
	assert_non_null(strstr(report_str(point_of(doc, "e1000-vhost-off",
						   "stress"), "reason"),
			       "no result: "));
	assert_string_equal(report_str(report_obj(doc, "summary"), "status"),
			    "fail");
	json_object_unref(doc);
	fx_free(f);
}

/* A result.json reached through a symlinked folder is not read. */
static void test_symlinks(void **state)
{
	struct fx *f = fx_new();
	JsonObject *doc;
	char *cell = g_build_filename(f->dir, "e1000-vhost-off", NULL);
	char *other = g_build_filename(f->dir, "elsewhere", NULL);
	char *text = NULL, *path, err[ERRLEN];
	size_t len;

	(void)state;
	fx_points(f, true);
	assert_int_equal(runinfo_end(f->dir, 1, NULL, NULL, 0, err), 0);
	assert_int_equal(rename(cell, other), 0);
	assert_int_equal(symlink("elsewhere", cell), 0);
	doc = build(f);
	assert_string_equal(status_of(doc, "e1000-vhost-off", "ping"),
			    "not_run");
	json_object_unref(doc);
	/* report_read_file: no final symlink, a size bound */
	path = g_build_filename(f->dir, "virtio-vhost-off", "ping",
				"secret.txt", NULL);
	assert_int_equal(report_read_file(AT_FDCWD, path, 1 << 20, &text,
					  &len, err), -1);
	g_free(path);
	path = g_build_filename(f->dir, "run.json", NULL);
	assert_int_equal(report_read_file(AT_FDCWD, path, 10, &text, &len,
					  err), -1);
	assert_non_null(strstr(err, "larger than"));
	assert_int_equal(report_read_file(AT_FDCWD, path, 1 << 20, &text,
					  &len, err), 0);
	assert_int_equal(strlen(text), len);
	g_free(text);
	g_free(path);
	g_free(cell);
	g_free(other);
	fx_free(f);
}

/* The first node an XPath expression finds, or NULL. */
static xmlNodePtr xfind(xmlDocPtr d, const char *xp)
{
	xmlXPathContextPtr c = xmlXPathNewContext(d);
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST xp, c);
	xmlNodePtr n = r && r->nodesetval && r->nodesetval->nodeNr ?
		       r->nodesetval->nodeTab[0] : NULL;

	xmlXPathFreeObject(r);
	xmlXPathFreeContext(c);
	return n;
}

static char *xattr(xmlDocPtr d, const char *xp, const char *attr)
{
	xmlNodePtr n = xfind(d, xp);
	xmlChar *v = n ? xmlGetProp(n, BAD_CAST attr) : NULL;
	char *out = v ? g_strdup((char *)v) : NULL;

	xmlFree(v);
	return out;
}

static void assert_attr(xmlDocPtr d, const char *xp, const char *attr,
			const char *want)
{
	char *v = xattr(d, xp, attr);

	if (!v || strcmp(v, want))
		fail_msg("%s @%s: '%s', want '%s'", xp, attr, v ? v : "(none)",
			 want);
	g_free(v);
}

static void test_junit(void **state)
{
	struct fx *f = fx_new();
	JsonObject *doc;
	xmlDocPtr x;
	xmlNodePtr n;
	xmlChar *text;
	char *xml, *yaml, err[ERRLEN], *msg;
	struct diag *d;
	JsonObject *res;

	(void)state;
	fx_points(f, false);
	{
		char *dir;
		struct point *p = fx_point(f, "e1000-vhost-off", "stress",
					   &dir);

		ok_expect(p, "x", 1, 1, NULL);
		fx_write(p, dir, 10);
	}
	{
		static const char *const unrep[] = { "e1000-vhost-off/stress",
						     NULL };

		assert_int_equal(runinfo_end(f->dir, 3, "lab failed: gone",
					     unrep, 0, err), 0);
	}
	doc = build(f);
	xml = report_junit(doc);
	/* well formed, hostile text and all */
	x = xmlReadMemory(xml, (int)strlen(xml), "junit.xml", NULL,
			  XML_PARSE_NONET);
	assert_non_null(x);
	assert_attr(x, "/testsuites", "tests", "16");
	assert_attr(x, "/testsuites", "failures", "1");
	assert_attr(x, "/testsuites", "errors", "1");
	assert_attr(x, "/testsuites/testsuite[1]", "name", "e1000 vhost=off");
	assert_attr(x, "/testsuites/testsuite[1]", "skipped", "3");
	assert_attr(x, "/testsuites/testsuite[1]", "errors", "1");
	assert_attr(x, "/testsuites/testsuite[1]/testcase[1]", "classname",
		    "nicq.e1000-vhost-off");
	assert_attr(x, "/testsuites/testsuite[1]/testcase[1]", "time",
		    "5.000");
	/* TODO: skipped, of its own type, naming the defect */
	assert_attr(x, "/testsuites/testsuite[1]/testcase[1]/skipped", "type",
		    "nicq.known");
	assert_attr(x, "/testsuites/testsuite[1]/testcase[1]/skipped",
		    "message", "known defect (TAP # TODO): QEMU e1000 holds "
		    "off receive");
	assert_attr(x, "/testsuites/testsuite[1]/testcase[3]/error", "type",
		    "nicq.interrupted");
	assert_attr(x, "/testsuites/testsuite[2]/testcase[1]/skipped",
		    "message", "vhost-net not available on this host");
	assert_null(xfind(x, "/testsuites/testsuite[2]/testcase[1]/"
			  "system-out"));
	assert_attr(x, "/testsuites/testsuite[3]", "name", "virtio vhost=off");
	assert_null(xfind(x, "/testsuites/testsuite[3]/testcase[1]/*"
			  "[name()!='system-out']"));
	/* the failure: message on one line, every failure in the text */
	msg = xattr(x, "/testsuites/testsuite[3]/testcase[2]/failure",
		    "message");
	assert_non_null(msg);
	assert_null(strchr(msg, '\n'));
	assert_non_null(strstr(msg, "<script>"));	/* as text */
	assert_non_null(strstr(msg, "\xef\xbf\xbd"));	/* U+FFFD */
	assert_null(strchr(msg, '\x01'));
	g_free(msg);
	/* system-out is the point's YAML, as TAP shows it */
	n = xfind(x, "/testsuites/testsuite[3]/testcase[1]/system-out");
	assert_non_null(n);
	text = xmlNodeGetContent(n);
	res = report_obj(point_of(doc, "virtio-vhost-off", "ping"), "result");
	d = diag_new();
	{
		GList *m = json_object_get_members(res);

		for (GList *l = m; l; l = l->next)
			diag_add_json(d, l->data,
				      json_object_get_member(res, l->data));
		g_list_free(m);
	}
	yaml = diag_yaml(d);
	assert_string_equal((char *)text, yaml);
	assert_non_null(strstr(yaml, "case: ping\nplan_case: 2\n"));
	xmlFree(text);
	g_free(yaml);
	diag_free(d);
	xmlFreeDoc(x);
	g_free(xml);
	json_object_unref(doc);
	fx_free(f);
}

static void test_html(void **state)
{
	struct fx *f = fx_new();
	JsonObject *doc;
	char *html, err[ERRLEN];
	int fd;

	(void)state;
	fx_points(f, true);
	assert_int_equal(runinfo_end(f->dir, 1, NULL, NULL, 0, err), 0);
	doc = build(f);
	fd = open(f->dir, O_RDONLY | O_DIRECTORY);
	html = html_render(doc, fd);
	close(fd);
	/* hostile text is text; the one script is allowed by its hash */
	assert_lacks(html, "<script>alert");
	assert_contains(html, "script-src 'sha256-");
	assert_contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_lacks(html, "\x01");
	assert_lacks(html, "\x1b");
	assert_true(g_utf8_validate(html, -1, NULL));
	/* nothing fetched */
	assert_lacks(html, " src=");
	assert_lacks(html, "http://");
	assert_lacks(html, "https://");
	assert_contains(html, "default-src 'none'");
	/* every point, in the matrix and as a section */
	assert_contains(html, "id=\"p-virtio-vhost-off-ping\" "
			"data-cell=\"virtio vhost=off\" data-case=\"ping\" "
			"data-status=\"pass\"");
	assert_contains(html, "<a href=\"#p-virtio-vhost-on-multinic\">");
	assert_contains(html, "data-case=\"ping\" data-status=\"known\"");
	/* links to the point's files; a planted symlink is not one */
	assert_contains(html, "<a class=\"file\" href=\"virtio-vhost-off/ping/"
			"transcript.txt\">transcript.txt</a>:1");
	assert_contains(html, "href=\"virtio-vhost-off/ping/result.json\"");
	assert_lacks(html, "href=\"virtio-vhost-off/ping/secret.txt\"");
	assert_contains(html, "; secret.txt");
	/* the kernel-log finding and the defect are shown */
	assert_contains(html, "dmesg.txt:7");
	assert_contains(html, "QEMU e1000 holds off receive");
	/* plots from the stress observations */
	assert_contains(html, "virtio vhost=off, TCP host to guest: 96.5 "
			"Mbit/s");
	assert_contains(html, "<polyline");
	assert_contains(html, "64-byte payload: 2000 pps offered, loss 30.5 %");
	assert_contains(html, "loss 40 %: sent 1000, tap 990, received 600");
	g_free(html);
	json_object_unref(doc);
	fx_free(f);
}

/* report_render writes the three files and replaces a planted link. */
static void test_render(void **state)
{
	struct fx *f = fx_new();
	char *victim = g_build_filename(f->dir, "victim", NULL);
	char *page = g_build_filename(f->dir, REPORT_HTML_FILE, NULL);
	char *copy = g_build_filename(f->dir, "copy.xml", NULL);
	char *text = NULL, *junit = NULL, err[ERRLEN];
	struct stat st;

	(void)state;
	fx_points(f, true);
	assert_int_equal(runinfo_end(f->dir, 1, NULL, NULL, 0, err), 0);
	assert_int_equal(file_write(victim, "keep", 4, err), 0);
	assert_int_equal(symlink("victim", page), 0);
	assert_int_equal(report_render(f->dir, copy, err), 0);
	assert_int_equal(lstat(page, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(file_read(victim, &text, NULL, err), 0);
	assert_string_equal(text, "keep");
	g_free(text);
	g_free(page);
	page = g_build_filename(f->dir, REPORT_JUNIT_FILE, NULL);
	assert_int_equal(file_read(page, &junit, NULL, err), 0);
	assert_int_equal(file_read(copy, &text, NULL, err), 0);
	assert_string_equal(text, junit);
	g_free(text);
	g_free(junit);
	g_free(page);
	page = g_build_filename(f->dir, REPORT_RESULTS_FILE, NULL);
	assert_true(g_file_test(page, G_FILE_TEST_IS_REGULAR));
	/* not a run folder */
	assert_int_equal(report_render(victim, NULL, err), -1);
	g_free(page);
	g_free(victim);
	g_free(copy);
	fx_free(f);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(report_name_ok("capture-nq1t16.pcap"));
	assert_true(report_name_ok("virtio-vhost-off"));
	assert_false(report_name_ok(".."));
	assert_false(report_name_ok(".hidden"));
	assert_false(report_name_ok("a/b"));
	assert_false(report_name_ok("a b"));
	assert_false(report_name_ok(""));
	assert_false(report_name_ok(NULL));
}

/* A view with one running point, or with the points given. */
static struct progress_view view1(const char *cell, const char *c,
				  const char *phase, long long ms,
				  long long run_ms, long long left_ms)
{
	struct progress_view v = { .done = 2, .total = 12, .n_running = 1,
				   .run_ms = run_ms, .left_ms = left_ms };

	v.running[0].cell = cell;
	v.running[0].case_name = c;
	v.running[0].phase = phase;
	v.running[0].ms = ms;
	return v;
}

static void test_progress_line(void **state)
{
	struct progress_view v;
	char *l;

	(void)state;
	v = view1("virtio vhost=off", "ping", "flood", 35000, 130000,
		  6 * 60000 + 10000);
	l = progress_line(&v, 0);
	assert_string_equal(l, "nicq [3/12] virtio vhost=off ping: flood  "
			    "0:35 | run 2:10, ~6 min left");
	g_free(l);
	v = view1("e1000 vhost=off", "stress", NULL, 3723000, 3723000, -1);
	v.done = 0;
	v.total = 1;
	l = progress_line(&v, 0);
	assert_string_equal(l, "nicq [1/1] e1000 vhost=off stress  1:02:03 "
			    "| run 1:02:03");
	g_free(l);
	/* too wide: the phase is cut, the times stay */
	v = view1("virtio vhost=off", "bonding", "links down and up through "
		  "libvirt, round 3", 61000, 600000, 30000);
	v.done = 1;
	v.total = 9;
	l = progress_line(&v, 70);
	assert_string_equal(l, "nicq [2/9] virtio vhost=off bonding: l~  "
			    "1:01 | run 10:00, ~1 min left");
	g_free(l);
	/* no room for the phase: the point stays, the end is cut */
	l = progress_line(&v, 60);
	assert_string_equal(l, "nicq [2/9] virtio vhost=off bonding  1:01 | "
			    "run 10:00, ~1 mi");
	g_free(l);
	/* points at once (--jobs): each with its phase while there is room */
	v = view1("virtio vhost=off", "ping", "flood", 35000, 130000, 60000);
	v.n_running = 2;
	v.running[1].cell = "e1000 vhost=off";
	v.running[1].case_name = "vlan";
	v.running[1].phase = "boot guest 1";
	v.running[1].ms = 12000;
	l = progress_line(&v, 0);
	assert_string_equal(l, "nicq [3-4/12] virtio vhost=off ping: flood "
			    "0:35, e1000 vhost=off vlan: boot guest 1 0:12 | "
			    "run 2:10, ~1 min left");
	g_free(l);
	l = progress_line(&v, 95);
	assert_string_equal(l, "nicq [3-4/12] virtio vhost=off ping 0:35, "
			    "e1000 vhost=off vlan 0:12 | run 2:10, ~1 min left");
	g_free(l);
	l = progress_line(&v, 20);
	assert_int_equal(g_utf8_strlen(l, -1), 20);
	g_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runinfo),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_bailed),
		cmocka_unit_test(test_not_run),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_progress_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
