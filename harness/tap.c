/* tap.c - see tap.h. */
#include "tap.h"

#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- YAML diagnostics ---------------------------------------------- */

enum diag_kind { DIAG_SCALAR, DIAG_MAP, DIAG_LIST };

struct diag_node {
	enum diag_kind kind;
	char *key;		/* rendered key; NULL in a list and at the root */
	char *text;		/* rendered scalar */
	GPtrArray *items;	/* struct diag_node *, for maps and lists */
};

struct diag {
	struct diag_node *root;
	GPtrArray *open;	/* open containers, root first; not owned */
	int refused;		/* containers refused and not yet ended */
};

static void node_free(gpointer p)
{
	struct diag_node *n = p;

	if (!n)
		return;
	g_free(n->key);
	g_free(n->text);
	if (n->items)
		g_ptr_array_unref(n->items);
	g_free(n);
}

static struct diag_node *node_new(enum diag_kind kind)
{
	struct diag_node *n = g_new0(struct diag_node, 1);

	n->kind = kind;
	if (kind != DIAG_SCALAR)
		n->items = g_ptr_array_new_with_free_func(node_free);
	return n;
}

/*
 * Words YAML 1.1 or 1.2 read as null or a bool when plain (1.1 also knows
 * y/n and on/off), compared without case.
 */
static const char *const yaml_words[] = {
	"null", "~", "true", "false", "yes", "no", "on", "off", "y", "n",
};

static bool yaml_word(const char *s)
{
	for (size_t i = 0; i < G_N_ELEMENTS(yaml_words); i++)
		if (g_ascii_strcasecmp(s, yaml_words[i]) == 0)
			return true;
	return false;
}

/*
 * Whether s can be written as a plain scalar and read back as the same
 * string by every reader we care about.  Keys are held to identifiers,
 * because prove's YAMLish wants a key that starts with a word character
 * and has no blanks.  Values are plain printable ASCII that cannot start
 * an indicator, a number, a document marker or an alias, and hold no ':'
 * or '#' (no "key: value" or comment confusion, no YAML 1.1 sexagesimal).
 */
static bool yaml_plain(const char *s, bool key)
{
	size_t len = strlen(s);

	if (len == 0 || yaml_word(s))
		return false;
	if (key) {
		if (!g_ascii_isalpha(s[0]) && s[0] != '_')
			return false;
		for (size_t i = 0; i < len; i++)
			if (!g_ascii_isalnum(s[i]) && !strchr("_-.", s[i]))
				return false;
		return true;
	}
	if (g_ascii_isdigit(s[0]) || strchr("-?:,[]{}#&*!|>'\"%@`~+.<= ", s[0]))
		return false;
	if (s[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == ':' || c == '#')
			return false;
	}
	return true;
}

/*
 * A double-quoted scalar on one line.  The escapes used (\" \\ \n \t \r
 * \xNN \uNNNN) are YAML's; YAMLish knows all but \u, which is only needed
 * for characters a YAML stream may not hold literally.
 *
 * In list items (guard_colon), a ':' in the first word, or right after it,
 * is written \x3a: YAMLish (prove) reads `- "tap0: text"` as an inline map
 * whose key is `"tap0` and gives up on the whole TAP stream.
 */
static void yaml_quote(GString *out, const char *s, bool guard_colon)
{
	char *valid = g_utf8_make_valid(s, -1);
	int word = 0;	/* 0: in the first word, 1: spaces after it, 2: past */

	g_string_append_c(out, '"');
	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == ' ' && word == 0)
			word = 1;
		else if (c != ' ' && c != ':' && word == 1)
			word = 2;
		if (c == ':' && word < 2 && guard_colon) {
			g_string_append(out, "\\x3a");
			continue;
		}
		switch (c) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		default:
			if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
				g_string_append_printf(out, "\\x%02x", c);
			else if (c == 0x2028 || c == 0x2029 || c == 0xfeff ||
				 c == 0xfffe || c == 0xffff)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_len(out, p,
						    g_utf8_next_char(p) - p);
		}
	}
	g_string_append_c(out, '"');
	g_free(valid);
}

static char *yaml_render(const char *s, bool key, bool list_item)
{
	GString *out;

	if (yaml_plain(s, key))
		return g_strdup(s);
	out = g_string_new(NULL);
	yaml_quote(out, s, list_item);
	return g_string_free(out, FALSE);
}

/*
 * The shortest decimal that reads back as v, in fixed notation for
 * exponents -5..15 and in exponent notation with a '.' in the mantissa
 * otherwise (YAML 1.1 floats need it).  Locale-independent.
 */
static char *yaml_double(double v)
{
	char buf[64], fmt[16];
	int prec, exp10;
	char *e;

	if (isnan(v))
		return g_strdup(".nan");
	if (isinf(v))
		return g_strdup(v > 0 ? ".inf" : "-.inf");
	for (prec = 1; prec < 17; prec++) {
		snprintf(fmt, sizeof(fmt), "%%.%de", prec - 1);
		g_ascii_formatd(buf, sizeof(buf), fmt, v);
		if (g_ascii_strtod(buf, NULL) == v)
			break;
	}
	snprintf(fmt, sizeof(fmt), "%%.%de", prec - 1);
	g_ascii_formatd(buf, sizeof(buf), fmt, v);
	e = strchr(buf, 'e');
	exp10 = e ? atoi(e + 1) : 0;
	if (exp10 >= -5 && exp10 <= 15) {
		int decimals = prec - 1 - exp10;

		snprintf(fmt, sizeof(fmt), "%%.%df", decimals > 0 ? decimals : 0);
		g_ascii_formatd(buf, sizeof(buf), fmt, v);
		return g_strdup(buf);
	}
	if (e && !memchr(buf, '.', (size_t)(e - buf)))
		return g_strdup_printf("%.*s.0%s", (int)(e - buf), buf, e);
	return g_strdup(buf);
}

struct diag *diag_new(void)
{
	struct diag *d = g_new0(struct diag, 1);

	d->root = node_new(DIAG_MAP);
	d->open = g_ptr_array_new();
	g_ptr_array_add(d->open, d->root);
	return d;
}

void diag_free(struct diag *d)
{
	if (!d)
		return;
	node_free(d->root);
	g_ptr_array_unref(d->open);
	g_free(d);
}

static struct diag_node *diag_top(const struct diag *d)
{
	return g_ptr_array_index(d->open, d->open->len - 1);
}

/* Attach n to the open container under key; false (n freed) on misuse. */
static bool diag_add(struct diag *d, const char *key, struct diag_node *n)
{
	struct diag_node *top;

	if (!d) {
		g_warning("diag: NULL diag");
		node_free(n);
		return false;
	}
	if (d->refused) {
		node_free(n);
		return false;
	}
	top = diag_top(d);
	if (top->kind == DIAG_LIST) {
		if (key) {
			g_warning("diag: key '%s' given inside a list", key);
			node_free(n);
			return false;
		}
		g_ptr_array_add(top->items, n);
		return true;
	}
	if (!key) {
		g_warning("diag: value without a key inside a map");
		node_free(n);
		return false;
	}
	n->key = yaml_render(key, true, false);
	for (guint i = 0; i < top->items->len; i++) {
		struct diag_node *old = g_ptr_array_index(top->items, i);

		if (strcmp(old->key, n->key) == 0) {
			top->items->pdata[i] = n;
			node_free(old);
			return true;
		}
	}
	g_ptr_array_add(top->items, n);
	return true;
}

static void diag_scalar(struct diag *d, const char *key, char *text)
{
	struct diag_node *n = node_new(DIAG_SCALAR);

	n->text = text;
	diag_add(d, key, n);
}

void diag_str(struct diag *d, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	diag_scalar(d, key, yaml_render(s, false, key == NULL));
	g_free(s);
}

void diag_int(struct diag *d, const char *key, long long v)
{
	diag_scalar(d, key, g_strdup_printf("%lld", v));
}

void diag_num(struct diag *d, const char *key, double v)
{
	diag_scalar(d, key, yaml_double(v));
}

void diag_bool(struct diag *d, const char *key, bool v)
{
	diag_scalar(d, key, g_strdup(v ? "true" : "false"));
}

void diag_null(struct diag *d, const char *key)
{
	diag_scalar(d, key, g_strdup("~"));
}

static void diag_open(struct diag *d, const char *key, enum diag_kind kind)
{
	struct diag_node *n = node_new(kind);

	if (d && d->refused) {
		d->refused++;
		node_free(n);
		return;
	}
	if (diag_add(d, key, n))
		g_ptr_array_add(d->open, n);
	else if (d)
		d->refused++;
}

void diag_map(struct diag *d, const char *key)
{
	diag_open(d, key, DIAG_MAP);
}

void diag_list(struct diag *d, const char *key)
{
	diag_open(d, key, DIAG_LIST);
}

void diag_end(struct diag *d)
{
	if (!d)
		return;
	if (d->refused)
		d->refused--;
	else if (d->open->len > 1)
		g_ptr_array_remove_index(d->open, d->open->len - 1);
	else
		g_warning("diag: diag_end without an open map or list");
}

static void diag_lines(const struct diag_node *n, int indent, GPtrArray *lines);

/* One entry (a map member or a list item) at indent. */
static void diag_entry(const struct diag_node *c, const char *lead,
		       int indent, GPtrArray *lines)
{
	const char *empty = c->kind == DIAG_MAP ? "{}" : "[]";

	if (c->kind == DIAG_SCALAR) {
		g_ptr_array_add(lines, g_strdup_printf("%*s%s %s", indent, "",
						       lead, c->text));
	} else if (c->items->len == 0) {
		g_ptr_array_add(lines, g_strdup_printf("%*s%s %s", indent, "",
						       lead, empty));
	} else if (!c->key && c->kind == DIAG_MAP &&
		   ((struct diag_node *)c->items->pdata[0])->key[0] != '"') {
		/* "- key: value" with the rest of the map under key */
		guint first = lines->len;

		diag_lines(c, indent + 2, lines);
		((char *)lines->pdata[first])[indent] = '-';
	} else {
		g_ptr_array_add(lines, g_strdup_printf("%*s%s", indent, "",
						       lead));
		diag_lines(c, indent + 2, lines);
	}
}

static void diag_lines(const struct diag_node *n, int indent, GPtrArray *lines)
{
	for (guint i = 0; i < n->items->len; i++) {
		const struct diag_node *c = g_ptr_array_index(n->items, i);
		char *lead = c->key ? g_strconcat(c->key, ":", NULL)
				    : g_strdup("-");

		diag_entry(c, lead, indent, lines);
		g_free(lead);
	}
}

char *diag_yaml(const struct diag *d)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	GString *out = g_string_new(NULL);

	if (d)
		diag_lines(d->root, 0, lines);
	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(out, "%s\n",
				       (char *)g_ptr_array_index(lines, i));
	g_ptr_array_unref(lines);
	return g_string_free(out, FALSE);
}

/* ---- TAP ------------------------------------------------------------ */

struct tap_level {
	char *name;		/* subtest name; NULL at the top */
	int count;		/* points written */
	int failed;
	int skipped;
	int plan;		/* -1 until written */
};

struct tap {
	FILE *out;
	FILE *copy;
	GArray *levels;		/* struct tap_level; [0] is the top */
	bool bailed;
	bool io_error;
};

static int tap_depth(const struct tap *t)
{
	return (int)t->levels->len - 1;
}

static struct tap_level *tap_level(const struct tap *t)
{
	return &g_array_index(t->levels, struct tap_level, t->levels->len - 1);
}

static void tap_write(struct tap *t, FILE *f, const GString *line)
{
	if (!f)
		return;
	if (fwrite(line->str, 1, line->len, f) != line->len || fflush(f) != 0)
		t->io_error = true;
}

/* Write text as one line at depth (4 spaces a level) plus extra spaces. */
static void tap_line(struct tap *t, int depth, int extra, const char *text)
{
	GString *line = g_string_new(NULL);

	g_string_append_printf(line, "%*s%s\n", depth * 4 + extra, "", text);
	tap_write(t, t->out, line);
	if (t->copy != t->out)
		tap_write(t, t->copy, line);
	g_string_free(line, TRUE);
}

/*
 * Append s to a TAP line: valid UTF-8, control characters as spaces, and,
 * when escape is set, '\' and '#' escaped.  Trailing blanks are dropped.
 */
static void tap_text(GString *out, const char *s, bool escape)
{
	char *valid = g_utf8_make_valid(s ? s : "", -1);
	gsize start = out->len;

	for (const char *p = valid; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			g_string_append_c(out, ' ');
		else if (escape && (c == '\\' || c == '#'))
			g_string_append_printf(out, "\\%c", c);
		else
			g_string_append_c(out, (char)c);
	}
	while (out->len > start && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	g_free(valid);
}

struct tap *tap_new(FILE *out, FILE *copy, int version)
{
	struct tap *t;
	struct tap_level top = { .plan = -1 };
	char line[32];

	if (!out || (version != 13 && version != 14))
		return NULL;
	t = g_new0(struct tap, 1);
	t->out = out;
	t->copy = copy;
	t->levels = g_array_new(FALSE, TRUE, sizeof(struct tap_level));
	g_array_append_val(t->levels, top);
	snprintf(line, sizeof(line), "TAP version %d", version);
	tap_line(t, 0, 0, line);
	return t;
}

void tap_free(struct tap *t)
{
	if (!t)
		return;
	for (guint i = 0; i < t->levels->len; i++)
		g_free(g_array_index(t->levels, struct tap_level, i).name);
	g_array_unref(t->levels);
	g_free(t);
}

static void tap_plan_line(struct tap *t, int n, const char *skip_reason)
{
	GString *line = g_string_new(NULL);

	g_string_append_printf(line, "1..%d", n);
	if (n == 0 && skip_reason) {
		g_string_append(line, " # SKIP ");
		tap_text(line, skip_reason, true);
	}
	tap_line(t, tap_depth(t), 0, line->str);
	tap_level(t)->plan = n;
	g_string_free(line, TRUE);
}

void tap_plan(struct tap *t, int n)
{
	if (!t || t->bailed)
		return;
	if (n < 0 || tap_level(t)->plan >= 0) {
		g_warning("tap: bad or second plan (%d)", n);
		return;
	}
	tap_plan_line(t, n, NULL);
}

void tap_comment(struct tap *t, const char *fmt, ...)
{
	va_list ap;
	char *text;
	char **parts;
	guint n;

	if (!t || t->bailed)
		return;
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	parts = g_strsplit(text, "\n", -1);
	n = g_strv_length(parts);
	if (n > 1 && parts[n - 1][0] == '\0')
		n--;		/* a trailing newline ends the text */
	if (n == 0)
		n = 1;		/* "" is one empty line (parts[0] is NULL) */
	for (guint i = 0; i < n; i++) {
		GString *line = g_string_new("#");
		gsize bare = line->len;

		g_string_append_c(line, ' ');
		tap_text(line, parts[i] ? parts[i] : "", false);
		if (line->len == bare + 1)
			g_string_truncate(line, bare);
		tap_line(t, tap_depth(t), 0, line->str);
		g_string_free(line, TRUE);
	}
	g_strfreev(parts);
	g_free(text);
}

static void tap_diag(struct tap *t, int depth, const struct diag *d)
{
	GPtrArray *lines;

	if (!d || d->root->items->len == 0)
		return;
	lines = g_ptr_array_new_with_free_func(g_free);
	diag_lines(d->root, 0, lines);
	tap_line(t, depth, 2, "---");
	for (guint i = 0; i < lines->len; i++)
		tap_line(t, depth, 2, g_ptr_array_index(lines, i));
	tap_line(t, depth, 2, "...");
	g_ptr_array_unref(lines);
}

/* Write a point at the innermost level, which is at depth. */
static void tap_point_here(struct tap *t, enum tap_result r, const char *desc,
			   const char *reason, const struct diag *diag)
{
	struct tap_level *lvl = tap_level(t);
	GString *line = g_string_new(NULL);

	lvl->count++;
	if (r == TAP_NOT_OK)
		lvl->failed++;
	else if (r == TAP_SKIP)
		lvl->skipped++;
	g_string_append_printf(line, "%s %d", r == TAP_NOT_OK ||
			       r == TAP_TODO ? "not ok" : "ok", lvl->count);
	if (desc && desc[0]) {
		g_string_append(line, " - ");
		tap_text(line, desc, true);
		if (line->str[line->len - 1] == ' ')	/* blank desc */
			g_string_truncate(line, line->len - 3);
	}
	if (r == TAP_SKIP || r == TAP_TODO) {
		g_string_append(line, r == TAP_SKIP ? " # SKIP" : " # TODO");
		if (reason && reason[0]) {
			g_string_append_c(line, ' ');
			tap_text(line, reason, true);
		}
		if (line->str[line->len - 1] == ' ')
			g_string_truncate(line, line->len - 1);
	}
	tap_line(t, tap_depth(t), 0, line->str);
	g_string_free(line, TRUE);
	tap_diag(t, tap_depth(t), diag);
}

void tap_point(struct tap *t, enum tap_result r, const char *desc,
	       const char *reason, const struct diag *diag)
{
	if (!t || t->bailed)
		return;
	tap_point_here(t, r, desc, reason, diag);
}

void tap_subtest_begin(struct tap *t, const char *name)
{
	struct tap_level lvl = { .plan = -1 };
	GString *line;

	if (!t || t->bailed)
		return;
	line = g_string_new("# Subtest");
	if (name && name[0]) {
		g_string_append(line, ": ");
		tap_text(line, name, false);
	}
	tap_line(t, tap_depth(t), 0, line->str);
	g_string_free(line, TRUE);
	lvl.name = g_strdup(name ? name : "");
	g_array_append_val(t->levels, lvl);
}

enum tap_result tap_subtest_end(struct tap *t, const char *name,
				const char *skip_reason, const struct diag *d)
{
	struct tap_level lvl;
	enum tap_result r;

	if (!t || t->bailed)
		return TAP_NOT_OK;
	if (tap_depth(t) == 0) {
		g_warning("tap: tap_subtest_end without a subtest");
		return TAP_NOT_OK;
	}
	lvl = *tap_level(t);
	if (lvl.plan < 0) {
		tap_plan_line(t, lvl.count,
			      lvl.count == 0 ? skip_reason : NULL);
		lvl.plan = lvl.count;
	} else if (lvl.plan != lvl.count) {
		tap_comment(t, "planned %d tests but wrote %d", lvl.plan,
			    lvl.count);
	}
	if (lvl.failed || lvl.plan != lvl.count)
		r = TAP_NOT_OK;
	else if (skip_reason && lvl.skipped == lvl.count)
		r = TAP_SKIP;
	else
		r = TAP_OK;
	g_array_set_size(t->levels, t->levels->len - 1);
	tap_point_here(t, r, name ? name : lvl.name, skip_reason, d);
	g_free(lvl.name);
	return r;
}

void tap_bail(struct tap *t, const char *reason)
{
	GString *line;

	if (!t || t->bailed)
		return;
	line = g_string_new("Bail out!");
	if (reason && reason[0]) {
		g_string_append_c(line, ' ');
		tap_text(line, reason, false);
	}
	for (int depth = tap_depth(t); depth >= 0; depth--)
		tap_line(t, depth, 0, line->str);
	g_string_free(line, TRUE);
	t->bailed = true;
}

int tap_failures(const struct tap *t)
{
	return t ? g_array_index(t->levels, struct tap_level, 0).failed : 0;
}

bool tap_io_error(const struct tap *t)
{
	return t && t->io_error;
}
