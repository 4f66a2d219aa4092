/* fixture.c - see fixture.h. */
#include "fixture.h"
#include "capture.h"
#include "console.h"
#include "klog.h"
#include "pxe.h"
#include "transcript.h"
#include "util.h"
#include "xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Domains restored from saved states: nicq-state-j<slot>-<key>. */
#define STATE_DOMAIN_PREFIX "nicq-state-"
/*
 * The first commands in a guest just started (its clock, its state): not
 * judged, and slow when the guest was just restored on a busy host (QEMU
 * translates all its code again).  On 2 cores with nine runs starting at
 * once a restore took 65 s and the clock's 10 s ran out (CI, stop 14).
 */
#define GUEST_FIRST_CMD_MS 45000

/* ---- kernel logs ----------------------------------------------------------- */

/*
 * Read a console log a guest filled, at most CONSOLE_KLOG_MAX bytes and
 * never through a symlink; what was cut is said as an observation, since
 * the kernel-log check then saw only the start.
 */
static int console_read(struct case_ctx *ctx, const char *path, char **text,
			size_t *len)
{
	bool cut = false;

	if (file_read_max(path, CONSOLE_KLOG_MAX, text, len, &cut, NULL) < 0)
		return -1;
	if (cut)
		observe_str(ctx, case_fmt(ctx, "%s: read", case_rel(ctx, path)),
			    "the first %u bytes only (output truncated)",
			    CONSOLE_KLOG_MAX);
	return 0;
}

const struct param param_boot_timeout = {
	"boot_timeout", PARAM_INT, "120", "120", 5, 3600,
	"seconds a guest may take from power-on to its readiness marker",
};
const struct param param_guest_memory = {
	"guest_memory", PARAM_INT, "384", "384", 128, 65536,
	"MiB of memory per guest",
};
const struct param param_deadline_scale = {
	"deadline_scale", PARAM_INT, "100", "100", 1, 10000,
	"percent applied to every case's own deadline (slow hosts: more)",
};

/* Set-up and teardown besides the boots: segments, captures, dmesg. */
#define FIXED_ALLOWANCE_S 60
/* A case that declares no deadline. */
#define DEFAULT_CASE_S 300

int fixture_deadline_s(const struct case_desc *cd, const struct profile *p)
{
	const struct topology *t = cd->topo;
	int guests = t ? t->n_guests : 1;
	long own = cd->deadline_s ? cd->deadline_s(p) : DEFAULT_CASE_S;
	long s;

	/* boot_timeout is a parameter of its own: only the case's is scaled */
	own = own * prof_int(p, &param_deadline_scale) / 100;
	s = (long)guests * prof_int(p, &param_boot_timeout) +
	    FIXED_ALLOWANCE_S + own;
	return s < 1 ? 1 : s > 7 * 86400 ? 7 * 86400 : (int)s;
}

static const struct topology default_topo = {
	.n_segments = 1,
	.n_guests = 1,
	.guests = { { .n_nics = 1, .nics = { { MODEL_OF_CELL, 0 } } } },
};

/* ---- the case's services ------------------------------------------- */

int case_param(const struct case_ctx *ctx, const struct param *par)
{
	return prof_int(ctx->prof, par);
}

uint16_t case_ident(struct case_ctx *ctx, unsigned n)
{
	unsigned first;

	if (n == 0 || n > CASE_IDENTS_PER_SLOT)
		n = 1;
	if (ctx->idents_used + n > CASE_IDENTS_PER_SLOT)
		ctx->idents_used = 0;	/* a long case wraps around */
	first = ctx->idents_used;
	ctx->idents_used += n;
	/* 8 slots at most (--jobs): 1..65520 */
	return (uint16_t)(1u + ((unsigned)ctx->slot % 8u) *
			  CASE_IDENTS_PER_SLOT + first);
}

unsigned case_octet(const struct case_ctx *ctx, int i)
{
	/* 198.18.10.0 upwards, 16 /24s a slot: never shared by two points */
	return 10u + 16u * (unsigned)ctx->slot + (unsigned)i % 16u;
}

int case_scaled_ms(const struct case_ctx *ctx, int ms)
{
	long scale = prof_int(ctx->prof, &param_deadline_scale);
	long v = (long)ms * (scale > 100 ? scale : 100) / 100;

	return v > INT_MAX ? INT_MAX : (int)v;
}

const struct pval *case_params(const struct case_ctx *ctx,
			       const struct param *par)
{
	return prof_val(ctx->prof, par);
}

int case_host_run(struct case_ctx *ctx, char *const argv[], int timeout_ms,
		  struct proc_result *res)
{
	struct transcript_rec tr = { 0 };
	char err[ERRLEN] = "";
	GString *cmd = g_string_new(NULL);
	char *oc;
	int rc;

	for (char *const *a = argv; *a; a++) {
		char *q = shq(*a);

		g_string_append_printf(cmd, "%s%s", cmd->len ? " " : "", q);
		g_free(q);
	}
	clock_gettime(CLOCK_REALTIME, &tr.wall_start);
	tr.mono_start = mono_ms();
	rc = lab_exec(ctx->lab, argv, timeout_ms, res, err);
	tr.where = "host";
	tr.cmd = cmd->str;
	if (rc < 0) {
		oc = g_strdup_printf("cannot run: %s", err);
		tr.elapsed_ms = mono_ms() - tr.mono_start;
		case_error(ctx, "cannot run '%s' on the host: %s", argv[0],
			   err);
	} else {
		oc = g_strdup_printf("%s%d%s", res->status >= 128 ?
				     "killed, status " : "exit ", res->status,
				     res->timed_out ? " (TIMED OUT)" :
				     res->interrupted ? " (INTERRUPTED)" : "");
		tr.elapsed_ms = res->elapsed_ms;
		tr.out = res->out;
		tr.out_len = strlen(res->out);
		tr.err = res->errout;
		tr.err_len = strlen(res->errout);
	}
	tr.outcome = oc;
	transcript_add(ctx->transcript, &tr);
	g_free(oc);
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

	if (i < 0 || i >= ctx->n_guests || !ctx->guests[i].ssh) {
		memset(res, 0, sizeof(*res));
		case_error(ctx, "guest %d has no SSH session", i);
		return -1;
	}
	if (sshc_run(ctx->guests[i].ssh, cmd, NULL, 0, timeout_ms, res,
		     err) < 0) {
		case_error(ctx, "cannot run a command in guest %d: %s", i, err);
		return -1;
	}
	return 0;
}

void case_note(struct case_ctx *ctx, const char *what, const char *text)
{
	struct transcript_rec tr = { 0 };

	clock_gettime(CLOCK_REALTIME, &tr.wall_start);
	tr.mono_start = mono_ms();
	tr.where = "nicq";
	tr.cmd = what;
	tr.outcome = "note";
	tr.out = text;
	tr.out_len = text ? strlen(text) : 0;
	transcript_add(ctx->transcript, &tr);
}

void xfer_note_refused(struct case_ctx *ctx, const struct xfer_result *r)
{
	char *text;

	if (!r->refused)
		return;
	text = g_strdup_printf("refused %u connection%s not from the guest: "
			       "%s%s\n", r->refused, r->refused == 1 ? "" :
			       "s", r->refused_from, r->refused >
			       XFER_REFUSED_NAMED ? " ..." : "");
	case_note(ctx, "transfer receiver", text);
	g_free(text);
}

const char *case_last_cmd(struct case_ctx *ctx)
{
	return case_fmt(ctx, "transcript.txt:%u",
			transcript_last(ctx->transcript));
}

const char *case_rel(const struct case_ctx *ctx, const char *path)
{
	size_t n = strlen(ctx->dir);

	if (path && !strncmp(path, ctx->dir, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

static void record_artifact(struct case_ctx *ctx, const char *kind,
			    const char *path)
{
	JsonObject *o = json_object_new();

	json_object_set_string_member(o, "kind", kind);
	json_object_set_string_member(o, "path", case_rel(ctx, path));
	point_section(ctx->point, "artifact", o);
}

/* Stop one NIC's capture and record it (a no-op when none runs). */
static void capture_end(struct case_ctx *ctx, struct nic_under_test *n)
{
	struct capture_stats st = { 0 };
	char err[ERRLEN], *scope;
	JsonObject *o;

	if (!n->cap)
		return;
	if (capture_stop(n->cap, &st, err) < 0)
		case_error(ctx, "%s", err);
	n->cap = NULL;
	o = json_object_new();
	json_object_set_string_member(o, "interface", n->tap);
	json_object_set_string_member(o, "model", model_name(n->model));
	json_object_set_string_member(o, "pcap", case_rel(ctx, n->pcap));
	if (n->label)
		json_object_set_string_member(o, "label", n->label);
	json_object_set_int_member(o, "snaplen", ctx->desc->capture_snaplen);
	json_object_set_int_member(o, "frames", (gint64)st.frames);
	json_object_set_int_member(o, "kernel_dropped",
				   (gint64)st.kernel_dropped);
	json_object_set_int_member(o, "if_dropped", (gint64)st.if_dropped);
	point_section(ctx->point, "capture", o);
	/*
	 * A capture that lost frames cannot vouch for what got through: a
	 * lab-side problem, stated as such, and never a pass (whatever the
	 * case concluded from the capture).
	 */
	scope = ctx->scope;
	ctx->scope = NULL;
	case_scope(ctx, "capture of %s NIC %d%s%s%s", model_name(n->model),
		   (int)(n - ctx->nics), n->label ? " (" : "",
		   n->label ? n->label : "", n->label ? ")" : "");
	expect_eq(ctx, "capture incomplete: frames the host's kernel dropped "
		  "from the capture (a lab-side problem, not the NIC's)", 0,
		  (long long)st.kernel_dropped,
		  case_fmt(ctx, "%s; %llu frames written, %llu dropped by the "
			   "capture's buffer", case_rel(ctx, n->pcap),
			   (unsigned long long)st.frames,
			   (unsigned long long)st.kernel_dropped));
	g_free(ctx->scope);
	ctx->scope = scope;	/* the case's own, as it was */
}

void case_captures_stop(struct case_ctx *ctx)
{
	for (int i = 0; i < ctx->n_nics; i++)
		capture_end(ctx, &ctx->nics[i]);
}

static int capture_begin(struct case_ctx *ctx, struct nic_under_test *nt,
			 const char *label, char *err)
{
	if (nt->mgmt || nt->cap)
		return 0;
	g_free(nt->pcap);
	g_free(nt->label);
	nt->label = g_strdup(label);
	if (label)
		nt->pcap = g_strdup_printf("%s/capture-%s-%s.pcap", ctx->dir,
					   nt->tap, label);
	else
		nt->pcap = g_strdup_printf("%s/capture-%s.pcap", ctx->dir,
					   nt->tap);
	return capture_start(nt->tap, nt->pcap, ctx->desc->capture_snaplen,
			     &nt->cap, err);
}

int case_capture_rotate(struct case_ctx *ctx, const char *label)
{
	char err[ERRLEN];

	case_captures_stop(ctx);
	for (int i = 0; i < ctx->n_nics; i++) {
		if (capture_begin(ctx, &ctx->nics[i], label, err) < 0) {
			case_error(ctx, "%s", err);
			return -1;
		}
	}
	return 0;
}

/* ---- layout --------------------------------------------------------- */

/* How many of g's NICs before NIC i are on NIC i's segment. */
static int same_segment(const struct topo_guest *g, int i)
{
	int k = 0;

	for (int j = 0; j < i; j++)
		k += g->nics[j].segment == g->nics[i].segment;
	return k;
}

/* Place the NICs: models, addresses, MACs and device names. */
static void layout(struct case_ctx *ctx, const struct topology *t,
		   unsigned n)
{
	const struct cell *cell = ctx->cell;

	ctx->n_guests = t->n_guests;
	for (int gi = 0; gi < t->n_guests; gi++) {
		for (int i = 0; i < t->guests[gi].n_nics; i++) {
			const struct topo_nic *tn = &t->guests[gi].nics[i];
			struct nic_under_test *nt = &ctx->nics[ctx->n_nics];
			unsigned k = n * 16 + (unsigned)ctx->n_nics++;

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
			/*
			 * The MAC depends on the guest and the NIC's place
			 * only: a guest restored from a saved state keeps the
			 * MACs it booted with (each point has segments of its
			 * own, so points never share a wire).
			 */
			snprintf(nt->mac, sizeof(nt->mac),
				 "52:54:00:18:%02x:%02x",
				 (unsigned)(0x10 + gi) & 0xffu, (unsigned)i & 0xffu);
			snprintf(nt->tap, sizeof(nt->tap), "nq%.6st%u",
				 ctx->lab->id, k % 100000);
			/*
			 * .10 + guest, and a guest's further NICs on the
			 * same segment (multinic's shared segment) every
			 * CASE_MAX_GUESTS after it: no two NICs share an
			 * address.
			 */
			snprintf(nt->ip, sizeof(nt->ip), "198.18.%u.%u",
				 case_octet(ctx, tn->segment),
				 10u + (unsigned)gi % CASE_MAX_GUESTS +
				 CASE_MAX_GUESTS * (unsigned)same_segment(
					 &t->guests[gi], i));
		}
	}
	ctx->nic = &ctx->nics[0];
}

static char *kernel_cmdline(const struct run_env *env,
			    const struct case_ctx *ctx, int guest)
{
	char *key = g_strdup(ssh_ident_pubkey(env->ident));
	char *sp = strchr(key, ' ');
	GString *line = g_string_new(NULL);

	if (sp)
		*sp = ':';
	/* nicq.debug=1: /init's steps in the kernel log, for the benchmark */
	g_string_append_printf(line, "console=ttyS0 panic=-1 nicq.debug=1 "
			       "nicq.hostname=nicq-guest%d nicq.authkey=%s",
			       guest, key);
	for (int i = 0; i < ctx->n_nics; i++)
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

/* ---- segments ------------------------------------------------------- */

/*
 * A network boot segment (topology pxe): DHCP for .100-.199 (the guest's
 * own address, from its command line, is .10), and a TFTP root serving the
 * iPXE script for guest 0, whose kernel command line also says
 * nicq.boot=pxe.  ns->tftp_root (the path as libvirt sees it) is
 * g_free()able; ctx->tftp_dir is the same folder as nicq sees it.
 *
 * dnsmasq drops its privileges, so the folder and its parents must be open
 * to others, which a results folder under a private home or mktemp -d is
 * not.  So the folder is never in the results: in the private lab it lives
 * in the lab's own /run (seen by its daemons as /run/nicq-tftp-p<n>); with
 * --connect in TFTP_CONNECT_DIR/<lab id>-p<n>, made 0755 down from /run.
 * Either goes away after the point, and the script is kept in the point's
 * folder as evidence.
 */
#define TFTP_CONNECT_DIR "/run/nicq-tftp"

static char *tftp_dir_of(const struct lab *lab, unsigned n, bool as_libvirt)
{
	if (!lab->private_lab)
		return g_strdup_printf("%s/%s-p%u", TFTP_CONNECT_DIR, lab->id,
				       n);
	if (as_libvirt)
		return g_strdup_printf("/run/nicq-tftp-p%u", n);
	return g_strdup_printf("%s/run/nicq-tftp-p%u", lab->dir, n);
}

/* With --connect, TFTP_CONNECT_DIR open to dnsmasq's user.  -1 with err. */
static int tftp_connect_dir(char *err)
{
	if (mkdir(TFTP_CONNECT_DIR, 0755) < 0 && errno != EEXIST) {
		err_set(err, "cannot create '%s': %s", TFTP_CONNECT_DIR,
			strerror(errno));
		return -1;
	}
	if (chmod(TFTP_CONNECT_DIR, 0755) < 0) {
		err_set(err, "cannot chmod '%s': %s", TFTP_CONNECT_DIR,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int pxe_segment(const struct run_env *env, struct case_ctx *ctx,
		       unsigned n, struct net_spec *ns, char start[16],
		       char end[16], char ip6[40], char *err)
{
	char *base = kernel_cmdline(env, ctx, 0);
	char *cmdline = g_strconcat(base, " nicq.boot=pxe", NULL);
	char *net = g_strndup(ns->ip, (gsize)(strrchr(ns->ip, '.') - ns->ip));
	char *tftp = tftp_dir_of(ctx->lab, n, true);
	int rc;

	ctx->tftp_dir = tftp_dir_of(ctx->lab, n, false);
	rc = ctx->lab->private_lab ? 0 : tftp_connect_dir(err);
	if (rc == 0)
		rc = pxe_tftp_root(ctx->tftp_dir, env->kernel, env->initrd,
				   ns->ip, cmdline, err);
	snprintf(ip6, 40, "2001:2:0:%x::1", 0x10 + ctx->slot);
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
	ns->ip6 = ip6;
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

/* Create the point's segments: 198.18.<10+s>.0/24, host at .1. */
static int segments_open(const struct run_env *env, struct case_ctx *ctx,
			 const struct topology *t, unsigned n,
			 GPtrArray *nets, char *err)
{
	for (int s = 0; s < t->n_segments; s++) {
		struct net_spec ns = { 0 };
		unsigned k = n * 4 + (unsigned)s;
		char suffix[32], bridge[16], ip[16], dstart[16], dend[16];
		char ip6[40];
		char *name;
		int rc;

		snprintf(suffix, sizeof(suffix), "j%d-p%u-s%d", ctx->slot, n,
			 s);
		snprintf(bridge, sizeof(bridge), "nq%.6sb%u", ctx->lab->id,
			 k % 100000);
		snprintf(ip, sizeof(ip), "198.18.%u.1", case_octet(ctx, s));
		name = lab_name(ctx->lab, suffix);
		ns.name = name;
		ns.bridge = bridge;
		ns.ip = ip;
		ns.prefix = 24;
		ns.mtu = t->segment_mtu[s];
		g_ptr_array_add(nets, name);
		if (t->pxe && s == 0 &&
		    pxe_segment(env, ctx, n, &ns, dstart, dend, ip6, err) < 0)
			return -1;
		rc = lab_segment_add(ctx->lab, &ns, err);
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

/* ---- disks -------------------------------------------------------------- */

/* The point's disk: a sparse raw file in its folder, mode 0600. */
static int disk_create(struct case_ctx *ctx, struct case_guest *cg)
{
	int fd;

	cg->disk = g_build_filename(ctx->dir, "disk.raw", NULL);
	fd = file_open(cg->disk, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)ctx->desc->disk_mib << 20) < 0) {
		case_error(ctx, "cannot create disk '%s': %s", cg->disk,
			   strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
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

/* ---- guests --------------------------------------------------------------- */

struct boot_hook {
	const struct run_env *env;
	struct case_ctx *ctx;
	int gi;
	bool *fault_applied;
	unsigned n;
};

static int fault_on(const struct run_env *env, struct case_ctx *ctx,
		    unsigned n, char *err);

/*
 * A network-booting guest, created paused: its taps exist, its CPUs have
 * not run.  Capture and fault go in now, so the capture holds its first
 * DHCP request and a fault acts on the boot itself.
 */
static int boot_hook_run(void *arg, char *err)
{
	struct boot_hook *h = arg;

	for (int i = 0; i < h->ctx->n_nics; i++)
		if (h->ctx->nics[i].guest == h->gi &&
		    capture_begin(h->ctx, &h->ctx->nics[i], NULL, err) < 0)
			return -1;
	if (fault_on(h->env, h->ctx, h->n, err) < 0)
		return -1;
	*h->fault_applied = true;
	return 0;
}

/* The NIC SSH goes over: the management NIC if the guest has one. */
static int control_nic(const struct case_ctx *ctx, int gi)
{
	int n = -1;

	for (int i = 0; i < ctx->n_nics; i++) {
		if (ctx->nics[i].guest != gi || ctx->nics[i].no_addr)
			continue;
		if (n < 0 || ctx->nics[i].mgmt)
			n = i;
	}
	return n;
}

/*
 * The shape of a guest: everything of its spec the guest can see (NICs
 * with their models, MACs and MTUs, memory, kernel and command line, disk
 * or not, accelerator).  Guests of one shape start from one saved state;
 * states_key() hashes it with what else decides the state.
 */
static char *shape_desc(const struct domain_spec *s)
{
	GString *d = g_string_new(NULL);

	g_string_append_printf(d, "%s|%u|%u|%s|%s|%s|%d|%d|%d|%d", s->type,
			       s->memory_mib, s->vcpus, s->kernel, s->initrd,
			       s->cmdline, s->disk != NULL,
			       s->pm_suspend_to_mem, s->pm_suspend_to_disk,
			       s->bios_serial);
	for (int i = 0; i < s->n_nics; i++)
		g_string_append_printf(d, "|%s,%s,%d,%d",
				       model_name(s->nics[i].model),
				       s->nics[i].mac, s->nics[i].mtu,
				       s->nics[i].vhost);
	return g_string_free(d, FALSE);
}

/* What a saved state needs besides itself: the readiness marker's data. */
static int image_meta_write(const char *path, const struct guest *g,
			    char *err)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	char *text, *tmp = g_strconcat(path, ".tmp", NULL);
	int rc;

	json_object_set_string_member(o, "hostkey", g->hostkey);
	json_object_set_string_member(o, "ifaces", g->ifaces ? g->ifaces :
				      "");
	json_object_set_string_member(o, "marker_errors", g->marker_errors ?
				      g->marker_errors : "");
	json_object_set_int_member(o, "boot_ms", g->boot_ms);
	json_node_take_object(n, o);
	text = json_to_string(n, TRUE);
	rc = file_write(tmp, text, strlen(text), err);
	if (rc == 0 && rename(tmp, path) < 0) {
		err_set(err, "cannot rename '%s': %s", tmp, strerror(errno));
		rc = -1;
	}
	g_free(text);
	g_free(tmp);
	json_node_unref(n);
	return rc;
}

static int image_meta_read(const char *path, char **hostkey, char **ifaces,
			   char **marker_errors, gint64 *boot_ms, char *err)
{
	JsonParser *p = json_parser_new();
	GError *gerr = NULL;
	JsonObject *o;
	int rc = -1;

	if (!json_parser_load_from_file(p, path, &gerr)) {
		err_set(err, "cannot read '%s': %s", path, gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		err_set(err, "'%s' is not a saved guest's data", path);
		goto out;
	}
	o = json_node_get_object(json_parser_get_root(p));
	*hostkey = g_strdup(json_object_get_string_member_with_default(
		o, "hostkey", ""));
	*ifaces = g_strdup(json_object_get_string_member_with_default(
		o, "ifaces", ""));
	*marker_errors = g_strdup(json_object_get_string_member_with_default(
		o, "marker_errors", ""));
	*boot_ms = json_object_get_int_member_with_default(o, "boot_ms", 0);
	rc = 0;
out:
	g_object_unref(p);
	return rc;
}

/*
 * Start guest gi of the point from its shape's saved state, making that
 * state first if no earlier point (of this run or an earlier one: states.h)
 * did: boot the guest to its readiness marker (console in console-boot.log,
 * scanned here), save it, then restore it onto this point's host side like
 * every later point.  So every point of a shape starts from the same guest
 * state, byte for byte.
 */
/*
 * A saved guest's memory image (libvirtd writes it by name): a regular
 * file, reached without symlinks, mode 0600 - it holds the guest's RAM.
 */
static int image_private(const char *path, char *err)
{
	int fd = file_open(path, O_RDONLY, 0);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fchmod(fd, 0600) < 0) {
		err_set(err, "cannot make '%s' private: %s", path,
			fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int start_restored(const struct run_env *env, struct case_ctx *ctx,
			  int gi, struct domain_spec *spec, JsonObject *go,
			  struct guest **out, char *err)
{
	char *desc = shape_desc(spec);
	char *key = states_key(env->states, desc);
	/*
	 * libvirt restores a state under the name it was saved with, so the
	 * name is the state's own, not the run's: only the private lab
	 * restores, and its libvirtd is the run's alone.  It names the slot,
	 * so fixture_reap_point() can remove what a killed point left.
	 */
	char *name = g_strdup_printf(STATE_DOMAIN_PREFIX "j%d-%s", ctx->slot,
				     key);
	char *state = states_lookup(env->states, key);
	char *image = NULL, *meta = NULL, *tmp = NULL;
	char *console = (char *)spec->console_log;
	char *hostkey = NULL, *ifaces = NULL, *merr = NULL, *text;
	const char *saved_name = spec->name;
	struct guest *t = NULL;
	gint64 boot_ms = 0;
	size_t len;
	int rc = -1;

	spec->name = name;
	json_object_set_string_member(go, "domain", name);
	json_object_set_string_member(go, "shape", key);
	json_object_set_string_member(go, "state", state ? "cached" : "made");
	if (!state) {
		char *boot_console = g_strdup_printf("%s/console-boot%s.log",
			ctx->dir, ctx->n_guests > 1 ? (gi ? "-b" : "-a") : "");

		tmp = states_begin(env->states, key, err);
		if (!tmp) {
			g_free(boot_console);
			goto out;
		}
		image = g_build_filename(tmp, "state.save", NULL);
		meta = g_build_filename(tmp, "meta.json", NULL);
		spec->console_log = boot_console;
		rc = guest_boot_hooked(ctx->lab, spec, prof_int(env->prof,
				       &param_boot_timeout) * 1000, NULL, NULL,
				       &t, err);
		if (console_read(ctx, boot_console, &text, &len) == 0) {
			record_artifact(ctx, "console", boot_console);
			case_klog_check(ctx, case_fmt(ctx, "console at boot%s",
				ctx->n_guests > 1 ? (gi ? " (b)" : " (a)") :
				""), case_rel(ctx, boot_console), text, len);
			g_free(text);
		}
		spec->console_log = console;
		if (rc == 0) {
			json_object_set_int_member(go, "boot_ms", t->boot_ms);
			case_phase(ctx, "save guest %d", gi);
			rc = guest_save(t, image, err);
		}
		if (rc == 0)
			rc = image_private(image, err);
		if (rc == 0)
			rc = image_meta_write(meta, t, err);
		guest_destroy(t);
		g_free(boot_console);
		g_free(image);
		g_free(meta);
		image = meta = NULL;
		if (rc < 0) {
			states_abandon(env->states, tmp);
			goto out;
		}
		rc = -1;
		state = states_commit(env->states, key, tmp, err);
		if (!state)
			goto out;
	}
	image = g_build_filename(state, "state.save", NULL);
	meta = g_build_filename(state, "meta.json", NULL);
	if (image_meta_read(meta, &hostkey, &ifaces, &merr, &boot_ms,
			    err) < 0)
		goto out;
	case_phase(ctx, "restore guest %d", gi);
	if (guest_restore(ctx->lab, spec, image, hostkey, ifaces, out,
			  err) < 0)
		goto out;
	if (*merr)
		(*out)->marker_errors = g_strdup(merr);
	/* so a later run can start this point on this plan (states.h) */
	states_plan_note(env->states, ctx->slot, case_fmt(ctx, "%s+%s",
			 ctx->cell->slug, ctx->desc->name), gi, key);
	rc = 0;
out:
	spec->name = saved_name;
	g_free(desc);
	g_free(key);
	g_free(name);
	g_free(state);
	g_free(tmp);
	g_free(image);
	g_free(meta);
	g_free(hostkey);
	g_free(ifaces);
	g_free(merr);
	return rc;
}

/*
 * The shell command that prints what a guest looks like: its links with
 * MTU, promiscuity and VLANs and its addresses (one ip, two commands in
 * batch mode), then its modules as the kernel lists them (read with the
 * shell's own read: each program a guest under TCG runs costs 0.13 s and
 * more, and this runs twice a point).
 */
#define STATE_CMD "ip -d -o -b - <<'E'\nlink show\naddr show\nE\n" \
	"echo ::modules; if [ -r /proc/modules ]; then while read -r l; " \
	"do echo \"$l\"; done </proc/modules; fi"

/*
 * The state as kept: the ip part as printed less " tentative" (IPv6
 * duplicate address detection finishes on a timer that runs on after the
 * restore, so whether it shows depends on when this is read, not on the
 * state restored), then the modules' names, sizes, use counts and users,
 * sorted (their load addresses and states left out).  g_free().
 */
static int cmp_strp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *guest_state_cmd(void)
{
	return STATE_CMD;
}

char *guest_state_normalize(const char *out)
{
	const char *mod = strstr(out, "::modules\n");
	GString *g = g_string_new(NULL);
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	char **ls;

	/* one pass: the text up to each " tentative", then on after it */
	for (const char *p = out, *end = mod ? mod : out + strlen(out), *t;
	     p < end; p = t + 10) {
		t = g_strstr_len(p, end - p, " tentative");
		if (!t) {
			g_string_append_len(g, p, end - p);
			break;
		}
		g_string_append_len(g, p, t - p);
	}
	if (mod) {
		ls = g_strsplit(mod + 10, "\n", -1);
		for (char **l = ls; *l; l++) {
			char **f = g_strsplit_set(*l, " \t", -1);
			GString *k = g_string_new(NULL);
			int n = 0;

			for (char **w = f; *w && n < 4; w++) {
				if (!**w)
					continue;
				g_string_append_printf(k, "%s%s", n ? " " : "",
						       *w);
				n++;
			}
			if (n)
				g_ptr_array_add(lines, g_string_free(k, FALSE));
			else
				g_string_free(k, TRUE);
			g_strfreev(f);
		}
		g_strfreev(ls);
		g_ptr_array_sort(lines, cmp_strp);
		g_string_append(g, "::modules\n");
		for (guint i = 0; i < lines->len; i++)
			g_string_append_printf(g, "%s\n",
					       (char *)lines->pdata[i]);
	}
	g_ptr_array_free(lines, TRUE);
	return g_string_free(g, FALSE);
}

/*
 * What guest gi looks like now (its links with MTU, promiscuity and VLANs,
 * addresses, loaded modules), kept as <when>-state[-a|-b].txt; returns its
 * SHA-256 (g_free()), or NULL with an error recorded.  first: a command
 * run before it in the same session (the clock's setting), or NULL.
 */
static char *guest_state_read(struct case_ctx *ctx, int gi, const char *when,
			      const char *first, char **dmesg)
{
	struct case_guest *cg = &ctx->guests[gi];
	char err[ERRLEN] = "", *path, *sum, *cmd, *st, *mark = NULL, *m;
	struct proc_result r;
	int rc;

	cmd = first ? g_strdup_printf("%s && {\n%s\n}", first, STATE_CMD) :
		      g_strdup(STATE_CMD);
	if (dmesg) {
		/* the kernel log after it, in the same session, behind a
		 * marker the guest cannot know beforehand */
		char *c = cmd;

		*dmesg = NULL;
		mark = g_strdup_printf("::dmesg-%08x%08x", g_random_int(),
				       g_random_int());
		cmd = g_strdup_printf("%s\necho %s; dmesg", c, mark);
		g_free(c);
	}
	rc = sshc_run(cg->ssh, cmd, NULL, 0, GUEST_FIRST_CMD_MS, &r, err);
	g_free(cmd);
	if (rc < 0 || r.status != 0) {
		case_error(ctx, "cannot %s guest %d's state%s: %s",
			   first ? "set the clock and read" : "read", gi,
			   dmesg ? " and kernel log" : "",
			   err[0] ? err : proc_why(&r, err, ERRLEN));
		proc_result_clear(&r);
		g_free(mark);
		return NULL;
	}
	if (mark) {
		m = strstr(r.out, mark);
		if (!m) {
			case_error(ctx, "guest %d's state and kernel log: no "
				   "marker between them", gi);
			proc_result_clear(&r);
			g_free(mark);
			return NULL;
		}
		*m = '\0';
		m += strlen(mark);
		*dmesg = g_strdup(*m == '\n' ? m + 1 : m);
		g_free(mark);
	}
	st = guest_state_normalize(r.out);
	path = g_strdup_printf("%s/%s-state%s.txt", ctx->dir, when,
			       ctx->n_guests > 1 ? (gi ? "-b" : "-a") : "");
	file_write(path, st, strlen(st), NULL);
	record_artifact(ctx, "file", path);
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, st, -1);
	g_free(path);
	g_free(st);
	proc_result_clear(&r);
	return sum;
}

/*
 * After SSH is up: a restored guest's clock is the saved one, so set it
 * from the host's (in the same session as the state's reading); then
 * record what the guest looks like at the start (its links with their
 * MTU, promiscuity and VLANs, addresses, modules) as a file and a hash:
 * every point of one shape must start alike, which make check compares
 * across points.
 */
static int start_state(struct case_ctx *ctx, int gi, struct case_guest *cg,
		       JsonObject *go)
{
	char *cmd = NULL, *sum;

	if (cg->g->restored)
		cmd = g_strdup_printf("date -u -s @%lld >/dev/null",
				      (long long)(g_get_real_time() /
						  1000000));
	sum = guest_state_read(ctx, gi, "start", cmd, NULL);
	g_free(cmd);
	if (!sum)
		return -1;
	json_object_set_string_member(go, "start_state_sha256", sum);
	g_free(sum);
	return 0;
}

/* Boot guest gi and log in; 0, or -1 with the reason recorded. */
static int boot_guest(const struct run_env *env, struct case_ctx *ctx,
		      int gi, unsigned n, const char *net_names[],
		      bool *fault_applied)
{
	struct case_guest *cg = &ctx->guests[gi];
	struct domain_spec spec = { 0 };
	struct boot_hook hook = { env, ctx, gi, fault_applied, n };
	const struct topology *t = ctx->desc->topo;
	bool pxe = t && t->pxe && gi == 0;
	char err[ERRLEN] = "", suffix[32];
	char *name, *cmdline, *path;
	JsonObject *go = json_object_new();
	JsonArray *nics = json_array_new();
	int k = 0, rc = -1, ctl;

	snprintf(suffix, sizeof(suffix), "j%d-p%u-g%d", ctx->slot, n, gi);
	name = lab_name(ctx->lab, suffix);
	path = g_strdup_printf("console%s.log", ctx->n_guests > 1 ?
			       (gi ? "-b" : "-a") : "");
	cg->console = g_build_filename(ctx->dir, path, NULL);
	g_free(path);
	cmdline = kernel_cmdline(env, ctx, gi);
	if (ctx->desc->disk_mib > 0 && gi == 0) {
		char *c = g_strconcat(cmdline, " nicq.resume=/dev/vda", NULL);

		g_free(cmdline);
		cmdline = c;
	}
	case_phase(ctx, "boot guest %d", gi);
	spec.name = name;
	spec.type = !strcmp(ctx->lab->accel_name, "kvm") ? "kvm" : "qemu";
	spec.memory_mib = (unsigned)prof_int(env->prof, &param_guest_memory);
	spec.vcpus = 1;
	spec.kernel = pxe ? NULL : env->kernel;
	spec.initrd = pxe ? NULL : env->initrd;
	spec.cmdline = pxe ? NULL : cmdline;
	spec.bios_serial = pxe;
	spec.console_log = cg->console;
	spec.pm_suspend_to_mem = true;
	json_object_set_int_member(go, "index", gi);
	json_object_set_string_member(go, "domain", name);
	json_object_set_string_member(go, "accel", ctx->lab->accel_name);
	json_object_set_string_member(go, "boot", pxe ? "network" : "kernel");
	json_object_set_int_member(go, "memory_mib", spec.memory_mib);
	if (ctx->desc->disk_mib > 0 && gi == 0) {
		if (disk_create(ctx, cg) < 0)
			goto out;
		spec.disk = cg->disk;
		spec.pm_suspend_to_disk = true;
		json_object_set_string_member(go, "disk", case_rel(ctx, cg->disk));
	}
	for (int i = 0; i < ctx->n_nics; i++) {
		struct nic_under_test *nt = &ctx->nics[i];
		struct nic_spec *ns;
		JsonObject *no;

		if (nt->guest != gi)
			continue;
		ns = &spec.nics[k++];
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
		if (pxe && k == 1)
			ns->boot_order = 1;
		no = json_object_new();
		json_object_set_string_member(no, "model",
					      model_name(nt->model));
		json_object_set_string_member(no, "role", nt->mgmt ?
					      "management" : "under_test");
		json_object_set_string_member(no, "mac", nt->mac);
		json_object_set_string_member(no, "tap", nt->tap);
		json_object_set_string_member(no, "bridge", nt->bridge);
		json_object_set_string_member(no, "address", nt->no_addr ?
					      "" : nt->ip);
		json_object_set_int_member(no, "mtu", nt->mtu);
		json_object_set_boolean_member(no, "vhost", ns->vhost);
		json_array_add_object_element(nics, no);
	}
	spec.n_nics = k;
	if (!pxe && env->states) {
		if (start_restored(env, ctx, gi, &spec, go, &cg->g, err) < 0) {
			case_error(ctx, "guest %d did not come up: %s", gi,
				   err);
			goto out;
		}
	} else if (guest_boot_hooked(ctx->lab, &spec,
				     prof_int(env->prof, &param_boot_timeout) *
				     1000, pxe ? boot_hook_run : NULL, &hook,
				     &cg->g, err) < 0) {
		case_error(ctx, "guest %d did not come up: %s", gi, err);
		goto out;
	}
	json_object_set_string_member(go, "start", cg->g->restored ?
				      "restored" : "booted");
	json_object_set_int_member(go, "start_ms", cg->g->boot_ms);
	path = g_strdup_printf("%s/domain-%s.xml", ctx->dir, suffix);
	file_write(path, cg->g->xml, strlen(cg->g->xml), NULL);
	record_artifact(ctx, "domain_xml", path);
	g_free(path);
	if (cg->g->marker_errors)
		case_error(ctx, "guest %d reported at boot: %s", gi,
			   cg->g->marker_errors);
	k = 0;
	for (int i = 0; i < ctx->n_nics; i++) {
		struct nic_under_test *nt = &ctx->nics[i];
		JsonObject *no;
		char *measured = NULL;

		if (nt->guest != gi)
			continue;
		no = json_array_get_object_element(nics, (guint)k);
		if (guest_check_vhost(cg->g, k++, json_object_get_boolean_member(
				no, "vhost"), &measured, err) < 0)
			case_error(ctx, "%s", err);
		nt->ifname = guest_ifname(cg->g, nt->mac);
		json_object_set_string_member(no, "ifname", nt->ifname ?
					      nt->ifname : "");
		json_object_set_string_member(no, "backend", measured ?
					      measured : "unknown");
		g_free(measured);
		if (!nt->ifname)
			case_error(ctx, "guest %d has no interface with MAC %s",
				   gi, nt->mac);
	}
	if (case_failed(ctx))
		goto out;
	ctl = control_nic(ctx, gi);
	if (ctl < 0) {
		case_error(ctx, "guest %d has no addressed NIC for SSH", gi);
		goto out;
	}
	json_object_set_string_member(go, "ssh_over", ctx->nics[ctl].tap);
	if (sshc_connect(ctx->nics[ctl].ip, 22, cg->g->hostkey, env->ident,
			 30000, &cg->ssh, err) < 0) {
		case_error(ctx, "cannot log in to guest %d: %s", gi, err);
		goto out;
	}
	sshc_set_transcript(cg->ssh, ctx->transcript);
	if (start_state(ctx, gi, cg, go) < 0)
		goto out;
	if (gi == 0) {
		JsonObject *co = json_object_new();
		const struct nic_under_test *c = &ctx->nics[ctl];

		json_object_set_string_member(co, "channel", "ssh");
		json_object_set_int_member(co, "guest", gi);
		json_object_set_string_member(co, "address", c->ip);
		json_object_set_string_member(co, "interface", c->tap);
		json_object_set_string_member(co, "model", model_name(c->model));
		json_object_set_boolean_member(co, "management", c->mgmt);
		json_object_set_string_member(co, "host_key_sha256",
					      cg->g->hostkey);
		point_section(ctx->point, "control", co);
	}
	rc = 0;
out:
	json_object_set_array_member(go, "nics", nics);
	point_section(ctx->point, "guest", go);
	g_free(name);
	g_free(cmdline);
	return rc;
}

/* ---- the fault ------------------------------------------------------------- */

static char *fault_table(unsigned n)
{
	return g_strdup_printf("nicq_fault_p%u", n);
}

static int fault_on(const struct run_env *env, struct case_ctx *ctx,
		    unsigned n, char *err)
{
	GPtrArray *taps = g_ptr_array_new();
	JsonArray *desc = json_array_new();
	char *table = fault_table(n), *script, *path;
	int rc = 0;

	fault_describe(env->fault, desc);
	for (guint i = 0; i < json_array_get_length(desc); i++)
		point_section(ctx->point, "fault", json_object_ref(
			json_array_get_object_element(desc, i)));
	json_array_unref(desc);
	for (int i = 0; i < ctx->n_nics; i++)
		if (!ctx->nics[i].mgmt)
			g_ptr_array_add(taps, ctx->nics[i].tap);
	if (fault_check_taps(env->fault, (int)taps->len, err) < 0) {
		rc = -1;
		goto out;
	}
	g_ptr_array_add(taps, NULL);
	script = fault_rules(env->fault, table,
			     (const char *const *)taps->pdata);
	if (script) {
		path = g_build_filename(ctx->dir, "fault.nft", NULL);
		rc = fault_apply(ctx->lab, script, path, err);
		if (rc == 0)
			record_artifact(ctx, "fault_rules", path);
		g_free(path);
	}
	if (rc == 0)
		rc = fault_xdp_apply(env->fault,
				     (const char *const *)taps->pdata, err);
	g_free(script);
out:
	g_free(table);
	g_ptr_array_free(taps, TRUE);
	return rc;
}


void case_klog_check(struct case_ctx *ctx, const char *what,
		     const char *file, const char *text, size_t len)
{
	GPtrArray *hits = NULL, *known = NULL;
	char err[ERRLEN], *scope;
	const char *why;

	if (klog_scan(text, len, &hits, err) < 0) {
		case_error(ctx, "cannot scan %s: %s", what, err);
		return;
	}
	/* a defect of the guest kernel itself is said, not blamed */
	while ((why = klog_known(text, len, hits, &known))) {
		const struct klog_hit *k = known->pdata[0];

		observe_str(ctx, case_fmt(ctx, "%s: known guest kernel defect "
					  "at line %u", what, k->line),
			    "%s: %s", why, ((const struct klog_hit *)
			    known->pdata[known->len > 1 ? 1 : 0])->text);
		klog_hits_free(known);
	}
	for (guint i = 0; i < hits->len && i < 20; i++) {
		const struct klog_hit *h = hits->pdata[i];
		JsonObject *o = json_object_new();

		json_object_set_string_member(o, "source", file);
		json_object_set_int_member(o, "line", h->line);
		json_object_set_string_member(o, "kind", h->kind);
		json_object_set_string_member(o, "text", h->text);
		point_section(ctx->point, "klog", o);
	}
	scope = ctx->scope;
	ctx->scope = g_strdup("kernel log");
	expect_eq(ctx, case_fmt(ctx, "%s: panics, oopses, BUGs, WARNINGs, "
				"call traces", what), 0, hits->len,
		  hits->len ? case_fmt(ctx, "%s:%u", file,
				       ((struct klog_hit *)hits->pdata[0])->line)
			    : file);
	g_free(ctx->scope);
	ctx->scope = scope;
	klog_hits_free(hits);
}

static void dmesg_check(struct case_ctx *ctx, int gi, const char *log)
{
	const char *what = ctx->n_guests > 1 ? (gi ? "dmesg-b" : "dmesg-a") :
			   "dmesg";
	const char *file = case_fmt(ctx, "%s.txt", what);
	char *path = g_build_filename(ctx->dir, file, NULL);

	file_write(path, log, strlen(log), NULL);
	record_artifact(ctx, "dmesg", path);
	case_klog_check(ctx, what, file, log, strlen(log));
	g_free(path);
}

/* ---- a whole point ------------------------------------------------------- */

void fixture_run_point(const struct run_env *env, const struct cell *cell,
		       const struct case_desc *cd, unsigned n, int slot,
		       const char *dir, struct point *p)
{
	const struct topology *t = cd->topo ? cd->topo : &default_topo;
	struct case_ctx ctx = { 0 };
	GPtrArray *nets = g_ptr_array_new_with_free_func(g_free);
	const char *net_names[CASE_MAX_SEGMENTS] = { 0 };
	char err[ERRLEN] = "", *path, *text;
	bool fault_applied = false;
	int gi, i;
	size_t len;

	ctx.desc = cd;
	ctx.cell = cell;
	ctx.prof = env->prof;
	ctx.lab = env->lab;
	ctx.point = p;
	ctx.fault = env->fault;
	ctx.ident = env->ident;
	ctx.dir = g_strdup(dir);
	ctx.slot = slot;
	ctx.strs = g_ptr_array_new_with_free_func(g_free);
	path = g_build_filename(dir, "transcript.txt", NULL);
	ctx.transcript = transcript_open(path, err);
	if (!ctx.transcript)
		case_error(&ctx, "%s", err);
	else
		record_artifact(&ctx, "transcript", path);
	g_free(path);

	case_phase(&ctx, "set-up");
	layout(&ctx, t, n);
	if (t->pxe && pxe_rom_path(ctx.nics[0].model, &ctx.nics[0].rom,
				   err) < 0) {
		case_skip(&ctx, "no network boot ROM for %s: %s",
			  model_name(ctx.nics[0].model), err);
		goto teardown;
	}
	if (case_failed(&ctx))
		goto teardown;
	if (segments_open(env, &ctx, t, n, nets, err) < 0) {
		case_error(&ctx, "%s", err);
		goto teardown;
	}
	for (i = 0; i < (int)nets->len; i++)
		net_names[i] = nets->pdata[i];
	for (gi = 0; gi < ctx.n_guests; gi++)
		if (boot_guest(env, &ctx, gi, n, net_names,
			       &fault_applied) < 0)
			break;
	if (gi < ctx.n_guests) {
		if (cd->boot_failed && t->pxe && !interrupted()) {
			case_captures_stop(&ctx);
			case_phase(&ctx, "judge the failed boot");
			cd->boot_failed(&ctx);
		}
		goto teardown;
	}
	ctx.guest = ctx.guests[0].g;
	ctx.ssh = ctx.guests[0].ssh;
	for (i = 0; i < ctx.n_nics; i++) {
		if (capture_begin(&ctx, &ctx.nics[i], NULL, err) < 0) {
			case_error(&ctx, "%s", err);
			goto teardown;
		}
	}
	if (!fault_applied && fault_on(env, &ctx, n, err) < 0) {
		case_error(&ctx, "%s", err);
		goto teardown;
	}
	case_phase(&ctx, "case");
	if (!strcmp(env->fault->hang, cd->name)) {
		/* test hook: a case that never returns, whatever it is told */
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		for (;;)
			pause();
	}
	cd->run(&ctx);
	case_scope(&ctx, NULL);
	case_captures_stop(&ctx);
	if (!interrupted()) {
		case_phase(&ctx, "kernel log");
		for (gi = 0; gi < ctx.n_guests; gi++) {
			char *log = NULL;
			char *sum = ctx.guests[gi].ssh ?
				    guest_state_read(&ctx, gi, "end", NULL,
						     &log) : NULL;

			/* what the case left: the next point must not see it */
			if (sum)
				observe(&ctx, case_fmt(&ctx, "guest %d: state at "
					"the end (SHA-256 of its links, "
					"addresses and modules)", gi),
					VAL_S(sum), NULL, case_fmt(&ctx,
					"end-state%s.txt", ctx.n_guests > 1 ?
					(gi ? "-b" : "-a") : ""));
			g_free(sum);
			if (log)
				dmesg_check(&ctx, gi, log);
			g_free(log);
		}
	}
teardown:
	case_phase(&ctx, "teardown");
	if (fault_applied || fault_on_taps(env->fault)) {
		char *table = fault_table(n);
		const char *taps[CASE_MAX_GUESTS * CASE_MAX_NICS + 1];
		int nt = 0;

		fault_remove(ctx.lab, table);
		g_free(table);
		for (i = 0; i < ctx.n_nics; i++)
			if (!ctx.nics[i].mgmt && ctx.nics[i].tap[0])
				taps[nt++] = ctx.nics[i].tap;
		taps[nt] = NULL;
		fault_xdp_remove(env->fault, taps);
	}
	case_captures_stop(&ctx);
	for (gi = 0; gi < ctx.n_guests; gi++) {
		struct case_guest *cg = &ctx.guests[gi];

		sshc_free(cg->ssh);
		cg->ssh = NULL;
		guest_destroy(cg->g);
		cg->g = NULL;
		disk_remove(cg);
		if (cg->console &&
		    console_read(&ctx, cg->console, &text, &len) == 0) {
			const char *what = ctx.n_guests > 1 ?
				(gi ? "console-b" : "console-a") : "console";

			record_artifact(&ctx, "console", cg->console);
			if (!interrupted())
				case_klog_check(&ctx, what,
						case_rel(&ctx, cg->console), text,
						len);
			g_free(text);
		}
	}
	for (i = 0; i < (int)nets->len; i++)
		lab_segment_remove(ctx.lab, nets->pdata[i]);
	if (ctx.tftp_dir) {
		char *from = g_build_filename(ctx.tftp_dir, PXE_BOOT_FILE,
					      NULL);
		char *to = g_build_filename(ctx.dir, PXE_BOOT_FILE, NULL);

		if (file_read(from, &text, &len, NULL) == 0) {
			file_write(to, text, len, NULL);
			record_artifact(&ctx, "pxe_script", to);
			g_free(text);
		}
		rm_rf(ctx.tftp_dir, NULL);
		g_free(from);
		g_free(to);
	}
	for (i = 0; i < ctx.n_nics; i++) {
		if (ctx.nics[i].pcap)
			record_artifact(&ctx, "pcap", ctx.nics[i].pcap);
		g_free(ctx.nics[i].ifname);
		g_free(ctx.nics[i].pcap);
		g_free(ctx.nics[i].label);
		g_free(ctx.nics[i].diagnosed_in);
		g_free(ctx.nics[i].rom);
	}
	for (gi = 0; gi < ctx.n_guests; gi++)
		g_free(ctx.guests[gi].console);
	g_free(ctx.tftp_dir);
	g_ptr_array_free(nets, TRUE);
	transcript_free(ctx.transcript);
	g_free(ctx.scope);
	g_ptr_array_free(ctx.strs, TRUE);
	g_free(ctx.dir);
}

void fixture_reap_point(const struct run_env *env, unsigned n, int slot,
			const char *dir)
{
	/* a slot runs one point at a time: its objects are this point's */
	char *suffix = g_strdup_printf("j%d-", slot);
	char *prefix = lab_name(env->lab, suffix);
	char *tftp = tftp_dir_of(env->lab, n, false);
	char *disk = g_build_filename(dir, "disk.raw", NULL);
	char err[ERRLEN];

	/* the taps go with their domains, and XDP programs with the taps */
	if (lab_remove_prefixed(env->lab, prefix, err) < 0)
		fprintf(stderr, "nicq: %s\n", err);
	/* a restored guest has its state's name (start_restored) */
	if (env->lab->private_lab) {
		char *sp = g_strdup_printf(STATE_DOMAIN_PREFIX "j%d-", slot);

		if (lab_remove_prefixed(env->lab, sp, err) < 0)
			fprintf(stderr, "nicq: %s\n", err);
		g_free(sp);
	}
	if (fault_on_taps(env->fault)) {
		char *table = fault_table(n);

		fault_remove(env->lab, table);
		g_free(table);
	}
	rm_rf(tftp, NULL);
	if (!env->lab->private_lab)
		rmdir(TFTP_CONNECT_DIR);	/* when no other run uses it */
	unlink(disk);
	g_free(suffix);
	g_free(prefix);
	g_free(tftp);
	g_free(disk);
}
