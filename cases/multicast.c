/*
 * multicast.c - Fedora vhost-net plan case 7: link-layer multicast.
 *
 * The guest joins the plan's three link-layer groups with `ip maddr add`
 * and captures on its NIC in non-promiscuous mode (tcpdump -p).  nicq
 * injects frames with random payloads (ethertype 0x88b5, "local
 * experimental") from the host side of the tap to each address, plus a
 * group the guest did not join and, as a control, the guest's own MAC.  The
 * guest's capture is fetched back and the payloads are matched exactly.
 *
 * What each address should do, per model, and why:
 *
 *   01:00:5e:c0:01:64, 03:00:00:00:40:00 - group bit set and joined:
 *     delivered on every model.
 *
 *   02:00:5e:c0:01:64 - the group bit is CLEAR: a unicast address that
 *     `ip maddr add` nevertheless puts in the multicast list.  What happens
 *     depends on where the driver programs it and how QEMU's model matches
 *     unicast frames:
 *       e1000:   e1000_set_rx_mode() loads multicast-list entries into the
 *                spare exact-match receive address registers (RAR) before
 *                it hashes any, and QEMU's e1000 compares every frame with
 *                all RARs whatever its group bit: delivered.
 *       virtio:  virtio_net puts it in the multicast part of the MAC table
 *                (VIRTIO_NET_CTRL_MAC_TABLE_SET); QEMU's virtio-net matches
 *                unicast frames against the unicast part and its own MAC
 *                only: not delivered.
 *       rtl8139: 8139cp hashes it into the multicast filter (MAR); QEMU's
 *                rtl8139 uses MAR for frames with the group bit set and
 *                accepts other frames only for its own MAC: not delivered.
 *     These are verdicts: a model that does otherwise changed behaviour.
 *
 *   a group nobody joined - receive filtering.  All three QEMU models
 *     implement multicast filtering (virtio: exact table; e1000: RAR/MTA;
 *     rtl8139: 64-bit MAR hash), so not delivering it is a verdict.  For
 *     the hash filters the address is chosen so its hash bit differs from
 *     every joined address's (MAR: top 6 bits of the Ethernet CRC; e1000's
 *     RARs are exact), otherwise a delivery would be a legitimate collision.
 *     Its control, mcast-allmulti, puts the NIC in allmulticast mode after
 *     the joins and before the frames come (the driver then opens its
 *     filter to every group: virtio VIRTIO_NET_CTRL_RX_ALLMULTI, e1000
 *     RCTL.MPE, 8139cp a MAR of all ones), so the group nobody joined
 *     arrives and this verdict must fail.  The NIC's flags are observed
 *     before the frames come either way.
 */
#include "case.h"
#include "capture.h"
#include "frames.h"
#include "util.h"

#include <glib.h>
#include <netinet/ether.h>
#include <string.h>

#define ETHERTYPE_NICQ 0x88b5
#define FRAMES_PER_ADDR 4
#define PAYLOAD 46
#define N_TARGETS 5

enum want { DELIVER, DROP };

struct target {
	const char *label;
	unsigned char mac[6];
	bool join;
	enum want want[NIC_MODEL_COUNT];
	const char *why;
	unsigned got;
};

static uint32_t ether_crc(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xffffffff;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		for (b = 0; b < 8; b++, c >>= 1) {
			uint32_t carry = ((crc & 0x80000000) ? 1 : 0) ^ (c & 1);

			crc <<= 1;
			if (carry)
				crc = (crc ^ 0x04c11db6) | carry;
		}
	}
	return crc;
}

static int mar_bit(const unsigned char *mac)
{
	return (int)(ether_crc(mac, 6) >> 26);
}

static char *mac_str(const unsigned char *m)
{
	return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
			       m[2], m[3], m[4], m[5]);
}

/*
 * The guest's capture: each target's got is the number of frames sent to
 * it whose payload came back exactly, duplicates included (a duplicate
 * makes got exceed FRAMES_PER_ADDR, which neither verdict accepts).
 */
static int match_capture(const char *path, struct target *t,
			 unsigned char (*payloads)[FRAMES_PER_ADDR][PAYLOAD],
			 char *err)
{
	struct frames_want w[N_TARGETS * FRAMES_PER_ADDR];
	struct frames_count c[N_TARGETS * FRAMES_PER_ADDR];
	int i, k;

	for (i = 0; i < N_TARGETS; i++)
		for (k = 0; k < FRAMES_PER_ADDR; k++) {
			struct frames_want *x = &w[i * FRAMES_PER_ADDR + k];

			x->mac = t[i].mac;
			x->payload = payloads[i][k];
			x->len = PAYLOAD;
		}
	if (frames_match(path, ETHERTYPE_NICQ, w,
			 G_N_ELEMENTS(w), c, err) < 0)
		return -1;
	for (i = 0; i < N_TARGETS; i++)
		for (k = 0; k < FRAMES_PER_ADDR; k++)
			t[i].got += c[i * FRAMES_PER_ADDR + k].seen +
				    c[i * FRAMES_PER_ADDR + k].dups;
	return 0;
}

/* Join the target addresses in the guest: judged (the driver programs
 * its receive filter).  false when a join could not be run. */
static bool join(struct case_ctx *ctx, const struct target *t, int n,
		 const char *ifq)
{
	struct proc_result r;
	int i;

	case_scope(ctx, "join");
	for (i = 0; i < n; i++) {
		char *ms, *cmd;
		int rc;

		if (!t[i].join)
			continue;
		ms = mac_str(t[i].mac);
		cmd = g_strdup_printf("ip maddr add %s dev %s", ms, ifq);
		rc = case_guest_run(ctx, cmd, 10000, &r);
		if (rc == 0)
			expect_eq(ctx, case_fmt(ctx, "ip maddr add %s: exit "
						"status", ms), 0, r.status,
				  case_last_cmd(ctx));
		proc_result_clear(&r);
		g_free(cmd);
		g_free(ms);
		if (rc < 0)
			break;
	}
	case_scope(ctx, NULL);
	return i == n;
}

/*
 * Inject FRAMES_PER_ADDR frames with random payloads to each target from
 * the host side of the tap.  Returns the frames the kernel dropped on
 * egress, -1 (error recorded) when one could not be sent.
 */
static int inject(struct case_ctx *ctx, const struct target *t, int n,
		  unsigned char (*payloads)[FRAMES_PER_ADDR][PAYLOAD])
{
	char err[ERRLEN];
	int i, j, k, rc, drops = 0;

	for (i = 0; i < n; i++) {
		for (k = 0; k < FRAMES_PER_ADDR; k++) {
			unsigned char f[14 + PAYLOAD];

			memcpy(f, t[i].mac, 6);
			memcpy(f + 6, "\x02\x00\x00\x18\xff\x01", 6);
			f[12] = ETHERTYPE_NICQ >> 8;
			f[13] = ETHERTYPE_NICQ & 0xff;
			for (j = 0; j < PAYLOAD; j++)
				payloads[i][k][j] =
					(unsigned char)g_random_int_range(0, 256);
			memcpy(f + 14, payloads[i][k], PAYLOAD);
			rc = capture_inject(ctx->nic->tap, f, sizeof(f), err);
			if (rc < 0) {
				case_error(ctx, "cannot inject a frame to %s: "
					   "%s", t[i].label, err);
				return -1;
			}
			drops += rc;
		}
	}
	return drops;
}

static void multicast_run(struct case_ctx *ctx)
{
	struct target t[N_TARGETS] = {
		{ "joined IPv4 group", { 0x01, 0x00, 0x5e, 0xc0, 0x01, 0x64 },
		  true, { DELIVER, DELIVER, DELIVER }, "joined, group bit set" },
		{ "joined unicast-in-mc-list", { 0x02, 0x00, 0x5e, 0xc0, 0x01, 0x64 },
		  true, { [NIC_RTL8139] = DROP, [NIC_E1000] = DELIVER,
			  [NIC_VIRTIO] = DROP },
		  "group bit clear: e1000 matches it in a RAR; virtio and "
		  "rtl8139 match unicast frames to their own MAC only" },
		{ "joined functional group", { 0x03, 0x00, 0x00, 0x00, 0x40, 0x00 },
		  true, { DELIVER, DELIVER, DELIVER }, "joined, group bit set" },
		{ "not joined group", { 0x01, 0x00, 0x5e, 0x7f, 0x00, 0x00 },
		  false, { DROP, DROP, DROP },
		  "receive filtering: every model implements a multicast filter" },
		{ "own MAC (control)", { 0 }, false,
		  { DELIVER, DELIVER, DELIVER }, "unicast to the NIC itself" },
	};
	const int n = (int)G_N_ELEMENTS(t);
	unsigned char payloads[N_TARGETS][FRAMES_PER_ADDR][PAYLOAD] = { 0 };
	enum nic_model m = ctx->nic->model;
	char *ifq = shq(ctx->nic->ifname), *cmd, *path = NULL, err[ERRLEN];
	struct sshc_job *job = NULL;
	struct ether_addr own;
	struct proc_result r;
	guchar *pcap_bytes = NULL;
	gsize pcap_len = 0;
	int i, k, bits[3], drops;

	/* own MAC as the control target */
	if (!ether_aton_r(ctx->nic->mac, &own)) {
		case_error(ctx, "the NIC's MAC '%s' does not parse",
			   ctx->nic->mac);
		goto out;
	}
	memcpy(t[4].mac, own.ether_addr_octet, 6);
	/* a not-joined group whose MAR hash bit differs from the joined ones */
	for (i = 0; i < 3; i++)
		bits[i] = mar_bit(t[i].mac);
	for (k = 1; k < 256; k++) {
		t[3].mac[5] = (unsigned char)k;
		if (mar_bit(t[3].mac) != bits[0] &&
		    mar_bit(t[3].mac) != bits[1] && mar_bit(t[3].mac) != bits[2])
			break;
	}

	/* join, and start a non-promiscuous capture in the guest */
	case_phase(ctx, "join");
	if (!join(ctx, t, n, ifq))
		goto out;
	if (ctx->fault->mcast_allmulti) {
		cmd = g_strdup_printf("ip link set dev %s allmulticast on", ifq);
		if (case_guest_run(ctx, cmd, 10000, &r) < 0) {
			g_free(cmd);
			goto out;
		}
		g_free(cmd);
		if (r.status != 0) {
			case_error(ctx, "cannot set allmulticast mode (fault "
				   "mcast-allmulti, %s)", case_last_cmd(ctx));
			proc_result_clear(&r);
			goto out;
		}
		proc_result_clear(&r);
	}
	/* what the filter is told: the flags (PROMISC, ALLMULTI) */
	cmd = g_strdup_printf("ip -o link show dev %s", ifq);
	if (case_guest_run(ctx, cmd, 10000, &r) < 0) {
		g_free(cmd);
		goto out;
	}
	g_free(cmd);
	if (r.status == 0) {
		const char *lt = strchr(r.out, '<'), *gt = lt ?
				 strchr(lt, '>') : NULL;

		if (lt && gt)
			observe(ctx, "NIC flags before the frames",
				VAL_S(case_fmt(ctx, "%.*s", (int)(gt - lt - 1),
					       lt + 1)),
				NULL, case_last_cmd(ctx));
	}
	proc_result_clear(&r);
	case_phase(ctx, "guest capture");
	cmd = g_strdup_printf("rm -f /tmp/mc.pcap; tcpdump -p -U "
			      "--immediate-mode -i %s -w "
			      "/tmp/mc.pcap ether proto 0x%04x 2>/tmp/mc.err & "
			      "echo $! > /tmp/mc.pid; wait", ifq,
			      ETHERTYPE_NICQ);
	if (sshc_start(ctx->ssh, cmd, 10000, &job, err) < 0) {
		case_error(ctx, "cannot start the guest capture: %s", err);
		job = NULL;
		g_free(cmd);
		goto out;
	}
	g_free(cmd);
	/* the pcap header is written once the capture socket is bound */
	if (case_guest_run(ctx, "i=0; while [ $i -lt 200 ]; do "
			   "[ -s /tmp/mc.pcap ] && exit 0; usleep 50000; "
			   "i=$((i + 1)); done; exit 1", 20000, &r) < 0)
		goto out;
	if (r.status != 0) {
		case_error(ctx, "the guest capture did not start within 10 s "
			   "(%s)", case_last_cmd(ctx));
		proc_result_clear(&r);
		goto out;
	}
	proc_result_clear(&r);

	/* inject from the host side of the tap */
	case_phase(ctx, "inject");
	drops = inject(ctx, t, n, payloads);
	if (drops < 0)
		goto out;
	observe_int(ctx, "frames dropped on the host's egress", drops, NULL);

	/* let the guest see them, then stop its capture and fetch it */
	case_phase(ctx, "fetch the guest capture");
	if (case_guest_run(ctx, "sleep 1; kill -INT $(cat /tmp/mc.pid)",
			   10000, &r) < 0)
		goto out;
	proc_result_clear(&r);
	if (sshc_job_wait(job, 15000, &r, err) < 0) {
		case_error(ctx, "guest capture: %s", err);
		goto out;
	}
	proc_result_clear(&r);
	if (case_guest_run(ctx, "base64 /tmp/mc.pcap", 30000, &r) < 0)
		goto out;
	if (r.status == 0)
		pcap_bytes = g_base64_decode(r.out, &pcap_len);
	else
		case_error(ctx, "cannot fetch the guest capture (%s)",
			   case_last_cmd(ctx));
	proc_result_clear(&r);
	case_captures_stop(ctx);
	if (!pcap_bytes)
		goto out;

	case_phase(ctx, "judge");
	path = g_build_filename(ctx->dir, "guest-capture.pcap", NULL);
	if (file_write(path, pcap_bytes, pcap_len, err) < 0 ||
	    match_capture(path, t, payloads, err) < 0) {
		case_error(ctx, "%s", err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *ms = mac_str(t[i].mac);
		enum want w = t[i].want[m];

		case_scope(ctx, "%s", t[i].label);
		observe_str(ctx, "address", "%s", ms);
		observe_str(ctx, "why", "%s: %s", w == DELIVER ? "delivered" :
			    "not delivered", t[i].why);
		expect_eq(ctx, case_fmt(ctx, "frames in the guest's "
					"non-promiscuous capture (of %d sent)",
					FRAMES_PER_ADDR),
			  w == DELIVER ? FRAMES_PER_ADDR : 0, t[i].got,
			  case_fmt(ctx, "guest-capture.pcap (to %s)", ms));
		g_free(ms);
	}
	case_scope(ctx, NULL);
out:
	sshc_job_free(job);
	g_free(path);
	g_free(pcap_bytes);
	g_free(ifq);
}

/*
 * Six guest commands, 20 frames and a one-second wait: 3-7 s measured on
 * an idle host, 12.5 s on a loaded one; about 3x the latter.
 */
static int multicast_deadline(const struct profile *p)
{
	(void)p;
	return 45;
}

const struct case_desc case_multicast = {
	.name = "multicast",
	.summary = "frames injected to the plan's three joined groups reach "
		   "a non-promiscuous guest capture as each model should; a "
		   "group not joined is filtered",
	.plan_case = 7,
	.plan = "multicast",
	.capture_snaplen = 128,
	.deadline_s = multicast_deadline,
	.controls = {
		{ "drop-mcast", "e1000",
		  "joined * group: frames in the guest's non-promiscuous "
		  "capture*" },
		{ "mcast-allmulti", "rtl8139",
		  "not joined group: frames in the guest's non-promiscuous "
		  "capture*" },
	},
	.run = multicast_run,
};
