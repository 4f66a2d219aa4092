/*
 * main.c - the nicq command line.  Only this level prints errors and
 * chooses exit codes (0 pass, 1 case failed, 2 usage/config, 3 infra).
 */
#include "case.h"
#include "compare.h"
#include "lab.h"
#include "fixture.h"
#include "hostprobe.h"
#include "report.h"
#include "merge.h"
#include "runner.h"
#include "shard.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <glib.h>
#include <libxml/uri.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: nicq list [cases|controls|params] [options]\n"
	"       nicq run [--model M,..] [--vhost off|on|both] [--case C,..]\n"
	"                [--profile quick|full] [--config FILE] [--results DIR]\n"
	"                [--connect URI] [--accel auto|tcg|kvm]\n"
	"                [--tap-version 13|14] [--image DIR] [--inject FAULT]\n"
	"                [--boot restore|fresh] [--jobs N]\n"
	"                [--junit FILE] [--baseline DIR] [--shard I/N]\n"
	"       nicq merge [--junit FILE] OUT_DIR SHARD_DIR...\n"
	"       nicq report [--junit FILE] RUN_DIR\n"
	"       nicq compare [--tolerance NAME=PCT] [--verbose] OLD... NEW\n"
	"       nicq cleanup [--connect URI]\n"
	"       nicq build-image [--force] [DIR]\n"
	"       nicq --version\n"
	"run 'nicq <command> --help' for the options of a command\n";

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("nicq: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/*
 * An installed nicq (make install) finds its data next to it:
 * <prefix>/bin/nicq and <prefix>/share/nicq/guests/build-image.sh.  The
 * folder of that recipe, or NULL for nicq built in its source tree.
 */
static char *installed_recipe(void)
{
	char *exe = g_file_read_link("/proc/self/exe", NULL), *dir, *rec;

	if (!exe)
		return NULL;
	dir = g_path_get_dirname(exe);
	rec = g_build_filename(dir, "..", "share", "nicq", "guests", NULL);
	g_free(exe);
	g_free(dir);
	if (!g_file_test(rec, G_FILE_TEST_IS_DIR)) {
		g_free(rec);
		return NULL;
	}
	return rec;
}

/*
 * The guest image: $NICQ_IMAGE_DIR; built in the source tree,
 * build/guest there; installed, $XDG_CACHE_HOME/nicq/guest (by default
 * ~/.cache/nicq/guest), where 'nicq build-image' puts it.
 */
static char *default_image_dir(void)
{
	const char *env = getenv("NICQ_IMAGE_DIR");
	char *rec = installed_recipe();

	if (env && *env) {
		g_free(rec);
		return g_strdup(env);
	}
	if (rec) {
		g_free(rec);
		return g_build_filename(g_get_user_cache_dir(), "nicq",
					"guest", NULL);
	}
	return g_build_filename(NICQ_SRCDIR, "build", "guest", NULL);
}

/* The guest image recipe's folder (guests/ in the tree, or installed). */
static char *recipe_dir(void)
{
	char *rec = installed_recipe();

	return rec ? rec : g_build_filename(NICQ_SRCDIR, "guests", NULL);
}

struct cli {
	char *models, *vhost, *cases, *profile, *config, *results, *uri;
	char *accel, *image, *inject, *junit;
	char **baselines;
	char *shard;		/* --shard I/N */
	char *list;		/* nicq list controls|params */
	char *junit_abs;
	char *boot;		/* --boot restore|fresh */
	int jobs;		/* --jobs N; 0: from the host */
	char *jobs_why;
	int tap_version;
};

static GOptionEntry run_entries(struct cli *c, int i)
{
	GOptionEntry e[] = {
		{ "model", 'm', 0, G_OPTION_ARG_STRING, &c->models,
		  "NIC models: rtl8139,e1000,virtio (default: all)", "M,.." },
		{ "vhost", 0, 0, G_OPTION_ARG_STRING, &c->vhost,
		  "vhost setting: off, on or both (default: both)", "V" },
		{ "case", 'c', 0, G_OPTION_ARG_STRING, &c->cases,
		  "cases to run (default: all)", "C,.." },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &c->profile,
		  "quick (CI, laptops) or full (the Fedora plan)", "P" },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &c->config,
		  "key file overriding profile values", "FILE" },
		{ "results", 'r', 0, G_OPTION_ARG_FILENAME, &c->results,
		  "results folder root (default: results)", "DIR" },
		{ "connect", 0, 0, G_OPTION_ARG_STRING, &c->uri,
		  "use an existing libvirt instead of the private lab", "URI" },
		{ "accel", 0, 0, G_OPTION_ARG_STRING, &c->accel,
		  "auto (default), tcg or kvm", "A" },
		{ "tap-version", 0, 0, G_OPTION_ARG_INT, &c->tap_version,
		  "13 for Test::Harness/prove, 14 (default)", "N" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &c->jobs,
		  "points run at once (default: from the host's cores and memory)", "N" },
		{ "boot", 0, 0, G_OPTION_ARG_STRING, &c->boot,
		  "restore (default: boot each guest shape once, save it, restore it for every point) or fresh (every guest boots from power-on)", "HOW" },
		{ "image", 0, 0, G_OPTION_ARG_FILENAME, &c->image,
		  "guest image folder (default: build/guest in the source tree; installed: ~/.cache/nicq/guest)",
		  "DIR" },
		{ "inject", 0, 0, G_OPTION_ARG_STRING, &c->inject,
		  "negative control on the taps: drop=PCT, drop-frag, drop-over=BYTES, vlan-rewrite=FROM:TO[@NIC] (toward NIC number NIC only), corrupt-tcp, drop-mcast, drop-udp=PCT, drop-tftp, corrupt-icmp (echo replies changed, XDP), drop-reply=PCT (echo replies dropped, XDP); or one a case acts on: s4-fresh-boot (suspend: the hibernation image is wiped), mcast-allmulti (multicast: the NIC in allmulticast mode), vlan-promisc (vlan: guest B's NIC promiscuous), arp-flux (multinic: arp_ignore/arp_announce left at 0), reload-no-unload (reload: the loop skips modprobe -r), bond-no-flap (bonding: no link is taken down, no path cut), lacp-bridge (lacp: link 1 left to its bridge, which drops LACPDUs), lacp-l2-hash (lacp: the bonds hash by MAC, all flows on one link), lacp-no-flap (lacp: link 0 is not taken down), udp-blackhole (stress: every third UDP datagram toward the guest's iperf3 dropped by a tc filter in the guest, where no ledger counter sees it), host-stall (stress: nicq's own iperf3 stopped for a second in each UDP stream toward the host), icmp-blackhole (ping: every fifth echo request of the flood dropped by a tc filter in the guest), icmp-ratelimit (ping: the guest's kernel limits the rate of its echo replies during the flood); or hang=CASE (that case's process hangs: a control for the deadline)", "F" },
		{ "junit", 0, 0, G_OPTION_ARG_FILENAME, &c->junit,
		  "also write the JUnit XML there (the run folder always has junit.xml)",
		  "FILE" },
		{ "baseline", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &c->baselines,
		  "compare the run with this earlier run (a run folder or results.json; repeat for a spread) at its end: exit 1 on a regression",
		  "DIR" },
		{ "shard", 0, 0, G_OPTION_ARG_STRING, &c->shard,
		  "run only shard I of N of the matrix (contiguous blocks balanced by the points' deadlines); 'nicq merge' joins the shards' run folders",
		  "I/N" },
		{ NULL }
	};
	return e[i];
}

/* Parse "a,b" into the selected set; unknown names are usage errors. */
static int parse_models(const char *s, bool *sel, char *err)
{
	char **items = g_strsplit(s, ",", -1), **it;
	int rc = 0;

	for (it = items; *it; it++) {
		int m = model_from_name(g_strstrip(*it));

		if (m < 0) {
			err_set(err, "unknown model '%s' (known: rtl8139, "
				"e1000, virtio)", *it);
			rc = -1;
			break;
		}
		sel[m] = true;
	}
	g_strfreev(items);
	return rc;
}

static int parse_cases(const char *s, struct run_opts *o, char *err)
{
	char **items = g_strsplit(s, ",", -1), **it;
	int rc = 0;

	for (it = items; *it; it++) {
		const struct case_desc *cd = case_find(g_strstrip(*it));
		GString *known;
		const struct case_desc *const *k;

		if (cd) {
			int i;
			bool dup = false;

			for (i = 0; i < o->n_cases; i++)
				dup |= o->cases[i] == cd;
			if (!dup && o->n_cases < RUN_MAX_CASES)
				o->cases[o->n_cases++] = cd;
			continue;
		}
		known = g_string_new(NULL);
		for (k = case_table; *k; k++)
			g_string_append_printf(known, "%s%s",
					       known->len ? ", " : "",
					       (*k)->name);
		err_set(err, "unknown case '%s' (known: %s)", *it, known->str);
		g_string_free(known, TRUE);
		rc = -1;
		break;
	}
	g_strfreev(items);
	return rc;
}

static bool xml_uri_ok(const char *uri)
{
	xmlURIPtr u = xmlParseURI(uri);

	if (!u)
		return false;
	xmlFreeURI(u);
	return true;
}

static int check_uri(const char *uri, char *err)
{
	GError *gerr = NULL;
	GUri *u;
	int rc = 0;

	/* libvirt parses URIs with libxml2; refuse what it would refuse */
	if (strpbrk(uri, " \t\n") || !xml_uri_ok(uri)) {
		err_set(err, "bad URI '%s': not a valid URI", uri);
		return -1;
	}
	u = g_uri_parse(uri, G_URI_FLAGS_NONE, &gerr);
	if (!u) {
		err_set(err, "bad URI '%s': %s", uri, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	if (!g_str_has_prefix(g_uri_get_scheme(u), "qemu") &&
	    strcmp(g_uri_get_scheme(u), "test")) {
		err_set(err, "bad URI '%s': nicq drives QEMU guests (qemu:///"
			"system, qemu+ssh://host/system...)", uri);
		rc = -1;
	}
	g_uri_unref(u);
	return rc;
}

/*
 * Points at once by default: one a core and one more (a TCG guest keeps a
 * core busy only part of a case: pings at intervals, waits for links and
 * SSH round trips leave gaps; the quick matrix on 2 cores, with three
 * other runs alongside in make check, took 11 min 37 s with 2 at once and
 * 10 min 23 s with 3), and no more than memory holds with two guests a
 * point and 512 MiB to spare for each; at most 8.
 */
static int default_jobs(const struct profile *p, char **why)
{
	unsigned cores = g_get_num_processors();
	long long avail_kib = 0, per = 2LL * prof_int(p, &param_guest_memory) *
				      1024 + 512 * 1024;
	char *mi = NULL, *v;
	long long by_mem;
	int jobs;

	if (file_read("/proc/meminfo", &mi, NULL, NULL) == 0 &&
	    (v = strstr(mi, "MemAvailable:")))
		avail_kib = g_ascii_strtoll(v + 13, NULL, 10);
	g_free(mi);
	by_mem = avail_kib / per;
	jobs = (int)MIN((long long)cores + 1, by_mem);
	jobs = CLAMP(jobs, 1, 8);
	*why = g_strdup_printf("from the host: %u cores, %lld MiB available, "
			       "%lld MiB a point", cores, avail_kib / 1024,
			       per / 1024);
	return jobs;
}

/* Parse options common to list and run into o; returns 0 or an exit code. */
static int parse_run_cli(int argc, char **argv, const char *cmd,
			 struct run_opts *o, struct cli *c)
{
	GOptionContext *ctx;
	GOptionEntry entries[18];
	GError *gerr = NULL;
	char err[ERRLEN];
	int i, rc = 0;
	/* list: no --junit, --baseline, --shard */
	int n = !strcmp(cmd, "run") ? 17 : 14;

	for (i = 0; i < n; i++)
		entries[i] = run_entries(c, i);
	memset(&entries[n], 0, sizeof(entries[n]));
	ctx = g_option_context_new(!strcmp(cmd, "list") ?
				   "[cases|controls|params]" : NULL);
	g_option_context_set_summary(ctx, !strcmp(cmd, "run") ?
		"Run the NIC conformance matrix; TAP on stdout." :
		"List cases, cells and what this host can run.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
		rc = usage_error("%s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (argc > 1 && !strcmp(cmd, "list") && argc == 2) {
		c->list = g_strdup(argv[1]);
	} else if (argc > 1) {
		rc = usage_error("unexpected argument '%s'", argv[1]);
		goto out;
	}
	if (profile_builtin(c->profile ? c->profile : "quick", &o->prof,
			    err) < 0 ||
	    (c->config && profile_load_file(c->config, &o->prof, err) < 0)) {
		rc = usage_error("%s", err);
		goto out;
	}
	if (c->models) {
		if (parse_models(c->models, o->model, err) < 0) {
			rc = usage_error("%s", err);
			goto out;
		}
	} else {
		for (i = 0; i < NIC_MODEL_COUNT; i++)
			o->model[i] = true;
	}
	if (!c->vhost || !strcmp(c->vhost, "both")) {
		o->vhost[0] = o->vhost[1] = true;
	} else if (!strcmp(c->vhost, "off")) {
		o->vhost[0] = true;
	} else if (!strcmp(c->vhost, "on")) {
		o->vhost[1] = true;
	} else {
		rc = usage_error("bad --vhost '%s' (off, on or both)", c->vhost);
		goto out;
	}
	if (c->cases) {
		if (parse_cases(c->cases, o, err) < 0) {
			rc = usage_error("%s", err);
			goto out;
		}
	} else {
		const struct case_desc *const *k;

		for (k = case_table; *k && o->n_cases < RUN_MAX_CASES; k++)
			o->cases[o->n_cases++] = *k;
	}
	if (!c->accel || !strcmp(c->accel, "auto"))
		o->accel = ACCEL_AUTO;
	else if (!strcmp(c->accel, "tcg"))
		o->accel = ACCEL_TCG;
	else if (!strcmp(c->accel, "kvm"))
		o->accel = ACCEL_KVM;
	else {
		rc = usage_error("bad --accel '%s' (auto, tcg or kvm)", c->accel);
		goto out;
	}
	if (c->boot && strcmp(c->boot, "restore") && strcmp(c->boot, "fresh")) {
		rc = usage_error("bad --boot '%s' (restore or fresh)", c->boot);
		goto out;
	}
	o->fresh_boot = c->boot && !strcmp(c->boot, "fresh");
	/* at most STATES_PLANS: eight address plans (fixture.c) */
	if (c->jobs < 0 || c->jobs > 8) {
		rc = usage_error("bad --jobs %d (1..8)", c->jobs);
		goto out;
	}
	if (c->jobs) {
		o->jobs = c->jobs;
		o->jobs_why = "--jobs";
	} else {
		o->jobs = default_jobs(&o->prof, &c->jobs_why);
		o->jobs_why = c->jobs_why;
	}
	if (c->tap_version == 0)
		c->tap_version = 14;
	if (c->tap_version != 13 && c->tap_version != 14) {
		rc = usage_error("bad --tap-version %d (13 or 14)",
				 c->tap_version);
		goto out;
	}
	o->tap_version = c->tap_version;
	if (c->uri && check_uri(c->uri, err) < 0) {
		rc = usage_error("%s", err);
		goto out;
	}
	o->uri = c->uri;
	if (c->inject && fault_parse(c->inject, &o->fault, err) < 0) {
		rc = usage_error("%s", err);
		goto out;
	}
	if (o->fault.hang[0] && !case_find(o->fault.hang)) {
		rc = usage_error("bad fault 'hang=%s': no such case",
				 o->fault.hang);
		goto out;
	}
	/* libvirt wants absolute paths, and so does every report */
	o->results_root = g_canonicalize_filename(c->results ? c->results :
						  "results", NULL);
	o->image_dir = c->image;
	o->config_path = c->config;
	if (c->junit)
		c->junit_abs = g_canonicalize_filename(c->junit, NULL);
	o->junit_path = c->junit_abs;
	/* a baseline that cannot be read is refused before anything starts */
	for (i = 0; c->baselines && c->baselines[i]; i++) {
		char *abs = g_canonicalize_filename(c->baselines[i], NULL);
		JsonObject *doc = NULL;

		g_free(c->baselines[i]);
		c->baselines[i] = abs;
		if (i >= COMPARE_MAX_RUNS) {
			rc = usage_error("at most %d --baseline runs",
					 COMPARE_MAX_RUNS);
			goto out;
		}
		if (compare_load(abs, &doc, err) < 0) {
			rc = usage_error("bad --baseline: %s", err);
			goto out;
		}
		json_object_unref(doc);
	}
	o->baselines = c->baselines;
	if (c->shard && shard_parse(c->shard, &o->shard, err) < 0) {
		rc = usage_error("%s", err);
		goto out;
	}
out:
	g_option_context_free(ctx);
	return rc;
}

/* One line per declared negative control: case, model, fault, breaks. */
static void list_controls(void)
{
	for (const struct case_desc *const *k = case_table; *k; k++)
		for (int i = 0; i < CASE_MAX_CONTROLS; i++)
			if ((*k)->controls[i].fault)
				printf("%s\t%s\t%s\t%s\n", (*k)->name,
				       (*k)->controls[i].model,
				       (*k)->controls[i].fault,
				       (*k)->controls[i].breaks);
}

/* One line per parameter: name, quick, full, range, what it sets. */
static void list_params(const struct profile *p)
{
	const struct param *const *r;

	for (r = param_registry(); *r; r++) {
		const struct pval *v = prof_val(p, *r);
		GString *now = g_string_new(NULL);
		char buf[G_ASCII_DTOSTR_BUF_SIZE];

		for (int i = 0; i < v->n; i++)
			g_string_append_printf(now, "%s%s", i ? ";" : "",
				g_ascii_formatd(buf, sizeof(buf), "%g",
						v->v[i]));
		printf("%s\t%s\t%s\t%s\t%g..%g\t%s\n", (*r)->name, now->str,
		       (*r)->quick, (*r)->full, (*r)->lo, (*r)->hi,
		       (*r)->doc);
		g_string_free(now, TRUE);
	}
}

static int cmd_list(struct run_opts *o, const char *what)
{
	const struct case_desc *const *k;
	struct cell cells[6];
	char *vreason = NULL, *areason = NULL, *kernel = NULL, *initrd = NULL;
	char err[ERRLEN];
	bool vok;
	const char *accel;
	int n, i;

	if (what && !strcmp(what, "cases")) {
		for (k = case_table; *k; k++)
			printf("%s\n", (*k)->name);
		return EXIT_PASS;
	}
	if (what && !strcmp(what, "controls")) {
		list_controls();
		return EXIT_PASS;
	}
	if (what && !strcmp(what, "params")) {
		list_params(&o->prof);
		return EXIT_PASS;
	}
	if (what)
		return usage_error("unknown list '%s' (cases, controls, "
				   "params)", what);
	vok = host_probe_vhost(&vreason);
	accel = host_pick_accel(o->accel, &areason);
	printf("cases:\n");
	for (k = case_table; *k; k++) {
		printf("  %-10s %s\n  %-10s (Fedora vhost-net plan case %d: "
		       "%s)\n", (*k)->name, (*k)->summary, "",
		       (*k)->plan_case, (*k)->plan);
		if ((*k)->only_model)
			printf("  %-10s note: %s\n", "", (*k)->skip_reason);
	}
	printf("cells:\n");
	n = run_cells(o, cells, vok, "vhost-net not available on this host");
	for (i = 0; i < n; i++)
		printf("  %-20s %s%s\n", cells[i].name,
		       cells[i].skip ? "SKIP: " : "runs",
		       cells[i].skip ? cells[i].skip : "");
	printf("host:\n  accelerator: %s (%s)\n", accel, areason);
	printf("  vhost-net: %s\n", vok ? "available" : vreason);
	if (image_check(o->image_dir, &kernel, &initrd, err) == 0)
		printf("  guest image: %s\n", o->image_dir);
	else
		printf("  guest image: unusable (%s)\n", err);
	printf("  lab: %s\n", o->uri ? o->uri : "private (network namespace, "
	       "own libvirtd; needs root)");
	g_free(vreason);
	g_free(areason);
	g_free(kernel);
	g_free(initrd);
	return EXIT_PASS;
}

static int cmd_cleanup(int argc, char **argv)
{
	char *uri = NULL;
	GOptionEntry entries[] = {
		{ "connect", 0, 0, G_OPTION_ARG_STRING, &uri,
		  "also remove nicq-* domains and networks there", "URI" },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new(NULL);
	GError *gerr = NULL;
	char err[ERRLEN];
	int n, rc = EXIT_PASS;

	g_option_context_set_summary(ctx, "Remove what earlier nicq runs "
				     "left behind.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
		rc = usage_error("%s", gerr->message);
		g_error_free(gerr);
	} else if (uri && check_uri(uri, err) < 0) {
		rc = usage_error("%s", err);
	} else if ((n = lab_cleanup(uri, err)) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_INFRA;
	} else {
		fprintf(stderr, "nicq: cleanup removed %d item%s\n", n,
			n == 1 ? "" : "s");
	}
	g_option_context_free(ctx);
	g_free(uri);
	return rc;
}

/* nicq report [--junit FILE] RUN_DIR: render a run folder's reports again. */
static int cmd_report(int argc, char **argv)
{
	char *junit = NULL, *junit_abs = NULL, *dir = NULL;
	GOptionEntry entries[] = {
		{ "junit", 0, 0, G_OPTION_ARG_FILENAME, &junit,
		  "also write the JUnit XML there", "FILE" },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("RUN_DIR");
	GError *gerr = NULL;
	JsonObject *run = NULL;
	char err[ERRLEN];
	int rc = EXIT_PASS;

	g_option_context_set_summary(ctx, "Write a run folder's results.json, "
		"junit.xml and report.html again from its run.json and its "
		"points' result.json files.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
		rc = usage_error("%s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (argc != 2) {
		rc = usage_error("nicq report wants one run folder (got %d)",
				 argc - 1);
		goto out;
	}
	dir = g_canonicalize_filename(argv[1], NULL);
	if (report_load_runinfo(dir, &run, err) < 0) {
		rc = usage_error("%s", err);
		goto out;
	}
	if (junit)
		junit_abs = g_canonicalize_filename(junit, NULL);
	if (report_render(dir, junit_abs, err) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_INFRA;
		goto out;
	}
	fprintf(stderr, "nicq: wrote %s/%s, %s and %s\n", dir,
		REPORT_RESULTS_FILE, REPORT_JUNIT_FILE, REPORT_HTML_FILE);
out:
	if (run)
		json_object_unref(run);
	g_option_context_free(ctx);
	g_free(junit);
	g_free(junit_abs);
	g_free(dir);
	return rc;
}

/* nicq merge [--junit FILE] OUT_DIR SHARD_DIR...: join shards' run folders. */
static int cmd_merge(int argc, char **argv, char **full_argv)
{
	char *junit = NULL, *junit_abs = NULL, err[ERRLEN];
	GOptionEntry entries[] = {
		{ "junit", 0, 0, G_OPTION_ARG_FILENAME, &junit,
		  "also write the merged JUnit XML there", "FILE" },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("OUT_DIR SHARD_DIR...");
	char **args = g_strdupv(full_argv);	/* as typed, for run.json */
	GError *gerr = NULL;
	int rc;

	g_option_context_set_summary(ctx, "Join the run folders of the shards "
		"of one matrix ('nicq run --shard I/N' for I = 1..N, on any "
		"hosts) into the new run folder OUT_DIR, as one run: its points "
		"(copied), run.tap in matrix order, run.json, results.json, "
		"junit.xml and report.html.  Shards of different nicq, QEMU or "
		"libvirt versions, guest images, profiles or options, and "
		"missing or overlapping shards, are refused (exit 2).  Exit "
		"status as the unsplit run's: 0 every point passed, 1 a point "
		"failed, 3 a shard bailed out.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
		rc = usage_error("%s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (argc < 3) {
		rc = usage_error("nicq merge wants OUT_DIR and at least one "
				 "shard's run folder (got %d argument%s)",
				 argc - 1, argc == 2 ? "" : "s");
		goto out;
	}
	if (junit)
		junit_abs = g_canonicalize_filename(junit, NULL);
	rc = merge_runs(argv[1], (const char *const *)argv + 2, argc - 2,
			args, junit_abs, err);
	if (rc == EXIT_USAGE || rc == EXIT_INFRA) {
		fprintf(stderr, "nicq: %s\n", err);
	} else {
		char *abs = g_canonicalize_filename(argv[1], NULL);

		fprintf(stderr, "nicq: merged %d shard%s into %s\n", argc - 2,
			argc == 3 ? "" : "s", abs);
		g_free(abs);
	}
out:
	g_option_context_free(ctx);
	g_strfreev(args);
	g_free(junit);
	g_free(junit_abs);
	return rc;
}

/* nicq compare [--tolerance NAME=PCT]... [--verbose] OLD... NEW */
static int cmd_compare(int argc, char **argv)
{
	char **tols = NULL, err[ERRLEN];
	gboolean verbose = FALSE;
	GOptionEntry entries[] = {
		{ "tolerance", 't', 0, G_OPTION_ARG_STRING_ARRAY, &tols,
		  "the tolerance of a metric (duration, boot, throughput, "
		  "knee) as a share of the OLD mean, instead of its spread; "
		  "repeatable", "NAME=PCT" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
		  "also list the metrics within their tolerance", NULL },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("OLD... NEW");
	struct compare_opts opt = { 0 };
	JsonObject *docs[COMPARE_MAX_RUNS + 1];
	GError *gerr = NULL;
	int n = 0, rc;

	g_option_context_set_summary(ctx, "What changed from the OLD runs to "
		"NEW (run folders or results.json files): verdict changes and "
		"metrics (durations, boot times, throughput, the loss knee) "
		"against a tolerance from each metric's spread.  Exit status 1 "
		"when a verdict or a metric regressed, 0 otherwise.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
		rc = usage_error("%s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (argc < 3 || argc - 1 > COMPARE_MAX_RUNS + 1) {
		rc = usage_error("nicq compare wants OLD... NEW: 2 to %d runs "
				 "(got %d)", COMPARE_MAX_RUNS + 1, argc - 1);
		goto out;
	}
	for (int i = 0; tols && tols[i]; i++) {
		if (compare_parse_tolerance(tols[i], &opt, err) < 0) {
			rc = usage_error("%s", err);
			goto out;
		}
	}
	opt.verbose = verbose;
	for (n = 0; n < argc - 1; n++) {
		if (compare_load(argv[n + 1], &docs[n], err) < 0) {
			rc = usage_error("%s", err);
			goto out;
		}
	}
	rc = compare_runs(docs, n - 1, docs[n - 1], &opt, stdout) ?
	     EXIT_FAIL : EXIT_PASS;
out:
	for (int i = 0; i < n; i++)
		json_object_unref(docs[i]);
	g_strfreev(tols);
	g_option_context_free(ctx);
	return rc;
}

/*
 * nicq build-image [--force] [DIR]: build the guest image with the recipe
 * (guests/build-image.sh, installed under share/nicq/guests) into DIR, by
 * default where nicq run looks for it.
 */
static int cmd_build_image(int argc, char **argv)
{
	gboolean force = FALSE;
	GOptionEntry entries[] = {
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force,
		  "rebuild even when the image is up to date", NULL },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("[DIR]");
	GError *gerr = NULL;
	char *rec = NULL, *script = NULL, *dir = NULL;
	int rc;

	g_option_context_set_summary(ctx, "Build the guest image (a Debian "
		"kernel and a busybox/dropbear initramfs) from Debian packages "
		"into DIR (default: where 'nicq run' looks for it).  Needs "
		"root.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
		rc = usage_error("%s", gerr->message);
		g_error_free(gerr);
		g_option_context_free(ctx);
		return rc;
	}
	g_option_context_free(ctx);
	if (argc > 2)
		return usage_error("nicq build-image wants at most one folder");
	rec = recipe_dir();
	script = g_build_filename(rec, "build-image.sh", NULL);
	dir = argc == 2 ? g_strdup(argv[1]) : default_image_dir();
	if (!g_file_test(script, G_FILE_TEST_IS_EXECUTABLE)) {
		rc = usage_error("the guest recipe '%s' is missing", script);
	} else {
		char *args[] = { script, force ? "--force" : dir,
				 force ? dir : NULL, NULL };

		fflush(NULL);
		execv(script, args);
		fprintf(stderr, "nicq: cannot run '%s': %s\n", script,
			strerror(errno));
		rc = EXIT_INFRA;
	}
	g_free(rec);
	g_free(script);
	g_free(dir);
	return rc;
}

int main(int argc, char **argv)
{
	struct run_opts o;
	struct cli c;
	char *image = NULL;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("nicq %s\n", nicq_version());
		return EXIT_PASS;
	}
	if (strcmp(argv[1], "run") && strcmp(argv[1], "list") &&
	    strcmp(argv[1], "report") && strcmp(argv[1], "compare") &&
	    strcmp(argv[1], "merge") && strcmp(argv[1], "cleanup") &&
	    strcmp(argv[1], "build-image"))
		return usage_error("unknown command '%s' (list, run, report, "
				   "compare, merge, cleanup, build-image)",
				   argv[1]);
	/* GOption's "Usage:" line names the program: "nicq run" */
	{
		char *prg = g_strdup_printf("nicq %s", argv[1]);

		g_set_prgname(prg);
		g_free(prg);
	}
	if (!strcmp(argv[1], "cleanup"))
		return cmd_cleanup(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "compare"))
		return cmd_compare(argc - 1, argv + 1);
	if (!strcmp(argv[1], "merge"))
		return cmd_merge(argc - 1, argv + 1, argv);
	if (!strcmp(argv[1], "build-image"))
		return cmd_build_image(argc - 1, argv + 1);
	o.argv = g_strdupv(argv);	/* as typed: parsing takes options out */
	rc = parse_run_cli(argc - 1, argv + 1, argv[1], &o, &c);
	if (rc)
		return rc;
	if (!o.image_dir)
		o.image_dir = image = default_image_dir();
	if (!strcmp(argv[1], "list")) {
		rc = cmd_list(&o, c.list);
	} else {
		interrupt_install();
		rc = run_matrix(&o);
	}
	g_free(image);
	g_free(c.models);
	g_free(c.vhost);
	g_free(c.cases);
	g_free(c.profile);
	g_free(c.config);
	g_free(c.results);
	g_free(c.uri);
	g_free(c.accel);
	g_free(c.image);
	g_free(c.inject);
	g_free(c.junit);
	g_free(c.junit_abs);
	g_strfreev(c.baselines);
	g_free(c.shard);
	g_free(c.list);
	g_free(c.boot);
	g_free(c.jobs_why);
	g_free(o.results_root);
	g_strfreev(o.argv);
	return rc;
}
