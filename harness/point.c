/* point.c - see point.h. */
#include "point.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* The sections filled by point_section(), in the order they render. */
static const char *const sections[] = {
	"guest", "control", "capture", "fault", "klog", "artifact",
};
#define N_SECTIONS G_N_ELEMENTS(sections)

struct failed {
	int seq;
	char *name;		/* "scope: name" or name */
};

struct point {
	/* identity */
	char *case_name, *summary, *cell, *model, *dir;
	int plan, deadline_s;
	bool vhost;
	int64_t started_ms;	/* wall clock, ms since the epoch */

	/* records, by kind, as they render */
	JsonArray *expects, *observes, *errors, *phases;
	JsonArray *sect[N_SECTIONS];
	int seq, n_records, n_dropped;
	int64_t t0_mono;

	/* what the verdict is derived from */
	GPtrArray *failed;	/* struct failed *: failed expectations */
	int n_errors;
	int skip_seq;		/* 0: none */
	char *skip_reason;
	int known_seq;
	char *known_defect;
	GPtrArray *known_explains;	/* char * */

	/* the verdict, once finished */
	bool finished;
	enum verdict verdict;
	char *reason;
	int64_t duration_ms;

	int journal_fd;
};

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case V_PASS:
		return "pass";
	case V_FAIL:
		return "fail";
	case V_SKIP:
		return "skip";
	case V_KNOWN:
		return "known";
	}
	return "fail";
}

static const char *const cmp_names[] = {
	[CMP_EQ] = "eq", [CMP_NE] = "ne", [CMP_LT] = "lt", [CMP_LE] = "le",
	[CMP_GT] = "gt", [CMP_GE] = "ge", [CMP_RANGE] = "range",
	[CMP_STREQ] = "streq", [CMP_TRUE] = "true",
};

static const char *const cmp_signs[] = {
	[CMP_EQ] = "== ", [CMP_NE] = "!= ", [CMP_LT] = "< ", [CMP_LE] = "<= ",
	[CMP_GT] = "> ", [CMP_GE] = ">= ", [CMP_RANGE] = "",
	[CMP_STREQ] = "", [CMP_TRUE] = "",
};

static int cmp_from_name(const char *s)
{
	for (size_t i = 0; s && i < G_N_ELEMENTS(cmp_names); i++)
		if (!strcmp(s, cmp_names[i]))
			return (int)i;
	return -1;
}

static void failed_free(gpointer p)
{
	struct failed *f = p;

	g_free(f->name);
	g_free(f);
}

struct point *point_new(void)
{
	struct point *p = g_new0(struct point, 1);
	struct timeval tv;

	p->expects = json_array_new();
	p->observes = json_array_new();
	p->errors = json_array_new();
	p->phases = json_array_new();
	for (size_t i = 0; i < N_SECTIONS; i++)
		p->sect[i] = json_array_new();
	p->failed = g_ptr_array_new_with_free_func(failed_free);
	p->known_explains = g_ptr_array_new_with_free_func(g_free);
	p->journal_fd = -1;
	p->t0_mono = mono_ms();
	gettimeofday(&tv, NULL);
	p->started_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	return p;
}

void point_free(struct point *p)
{
	if (!p)
		return;
	point_journal_close(p);
	json_array_unref(p->expects);
	json_array_unref(p->observes);
	json_array_unref(p->errors);
	json_array_unref(p->phases);
	for (size_t i = 0; i < N_SECTIONS; i++)
		json_array_unref(p->sect[i]);
	g_ptr_array_free(p->failed, TRUE);
	g_ptr_array_free(p->known_explains, TRUE);
	g_free(p->case_name);
	g_free(p->summary);
	g_free(p->cell);
	g_free(p->model);
	g_free(p->dir);
	g_free(p->skip_reason);
	g_free(p->known_defect);
	g_free(p->reason);
	g_free(p);
}

void point_set_identity(struct point *p, const char *case_name, int plan,
			const char *summary, const char *cell,
			const char *model, bool vhost, const char *dir,
			int deadline_s)
{
	g_free(p->case_name);
	g_free(p->summary);
	g_free(p->cell);
	g_free(p->model);
	g_free(p->dir);
	p->case_name = g_strdup(case_name);
	p->plan = plan;
	p->summary = g_strdup(summary);
	p->cell = g_strdup(cell);
	p->model = g_strdup(model);
	p->vhost = vhost;
	p->dir = g_strdup(dir);
	p->deadline_s = deadline_s;
}

/* ---- bounded strings ---------------------------------------------- */

/* A copy of s cut at POINT_MAX_STR bytes (on a UTF-8 boundary). */
static char *bounded(const char *s)
{
	size_t len;
	const char *end;

	if (!s)
		return NULL;
	len = strlen(s);
	if (len <= POINT_MAX_STR)
		return g_strdup(s);
	/* back to the start of the character the bound falls in */
	end = s + POINT_MAX_STR;
	while (end > s && ((guchar)*end & 0xc0) == 0x80)
		end--;
	return g_strdup_printf("%.*s... (%zu bytes cut)", (int)(end - s), s,
			       len - (size_t)(end - s));
}

static void set_str(JsonObject *o, const char *key, const char *s)
{
	char *b = bounded(s);

	if (b)
		json_object_set_string_member(o, key, b);
	g_free(b);
}

static const char *get_str(JsonObject *o, const char *key)
{
	JsonNode *n = json_object_get_member(o, key);

	if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

static bool get_int(JsonObject *o, const char *key, long long *out)
{
	JsonNode *n = json_object_get_member(o, key);

	if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
	    json_node_get_value_type(n) != G_TYPE_INT64)
		return false;
	*out = json_node_get_int(n);
	return true;
}

static bool get_bool(JsonObject *o, const char *key, bool *out)
{
	JsonNode *n = json_object_get_member(o, key);

	if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
	    json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return false;
	*out = json_node_get_boolean(n);
	return true;
}

/* ---- values --------------------------------------------------------- */

static JsonNode *val_node(struct val v)
{
	JsonNode *n = json_node_new(JSON_NODE_VALUE);
	char *s;

	switch (v.kind) {
	case VAL_INT:
		json_node_set_int(n, v.i);
		break;
	case VAL_NUM:
		if (!isfinite(v.d)) {
			json_node_init_null(n);	/* JSON has no NaN */
			break;
		}
		json_node_set_double(n, v.d);
		break;
	case VAL_STR:
		s = bounded(v.s);
		json_node_set_string(n, s);
		g_free(s);
		break;
	case VAL_BOOL:
		json_node_set_boolean(n, v.b);
		break;
	case VAL_NONE:
	default:
		json_node_init_null(n);
		break;
	}
	return n;
}

/* A JSON scalar as text, for failure messages; g_free(). */
static char *node_text(JsonNode *n)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	double d;

	if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE)
		return g_strdup("nothing");
	switch (json_node_get_value_type(n)) {
	case G_TYPE_INT64:
		return g_strdup_printf("%lld", (long long)json_node_get_int(n));
	case G_TYPE_DOUBLE:
		d = json_node_get_double(n);
		/* byte counts and rates read whole, not as 3.27393e+06 */
		if (d == floor(d) && fabs(d) < 1e15)
			return g_strdup_printf("%.0f", d);
		return g_strdup(g_ascii_formatd(buf, sizeof(buf), "%.6g", d));
	case G_TYPE_BOOLEAN:
		return g_strdup(json_node_get_boolean(n) ? "true" : "false");
	case G_TYPE_STRING:
		return g_strdup(json_node_get_string(n));
	default:
		return g_strdup("nothing");
	}
}

static bool val_number(struct val v, double *out)
{
	if (v.kind == VAL_INT)
		*out = (double)v.i;
	else if (v.kind == VAL_NUM)
		*out = v.d;
	else if (v.kind == VAL_BOOL)
		*out = v.b;
	else
		return false;
	return isfinite(*out);
}

/* Integers compare exactly; anything else as doubles. */
static bool compare(enum cmp op, struct val e, struct val hi, struct val m)
{
	double a, b, c;

	if (m.kind == VAL_NONE)
		return false;
	if (op == CMP_STREQ)
		return e.kind == VAL_STR && m.kind == VAL_STR && e.s && m.s &&
		       !strcmp(e.s, m.s);
	if (e.kind == VAL_INT && m.kind == VAL_INT && op != CMP_RANGE) {
		switch (op) {
		case CMP_EQ: return m.i == e.i;
		case CMP_NE: return m.i != e.i;
		case CMP_LT: return m.i < e.i;
		case CMP_LE: return m.i <= e.i;
		case CMP_GT: return m.i > e.i;
		case CMP_GE: return m.i >= e.i;
		default: return false;
		}
	}
	if (!val_number(m, &a) || !val_number(e, &b))
		return false;
	switch (op) {
	case CMP_EQ: return a == b;
	case CMP_NE: return a != b;
	case CMP_LT: return a < b;
	case CMP_LE: return a <= b;
	case CMP_GT: return a > b;
	case CMP_GE: return a >= b;
	case CMP_RANGE:
		return val_number(hi, &c) && a >= b && a <= c;
	default:
		return false;
	}
}

/* ---- the journal ----------------------------------------------------- */

int point_journal_open(struct point *p, const char *path, char *err)
{
	int fd = file_open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0) {
		err_set(err, "cannot open journal '%s': %s", path,
			strerror(errno));
		return -1;
	}
	point_journal_close(p);
	p->journal_fd = fd;
	return 0;
}

void point_journal_close(struct point *p)
{
	if (p && p->journal_fd >= 0) {
		close(p->journal_fd);
		p->journal_fd = -1;
	}
}

static void journal_write(struct point *p, JsonObject *rec)
{
	JsonNode *n;
	char *text, *line;
	size_t len, off = 0;

	if (p->journal_fd < 0)
		return;
	n = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(n, rec);
	text = json_to_string(n, FALSE);
	json_node_unref(n);
	line = g_strconcat(text, "\n", NULL);
	len = strlen(line);
	while (off < len) {
		ssize_t w = write(p->journal_fd, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	g_free(text);
	g_free(line);
}

int point_journal_replay(struct point *p, const char *path, char *err)
{
	FILE *f = file_fopen(path, "r");
	char *buf;
	int added = 0;

	if (!f) {
		err_set(err, "cannot read journal '%s': %s", path,
			strerror(errno));
		return -1;
	}
	buf = g_malloc(POINT_MAX_LINE + 2);
	while (fgets(buf, POINT_MAX_LINE + 2, f)) {
		JsonParser *jp;
		JsonNode *root;
		size_t len = strlen(buf);

		if (len == 0 || buf[len - 1] != '\n') {
			/* cut short or over the bound: the journal ends */
			point_error(p, NULL, "the case's journal ends with an "
				    "incomplete record");
			break;
		}
		jp = json_parser_new();
		if (!json_parser_load_from_data(jp, buf, (gssize)len, NULL) ||
		    !(root = json_parser_get_root(jp)) ||
		    JSON_NODE_TYPE(root) != JSON_NODE_OBJECT) {
			g_object_unref(jp);
			point_error(p, NULL, "the case's journal holds a "
				    "malformed record");
			break;
		}
		point_add(p, json_object_ref(json_node_get_object(root)));
		g_object_unref(jp);
		added++;
	}
	g_free(buf);
	fclose(f);
	return added;
}

/* ---- records ---------------------------------------------------------- */

/*
 * JSON text is UTF-8: every string of a record is made valid UTF-8 before
 * it is journaled, or its journal line would not parse back (guest output
 * and console lines hold any bytes).
 */
static void make_valid(JsonNode *n)
{
	JsonObjectIter it;
	const char *key;
	JsonNode *m;
	JsonArray *a;

	switch (JSON_NODE_TYPE(n)) {
	case JSON_NODE_OBJECT:
		json_object_iter_init(&it, json_node_get_object(n));
		while (json_object_iter_next(&it, &key, &m))
			make_valid(m);
		break;
	case JSON_NODE_ARRAY:
		a = json_node_get_array(n);
		for (guint i = 0; i < json_array_get_length(a); i++)
			make_valid(json_array_get_element(a, i));
		break;
	case JSON_NODE_VALUE:
		if (json_node_get_value_type(n) == G_TYPE_STRING &&
		    !g_utf8_validate(json_node_get_string(n), -1, NULL)) {
			char *v = g_utf8_make_valid(json_node_get_string(n),
						    -1);

			json_node_set_string(n, v);
			g_free(v);
		}
		break;
	case JSON_NODE_NULL:
		break;
	}
}

static char *full_name(JsonObject *rec)
{
	const char *scope = get_str(rec, "scope"), *name = get_str(rec, "name");

	if (scope && *scope)
		return g_strdup_printf("%s: %s", scope, name ? name : "");
	return g_strdup(name ? name : "");
}

static void drop(struct point *p, const char *why)
{
	JsonObject *e = json_object_new();

	p->n_dropped++;
	json_object_set_int_member(e, "seq", ++p->seq);
	set_str(e, "message", why);
	json_array_add_object_element(p->errors, e);
	p->n_errors++;
}

static int section_index(const char *k)
{
	for (size_t i = 0; k && i < N_SECTIONS; i++)
		if (!strcmp(k, sections[i]))
			return (int)i;
	return -1;
}

bool point_add(struct point *p, JsonObject *rec)
{
	const char *k = get_str(rec, "k");
	bool ok = true, b;
	long long v;
	int si;

	if (!k) {
		json_object_unref(rec);
		drop(p, "a record without a kind was dropped");
		return false;
	}
	{
		JsonNode *n = json_node_init_object(json_node_alloc(), rec);

		make_valid(n);
		json_node_unref(n);
	}
	if (p->n_records >= POINT_MAX_RECORDS) {
		if (p->n_records++ == POINT_MAX_RECORDS) {
			/* so the parent replaying the journal drops it too */
			journal_write(p, rec);
			drop(p, "too many records: the rest were dropped");
		}
		json_object_unref(rec);
		return false;
	}
	p->n_records++;
	journal_write(p, rec);
	p->seq++;
	if (!strcmp(k, "expect")) {
		if (!get_bool(rec, "ok", &b) || !get_str(rec, "name") ||
		    cmp_from_name(get_str(rec, "op")) < 0) {
			json_object_unref(rec);
			drop(p, "a malformed expectation was dropped");
			return false;
		}
		if (!b) {
			struct failed *f = g_new0(struct failed, 1);

			f->seq = p->seq;
			f->name = full_name(rec);
			g_ptr_array_add(p->failed, f);
			ok = false;
		}
		json_object_remove_member(rec, "k");
		json_object_set_int_member(rec, "seq", p->seq);
		json_array_add_object_element(p->expects, rec);
	} else if (!strcmp(k, "observe")) {
		json_object_remove_member(rec, "k");
		json_array_add_object_element(p->observes, rec);
	} else if (!strcmp(k, "error")) {
		json_object_remove_member(rec, "k");
		json_object_set_int_member(rec, "seq", p->seq);
		json_array_add_object_element(p->errors, rec);
		p->n_errors++;
		ok = false;
	} else if (!strcmp(k, "skip")) {
		if (!p->skip_seq) {
			p->skip_seq = p->seq;
			p->skip_reason = g_strdup(get_str(rec, "reason"));
		}
		json_object_unref(rec);
	} else if (!strcmp(k, "known")) {
		JsonNode *ex = json_object_get_member(rec, "explains");

		if (!p->known_seq) {
			p->known_seq = p->seq;
			p->known_defect = g_strdup(get_str(rec, "defect"));
			if (ex && JSON_NODE_HOLDS_ARRAY(ex)) {
				JsonArray *a = json_node_get_array(ex);

				for (guint i = 0; i < json_array_get_length(a);
				     i++) {
					const char *s = json_array_get_string_element(a, i);

					if (s)
						g_ptr_array_add(p->known_explains,
								g_strdup(s));
				}
			}
		}
		json_object_unref(rec);
	} else if (!strcmp(k, "phase")) {
		json_object_remove_member(rec, "k");
		if (!get_int(rec, "at_ms", &v))
			json_object_set_int_member(rec, "at_ms",
						   mono_ms() - p->t0_mono);
		json_array_add_object_element(p->phases, rec);
	} else if ((si = section_index(k)) >= 0) {
		json_object_remove_member(rec, "k");
		json_array_add_object_element(p->sect[si], rec);
	} else {
		char *why = g_strdup_printf("a record of unknown kind '%.40s' "
					    "was dropped", k);

		json_object_unref(rec);
		drop(p, why);
		g_free(why);
		return false;
	}
	return ok;
}

static JsonObject *record(const char *k)
{
	JsonObject *o = json_object_new();

	json_object_set_string_member(o, "k", k);
	return o;
}

bool point_expect(struct point *p, const char *scope, const char *name,
		  enum cmp op, struct val expected, struct val hi,
		  struct val measured, bool ok, const char *evidence)
{
	JsonObject *o = record("expect");

	if (op != CMP_TRUE)
		ok = compare(op, expected, hi, measured);
	else if (measured.kind == VAL_NONE)
		ok = false;
	if (scope)
		set_str(o, "scope", scope);
	set_str(o, "name", name ? name : "(unnamed)");
	json_object_set_string_member(o, "op", cmp_names[op]);
	json_object_set_member(o, "expected", val_node(expected));
	if (op == CMP_RANGE)
		json_object_set_member(o, "expected_max", val_node(hi));
	json_object_set_member(o, "measured", val_node(measured));
	json_object_set_boolean_member(o, "ok", ok);
	if (evidence)
		set_str(o, "evidence", evidence);
	point_add(p, o);
	return ok;
}

void point_observe(struct point *p, const char *scope, const char *name,
		   struct val v, const char *unit, const char *evidence)
{
	JsonObject *o = record("observe");

	if (scope)
		set_str(o, "scope", scope);
	set_str(o, "name", name ? name : "(unnamed)");
	json_object_set_member(o, "value", val_node(v));
	if (unit)
		set_str(o, "unit", unit);
	if (evidence)
		set_str(o, "evidence", evidence);
	point_add(p, o);
}

void point_error(struct point *p, const char *scope, const char *msg)
{
	JsonObject *o = record("error");

	if (scope)
		set_str(o, "scope", scope);
	set_str(o, "message", msg ? msg : "(no message)");
	point_add(p, o);
}

void point_skip(struct point *p, const char *reason)
{
	JsonObject *o = record("skip");

	set_str(o, "reason", reason ? reason : "(no reason given)");
	point_add(p, o);
}

void point_known(struct point *p, const char *defect,
		 const char *const *explains)
{
	JsonObject *o = record("known");
	JsonArray *a = json_array_new();

	set_str(o, "defect", defect ? defect : "(no defect named)");
	for (; explains && *explains; explains++)
		json_array_add_string_element(a, *explains);
	json_object_set_array_member(o, "explains", a);
	point_add(p, o);
}

void point_phase(struct point *p, const char *name)
{
	JsonObject *o = record("phase");

	set_str(o, "name", name);
	json_object_set_int_member(o, "at_ms", mono_ms() - p->t0_mono);
	point_add(p, o);
}

void point_section(struct point *p, const char *kind, JsonObject *obj)
{
	json_object_set_string_member(obj, "k", kind);
	point_add(p, obj);
}

bool point_failed(const struct point *p)
{
	return p->failed->len > 0 || p->n_errors > 0;
}

int point_expectations(const struct point *p)
{
	return (int)json_array_get_length(p->expects);
}

const char *point_last_phase(const struct point *p)
{
	guint n = json_array_get_length(p->phases);

	if (!n)
		return NULL;
	return get_str(json_array_get_object_element(p->phases, n - 1),
		       "name");
}

/* ---- the verdict ------------------------------------------------------ */

static bool explained(const struct point *p, const struct failed *f)
{
	for (guint i = 0; i < p->known_explains->len; i++) {
		const char *e = p->known_explains->pdata[i];

		if (!strcmp(e, f->name))
			return true;
	}
	return false;
}

/* "name: expected == 3, measured 2" for a failed expectation. */
static char *expect_text(JsonObject *e)
{
	char *name = full_name(e), *exp, *meas, *hi = NULL, *out;
	int op = cmp_from_name(get_str(e, "op"));

	exp = node_text(json_object_get_member(e, "expected"));
	meas = node_text(json_object_get_member(e, "measured"));
	if (op == CMP_RANGE) {
		hi = node_text(json_object_get_member(e, "expected_max"));
		out = g_strdup_printf("%s: expected %s..%s, measured %s", name,
				      exp, hi, meas);
	} else {
		out = g_strdup_printf("%s: expected %s%s, measured %s", name,
				      op >= 0 ? cmp_signs[op] : "", exp, meas);
	}
	g_free(name);
	g_free(exp);
	g_free(meas);
	g_free(hi);
	return out;
}

static char *failures_text(const struct point *p)
{
	GString *s = g_string_new(NULL);
	guint i, n = 0;

	for (i = 0; i < json_array_get_length(p->errors); i++) {
		JsonObject *e = json_array_get_object_element(p->errors, i);
		const char *scope = get_str(e, "scope");

		g_string_append_printf(s, "%s%s%s%s", s->len ? "; " : "",
				       scope ? scope : "", scope ? ": " : "",
				       get_str(e, "message"));
		n++;
	}
	for (i = 0; i < json_array_get_length(p->expects); i++) {
		JsonObject *e = json_array_get_object_element(p->expects, i);
		bool ok = true;
		char *t;

		get_bool(e, "ok", &ok);
		if (ok)
			continue;
		if (n++ == 8) {
			g_string_append_printf(s, "; and %u more", p->failed->len +
					       (guint)p->n_errors - 8);
			break;
		}
		t = expect_text(e);
		g_string_append_printf(s, "%s%s", s->len ? "; " : "", t);
		g_free(t);
	}
	return g_string_free(s, FALSE);
}

enum verdict point_finish(struct point *p, int64_t duration_ms)
{
	enum verdict v;
	guint i;

	g_free(p->reason);
	p->reason = NULL;
	p->duration_ms = duration_ms;
	if (p->n_errors) {
		v = V_FAIL;
	} else if (p->skip_seq) {
		v = p->failed->len ? V_FAIL : V_SKIP;
	} else if (p->known_seq && p->failed->len) {
		v = V_KNOWN;
		for (i = 0; i < p->failed->len; i++) {
			const struct failed *f = p->failed->pdata[i];

			if (f->seq > p->known_seq || !explained(p, f))
				v = V_FAIL;
		}
	} else if (p->failed->len) {
		v = V_FAIL;
	} else if (!point_expectations(p)) {
		v = V_FAIL;
		point_error(p, NULL, "the case judged nothing: no expectation "
			    "was recorded");
	} else {
		v = V_PASS;
	}
	if (v == V_SKIP)
		p->reason = g_strdup(p->skip_reason);
	else if (v == V_KNOWN)
		p->reason = g_strdup(p->known_defect);
	else if (v == V_FAIL)
		p->reason = failures_text(p);
	p->verdict = v;
	p->finished = true;
	return v;
}

enum verdict point_verdict(const struct point *p)
{
	return p->finished ? p->verdict : V_FAIL;
}

const char *point_reason(const struct point *p)
{
	return p->reason;
}

/* ---- rendering ---------------------------------------------------------- */

static JsonArray *copy_array(JsonArray *a)
{
	JsonNode *n = json_node_new(JSON_NODE_ARRAY), *c;
	JsonArray *out;

	json_node_set_array(n, a);
	c = json_node_copy(n);
	out = json_array_ref(json_node_get_array(c));
	json_node_unref(c);
	json_node_unref(n);
	return out;
}

JsonObject *point_to_json(const struct point *p)
{
	JsonObject *o = json_object_new(), *cell = json_object_new(),
		   *klog = json_object_new();
	JsonArray *fails = json_array_new();
	JsonArray *ctl;

	json_object_set_string_member(o, "case", p->case_name ?
				      p->case_name : "");
	json_object_set_int_member(o, "plan_case", p->plan);
	set_str(o, "summary", p->summary ? p->summary : "");
	set_str(cell, "name", p->cell ? p->cell : "");
	set_str(cell, "model", p->model ? p->model : "");
	json_object_set_boolean_member(cell, "vhost", p->vhost);
	json_object_set_object_member(o, "cell", cell);
	json_object_set_string_member(o, "verdict",
				      p->finished ? verdict_name(p->verdict) :
				      "unfinished");
	if (p->reason && p->verdict != V_FAIL)
		set_str(o, "reason", p->reason);
	for (guint i = 0; i < json_array_get_length(p->errors); i++) {
		JsonObject *e = json_array_get_object_element(p->errors, i);
		const char *scope = get_str(e, "scope");
		char *t = g_strdup_printf("%s%s%s", scope ? scope : "",
					  scope ? ": " : "",
					  get_str(e, "message"));

		json_array_add_string_element(fails, t);
		g_free(t);
	}
	for (guint i = 0; i < json_array_get_length(p->expects); i++) {
		JsonObject *e = json_array_get_object_element(p->expects, i);
		bool ok = true;

		get_bool(e, "ok", &ok);
		if (!ok) {
			char *t = expect_text(e);

			json_array_add_string_element(fails, t);
			g_free(t);
		}
	}
	json_object_set_array_member(o, "failures", fails);
	if (p->known_defect) {
		JsonObject *k = json_object_new();
		JsonArray *ex = json_array_new();

		set_str(k, "defect", p->known_defect);
		for (guint i = 0; i < p->known_explains->len; i++)
			json_array_add_string_element(ex,
				p->known_explains->pdata[i]);
		json_object_set_array_member(k, "explains", ex);
		json_object_set_object_member(o, "known_defect", k);
	}
	json_object_set_array_member(o, "expectations",
				     copy_array(p->expects));
	json_object_set_array_member(o, "observations",
				     copy_array(p->observes));
	json_object_set_array_member(o, "guests", copy_array(p->sect[0]));
	ctl = p->sect[1];
	if (json_array_get_length(ctl))
		json_object_set_object_member(o, "control",
			json_object_ref(json_array_get_object_element(ctl,
				json_array_get_length(ctl) - 1)));
	else
		json_object_set_null_member(o, "control");
	json_object_set_array_member(o, "captures", copy_array(p->sect[2]));
	json_object_set_array_member(o, "faults", copy_array(p->sect[3]));
	json_object_set_array_member(klog, "findings", copy_array(p->sect[4]));
	json_object_set_object_member(o, "kernel_log", klog);
	json_object_set_array_member(o, "artifacts", copy_array(p->sect[5]));
	json_object_set_array_member(o, "phases", copy_array(p->phases));
	if (p->dir)
		set_str(o, "dir", p->dir);
	json_object_set_int_member(o, "started_ms", p->started_ms);
	json_object_set_int_member(o, "deadline_s", p->deadline_s);
	json_object_set_int_member(o, "duration_ms", p->duration_ms);
	return o;
}

void diag_add_json(struct diag *d, const char *key, JsonNode *n)
{
	GList *members, *l;
	JsonObject *o;
	JsonArray *a;

	switch (JSON_NODE_TYPE(n)) {
	case JSON_NODE_OBJECT:
		o = json_node_get_object(n);
		diag_map(d, key);
		members = json_object_get_members(o);
		for (l = members; l; l = l->next)
			diag_add_json(d, l->data,
				      json_object_get_member(o, l->data));
		g_list_free(members);
		diag_end(d);
		break;
	case JSON_NODE_ARRAY:
		a = json_node_get_array(n);
		diag_list(d, key);
		for (guint i = 0; i < json_array_get_length(a); i++)
			diag_add_json(d, NULL, json_array_get_element(a, i));
		diag_end(d);
		break;
	case JSON_NODE_NULL:
		diag_null(d, key);
		break;
	case JSON_NODE_VALUE:
		switch (json_node_get_value_type(n)) {
		case G_TYPE_INT64:
			diag_int(d, key, json_node_get_int(n));
			break;
		case G_TYPE_DOUBLE:
			diag_num(d, key, json_node_get_double(n));
			break;
		case G_TYPE_BOOLEAN:
			diag_bool(d, key, json_node_get_boolean(n));
			break;
		default:
			diag_str(d, key, "%s", json_node_get_string(n));
			break;
		}
		break;
	}
}

struct diag *point_to_diag(const struct point *p)
{
	struct diag *d = diag_new();
	JsonObject *o = point_to_json(p);
	GList *members = json_object_get_members(o), *l;

	for (l = members; l; l = l->next)
		diag_add_json(d, l->data, json_object_get_member(o, l->data));
	g_list_free(members);
	json_object_unref(o);
	return d;
}

int point_write_json(const struct point *p, const char *path, char *err)
{
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	JsonGenerator *g = json_generator_new();
	char *text;
	int rc;

	json_node_take_object(n, point_to_json(p));
	json_generator_set_root(g, n);
	json_generator_set_pretty(g, TRUE);
	text = json_generator_to_data(g, NULL);
	rc = file_write(path, text, strlen(text), err);
	g_free(text);
	g_object_unref(g);
	json_node_unref(n);
	return rc;
}
