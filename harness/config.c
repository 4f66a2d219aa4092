/* config.c - see config.h. */
#include "config.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

int parse_int_list(const char *s, int *out, int max, int lo, int hi,
		   int *n, char *err)
{
	char **items = g_strsplit_set(s, ";,", -1);
	int count = 0, rc = 0;
	char **it;

	for (it = items; *it; it++) {
		char *end, *item = g_strstrip(*it);
		long v;

		if (!*item && !it[1] && count)
			break;	/* trailing separator */
		errno = 0;
		v = strtol(item, &end, 10);
		if (!*item || *end || errno || v < lo || v > hi) {
			err_set(err, "bad number '%s' (expected an integer "
				"from %d to %d)", item, lo, hi);
			rc = -1;
			break;
		}
		if (count == max) {
			err_set(err, "too many values (at most %d)", max);
			rc = -1;
			break;
		}
		out[count++] = (int)v;
	}
	g_strfreev(items);
	if (rc == 0 && count == 0) {
		err_set(err, "empty list");
		rc = -1;
	}
	if (rc == 0)
		*n = count;
	return rc;
}

int parse_double_list(const char *s, double *out, int max, double lo,
		      double hi, int *n, char *err)
{
	char **items = g_strsplit_set(s, ";,", -1);
	int count = 0, rc = 0;
	char **it;

	for (it = items; *it; it++) {
		char *end, *item = g_strstrip(*it);
		double v;

		if (!*item && !it[1] && count)
			break;
		errno = 0;
		v = g_ascii_strtod(item, &end);
		if (!*item || *end || errno || !isfinite(v) || v < lo ||
		    v > hi) {
			err_set(err, "bad number '%s' (expected %g to %g)",
				item, lo, hi);
			rc = -1;
			break;
		}
		if (count == max) {
			err_set(err, "too many values (at most %d)", max);
			rc = -1;
			break;
		}
		out[count++] = v;
	}
	g_strfreev(items);
	if (rc == 0 && count == 0) {
		err_set(err, "empty list");
		rc = -1;
	}
	if (rc == 0)
		*n = count;
	return rc;
}

/* Parse one parameter's text into v; -1 with err. */
static int param_parse(const struct param *par, const char *text,
		       struct pval *v, char *err)
{
	int ints[CONFIG_MAX_LIST], n = 0, i;

	switch (par->type) {
	case PARAM_INT:
	case PARAM_INTS:
		if (parse_int_list(text, ints, par->type == PARAM_INT ? 1 :
				   CONFIG_MAX_LIST, (int)par->lo, (int)par->hi,
				   &n, err) < 0)
			return -1;
		for (i = 0; i < n; i++)
			v->v[i] = ints[i];
		v->n = n;
		return 0;
	case PARAM_NUMS:
		if (parse_double_list(text, v->v, CONFIG_MAX_LIST, par->lo,
				      par->hi, &n, err) < 0)
			return -1;
		v->n = n;
		return 0;
	}
	err_set(err, "parameter '%s' has no type", par->name);
	return -1;
}

static int param_index(const struct profile *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->params[i]->name, name))
			return i;
	return -1;
}

int profile_builtin(const char *name, struct profile *p, char *err)
{
	const struct param *const *r;
	bool quick = !strcmp(name, "quick");
	char e2[ERRLEN];

	if (!quick && strcmp(name, "full")) {
		err_set(err, "unknown profile '%s' (known: quick, full)", name);
		return -1;
	}
	memset(p, 0, sizeof(*p));
	for (r = param_registry(); *r; r++) {
		if (p->n == PROFILE_MAX_PARAMS) {
			err_set(err, "more than %d parameters",
				PROFILE_MAX_PARAMS);
			return -1;
		}
		p->params[p->n] = *r;
		if (param_parse(*r, quick ? (*r)->quick : (*r)->full,
				&p->vals[p->n], e2) < 0) {
			/* the declaration itself is wrong */
			err_set(err, "built-in %s value of '%s': %s", name,
				(*r)->name, e2);
			return -1;
		}
		p->n++;
	}
	g_strlcpy(p->name, name, sizeof(p->name));
	return 0;
}

const struct pval *prof_val(const struct profile *p, const struct param *par)
{
	for (int i = 0; i < p->n; i++)
		if (p->params[i] == par)
			return &p->vals[i];
	g_error("parameter '%s' is not registered", par ? par->name : "?");
	return NULL;
}

int prof_int(const struct profile *p, const struct param *par)
{
	return (int)prof_val(p, par)->v[0];
}

int profile_load_file(const char *path, struct profile *p, char *err)
{
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	char **groups = NULL, **keys = NULL, **k, *v = NULL;
	char e2[ERRLEN];
	int rc = -1, i;
	struct profile *q = g_new(struct profile, 1);

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr)) {
		err_set(err, "cannot load config '%s': %s", path,
			gerr->message);
		goto out;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (k = groups; *k; k++) {
		if (strcmp(*k, "profile")) {
			err_set(err, "%s: unknown group [%s] (expected "
				"[profile])", path, *k);
			goto out;
		}
	}
	if (!g_key_file_has_group(kf, "profile")) {
		err_set(err, "%s: no [profile] group", path);
		goto out;
	}
	keys = g_key_file_get_keys(kf, "profile", NULL, NULL);
	for (k = keys; *k; k++) {
		if (strcmp(*k, "base") && param_index(p, *k) < 0) {
			err_set(err, "%s: unknown key '%s' (nicq list params "
				"shows the known ones)", path, *k);
			goto out;
		}
	}
	*q = *p;
	v = g_key_file_get_value(kf, "profile", "base", NULL);
	if (v && profile_builtin(g_strstrip(v), q, e2) < 0) {
		err_set(err, "%s: base: %s", path, e2);
		goto out;
	}
	for (k = keys; *k; k++) {
		if (!strcmp(*k, "base"))
			continue;
		i = param_index(q, *k);
		g_free(v);
		v = g_key_file_get_value(kf, "profile", *k, NULL);
		if (!v || param_parse(q->params[i], v, &q->vals[i], e2) < 0) {
			err_set(err, "%s: %s: %s", path, *k, v ? e2 :
				"no value");
			goto out;
		}
	}
	*p = *q;
	rc = 0;
out:
	if (gerr)
		g_error_free(gerr);
	g_free(v);
	g_free(q);
	g_strfreev(groups);
	g_strfreev(keys);
	g_key_file_free(kf);
	return rc;
}
