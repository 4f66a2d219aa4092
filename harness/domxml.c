/* domxml.c - see domxml.h. */
#include "domxml.h"

#include "util.h"

#include <arpa/inet.h>
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

/* Linux interface names: IFNAMSIZ - 1. */
#define IFNAME_MAX 15
/* Domain and network names: short enough for every path libvirt builds. */
#define NAME_MAX_LEN 64
#define MTU_MIN 68
#define MTU_MAX 65535


/*
 * A document under construction.  libxml2 reports allocation failure by
 * returning NULL; the helpers below remember it in failed and turn every
 * later call into a no-op, so the builders check once, at the end.
 */
struct xb {
	xmlDocPtr doc;
	bool failed;
};

static xmlNodePtr xb_root(struct xb *b, const char *name)
{
	xmlNodePtr n;

	b->failed = false;
	b->doc = xmlNewDoc(BAD_CAST "1.0");
	if (!b->doc) {
		b->failed = true;
		return NULL;
	}
	n = xmlNewDocNode(b->doc, NULL, BAD_CAST name, NULL);
	if (!n) {
		b->failed = true;
		return NULL;
	}
	xmlDocSetRootElement(b->doc, n);
	return n;
}

/* A child element; text (may be NULL) is escaped on output. */
static xmlNodePtr xb_el(struct xb *b, xmlNodePtr parent, const char *name,
			const char *text)
{
	xmlNodePtr n;

	if (b->failed || !parent) {
		b->failed = true;
		return NULL;
	}
	n = xmlNewTextChild(parent, NULL, BAD_CAST name,
			    text ? BAD_CAST text : NULL);
	if (!n)
		b->failed = true;
	return n;
}

/* An attribute; xmlNewProp keeps the value as text, escaped on output. */
static void xb_attr(struct xb *b, xmlNodePtr n, const char *name,
		    const char *value)
{
	if (b->failed || !n) {
		b->failed = true;
		return;
	}
	if (!xmlNewProp(n, BAD_CAST name, BAD_CAST value))
		b->failed = true;
}

static void xb_attr_uint(struct xb *b, xmlNodePtr n, const char *name,
			 unsigned long v)
{
	char buf[32];

	g_snprintf(buf, sizeof(buf), "%lu", v);
	xb_attr(b, n, name, buf);
}

/* An empty element with one attribute: <name attr='value'/>. */
static xmlNodePtr xb_el_attr(struct xb *b, xmlNodePtr parent,
			     const char *name, const char *attr,
			     const char *value)
{
	xmlNodePtr n = xb_el(b, parent, name, NULL);

	xb_attr(b, n, attr, value);
	return n;
}

/* Serialise, hand back a g_malloc'd copy, free the tree. */
static int xb_finish(struct xb *b, char **out, char *err)
{
	xmlChar *mem = NULL;
	int len = 0;

	if (!b->failed)
		xmlDocDumpFormatMemory(b->doc, &mem, &len, 1);
	xmlFreeDoc(b->doc);
	b->doc = NULL;
	if (b->failed || !mem || len <= 0) {
		xmlFree(mem);
		err_set(err, "cannot build XML: out of memory");
		return -1;
	}
	*out = g_strndup((const char *)mem, (gsize)len);
	xmlFree(mem);
	return 0;
}

/* ---- validation ---- */

static bool name_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

/*
 * Domain, network, bridge and tap names: [A-Za-z0-9_.-], starting with a
 * letter or digit (so no "..", no option-like "-x"), at most max bytes.
 */
static int check_name(const char *what, const char *s, size_t max, char *err)
{
	size_t i, len;

	if (!s || !*s) {
		err_set(err, "%s is missing", what);
		return -1;
	}
	len = strlen(s);
	if (len > max) {
		err_set(err, "%s '%s' is too long (%zu bytes, at most %zu)",
			what, s, len, max);
		return -1;
	}
	if (!g_ascii_isalnum(s[0])) {
		err_set(err, "invalid %s '%s': must start with a letter or digit",
			what, s);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!name_char(s[i])) {
			err_set(err, "invalid %s '%s': use only letters, digits, "
				"'_', '.' and '-'", what, s);
			return -1;
		}
	}
	return 0;
}

/*
 * Free text (paths, the kernel command line): valid UTF-8 without control
 * characters, which XML 1.0 cannot carry and libvirt would reject.
 */
static int check_text(const char *what, const char *s, char *err)
{
	const unsigned char *p;

	if (!g_utf8_validate(s, -1, NULL)) {
		err_set(err, "invalid %s: not valid UTF-8", what);
		return -1;
	}
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			err_set(err, "invalid %s: contains control character "
				"0x%02x", what, *p);
			return -1;
		}
	}
	return 0;
}

/* Optional host path: NULL is fine; otherwise absolute (QEMU runs in /). */
static int check_path(const char *what, const char *s, char *err)
{
	if (!s)
		return 0;
	if (s[0] != '/') {
		err_set(err, "invalid %s '%s': must be an absolute path",
			what, s);
		return -1;
	}
	return check_text(what, s, err);
}

static int check_mtu(const char *what, int mtu, char *err)
{
	if (mtu != 0 && (mtu < MTU_MIN || mtu > MTU_MAX)) {
		err_set(err, "invalid %s MTU %d: must be %d..%d (or 0 for the "
			"default)", what, mtu, MTU_MIN, MTU_MAX);
		return -1;
	}
	return 0;
}

/*
 * A unicast MAC as xx:xx:xx:xx:xx:xx.  The field is a char[18] that may
 * not be NUL-terminated if a caller filled it wrongly, so never read past it.
 */
static int check_mac(int idx, const char mac[18], char *err)
{
	size_t len = strnlen(mac, 18), i;

	if (len == 0) {
		err_set(err, "NIC %d: MAC address is missing", idx);
		return -1;
	}
	if (len != 17)
		goto bad;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? mac[i] != ':' : !g_ascii_isxdigit(mac[i]))
			goto bad;
	}
	if (g_ascii_xdigit_value(mac[1]) & 1) {
		err_set(err, "NIC %d: MAC address '%s' is multicast", idx, mac);
		return -1;
	}
	return 0;
bad:
	err_set(err, "NIC %d: invalid MAC address '%.*s': expected "
		"xx:xx:xx:xx:xx:xx", idx, (int)len, mac);
	return -1;
}

/* libvirt silently drops target names it thinks it generated itself. */
static const char *const reserved_tap_prefixes[] = {
	"vnet", "vif", "macvtap", "macvlan",
};

static int check_nic(const struct domain_spec *spec, int i, char *err)
{
	const struct nic_spec *nic = &spec->nics[i];
	char what[64];
	size_t k;
	int j;

	if (!nic_model_libvirt(nic->model)) {
		err_set(err, "NIC %d: unknown model %d", i, (int)nic->model);
		return -1;
	}
	if (check_mac(i, nic->mac, err) < 0)
		return -1;
	for (j = 0; j < i; j++) {
		if (!g_ascii_strncasecmp(spec->nics[j].mac, nic->mac, 17)) {
			err_set(err, "NIC %d: MAC address '%s' is already used "
				"by NIC %d", i, nic->mac, j);
			return -1;
		}
	}
	if (!!nic->network == !!nic->bridge) {
		err_set(err, "NIC %d: set exactly one of network and bridge", i);
		return -1;
	}
	g_snprintf(what, sizeof(what), "NIC %d %s name", i,
		   nic->network ? "network" : "bridge");
	if (nic->network &&
	    check_name(what, nic->network, NAME_MAX_LEN, err) < 0)
		return -1;
	if (nic->bridge && check_name(what, nic->bridge, IFNAME_MAX, err) < 0)
		return -1;
	if (nic->target) {
		g_snprintf(what, sizeof(what), "NIC %d target dev", i);
		if (check_name(what, nic->target, IFNAME_MAX, err) < 0)
			return -1;
		for (k = 0; k < G_N_ELEMENTS(reserved_tap_prefixes); k++) {
			if (g_str_has_prefix(nic->target,
					     reserved_tap_prefixes[k])) {
				err_set(err, "NIC %d: target dev '%s' starts "
					"with '%s', which libvirt reserves "
					"for its own names", i, nic->target,
					reserved_tap_prefixes[k]);
				return -1;
			}
		}
	}
	g_snprintf(what, sizeof(what), "NIC %d", i);
	if (check_mtu(what, nic->mtu, err) < 0)
		return -1;
	if (nic->vhost && nic->model != NIC_VIRTIO) {
		err_set(err, "NIC %d: vhost needs model virtio, not %s", i,
			nic_model_libvirt(nic->model));
		return -1;
	}
	g_snprintf(what, sizeof(what), "NIC %d rom file", i);
	if (check_path(what, nic->rom_file, err) < 0)
		return -1;
	if (nic->boot_order < 0) {
		err_set(err, "NIC %d: invalid boot order %d", i,
			nic->boot_order);
		return -1;
	}
	for (j = 0; j < i && nic->boot_order; j++) {
		if (spec->nics[j].boot_order == nic->boot_order) {
			err_set(err, "NIC %d: boot order %d is already used "
				"by NIC %d", i, nic->boot_order, j);
			return -1;
		}
	}
	return 0;
}

static bool any_boot_order(const struct domain_spec *spec)
{
	int i;

	for (i = 0; i < spec->n_nics; i++)
		if (spec->nics[i].boot_order)
			return true;
	return false;
}

static int check_domain(const struct domain_spec *spec, char *err)
{
	int i;

	if (check_name("domain name", spec->name, NAME_MAX_LEN, err) < 0)
		return -1;
	if (!spec->type ||
	    (strcmp(spec->type, "qemu") && strcmp(spec->type, "kvm"))) {
		err_set(err, "invalid domain type '%s': expected 'qemu' or "
			"'kvm'", spec->type ? spec->type : "(null)");
		return -1;
	}
	if (spec->memory_mib == 0) {
		err_set(err, "domain memory must be at least 1 MiB");
		return -1;
	}
	if (spec->vcpus == 0) {
		err_set(err, "domain needs at least 1 vCPU");
		return -1;
	}
	if (check_path("emulator path", spec->emulator, err) < 0 ||
	    check_path("kernel path", spec->kernel, err) < 0 ||
	    check_path("initrd path", spec->initrd, err) < 0 ||
	    check_path("console log path", spec->console_log, err) < 0 ||
	    check_path("disk path", spec->disk, err) < 0)
		return -1;
	if (spec->cmdline && check_text("kernel command line", spec->cmdline,
					err) < 0)
		return -1;
	if (!spec->kernel && (spec->initrd || spec->cmdline)) {
		err_set(err, "initrd and kernel command line need a kernel");
		return -1;
	}
	if (spec->n_nics < 0 || spec->n_nics > DOMXML_MAX_NICS) {
		err_set(err, "invalid number of NICs %d: must be 0..%d",
			spec->n_nics, DOMXML_MAX_NICS);
		return -1;
	}
	if (!spec->kernel && spec->n_nics == 0) {
		err_set(err, "network boot (no kernel) needs at least one NIC");
		return -1;
	}
	for (i = 0; i < spec->n_nics; i++)
		if (check_nic(spec, i, err) < 0)
			return -1;
	return 0;
}

/* ---- domain ---- */

static void build_os(struct xb *b, xmlNodePtr dom,
		     const struct domain_spec *spec)
{
	xmlNodePtr os = xb_el(b, dom, "os", NULL);
	xmlNodePtr type = xb_el(b, os, "type", "hvm");

	xb_attr(b, type, "arch", "x86_64");
	xb_attr(b, type, "machine", "pc");
	if (spec->kernel) {
		xb_el(b, os, "kernel", spec->kernel);
		if (spec->initrd)
			xb_el(b, os, "initrd", spec->initrd);
		if (spec->cmdline)
			xb_el(b, os, "cmdline", spec->cmdline);
	} else if (!any_boot_order(spec)) {
		/* libvirt refuses <os><boot> next to per-device boot order. */
		xb_el_attr(b, os, "boot", "dev", "network");
	}
	if (spec->bios_serial)
		xb_el_attr(b, os, "bios", "useserial", "yes");
}

static void build_cpu(struct xb *b, xmlNodePtr dom,
		      const struct domain_spec *spec)
{
	xmlNodePtr cpu, model;

	/*
	 * TCG: name the model (qemu64, QEMU's own default) so the guest CPU
	 * is stated rather than implied, and skip libvirt's host comparison,
	 * which means nothing for an emulated CPU.  KVM: leave <cpu> out and
	 * take QEMU's default; qemu64 with check='partial' is refused on
	 * hosts that lack one of its features (svm on Intel).
	 */
	if (strcmp(spec->type, "qemu"))
		return;
	cpu = xb_el(b, dom, "cpu", NULL);
	xb_attr(b, cpu, "mode", "custom");
	xb_attr(b, cpu, "match", "exact");
	xb_attr(b, cpu, "check", "none");
	model = xb_el(b, cpu, "model", "qemu64");
	xb_attr(b, model, "fallback", "forbid");
}

static void build_nic(struct xb *b, xmlNodePtr devs,
		      const struct nic_spec *nic)
{
	xmlNodePtr ifc = xb_el(b, devs, "interface", NULL), n;
	char *mac = g_ascii_strdown(nic->mac, 17);

	xb_attr(b, ifc, "type", nic->network ? "network" : "bridge");
	xb_el_attr(b, ifc, "mac", "address", mac);
	g_free(mac);
	if (nic->network)
		xb_el_attr(b, ifc, "source", "network", nic->network);
	else
		xb_el_attr(b, ifc, "source", "bridge", nic->bridge);
	if (nic->target)
		xb_el_attr(b, ifc, "target", "dev", nic->target);
	xb_el_attr(b, ifc, "model", "type", nic_model_libvirt(nic->model));
	if (nic->model == NIC_VIRTIO)
		xb_el_attr(b, ifc, "driver", "name",
			   nic->vhost ? "vhost" : "qemu");
	if (nic->link_down)
		xb_el_attr(b, ifc, "link", "state", "down");
	if (nic->mtu) {
		n = xb_el(b, ifc, "mtu", NULL);
		xb_attr_uint(b, n, "size", (unsigned long)nic->mtu);
	}
	if (nic->boot_order) {
		n = xb_el(b, ifc, "boot", NULL);
		xb_attr_uint(b, n, "order", (unsigned long)nic->boot_order);
	}
	if (nic->rom_file || nic->rom_off) {
		n = xb_el(b, ifc, "rom", NULL);
		if (nic->rom_off)
			xb_attr(b, n, "bar", "off");
		if (nic->rom_file)
			xb_attr(b, n, "file", nic->rom_file);
	}
}

/* The serial port and the console that shows it share one backend. */
static void build_console(struct xb *b, xmlNodePtr devs,
			  const struct domain_spec *spec)
{
	const char *type = spec->console_log ? "file" : "pty";
	xmlNodePtr serial, console, n;

	serial = xb_el_attr(b, devs, "serial", "type", type);
	if (spec->console_log)
		xb_el_attr(b, serial, "source", "path", spec->console_log);
	xb_el_attr(b, serial, "target", "port", "0");

	console = xb_el_attr(b, devs, "console", "type", type);
	if (spec->console_log)
		xb_el_attr(b, console, "source", "path", spec->console_log);
	n = xb_el_attr(b, console, "target", "type", "serial");
	xb_attr(b, n, "port", "0");
}

static void build_devices(struct xb *b, xmlNodePtr dom,
			  const struct domain_spec *spec)
{
	xmlNodePtr devs = xb_el(b, dom, "devices", NULL), disk, n;
	int i;

	if (spec->emulator)
		xb_el(b, devs, "emulator", spec->emulator);
	if (spec->disk) {
		disk = xb_el(b, devs, "disk", NULL);
		xb_attr(b, disk, "type", "file");
		xb_attr(b, disk, "device", "disk");
		n = xb_el_attr(b, disk, "driver", "name", "qemu");
		xb_attr(b, n, "type", "raw");
		xb_el_attr(b, disk, "source", "file", spec->disk);
		n = xb_el_attr(b, disk, "target", "dev", "vda");
		xb_attr(b, n, "bus", "virtio");
	}
	n = xb_el_attr(b, devs, "controller", "type", "usb");
	xb_attr(b, n, "model", "none");
	for (i = 0; i < spec->n_nics; i++)
		build_nic(b, devs, &spec->nics[i]);
	build_console(b, devs, spec);
	n = xb_el(b, devs, "video", NULL);
	xb_el_attr(b, n, "model", "type", "none");
	xb_el_attr(b, devs, "memballoon", "model", "none");
}

int domxml_domain(const struct domain_spec *spec, char **out, char *err)
{
	struct xb b;
	xmlNodePtr dom, n;
	char num[32];

	if (!spec) {
		err_set(err, "no domain spec");
		return -1;
	}
	if (check_domain(spec, err) < 0)
		return -1;

	dom = xb_root(&b, "domain");
	xb_attr(&b, dom, "type", spec->type);
	xb_el(&b, dom, "name", spec->name);
	g_snprintf(num, sizeof(num), "%u", spec->memory_mib);
	n = xb_el(&b, dom, "memory", num);
	xb_attr(&b, n, "unit", "MiB");
	g_snprintf(num, sizeof(num), "%u", spec->vcpus);
	xb_el(&b, dom, "vcpu", num);
	build_os(&b, dom, spec);
	n = xb_el(&b, dom, "features", NULL);
	xb_el(&b, n, "acpi", NULL);
	xb_el(&b, n, "apic", NULL);
	build_cpu(&b, dom, spec);
	xb_el(&b, dom, "on_poweroff", "destroy");
	xb_el(&b, dom, "on_reboot", "destroy");
	xb_el(&b, dom, "on_crash", "destroy");
	n = xb_el(&b, dom, "pm", NULL);
	xb_el_attr(&b, n, "suspend-to-mem", "enabled",
		   spec->pm_suspend_to_mem ? "yes" : "no");
	xb_el_attr(&b, n, "suspend-to-disk", "enabled",
		   spec->pm_suspend_to_disk ? "yes" : "no");
	build_devices(&b, dom, spec);
	return xb_finish(&b, out, err);
}

/* ---- network ---- */

struct ipaddr {
	int family;
	unsigned char bytes[16];
	int bits;		/* 32 or 128 */
};

static int parse_ip(const char *what, const char *s, struct ipaddr *a,
		    char *err)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = AF_INET;
		a->bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = AF_INET6;
		a->bits = 128;
		return 0;
	}
	err_set(err, "invalid %s '%s': not an IPv4 or IPv6 address", what, s);
	return -1;
}

/* Do a and b agree on their first prefix bits? */
static bool same_subnet(const struct ipaddr *a, const struct ipaddr *b,
			int prefix)
{
	int full = prefix / 8, rest = prefix % 8;
	unsigned char mask;

	if (a->family != b->family)
		return false;
	if (memcmp(a->bytes, b->bytes, (size_t)full))
		return false;
	if (!rest)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a->bytes[full] & mask) == (b->bytes[full] & mask);
}

static int check_network(const struct net_spec *spec, struct ipaddr *ip,
			 char *err)
{
	struct ipaddr lo, hi;

	if (check_name("network name", spec->name, NAME_MAX_LEN, err) < 0)
		return -1;
	if (spec->bridge &&
	    check_name("bridge name", spec->bridge, IFNAME_MAX, err) < 0)
		return -1;
	if (check_mtu("network", spec->mtu, err) < 0)
		return -1;
	if (!spec->ip) {
		if (spec->dhcp_start || spec->dhcp_end || spec->tftp_root ||
		    spec->boot_file) {
			err_set(err, "network '%s': DHCP and TFTP need an IP "
				"address on the bridge", spec->name);
			return -1;
		}
		return 0;
	}
	if (parse_ip("network address", spec->ip, ip, err) < 0)
		return -1;
	if (spec->prefix < 1 || spec->prefix > ip->bits) {
		err_set(err, "invalid prefix length %d for '%s': must be 1..%d",
			spec->prefix, spec->ip, ip->bits);
		return -1;
	}
	if (!spec->dhcp_start != !spec->dhcp_end) {
		err_set(err, "network '%s': a DHCP range needs both start and "
			"end", spec->name);
		return -1;
	}
	if (spec->boot_file && !spec->dhcp_start) {
		err_set(err, "network '%s': a boot file needs a DHCP range",
			spec->name);
		return -1;
	}
	if (spec->dhcp_start) {
		if (parse_ip("DHCP start", spec->dhcp_start, &lo, err) < 0 ||
		    parse_ip("DHCP end", spec->dhcp_end, &hi, err) < 0)
			return -1;
		if (!same_subnet(ip, &lo, spec->prefix) ||
		    !same_subnet(ip, &hi, spec->prefix)) {
			err_set(err, "DHCP range %s - %s is not inside %s/%d",
				spec->dhcp_start, spec->dhcp_end, spec->ip,
				spec->prefix);
			return -1;
		}
		if (memcmp(lo.bytes, hi.bytes, sizeof(lo.bytes)) > 0) {
			err_set(err, "DHCP range %s - %s ends before it starts",
				spec->dhcp_start, spec->dhcp_end);
			return -1;
		}
	}
	if (ip->family == AF_INET6 && (spec->tftp_root || spec->boot_file)) {
		err_set(err, "network '%s': libvirt offers TFTP and a boot "
			"file on IPv4 only", spec->name);
		return -1;
	}
	if (spec->ip6) {
		struct ipaddr ip6;

		if (parse_ip("network IPv6 address", spec->ip6, &ip6, err) < 0)
			return -1;
		if (ip->family != AF_INET || ip6.family != AF_INET6) {
			err_set(err, "network '%s': a second address must be "
				"IPv6 next to an IPv4 one", spec->name);
			return -1;
		}
		if (spec->prefix6 < 1 || spec->prefix6 > 128) {
			err_set(err, "invalid prefix length %d for '%s': must "
				"be 1..128", spec->prefix6, spec->ip6);
			return -1;
		}
	}
	if (spec->tftp_root && !*spec->tftp_root) {
		err_set(err, "network '%s': empty TFTP root", spec->name);
		return -1;
	}
	if (check_path("TFTP root", spec->tftp_root, err) < 0)
		return -1;
	if (spec->boot_file) {
		if (!*spec->boot_file) {
			err_set(err, "network '%s': empty boot file name",
				spec->name);
			return -1;
		}
		if (check_text("boot file name", spec->boot_file, err) < 0)
			return -1;
	}
	return 0;
}

int domxml_network(const struct net_spec *spec, char **out, char *err)
{
	struct ipaddr ip;
	struct xb b;
	xmlNodePtr net, n, ipn, dhcp;

	if (!spec) {
		err_set(err, "no network spec");
		return -1;
	}
	if (check_network(spec, &ip, err) < 0)
		return -1;

	net = xb_root(&b, "network");
	xb_el(&b, net, "name", spec->name);
	n = xb_el(&b, net, "bridge", NULL);
	if (spec->bridge)
		xb_attr(&b, n, "name", spec->bridge);
	xb_attr(&b, n, "stp", "off");
	xb_attr(&b, n, "delay", "0");
	if (spec->mtu) {
		n = xb_el(&b, net, "mtu", NULL);
		xb_attr_uint(&b, n, "size", (unsigned long)spec->mtu);
	}
	xb_el_attr(&b, net, "dns", "enable", "no");
	if (spec->ip) {
		ipn = xb_el(&b, net, "ip", NULL);
		if (ip.family == AF_INET6)
			xb_attr(&b, ipn, "family", "ipv6");
		xb_attr(&b, ipn, "address", spec->ip);
		xb_attr_uint(&b, ipn, "prefix", (unsigned long)spec->prefix);
		if (spec->tftp_root)
			xb_el_attr(&b, ipn, "tftp", "root", spec->tftp_root);
		if (spec->dhcp_start) {
			dhcp = xb_el(&b, ipn, "dhcp", NULL);
			n = xb_el_attr(&b, dhcp, "range", "start",
				       spec->dhcp_start);
			xb_attr(&b, n, "end", spec->dhcp_end);
			if (spec->boot_file)
				xb_el_attr(&b, dhcp, "bootp", "file",
					   spec->boot_file);
		}
	}
	if (spec->ip && spec->ip6) {
		ipn = xb_el(&b, net, "ip", NULL);
		xb_attr(&b, ipn, "family", "ipv6");
		xb_attr(&b, ipn, "address", spec->ip6);
		xb_attr_uint(&b, ipn, "prefix", (unsigned long)spec->prefix6);
	}
	return xb_finish(&b, out, err);
}

/* ---- link state of one interface ---- */

static xmlNodePtr child_el(xmlNodePtr parent, const char *name)
{
	xmlNodePtr c;

	for (c = parent ? parent->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    !xmlStrcmp(c->name, BAD_CAST name))
			return c;
	return NULL;
}

static bool iface_has_mac(xmlNodePtr iface, const char *mac)
{
	xmlNodePtr m = child_el(iface, "mac");
	xmlChar *a = m ? xmlGetProp(m, BAD_CAST "address") : NULL;
	bool eq = a && !g_ascii_strcasecmp((const char *)a, mac);

	xmlFree(a);
	return eq;
}

int domxml_iface_link(const char *domain_xml, const char *mac, bool up,
		      char **out, char *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr devs, c, found = NULL, copy, link;
	struct xb b = { 0 };
	int rc = -1;

	if (!domain_xml || !mac || !*mac) {
		err_set(err, "no domain XML or MAC address");
		return -1;
	}
	doc = xmlReadMemory(domain_xml, (int)strlen(domain_xml), "domain.xml",
			    NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	if (!doc || !xmlDocGetRootElement(doc) ||
	    xmlStrcmp(xmlDocGetRootElement(doc)->name, BAD_CAST "domain")) {
		err_set(err, "cannot parse the domain XML");
		goto out;
	}
	devs = child_el(xmlDocGetRootElement(doc), "devices");
	for (c = devs ? devs->children : NULL; c && !found; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    !xmlStrcmp(c->name, BAD_CAST "interface") &&
		    iface_has_mac(c, mac))
			found = c;
	if (!found) {
		err_set(err, "the domain has no interface with MAC %s", mac);
		goto out;
	}
	b.doc = xmlNewDoc(BAD_CAST "1.0");
	copy = b.doc ? xmlDocCopyNode(found, b.doc, 1) : NULL;
	if (!copy) {
		b.failed = true;
	} else {
		xmlDocSetRootElement(b.doc, copy);
		link = child_el(copy, "link");
		if (!link)
			link = xb_el(&b, copy, "link", NULL);
		if (link && !xmlSetProp(link, BAD_CAST "state",
					BAD_CAST (up ? "up" : "down")))
			b.failed = true;
	}
	rc = xb_finish(&b, out, err);
out:
	xmlFreeDoc(doc);
	return rc;
}

/* Set attribute name of el to value; false on allocation failure. */
static bool set_attr(xmlNodePtr el, const char *name, const char *value)
{
	return xmlSetProp(el, BAD_CAST name, BAD_CAST value) != NULL;
}

int domxml_retarget(const char *saved_xml, const struct domain_spec *spec,
		    char **out, char *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, devs, c, src, tgt;
	xmlChar *buf = NULL;
	int len = 0, rc = -1, seen = 0;
	bool ok = true;

	if (!saved_xml || !spec) {
		err_set(err, "no saved domain XML or spec");
		return -1;
	}
	doc = xmlReadMemory(saved_xml, (int)strlen(saved_xml), "saved.xml",
			    NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || xmlStrcmp(root->name, BAD_CAST "domain")) {
		err_set(err, "cannot parse the saved domain XML");
		goto out;
	}
	devs = child_el(root, "devices");
	for (c = devs ? devs->children : NULL; c && ok; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!xmlStrcmp(c->name, BAD_CAST "interface")) {
			const struct nic_spec *n = NULL;

			for (int i = 0; i < spec->n_nics && !n; i++)
				if (iface_has_mac(c, spec->nics[i].mac))
					n = &spec->nics[i];
			if (!n) {
				err_set(err, "the saved domain has a NIC the "
					"spec does not");
				goto out;
			}
			seen++;
			/* a network port of the old run means nothing here */
			src = child_el(c, "source");
			if (src && n->network) {
				xmlUnsetProp(src, BAD_CAST "portid");
				xmlUnsetProp(src, BAD_CAST "bridge");
				ok &= set_attr(src, "network", n->network);
			} else if (src && n->bridge) {
				ok &= set_attr(src, "bridge", n->bridge);
			}
			tgt = child_el(c, "target");
			if (tgt && n->target)
				ok &= set_attr(tgt, "dev", n->target);
		} else if ((!xmlStrcmp(c->name, BAD_CAST "serial") ||
			    !xmlStrcmp(c->name, BAD_CAST "console")) &&
			   spec->console_log) {
			src = child_el(c, "source");
			if (src && xmlHasProp(src, BAD_CAST "path"))
				ok &= set_attr(src, "path", spec->console_log);
		} else if (!xmlStrcmp(c->name, BAD_CAST "disk") && spec->disk) {
			src = child_el(c, "source");
			if (src && xmlHasProp(src, BAD_CAST "file"))
				ok &= set_attr(src, "file", spec->disk);
		}
	}
	if (!ok) {
		err_set(err, "out of memory rewriting the saved domain XML");
		goto out;
	}
	if (seen != spec->n_nics) {
		err_set(err, "the saved domain has %d NICs, the spec %d", seen,
			spec->n_nics);
		goto out;
	}
	xmlDocDumpFormatMemoryEnc(doc, &buf, &len, "UTF-8", 1);
	if (!buf) {
		err_set(err, "cannot write the domain XML");
		goto out;
	}
	*out = g_strndup((const char *)buf, (gsize)len);
	rc = 0;
out:
	xmlFree(buf);
	xmlFreeDoc(doc);
	return rc;
}
