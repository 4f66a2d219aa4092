/* merge.c - see merge.h. */
#include "merge.h"
#include "report.h"
#include "runinfo.h"
#include "runner.h"
#include "tap.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MERGE_MAX_DEPTH 16

struct shard_run {
	char *dir;		/* absolute */
	JsonObject *run;	/* its run.json */
	int index, count;
};

/* A member of o (a path "a.b" of objects) as compact JSON text, g_free(). */
static char *member_text(JsonObject *o, const char *path)
{
	char **parts = g_strsplit(path, ".", -1);
	JsonNode *n = NULL;
	char *text;

	for (int i = 0; parts[i] && o; i++) {
		n = json_object_get_member(o, parts[i]);
		o = parts[i + 1] && n && JSON_NODE_HOLDS_OBJECT(n) ?
		    json_node_get_object(n) : NULL;
		if (parts[i + 1] && !o)
			n = NULL;
	}
	g_strfreev(parts);
	if (!n)
		return g_strdup("(none)");
	text = json_to_string(n, FALSE);
	return text;
}

/*
 * How two runs' profiles differ ("name quick vs full", "boot_timeout 120 vs
 * 300"), or NULL when they are alike.  g_free().
 */
static char *profile_diff(JsonObject *ra, JsonObject *rb)
{
	JsonObject *pa = report_obj(ra, "profile"), *pb = report_obj(rb,
								    "profile");
	JsonArray *la = report_arr(pa, "params"), *lb = report_arr(pb,
								  "params");
	guint na = la ? json_array_get_length(la) : 0;
	guint nb = lb ? json_array_get_length(lb) : 0;

	if (g_strcmp0(report_str(pa, "name"), report_str(pb, "name")))
		return g_strdup_printf("name %s vs %s", report_str(pa, "name"),
				       report_str(pb, "name"));
	for (guint i = 0; i < MAX(na, nb); i++) {
		JsonObject *ea = report_elem(la, i), *eb = report_elem(lb, i);
		JsonNode *va = ea ? json_object_get_member(ea, "value") : NULL;
		JsonNode *vb = eb ? json_object_get_member(eb, "value") : NULL;
		char *ta = va ? json_to_string(va, FALSE) : g_strdup("(none)");
		char *tb = vb ? json_to_string(vb, FALSE) : g_strdup("(none)");
		char *d = NULL;

		if (g_strcmp0(report_str(ea, "name"), report_str(eb, "name")))
			d = g_strdup_printf("parameter %u is %s vs %s", i,
					    report_str(ea, "name"),
					    report_str(eb, "name"));
		else if (strcmp(ta, tb))
			d = g_strdup_printf("%s %s vs %s",
					    report_str(ea, "name"), ta, tb);
		g_free(ta);
		g_free(tb);
		if (d)
			return d;
	}
	return NULL;
}

/* What must be alike in every shard of one matrix. */
static const struct {
	const char *what, *path;
} same_keys[] = {
	{ "nicq version", "nicq_version" },
	{ "QEMU version", "versions.qemu" },
	{ "libvirt version", "versions.libvirt_daemon" },
	{ "guest image kernel", "guest_image.kernel_release" },
	{ "guest image recipe", "guest_image.recipe_sha256" },
	{ "option --model", "options.models" },
	{ "option --vhost", "options.vhost" },
	{ "option --case", "options.cases" },
	{ "option --accel", "options.accel" },
	{ "option --tap-version", "options.tap_version" },
	{ "option --boot", "options.boot" },
	{ "option --inject", "options.faults" },
	{ "shard count", "shard.count" },
	{ "matrix size", "shard.matrix_points" },
};

/* The shard's one-line name in messages: "shard 2/4 ('dir')". */
static char *shard_name(const struct shard_run *s)
{
	return g_strdup_printf("shard %d/%d ('%s')", s->index, s->count,
			       s->dir);
}

static int load_shard(const char *dir, struct shard_run *s, char *err)
{
	JsonObject *sh, *end;

	s->dir = g_canonicalize_filename(dir, NULL);
	if (report_load_runinfo(s->dir, &s->run, err) < 0)
		return -1;
	sh = report_obj(s->run, "shard");
	if (!sh) {
		err_set(err, "'%s' is not a shard: it was run without --shard",
			s->dir);
		return -1;
	}
	s->index = (int)report_int(sh, "index", 0);
	s->count = (int)report_int(sh, "count", 0);
	if (s->count < 1 || s->index < 1 || s->index > s->count) {
		err_set(err, "'%s': its run.json names no shard I/N", s->dir);
		return -1;
	}
	end = report_obj(s->run, "end");
	if (!end) {
		err_set(err, "shard %d/%d ('%s') did not finish (its run.json "
			"has no end)", s->index, s->count, s->dir);
		return -1;
	}
	return 0;
}

/* Every shard alike, each once, all there.  -1 with err. */
static int check_shards(struct shard_run *sh, int n, char *err)
{
	int count = sh[0].count;
	struct shard_run **by = NULL;
	int rc = -1;

	for (int i = 1; i < n; i++) {
		for (size_t k = 0; k < G_N_ELEMENTS(same_keys); k++) {
			char *a = member_text(sh[0].run, same_keys[k].path);
			char *b = member_text(sh[i].run, same_keys[k].path);
			bool differ = strcmp(a, b) != 0;

			if (differ) {
				char *na = shard_name(&sh[0]);
				char *nb = shard_name(&sh[i]);

				err_set(err, "%s and %s are not shards of one "
					"matrix: %s %s vs %s", na, nb,
					same_keys[k].what, a, b);
				g_free(na);
				g_free(nb);
			}
			g_free(a);
			g_free(b);
			if (differ)
				return -1;
		}
		{
			char *d = profile_diff(sh[0].run, sh[i].run);

			if (d) {
				char *na = shard_name(&sh[0]);
				char *nb = shard_name(&sh[i]);

				err_set(err, "%s and %s are not shards of one "
					"matrix: profile %s", na, nb, d);
				g_free(na);
				g_free(nb);
				g_free(d);
				return -1;
			}
		}
	}
	by = g_new0(struct shard_run *, count + 1);
	for (int i = 0; i < n; i++) {
		if (by[sh[i].index]) {
			err_set(err, "shard %d/%d is given twice: '%s' and "
				"'%s'", sh[i].index, count,
				by[sh[i].index]->dir, sh[i].dir);
			goto out;
		}
		by[sh[i].index] = &sh[i];
	}
	for (int k = 1; k <= count; k++) {
		if (!by[k]) {
			GString *miss = g_string_new(NULL);

			for (int j = k; j <= count; j++)
				if (!by[j])
					g_string_append_printf(miss, "%s%d/%d",
						miss->len ? ", " : "", j, count);
			err_set(err, "shard%s %s missing: merge wants all %d "
				"shards of the matrix",
				strchr(miss->str, ',') ? "s" : "", miss->str,
				count);
			g_string_free(miss, TRUE);
			goto out;
		}
	}
	rc = 0;
out:
	g_free(by);
	return rc;
}

/*
 * The matrix's planned points in order, each from the one shard that has
 * it (points[k] not owned; from[k] the shard).  -1 with err.
 */
static int collect_points(struct shard_run *sh, int n, JsonObject **points,
			  int *from, int total, char *err)
{
	for (int i = 0; i < n; i++) {
		JsonArray *pl = report_arr(sh[i].run, "planned");

		for (guint j = 0; j < json_array_get_length(pl); j++) {
			JsonObject *p = report_elem(pl, j);
			long long pos = report_int(p, "position", -1);

			if (!p || pos < 0 || pos >= total) {
				err_set(err, "shard %d/%d ('%s'): planned "
					"point %u has no position in the %d "
					"points of the matrix", sh[i].index,
					sh[i].count, sh[i].dir, j, total);
				return -1;
			}
			if (points[pos]) {
				err_set(err, "matrix point %lld (%s %s) is in "
					"shard %d/%d ('%s') and in shard %d/%d "
					"('%s')", pos, report_str(p, "cell"),
					report_str(p, "case"),
					sh[from[pos]].index, sh[i].count,
					sh[from[pos]].dir, sh[i].index,
					sh[i].count, sh[i].dir);
				return -1;
			}
			points[pos] = p;
			from[pos] = i;
		}
	}
	for (int k = 0; k < total; k++) {
		if (!points[k]) {
			err_set(err, "matrix point %d is in none of the "
				"shards given", k);
			return -1;
		}
	}
	return 0;
}

/* ---- copying ------------------------------------------------------------ */

static int copy_file_at(int sfd, int dfd, const char *name, mode_t mode,
			char *err)
{
	int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = -1, rc = -1;
	char buf[65536];
	ssize_t r;

	if (in < 0) {
		err_set(err, "cannot open '%s': %s", name, strerror(errno));
		return -1;
	}
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, mode & 0777);
	if (out < 0) {
		err_set(err, "cannot create '%s': %s", name, strerror(errno));
		goto done;
	}
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(err, "cannot read '%s': %s", name,
				strerror(errno));
			goto done;
		}
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				err_set(err, "cannot write '%s': %s", name,
					strerror(errno));
				goto done;
			}
			off += w;
		}
	}
	rc = 0;
done:
	if (out >= 0 && close(out) < 0 && rc == 0) {
		err_set(err, "cannot write '%s': %s", name, strerror(errno));
		rc = -1;
	}
	close(in);
	return rc;
}

/*
 * Copy the folder sfd into dfd: regular files and folders, nothing else
 * (a symlink in a results folder is neither followed nor copied).
 */
static int copy_dir_fd(int sfd, int dfd, int depth, char *err)
{
	int sdup = dup(sfd), rc = 0;
	DIR *d = sdup >= 0 ? fdopendir(sdup) : NULL;
	struct dirent *de;

	if (!d) {
		if (sdup >= 0)
			close(sdup);
		err_set(err, "cannot read a folder: %s", strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			rc = copy_file_at(sfd, dfd, de->d_name, st.st_mode,
					  err);
		} else if (S_ISDIR(st.st_mode) && depth < MERGE_MAX_DEPTH) {
			int s2, d2;

			if (mkdirat(dfd, de->d_name, 0755) < 0 &&
			    errno != EEXIST) {
				err_set(err, "cannot create '%s': %s",
					de->d_name, strerror(errno));
				rc = -1;
				break;
			}
			s2 = openat(sfd, de->d_name, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			d2 = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0 || d2 < 0) {
				err_set(err, "cannot open '%s': %s",
					de->d_name, strerror(errno));
				rc = -1;
			} else {
				rc = copy_dir_fd(s2, d2, depth + 1, err);
			}
			if (s2 >= 0)
				close(s2);
			if (d2 >= 0)
				close(d2);
		}
	}
	closedir(d);
	return rc;
}

/*
 * Copy src_dir/rel (a folder or a regular file, no symlink on the way
 * below src_dir) to dst_dir/rel, making the folders between.  A missing
 * source is not an error.  -1 with err.
 */
static int copy_rel(const char *src_dir, const char *dst_dir, const char *rel,
		    char *err)
{
	char **parts = g_strsplit(rel, "/", -1);
	int sfd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dfd = open(dst_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1, i;
	struct stat st;

	if (sfd < 0 || dfd < 0) {
		err_set(err, "cannot open '%s' or '%s': %s", src_dir, dst_dir,
			strerror(errno));
		goto out;
	}
	for (i = 0; parts[i] && parts[i + 1]; i++) {
		int s2 = openat(sfd, parts[i], O_RDONLY | O_DIRECTORY |
				O_NOFOLLOW | O_CLOEXEC), d2;

		if (s2 < 0) {
			rc = 0;		/* nothing to copy */
			goto out;
		}
		close(sfd);
		sfd = s2;
		if (mkdirat(dfd, parts[i], 0755) < 0 && errno != EEXIST) {
			err_set(err, "cannot create '%s/%s': %s", dst_dir,
				parts[i], strerror(errno));
			goto out;
		}
		d2 = openat(dfd, parts[i], O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		if (d2 < 0) {
			err_set(err, "cannot open '%s/%s': %s", dst_dir,
				parts[i], strerror(errno));
			goto out;
		}
		close(dfd);
		dfd = d2;
	}
	if (fstatat(sfd, parts[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = 0;
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		rc = copy_file_at(sfd, dfd, parts[i], st.st_mode, err);
	} else if (S_ISDIR(st.st_mode)) {
		int s2, d2;

		if (mkdirat(dfd, parts[i], 0755) < 0) {
			err_set(err, "cannot create '%s/%s': %s", dst_dir, rel,
				strerror(errno));
			goto out;
		}
		s2 = openat(sfd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
		d2 = openat(dfd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
		if (s2 >= 0 && d2 >= 0)
			rc = copy_dir_fd(s2, d2, 0, err);
		else
			err_set(err, "cannot open '%s': %s", rel,
				strerror(errno));
		if (s2 >= 0)
			close(s2);
		if (d2 >= 0)
			close(d2);
	} else {
		rc = 0;		/* not a file or folder: not copied */
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	g_strfreev(parts);
	return rc;
}

/* out must not exist, or be an empty folder; made 0755.  -1 with err. */
static int make_out_dir(const char *out, char *err)
{
	GDir *d;

	if (g_file_test(out, G_FILE_TEST_IS_SYMLINK)) {
		err_set(err, "'%s' is a symlink: merge wants a new folder",
			out);
		return -1;
	}
	d = g_dir_open(out, 0, NULL);
	if (d) {
		bool empty = g_dir_read_name(d) == NULL;

		g_dir_close(d);
		if (!empty) {
			err_set(err, "'%s' exists and is not empty: merge "
				"wants a new folder", out);
			return -1;
		}
		return 0;
	}
	if (g_file_test(out, G_FILE_TEST_EXISTS)) {
		err_set(err, "'%s' exists and is not a folder", out);
		return -1;
	}
	{
		char *parent = g_path_get_dirname(out);
		int rc = mkdir_p(parent, err);

		g_free(parent);
		if (rc < 0)
			return -1;
	}
	if (mkdir(out, 0755) < 0) {
		err_set(err, "cannot create '%s': %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the merged run --------------------------------------------------- */

static int exit_rank(long long rc)
{
	return rc == EXIT_INFRA ? 3 : rc == EXIT_USAGE ? 2 :
	       rc == EXIT_FAIL ? 1 : 0;
}

/* run.json of the merged run, from the first shard's.  Returns it. */
static JsonObject *merged_runinfo(const char *out, struct shard_run *sh,
				  int n, JsonObject **points, int total,
				  char **argv)
{
	JsonObject *run = json_object_ref(sh[0].run);
	JsonObject *end = json_object_new(), *merged = json_object_new();
	JsonArray *planned = json_array_new(), *cmd = json_array_new();
	JsonArray *shards = json_array_new(), *unrep = json_array_new();
	long long started = 0, finished = 0, worst = 0;
	const char *bail = NULL;
	char *id = g_path_get_basename(out), *bail_msg = NULL;
	int *order = g_new(int, n);

	/* the shards in index order */
	for (int i = 0; i < n; i++)
		order[sh[i].index - 1 < n ? sh[i].index - 1 : 0] = i;
	for (int k = 0; k < total; k++)
		json_array_add_object_element(planned,
					      json_object_ref(points[k]));
	for (char **a = argv; a && *a; a++)
		json_array_add_string_element(cmd, *a);
	for (int o = 0; o < n; o++) {
		struct shard_run *s = &sh[order[o]];
		JsonObject *se = report_obj(s->run, "end");
		JsonObject *e = json_object_new();
		JsonArray *u = report_arr(se, "unreported");
		long long st = report_int(s->run, "started_ms", 0);
		long long fi = report_int(se, "finished_ms", 0);
		long long ex = report_int(se, "exit_status", 3);
		const char *b = report_str(se, "bail_out");
		char *folder = g_strdup_printf("shards/%d-of-%d", s->index,
					       s->count);

		if (!started || (st && st < started))
			started = st;
		finished = MAX(finished, fi);
		if (exit_rank(ex) > exit_rank(worst))
			worst = ex;
		if (b && !bail) {
			bail = b;
			bail_msg = g_strdup_printf("shard %d/%d: %s",
						   s->index, s->count, b);
		}
		for (guint i = 0; u && i < json_array_get_length(u); i++)
			json_array_add_string_element(unrep,
				report_arr_str(u, i));
		json_object_set_int_member(e, "index", s->index);
		json_object_set_string_member(e, "dir", s->dir);
		json_object_set_string_member(e, "folder", folder);
		json_object_set_string_member(e, "run_id",
			report_str(s->run, "run_id") ?
			report_str(s->run, "run_id") : "");
		json_object_set_string_member(e, "hostname",
			report_str(report_obj(s->run, "host"), "hostname") ?
			report_str(report_obj(s->run, "host"), "hostname") :
			"");
		if (report_str(report_obj(s->run, "accelerator"), "name"))
			json_object_set_string_member(e, "accelerator",
				report_str(report_obj(s->run, "accelerator"),
					   "name"));
		else
			json_object_set_null_member(e, "accelerator");
		json_object_set_int_member(e, "points", json_array_get_length(
			report_arr(s->run, "planned")));
		json_object_set_int_member(e, "started_ms", st);
		json_object_set_int_member(e, "finished_ms", fi);
		json_object_set_int_member(e, "exit_status", ex);
		if (b)
			json_object_set_string_member(e, "bail_out", b);
		else
			json_object_set_null_member(e, "bail_out");
		json_array_add_object_element(shards, e);
		g_free(folder);
	}
	json_object_set_int_member(merged, "count", sh[0].count);
	json_object_set_array_member(merged, "shards", shards);

	json_object_set_int_member(end, "finished_ms", finished);
	json_object_set_int_member(end, "exit_status", worst);
	if (bail_msg)
		json_object_set_string_member(end, "bail_out", bail_msg);
	else
		json_object_set_null_member(end, "bail_out");
	json_object_set_array_member(end, "unreported", unrep);

	json_object_set_string_member(run, "run_id", id);
	json_object_set_string_member(run, "dir", out);
	json_object_set_array_member(run, "command", cmd);
	json_object_set_int_member(run, "started_ms", started);
	json_object_remove_member(run, "shard");
	json_object_remove_member(run, "baseline");
	json_object_set_array_member(run, "planned", planned);
	json_object_set_object_member(run, "merged", merged);
	json_object_set_object_member(run, "end", end);
	g_free(id);
	g_free(bail_msg);
	g_free(order);
	return run;
}

static enum tap_result tap_of_status(const char *st)
{
	if (!strcmp(st, "pass"))
		return TAP_OK;
	if (!strcmp(st, "skip"))
		return TAP_SKIP;
	if (!strcmp(st, "known"))
		return TAP_TODO;
	return TAP_NOT_OK;
}

/*
 * The merged run's TAP from its results document: cells and points in
 * matrix order as one run writes them; the first point a shard's bail
 * out left unjudged ends it with that Bail out!.
 */
static void merged_tap(JsonObject *doc, const char *out, int n_shards,
		       FILE *f)
{
	JsonObject *run = report_obj(doc, "run");
	JsonArray *cells = report_arr(doc, "cells");
	const char *bail = report_str(report_obj(run, "end"), "bail_out");
	long long ver = report_int(report_obj(run, "options"),
				   "tap_version", 14);
	struct tap *t = tap_new(stdout, f, ver == 13 ? 13 : 14);

	if (!t)
		return;
	tap_comment(t, "nicq merge %s", out);
	tap_comment(t, "profile %s", report_str(report_obj(run, "profile"),
						"name"));
	tap_comment(t, "merged from %d shards (run.json's merged.shards)",
		    n_shards);
	tap_plan(t, cells ? (int)json_array_get_length(cells) : 0);
	for (guint i = 0; cells && i < json_array_get_length(cells); i++) {
		JsonObject *cell = report_elem(cells, i);
		JsonArray *pts = report_arr(cell, "points");

		tap_subtest_begin(t, report_str(cell, "name"));
		tap_plan(t, pts ? (int)json_array_get_length(pts) : 0);
		for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
			JsonObject *pt = report_elem(pts, j);
			const char *st = report_str(pt, "status");
			JsonObject *res = report_obj(pt, "result");
			struct diag *d = NULL;

			if (!st || !strcmp(st, "interrupted") ||
			    !strcmp(st, "not_run")) {
				tap_bail(t, bail ? bail : report_str(pt,
					 "reason"));
				tap_free(t);
				return;
			}
			if (res) {
				GList *m = json_object_get_members(res);

				d = diag_new();
				for (GList *l = m; l; l = l->next)
					diag_add_json(d, l->data,
						json_object_get_member(res,
								       l->data));
				g_list_free(m);
			}
			tap_point(t, tap_of_status(st), report_str(pt, "case"),
				  !strcmp(st, "skip") || !strcmp(st, "known") ?
				  report_str(pt, "reason") : NULL, d);
			diag_free(d);
		}
		tap_subtest_end(t, NULL, report_str(cell, "skip"), NULL);
	}
	tap_free(t);
}

int merge_runs(const char *out_arg, const char *const *dirs, int n,
	       char **argv, const char *junit, char *err)
{
	struct shard_run *sh = g_new0(struct shard_run, n);
	JsonObject **points = NULL, *run = NULL, *doc = NULL;
	int *from = NULL, total, rc = EXIT_USAGE;
	char *out = g_canonicalize_filename(out_arg, NULL), *path = NULL;
	FILE *tapf = NULL;

	for (int i = 0; i < n; i++)
		if (load_shard(dirs[i], &sh[i], err) < 0)
			goto done;
	if (check_shards(sh, n, err) < 0)
		goto done;
	total = (int)report_int(report_obj(sh[0].run, "shard"),
				"matrix_points", 0);
	if (total < 0 || total > 100000) {
		err_set(err, "'%s': its run.json says the matrix has %d "
			"points", sh[0].dir, total);
		goto done;
	}
	points = g_new0(JsonObject *, total + 1);
	from = g_new0(int, total + 1);
	if (collect_points(sh, n, points, from, total, err) < 0)
		goto done;
	for (int i = 0; i < n; i++) {
		char *d1 = g_strconcat(sh[i].dir, "/", NULL);
		char *o1 = g_strconcat(out, "/", NULL);
		bool overlap = g_str_has_prefix(o1, d1) ||
			       g_str_has_prefix(d1, o1);

		g_free(d1);
		g_free(o1);
		if (overlap) {
			err_set(err, "'%s' and the shard '%s' overlap: merge "
				"wants a folder of its own", out, sh[i].dir);
			goto done;
		}
	}
	if (make_out_dir(out, err) < 0)
		goto done;

	/* from here on, a failure is the folder's, not the user's */
	rc = -1;
	for (int k = 0; k < total; k++) {
		const char *slug = report_str(points[k], "slug");
		const char *cname = report_str(points[k], "case");
		char *rel;

		if (report_str(points[k], "skip"))
			continue;	/* never ran: no folder */
		if (!report_name_ok(slug) || !report_name_ok(cname)) {
			err_set(err, "shard '%s' names point %d with "
				"characters a folder name cannot have",
				sh[from[k]].dir, k);
			goto done;
		}
		rel = g_strdup_printf("%s/%s", slug, cname);
		if (copy_rel(sh[from[k]].dir, out, rel, err) < 0) {
			g_free(rel);
			goto done;
		}
		g_free(rel);
	}
	for (int i = 0; i < n; i++) {
		static const char *const keep[] = {
			RUNINFO_FILE, "run.tap", "compare.txt", "lab", NULL,
		};
		char *dst = g_strdup_printf("%s/shards/%d-of-%d", out,
					    sh[i].index, sh[i].count);
		int crc = mkdir_p(dst, err);

		for (int k = 0; crc == 0 && keep[k]; k++)
			crc = copy_rel(sh[i].dir, dst, keep[k], err);
		g_free(dst);
		if (crc < 0)
			goto done;
	}
	run = merged_runinfo(out, sh, n, points, total, argv);
	path = g_build_filename(out, RUNINFO_FILE, NULL);
	if (report_write_json(path, run, err) < 0)
		goto done;
	if (report_render(out, junit, err) < 0)
		goto done;
	if (report_build(out, &doc, err) < 0)
		goto done;
	g_free(path);
	path = g_build_filename(out, "run.tap", NULL);
	tapf = fopen(path, "wx");
	if (!tapf) {
		err_set(err, "cannot write '%s': %s", path, strerror(errno));
		goto done;
	}
	merged_tap(doc, out, n, tapf);
	if (fclose(tapf) != 0) {
		tapf = NULL;
		err_set(err, "cannot write '%s': %s", path, strerror(errno));
		goto done;
	}
	tapf = NULL;
	{
		const char *st = report_str(report_obj(doc, "summary"),
					    "status");

		rc = !g_strcmp0(st, "pass") ? EXIT_PASS :
		     !g_strcmp0(st, "fail") ? EXIT_FAIL : EXIT_INFRA;
	}
done:
	if (tapf)
		fclose(tapf);
	if (doc)
		json_object_unref(doc);
	if (run)
		json_object_unref(run);
	for (int i = 0; i < n; i++) {
		g_free(sh[i].dir);
		if (sh[i].run)
			json_object_unref(sh[i].run);
	}
	g_free(sh);
	g_free(points);
	g_free(from);
	g_free(out);
	g_free(path);
	return rc;
}
