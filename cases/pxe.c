/*
 * pxe.c - Fedora vhost-net plan case 5: boot from the NIC.
 *
 * The guest's domain has no kernel and no disk: it boots from the NIC
 * under test, through the iPXE option ROM QEMU loads for the model by
 * default (efi-<model>.rom; which file, from QEMU's firmware path, is in
 * the YAML).  The segment's libvirt network serves DHCP and TFTP (its
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
 * the script gave it that), and the console shows the iPXE banner.
 */
#include "case.h"
#include "netboot.h"
#include "pxe.h"
#include "util.h"

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
	"untyped", "discover", "offer", "request", "decline", "ack", "nak",
	"release", "inform",
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

static long long file_size(const char *path)
{
	GStatBuf st;

	return g_stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void judge_file(struct case_ctx *ctx, const struct netboot_report *r,
		       const char *name, const char *path,
		       const char *leased)
{
	const struct nic_under_test *nic = ctx->nic;
	const struct netboot_tftp *t = netboot_tftp_file(r, name);
	long long want = file_size(path);
	char timing[96];
	double ms;

	if (!t) {
		diag_str(ctx->diag, name, "no read request on %s", nic->tap);
		case_fail(ctx, "no TFTP read request for %s on %s", name,
			  nic->tap);
		return;
	}
	ms = (double)(t->last_us - t->first_us) / 1000.0;
	if (t->server_port)
		g_snprintf(timing, sizeof(timing), "; %.0f ms from the request "
			   "to the last answer (%.1f MB/s)", ms, ms > 0 ?
			   (double)t->bytes / ms / 1000.0 : 0.0);
	else
		g_snprintf(timing, sizeof(timing), "; never answered");
	diag_str(ctx->diag, name, "RRQ %s:%u -> %s (%u sent) mode %s, "
		 "blksize %u; %u blocks, %llu of %lld bytes%s, %u "
		 "retransmitted, %u out of order%s%s%s",
		 t->client, t->client_port, t->server, t->requests, t->mode,
		 t->blksize, t->blocks, (unsigned long long)t->bytes, want,
		 t->complete ? ", complete" : ", incomplete", t->duplicates,
		 t->gaps, timing, t->error_code >= 0 ? "; TFTP error: " : "",
		 t->error_code >= 0 ? t->error_msg : "");
	if (strcmp(t->server, nic->host_ip))
		case_fail(ctx, "TFTP request for %s went to %s, not the host "
			  "%s", name, t->server, nic->host_ip);
	if (leased[0] && strcmp(t->client, leased))
		case_fail(ctx, "TFTP request for %s came from %s, not the "
			  "leased %s", name, t->client, leased);
	if (g_ascii_strcasecmp(t->mode, "octet"))
		case_fail(ctx, "TFTP request for %s in mode %s, not octet",
			  name, t->mode);
	if (t->error_code >= 0)
		case_fail(ctx, "TFTP transfer of %s ended in error %d: %s",
			  name, t->error_code, t->error_msg);
	if (!t->complete || want < 0 || t->bytes != (unsigned long long)want)
		case_fail(ctx, "TFTP transfer of %s: %llu of %lld bytes%s on "
			  "%s", name, (unsigned long long)t->bytes, want,
			  t->complete ? "" : ", last block never seen",
			  nic->tap);
}

/* DHCP and TFTP from the capture on the tap, against what was served. */
static void judge_capture(struct case_ctx *ctx)
{
	struct nic_under_test *nic = ctx->nic;
	struct netboot_report *r = NULL;
	char err[ERRLEN] = "", *script;
	const struct netboot_dhcp *d;
	int i;

	if (!nic->pcap || netboot_analyze(nic->pcap, nic->mac, &r, err) < 0) {
		case_fail(ctx, "%s", nic->pcap ? err : "no capture");
		return;
	}
	d = &r->dhcp;
	diag_map(ctx->diag, "expected");
	diag_str(ctx->diag, "dhcp", "discover, offer, request, ack for %s; "
		 "next server %s, boot file %s", nic->mac, nic->host_ip,
		 PXE_BOOT_FILE);
	diag_str(ctx->diag, "tftp", "read requests for %s, %s, %s from the "
		 "leased address, octet mode, each file whole", PXE_BOOT_FILE,
		 PXE_KERNEL, PXE_INITRD);
	diag_end(ctx->diag);
	diag_map(ctx->diag, "measured");
	diag_map(ctx->diag, "dhcp");
	for (i = 0; i < NETBOOT_DHCP_TYPES; i++)
		if (d->by_type[i])
			diag_int(ctx->diag, dhcp_names[i], d->by_type[i]);
	diag_str(ctx->diag, "leased", "%s", d->yiaddr);
	diag_str(ctx->diag, "next_server", "%s", d->siaddr);
	diag_str(ctx->diag, "boot_file", "%s", d->bootfile);
	diag_end(ctx->diag);
	if (!d->by_type[1] || !d->by_type[2] || !d->by_type[3] ||
	    !d->by_type[5])
		case_fail(ctx, "DHCP exchange of %s incomplete on %s: %u "
			  "discover, %u offer, %u request, %u ack", nic->mac,
			  nic->tap, d->by_type[1], d->by_type[2],
			  d->by_type[3], d->by_type[5]);
	else if (strcmp(d->siaddr, nic->host_ip) ||
		 strcmp(d->bootfile, PXE_BOOT_FILE))
		case_fail(ctx, "DHCP ack names next server %s and boot file "
			  "'%s', expected %s and %s", d->siaddr, d->bootfile,
			  nic->host_ip, PXE_BOOT_FILE);
	diag_map(ctx->diag, "tftp");
	script = g_build_filename(ctx->tftp_dir, PXE_BOOT_FILE, NULL);
	judge_file(ctx, r, PXE_BOOT_FILE, script, d->yiaddr);
	g_free(script);
	script = g_build_filename(ctx->tftp_dir, PXE_KERNEL, NULL);
	judge_file(ctx, r, PXE_KERNEL, script, d->yiaddr);
	g_free(script);
	script = g_build_filename(ctx->tftp_dir, PXE_INITRD, NULL);
	judge_file(ctx, r, PXE_INITRD, script, d->yiaddr);
	g_free(script);
	diag_end(ctx->diag);
	diag_end(ctx->diag);
	netboot_report_free(r);
}

static enum verdict run(struct case_ctx *ctx)
{
	struct nic_under_test *nic = ctx->nic;
	struct proc_result res;
	char *banner;

	diag_str(ctx->diag, "control", "serial console for the boot (BIOS, "
		 "iPXE, kernel, readiness marker); then SSH over the NIC "
		 "under test, which the booted kernel keeps up");
	diag_str(ctx->diag, "rom", "%s (QEMU's default for %s)", nic->rom,
		 nic_model_libvirt(nic->model));

	/* the guest's own view: which command line its kernel got */
	if (case_guest_run(ctx, "cat /proc/cmdline", 10000, &res) == 0) {
		g_strstrip(res.out);
		diag_str(ctx->diag, "guest_cmdline_has_pxe_mark", "%s",
			 strstr(res.out, " nicq.boot=pxe") ? "yes" : "no");
		if (res.status != 0 || !strstr(res.out, " nicq.boot=pxe"))
			case_fail(ctx, "the guest's kernel command line lacks "
				  "nicq.boot=pxe: it did not come from the "
				  "iPXE script");
		proc_result_clear(&res);
	}
	if (strstr(ctx->guest->xml, "<kernel>"))
		case_fail(ctx, "the domain has a kernel: not a network boot");
	banner = ipxe_banner(ctx->guests[0].console);
	diag_str(ctx->diag, "firmware", "%s", banner ? g_strstrip(banner) :
		 "no iPXE banner on the console");
	if (!banner)
		case_fail(ctx, "no iPXE banner on the serial console");
	g_free(banner);

	case_captures_stop(ctx);
	judge_capture(ctx);
	return V_PASS;
}

/* The boot failed: what the capture shows says where it stopped. */
static void boot_failed(struct case_ctx *ctx)
{
	diag_str(ctx->diag, "rom", "%s (QEMU's default for %s)", ctx->nic->rom,
		 nic_model_libvirt(ctx->nic->model));
	judge_capture(ctx);
}

const struct case_desc case_pxe = {
	.name = "pxe",
	.summary = "boot from the NIC: iPXE ROM, DHCP and TFTP from the "
		   "segment, nicq's kernel and initramfs up to the readiness "
		   "marker",
	.plan = "case 5",
	.capture_snaplen = 640,	/* DHCP options; TFTP counts need 4 bytes */
	.topo = &topo_pxe,
	.run = run,
	.boot_failed = boot_failed,
};
