/*
 * pxe.c - Fedora vhost-net plan case 5: boot from the NIC.
 *
 * The guest's domain has no kernel and no disk: it boots from the NIC
 * under test, through the iPXE option ROM QEMU loads for the model by
 * default (efi-<model>.rom; which file, from QEMU's firmware path, is an
 * observation).  The segment's libvirt network serves DHCP and TFTP (its
 * dnsmasq); the DHCP boot file is an iPXE script that fetches nicq's own
 * guest kernel and initramfs over TFTP and boots them with the usual
 * command line plus nicq.boot=pxe (harness/pxe.h).  The harness starts the
 * capture on the tap while the domain is still paused, so the capture
 * holds the whole exchange.
 *
 * Channel: the boot is followed on the serial console (the BIOS and iPXE
 * write to it through sgabios, then the kernel, then the readiness
 * marker); once the guest is up, SSH goes over the NIC under test itself
 * — a network boot does not take the NIC down after the kernel took it
 * over, so no management NIC is needed.
 *
 * Judged from the capture on the tap (harness/netboot.h):
 *  - DHCP: the NIC's MAC sent DISCOVER and REQUEST, the server OFFERed and
 *    ACKed with next server = the host and boot file = the script;
 *  - TFTP: the read request for the script (the plan's check), then for
 *    the kernel and the initramfs, each from the leased address, octet
 *    mode, and each transfer complete with exactly the file's size and no
 *    TFTP error;
 * and from the guest: its kernel command line carries nicq.boot=pxe (only
 * the script gave it that), its domain has no <kernel>, and the console
 * shows the iPXE banner.  Each is an expectation, scoped "dhcp",
 * "tftp <file>" and "guest"; counts and timings are observations.
 *
 * When the guest never comes up, the runner calls boot_failed() instead
 * of run(): the same capture expectations then say where the boot stopped
 * (the drop-tftp control: the script's read request is on the wire and no
 * byte of it comes back).
 */
#include "case.h"
#include "netboot.h"
#include "pxe.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static const struct topology topo_pxe = {
	.n_segments = 1,
	.n_guests = 1,
	.guests = { { .n_nics = 1, .nics = {
		{ MODEL_OF_CELL, 0, 0, false },
	} } },
	.pxe = true,
};

static const char *const dhcp_names[NETBOOT_DHCP_TYPES] = {
	"untyped", "DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPDECLINE",
	"DHCPACK", "DHCPNAK", "DHCPRELEASE", "DHCPINFORM",
};

/* The iPXE banner line from the console, g_free(); NULL if absent. */
static char *ipxe_banner(const char *console)
{
	char *text = NULL, *line = NULL, *p, *q;

	if (file_read(console, &text, NULL, NULL) < 0)
		return NULL;
	p = strstr(text, "Open Source Network Boot Firmware");
	if (p) {
		for (q = p; q > text && q[-1] != '\n'; q--)
			;
		line = g_strndup(q, strcspn(q, "\r\n"));
		/* drop the ANSI colour sequences iPXE prints */
		for (p = q = line; *p; p++) {
			if (*p == '\033') {
				size_t n = strspn(p + 1, "[0123456789;");

				if (!p[1 + n])
					break;
				p += 1 + n;	/* and the final letter */
				continue;
			}
			*q++ = *p;
		}
		*q = '\0';
	}
	g_free(text);
	return line;
}

static void judge_file(struct case_ctx *ctx, const struct netboot_report *r,
		       const char *name, const char *leased)
{
	const struct nic_under_test *nic = ctx->nic;
	const struct netboot_tftp *t = netboot_tftp_file(r, name);
	char *path = g_build_filename(ctx->tftp_dir, name, NULL);
	const char *ev = case_rel(ctx, nic->pcap);
	GStatBuf sb;
	char *mode;

	case_scope(ctx, "tftp %s", name);
	expect_cmp(ctx, "read requests from the guest", CMP_GE, 1,
		   t ? t->requests : 0, ev);
	if (!t)
		goto out;
	if (g_stat(path, &sb) < 0) {
		case_error(ctx, "cannot read the size of %s: %s", path,
			   g_strerror(errno));
		goto out;
	}
	observe_str(ctx, "read request", "%s:%u -> %s:69", t->client,
		    t->client_port, t->server);
	observe_int(ctx, "block size", t->blksize, "bytes");
	observe_int(ctx, "blocks", t->blocks, NULL);
	observe_int(ctx, "retransmitted blocks", t->duplicates, NULL);
	observe_int(ctx, "out-of-order blocks", t->gaps, NULL);
	if (t->server_port && t->last_us >= t->first_us) {
		double ms = (double)(t->last_us - t->first_us) / 1000.0;

		observe_num(ctx, "request to last answer", ms, "ms");
		if (ms > 0)
			observe_num(ctx, "rate", (double)t->bytes / ms / 1000.0,
				    "MB/s");
	}
	expect_str(ctx, "server the request went to (the host)",
		   nic->host_ip, t->server, ev);
	if (leased[0])
		expect_str(ctx, "client address (the leased one)", leased,
			   t->client, ev);
	mode = g_ascii_strdown(t->mode, -1);
	expect_str(ctx, "transfer mode", "octet", mode, ev);
	g_free(mode);
	expect_str(ctx, "TFTP ERROR packet", "none", t->error_code < 0 ?
		   "none" : case_fmt(ctx, "error %d: %s", t->error_code,
				     t->error_msg ? t->error_msg : ""), ev);
	expect_eq(ctx, "bytes transferred (the file's size)",
		  (long long)sb.st_size, (long long)t->bytes, ev);
	expect_true(ctx, "transfer complete", t->complete,
		    "the last block, shorter than the block size, seen",
		    t->complete ? "seen" : "never seen", ev);
out:
	g_free(path);
}

/*
 * DHCP and TFTP from the capture on the tap, against what was served.
 * The captures are stopped.
 */
static void judge_capture(struct case_ctx *ctx)
{
	struct nic_under_test *nic = ctx->nic;
	struct netboot_report *r = NULL;
	const struct netboot_dhcp *d;
	char err[ERRLEN] = "";
	/* the exchange a network boot needs; other types are observed */
	static const int needed[] = { 1, 2, 3, 5 };
	const char *ev;
	int i;

	if (!nic->pcap) {
		case_error(ctx, "no capture of the boot on %s", nic->tap);
		return;
	}
	if (netboot_analyze(nic->pcap, nic->mac, &r, err) < 0) {
		case_error(ctx, "%s", err);
		return;
	}
	ev = case_rel(ctx, nic->pcap);
	d = &r->dhcp;
	observe_int(ctx, case_fmt(ctx, "frames in %s", ev), r->frames, NULL);
	case_scope(ctx, "dhcp");
	for (i = 0; i < NETBOOT_DHCP_TYPES; i++)
		if (d->by_type[i] && i != 1 && i != 2 && i != 3 && i != 5)
			observe_int(ctx, case_fmt(ctx, "%s messages",
						  dhcp_names[i]),
				    d->by_type[i], NULL);
	observe_str(ctx, "address leased", "%s", d->yiaddr);
	for (i = 0; i < (int)G_N_ELEMENTS(needed); i++)
		expect_cmp(ctx, case_fmt(ctx, "%s messages for %s",
					 dhcp_names[needed[i]], nic->mac),
			   CMP_GE, 1, d->by_type[needed[i]], ev);
	if (d->by_type[5]) {
		expect_str(ctx, "next server in the DHCPACK", nic->host_ip,
			   d->siaddr, ev);
		expect_str(ctx, "boot file in the DHCPACK", PXE_BOOT_FILE,
			   d->bootfile, ev);
	}
	judge_file(ctx, r, PXE_BOOT_FILE, d->yiaddr);
	judge_file(ctx, r, PXE_KERNEL, d->yiaddr);
	judge_file(ctx, r, PXE_INITRD, d->yiaddr);
	case_scope(ctx, NULL);
	netboot_report_free(r);
}

static void observe_rom(struct case_ctx *ctx)
{
	case_scope(ctx, "guest");
	observe_str(ctx, "option ROM", "%s (QEMU's default for %s)",
		    ctx->nic->rom, model_name(ctx->nic->model));
	case_scope(ctx, NULL);
}

/* "<kernel>" elements in the domain XML nicq defined. */
static int kernel_elements(const char *xml)
{
	int n = 0;

	for (const char *p = xml; (p = strstr(p, "<kernel>")); p++)
		n++;
	return n;
}

static void run(struct case_ctx *ctx)
{
	const char *name = ctx->guest->name, *sfx = g_strrstr(name, "-p");
	struct proc_result res;
	char *banner;

	observe_rom(ctx);
	case_scope(ctx, "guest");
	/* the guest's own view: which command line its kernel got */
	if (case_guest_run(ctx, "cat /proc/cmdline", 10000, &res) == 0) {
		if (res.status != 0) {
			case_error(ctx, "cannot read /proc/cmdline: exit %d "
				   "(%s)", res.status, case_last_cmd(ctx));
		} else {
			char *mark = kv_get(res.out, "nicq.boot=");

			/* only the iPXE script adds it */
			expect_str(ctx, "nicq.boot= on the kernel command "
				   "line (from the iPXE script)", "pxe", mark,
				   case_last_cmd(ctx));
			g_free(mark);
		}
	}
	proc_result_clear(&res);
	expect_eq(ctx, "<kernel> elements in the domain XML", 0,
		  kernel_elements(ctx->guest->xml),
		  sfx ? case_fmt(ctx, "domain-%s.xml", sfx + 1) : NULL);
	banner = ipxe_banner(ctx->guests[0].console);
	expect_true(ctx, "iPXE banner on the serial console", banner != NULL,
		    "a line with 'Open Source Network Boot Firmware'",
		    banner ? g_strstrip(banner) : "none", "console.log");
	g_free(banner);
	case_scope(ctx, NULL);

	case_captures_stop(ctx);
	judge_capture(ctx);
}

/* The boot failed: what the capture shows says where it stopped. */
static void boot_failed(struct case_ctx *ctx)
{
	observe_rom(ctx);
	judge_capture(ctx);
}

/* The case after the boot: a command, a banner and the analyzer. */
static int pxe_deadline(const struct profile *p)
{
	(void)p;
	return 60;
}

const struct case_desc case_pxe = {
	.name = "pxe",
	.summary = "boot from the NIC: iPXE ROM, DHCP and TFTP from the "
		   "segment, nicq's kernel and initramfs up to the readiness "
		   "marker",
	.plan_case = 5,
	.plan = "PXE boot",
	.capture_snaplen = 640,	/* DHCP options; TFTP counts need 4 bytes */
	.topo = &topo_pxe,
	.deadline_s = pxe_deadline,
	.controls = {
		{ "drop-tftp", "e1000",
		  "tftp nicq.ipxe: bytes transferred (the file's size)" },
	},
	.run = run,
	.boot_failed = boot_failed,
};
