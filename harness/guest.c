/* guest.c - see guest.h. */
#include "console.h"
#include "guest.h"
#include "util.h"

#include <glib.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *virt_msg(void)
{
	virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

/*
 * Take what the console has shown: NICQ-ERROR lines, the marker, fatal
 * signs.  Returns 1 when a sound marker arrived, -1 on a panic, a BIOS
 * that gave up or a malformed marker, 0 otherwise.
 */
static int scan_console(struct guest *g, struct console_scan *cs, char *err)
{
	const struct console_seen *s = console_scan_seen(cs);

	g_free(g->marker_errors);
	g->marker_errors = g_strdup(s->errors);
	if (s->panic) {
		err_set(err, "guest %s panicked during boot (see %s)", g->name,
			g->console_path);
		return -1;
	}
	if (!s->ready && s->no_boot) {
		err_set(err, "guest %s found no bootable device: its BIOS gave "
			"up (see %s)", g->name, g->console_path);
		return -1;
	}
	if (!s->ready)
		return 0;
	if (s->bad) {
		err_set(err, "guest %s printed a malformed readiness marker: "
			"%s (see %s)", g->name, s->bad, g->console_path);
		return -1;
	}
	g_free(g->hostkey);
	g_free(g->ifaces);
	g->hostkey = g_strdup(s->hostkey);
	g->ifaces = g_strdup(s->ifaces);
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
	struct console_scan *cs = NULL;
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
	cs = console_scan_new(g->console_path, NULL);
	for (;;) {
		int state = 0, reason = 0;

		console_scan_poll(cs);
		rc = scan_console(g, cs, err);
		if (rc != 0)
			break;
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
	console_scan_free(cs);
	g->boot_ms = mono_ms() - start;
	*out = g;
	return 0;
fail:
	console_scan_free(cs);
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

int guest_state(struct guest *g, char *err)
{
	virErrorPtr e;
	int state = 0, reason = 0;

	if (g->dom && virDomainGetState(g->dom, &state, &reason, 0) == 0)
		return state;
	e = virGetLastError();
	if (!g->dom || (e && e->code == VIR_ERR_NO_DOMAIN))
		return VIR_DOMAIN_SHUTOFF;	/* a transient domain, gone */
	err_set(err, "cannot get the state of %s: %s", g->name, virt_msg());
	return -1;
}

const char *guest_state_name(int state)
{
	static const char *const names[] = {
		[VIR_DOMAIN_NOSTATE] = "nostate",
		[VIR_DOMAIN_RUNNING] = "running",
		[VIR_DOMAIN_BLOCKED] = "blocked",
		[VIR_DOMAIN_PAUSED] = "paused",
		[VIR_DOMAIN_SHUTDOWN] = "shutdown",
		[VIR_DOMAIN_SHUTOFF] = "shutoff",
		[VIR_DOMAIN_CRASHED] = "crashed",
		[VIR_DOMAIN_PMSUSPENDED] = "pmsuspended",
	};

	if (state < 0 || (size_t)state >= G_N_ELEMENTS(names) ||
	    !names[state])
		return "unknown";
	return names[state];
}

int guest_wait_state(struct guest *g, int want, int timeout_ms, char *err)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int st;

	for (;;) {
		st = guest_state(g, err);
		if (st < 0)
			return -1;
		if (st == want)
			return 0;
		if (interrupted()) {
			err_set(err, "interrupted while waiting for %s to be "
				"%s", g->name, guest_state_name(want));
			return -1;
		}
		if (deadline_left(deadline) == 0) {
			err_set(err, "%s not %s within %d ms (still %s)",
				g->name, guest_state_name(want), timeout_ms,
				guest_state_name(st));
			return -1;
		}
		usleep(100000);
	}
}

int guest_pm_wakeup(struct guest *g, char *err)
{
	if (!g->dom || virDomainPMWakeup(g->dom, 0) < 0) {
		err_set(err, "cannot wake %s: %s", g->name, virt_msg());
		return -1;
	}
	return 0;
}

int guest_restart(struct guest *g, char *err)
{
	int st = guest_state(g, err);

	if (st < 0)
		return -1;
	if (st != VIR_DOMAIN_SHUTOFF) {
		err_set(err, "cannot restart %s: it is %s, not shut off",
			g->name, guest_state_name(st));
		return -1;
	}
	if (g->dom) {
		virDomainFree(g->dom);
		g->dom = NULL;
	}
	g->dom = virDomainCreateXML(g->lab->conn, g->xml, 0);
	if (!g->dom) {
		err_set(err, "cannot start guest %s again: %s", g->name,
			virt_msg());
		return -1;
	}
	return 0;
}

int guest_wait_resume(struct guest *g, const char *marker, int timeout_ms,
		      char *err)
{
	int64_t deadline = mono_ms() + timeout_ms;
	struct console_scan *cs = console_scan_new(g->console_path, marker);
	int rc;

	for (;;) {
		int st;

		console_scan_poll(cs);
		if (console_scan_seen(cs)->marker) {
			rc = 1;
			break;
		}
		rc = scan_console(g, cs, err);
		if (rc != 0) {
			rc = rc < 0 ? -1 : 0;	/* NICQ-READY: a fresh boot */
			break;
		}
		rc = -1;
		st = guest_state(g, err);
		if (st < 0)
			break;
		if (st != VIR_DOMAIN_RUNNING) {
			err_set(err, "guest %s stopped while resuming (%s; see "
				"%s)", g->name, guest_state_name(st),
				g->console_path);
			break;
		}
		if (interrupted()) {
			err_set(err, "interrupted while guest %s was resuming",
				g->name);
			break;
		}
		if (deadline_left(deadline) == 0) {
			err_set(err, "guest %s neither resumed nor booted "
				"within %d s (see %s)", g->name,
				timeout_ms / 1000, g->console_path);
			break;
		}
		usleep(100000);
	}
	console_scan_free(cs);
	return rc;
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

int guest_set_link(struct guest *g, const char *mac, bool up, char *err)
{
	char *live = guest_live_xml(g), *xml = NULL;
	int rc = -1;

	if (!live) {
		err_set(err, "cannot read live XML of %s: %s", g->name,
			virt_msg());
		return -1;
	}
	if (domxml_iface_link(live, mac, up, &xml, err) < 0)
		goto out;
	if (virDomainUpdateDeviceFlags(g->dom, xml,
				       VIR_DOMAIN_AFFECT_LIVE) < 0) {
		err_set(err, "cannot set the link of %s's NIC %s %s: %s",
			g->name, mac, up ? "up" : "down", virt_msg());
		goto out;
	}
	rc = 0;
out:
	g_free(live);
	g_free(xml);
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
	} else if (g->lab && g->name) {
		/* a guest_restart() that failed: nothing runs under the name */
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

int guest_save(struct guest *g, const char *path, char *err)
{
	if (!g->dom) {
		err_set(err, "guest %s is not running", g->name);
		return -1;
	}
	if (virDomainSaveFlags(g->dom, path, NULL,
			       VIR_DOMAIN_SAVE_RUNNING) < 0) {
		err_set(err, "cannot save guest %s to '%s': %s", g->name, path,
			virt_msg());
		return -1;
	}
	/* a saved transient domain is gone */
	virDomainFree(g->dom);
	g->dom = NULL;
	lab_untrack_domain(g->lab, g->name);
	return 0;
}

int guest_restore(struct lab *lab, const struct domain_spec *spec,
		  const char *image, const char *hostkey, const char *ifaces,
		  struct guest **out, char *err)
{
	struct guest *g = g_new0(struct guest, 1);
	char *saved = NULL;
	int64_t start;

	g->name = g_strdup(spec->name);
	g->lab = lab;
	g->console_path = g_strdup(spec->console_log);
	g->hostkey = g_strdup(hostkey);
	g->ifaces = g_strdup(ifaces);
	g->restored = true;
	saved = virDomainSaveImageGetXMLDesc(lab->conn, image, 0);
	if (!saved) {
		err_set(err, "cannot read the saved guest '%s': %s", image,
			virt_msg());
		goto fail;
	}
	if (domxml_retarget(saved, spec, &g->xml, err) < 0)
		goto fail;
	unlink(g->console_path);
	start = mono_ms();
	if (virDomainRestoreFlags(lab->conn, image, g->xml,
				  VIR_DOMAIN_SAVE_RUNNING) < 0) {
		err_set(err, "cannot restore guest %s from '%s': %s", g->name,
			image, virt_msg());
		goto fail;
	}
	lab_track_domain(lab, g->name);
	g->dom = virDomainLookupByName(lab->conn, g->name);
	if (!g->dom) {
		err_set(err, "guest %s restored but not found: %s", g->name,
			virt_msg());
		goto fail;
	}
	g->boot_ms = mono_ms() - start;
	free(saved);
	*out = g;
	return 0;
fail:
	free(saved);
	guest_destroy(g);
	return -1;
}
