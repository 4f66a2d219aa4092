/*
 * test_compare.c - harness/compare.c on results documents made here:
 * verdict changes (new failure, new known defect, fixed, new skip, added,
 * removed), metrics against tolerances from their spread (several OLD
 * runs, the boots of one OLD run's cell), not judged without a spread,
 * --tolerance, the knee's bracket as a floor, improvements that do not
 * fail, and loading runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "util.h"

/* One point of a made-up run. */
struct fp {
	const char *slug, *cell, *case_name, *status;
	long long duration_ms;
	long long boots[3];		/* start_ms of its guests (0: none) */
	double tcp;			/* throughput tcp host->guest; 0: none */
	double knee, knee_hi;		/* knee 64 bytes; 0: none */
};

static JsonObject *doc_of(const char *id, const struct fp *pts, int n)
{
	GString *j = g_string_new(NULL);
	JsonParser *p = json_parser_new();
	JsonObject *o;
	const char *slug = NULL;

	g_string_append_printf(j, "{\"format\":\"nicq-results\","
			       "\"format_version\":1,\"run\":{\"run_id\":"
			       "\"%s\"},\"summary\":{},\"cells\":[", id);
	for (int i = 0; i < n; i++) {
		const struct fp *f = &pts[i];

		if (!slug || strcmp(slug, f->slug)) {
			if (slug)
				g_string_append(j, "]},");
			g_string_append_printf(j, "{\"name\":\"%s\",\"slug\":"
					       "\"%s\",\"points\":[", f->cell,
					       f->slug);
			slug = f->slug;
		} else {
			g_string_append_c(j, ',');
		}
		g_string_append_printf(j, "{\"case\":\"%s\",\"status\":\"%s\","
				       "\"reason\":null,\"duration_ms\":%lld,"
				       "\"result\":{\"guests\":[", f->case_name,
				       f->status, f->duration_ms);
		for (int g = 0; g < 3 && f->boots[g]; g++)
			g_string_append_printf(j, "%s{\"index\":%d,"
					       "\"start_ms\":%lld}", g ? "," :
					       "", g, f->boots[g]);
		g_string_append(j, "],\"observations\":[");
		if (f->tcp > 0)
			g_string_append_printf(j, "{\"scope\":\"tcp host->guest"
					       "\",\"name\":\"receiver "
					       "throughput\",\"value\":%g},",
					       f->tcp);
		if (f->knee > 0)
			g_string_append_printf(j, "{\"scope\":\"knee 64 bytes\","
				"\"name\":\"knee (highest rate with loss under "
				"0.1 %%)\",\"value\":%g},{\"scope\":\"knee 64 "
				"bytes\",\"name\":\"lowest rate with loss at "
				"or over 0.1 %%\",\"value\":%g},", f->knee,
				f->knee_hi);
		g_string_append(j, "{\"name\":\"x\",\"value\":1}]}}");
	}
	g_string_append(j, slug ? "]}]}" : "]}");
	assert_true(json_parser_load_from_data(p, j->str, -1, NULL));
	o = json_object_ref(json_node_get_object(json_parser_get_root(p)));
	g_object_unref(p);
	g_string_free(j, TRUE);
	return o;
}

/* Compare; the report in *text (g_free), the return value returned. */
static int cmp(JsonObject **olds, int n_old, JsonObject *new_run,
	       const struct compare_opts *o, char **text)
{
	size_t len;
	FILE *f = open_memstream(text, &len);
	struct compare_opts dflt = { 0 };
	int rc;

	rc = compare_runs(olds, n_old, new_run, o ? o : &dflt, f);
	fclose(f);
	return rc;
}

static void assert_has(const char *t, const char *s)
{
	if (!strstr(t, s))
		fail_msg("'%s' not in:\n%s", s, t);
}

static void assert_hasnt(const char *t, const char *s)
{
	if (strstr(t, s))
		fail_msg("'%s' in:\n%s", s, t);
}

static void unref(JsonObject **d, int n)
{
	for (int i = 0; i < n; i++)
		json_object_unref(d[i]);
}

#define P(slug, cell, c, st) slug, cell, c, st

static void test_verdicts(void **state)
{
	const struct fp a[] = {
		{ P("v", "virtio vhost=off", "ping", "pass"), 1000, { 0 }, 0,
		  0, 0 },
		{ P("v", "virtio vhost=off", "vlan", "fail"), 1000, { 0 }, 0,
		  0, 0 },
		{ P("v", "virtio vhost=off", "promisc", "pass"), 1000, { 0 },
		  0, 0, 0 },
		{ P("v", "virtio vhost=off", "jumbo", "pass"), 1000, { 0 }, 0,
		  0, 0 },
		{ P("v", "virtio vhost=off", "gone", "pass"), 1000, { 0 }, 0,
		  0, 0 },
	};
	const struct fp b[] = {
		{ P("v", "virtio vhost=off", "ping", "fail"), 1000, { 0 }, 0,
		  0, 0 },
		{ P("v", "virtio vhost=off", "vlan", "pass"), 1000, { 0 }, 0,
		  0, 0 },
		{ P("v", "virtio vhost=off", "promisc", "known"), 1000, { 0 },
		  0, 0, 0 },
		{ P("v", "virtio vhost=off", "jumbo", "skip"), 0, { 0 }, 0, 0,
		  0 },
		{ P("v", "virtio vhost=off", "new", "pass"), 1000, { 0 }, 0, 0,
		  0 },
	};
	JsonObject *d[2] = { doc_of("a", a, 5), doc_of("b", b, 5) };
	char *t;

	(void)state;
	assert_int_equal(cmp(d, 1, d[1], NULL, &t), 1);
	assert_has(t, "NEW FAILURE      virtio vhost=off ping: pass -> fail");
	assert_has(t, "fixed            virtio vhost=off vlan: fail -> pass");
	assert_has(t, "NEW KNOWN DEFECT virtio vhost=off promisc: pass -> "
		   "known");
	assert_has(t, "new skip         virtio vhost=off jumbo: pass -> skip");
	assert_has(t, "added            virtio vhost=off new");
	assert_has(t, "removed          virtio vhost=off gone");
	assert_has(t, "result: REGRESSED (2 verdicts, 0 metrics)");
	g_free(t);
	/* the other way: only fixes and a lost skip, no regression */
	{
		const struct fp c[] = {
			{ P("v", "virtio vhost=off", "ping", "pass"), 1000,
			  { 0 }, 0, 0, 0 },
			{ P("v", "virtio vhost=off", "vlan", "pass"), 1000,
			  { 0 }, 0, 0, 0 },
		};
		const struct fp o2[] = {
			{ P("v", "virtio vhost=off", "ping", "fail"), 1000,
			  { 0 }, 0, 0, 0 },
			{ P("v", "virtio vhost=off", "vlan", "known"), 1000,
			  { 0 }, 0, 0, 0 },
		};
		JsonObject *e[2] = { doc_of("o", o2, 2), doc_of("n", c, 2) };

		assert_int_equal(cmp(e, 1, e[1], NULL, &t), 0);
		assert_has(t, "fixed            virtio vhost=off ping");
		assert_has(t, "fixed            virtio vhost=off vlan");
		assert_has(t, "result: no regression");
		g_free(t);
		unref(e, 2);
	}
	unref(d, 2);
}

/* stress points with a throughput; one cell */
static JsonObject *tput(const char *id, double tcp, long long dur)
{
	const struct fp f[] = {
		{ P("v", "virtio vhost=off", "stress", "pass"), dur, { 0 },
		  tcp, 0, 0 },
	};

	return doc_of(id, f, 1);
}

static void test_metric_spread(void **state)
{
	JsonObject *d[4] = { tput("a", 100, 60000), tput("b", 110, 61000),
			     tput("c", 90, 59000), NULL };
	char *t;

	(void)state;
	/* mean 100, sigma 10: tolerance 30 Mbit/s */
	d[3] = tput("n", 60, 60000);
	assert_int_equal(cmp(d, 3, d[3], NULL, &t), 1);
	assert_has(t, "REGRESSED   virtio vhost=off stress throughput tcp "
		   "host->guest: 100 -> 60.0 Mbit/s (-40 %), tolerance 30.0 "
		   "Mbit/s (3 sigma of 3 OLD runs)");
	assert_has(t, "result: REGRESSED (0 verdicts, 1 metric)");
	g_free(t);
	json_object_unref(d[3]);
	d[3] = tput("n", 80, 60000);
	assert_int_equal(cmp(d, 3, d[3], NULL, &t), 0);
	assert_hasnt(t, "REGRESSED");
	g_free(t);
	/* better by more than the tolerance: listed, not a regression */
	json_object_unref(d[3]);
	d[3] = tput("n", 140, 60000);
	assert_int_equal(cmp(d, 3, d[3], NULL, &t), 0);
	assert_has(t, "improved    virtio vhost=off stress throughput");
	assert_has(t, "1 improved");
	g_free(t);
	/* durations: lower is better; 60 s +- max(3 sigma = 3, 5 %) */
	json_object_unref(d[3]);
	d[3] = tput("n", 100, 70000);
	assert_int_equal(cmp(d, 3, d[3], NULL, &t), 1);
	assert_has(t, "REGRESSED   virtio vhost=off stress duration: 60.0 -> "
		   "70.0 s");
	g_free(t);
	unref(d, 4);
}

static void test_one_old(void **state)
{
	JsonObject *d[2] = { tput("a", 100, 60000), tput("n", 10, 600000) };
	struct compare_opts o = { 0 };
	char *t, err[ERRLEN];

	(void)state;
	/* no spread in one run: listed (-v), not judged */
	o.verbose = true;
	assert_int_equal(cmp(d, 1, d[1], &o, &t), 0);
	assert_has(t, "not judged  virtio vhost=off stress throughput tcp "
		   "host->guest: 100 -> 10.0 Mbit/s (-90 %), tolerance ? "
		   "Mbit/s (one OLD run gives no spread: not judged)");
	assert_has(t, "0 judged");
	g_free(t);
	/* --tolerance judges it against a share of the OLD value */
	assert_int_equal(compare_parse_tolerance("throughput=20", &o, err), 0);
	assert_int_equal(cmp(d, 1, d[1], &o, &t), 1);
	assert_has(t, "tolerance 20.0 Mbit/s (--tolerance throughput=20 %)");
	g_free(t);
	assert_int_equal(compare_parse_tolerance("speed=20", &o, err), -1);
	assert_non_null(strstr(err, "no metric 'speed'"));
	assert_int_equal(compare_parse_tolerance("boot", &o, err), -1);
	assert_int_equal(compare_parse_tolerance("boot=0", &o, err), -1);
	assert_int_equal(compare_parse_tolerance("boot=x", &o, err), -1);
	unref(d, 2);
}

static void test_boot_spread(void **state)
{
	/* one OLD run: its cell's boots (10, 12, 14 s) give the spread */
	const struct fp a[] = {
		{ P("v", "virtio vhost=off", "ping", "pass"), 30000,
		  { 10000, 12000 }, 0, 0, 0 },
		{ P("v", "virtio vhost=off", "vlan", "pass"), 30000,
		  { 14000 }, 0, 0, 0 },
	};
	const struct fp b[] = {
		{ P("v", "virtio vhost=off", "ping", "pass"), 30000,
		  { 30000, 30000 }, 0, 0, 0 },
		{ P("v", "virtio vhost=off", "vlan", "pass"), 30000,
		  { 15000 }, 0, 0, 0 },
	};
	JsonObject *d[2] = { doc_of("a", a, 2), doc_of("b", b, 2) };
	char *t;

	(void)state;
	/* sigma 2 s: tolerance 6 s; ping's mean boot 11 -> 30 regressed,
	 * vlan's 14 -> 15 within */
	assert_int_equal(cmp(d, 1, d[1], NULL, &t), 1);
	assert_has(t, "REGRESSED   virtio vhost=off ping boot: 11.0 -> 30.0 s "
		   "(+173 %), tolerance 6.00 s (3 sigma of the 3 boots in the "
		   "OLD run's cell)");
	assert_hasnt(t, "vlan boot");
	g_free(t);
	unref(d, 2);
}

static void test_knee_floor(void **state)
{
	const struct fp k1[] = {
		{ P("v", "virtio vhost=off", "stress", "pass"), 60000, { 0 }, 0,
		  1000, 1414 },
	};
	const struct fp kn[] = {
		{ P("v", "virtio vhost=off", "stress", "pass"), 60000, { 0 }, 0,
		  707, 1000 },
	};
	const struct fp kl[] = {
		{ P("v", "virtio vhost=off", "stress", "pass"), 60000, { 0 }, 0,
		  500, 707 },
	};
	JsonObject *d[3] = { doc_of("a", k1, 1), doc_of("b", k1, 1),
			     doc_of("n", kn, 1) };
	char *t;

	(void)state;
	/* two identical OLD knees: no spread, but the bracket (414 pps) */
	assert_int_equal(cmp(d, 2, d[2], NULL, &t), 0);
	g_free(t);
	json_object_unref(d[2]);
	d[2] = doc_of("n", kl, 1);
	assert_int_equal(cmp(d, 2, d[2], NULL, &t), 1);
	assert_has(t, "REGRESSED   virtio vhost=off stress knee 64 bytes: 1000 "
		   "-> 500 pps (-50 %), tolerance 414 pps (3 sigma of 2 OLD "
		   "runs, raised to the measurement's resolution)");
	g_free(t);
	unref(d, 3);
}

static void test_load(void **state)
{
	char *dir = g_dir_make_tmp("nicq-compare-XXXXXX", NULL);
	char *f = g_build_filename(dir, "results.json", NULL), err[ERRLEN];
	JsonObject *doc = NULL;

	(void)state;
	assert_int_equal(compare_load("/nonexistent/x", &doc, err), -1);
	const char *other = "{\"format\":\"other\"}";
	const char *ok = "{\"format\":\"nicq-results\",\"format_version\":1,"
			 "\"cells\":[]}";

	assert_int_equal(file_write(f, other, strlen(other), err), 0);
	assert_int_equal(compare_load(f, &doc, err), -1);
	assert_non_null(strstr(err, "not a nicq results.json"));
	assert_int_equal(file_write(f, ok, strlen(ok), err), 0);
	if (compare_load(f, &doc, err) < 0)
		fail_msg("%s", err);
	json_object_unref(doc);
	/* a folder that is not a run folder */
	assert_int_equal(compare_load(dir, &doc, err), -1);
	rm_rf(dir, err);
	g_free(f);
	g_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_metric_spread),
		cmocka_unit_test(test_one_old),
		cmocka_unit_test(test_boot_spread),
		cmocka_unit_test(test_knee_floor),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
