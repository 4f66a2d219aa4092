/* runinfo.c - see runinfo.h. */
#include "runinfo.h"
#include "fault.h"
#include "fixture.h"
#include "report.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* "9.0.0" from libvirt's major * 1000000 + minor * 1000 + release. */
static char *version_str(unsigned long v)
{
	return g_strdup_printf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000,
			       v % 1000);
}

static void add_str(JsonBuilder *b, const char *key, const char *v)
{
	json_builder_set_member_name(b, key);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

static void add_int(JsonBuilder *b, const char *key, long long v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_int_value(b, v);
}

static void add_bool(JsonBuilder *b, const char *key, bool v)
{
	json_builder_set_member_name(b, key);
	json_builder_add_boolean_value(b, v);
}

/*
 * The value after "key" on the first line of a system file that starts
 * with it, up to the end of that line, without quotes; NULL when absent.
 */
static char *file_line_value(const char *path, const char *key)
{
	char *text = NULL, *out = NULL;

	/* a system file (/etc/os-release is a symlink): followed */
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (g_str_has_prefix(line, key)) {
			out = g_strdup(g_strstrip(line + strlen(key)));
			if (out[0] == '"' && strlen(out) >= 2 &&
			    out[strlen(out) - 1] == '"') {
				memmove(out, out + 1, strlen(out) - 2);
				out[strlen(out) - 2] = '\0';
			}
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	g_free(text);
	return out;
}

static void add_host(JsonBuilder *b)
{
	struct utsname u;
	char host[256] = "";
	char *os = file_line_value("/etc/os-release", "PRETTY_NAME=");
	char *cpu = file_line_value("/proc/cpuinfo", "model name\t: ");
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	gethostname(host, sizeof(host) - 1);
	json_builder_set_member_name(b, "host");
	json_builder_begin_object(b);
	add_str(b, "hostname", host);
	add_str(b, "os", os);
	add_str(b, "kernel", u.release);
	add_str(b, "kernel_build", u.version);
	add_str(b, "machine", u.machine);
	add_str(b, "cpu", cpu);
	add_int(b, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
	add_int(b, "memory_mib", pages > 0 && psize > 0 ?
		(long long)pages * psize / (1024 * 1024) : 0);
	json_builder_end_object(b);
	g_free(os);
	g_free(cpu);
}

static void add_versions(JsonBuilder *b, const struct lab *lab)
{
	unsigned long hv = 0, lv = 0, cv = 0;
	char *qemu = NULL, *daemon = NULL, *lib = NULL;
	struct utsname u;

	if (lab && lab->conn && virConnectGetVersion(lab->conn, &hv) == 0 &&
	    hv)
		qemu = version_str(hv);
	if (lab && lab->conn && virConnectGetLibVersion(lab->conn, &lv) == 0)
		daemon = version_str(lv);
	if (virGetVersion(&cv, NULL, NULL) == 0)
		lib = version_str(cv);
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	json_builder_set_member_name(b, "versions");
	json_builder_begin_object(b);
	add_str(b, "nicq", nicq_version());
	add_str(b, "qemu", qemu);
	add_str(b, "libvirt_daemon", daemon);
	add_str(b, "libvirt_library", lib);
	add_str(b, "kernel", u.release);
	json_builder_end_object(b);
	g_free(qemu);
	g_free(daemon);
	g_free(lib);
}

static void add_image(JsonBuilder *b, const char *dir)
{
	char *man = dir ? g_build_filename(dir, "manifest.txt", NULL) : NULL;
	char *kr = man ? file_line_value(man, "# kernel-release ") : NULL;
	char *rh = man ? file_line_value(man, "# recipe-sha256 ") : NULL;
	char *built = man ? file_line_value(man, "# built ") : NULL;

	if (built && strchr(built, ' '))
		*strchr(built, ' ') = '\0';	/* "<time> by <script>" */
	json_builder_set_member_name(b, "guest_image");
	json_builder_begin_object(b);
	add_str(b, "dir", dir);
	add_str(b, "kernel_release", kr);
	add_str(b, "recipe_sha256", rh);
	add_str(b, "built", built);
	json_builder_end_object(b);
	g_free(man);
	g_free(kr);
	g_free(rh);
	g_free(built);
}

/* Every parameter with its value now, and whether a --config changed it. */
static void add_profile(JsonBuilder *b, const struct profile *p)
{
	json_builder_set_member_name(b, "profile");
	json_builder_begin_object(b);
	add_str(b, "name", p->name);
	json_builder_set_member_name(b, "params");
	json_builder_begin_array(b);
	for (int i = 0; i < p->n; i++) {
		const struct param *par = p->params[i];
		const struct pval *v = &p->vals[i];
		const char *named = !strcmp(p->name, "full") ? par->full :
				    par->quick;
		GString *now = g_string_new(NULL);
		char buf[G_ASCII_DTOSTR_BUF_SIZE];

		json_builder_begin_object(b);
		add_str(b, "name", par->name);
		json_builder_set_member_name(b, "value");
		if (par->type == PARAM_INT) {
			json_builder_add_int_value(b, (long long)v->v[0]);
		} else {
			json_builder_begin_array(b);
			for (int j = 0; j < v->n; j++) {
				if (par->type == PARAM_INTS)
					json_builder_add_int_value(b,
						(long long)v->v[j]);
				else
					json_builder_add_double_value(b,
								      v->v[j]);
			}
			json_builder_end_array(b);
		}
		for (int j = 0; j < v->n; j++)
			g_string_append_printf(now, "%s%s", j ? ";" : "",
				g_ascii_formatd(buf, sizeof(buf), "%g",
						v->v[j]));
		add_str(b, "quick", par->quick);
		add_str(b, "full", par->full);
		add_bool(b, "from_config", strcmp(now->str, named) != 0);
		add_str(b, "doc", par->doc);
		json_builder_end_object(b);
		g_string_free(now, TRUE);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static void add_options(JsonBuilder *b, const struct run_opts *o)
{
	static const char *const accels[] = { "auto", "tcg", "kvm" };
	JsonArray *faults = json_array_new();
	JsonNode *fn = json_node_new(JSON_NODE_ARRAY);

	json_builder_set_member_name(b, "options");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "models");
	json_builder_begin_array(b);
	for (int m = 0; m < NIC_MODEL_COUNT; m++)
		if (o->model[m])
			json_builder_add_string_value(b,
				model_name((enum nic_model)m));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "vhost");
	json_builder_begin_array(b);
	for (int v = 0; v < 2; v++)
		if (o->vhost[v])
			json_builder_add_string_value(b, v ? "on" : "off");
	json_builder_end_array(b);
	json_builder_set_member_name(b, "cases");
	json_builder_begin_array(b);
	for (int i = 0; i < o->n_cases; i++)
		json_builder_add_string_value(b, o->cases[i]->name);
	json_builder_end_array(b);
	add_str(b, "config", o->config_path);
	add_str(b, "connect", o->uri);
	add_str(b, "accel", accels[o->accel]);
	add_int(b, "tap_version", o->tap_version);
	add_str(b, "results_root", o->results_root);
	add_str(b, "image_dir", o->image_dir);
	add_str(b, "junit", o->junit_path);
	add_int(b, "jobs", o->jobs);
	add_str(b, "jobs_why", o->jobs_why);
	add_str(b, "boot", o->fresh_boot ? "fresh" : "restore");
	fault_describe(&o->fault, faults);
	json_node_take_array(fn, faults);
	json_builder_set_member_name(b, "faults");
	json_builder_add_value(b, fn);	/* transferred */
	json_builder_end_object(b);
}

static void add_planned(JsonBuilder *b, const struct run_opts *o,
			const struct cell *cells, int n_cells)
{
	json_builder_set_member_name(b, "planned");
	json_builder_begin_array(b);
	for (int i = 0; i < n_cells; i++) {
		for (int j = 0; j < o->n_cases; j++) {
			const struct case_desc *cd = o->cases[j];
			int pos = i * o->n_cases + j;

			if (!run_point_in_shard(o, cells, n_cells, pos))
				continue;
			json_builder_begin_object(b);
			add_int(b, "position", pos);
			add_str(b, "cell", cells[i].name);
			add_str(b, "slug", cells[i].slug);
			add_str(b, "model", model_name(cells[i].model));
			add_bool(b, "vhost", cells[i].vhost);
			add_str(b, "case", cd->name);
			add_int(b, "plan_case", cd->plan_case);
			add_str(b, "summary", cd->summary);
			add_int(b, "deadline_s", fixture_deadline_s(cd,
								    &o->prof));
			add_str(b, "skip", run_point_skip(&cells[i], cd));
			json_builder_end_object(b);
		}
	}
	json_builder_end_array(b);
}

static int write_json(const char *path, JsonNode *root, char *err)
{
	JsonGenerator *g = json_generator_new();
	char *text;
	int rc;

	json_generator_set_root(g, root);
	json_generator_set_pretty(g, TRUE);
	text = json_generator_to_data(g, NULL);
	rc = file_write(path, text, strlen(text), err);
	g_free(text);
	g_object_unref(g);
	return rc;
}

int runinfo_begin(const char *run_dir, const struct run_opts *o,
		  const struct lab *lab, const char *lab_err,
		  const struct cell *cells, int n_cells,
		  const char *vhost_reason, char *err)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *path = g_build_filename(run_dir, RUNINFO_FILE, NULL);
	char *id = g_path_get_basename(run_dir);
	int rc;

	json_builder_begin_object(b);
	add_str(b, "format", RUNINFO_FORMAT);
	add_int(b, "format_version", RUNINFO_FORMAT_VERSION);
	add_str(b, "nicq_version", nicq_version());
	add_str(b, "run_id", id);
	add_str(b, "dir", run_dir);
	json_builder_set_member_name(b, "command");
	json_builder_begin_array(b);
	for (char **a = o->argv; a && *a; a++)
		json_builder_add_string_value(b, *a);
	json_builder_end_array(b);
	add_int(b, "started_ms", g_get_real_time() / 1000);
	add_host(b);
	json_builder_set_member_name(b, "lab");
	json_builder_begin_object(b);
	add_str(b, "kind", o->uri ? "connect" : "private");
	add_str(b, "uri", lab ? lab->uri : o->uri);
	add_str(b, "netns", lab && lab->private_lab ? lab->netns : NULL);
	add_str(b, "error", lab ? NULL : lab_err);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "accelerator");
	if (lab) {
		json_builder_begin_object(b);
		add_str(b, "name", lab->accel_name);
		add_str(b, "reason", lab->accel_reason);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "vhost_net");
	json_builder_begin_object(b);
	add_bool(b, "available", vhost_reason == NULL);
	add_str(b, "reason", vhost_reason);
	json_builder_end_object(b);
	add_versions(b, lab);
	add_image(b, o->image_dir);
	add_profile(b, &o->prof);
	add_options(b, o);
	if (o->shard.count) {
		json_builder_set_member_name(b, "shard");
		json_builder_begin_object(b);
		add_int(b, "index", o->shard.index);
		add_int(b, "count", o->shard.count);
		add_int(b, "matrix_points", (long long)n_cells * o->n_cases);
		json_builder_end_object(b);
	}
	add_planned(b, o, cells, n_cells);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	rc = write_json(path, root, err);
	json_node_unref(root);
	g_object_unref(b);
	g_free(path);
	g_free(id);
	return rc;
}

/* Replace run.json's member key with node (consumed).  -1 with err. */
static int runinfo_set(const char *run_dir, const char *key, JsonNode *node,
		       char *err)
{
	JsonObject *run = NULL;
	JsonNode *root;
	char *path;
	int rc;

	if (report_load_runinfo(run_dir, &run, err) < 0) {
		json_node_unref(node);
		return -1;
	}
	json_object_set_member(run, key, node);	/* transferred */
	root = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(root, run);
	path = g_build_filename(run_dir, RUNINFO_FILE, NULL);
	rc = write_json(path, root, err);
	g_free(path);
	json_node_unref(root);
	return rc;
}

int runinfo_baseline(const char *run_dir, char *const *baselines,
		     bool regressed, char *err)
{
	JsonObject *b = json_object_new();
	JsonArray *runs = json_array_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	for (int i = 0; baselines && baselines[i]; i++)
		json_array_add_string_element(runs, baselines[i]);
	json_object_set_array_member(b, "runs", runs);
	json_object_set_boolean_member(b, "regressed", regressed);
	json_object_set_string_member(b, "report", "compare.txt");
	json_node_take_object(n, b);
	return runinfo_set(run_dir, "baseline", n, err);
}

int runinfo_end(const char *run_dir, int exit_status, const char *bail_out,
		const char *const *unreported, long points_kib, char *err)
{
	JsonObject *end = json_object_new();
	JsonObject *peak = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	JsonArray *un = json_array_new();
	struct rusage self = { 0 };

	/*
	 * nicq's own processes only: what a wait on nicq reports also holds
	 * the guests' QEMU, reaped under libvirtd's reaper (lab.c)
	 */
	getrusage(RUSAGE_SELF, &self);
	json_object_set_int_member(peak, "nicq", self.ru_maxrss);
	json_object_set_int_member(peak, "points", points_kib);

	json_object_set_int_member(end, "finished_ms",
				   g_get_real_time() / 1000);
	json_object_set_int_member(end, "exit_status", exit_status);
	if (bail_out)
		json_object_set_string_member(end, "bail_out", bail_out);
	else
		json_object_set_null_member(end, "bail_out");
	for (int i = 0; unreported && unreported[i]; i++)
		json_array_add_string_element(un, unreported[i]);
	json_object_set_array_member(end, "unreported", un);
	json_object_set_object_member(end, "peak_rss_kib", peak);
	json_node_take_object(n, end);
	return runinfo_set(run_dir, "end", n, err);
}
