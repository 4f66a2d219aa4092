/* report.c - see report.h. */
#include "report.h"
#include "html.h"
#include "point.h"
#include "runinfo.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- reading the folder ------------------------------------------------ */

int report_read_file(int dirfd, const char *name, size_t max, char **out,
		     size_t *len, char *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	GString *buf;
	struct stat st;
	char chunk[65536];
	ssize_t n;

	if (fd < 0) {
		err_set(err, "cannot open '%s': %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, "'%s' is not a regular file", name);
		close(fd);
		return -1;
	}
	buf = g_string_sized_new(st.st_size > 0 && (size_t)st.st_size < max ?
				 (size_t)st.st_size + 1 : 4096);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, "cannot read '%s': %s", name,
				strerror(errno));
			break;
		}
		if (buf->len + (size_t)n > max) {
			err_set(err, "'%s' is larger than %zu bytes", name,
				max);
			n = -1;
			break;
		}
		g_string_append_len(buf, chunk, n);
	}
	close(fd);
	if (n < 0) {
		g_string_free(buf, TRUE);
		return -1;
	}
	if (len)
		*len = buf->len;
	*out = g_string_free(buf, FALSE);
	return 0;
}

bool report_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 200 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(name[i]) && !strchr("._+-", name[i]))
			return false;
	return true;
}

/* Parse a JSON object from a file under dirfd.  -1 with err. */
static int read_json_object(int dirfd, const char *name, JsonObject **out,
			    char *err)
{
	JsonParser *p;
	GError *gerr = NULL;
	char *text = NULL;
	size_t len;
	int rc = -1;

	if (report_read_file(dirfd, name, REPORT_MAX_FILE, &text, &len,
			     err) < 0)
		return -1;
	p = json_parser_new_immutable();
	if (!json_parser_load_from_data(p, text, (gssize)len, &gerr)) {
		err_set(err, "'%s' is not JSON: %s", name, gerr->message);
		g_error_free(gerr);
	} else if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		err_set(err, "'%s' is not a JSON object", name);
	} else {
		*out = json_object_ref(json_node_get_object(
			json_parser_get_root(p)));
		rc = 0;
	}
	g_object_unref(p);
	g_free(text);
	return rc;
}

int report_load_runinfo(const char *run_dir, JsonObject **out, char *err)
{
	int fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	JsonObject *o = NULL;
	char e2[ERRLEN];
	const char *fmt;

	if (fd < 0) {
		err_set(err, "cannot open run folder '%s': %s", run_dir,
			strerror(errno));
		return -1;
	}
	if (read_json_object(fd, RUNINFO_FILE, &o, e2) < 0) {
		err_set(err, "'%s' is not a nicq run folder: %s", run_dir, e2);
		close(fd);
		return -1;
	}
	close(fd);
	fmt = json_object_get_string_member_with_default(o, "format", "");
	if (strcmp(fmt, RUNINFO_FORMAT) ||
	    json_object_get_int_member_with_default(o, "format_version", 0) !=
	    RUNINFO_FORMAT_VERSION ||
	    !json_object_has_member(o, "planned") ||
	    !JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "planned"))) {
		err_set(err, "'%s/%s' is not a nicq run description (format "
			"%s version %d)", run_dir, RUNINFO_FILE, RUNINFO_FORMAT,
			RUNINFO_FORMAT_VERSION);
		json_object_unref(o);
		return -1;
	}
	*out = o;
	return 0;
}

/*
 * A point's result.json: run_dir/slug/case/result.json with no symlink on
 * the way.  -1 with err.
 */
static int read_point(int run_fd, const char *slug, const char *cname,
		      JsonObject **out, char *err)
{
	int cfd, pfd, rc;

	cfd = openat(run_fd, slug, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		     O_CLOEXEC);
	if (cfd < 0) {
		err_set(err, "cannot open '%s': %s", slug, strerror(errno));
		return -1;
	}
	pfd = openat(cfd, cname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		     O_CLOEXEC);
	close(cfd);
	if (pfd < 0) {
		err_set(err, "cannot open '%s/%s': %s", slug, cname,
			strerror(errno));
		return -1;
	}
	rc = read_json_object(pfd, "result.json", out, err);
	close(pfd);
	return rc;
}

const char *report_str(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
	       json_node_get_value_type(n) == G_TYPE_STRING ?
	       json_node_get_string(n) : NULL;
}

JsonObject *report_obj(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

JsonArray *report_arr(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

bool report_num(JsonObject *o, const char *key, double *v)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	if (!n || !JSON_NODE_HOLDS_VALUE(n))
		return false;
	if (json_node_get_value_type(n) == G_TYPE_INT64)
		*v = (double)json_node_get_int(n);
	else if (json_node_get_value_type(n) == G_TYPE_DOUBLE)
		*v = json_node_get_double(n);
	else
		return false;
	return true;
}

long long report_int(JsonObject *o, const char *key, long long dflt)
{
	double v;

	return report_num(o, key, &v) ? (long long)v : dflt;
}

JsonObject *report_elem(JsonArray *a, guint i)
{
	JsonNode *n = a && i < json_array_get_length(a) ?
		      json_array_get_element(a, i) : NULL;

	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

const char *report_arr_str(JsonArray *a, guint i)
{
	JsonNode *n = a && i < json_array_get_length(a) ?
		      json_array_get_element(a, i) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
	       json_node_get_value_type(n) == G_TYPE_STRING ?
	       json_node_get_string(n) : "";
}

#define str_of report_str
#define obj_of report_obj
#define arr_of report_arr
#define int_of report_int

static void set_str_or_null(JsonObject *o, const char *key, const char *v)
{
	if (v)
		json_object_set_string_member(o, key, v);
	else
		json_object_set_null_member(o, key);
}

static const char *const statuses[] = {
	"pass", "fail", "known", "skip", "interrupted", "not_run", NULL,
};

static JsonObject *counts_new(void)
{
	JsonObject *c = json_object_new();

	for (int i = 0; statuses[i]; i++)
		json_object_set_int_member(c, statuses[i], 0);
	return c;
}

static void counts_add(JsonObject *c, const char *status)
{
	json_object_set_int_member(c, status,
				   json_object_get_int_member(c, status) + 1);
}

/* Whether "slug/case" is in run.json's end.unreported. */
static bool is_unreported(JsonArray *unrep, const char *slug,
			  const char *cname)
{
	char *key = g_strdup_printf("%s/%s", slug, cname);
	bool found = false;

	for (guint i = 0; unrep && i < json_array_get_length(unrep); i++)
		found |= !strcmp(report_arr_str(unrep, i), key);
	g_free(key);
	return found;
}

/*
 * One planned point's entry in the results: its status and reason, and
 * its result when it has one.
 */
static JsonObject *point_entry(int run_fd, JsonObject *plan, JsonObject *end,
			       bool finished)
{
	JsonObject *pt = json_object_new(), *res = NULL;
	const char *slug = str_of(plan, "slug"), *cname = str_of(plan, "case");
	const char *skip = str_of(plan, "skip");
	const char *bail = end ? str_of(end, "bail_out") : NULL;
	JsonArray *unrep = end ? arr_of(end, "unreported") : NULL;
	char err[ERRLEN] = "", *reason = NULL, *path = NULL;
	const char *status;

	json_object_set_string_member(pt, "case", cname ? cname : "");
	json_object_set_int_member(pt, "plan_case",
				   int_of(plan, "plan_case", 0));
	if (skip) {
		status = "skip";
		reason = g_strdup(skip);
	} else if (!report_name_ok(slug) || !report_name_ok(cname)) {
		status = "not_run";
		reason = g_strdup("run.json names this point with characters "
				  "a folder name cannot have");
	} else if (read_point(run_fd, slug, cname, &res, err) < 0) {
		status = "not_run";
		if (!finished)
			reason = g_strdup("not run: the run did not finish");
		else if (bail)
			reason = g_strdup_printf("not run: the run bailed out "
						 "before it: %s", bail);
		else
			reason = g_strdup_printf("no result: %s", err);
	} else if (g_strcmp0(str_of(res, "case"), cname) ||
		   g_strcmp0(str_of(obj_of(res, "cell"), "name"),
			     str_of(plan, "cell"))) {
		status = "not_run";
		reason = g_strdup_printf("no result: %s/%s/result.json is "
					 "another point's", slug, cname);
		g_clear_pointer(&res, json_object_unref);
	} else if (is_unreported(unrep, slug, cname)) {
		status = "interrupted";
		reason = g_strdup_printf("the run bailed out before this point "
					 "was reported (not judged): %s",
					 bail ? bail : "");
	} else {
		const char *v = str_of(res, "verdict");
		JsonArray *f = arr_of(res, "failures");

		status = "not_run";
		for (int i = 0; i < 4; i++)
			if (!g_strcmp0(v, statuses[i]))
				status = statuses[i];
		if (!strcmp(status, "not_run"))
			reason = g_strdup_printf("no result: unknown verdict "
						 "'%s'", v ? v : "");
		else if (!strcmp(status, "fail") && f &&
			 json_array_get_length(f) > 0)
			reason = json_array_get_length(f) > 1 ?
				 g_strdup_printf("%s (and %u more)",
					report_arr_str(f, 0),
					json_array_get_length(f) - 1) :
				 g_strdup(report_arr_str(f, 0));
		else if (str_of(res, "reason"))
			reason = g_strdup(str_of(res, "reason"));
	}
	json_object_set_string_member(pt, "status", status);
	set_str_or_null(pt, "reason", reason);
	if (res)
		path = g_strdup_printf("%s/%s", slug, cname);
	set_str_or_null(pt, "path", path);
	if (res && json_object_has_member(res, "duration_ms"))
		json_object_set_int_member(pt, "duration_ms",
					   int_of(res, "duration_ms", 0));
	else
		json_object_set_null_member(pt, "duration_ms");
	if (res)
		json_object_set_object_member(pt, "result", res); /* transferred */
	else
		json_object_set_null_member(pt, "result");
	g_free(reason);
	g_free(path);
	return pt;
}

int report_build(const char *run_dir, JsonObject **out, char *err)
{
	JsonObject *run = NULL, *doc, *end, *sum, *total, *cell = NULL;
	JsonArray *planned, *cells;
	int run_fd;
	bool finished;
	long long started, dur_sum = 0;

	if (report_load_runinfo(run_dir, &run, err) < 0)
		return -1;
	run_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (run_fd < 0) {
		err_set(err, "cannot open '%s': %s", run_dir, strerror(errno));
		json_object_unref(run);
		return -1;
	}
	end = obj_of(run, "end");
	finished = end != NULL;
	planned = arr_of(run, "planned");
	cells = json_array_new();
	total = counts_new();
	for (guint i = 0; i < json_array_get_length(planned); i++) {
		JsonNode *n = json_array_get_element(planned, i);
		JsonObject *plan = JSON_NODE_HOLDS_OBJECT(n) ?
				   json_node_get_object(n) : NULL;
		JsonObject *pt;
		const char *slug = str_of(plan, "slug");

		if (!plan || !slug)
			continue;
		if (!cell || g_strcmp0(str_of(cell, "slug"), slug)) {
			const char *skip = str_of(plan, "skip");
			bool cell_skips = true;

			/* a cell skips when every one of its points does */
			for (guint j = i; j < json_array_get_length(planned);
			     j++) {
				JsonObject *q = report_elem(
					planned, j);

				if (g_strcmp0(str_of(q, "slug"), slug))
					break;
				if (g_strcmp0(str_of(q, "skip"), skip))
					cell_skips = false;
			}
			cell = json_object_new();
			json_object_set_string_member(cell, "name",
				str_of(plan, "cell") ? str_of(plan, "cell") :
				slug);
			json_object_set_string_member(cell, "slug", slug);
			set_str_or_null(cell, "model", str_of(plan, "model"));
			json_object_set_boolean_member(cell, "vhost",
				json_object_get_boolean_member_with_default(
					plan, "vhost", false));
			set_str_or_null(cell, "skip", cell_skips ? skip :
					NULL);
			json_object_set_object_member(cell, "counts",
						      counts_new());
			json_object_set_array_member(cell, "points",
						     json_array_new());
			json_array_add_object_element(cells, cell);
		}
		pt = point_entry(run_fd, plan, end, finished);
		counts_add(obj_of(cell, "counts"), str_of(pt, "status"));
		counts_add(total, str_of(pt, "status"));
		dur_sum += int_of(pt, "duration_ms", 0);
		json_array_add_object_element(arr_of(cell, "points"), pt);
	}
	close(run_fd);

	sum = json_object_new();
	{
		const char *status;

		if (!finished)
			status = "unfinished";
		else if (str_of(end, "bail_out"))
			status = "bailed";
		else if (json_object_get_int_member(total, "fail") ||
			 json_object_get_int_member(total, "not_run") ||
			 json_object_get_int_member(total, "interrupted"))
			status = "fail";
		else
			status = "pass";
		json_object_set_string_member(sum, "status", status);
	}
	if (finished)
		json_object_set_int_member(sum, "exit_status",
					   int_of(end, "exit_status", -1));
	else
		json_object_set_null_member(sum, "exit_status");
	set_str_or_null(sum, "bail_out", str_of(end, "bail_out"));
	json_object_set_int_member(sum, "points",
				   json_array_get_length(planned));
	json_object_set_object_member(sum, "counts", total);
	started = int_of(run, "started_ms", 0);
	json_object_set_int_member(sum, "started_ms", started);
	if (finished) {
		json_object_set_int_member(sum, "finished_ms",
					   int_of(end, "finished_ms", 0));
		json_object_set_int_member(sum, "duration_ms",
			int_of(end, "finished_ms", 0) - started);
	} else {
		json_object_set_null_member(sum, "finished_ms");
		json_object_set_null_member(sum, "duration_ms");
	}
	json_object_set_int_member(sum, "points_duration_ms", dur_sum);

	doc = json_object_new();
	json_object_set_string_member(doc, "format", REPORT_FORMAT);
	json_object_set_int_member(doc, "format_version",
				   REPORT_FORMAT_VERSION);
	json_object_set_object_member(doc, "run", run);	/* transferred */
	json_object_set_object_member(doc, "summary", sum);
	json_object_set_array_member(doc, "cells", cells);
	*out = doc;
	return 0;
}

/* ---- JUnit ------------------------------------------------------------- */

/*
 * Text as XML 1.0 may carry it: valid UTF-8, and none of the characters
 * XML forbids (C0 controls but tab, newline and carriage return; U+FFFE,
 * U+FFFF): each becomes U+FFFD.  g_free().
 */
static char *xml_text(const char *s)
{
	char *v = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(strlen(v));

	for (const char *p = v; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0xFFFE || c == 0xFFFF)
			g_string_append_unichar(out, 0xFFFD);
		else
			g_string_append_unichar(out, c);
	}
	g_free(v);
	return g_string_free(out, FALSE);
}

/* One line of at most max bytes (whole characters), for a message. */
static char *one_line(const char *s, size_t max)
{
	char *t = xml_text(s);

	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (strlen(t) > max) {
		const char *cut = g_utf8_find_prev_char(t, t + max - 3);

		if (cut) {
			t[cut - t] = '\0';
			t = g_realloc(t, strlen(t) + 4);
			strcat(t, "...");
		}
	}
	return t;
}

static void w_attr(xmlTextWriterPtr w, const char *name, const char *v)
{
	char *t = xml_text(v);

	xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST t);
	g_free(t);
}

static void w_attr_int(xmlTextWriterPtr w, const char *name, long long v)
{
	char buf[32];

	g_snprintf(buf, sizeof(buf), "%lld", v);
	xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST buf);
}

static void w_attr_secs(xmlTextWriterPtr w, const char *name, long long ms)
{
	char buf[32];

	g_snprintf(buf, sizeof(buf), "%lld.%03lld", ms / 1000, ms % 1000);
	xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST buf);
}

static void w_text(xmlTextWriterPtr w, const char *v)
{
	char *t = xml_text(v);

	xmlTextWriterWriteString(w, BAD_CAST t);
	g_free(t);
}

static void w_property(xmlTextWriterPtr w, const char *name, const char *v)
{
	if (!v)
		return;
	xmlTextWriterStartElement(w, BAD_CAST "property");
	w_attr(w, "name", name);
	w_attr(w, "value", v);
	xmlTextWriterEndElement(w);
}

/* "2026-11-25T23:50:12" (UTC) for ms since the epoch. */
static void iso_time(long long ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* The point's result as YAML, as its TAP block shows it. */
static char *point_yaml(JsonObject *res)
{
	struct diag *d = diag_new();
	GList *members = json_object_get_members(res);
	char *y;

	for (GList *l = members; l; l = l->next)
		diag_add_json(d, l->data, json_object_get_member(res, l->data));
	g_list_free(members);
	y = diag_yaml(d);
	diag_free(d);
	return y;
}

static void junit_case(xmlTextWriterPtr w, JsonObject *cell, JsonObject *pt)
{
	const char *status = str_of(pt, "status");
	const char *reason = str_of(pt, "reason");
	JsonObject *res = obj_of(pt, "result");
	char *cls = g_strdup_printf("nicq.%s", str_of(cell, "slug"));
	char *msg;

	xmlTextWriterStartElement(w, BAD_CAST "testcase");
	w_attr(w, "name", str_of(pt, "case"));
	w_attr(w, "classname", cls);
	w_attr_secs(w, "time", int_of(pt, "duration_ms", 0));
	if (!strcmp(status, "fail")) {
		JsonArray *f = arr_of(res, "failures");
		GString *all = g_string_new(NULL);

		for (guint i = 0; f && i < json_array_get_length(f); i++)
			g_string_append_printf(all, "%s\n",
				report_arr_str(f, i));
		xmlTextWriterStartElement(w, BAD_CAST "failure");
		msg = one_line(reason ? reason : "failed", 1000);
		w_attr(w, "message", msg);
		w_attr(w, "type", "nicq.fail");
		w_text(w, all->str);
		xmlTextWriterEndElement(w);
		g_string_free(all, TRUE);
		g_free(msg);
	} else if (!strcmp(status, "known") || !strcmp(status, "skip")) {
		bool known = !strcmp(status, "known");
		char *m = known ? g_strdup_printf("known defect (TAP # TODO): "
						  "%s", reason ? reason : "") :
				  g_strdup(reason ? reason : "skipped");

		xmlTextWriterStartElement(w, BAD_CAST "skipped");
		msg = one_line(m, 1000);
		w_attr(w, "message", msg);
		w_attr(w, "type", known ? "nicq.known" : "nicq.skip");
		if (known) {
			JsonArray *f = arr_of(res, "failures");
			GString *all = g_string_new(
				"the failures the defect explains:\n");

			for (guint i = 0; f && i < json_array_get_length(f);
			     i++)
				g_string_append_printf(all, "%s\n",
					report_arr_str(f, i));
			w_text(w, all->str);
			g_string_free(all, TRUE);
		}
		xmlTextWriterEndElement(w);
		g_free(msg);
		g_free(m);
	} else if (!strcmp(status, "interrupted") ||
		   !strcmp(status, "not_run")) {
		xmlTextWriterStartElement(w, BAD_CAST "error");
		msg = one_line(reason ? reason : status, 1000);
		w_attr(w, "message", msg);
		w_attr(w, "type", !strcmp(status, "interrupted") ?
		       "nicq.interrupted" : "nicq.not_run");
		xmlTextWriterEndElement(w);
		g_free(msg);
	}
	if (res) {
		char *y = point_yaml(res);

		xmlTextWriterStartElement(w, BAD_CAST "system-out");
		w_text(w, y);
		xmlTextWriterEndElement(w);
		g_free(y);
	}
	xmlTextWriterEndElement(w);
	g_free(cls);
}

char *report_junit(JsonObject *doc)
{
	JsonObject *run = obj_of(doc, "run"), *sum = obj_of(doc, "summary");
	JsonObject *tc = obj_of(sum, "counts");
	JsonObject *ver = obj_of(run, "versions"), *acc = obj_of(run,
								 "accelerator");
	JsonObject *prof = obj_of(run, "profile");
	JsonArray *cells = arr_of(doc, "cells");
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
	char *name, *out, ts[32];
	long long tms = 0;

	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElement(w, BAD_CAST "testsuites");
	name = g_strdup_printf("nicq %s", str_of(run, "run_id"));
	w_attr(w, "name", name);
	g_free(name);
	w_attr_int(w, "tests", int_of(sum, "points", 0));
	w_attr_int(w, "failures", int_of(tc, "fail", 0));
	w_attr_int(w, "errors", int_of(tc, "interrupted", 0) +
		   int_of(tc, "not_run", 0));
	for (guint i = 0; cells && i < json_array_get_length(cells); i++) {
		JsonArray *pts = arr_of(report_elem(cells,
								       i),
					"points");

		for (guint j = 0; pts && j < json_array_get_length(pts); j++)
			tms += int_of(report_elem(pts, j),
				      "duration_ms", 0);
	}
	w_attr_secs(w, "time", tms);
	for (guint i = 0; cells && i < json_array_get_length(cells); i++) {
		JsonObject *cell = report_elem(cells, i);
		JsonObject *cc = obj_of(cell, "counts");
		JsonArray *pts = arr_of(cell, "points");
		long long cms = 0, first = 0;

		for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
			JsonObject *pt = report_elem(pts, j);
			long long st = int_of(obj_of(pt, "result"),
					      "started_ms", 0);

			cms += int_of(pt, "duration_ms", 0);
			if (st && (!first || st < first))
				first = st;
		}
		xmlTextWriterStartElement(w, BAD_CAST "testsuite");
		w_attr(w, "name", str_of(cell, "name"));
		w_attr_int(w, "tests", pts ? json_array_get_length(pts) : 0);
		w_attr_int(w, "failures", int_of(cc, "fail", 0));
		w_attr_int(w, "errors", int_of(cc, "interrupted", 0) +
			   int_of(cc, "not_run", 0));
		w_attr_int(w, "skipped", int_of(cc, "skip", 0) +
			   int_of(cc, "known", 0));
		w_attr_secs(w, "time", cms);
		iso_time(first ? first : int_of(run, "started_ms", 0), ts,
			 sizeof(ts));
		w_attr(w, "timestamp", ts);
		w_attr(w, "hostname", str_of(obj_of(run, "host"), "hostname"));
		xmlTextWriterStartElement(w, BAD_CAST "properties");
		w_property(w, "nicq.version", str_of(run, "nicq_version"));
		w_property(w, "nicq.run", str_of(run, "run_id"));
		w_property(w, "nicq.model", str_of(cell, "model"));
		w_property(w, "nicq.vhost",
			   json_object_get_boolean_member_with_default(
				   cell, "vhost", false) ? "on" : "off");
		w_property(w, "nicq.cell_skip", str_of(cell, "skip"));
		w_property(w, "nicq.profile", str_of(prof, "name"));
		w_property(w, "nicq.accelerator", str_of(acc, "name"));
		w_property(w, "qemu.version", str_of(ver, "qemu"));
		w_property(w, "libvirt.version", str_of(ver,
							"libvirt_daemon"));
		w_property(w, "host.kernel", str_of(ver, "kernel"));
		xmlTextWriterEndElement(w);
		for (guint j = 0; pts && j < json_array_get_length(pts); j++)
			junit_case(w, cell,
				   report_elem(pts, j));
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndElement(w);
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	out = g_strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return out;
}

/* ---- writing ----------------------------------------------------------- */

int report_write_json(const char *path, JsonObject *doc, char *err)
{
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	JsonGenerator *g = json_generator_new();
	char *text;
	int rc;

	json_node_set_object(n, doc);
	json_generator_set_root(g, n);
	json_generator_set_pretty(g, TRUE);
	text = json_generator_to_data(g, NULL);
	rc = file_write(path, text, strlen(text), err);
	g_free(text);
	g_object_unref(g);
	json_node_unref(n);
	return rc;
}

int report_render(const char *run_dir, const char *junit_copy, char *err)
{
	JsonObject *doc = NULL;
	char *path = NULL, *xml = NULL, *html = NULL;
	int run_fd = -1, rc = -1;

	if (report_build(run_dir, &doc, err) < 0)
		return -1;
	path = g_build_filename(run_dir, REPORT_RESULTS_FILE, NULL);
	if (report_write_json(path, doc, err) < 0)
		goto out;
	g_free(path);
	xml = report_junit(doc);
	path = g_build_filename(run_dir, REPORT_JUNIT_FILE, NULL);
	if (file_write(path, xml, strlen(xml), err) < 0)
		goto out;
	if (junit_copy && file_write(junit_copy, xml, strlen(xml), err) < 0)
		goto out;
	g_free(path);
	run_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (run_fd < 0) {
		err_set(err, "cannot open '%s': %s", run_dir, strerror(errno));
		path = NULL;
		goto out;
	}
	html = html_render(doc, run_fd);
	path = g_build_filename(run_dir, REPORT_HTML_FILE, NULL);
	if (file_write(path, html, strlen(html), err) < 0)
		goto out;
	rc = 0;
out:
	if (run_fd >= 0)
		close(run_fd);
	g_free(path);
	g_free(xml);
	g_free(html);
	json_object_unref(doc);
	return rc;
}
