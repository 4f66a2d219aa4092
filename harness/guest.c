/* guest.c - see guest.h. */
#include "guest.h"
#include "util.h"

#include <glib.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *virt_msg(void)
{
	virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

static char *field(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	size_t n;

	if (!p)
		return NULL;
	p += strlen(key);
	n = strcspn(p, " \r\n");
	return g_strndup(p, n);
}

/*
 * Scan the console text for the marker and for fatal signs.  Returns 1 when
 * the marker was found, -1 on a panic, 0 otherwise.
 */
static int scan_console(struct guest *g, const char *text, char *err)
{
	const char *m = strstr(text, "NICQ-READY ");
	const char *p;
	GString *errs = g_string_new(NULL);

	for (p = strstr(text, "NICQ-ERROR "); p && (!m || p < m);
	     p = strstr(p + 1, "NICQ-ERROR ")) {
		size_t n = strcspn(p, "\r\n");

		g_string_append_printf(errs, "%s%.*s", errs->len ? "; " : "",
				       (int)n, p + 11);
	}
	g_free(g->marker_errors);
	g->marker_errors = errs->len ? g_string_free(errs, FALSE) : NULL;
	if (!g->marker_errors)
		g_string_free(errs, TRUE);
	if (strstr(text, "Kernel panic")) {
		err_set(err, "guest %s panicked during boot (see %s)", g->name,
			g->console_path);
		return -1;
	}
	if (!m && strstr(text, "No bootable device")) {
		err_set(err, "guest %s found no bootable device: its BIOS gave "
			"up (see %s)", g->name, g->console_path);
		return -1;
	}
	if (!m || !strchr(m, '\n'))
		return 0;
	g->hostkey = field(m, "hostkey-sha256=");
	g->ifaces = field(m, "ifaces=");
	if (!g->hostkey || strlen(g->hostkey) != 64) {
		err_set(err, "guest %s printed a malformed readiness marker",
			g->name);
		return -1;
	}
	return 1;
}

int guest_boot(struct lab *lab, const struct domain_spec *spec,
	       int timeout_ms, struct guest **out, char *err)
{
	return guest_boot_hooked(lab, spec, timeout_ms, NULL, NULL, out, err);
}

int guest_boot_hooked(struct lab *lab, const struct domain_spec *spec,
		      int timeout_ms, int (*hook)(void *arg, char *err),
		      void *arg, struct guest **out, char *err)
{
	struct guest *g = g_new0(struct guest, 1);
	int64_t start, deadline;
	int rc = 0;

	g->name = g_strdup(spec->name);
	g->lab = lab;
	g->console_path = g_strdup(spec->console_log);
	if (domxml_domain(spec, &g->xml, err) < 0)
		goto fail;
	unlink(g->console_path);
	start = mono_ms();
	deadline = start + timeout_ms;
	g->dom = virDomainCreateXML(lab->conn, g->xml,
				    hook ? VIR_DOMAIN_START_PAUSED : 0);
	if (!g->dom) {
		err_set(err, "cannot start guest %s: %s", g->name, virt_msg());
		goto fail;
	}
	lab_track_domain(lab, g->name);
	if (hook) {
		if (hook(arg, err) < 0)
			goto fail;
		if (virDomainResume(g->dom) < 0) {
			err_set(err, "cannot resume guest %s: %s", g->name,
				virt_msg());
			goto fail;
		}
		start = mono_ms();
		deadline = start + timeout_ms;
	}
	for (;;) {
		char *text = NULL;
		int state = 0, reason = 0;

		if (file_read(g->console_path, &text, NULL, NULL) == 0) {
			rc = scan_console(g, text, err);
			g_free(text);
			if (rc != 0)
				break;
		}
		if (virDomainGetState(g->dom, &state, &reason, 0) < 0 ||
		    state != VIR_DOMAIN_RUNNING) {
			err_set(err, "guest %s stopped during boot (state %d, "
				"reason %d; see %s)", g->name, state, reason,
				g->console_path);
			rc = -1;
			break;
		}
		if (interrupted()) {
			err_set(err, "interrupted while guest %s was booting",
				g->name);
			rc = -1;
			break;
		}
		if (deadline_left(deadline) == 0) {
			err_set(err, "guest %s not ready within %d s (no "
				"NICQ-READY on its console %s)", g->name,
				timeout_ms / 1000, g->console_path);
			rc = -1;
			break;
		}
		usleep(100000);
	}
	if (rc < 0)
		goto fail;
	g->boot_ms = mono_ms() - start;
	*out = g;
	return 0;
fail:
	guest_destroy(g);
	return -1;
}

char *guest_ifname(const struct guest *g, const char *mac)
{
	char **items, **it;
	char *name = NULL;

	if (!g->ifaces)
		return NULL;
	items = g_strsplit(g->ifaces, ",", -1);
	for (it = items; *it; it++) {
		char *eq = strchr(*it, '=');

		if (eq && !g_ascii_strcasecmp(eq + 1, mac)) {
			name = g_strndup(*it, (gsize)(eq - *it));
			break;
		}
	}
	g_strfreev(items);
	return name;
}

char *guest_live_xml(struct guest *g)
{
	char *x = virDomainGetXMLDesc(g->dom, 0);
	char *copy = x ? g_strdup(x) : NULL;

	free(x);
	return copy;
}

static char *xpath_str(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr obj;
	char *out = NULL;

	if (!ctx)
		return NULL;
	obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	if (obj && obj->type == XPATH_STRING && obj->stringval &&
	    obj->stringval[0])
		out = g_strdup((const char *)obj->stringval);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	return out;
}

static char *qemu_cmdline(struct guest *g)
{
	char *pidfile, *pidtext = NULL, *path, *cmd = NULL;
	size_t len = 0, i;

	if (g->lab->private_lab)
		pidfile = g_strdup_printf("%s/run/libvirt/qemu/%s.pid",
					  g->lab->dir, g->name);
	else
		pidfile = g_strdup_printf("/run/libvirt/qemu/%s.pid", g->name);
	if (file_read(pidfile, &pidtext, NULL, NULL) < 0) {
		g_free(pidfile);
		return NULL;
	}
	path = g_strdup_printf("/proc/%d/cmdline", atoi(pidtext));
	if (file_read(path, &cmd, &len, NULL) == 0)
		for (i = 0; i < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
	g_free(path);
	g_free(pidtext);
	g_free(pidfile);
	return cmd;
}

int guest_check_vhost(struct guest *g, int nic, bool want, char **measured,
		      char *err)
{
	char *xml = guest_live_xml(g), *expr, *driver, *cmd;
	xmlDocPtr doc;
	bool xml_vhost, cmd_vhost = false, have_cmd;
	int rc = 0;

	if (!xml) {
		err_set(err, "cannot read live XML of %s: %s", g->name,
			virt_msg());
		return -1;
	}
	doc = xmlReadMemory(xml, (int)strlen(xml), "live.xml", NULL,
			    XML_PARSE_NONET);
	g_free(xml);
	if (!doc) {
		err_set(err, "cannot parse live XML of %s", g->name);
		return -1;
	}
	expr = g_strdup_printf("string(/domain/devices/interface[%d]/driver/@name)",
			       nic + 1);
	driver = xpath_str(doc, expr);
	g_free(expr);
	xmlFreeDoc(doc);
	xml_vhost = driver && !strcmp(driver, "vhost");
	cmd = qemu_cmdline(g);
	have_cmd = cmd != NULL;
	if (cmd)
		cmd_vhost = strstr(cmd, "vhost=on") || strstr(cmd, "vhostfd");
	*measured = g_strdup_printf("live XML driver=%s%s%s",
				    driver ? driver : "(none)",
				    have_cmd ? ", qemu vhost=" : "",
				    have_cmd ? (cmd_vhost ? "on" : "off") : "");
	if (xml_vhost != want || (have_cmd && cmd_vhost != want)) {
		err_set(err, "guest %s NIC %d: wanted vhost=%s, found %s",
			g->name, nic, want ? "on" : "off", *measured);
		rc = -1;
	}
	g_free(driver);
	g_free(cmd);
	return rc;
}

void guest_destroy(struct guest *g)
{
	if (!g)
		return;
	if (g->dom) {
		virDomainDestroy(g->dom);
		virDomainFree(g->dom);
		lab_untrack_domain(g->lab, g->name);
	}
	g_free(g->name);
	g_free(g->console_path);
	g_free(g->xml);
	g_free(g->hostkey);
	g_free(g->ifaces);
	g_free(g->marker_errors);
	g_free(g);
}
