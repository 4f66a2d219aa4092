/* config.c - see config.h. */
#include "config.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

/* The Fedora vhost-net plan, case 2: sizes and intervals. */
static const int plan_sizes[] = { 0, 1, 48, 64, 512, 1440, 1500, 1505,
				  4096, 4192, 32767, 65507 };
static const double plan_intervals[] = { 0.1, 0.01, 0.001, 0.0001 };

int profile_builtin(const char *name, struct profile *p, char *err)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < G_N_ELEMENTS(plan_sizes); i++)
		p->ping_sizes[i] = plan_sizes[i];
	p->n_ping_sizes = (int)G_N_ELEMENTS(plan_sizes);
	for (i = 0; i < G_N_ELEMENTS(plan_intervals); i++)
		p->ping_intervals[i] = plan_intervals[i];
	p->n_ping_intervals = (int)G_N_ELEMENTS(plan_intervals);
	p->ping_oversize = 65508;
	p->boot_timeout_s = 120;
	p->guest_memory_mib = 384;
	if (!strcmp(name, "quick")) {
		p->ping_count = 3;
		p->flood_seconds = 5;
		p->after_count = 10;
		p->promisc_mib = 32;
		p->transfer_mib = 128;
		p->stress_seconds = 3;
		p->knee_seconds = 1;
		p->reload_loops = 4;
		p->reload_mib = 16;
		p->bond_count = 50;
	} else if (!strcmp(name, "full")) {
		p->ping_count = 100;
		p->flood_seconds = 600;
		p->after_count = 100;
		p->promisc_mib = 1024;
		p->transfer_mib = 5120;
		p->stress_seconds = 60;
		p->knee_seconds = 5;
		p->reload_loops = 50;
		p->reload_mib = 256;
		p->bond_count = 1000;
	} else {
		err_set(err, "unknown profile '%s' (known: quick, full)", name);
		return -1;
	}
	g_strlcpy(p->name, name, sizeof(p->name));
	return 0;
}

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

static int get_int(GKeyFile *kf, const char *key, int lo, int hi, int *out,
		   const char *path, char *err)
{
	char *v = g_key_file_get_value(kf, "profile", key, NULL);
	int vals[1], n, rc;
	char e2[ERRLEN];

	rc = parse_int_list(v, vals, 1, lo, hi, &n, e2);
	if (rc < 0)
		err_set(err, "%s: %s: %s", path, key, e2);
	else
		*out = vals[0];
	g_free(v);
	return rc;
}

/* The integer keys of [profile]: name, field, allowed range. */
static const struct int_key {
	const char *key;
	size_t offset;
	int lo, hi;
} int_keys[] = {
	{ "ping_count", offsetof(struct profile, ping_count), 1, 100000 },
	{ "flood_seconds", offsetof(struct profile, flood_seconds), 1, 86400 },
	{ "after_count", offsetof(struct profile, after_count), 1, 100000 },
	{ "boot_timeout", offsetof(struct profile, boot_timeout_s), 5, 3600 },
	{ "promisc_mib", offsetof(struct profile, promisc_mib), 1, 4096 },
	{ "transfer_mib", offsetof(struct profile, transfer_mib), 1, 65536 },
	{ "stress_seconds", offsetof(struct profile, stress_seconds), 1,
	  86400 },
	{ "knee_seconds", offsetof(struct profile, knee_seconds), 1, 600 },
	{ "reload_loops", offsetof(struct profile, reload_loops), 1, 100000 },
	{ "reload_mib", offsetof(struct profile, reload_mib), 1, 4096 },
	{ "bond_count", offsetof(struct profile, bond_count), 1, 1000000 },
	{ NULL, 0, 0, 0 }
};

int profile_load_file(const char *path, struct profile *p, char *err)
{
	static const char *const known[] = {
		"base", "ping_sizes", "ping_intervals", "guest_memory", NULL
	};
	const struct int_key *ik;
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	char **groups = NULL, **keys = NULL, **k, *v = NULL;
	char e2[ERRLEN];
	int rc = -1, tmp;
	struct profile q;

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
		for (ik = int_keys; ik->key && strcmp(ik->key, *k); ik++)
			;
		if (!g_strv_contains(known, *k) && !ik->key) {
			err_set(err, "%s: unknown key '%s'", path, *k);
			goto out;
		}
	}
	q = *p;
	v = g_key_file_get_value(kf, "profile", "base", NULL);
	if (v && profile_builtin(g_strstrip(v), &q, e2) < 0) {
		err_set(err, "%s: base: %s", path, e2);
		goto out;
	}
	g_free(v);
	v = g_key_file_get_value(kf, "profile", "ping_sizes", NULL);
	if (v && parse_int_list(v, q.ping_sizes, CONFIG_MAX_LIST, 0, 65507,
				&q.n_ping_sizes, e2) < 0) {
		err_set(err, "%s: ping_sizes: %s", path, e2);
		goto out;
	}
	g_free(v);
	v = g_key_file_get_value(kf, "profile", "ping_intervals", NULL);
	if (v && parse_double_list(v, q.ping_intervals, CONFIG_MAX_LIST,
				   0.0001, 60, &q.n_ping_intervals, e2) < 0) {
		err_set(err, "%s: ping_intervals: %s", path, e2);
		goto out;
	}
	for (ik = int_keys; ik->key; ik++)
		if (g_key_file_has_key(kf, "profile", ik->key, NULL) &&
		    get_int(kf, ik->key, ik->lo, ik->hi,
			    (int *)((char *)&q + ik->offset), path, err) < 0)
			goto out;
	if (g_key_file_has_key(kf, "profile", "guest_memory", NULL)) {
		if (get_int(kf, "guest_memory", 128, 65536, &tmp, path,
			    err) < 0)
			goto out;
		q.guest_memory_mib = (unsigned)tmp;
	}
	*p = q;
	rc = 0;
out:
	if (gerr)
		g_error_free(gerr);
	g_free(v);
	g_strfreev(groups);
	g_strfreev(keys);
	g_key_file_free(kf);
	return rc;
}
