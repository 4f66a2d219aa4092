/*
 * main.c - the nicq command line.  Only this level prints errors and
 * chooses exit codes (0 pass, 1 case failed, 2 usage/config, 3 infra).
 */
#include "case.h"
#include "lab.h"
#include "hostprobe.h"
#include "runner.h"
#include "util.h"

#include <glib.h>
#include <libxml/uri.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: nicq list [controls|params] [options]\n"
	"       nicq run [--model M,..] [--vhost off|on|both] [--case C,..]\n"
	"                [--profile quick|full] [--config FILE] [--results DIR]\n"
	"                [--connect URI] [--accel auto|tcg|kvm]\n"
	"                [--tap-version 13|14] [--image DIR] [--inject FAULT]\n"
	"       nicq cleanup [--connect URI]\n"
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

static char *default_image_dir(void)
{
	const char *env = getenv("NICQ_IMAGE_DIR");

	if (env && *env)
		return g_strdup(env);
	return g_build_filename(NICQ_SRCDIR, "build", "guest", NULL);
}

struct cli {
	char *models, *vhost, *cases, *profile, *config, *results, *uri;
	char *accel, *image, *inject;
	char *list;		/* nicq list controls|params */
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
		{ "image", 0, 0, G_OPTION_ARG_FILENAME, &c->image,
		  "guest image folder (default: build/guest)", "DIR" },
		{ "inject", 0, 0, G_OPTION_ARG_STRING, &c->inject,
		  "negative control on the taps: drop=PCT, drop-frag, drop-over=BYTES, vlan-rewrite=FROM:TO[@NIC] (toward NIC number NIC only), corrupt-tcp, drop-mcast, drop-udp=PCT, drop-tftp; or one a case acts on: s4-fresh-boot (suspend: the hibernation image is wiped), mcast-allmulti (multicast: the NIC in allmulticast mode), vlan-promisc (vlan: guest B's NIC promiscuous), arp-flux (multinic: arp_ignore/arp_announce left at 0); or hang=CASE (that case's process hangs: a control for the deadline)", "F" },
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

/* Parse options common to list and run into o; returns 0 or an exit code. */
static int parse_run_cli(int argc, char **argv, const char *cmd,
			 struct run_opts *o, struct cli *c)
{
	GOptionContext *ctx;
	GOptionEntry entries[13];
	GError *gerr = NULL;
	char err[ERRLEN];
	int i, rc = 0;

	for (i = 0; i < 12; i++)
		entries[i] = run_entries(c, i);
	memset(&entries[12], 0, sizeof(entries[12]));
	ctx = g_option_context_new(NULL);
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

	if (what && !strcmp(what, "controls")) {
		list_controls();
		return EXIT_PASS;
	}
	if (what && !strcmp(what, "params")) {
		list_params(&o->prof);
		return EXIT_PASS;
	}
	if (what)
		return usage_error("unknown list '%s' (controls, params)",
				   what);
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
	if (!strcmp(argv[1], "cleanup"))
		return cmd_cleanup(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") && strcmp(argv[1], "list"))
		return usage_error("unknown command '%s' (list, run, cleanup)",
				   argv[1]);
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
	g_free(c.list);
	g_free(o.results_root);
	return rc;
}
