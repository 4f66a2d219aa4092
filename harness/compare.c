/* compare.c - see compare.h. */
#include "compare.h"
#include "report.h"
#include "runinfo.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define S report_str
#define O report_obj
#define A report_arr
#define I report_int

/* Tolerances are at least this share of the OLD mean... */
#define MIN_REL 0.05
/* ...and three standard deviations where a spread is known. */
#define SIGMAS 3.0

static const struct {
	const char *name, *unit;
	bool higher_better;
	double resolution;
} mclass[MC_COUNT] = {
	[MC_DURATION] = { "duration", "s", false, 1 },
	[MC_BOOT] = { "boot", "s", false, 1 },
	[MC_THROUGHPUT] = { "throughput", "Mbit/s", true, 1 },
	[MC_KNEE] = { "knee", "pps", true, 1 },
};

int compare_parse_tolerance(const char *s, struct compare_opts *o, char *err)
{
	const char *eq = strchr(s, '=');
	char *end;
	double v;

	if (!eq) {
		err_set(err, "bad --tolerance '%s' (NAME=PCT, NAME one of "
			"duration, boot, throughput, knee)", s);
		return -1;
	}
	v = g_ascii_strtod(eq + 1, &end);
	if (end == eq + 1 || *end || !(v > 0) || v > 1000) {
		err_set(err, "bad --tolerance '%s': PCT must be a number over "
			"0 and at most 1000", s);
		return -1;
	}
	for (int c = 0; c < MC_COUNT; c++) {
		if (strlen(mclass[c].name) == (size_t)(eq - s) &&
		    !strncmp(mclass[c].name, s, eq - s)) {
			o->tol_pct[c] = v;
			return 0;
		}
	}
	err_set(err, "bad --tolerance '%s': no metric '%.*s' (duration, "
		"boot, throughput, knee)", s, (int)(eq - s), s);
	return -1;
}

int compare_load(const char *path, JsonObject **out, char *err)
{
	JsonParser *p;
	GError *gerr = NULL;
	JsonObject *doc;
	char *text = NULL;
	gsize len;
	struct stat st;

	if (stat(path, &st) < 0) {
		err_set(err, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return report_build(path, out, err);
	if (st.st_size > (off_t)REPORT_MAX_FILE) {
		err_set(err, "'%s' is larger than %u bytes", path,
			REPORT_MAX_FILE);
		return -1;
	}
	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		err_set(err, "cannot read '%s': %s", path, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	p = json_parser_new_immutable();
	if (!json_parser_load_from_data(p, text, (gssize)len, &gerr)) {
		err_set(err, "'%s' is not JSON: %s", path, gerr->message);
		g_error_free(gerr);
		g_object_unref(p);
		g_free(text);
		return -1;
	}
	g_free(text);
	doc = JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)) ?
	      json_node_get_object(json_parser_get_root(p)) : NULL;
	if (!doc || g_strcmp0(S(doc, "format"), REPORT_FORMAT) ||
	    I(doc, "format_version", 0) != REPORT_FORMAT_VERSION ||
	    !A(doc, "cells")) {
		err_set(err, "'%s' is not a nicq results.json (format %s "
			"version %d) nor a run folder", path, REPORT_FORMAT,
			REPORT_FORMAT_VERSION);
		g_object_unref(p);
		return -1;
	}
	*out = json_object_ref(doc);
	g_object_unref(p);
	return 0;
}

/* ---- points and metrics ----------------------------------------------- */

struct pref {
	JsonObject *cell, *pt;
};

/* "slug/case" -> struct pref, for one run; keys owned by the table. */
static GHashTable *index_points(JsonObject *doc, GPtrArray *order)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_free);
	JsonArray *cells = A(doc, "cells");

	for (guint i = 0; cells && i < json_array_get_length(cells); i++) {
		JsonObject *c = report_elem(cells, i);
		JsonArray *pts = A(c, "points");

		for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
			JsonObject *p = report_elem(pts, j);
			struct pref *r;
			char *key;

			if (!p || !S(c, "slug") || !S(p, "case"))
				continue;
			key = g_strdup_printf("%s/%s", S(c, "slug"),
					      S(p, "case"));
			if (g_hash_table_contains(h, key)) {
				g_free(key);
				continue;
			}
			r = g_new(struct pref, 1);
			r->cell = c;
			r->pt = p;
			if (order)
				g_ptr_array_add(order, g_strdup(key));
			g_hash_table_insert(h, key, r);
		}
	}
	return h;
}

struct metric {
	char name[96];
	enum metric_class cls;
	double v;
	double lo, hi;		/* knee: its search's bracket; else 0 */
};

static const char *const streams[] = {
	"tcp host->guest", "tcp guest->host", "udp host->guest",
	"udp guest->host",
};

static bool obs(JsonObject *res, const char *scope, const char *name,
		double *v)
{
	JsonArray *ob = A(res, "observations");

	for (guint i = 0; ob && i < json_array_get_length(ob); i++) {
		JsonObject *e = report_elem(ob, i);

		if (!g_strcmp0(S(e, "scope"), scope) &&
		    !g_strcmp0(S(e, "name"), name))
			return report_num(e, "value", v) && isfinite(*v);
	}
	return false;
}

/* The metrics of a point that ran and was judged (pass, fail, known). */
static void point_metrics(JsonObject *pt, GArray *out)
{
	JsonObject *res = O(pt, "result");
	const char *st = S(pt, "status");
	JsonArray *g = A(res, "guests");
	struct metric m;
	double sum[2] = { 0, 0 }, v;
	int n[2] = { 0, 0 };

	g_array_set_size(out, 0);
	if (!res || (g_strcmp0(st, "pass") && g_strcmp0(st, "fail") &&
		     g_strcmp0(st, "known")))
		return;
	memset(&m, 0, sizeof(m));
	if (report_num(pt, "duration_ms", &v)) {
		g_strlcpy(m.name, "duration", sizeof(m.name));
		m.cls = MC_DURATION;
		m.v = v / 1000;
		g_array_append_val(out, m);
	}
	/* guests booted and guests restored from a saved state, apart */
	for (guint i = 0; g && i < json_array_get_length(g); i++) {
		JsonObject *gu = report_elem(g, i);
		int r = !g_strcmp0(S(gu, "start"), "restored");

		if (report_num(gu, "start_ms", &v) && v > 0) {
			sum[r] += v / 1000;
			n[r]++;
		}
	}
	for (int r = 0; r < 2; r++) {
		if (!n[r])
			continue;
		memset(&m, 0, sizeof(m));
		g_strlcpy(m.name, r ? "restore" : "boot", sizeof(m.name));
		m.cls = MC_BOOT;
		m.v = sum[r] / n[r];
		g_array_append_val(out, m);
	}
	for (size_t s = 0; s < G_N_ELEMENTS(streams); s++) {
		if (!obs(res, streams[s], "receiver throughput", &v))
			continue;
		memset(&m, 0, sizeof(m));
		g_snprintf(m.name, sizeof(m.name), "throughput %s", streams[s]);
		m.cls = MC_THROUGHPUT;
		m.v = v;
		g_array_append_val(out, m);
	}
	/* each payload size the knee search ran: a "knee <size> bytes" scope */
	for (guint i = 0; i < json_array_get_length(A(res, "observations"));
	     i++) {
		JsonObject *e = report_elem(A(res, "observations"), i);
		const char *scope = S(e, "scope");
		int size, end = 0;

		if (!scope || sscanf(scope, "knee %d bytes%n", &size,
				     &end) != 1 || scope[end] ||
		    g_strcmp0(S(e, "name"), "knee (highest rate with loss "
			      "under 0.1 %)") ||
		    !report_num(e, "value", &v) || !isfinite(v))
			continue;
		memset(&m, 0, sizeof(m));
		g_snprintf(m.name, sizeof(m.name), "knee %d bytes", size);
		m.cls = MC_KNEE;
		m.v = v;
		m.lo = v;
		if (!obs(res, scope, "lowest rate with loss at or over 0.1 %",
			 &m.hi) || m.hi < m.lo)
			m.hi = m.lo;
		g_array_append_val(out, m);
	}
}

static const struct metric *find_metric(GArray *a, const char *name)
{
	for (guint i = 0; i < a->len; i++)
		if (!strcmp(g_array_index(a, struct metric, i).name, name))
			return &g_array_index(a, struct metric, i);
	return NULL;
}

/*
 * Standard deviation of the start times of every guest in a run's cell
 * that started that way (restored or not).
 */
static double cell_boot_sigma(JsonObject *cell, bool restored, int *n)
{
	JsonArray *pts = A(cell, "points");
	double s = 0, s2 = 0, v;

	*n = 0;
	for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
		JsonArray *g = A(O(report_elem(pts, j), "result"), "guests");

		for (guint k = 0; g && k < json_array_get_length(g); k++) {
			JsonObject *gu = report_elem(g, k);

			if (!report_num(gu, "start_ms", &v) || !(v > 0) ||
			    restored != !g_strcmp0(S(gu, "start"),
						   "restored"))
				continue;
			v /= 1000;
			s += v;
			s2 += v * v;
			(*n)++;
		}
	}
	if (*n < 2)
		return NAN;
	return sqrt(fmax(0, (s2 - s * s / *n) / (*n - 1)));
}

/* ---- the report --------------------------------------------------------- */

static bool bad_status(const char *st)
{
	return !g_strcmp0(st, "fail") || !g_strcmp0(st, "interrupted") ||
	       !g_strcmp0(st, "not_run");
}

static bool ran(const char *st)
{
	return !g_strcmp0(st, "pass") || !g_strcmp0(st, "fail") ||
	       !g_strcmp0(st, "known");
}

static const char *run_name(JsonObject *doc)
{
	const char *id = S(O(doc, "run"), "run_id");

	return id ? id : "?";
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (fabs(v) >= 100)
		g_snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 10)
		g_snprintf(buf, len, "%.1f", v);
	else
		g_snprintf(buf, len, "%.2f", v);
}

/* Compare one point's verdicts; returns whether it regressed. */
static bool compare_verdict(FILE *out, const char *key, struct pref *o,
			    struct pref *n)
{
	const char *os = o ? S(o->pt, "status") : NULL;
	const char *ns = n ? S(n->pt, "status") : NULL;
	const char *what = NULL, *cell = S((n ? n : o)->cell, "name");
	const char *cname = S((n ? n : o)->pt, "case");
	const char *why = n ? S(n->pt, "reason") : NULL;
	bool regressed = false;

	(void)key;
	if (!o) {
		what = "added";
	} else if (!n) {
		what = "removed";
		why = NULL;
	} else if (bad_status(ns) && !bad_status(os)) {
		what = "NEW FAILURE";
		regressed = true;
	} else if (!g_strcmp0(ns, "known") && !g_strcmp0(os, "pass")) {
		what = "NEW KNOWN DEFECT";
		regressed = true;
	} else if (!g_strcmp0(ns, "pass") &&
		   (bad_status(os) || !g_strcmp0(os, "known"))) {
		what = "fixed";
		why = NULL;
	} else if (!g_strcmp0(ns, "skip") && ran(os)) {
		what = "new skip";
	} else if (g_strcmp0(os, ns)) {
		what = "changed";
	}
	if (!what)
		return false;
	fprintf(out, "  %-16s %s %s: %s -> %s%s%s\n", what, cell ? cell : "?",
		cname ? cname : "?", os ? os : "(absent)", ns ? ns : "(absent)",
		why ? ": " : "", why ? why : "");
	return regressed;
}

struct mstats {
	int judged, within, regressed, improved, unjudged;
};

/* Compare one metric of a point; writes a line when it moved or -v. */
static void compare_metric(FILE *out, const struct compare_opts *opt,
			   int n_old, GHashTable *const *oidx, const char *key,
			   const char *label, const struct metric *nm,
			   struct mstats *ms)
{
	double vals[COMPARE_MAX_RUNS], mean = 0, tol, sigma = NAN;
	struct metric last = { .v = NAN };	/* the last OLD run's */
	const char *cls = mclass[nm->cls].name, *unit = mclass[nm->cls].unit;
	char why[160], a[32], b[32], t[32];
	int k = 0;
	double diff, worse;
	const char *verdict;

	for (int r = 0; r < n_old; r++) {
		struct pref *o = g_hash_table_lookup(oidx[r], key);
		GArray *om = g_array_new(FALSE, TRUE, sizeof(struct metric));
		const struct metric *m;

		if (o) {
			point_metrics(o->pt, om);
			m = find_metric(om, nm->name);
			if (m) {
				vals[k++] = m->v;
				mean += m->v;
				last = *m;
			}
		}
		g_array_free(om, TRUE);
	}
	if (k == 0)
		return;		/* nothing to compare with */
	mean /= k;
	if (opt->tol_pct[nm->cls] > 0) {
		tol = opt->tol_pct[nm->cls] / 100 * fabs(mean);
		g_snprintf(why, sizeof(why), "--tolerance %s=%g %%", cls,
			   opt->tol_pct[nm->cls]);
	} else if (k >= 2) {
		double s2 = 0;

		for (int i = 0; i < k; i++)
			s2 += (vals[i] - mean) * (vals[i] - mean);
		sigma = sqrt(s2 / (k - 1));
		tol = SIGMAS * sigma;
		g_snprintf(why, sizeof(why), "3 sigma of %d OLD runs", k);
	} else if (nm->cls == MC_BOOT) {
		struct pref *o = g_hash_table_lookup(oidx[n_old - 1], key);
		int nb = 0;

		sigma = o ? cell_boot_sigma(o->cell,
					    !strcmp(nm->name, "restore"), &nb) :
			    NAN;
		if (isnan(sigma)) {
			tol = NAN;
			g_strlcpy(why, "fewer than 2 boots in the OLD cell: no "
				  "spread", sizeof(why));
		} else {
			tol = SIGMAS * sigma;
			g_snprintf(why, sizeof(why), "3 sigma of the %d %s "
				   "in the OLD run's cell", nb,
				   strcmp(nm->name, "restore") ? "boots" :
				   "restores");
		}
	} else {
		tol = NAN;
		g_strlcpy(why, "one OLD run gives no spread: not judged",
			  sizeof(why));
	}
	/*
	 * never finer than the measurement: 5 %, the unit, and for a knee its
	 * search's bracket (the knee lies between the highest rate without
	 * loss and the lowest with it)
	 */
	if (!isnan(tol)) {
		double floor_ = fmax(MIN_REL * fabs(mean),
				     mclass[nm->cls].resolution);

		if (nm->cls == MC_KNEE)
			floor_ = fmax(floor_, fmax(last.hi - last.lo,
						   nm->hi - nm->lo));
		if (floor_ > tol) {
			tol = floor_;
			g_strlcat(why, ", raised to the measurement's "
				  "resolution", sizeof(why));
		}
	}
	diff = nm->v - mean;
	worse = mclass[nm->cls].higher_better ? -diff : diff;
	if (isnan(tol)) {
		ms->unjudged++;
		verdict = "not judged";
	} else if (worse > tol) {
		ms->judged++;
		ms->regressed++;
		verdict = "REGRESSED";
	} else if (-worse > tol) {
		ms->judged++;
		ms->improved++;
		verdict = "improved";
	} else {
		ms->judged++;
		ms->within++;
		verdict = "within";
	}
	if (opt->verbose || !strcmp(verdict, "REGRESSED") ||
	    !strcmp(verdict, "improved")) {
		fmt_num(a, sizeof(a), mean);
		fmt_num(b, sizeof(b), nm->v);
		if (isnan(tol))
			g_strlcpy(t, "?", sizeof(t));
		else
			fmt_num(t, sizeof(t), tol);
		fprintf(out, "  %-11s %s %s: %s -> %s %s (%+.0f %%), tolerance "
			"%s %s (%s)\n", verdict, label, nm->name, a, b, unit,
			mean != 0 ? diff / fabs(mean) * 100 : 0, t, unit, why);
	}
}

int compare_runs(JsonObject *const *olds, int n_old, JsonObject *new_run,
		 const struct compare_opts *opt, FILE *out)
{
	GHashTable *oidx[COMPARE_MAX_RUNS], *nidx;
	GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *oorder = g_ptr_array_new_with_free_func(g_free);
	struct mstats ms = { 0 };
	int verdicts = 0, same = 0;
	GArray *nm = g_array_new(FALSE, TRUE, sizeof(struct metric));

	if (n_old > COMPARE_MAX_RUNS)
		n_old = COMPARE_MAX_RUNS;
	for (int r = 0; r < n_old; r++)
		oidx[r] = index_points(olds[r], r == n_old - 1 ? oorder : NULL);
	nidx = index_points(new_run, order);
	fprintf(out, "nicq compare: OLD %s", run_name(olds[n_old - 1]));
	if (n_old > 1)
		fprintf(out, " (and %d earlier OLD run%s for the spread)",
			n_old - 1, n_old > 2 ? "s" : "");
	fprintf(out, " -> NEW %s\n", run_name(new_run));
	fprintf(out, "verdicts (NEW against the last OLD):\n");
	for (guint i = 0; i < order->len; i++) {
		const char *key = order->pdata[i];
		struct pref *o = g_hash_table_lookup(oidx[n_old - 1], key);
		struct pref *n = g_hash_table_lookup(nidx, key);

		if (compare_verdict(out, key, o, n))
			verdicts++;
		else if (o && !g_strcmp0(S(o->pt, "status"),
					 S(n->pt, "status")))
			same++;
	}
	for (guint i = 0; i < oorder->len; i++)
		if (!g_hash_table_contains(nidx, oorder->pdata[i]))
			compare_verdict(out, oorder->pdata[i],
					g_hash_table_lookup(oidx[n_old - 1],
							    oorder->pdata[i]),
					NULL);
	fprintf(out, "  %d point%s unchanged\n", same, same == 1 ? "" : "s");
	fprintf(out, "metrics (NEW against the OLD mean; each tolerance from "
		"the metric's own spread, as said):\n");
	for (guint i = 0; i < order->len; i++) {
		struct pref *n = g_hash_table_lookup(nidx, order->pdata[i]);
		char *label = g_strdup_printf("%s %s", S(n->cell, "name"),
					      S(n->pt, "case"));

		point_metrics(n->pt, nm);
		for (guint j = 0; j < nm->len; j++)
			compare_metric(out, opt, n_old, oidx, order->pdata[i],
				       label,
				       &g_array_index(nm, struct metric, j),
				       &ms);
		g_free(label);
	}
	fprintf(out, "  %d judged: %d regressed, %d improved, %d within "
		"tolerance; %d not judged (no spread known: give two or more "
		"OLD runs, or --tolerance)\n", ms.judged, ms.regressed,
		ms.improved, ms.within, ms.unjudged);
	if (verdicts || ms.regressed)
		fprintf(out, "result: REGRESSED (%d verdict%s, %d metric%s)\n",
			verdicts, verdicts == 1 ? "" : "s", ms.regressed,
			ms.regressed == 1 ? "" : "s");
	else
		fprintf(out, "result: no regression\n");
	for (int r = 0; r < n_old; r++)
		g_hash_table_destroy(oidx[r]);
	g_hash_table_destroy(nidx);
	g_ptr_array_unref(order);
	g_ptr_array_unref(oorder);
	g_array_free(nm, TRUE);
	return verdicts || ms.regressed ? 1 : 0;
}

int compare_baseline(const char *run_dir, char *const *baselines, FILE *out,
		     bool *regressed, char *err)
{
	JsonObject *olds[COMPARE_MAX_RUNS], *cur = NULL;
	struct compare_opts opt = { 0 };
	char *text = NULL, *path = NULL;
	size_t len = 0;
	FILE *mem;
	int n = 0, rc = -1;

	for (; baselines[n] && n < COMPARE_MAX_RUNS; n++)
		if (compare_load(baselines[n], &olds[n], err) < 0)
			goto out;
	if (n == 0 || report_build(run_dir, &cur, err) < 0)
		goto out;
	mem = open_memstream(&text, &len);
	if (!mem) {
		err_set(err, "cannot compare: %s", strerror(errno));
		goto out;
	}
	*regressed = compare_runs(olds, n, cur, &opt, mem) == 1;
	fclose(mem);
	fputs(text, out);
	fflush(out);
	path = g_build_filename(run_dir, "compare.txt", NULL);
	if (file_write(path, text, len, err) < 0 ||
	    runinfo_baseline(run_dir, baselines, *regressed, err) < 0)
		goto out;
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		json_object_unref(olds[i]);
	if (cur)
		json_object_unref(cur);
	free(text);
	g_free(path);
	return rc;
}
