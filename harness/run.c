/* run.c - see run.h. */
#include "run.h"
#include "capture.h"
#include "klog.h"
#include "pxe.h"
#include "ssh.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const model_names[NIC_MODEL_COUNT] = {
	[NIC_RTL8139] = "rtl8139",
	[NIC_E1000] = "e1000",
	[NIC_VIRTIO] = "virtio",
};

/* QEMU device names, to check the host's QEMU has the model. */
static const char *const model_devices[NIC_MODEL_COUNT] = {
	[NIC_RTL8139] = "\"rtl8139\"",
	[NIC_E1000] = "\"e1000\"",
	[NIC_VIRTIO] = "\"virtio-net-pci\"",
};

int model_from_name(const char *name)
{
	int m;

	for (m = 0; m < NIC_MODEL_COUNT; m++)
		if (!strcmp(name, model_names[m]))
			return m;
	return -1;
}

const char *model_name(enum nic_model m)
{
	return model_names[m];
}

/* The host QEMU's device list, read once. */
static const char *qemu_devices(void)
{
	static char *devices;
	char *argv[] = { "qemu-system-x86_64", "-device", "help", NULL };
	struct proc_result r;

	if (devices)
		return devices;
	if (spawn_run(argv, 20000, &r, NULL) == 0 && r.status == 0) {
		devices = g_strconcat(r.out, r.errout, NULL);
	} else {
		devices = g_strdup("");
	}
	proc_result_clear(&r);
	return devices;
}

int run_cells(const struct run_opts *opts, struct cell *cells,
	      bool vhost_ok, const char *vhost_reason)
{
	int m, v, n = 0;

	for (m = 0; m < NIC_MODEL_COUNT; m++) {
		for (v = 0; v < 2; v++) {
			struct cell *c;

			if (!opts->model[m] || !opts->vhost[v])
				continue;
			c = &cells[n++];
			memset(c, 0, sizeof(*c));
			c->model = (enum nic_model)m;
			c->vhost = v == 1;
			snprintf(c->name, sizeof(c->name), "%s vhost=%s",
				 model_names[m], v ? "on" : "off");
			snprintf(c->slug, sizeof(c->slug), "%s-vhost-%s",
				 model_names[m], v ? "on" : "off");
			if (c->vhost && !vhost_ok)
				c->skip = vhost_reason;
			else if (c->vhost && m != NIC_VIRTIO)
				c->skip = "vhost-net backs only virtio-net; "
					  "this model has no vhost backend";
			else if (opts->uri == NULL &&
				 !strstr(qemu_devices(), model_devices[m]))
				c->skip = "the host QEMU lacks this NIC model";
		}
	}
	return n;
}

int run_find_image(const char *dir, char **kernel, char **initrd, char *err)
{
	char *k = g_build_filename(dir, "vmlinuz", NULL);
	char *i = g_build_filename(dir, "initrd.img", NULL);

	if (!g_file_test(k, G_FILE_TEST_IS_REGULAR) ||
	    !g_file_test(i, G_FILE_TEST_IS_REGULAR)) {
		err_set(err, "guest image not found in '%s' (no %s); build it "
			"with 'make guest'", dir,
			g_file_test(k, G_FILE_TEST_IS_REGULAR) ? "initrd.img" :
			"vmlinuz");
		g_free(k);
		g_free(i);
		return -1;
	}
	*kernel = k;
	*initrd = i;
	return 0;
}

/* ---- helpers cases use -------------------------------------------- */

void case_fail(struct case_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_string_append_printf(ctx->why, "%s%s", ctx->why->len ? "; " : "",
			       msg);
	g_free(msg);
}

int case_host_run(struct case_ctx *ctx, char *const argv[], int timeout_ms,
		  struct proc_result *res)
{
	char err[ERRLEN] = "";
	GString *cmd = g_string_new(NULL);
	char *const *a;
	int rc;

	for (a = argv; *a; a++) {
		char *q = shq(*a);

		g_string_append_printf(cmd, "%s%s", cmd->len ? " " : "", q);
		g_free(q);
	}
	rc = lab_exec(ctx->lab, argv, timeout_ms, res, err);
	if (rc < 0)
		file_appendf(ctx->transcript, NULL, "### host $ %s\n### "
			     "cannot run: %s\n\n", cmd->str, err);
	else
		file_appendf(ctx->transcript, NULL,
			     "### host $ %s\n### exit=%d%s elapsed=%lldms\n"
			     "--- stdout\n%s\n--- stderr\n%s\n\n", cmd->str,
			     res->status, res->timed_out ? " (timed out)" : "",
			     (long long)res->elapsed_ms, res->out,
			     res->errout);
	g_string_free(cmd, TRUE);
	return rc;
}

int case_guest_run(struct case_ctx *ctx, const char *cmd, int timeout_ms,
		   struct proc_result *res)
{
	return case_guest_run_on(ctx, 0, cmd, timeout_ms, res);
}

int case_guest_run_on(struct case_ctx *ctx, int i, const char *cmd,
		      int timeout_ms, struct proc_result *res)
{
	char err[ERRLEN] = "";

	if (sshc_run(ctx->guests[i].ssh, cmd, NULL, 0, timeout_ms, res,
		     err) < 0) {
		case_fail(ctx, "guest command failed: %s", err);
		return -1;
	}
	return 0;
}

void case_captures_stop(struct case_ctx *ctx)
{
	struct capture_stats st;
	char err[ERRLEN];
	int i;

	for (i = 0; i < ctx->n_nics; i++) {
		struct nic_under_test *n = &ctx->nics[i];

		if (!n->cap)
			continue;
		if (capture_stop(n->cap, &st, err) < 0)
			case_fail(ctx, "%s", err);
		n->cap = NULL;
		diag_map(ctx->diag, ctx->n_nics == 1 ? "capture" : n->tap);
		if (ctx->n_nics == 1)
			diag_str(ctx->diag, "interface", "%s", n->tap);
		diag_int(ctx->diag, "frames", (long long)st.frames);
		diag_int(ctx->diag, "kernel_dropped",
			 (long long)st.kernel_dropped);
		diag_end(ctx->diag);
		if (st.kernel_dropped)
			case_fail(ctx, "capture on %s lost %llu frames in the "
				  "kernel: the pcap cannot vouch for what got "
				  "through", n->tap,
				  (unsigned long long)st.kernel_dropped);
	}
}

/* ---- fault injection (negative controls) ------------------------- */

static int fault_apply(struct case_ctx *ctx, const struct fault *f)
{
	char *argv[] = { "nft", "-f", NULL, NULL };
	struct proc_result r;
	GString *rules;
	char *path;
	int rc, i;

	if (!f->drop_pct && !f->drop_frag && !f->drop_over && !f->vlan_from &&
	    !f->corrupt_tcp && !f->drop_mcast && !f->drop_udp &&
	    !f->drop_tftp)
		return 0;
	/*
	 * On the tap's egress hook: frames the bridge sends toward the guest
	 * are dropped before the capture sees them, so the pcap shows what
	 * really reached the guest's wire.  The table is replaced whole, so
	 * a table left by an earlier case cannot linger.
	 */
	rules = g_string_new("table netdev nicq_fault\n"
			     "delete table netdev nicq_fault\n"
			     "table netdev nicq_fault {\n");
	for (i = 0; i < ctx->n_nics; i++) {
		if (ctx->nics[i].mgmt)
			continue;
		g_string_append_printf(rules,
			"  chain egress%d {\n"
			"    type filter hook egress device \"%s\" priority 0;\n",
			i, ctx->nics[i].tap);
		if (f->drop_pct)
			g_string_append_printf(rules, "    ip protocol icmp "
					       "numgen random mod 100 < %d "
					       "drop\n", f->drop_pct);
		if (f->drop_frag)
			g_string_append(rules, "    ip frag-off & 0x1fff != 0 "
					"drop\n");
		if (f->drop_over)
			g_string_append_printf(rules, "    ip length > %d "
					       "drop\n", f->drop_over);
		if (f->vlan_from)
			g_string_append_printf(rules, "    vlan id %d vlan id "
					       "set %d\n", f->vlan_from,
					       f->vlan_to);
		if (f->corrupt_tcp)
			g_string_append(rules, "    meta l4proto tcp ip length "
					"> 1000 @ih,0,8 set 0x55\n");
		if (f->drop_mcast)
			g_string_append(rules, "    ether type 0x88b5 ether "
					"daddr & 01:00:00:00:00:00 == "
					"01:00:00:00:00:00 drop\n");
		g_string_append(rules, "  }\n");
		/*
		 * TCP from the guest is corrupted on the tap's ingress hook,
		 * after the capture saw it whole: the host stack gets bad
		 * data, which is what a guest -> host transfer must notice.
		 */
		if (!f->corrupt_tcp && !f->drop_tftp && !f->drop_udp)
			continue;
		g_string_append_printf(rules,
			"  chain ingress%d {\n"
			"    type filter hook ingress device \"%s\" "
			"priority 0;\n", i, ctx->nics[i].tap);
		if (f->corrupt_tcp)
			g_string_append(rules, "    meta l4proto tcp ip length "
					"> 1000 @ih,0,8 set 0x55\n");
		/* the RRQ is in the capture; the TFTP server never gets it */
		if (f->drop_tftp)
			g_string_append(rules, "    meta l4proto udp udp dport "
					"69 drop\n");
		/*
		 * UDP from the guest dropped after the capture saw it: the
		 * tap shows bytes the host never gets (stress).
		 */
		/*
		 * Only datagrams over 256 bytes: iperf3's 4-byte UDP
		 * handshakes must get through, or iperf3 hangs instead of
		 * the cross-check seeing the loss.
		 */
		if (f->drop_udp)
			g_string_append_printf(rules, "    ip protocol udp "
					       "ip length > 256 numgen random "
					       "mod 100 < %d drop\n",
					       f->drop_udp);
		g_string_append(rules, "  }\n");
	}
	g_string_append(rules, "}\n");
	path = g_build_filename(ctx->dir, "fault.nft", NULL);
	file_write(path, rules->str, rules->len, NULL);
	argv[2] = path;
	rc = case_host_run(ctx, argv, 10000, &r);
	if (rc == 0 && r.status != 0) {
		case_fail(ctx, "cannot inject fault: %s", g_strstrip(r.errout));
		rc = -1;
	}
	if (rc == 0) {
		diag_map(ctx->diag, "injected_fault");
		if (f->drop_pct)
			diag_str(ctx->diag, "drop", "%d%% of ICMP toward the "
				 "guests on their taps", f->drop_pct);
		if (f->drop_frag)
			diag_str(ctx->diag, "drop_fragments", "non-first IPv4 "
				 "fragments toward the guests on their taps");
		if (f->drop_mcast)
			diag_str(ctx->diag, "drop_mcast", "nicq's multicast "
				 "test frames toward the guests");
		if (f->drop_tftp)
			diag_str(ctx->diag, "drop_tftp", "TFTP requests (UDP "
				 "to port 69) from the guests, on their taps "
				 "after the capture");
		if (f->corrupt_tcp)
			diag_str(ctx->diag, "corrupt_tcp", "first payload "
				 "byte of TCP segments over 1000 bytes "
				 "overwritten, both ways, on the guests' taps");
		if (f->vlan_from)
			diag_str(ctx->diag, "vlan_rewrite", "VLAN id %d "
				 "rewritten to %d toward the guests",
				 f->vlan_from, f->vlan_to);
		if (f->drop_over)
			diag_str(ctx->diag, "drop_over", "IPv4 datagrams over "
				 "%d bytes toward the guests (an MTU clamp)",
				 f->drop_over);
		if (f->drop_udp)
			diag_str(ctx->diag, "drop_udp", "%d%% of UDP datagrams "
				 "over 256 bytes from the guests, after the "
				 "capture on their taps",
				 f->drop_udp);
		diag_end(ctx->diag);
	}
	proc_result_clear(&r);
	g_free(path);
	g_string_free(rules, TRUE);
	return rc;
}

static void fault_remove(const struct fault *f)
{
	char *argv[] = { "nft", "delete", "table", "netdev", "nicq_fault",
			 NULL };
	struct proc_result r;

	if (!f->drop_pct && !f->drop_frag && !f->drop_over && !f->vlan_from &&
	    !f->corrupt_tcp && !f->drop_mcast && !f->drop_udp &&
	    !f->drop_tftp)
		return;
	/* the lab's namespace goes away with the table anyway */
	if (spawn_run_teardown(argv, 10000, &r, NULL) == 0)
		proc_result_clear(&r);
}

/* ---- one case in one cell ----------------------------------------- */

struct run_state {
	const struct run_opts *opts;
	struct lab *lab;
	struct ssh_ident *ident;
	struct tap *tap;
	char *run_dir;
	char *kernel, *initrd;
	unsigned guest_seq, nic_seq, seg_seq;
	bool fault_applied;	/* this case's fault is on the taps */
	bool infra_failed;
	char infra_why[ERRLEN];
};

static void klog_check(struct case_ctx *ctx, const char *what,
		       const char *text, size_t len)
{
	GPtrArray *hits = NULL;
	char err[ERRLEN];
	guint i;

	if (klog_scan(text, len, &hits, err) < 0) {
		case_fail(ctx, "cannot scan %s: %s", what, err);
		return;
	}
	if (hits->len) {
		const struct klog_hit *h = hits->pdata[0];

		case_fail(ctx, "%s shows %u kernel problem%s, first: line %u: "
			  "%s", what, hits->len, hits->len == 1 ? "" : "s",
			  h->line, h->text);
	}
	diag_list(ctx->diag, what);
	for (i = 0; i < hits->len && i < 5; i++) {
		const struct klog_hit *h = hits->pdata[i];

		diag_str(ctx->diag, NULL, "line %u: %s: %s", h->line, h->kind,
			 h->text);
	}
	diag_end(ctx->diag);
	klog_hits_free(hits);
}

static char *kernel_cmdline(struct run_state *rs, const struct case_ctx *ctx,
			    int guest)
{
	const char *pub = ssh_ident_pubkey(rs->ident);
	char *key = g_strdup(pub), *sp = strchr(key, ' ');
	GString *line = g_string_new(NULL);
	int i;

	if (sp)
		*sp = ':';
	g_string_append_printf(line, "console=ttyS0 panic=-1 "
			       "nicq.hostname=nicq-guest%d nicq.authkey=%s",
			       guest, key);
	for (i = 0; i < ctx->n_nics; i++)
		if (ctx->nics[i].guest == guest)
			g_string_append_printf(line, " nicq.if=%s,%s%s,%d",
					       ctx->nics[i].mac,
					       ctx->nics[i].no_addr ? "none" :
					       ctx->nics[i].ip,
					       ctx->nics[i].no_addr ? "" : "/24",
					       ctx->nics[i].mtu);
	g_free(key);
	return g_string_free(line, FALSE);
}

static const struct topology default_topo = {
	.n_segments = 1,
	.n_guests = 1,
	.guests = { { .n_nics = 1, .nics = { { MODEL_OF_CELL, 0 } } } },
};

/*
 * A network boot segment (topology pxe): DHCP for .100-.199 (the guest's
 * own address, from its command line, is .10), and a TFTP root serving the
 * iPXE script for guest 0, whose kernel command line also says
 * nicq.boot=pxe.  ns->tftp_root (the path as libvirt sees it) is
 * g_free()able; ctx->tftp_dir is the same folder as nicq sees it.
 *
 * dnsmasq drops its privileges, so the folder and its parents must be open
 * to others, which a results folder under a private home or mktemp -d is
 * not.  In the private lab the folder lives in the lab's own /run (seen
 * by its daemons as /run/nicq-tftp-<k>), goes away after the case, and the
 * script is kept in the case's folder as evidence.  With --connect it is
 * the case's tftp/ folder.
 */
static int pxe_segment(struct run_state *rs, struct case_ctx *ctx,
		       struct net_spec *ns, char start[16], char end[16],
		       char *err)
{
	char *tftp;
	char *base = kernel_cmdline(rs, ctx, 0);
	char *cmdline = g_strconcat(base, " nicq.boot=pxe", NULL);
	char *net = g_strndup(ns->ip, (gsize)(strrchr(ns->ip, '.') - ns->ip));
	int rc;

	if (rs->lab->private_lab) {
		ctx->tftp_dir = g_strdup_printf("%s/run/nicq-tftp-%u",
						rs->lab->dir, rs->seg_seq);
		tftp = g_strdup_printf("/run/nicq-tftp-%u", rs->seg_seq);
	} else {
		ctx->tftp_dir = g_build_filename(ctx->dir, "tftp", NULL);
		tftp = g_strdup(ctx->tftp_dir);
	}
	rc = pxe_tftp_root(ctx->tftp_dir, rs->kernel, rs->initrd, ns->ip,
			   cmdline, err);
	snprintf(start, 16, "%s.100", net);
	snprintf(end, 16, "%s.199", net);
	ns->dhcp_start = start;
	ns->dhcp_end = end;
	ns->tftp_root = tftp;
	ns->boot_file = PXE_BOOT_FILE;
	/*
	 * iPXE configures IPv6 next to DHCP and waits for a router
	 * advertisement before it boots (about 13 s here without one): an
	 * IPv6 address from the benchmarking range (RFC 5180) makes
	 * libvirt's dnsmasq advertise the segment's prefix.
	 */
	ns->ip6 = "2001:2:0:10::1";
	ns->prefix6 = 64;
	g_free(base);
	g_free(cmdline);
	g_free(net);
	if (rc < 0) {
		g_free(tftp);
		ns->tftp_root = NULL;
	}
	return rc;
}

/* Create the case's segments: network nicq-<id>-s<k>, 198.18.<10+s>.0/24. */
static int segments_open(struct run_state *rs, struct case_ctx *ctx,
			 const struct topology *t, GPtrArray *nets, char *err)
{
	int s, rc;

	for (s = 0; s < t->n_segments; s++) {
		struct net_spec ns = { 0 };
		unsigned k = ++rs->seg_seq;
		char suffix[16], bridge[16], ip[16], dstart[16], dend[16];
		char *name;

		snprintf(suffix, sizeof(suffix), "s%u", k % 10000);
		snprintf(bridge, sizeof(bridge), "nq%.6sb%u", rs->lab->id,
			 k % 10000);
		snprintf(ip, sizeof(ip), "198.18.%u.1",
			 10u + (unsigned)s % CASE_MAX_SEGMENTS);
		name = lab_name(rs->lab, suffix);
		ns.name = name;
		ns.bridge = bridge;
		ns.ip = ip;
		ns.prefix = 24;
		ns.mtu = t->segment_mtu[s];
		g_ptr_array_add(nets, name);
		if (t->pxe && s == 0 &&
		    pxe_segment(rs, ctx, &ns, dstart, dend, err) < 0)
			return -1;
		rc = lab_segment_add(rs->lab, &ns, err);
		g_free((char *)ns.tftp_root);
		if (rc < 0)
			return -1;
		for (int i = 0; i < ctx->n_nics; i++) {
			if (ctx->nics[i].segment != s)
				continue;
			memcpy(ctx->nics[i].bridge, bridge, sizeof(bridge));
			memcpy(ctx->nics[i].host_ip, ip, sizeof(ip));
		}
	}
	return 0;
}

static void segments_close(struct run_state *rs, GPtrArray *nets)
{
	guint i;

	for (i = 0; i < nets->len; i++)
		lab_segment_remove(rs->lab, nets->pdata[i]);
}

/*
 * The case's disk: a sparse raw file in its folder (absolute, so the domain
 * XML takes it), removed after the case by disk_remove().
 */
static int disk_create(struct case_ctx *ctx, struct case_guest *cg)
{
	char *rel = g_build_filename(ctx->dir, "disk.raw", NULL);
	FILE *f;

	cg->disk = g_canonicalize_filename(rel, NULL);
	g_free(rel);
	f = fopen(cg->disk, "w");
	if (!f || ftruncate(fileno(f), (off_t)ctx->desc->disk_mib << 20) < 0) {
		case_fail(ctx, "cannot create disk '%s': %s", cg->disk,
			  strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static void disk_remove(struct case_guest *cg)
{
	if (!cg->disk)
		return;
	unlink(cg->disk);
	g_free(cg->disk);
	cg->disk = NULL;
}

/* Start the capture on nt's tap unless it is the management NIC or runs. */
static int capture_nic(struct case_ctx *ctx, struct nic_under_test *nt,
		       char *err)
{
	if (nt->mgmt || nt->cap)
		return 0;
	g_free(nt->pcap);
	nt->pcap = g_strdup_printf("%s/capture-%s.pcap", ctx->dir, nt->tap);
	return capture_start(nt->tap, nt->pcap, ctx->desc->capture_snaplen,
			     &nt->cap, err);
}

struct boot_hook {
	struct run_state *rs;
	struct case_ctx *ctx;
	int gi;
};

/*
 * A network-booting guest, created paused: its taps exist, its CPUs have
 * not run.  Capture and fault go in now, so the capture holds its first
 * DHCP request and a fault acts on the boot itself.
 */
static int boot_hook_run(void *arg, char *err)
{
	struct boot_hook *h = arg;
	int i;

	for (i = 0; i < h->ctx->n_nics; i++)
		if (h->ctx->nics[i].guest == h->gi &&
		    capture_nic(h->ctx, &h->ctx->nics[i], err) < 0)
			return -1;
	if (fault_apply(h->ctx, &h->rs->opts->fault) < 0) {
		err_set(err, "cannot inject the fault before the guest runs");
		return -1;
	}
	h->rs->fault_applied = true;
	return 0;
}

/* Boot guest gi of the case and connect to it; 0 or -1 (reason recorded). */
static int boot_guest(struct run_state *rs, struct case_ctx *ctx, int gi,
		      const char *net_names[], struct diag *d)
{
	const struct run_opts *o = rs->opts;
	struct case_guest *cg = &ctx->guests[gi];
	struct domain_spec spec = { 0 };
	struct boot_hook hook = { rs, ctx, gi };
	const struct topology *t = ctx->desc->topo;
	bool pxe = t && t->pxe && gi == 0;
	char err[ERRLEN] = "", suffix[16];
	char *name, *cmdline, *path;
	int i, n = 0, rc = -1;

	snprintf(suffix, sizeof(suffix), "g%u", ++rs->guest_seq % 100000);
	name = lab_name(rs->lab, suffix);
	path = g_strdup_printf("console%s.log", ctx->n_guests > 1 ?
			       (gi ? "-b" : "-a") : "");
	cg->console = g_build_filename(ctx->dir, path, NULL);
	g_free(path);
	cmdline = kernel_cmdline(rs, ctx, gi);
	if (ctx->desc->disk_mib > 0 && gi == 0) {
		char *c = g_strconcat(cmdline, " nicq.resume=/dev/vda", NULL);

		g_free(cmdline);
		cmdline = c;
	}
	spec.name = name;
	spec.type = !strcmp(rs->lab->accel_name, "kvm") ? "kvm" : "qemu";
	spec.memory_mib = o->prof.guest_memory_mib;
	spec.vcpus = 1;
	spec.kernel = pxe ? NULL : rs->kernel;
	spec.initrd = pxe ? NULL : rs->initrd;
	spec.cmdline = pxe ? NULL : cmdline;
	spec.bios_serial = pxe;
	spec.console_log = cg->console;
	spec.pm_suspend_to_mem = true;
	diag_map(d, NULL);
	diag_str(d, "domain", "%s", name);
	diag_str(d, "accel", "%s", rs->lab->accel_name);
	if (ctx->desc->disk_mib > 0 && gi == 0) {
		if (disk_create(ctx, cg) < 0)
			goto out;
		spec.disk = cg->disk;
		spec.pm_suspend_to_disk = true;
		diag_str(d, "disk", "%s (sparse, %d MiB, vda)", cg->disk,
			 ctx->desc->disk_mib);
	}
	if (pxe)
		diag_str(d, "boot", "network, from its first NIC (no kernel "
			 "or disk in the domain)");
	diag_list(d, "nics");
	for (i = 0; i < ctx->n_nics; i++) {
		struct nic_under_test *nt = &ctx->nics[i];
		struct nic_spec *ns;

		if (nt->guest != gi)
			continue;
		ns = &spec.nics[n++];
		ns->model = nt->model;
		memcpy(ns->mac, nt->mac, sizeof(nt->mac));
		ns->network = net_names[nt->segment];
		ns->target = nt->tap;
		ns->vhost = nt->model == NIC_VIRTIO && ctx->cell->vhost &&
			    !nt->mgmt;
		/*
		 * QEMU's default ROM, not <rom file>: with any romfile named
		 * (even the default's own path), SeaBIOS on QEMU 7.2 here
		 * finds no boot device on the NIC.
		 */
		if (pxe && n == 1)
			ns->boot_order = 1;
		diag_str(d, NULL, "%s%s mac %s tap %s address %s",
			 model_name(nt->model), nt->mgmt ?
			 " (management, carries SSH)" : "", nt->mac, nt->tap,
			 nt->no_addr ? "none" : nt->ip);
	}
	diag_end(d);
	spec.n_nics = n;
	if (guest_boot_hooked(rs->lab, &spec, o->prof.boot_timeout_s * 1000,
			      pxe ? boot_hook_run : NULL, &hook, &cg->g,
			      err) < 0) {
		case_fail(ctx, "%s", err);
		goto out;
	}
	diag_int(d, "boot_ms", (long long)cg->g->boot_ms);
	path = g_strdup_printf("%s/domain-%s.xml", ctx->dir, suffix);
	file_write(path, cg->g->xml, strlen(cg->g->xml), NULL);
	g_free(path);
	if (cg->g->marker_errors)
		case_fail(ctx, "guest reported at boot: %s",
			  cg->g->marker_errors);
	diag_list(d, "vhost");
	n = 0;
	for (i = 0; i < ctx->n_nics; i++) {
		struct nic_under_test *nt = &ctx->nics[i];
		char *measured = NULL;
		bool want = nt->model == NIC_VIRTIO && ctx->cell->vhost &&
			    !nt->mgmt;

		if (nt->guest != gi)
			continue;
		if (guest_check_vhost(cg->g, n++, want, &measured, err) < 0)
			case_fail(ctx, "%s", err);
		diag_str(d, NULL, "%s: %s", nt->tap,
			 measured ? measured : "unknown");
		g_free(measured);
		nt->ifname = guest_ifname(cg->g, nt->mac);
		if (!nt->ifname)
			case_fail(ctx, "guest %s has no interface with MAC %s",
				  name, nt->mac);
	}
	diag_end(d);
	if (ctx->why->len)
		goto out;
	/* SSH goes over the management NIC if the guest has one */
	n = -1;
	for (i = 0; i < ctx->n_nics; i++) {
		if (ctx->nics[i].guest != gi || ctx->nics[i].no_addr)
			continue;
		if (n < 0 || ctx->nics[i].mgmt)
			n = i;
	}
	if (n < 0) {
		case_fail(ctx, "guest %s has no addressed NIC for SSH", name);
		goto out;
	}
	if (sshc_connect(ctx->nics[n].ip, 22, cg->g->hostkey, rs->ident,
			 30000, &cg->ssh, err) < 0) {
		case_fail(ctx, "%s", err);
		goto out;
	}
	sshc_set_transcript(cg->ssh, ctx->transcript);
	rc = 0;
out:
	diag_end(d);
	g_free(name);
	g_free(cmdline);
	return rc;
}

static enum verdict run_case(struct run_state *rs, const struct cell *cell,
			     const struct case_desc *cd, struct diag *d,
			     GString *why, const char **known)
{
	const struct run_opts *o = rs->opts;
	const struct topology *t = cd->topo ? cd->topo : &default_topo;
	struct case_ctx ctx = { 0 };
	GPtrArray *nets = g_ptr_array_new_with_free_func(g_free);
	const char *net_names[CASE_MAX_SEGMENTS] = { 0 };
	char err[ERRLEN] = "";
	enum verdict v = V_ERROR;
	struct proc_result r;
	size_t why_after_run = 0;
	int gi, i;
	char *text;
	size_t len;

	ctx.desc = cd;
	ctx.cell = cell;
	ctx.prof = &o->prof;
	ctx.lab = rs->lab;
	ctx.diag = d;
	ctx.why = why;
	ctx.fault = &o->fault;
	ctx.ident = rs->ident;
	ctx.dir = g_build_filename(rs->run_dir, cell->slug, cd->name, NULL);
	ctx.transcript = g_build_filename(ctx.dir, "transcript.txt", NULL);
	if (mkdir_p(ctx.dir, err) < 0) {
		case_fail(&ctx, "%s", err);
		goto out;
	}
	/* lay out NICs: addresses, MACs and tap names unique in the run */
	ctx.n_guests = t->n_guests;
	for (gi = 0; gi < t->n_guests; gi++) {
		for (i = 0; i < t->guests[gi].n_nics; i++) {
			const struct topo_nic *tn = &t->guests[gi].nics[i];
			struct nic_under_test *nt = &ctx.nics[ctx.n_nics++];
			unsigned k = ++rs->nic_seq;

			if (tn->model == MODEL_OF_CELL)
				nt->model = cell->model;
			else if (tn->model == MODEL_MGMT)
				nt->model = cell->model == NIC_VIRTIO ?
					    NIC_E1000 : NIC_VIRTIO;
			else
				nt->model = (enum nic_model)tn->model;
			nt->mgmt = tn->model == MODEL_MGMT;
			nt->no_addr = tn->no_addr;
			nt->guest = gi;
			nt->segment = tn->segment;
			nt->mtu = tn->mtu;
			snprintf(nt->mac, sizeof(nt->mac),
				 "52:54:00:18:%02x:%02x", (k >> 8) & 0xff,
				 k & 0xff);
			snprintf(nt->tap, sizeof(nt->tap), "nq%.6st%u",
				 rs->lab->id, k % 10000);
			snprintf(nt->ip, sizeof(nt->ip), "198.18.%u.%u",
				 10u + (unsigned)tn->segment % CASE_MAX_SEGMENTS,
				 10u + (unsigned)gi % CASE_MAX_GUESTS);
		}
	}
	ctx.nic = &ctx.nics[0];
	rs->fault_applied = false;
	if (t->pxe && pxe_rom_path(ctx.nics[0].model, &ctx.nics[0].rom,
				   err) < 0) {
		g_string_append_printf(why, "no network boot ROM: %s", err);
		v = V_SKIP;
		goto out;
	}
	if (segments_open(rs, &ctx, t, nets, err) < 0) {
		case_fail(&ctx, "%s", err);
		goto out;
	}
	for (i = 0; i < (int)nets->len; i++)
		net_names[i] = nets->pdata[i];
	diag_list(d, "guests");
	for (gi = 0; gi < ctx.n_guests; gi++)
		if (boot_guest(rs, &ctx, gi, net_names, d) < 0)
			break;
	diag_end(d);
	if (gi < ctx.n_guests) {
		if (cd->boot_failed && t->pxe && !interrupted()) {
			case_captures_stop(&ctx);
			cd->boot_failed(&ctx);
		}
		goto out;
	}
	ctx.guest = ctx.guests[0].g;
	ctx.ssh = ctx.guests[0].ssh;

	for (i = 0; i < ctx.n_nics; i++) {
		if (capture_nic(&ctx, &ctx.nics[i], err) < 0) {
			case_fail(&ctx, "%s", err);
			goto out;
		}
	}
	if (!rs->fault_applied && fault_apply(&ctx, &o->fault) < 0)
		goto out;
	v = cd->run(&ctx);
	why_after_run = why->len;
	case_captures_stop(&ctx);

	/* Every case also answers for the guests' kernel logs. */
	for (gi = 0; gi < ctx.n_guests; gi++) {
		char *what = g_strdup_printf("dmesg%s", ctx.n_guests > 1 ?
					     (gi ? "-b" : "-a") : "");

		if (sshc_run(ctx.guests[gi].ssh, "dmesg", NULL, 0, 20000, &r,
			     err) == 0 && r.status == 0) {
			text = g_strdup_printf("%s/%s.txt", ctx.dir, what);
			file_write(text, r.out, strlen(r.out), NULL);
			g_free(text);
			klog_check(&ctx, what, r.out, strlen(r.out));
		} else {
			case_fail(&ctx, "cannot read the guest's kernel log: "
				  "%s", err[0] ? err : "dmesg failed");
		}
		proc_result_clear(&r);
		g_free(what);
	}
out:
	fault_remove(&o->fault);
	case_captures_stop(&ctx);
	for (gi = 0; gi < ctx.n_guests; gi++) {
		struct case_guest *cg = &ctx.guests[gi];

		sshc_free(cg->ssh);
		guest_destroy(cg->g);
		disk_remove(cg);
		if (cg->console &&
		    file_read(cg->console, &text, &len, NULL) == 0) {
			char *what = g_strdup_printf("console%s",
				ctx.n_guests > 1 ? (gi ? "-b" : "-a") : "");

			klog_check(&ctx, what, text, len);
			g_free(what);
			g_free(text);
		}
	}
	segments_close(rs, nets);
	if (ctx.tftp_dir && rs->lab->private_lab) {
		char *from = g_build_filename(ctx.tftp_dir, PXE_BOOT_FILE,
					      NULL);
		char *to = g_build_filename(ctx.dir, PXE_BOOT_FILE, NULL);

		if (file_read(from, &text, &len, NULL) == 0) {
			file_write(to, text, len, NULL);
			g_free(text);
		}
		rm_rf(ctx.tftp_dir, NULL);
		g_free(from);
		g_free(to);
	}
	g_free(ctx.tftp_dir);
	diag_map(d, "artifacts");
	diag_str(d, "dir", "%s", ctx.dir);
	diag_list(d, "pcaps");
	for (i = 0; i < ctx.n_nics; i++)
		if (ctx.nics[i].pcap)
			diag_str(d, NULL, "%s", ctx.nics[i].pcap);
	diag_end(d);
	diag_str(d, "transcript", "%s", ctx.transcript);
	diag_end(d);
	if (interrupted())
		v = V_ERROR;
	else if (v == V_PASS && why->len)
		v = V_FAIL;
	else if (v == V_KNOWN && (!why->len || !ctx.known ||
				  why->len != why_after_run))
		v = V_FAIL;	/* it names its defect, and nothing else
				 * (kernel log, teardown) failed after it */
	else if (v != V_SKIP && v != V_PASS && !why->len)
		case_fail(&ctx, "case ended without a verdict");
	*known = ctx.known;
	if (v == V_ERROR && !why->len)
		g_string_append(why, "case could not run");
	for (gi = 0; gi < ctx.n_guests; gi++)
		g_free(ctx.guests[gi].console);
	for (i = 0; i < ctx.n_nics; i++) {
		g_free(ctx.nics[i].ifname);
		g_free(ctx.nics[i].pcap);
		g_free(ctx.nics[i].rom);
	}
	g_ptr_array_free(nets, TRUE);
	g_free(ctx.dir);
	g_free(ctx.transcript);
	return v;
}

/* ---- the matrix ------------------------------------------------------ */

/*
 * The private lab's daemons see their own /var and /run (bind mounts of the
 * lab directory), so console logs and guest images there would be out of
 * their sight: refuse such paths up front with a clear message.
 */
static int private_lab_path_ok(const char *path, const char *what, char *err)
{
	char *abs = g_canonicalize_filename(path, NULL);
	int rc = 0;

	if (g_str_has_prefix(abs, "/var/") || !strcmp(abs, "/var") ||
	    g_str_has_prefix(abs, "/run/") || !strcmp(abs, "/run")) {
		err_set(err, "%s '%s' is under /var or /run, which the private "
			"lab's libvirtd does not see; use another folder or "
			"--connect", what, abs);
		rc = -1;
	}
	g_free(abs);
	return rc;
}

static char *make_run_id(const char *lab_id)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	return g_strdup_printf("%s-%s", stamp, lab_id);
}

int run_matrix(const struct run_opts *o)
{
	struct run_state rs = { .opts = o };
	struct lab_opts lo = { .uri = o->uri, .accel = o->accel };
	struct cell cells[6];
	char err[ERRLEN] = "", lab_err[ERRLEN] = "";
	char *tap_path = NULL, *logs = NULL, *vreason = NULL;
	FILE *tapf = NULL;
	int n_cells, i, j, rc = EXIT_PASS, failed = 0;
	bool vhost_ok;

	if (run_find_image(o->image_dir, &rs.kernel, &rs.initrd, err) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		return EXIT_USAGE;
	}
	if (!o->uri && (private_lab_path_ok(o->results_root, "results folder",
					    err) < 0 ||
			private_lab_path_ok(o->image_dir, "guest image",
					    err) < 0)) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!o->uri && lab_check_leftovers(err) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_INFRA;
		goto out;
	}
	vhost_ok = lab_probe_vhost(&vreason);
	n_cells = run_cells(o, cells, vhost_ok,
			    "vhost-net not available on this host");

	/* The run's folder name; the folder itself is made once the lab is
	 * up, or to record a private lab's bail-out. */
	{
		char id[8];

		for (i = 0; i < 6; i++)
			id[i] = "abcdefghijklmnopqrstuvwxyz0123456789"
				[g_random_int_range(0, 36)];
		id[6] = '\0';
		rs.run_dir = g_build_filename(o->results_root,
					      make_run_id(id), NULL);
	}
	logs = g_build_filename(rs.run_dir, "lab", NULL);
	lo.log_dir = logs;
	if (lab_open(&lo, &rs.lab, lab_err) < 0 && o->uri) {
		/* the user's libvirt: a configuration error, nothing started */
		fprintf(stderr, "nicq: %s\n", lab_err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (mkdir_p(rs.run_dir, err) < 0) {
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	tap_path = g_build_filename(rs.run_dir, "run.tap", NULL);
	tapf = fopen(tap_path, "w");
	if (!tapf) {
		fprintf(stderr, "nicq: cannot write '%s': %s\n", tap_path,
			strerror(errno));
		rc = EXIT_USAGE;
		goto out;
	}
	rs.tap = tap_new(stdout, tapf, o->tap_version);
	tap_comment(rs.tap, "nicq run %s", rs.run_dir);
	tap_comment(rs.tap, "profile %s", o->prof.name);
	tap_plan(rs.tap, n_cells);
	if (!rs.lab) {
		char *why = g_strdup_printf("lab will not start: %s", lab_err);

		tap_bail(rs.tap, why);
		fprintf(stderr, "nicq: %s\n", why);
		g_free(why);
		rc = EXIT_INFRA;
		goto out;
	}
	tap_comment(rs.tap, "lab: %s%s%s", rs.lab->private_lab ?
		    "private, namespace " : "libvirt ",
		    rs.lab->private_lab ? rs.lab->netns : rs.lab->uri, "");
	tap_comment(rs.tap, "accelerator: %s (%s)", rs.lab->accel_name,
		    rs.lab->accel_reason);
	if (!vhost_ok)
		tap_comment(rs.tap, "vhost-net: unavailable (%s)", vreason);
	if (ssh_ident_new(&rs.ident, err) < 0) {
		tap_bail(rs.tap, err);
		fprintf(stderr, "nicq: %s\n", err);
		rc = EXIT_INFRA;
		goto out;
	}

	for (i = 0; i < n_cells && !interrupted(); i++) {
		const struct cell *c = &cells[i];

		tap_subtest_begin(rs.tap, c->name);
		tap_plan(rs.tap, o->n_cases);
		for (j = 0; j < o->n_cases; j++) {
			const struct case_desc *cd = o->cases[j];
			struct diag *d = diag_new();
			GString *why = g_string_new(NULL);
			const char *known = NULL;
			enum verdict v;

			if (c->skip || (cd->only_model &&
					*cd->only_model != (int)c->model)) {
				tap_point(rs.tap, TAP_SKIP, cd->name,
					  c->skip ? c->skip : cd->skip_reason,
					  NULL);
				diag_free(d);
				g_string_free(why, TRUE);
				continue;
			}
			if (interrupted()) {
				tap_point(rs.tap, TAP_NOT_OK, cd->name, NULL,
					  NULL);
				diag_free(d);
				g_string_free(why, TRUE);
				continue;
			}
			diag_str(d, "case", "%s", cd->summary);
			diag_str(d, "plan", "%s", cd->plan);
			v = run_case(&rs, c, cd, d, why, &known);
			if (v != V_PASS && v != V_SKIP)
				diag_str(d, "failure", "%s", why->str);
			if (v == V_KNOWN)
				diag_str(d, "known_defect", "%s", known);
			if (v == V_SKIP)
				tap_point(rs.tap, TAP_SKIP, cd->name, why->str, d);
			else if (v == V_KNOWN)
				tap_point(rs.tap, TAP_TODO, cd->name, known, d);
			else
				tap_point(rs.tap, v == V_PASS ? TAP_OK :
					  TAP_NOT_OK, cd->name, NULL, d);
			if (v != V_PASS && v != V_SKIP && v != V_KNOWN)
				failed++;
			diag_free(d);
			g_string_free(why, TRUE);
		}
		tap_subtest_end(rs.tap, c->name, c->skip, NULL);
	}
	for (; i < n_cells; i++) {
		/* interrupted: the remaining cells did not run */
		tap_point(rs.tap, TAP_NOT_OK, cells[i].name, NULL, NULL);
	}
	if (interrupted()) {
		tap_comment(rs.tap, "interrupted by signal %d; lab torn down",
			    interrupt_signal());
		rc = EXIT_INFRA;
	} else if (failed) {
		rc = EXIT_FAIL;
	}
out:
	if (rs.lab)
		lab_close(rs.lab);
	ssh_ident_free(rs.ident);
	if (rs.tap)
		tap_free(rs.tap);
	if (tapf)
		fclose(tapf);
	if (rs.run_dir && rc != EXIT_USAGE)
		fprintf(stderr, "nicq: results in %s\n", rs.run_dir);
	g_free(rs.run_dir);
	g_free(rs.kernel);
	g_free(rs.initrd);
	g_free(tap_path);
	g_free(logs);
	g_free(vreason);
	return rc;
}
