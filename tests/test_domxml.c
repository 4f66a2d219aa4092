/*
 * test_domxml.c - domain and network XML against golden files.
 *
 * Every golden file in fixtures/xml/ is compared byte for byte with what
 * domxml.c builds, then checked twice: against libvirt's RelaxNG schema
 * (virt-xml-validate) and by libvirt's own parser through the in-process
 * test driver (test:///default: no daemon, nothing on the host touched),
 * which also catches what a schema cannot (duplicate boot orders,
 * <os><boot> next to per-device boot).
 *
 * NICQ_REGENERATE=1 rewrites the golden files instead of comparing, like
 * libvirt's VIR_TEST_REGENERATE_OUTPUT; review the diff before committing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domxml.h"
#include "util.h"

#define FIXTURES NICQ_SRCDIR "/fixtures/xml"
#define VALIDATOR "/usr/bin/virt-xml-validate"

/* ---- specs ---- */

static void set_mac(struct nic_spec *nic, int last)
{
	g_snprintf(nic->mac, sizeof(nic->mac), "52:54:00:12:00:%02x", last);
}

/* A direct-kernel-boot TCG guest with one NIC on a bridge. */
static void base_domain(struct domain_spec *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->type = "qemu";
	d->memory_mib = 384;
	d->vcpus = 1;
	d->kernel = "/var/lib/nicq/guest/vmlinuz";
	d->initrd = "/var/lib/nicq/guest/initrd.gz";
	d->cmdline = "console=ttyS0 panic=-1 quiet";
	d->console_log = "/var/lib/nicq/results/run1/console.log";
	d->n_nics = 1;
	d->nics[0].model = NIC_VIRTIO;
	set_mac(&d->nics[0], 1);
	d->nics[0].bridge = "nicq-br0";
	d->nics[0].target = "nicq-t0";
}

static void base_network(struct net_spec *n, const char *name)
{
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->bridge = "nicq-br0";
}

static void dom_rtl8139(struct domain_spec *d)
{
	base_domain(d, "nicq-rtl8139");
	d->nics[0].model = NIC_RTL8139;
}

static void dom_e1000(struct domain_spec *d)
{
	base_domain(d, "nicq-e1000");
	d->nics[0].model = NIC_E1000;
}

static void dom_virtio_vhost(struct domain_spec *d)
{
	base_domain(d, "nicq-virtio-vhost");
	d->nics[0].vhost = true;
}

static void dom_virtio_qemu(struct domain_spec *d)
{
	base_domain(d, "nicq-virtio-qemu");
	d->nics[0].vhost = false;
}

static void dom_kvm(struct domain_spec *d)
{
	base_domain(d, "nicq-kvm");
	d->type = "kvm";
	d->nics[0].vhost = true;
}

static void dom_3nics(struct domain_spec *d)
{
	base_domain(d, "nicq-3nics");
	d->n_nics = 3;
	d->nics[0].bridge = NULL;
	d->nics[0].network = "nicq-seg-a";
	d->nics[0].target = "nicq-t0";
	d->nics[1].model = NIC_E1000;
	set_mac(&d->nics[1], 2);
	d->nics[1].bridge = "nicq-br1";
	d->nics[1].target = "nicq-t1";
	d->nics[2].model = NIC_RTL8139;
	set_mac(&d->nics[2], 3);
	d->nics[2].network = "nicq-seg-b";
}

/* PXE: no kernel, NICs carry the boot order, so no <os><boot>. */
static void dom_pxe(struct domain_spec *d)
{
	base_domain(d, "nicq-pxe");
	d->kernel = NULL;
	d->initrd = NULL;
	d->cmdline = NULL;
	d->n_nics = 2;
	d->nics[0].network = "nicq-pxe";
	d->nics[0].bridge = NULL;
	d->nics[0].boot_order = 1;
	d->nics[0].rom_file = "/usr/lib/ipxe/qemu/pxe-virtio.rom";
	d->nics[1].model = NIC_E1000;
	set_mac(&d->nics[1], 2);
	d->nics[1].network = "nicq-pxe";
	d->nics[1].target = "nicq-t1";
	d->nics[1].rom_off = true;
}

/* PXE without boot orders: <os><boot dev='network'/>. */
static void dom_pxe_os_boot(struct domain_spec *d)
{
	base_domain(d, "nicq-pxe-os-boot");
	d->kernel = NULL;
	d->initrd = NULL;
	d->cmdline = NULL;
	d->nics[0].model = NIC_RTL8139;
	d->nics[0].rom_file = "/usr/lib/ipxe/qemu/pxe-rtl8139.rom";
}

/*
 * PXE as the pxe case boots it: QEMU's default ROM, boot order 1 on the
 * NIC under test, the BIOS and iPXE on the serial console.
 */
static void dom_pxe_serial(struct domain_spec *d)
{
	base_domain(d, "nicq-pxe-serial");
	d->kernel = NULL;
	d->initrd = NULL;
	d->cmdline = NULL;
	d->bios_serial = true;
	d->nics[0].model = NIC_E1000;
	d->nics[0].boot_order = 1;
}

static void dom_mtu9000(struct domain_spec *d)
{
	base_domain(d, "nicq-mtu9000");
	d->nics[0].model = NIC_E1000;
	d->nics[0].mtu = 9000;
}

static void dom_link_down(struct domain_spec *d)
{
	base_domain(d, "nicq-link-down");
	d->nics[0].link_down = true;
}

static void dom_pm(struct domain_spec *d)
{
	base_domain(d, "nicq-pm");
	d->pm_suspend_to_mem = true;
	d->pm_suspend_to_disk = true;
}

static void dom_disk(struct domain_spec *d)
{
	base_domain(d, "nicq-disk");
	d->emulator = "/usr/bin/qemu-system-x86_64";
	d->disk = "/var/lib/nicq/guest/scratch.img";
	d->memory_mib = 512;
	d->vcpus = 2;
}

static void net_plain(struct net_spec *n)
{
	base_network(n, "nicq-plain");
}

static void net_mtu(struct net_spec *n)
{
	base_network(n, "nicq-jumbo");
	n->bridge = "nicq-br9k";
	n->mtu = 9000;
}

static void net_dhcp_tftp(struct net_spec *n)
{
	base_network(n, "nicq-pxe");
	n->bridge = "nicq-brpxe";
	n->ip = "198.18.0.1";
	n->prefix = 24;
	n->dhcp_start = "198.18.0.100";
	n->dhcp_end = "198.18.0.199";
	n->tftp_root = "/var/lib/nicq/tftp";
	n->boot_file = "pxelinux.0";
}

/* As the pxe case makes it: an IPv6 prefix too, for router advertisements. */
static void net_dhcp_tftp_ra(struct net_spec *n)
{
	net_dhcp_tftp(n);
	n->name = "nicq-pxe-ra";
	n->ip6 = "2001:2:0:10::1";
	n->prefix6 = 64;
}

static void net_ipv6(struct net_spec *n)
{
	/* 2001:2::/48 is the IPv6 benchmarking range (RFC 5180). */
	base_network(n, "nicq-v6");
	n->bridge = "nicq-brv6";
	n->ip = "2001:2::1";
	n->prefix = 64;
	n->dhcp_start = "2001:2::100";
	n->dhcp_end = "2001:2::1ff";
}

struct golden {
	const char *file;
	void (*dom)(struct domain_spec *);
	void (*net)(struct net_spec *);
};

static const struct golden goldens[] = {
	{ "dom-rtl8139.xml", dom_rtl8139, NULL },
	{ "dom-e1000.xml", dom_e1000, NULL },
	{ "dom-virtio-vhost.xml", dom_virtio_vhost, NULL },
	{ "dom-virtio-qemu.xml", dom_virtio_qemu, NULL },
	{ "dom-kvm.xml", dom_kvm, NULL },
	{ "dom-3nics.xml", dom_3nics, NULL },
	{ "dom-pxe.xml", dom_pxe, NULL },
	{ "net-dhcp-tftp-ra.xml", NULL, net_dhcp_tftp_ra },
	{ "dom-pxe-os-boot.xml", dom_pxe_os_boot, NULL },
	{ "dom-pxe-serial.xml", dom_pxe_serial, NULL },
	{ "dom-mtu9000.xml", dom_mtu9000, NULL },
	{ "dom-link-down.xml", dom_link_down, NULL },
	{ "dom-pm.xml", dom_pm, NULL },
	{ "dom-disk.xml", dom_disk, NULL },
	{ "net-plain.xml", NULL, net_plain },
	{ "net-mtu.xml", NULL, net_mtu },
	{ "net-dhcp-tftp.xml", NULL, net_dhcp_tftp },
	{ "net-ipv6.xml", NULL, net_ipv6 },
};

/* ---- checks shared by the tests ---- */

static bool regenerate(void)
{
	const char *v = getenv("NICQ_REGENERATE");

	return v && *v && strcmp(v, "0");
}

/* Exit status of virt-xml-validate FILE TYPE; verbose shows why it failed. */
static int schema_status(const char *path, const char *type, bool verbose)
{
	char *argv[] = { (char *)VALIDATOR, (char *)path, (char *)type, NULL };
	struct proc_result res;
	char err[ERRLEN];
	int status;

	if (spawn_run(argv, 60000, &res, err) != 0)
		fail_msg("%s", err);
	if (res.timed_out)
		fail_msg("%s %s: timed out", VALIDATOR, path);
	status = res.status;
	if (status != 0 && verbose)
		print_message("# %s %s %s: status %d\n%s%s", VALIDATOR, path,
			      type, status, res.out, res.errout);
	proc_result_clear(&res);
	return status;
}

/* Fails the test if the schema rejects path. */
static void assert_schema_valid(const char *path, const char *type)
{
	assert_int_equal(schema_status(path, type, true), 0);
}

static void quiet_virt_error(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

/*
 * libvirt's own parser, through the in-process test driver.  It does not
 * run the QEMU driver's checks, but does run the generic ones.
 */
/*
 * libvirt's own parser, through the in-process test driver.  It does not
 * run the QEMU driver's checks, but does run the generic ones.  Returns
 * NULL if libvirt accepts xml, else its message (g_free()).
 */
static char *libvirt_parse_error(const char *xml, bool is_domain)
{
	virConnectPtr conn;
	char *msg = NULL;

	virSetErrorFunc(NULL, quiet_virt_error);
	conn = virConnectOpen("test:///default");
	assert_non_null(conn);
	if (is_domain) {
		virDomainPtr dom = virDomainDefineXML(conn, xml);

		if (dom) {
			virDomainUndefine(dom);
			virDomainFree(dom);
		} else {
			msg = g_strdup(virGetLastErrorMessage());
		}
	} else {
		virNetworkPtr net = virNetworkDefineXML(conn, xml);

		if (net) {
			virNetworkUndefine(net);
			virNetworkFree(net);
		} else {
			msg = g_strdup(virGetLastErrorMessage());
		}
	}
	virConnectClose(conn);
	return msg;
}

static void assert_libvirt_parses(const char *xml, bool is_domain)
{
	char *msg = libvirt_parse_error(xml, is_domain);

	if (msg)
		print_error("libvirt rejects the XML: %s\n%s", msg, xml);
	assert_null(msg);
}

static void test_golden(void **state)
{
	const struct golden *g = *state;
	char err[ERRLEN] = "";
	char *xml = NULL, *want = NULL, *path;
	int rc;

	if (g->dom) {
		struct domain_spec d;

		g->dom(&d);
		rc = domxml_domain(&d, &xml, err);
	} else {
		struct net_spec n;

		g->net(&n);
		rc = domxml_network(&n, &xml, err);
	}
	if (rc != 0)
		print_error("%s: %s\n", g->file, err);
	assert_int_equal(rc, 0);
	assert_non_null(xml);

	path = g_build_filename(FIXTURES, g->file, NULL);
	if (regenerate()) {
		assert_int_equal(mkdir_p(FIXTURES, err), 0);
		assert_int_equal(file_write(path, xml, strlen(xml), err), 0);
	} else {
		if (file_read(path, &want, NULL, err) != 0)
			print_error("%s (run with NICQ_REGENERATE=1 to create "
				    "it)\n", err);
		assert_non_null(want);
		if (strcmp(want, xml))
			print_error("%s differs from the generated XML:\n%s",
				    path, xml);
		assert_string_equal(want, xml);
	}

	/* virt-xml-validate is a dependency (make deps): missing is a failure */
	if (access(VALIDATOR, X_OK) != 0)
		fail_msg("%s missing: install libvirt-clients (make deps)",
			 VALIDATOR);
	assert_schema_valid(path, g->dom ? "domain" : "network");
	assert_libvirt_parses(xml, g->dom != NULL);

	g_free(path);
	g_free(want);
	g_free(xml);
}

/*
 * Negative controls: both checkers above really reject what libvirt
 * rejects, so a golden test cannot pass because a checker is a no-op.
 */
static void test_checkers_reject(void **state)
{
	struct domain_spec d;
	char err[ERRLEN];
	char *xml = NULL, *bad, *dir, *path, *msg;

	(void)state;
	dom_pxe(&d);
	assert_int_equal(domxml_domain(&d, &xml, err), 0);
	/* <os><boot> next to per-device boot order: schema-valid, libvirt no */
	{
		char **parts = g_strsplit(xml, "</os>", 2);

		assert_non_null(parts[1]);
		bad = g_strconcat(parts[0], "<boot dev=\"network\"/></os>",
				  parts[1], NULL);
		g_strfreev(parts);
	}
	msg = libvirt_parse_error(bad, true);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "per-device boot"));
	g_free(msg);
	g_free(bad);

	/* an element the schema does not know */
	if (access(VALIDATOR, X_OK) != 0)
		fail_msg("%s missing: install libvirt-clients (make deps)",
			 VALIDATOR);
	{
		char **parts = g_strsplit(xml, "<vcpu>", 2);

		assert_non_null(parts[1]);
		bad = g_strconcat(parts[0], "<vcpu bogus=\"1\">", parts[1],
				  NULL);
		g_strfreev(parts);
		dir = g_dir_make_tmp("nicq-domxml-XXXXXX", NULL);
		assert_non_null(dir);
		path = g_build_filename(dir, "bad.xml", NULL);
		assert_int_equal(file_write(path, bad, strlen(bad), err), 0);
		assert_int_not_equal(schema_status(path, "domain", false), 0);
		assert_int_equal(rm_rf(dir, err), 0);
		g_free(path);
		g_free(dir);
		g_free(bad);
	}
	g_free(xml);
}

/* ---- properties of the output ---- */

static void test_model_names(void **state)
{
	(void)state;
	assert_string_equal(nic_model_libvirt(NIC_RTL8139), "rtl8139");
	assert_string_equal(nic_model_libvirt(NIC_E1000), "e1000");
	assert_string_equal(nic_model_libvirt(NIC_VIRTIO), "virtio");
	assert_null(nic_model_libvirt(NIC_MODEL_COUNT));
	assert_null(nic_model_libvirt((enum nic_model)-1));
}

static void test_deterministic(void **state)
{
	struct domain_spec d;
	char err[ERRLEN];
	char *a = NULL, *b = NULL;

	(void)state;
	dom_3nics(&d);
	assert_int_equal(domxml_domain(&d, &a, err), 0);
	assert_int_equal(domxml_domain(&d, &b, err), 0);
	assert_string_equal(a, b);
	g_free(a);
	g_free(b);
}

/* Evaluate an XPath string expression on xml. */
static char *xpath_string(const char *xml, const char *expr)
{
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	char *s;

	doc = xmlReadMemory(xml, (int)strlen(xml), "mem.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	assert_non_null(ctx);
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(obj);
	assert_int_equal(obj->type, XPATH_STRING);
	s = g_strdup((const char *)obj->stringval);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return s;
}

static void assert_xpath(const char *xml, const char *expr, const char *want)
{
	char *got = xpath_string(xml, expr);

	if (strcmp(got, want))
		print_error("%s: got '%s', want '%s'\n", expr, got, want);
	assert_string_equal(got, want);
	g_free(got);
}

/*
 * Values with XML metacharacters are escaped, not pasted: the document
 * still parses, passes the schema and libvirt, and reads back unchanged.
 */
static void test_escaping(void **state)
{
	static const char log[] = "/tmp/a&b <c> \"d\" 'e'/console.log";
	static const char cmdline[] = "console=ttyS0 x=\"a&b\" <y> &amp;";
	static const char disk[] = "/tmp/&lt;disk]]>.img";
	static const char kernel[] = "/tmp/k\xc3\xa9rnel/vmlinuz";	/* UTF-8 */
	struct domain_spec d;
	char err[ERRLEN];
	char *xml = NULL, *dir, *path;

	(void)state;
	base_domain(&d, "nicq-escape");
	d.console_log = log;
	d.cmdline = cmdline;
	d.disk = disk;
	d.kernel = kernel;
	assert_int_equal(domxml_domain(&d, &xml, err), 0);
	assert_null(strstr(xml, "a&b"));
	assert_xpath(xml, "string(/domain/devices/serial/source/@path)", log);
	assert_xpath(xml, "string(/domain/devices/console/source/@path)", log);
	assert_xpath(xml, "string(/domain/os/cmdline)", cmdline);
	assert_xpath(xml, "string(/domain/devices/disk/source/@file)", disk);
	assert_xpath(xml, "string(/domain/os/kernel)", kernel);
	assert_libvirt_parses(xml, true);

	dir = g_dir_make_tmp("nicq-domxml-XXXXXX", NULL);
	assert_non_null(dir);
	path = g_build_filename(dir, "escape.xml", NULL);
	assert_int_equal(file_write(path, xml, strlen(xml), err), 0);
	if (access(VALIDATOR, X_OK) == 0)
		assert_schema_valid(path, "domain");
	assert_int_equal(rm_rf(dir, err), 0);
	g_free(path);
	g_free(dir);
	g_free(xml);
}

static void test_mac_lower_case(void **state)
{
	struct domain_spec d;
	char err[ERRLEN];
	char *xml = NULL;

	(void)state;
	base_domain(&d, "nicq-mac");
	g_strlcpy(d.nics[0].mac, "52:54:00:AB:CD:EF", sizeof(d.nics[0].mac));
	assert_int_equal(domxml_domain(&d, &xml, err), 0);
	assert_xpath(xml, "string(/domain/devices/interface/mac/@address)",
		     "52:54:00:ab:cd:ef");
	g_free(xml);
}

static void test_no_nic_kernel_boot(void **state)
{
	struct domain_spec d;
	char err[ERRLEN];
	char *xml = NULL;

	(void)state;
	base_domain(&d, "nicq-no-nic");
	d.n_nics = 0;
	d.console_log = NULL;
	assert_int_equal(domxml_domain(&d, &xml, err), 0);
	assert_xpath(xml, "string(count(/domain/devices/interface))", "0");
	assert_xpath(xml, "string(/domain/devices/serial/@type)", "pty");
	assert_libvirt_parses(xml, true);
	g_free(xml);
}

/* ---- rejected specs ---- */

struct bad_dom {
	const char *what;
	void (*mutate)(struct domain_spec *);
	const char *msg;	/* expected substring of err */
};

static void bd_no_name(struct domain_spec *d) { d->name = NULL; }
static void bd_empty_name(struct domain_spec *d) { d->name = ""; }
static void bd_space_name(struct domain_spec *d) { d->name = "nicq guest"; }
static void bd_amp_name(struct domain_spec *d) { d->name = "a&b"; }
static void bd_lt_name(struct domain_spec *d) { d->name = "<x>"; }
static void bd_slash_name(struct domain_spec *d) { d->name = "a/b"; }
static void bd_dash_name(struct domain_spec *d) { d->name = "-x"; }
static void bd_dotdot_name(struct domain_spec *d) { d->name = ".."; }
static void bd_long_name(struct domain_spec *d)
{
	d->name = "a123456789b123456789c123456789d123456789"
		  "e123456789f123456789g1234";
}
static void bd_no_type(struct domain_spec *d) { d->type = NULL; }
static void bd_xen_type(struct domain_spec *d) { d->type = "xen"; }
static void bd_no_memory(struct domain_spec *d) { d->memory_mib = 0; }
static void bd_no_vcpu(struct domain_spec *d) { d->vcpus = 0; }
static void bd_rel_kernel(struct domain_spec *d) { d->kernel = "vmlinuz"; }
static void bd_rel_log(struct domain_spec *d) { d->console_log = "c.log"; }
static void bd_rel_emulator(struct domain_spec *d) { d->emulator = "qemu"; }
static void bd_nl_log(struct domain_spec *d)
{
	d->console_log = "/tmp/a\nb.log";
}
static void bd_nl_cmdline(struct domain_spec *d)
{
	d->cmdline = "console=ttyS0\ninit=/bin/sh";
}
static void bd_utf8_cmdline(struct domain_spec *d)
{
	d->cmdline = "console=ttyS0 x=\xff\xfe";
}
static void bd_initrd_only(struct domain_spec *d) { d->kernel = NULL; }
static void bd_pxe_no_nic(struct domain_spec *d)
{
	d->kernel = NULL;
	d->initrd = NULL;
	d->cmdline = NULL;
	d->n_nics = 0;
}
static void bd_too_many(struct domain_spec *d)
{
	d->n_nics = DOMXML_MAX_NICS + 1;
}
static void bd_negative_nics(struct domain_spec *d) { d->n_nics = -1; }
static void bd_bad_model(struct domain_spec *d)
{
	d->nics[0].model = NIC_MODEL_COUNT;
}
static void bd_no_mac(struct domain_spec *d) { d->nics[0].mac[0] = '\0'; }
static void bd_short_mac(struct domain_spec *d)
{
	g_strlcpy(d->nics[0].mac, "52:54:00:12:00", sizeof(d->nics[0].mac));
}
static void bd_hex_mac(struct domain_spec *d)
{
	g_strlcpy(d->nics[0].mac, "52:54:00:zz:00:01", sizeof(d->nics[0].mac));
}
static void bd_dash_mac(struct domain_spec *d)
{
	g_strlcpy(d->nics[0].mac, "52-54-00-12-00-01", sizeof(d->nics[0].mac));
}
static void bd_unterminated_mac(struct domain_spec *d)
{
	memset(d->nics[0].mac, 'a', sizeof(d->nics[0].mac));
}
static void bd_multicast_mac(struct domain_spec *d)
{
	g_strlcpy(d->nics[0].mac, "01:00:5e:00:00:01", sizeof(d->nics[0].mac));
}
static void bd_dup_mac(struct domain_spec *d)
{
	d->n_nics = 2;
	d->nics[1] = d->nics[0];
	d->nics[1].target = "nicq-t1";
	d->nics[1].mac[16] = 'A';
	d->nics[0].mac[16] = 'a';
}
static void bd_vhost_e1000(struct domain_spec *d)
{
	d->nics[0].model = NIC_E1000;
	d->nics[0].vhost = true;
}
static void bd_vhost_rtl8139(struct domain_spec *d)
{
	d->nics[0].model = NIC_RTL8139;
	d->nics[0].vhost = true;
}
static void bd_net_and_bridge(struct domain_spec *d)
{
	d->nics[0].network = "nicq-seg-a";
}
static void bd_no_source(struct domain_spec *d) { d->nics[0].bridge = NULL; }
static void bd_bad_network(struct domain_spec *d)
{
	d->nics[0].bridge = NULL;
	d->nics[0].network = "seg&a";
}
static void bd_long_bridge(struct domain_spec *d)
{
	d->nics[0].bridge = "nicq-bridge-0123";
}
static void bd_long_target(struct domain_spec *d)
{
	d->nics[0].target = "nicq-tap-0123456";	/* 16 bytes */
}
static void bd_vnet_target(struct domain_spec *d)
{
	d->nics[0].target = "vnet0";
}
static void bd_slash_target(struct domain_spec *d)
{
	d->nics[0].target = "t/0";
}
static void bd_small_mtu(struct domain_spec *d) { d->nics[0].mtu = 50; }
static void bd_big_mtu(struct domain_spec *d) { d->nics[0].mtu = 70000; }
static void bd_negative_mtu(struct domain_spec *d) { d->nics[0].mtu = -1; }
static void bd_rel_rom(struct domain_spec *d)
{
	d->nics[0].rom_file = "pxe-virtio.rom";
}
static void bd_negative_boot(struct domain_spec *d)
{
	d->nics[0].boot_order = -1;
}
static void bd_dup_boot(struct domain_spec *d)
{
	d->n_nics = 2;
	d->nics[0].boot_order = 1;
	d->nics[1] = d->nics[0];
	set_mac(&d->nics[1], 2);
	d->nics[1].target = "nicq-t1";
}

static const struct bad_dom bad_doms[] = {
	{ "no name", bd_no_name, "domain name is missing" },
	{ "empty name", bd_empty_name, "domain name is missing" },
	{ "space in name", bd_space_name, "invalid domain name 'nicq guest'" },
	{ "& in name", bd_amp_name, "invalid domain name 'a&b'" },
	{ "< in name", bd_lt_name, "invalid domain name '<x>'" },
	{ "/ in name", bd_slash_name, "invalid domain name 'a/b'" },
	{ "leading -", bd_dash_name, "must start with a letter or digit" },
	{ "name ..", bd_dotdot_name, "must start with a letter or digit" },
	{ "long name", bd_long_name, "is too long (65 bytes, at most 64)" },
	{ "no type", bd_no_type, "invalid domain type '(null)'" },
	{ "type xen", bd_xen_type, "invalid domain type 'xen'" },
	{ "no memory", bd_no_memory, "memory must be at least 1 MiB" },
	{ "no vcpu", bd_no_vcpu, "at least 1 vCPU" },
	{ "relative kernel", bd_rel_kernel,
	  "invalid kernel path 'vmlinuz': must be an absolute path" },
	{ "relative log", bd_rel_log, "invalid console log path 'c.log'" },
	{ "relative emulator", bd_rel_emulator, "invalid emulator path" },
	{ "newline in log", bd_nl_log, "control character 0x0a" },
	{ "newline in cmdline", bd_nl_cmdline,
	  "invalid kernel command line: contains control character" },
	{ "bad UTF-8", bd_utf8_cmdline, "not valid UTF-8" },
	{ "initrd w/o kernel", bd_initrd_only, "need a kernel" },
	{ "PXE w/o NIC", bd_pxe_no_nic, "needs at least one NIC" },
	{ "too many NICs", bd_too_many, "invalid number of NICs 9: must be 0..8" },
	{ "negative NICs", bd_negative_nics, "invalid number of NICs -1" },
	{ "bad model", bd_bad_model, "NIC 0: unknown model 3" },
	{ "no MAC", bd_no_mac, "NIC 0: MAC address is missing" },
	{ "short MAC", bd_short_mac, "invalid MAC address '52:54:00:12:00'" },
	{ "non-hex MAC", bd_hex_mac, "invalid MAC address '52:54:00:zz:00:01'" },
	{ "dashed MAC", bd_dash_mac, "expected xx:xx:xx:xx:xx:xx" },
	{ "unterminated MAC", bd_unterminated_mac, "invalid MAC address" },
	{ "multicast MAC", bd_multicast_mac, "is multicast" },
	{ "duplicate MAC", bd_dup_mac, "is already used by NIC 0" },
	{ "vhost on e1000", bd_vhost_e1000, "vhost needs model virtio, not e1000" },
	{ "vhost on rtl8139", bd_vhost_rtl8139,
	  "vhost needs model virtio, not rtl8139" },
	{ "network+bridge", bd_net_and_bridge,
	  "NIC 0: set exactly one of network and bridge" },
	{ "no source", bd_no_source, "set exactly one of network and bridge" },
	{ "bad network", bd_bad_network, "invalid NIC 0 network name 'seg&a'" },
	{ "long bridge", bd_long_bridge, "NIC 0 bridge name 'nicq-bridge-0123' "
	  "is too long (16 bytes, at most 15)" },
	{ "long target", bd_long_target,
	  "NIC 0 target dev 'nicq-tap-0123456' is too long" },
	{ "vnet target", bd_vnet_target, "starts with 'vnet'" },
	{ "/ in target", bd_slash_target, "invalid NIC 0 target dev 't/0'" },
	{ "MTU 50", bd_small_mtu, "invalid NIC 0 MTU 50" },
	{ "MTU 70000", bd_big_mtu, "invalid NIC 0 MTU 70000" },
	{ "MTU -1", bd_negative_mtu, "invalid NIC 0 MTU -1" },
	{ "relative ROM", bd_rel_rom, "invalid NIC 0 rom file" },
	{ "boot order -1", bd_negative_boot, "invalid boot order -1" },
	{ "duplicate boot", bd_dup_boot, "boot order 1 is already used by NIC 0" },
};

/*
 * A rejected spec: -1, the expected message on one line, *out untouched,
 * and a NULL err buffer is fine too.
 */
static void test_bad_domain(void **state)
{
	const struct bad_dom *t = *state;
	struct domain_spec d;
	char err[ERRLEN] = "";
	char *out = (char *)"untouched";

	base_domain(&d, "nicq-bad");
	t->mutate(&d);
	assert_int_equal(domxml_domain(&d, &out, err), -1);
	if (!strstr(err, t->msg))
		print_error("%s: got '%s', want '%s'\n", t->what, err, t->msg);
	assert_non_null(strstr(err, t->msg));
	assert_null(strchr(err, '\n'));
	assert_string_equal(out, "untouched");
	assert_int_equal(domxml_domain(&d, &out, NULL), -1);
}

struct bad_net {
	const char *what;
	void (*mutate)(struct net_spec *);
	const char *msg;
};

static void bn_no_name(struct net_spec *n) { n->name = NULL; }
static void bn_bad_name(struct net_spec *n) { n->name = "seg<a>"; }
static void bn_long_bridge(struct net_spec *n)
{
	n->bridge = "nicq-bridge-0123";
}
static void bn_bad_mtu(struct net_spec *n) { n->mtu = 10; }
static void bn_ip6_v4(struct net_spec *n) { n->ip6 = "198.18.1.1"; n->prefix6 = 24; }
static void bn_ip6_prefix(struct net_spec *n) { n->ip6 = "2001:2::1"; n->prefix6 = 129; }
static void bn_ip6_bad(struct net_spec *n) { n->ip6 = "2001:::1"; n->prefix6 = 64; }
static void bn_bad_ip(struct net_spec *n) { n->ip = "198.18.0.300"; }
static void bn_prefix0(struct net_spec *n) { n->prefix = 0; }
static void bn_prefix33(struct net_spec *n) { n->prefix = 33; }
static void bn_start_only(struct net_spec *n) { n->dhcp_end = NULL; }
static void bn_outside(struct net_spec *n) { n->dhcp_end = "198.18.1.10"; }
static void bn_reversed(struct net_spec *n)
{
	n->dhcp_start = "198.18.0.199";
	n->dhcp_end = "198.18.0.100";
}
static void bn_bad_start(struct net_spec *n) { n->dhcp_start = "x"; }
static void bn_boot_no_dhcp(struct net_spec *n)
{
	n->dhcp_start = NULL;
	n->dhcp_end = NULL;
}
static void bn_tftp_no_ip(struct net_spec *n)
{
	n->ip = NULL;
	n->dhcp_start = NULL;
	n->dhcp_end = NULL;
	n->boot_file = NULL;
}
static void bn_rel_tftp(struct net_spec *n) { n->tftp_root = "tftp"; }
static void bn_empty_boot(struct net_spec *n) { n->boot_file = ""; }
static void bn_v6_tftp(struct net_spec *n)
{
	n->ip = "2001:2::1";
	n->prefix = 64;
	n->dhcp_start = "2001:2::100";
	n->dhcp_end = "2001:2::1ff";
	n->boot_file = NULL;
}
static void bn_mixed_family(struct net_spec *n)
{
	n->dhcp_start = "2001:2::100";
}

static const struct bad_net bad_nets[] = {
	{ "no name", bn_no_name, "network name is missing" },
	{ "bad name", bn_bad_name, "invalid network name 'seg<a>'" },
	{ "long bridge", bn_long_bridge, "bridge name 'nicq-bridge-0123' is too long" },
	{ "MTU 10", bn_bad_mtu, "invalid network MTU 10" },
	{ "IPv4 as IPv6", bn_ip6_v4, "a second address must be IPv6" },
	{ "IPv6 prefix 129", bn_ip6_prefix, "invalid prefix length 129" },
	{ "bad IPv6", bn_ip6_bad, "invalid network IPv6 address '2001:::1'" },
	{ "bad IP", bn_bad_ip,
	  "invalid network address '198.18.0.300': not an IPv4 or IPv6" },
	{ "prefix 0", bn_prefix0, "invalid prefix length 0" },
	{ "prefix 33", bn_prefix33, "invalid prefix length 33 for '198.18.0.1': "
	  "must be 1..32" },
	{ "start only", bn_start_only, "needs both start and end" },
	{ "range outside", bn_outside, "is not inside 198.18.0.1/24" },
	{ "range reversed", bn_reversed, "ends before it starts" },
	{ "bad start", bn_bad_start, "invalid DHCP start 'x'" },
	{ "boot w/o DHCP", bn_boot_no_dhcp, "a boot file needs a DHCP range" },
	{ "TFTP w/o IP", bn_tftp_no_ip, "need an IP address" },
	{ "relative TFTP", bn_rel_tftp, "invalid TFTP root 'tftp'" },
	{ "empty boot file", bn_empty_boot, "empty boot file name" },
	{ "TFTP on IPv6", bn_v6_tftp, "TFTP and a boot file on IPv4 only" },
	{ "mixed families", bn_mixed_family, "is not inside" },
};

static void test_bad_network(void **state)
{
	const struct bad_net *t = *state;
	struct net_spec n;
	char err[ERRLEN] = "";
	char *out = (char *)"untouched";

	net_dhcp_tftp(&n);
	t->mutate(&n);
	assert_int_equal(domxml_network(&n, &out, err), -1);
	if (!strstr(err, t->msg))
		print_error("%s: got '%s', want '%s'\n", t->what, err, t->msg);
	assert_non_null(strstr(err, t->msg));
	assert_null(strchr(err, '\n'));
	assert_string_equal(out, "untouched");
}

static void test_null_spec(void **state)
{
	char err[ERRLEN];
	char *out = NULL;

	(void)state;
	assert_int_equal(domxml_domain(NULL, &out, err), -1);
	assert_int_equal(domxml_network(NULL, &out, err), -1);
	assert_null(out);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_model_names),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_mac_lower_case),
		cmocka_unit_test(test_no_nic_kernel_boot),
		cmocka_unit_test(test_null_spec),
		cmocka_unit_test(test_checkers_reject),
	};
	size_t nf = G_N_ELEMENTS(fixed), ng = G_N_ELEMENTS(goldens);
	size_t nd = G_N_ELEMENTS(bad_doms), nn = G_N_ELEMENTS(bad_nets);
	size_t n = nf + ng + nd + nn, i, k = 0;
	struct CMUnitTest *tests = g_new0(struct CMUnitTest, n);
	char **names = g_new0(char *, n + 1);
	int rc;

	for (i = 0; i < nf; i++)
		tests[k++] = fixed[i];
	for (i = 0; i < ng; i++) {
		names[k] = g_strdup_printf("golden %s", goldens[i].file);
		tests[k] = (struct CMUnitTest){
			.name = names[k], .test_func = test_golden,
			.initial_state = (void *)&goldens[i],
		};
		k++;
	}
	for (i = 0; i < nd; i++) {
		names[k] = g_strdup_printf("bad domain: %s", bad_doms[i].what);
		tests[k] = (struct CMUnitTest){
			.name = names[k], .test_func = test_bad_domain,
			.initial_state = (void *)&bad_doms[i],
		};
		k++;
	}
	for (i = 0; i < nn; i++) {
		names[k] = g_strdup_printf("bad network: %s", bad_nets[i].what);
		tests[k] = (struct CMUnitTest){
			.name = names[k], .test_func = test_bad_network,
			.initial_state = (void *)&bad_nets[i],
		};
		k++;
	}
	rc = _cmocka_run_group_tests("domxml", tests, k, NULL, NULL);
	g_free(tests);
	for (i = 0; i < n; i++)
		g_free(names[i]);
	g_free(names);
	return rc;
}
