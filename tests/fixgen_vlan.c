/*
 * fixgen_vlan - write the pcap fixtures fixtures/pcap/vlan-*.pcap that
 * test_vlan reads.
 *
 *   make build/tests/fixgen_vlan && build/tests/fixgen_vlan fixtures/pcap
 *
 * Output is deterministic (fixed time stamps, fixed pseudo-random seed), so
 * regenerating gives byte-identical files.  Guest A is 192.0.2.10 (on VLAN
 * 10), guest B 192.0.2.20; C and D (192.0.2.30, .40) are other hosts on the
 * same segment, 192.0.2.1 a gateway, and 198.51.100.1 and .2 hosts on VLAN
 * 30.  Each fixture's contents are listed above its writer, and
 * tests/test_vlan.c asserts the counts that follow from them: change both
 * together.  Needs only libpcap.
 */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pcapgen.h"

#define IP_HDR		20
#define ICMP_HDR	8
#define ECHO_DATA	56	/* ping's default payload */

#define TPID_Q		0x8100
#define TPID_AD		0x88a8
#define TPID_QINQ	0x9100
#define PCP(p)		((uint16_t)((p) << 13))
#define DEI		0x1000

static const uint8_t IP_A[4] = { 192, 0, 2, 10 };
static const uint8_t IP_B[4] = { 192, 0, 2, 20 };
static const uint8_t IP_C[4] = { 192, 0, 2, 30 };
static const uint8_t IP_D[4] = { 192, 0, 2, 40 };
static const uint8_t IP_GW[4] = { 192, 0, 2, 1 };
static const uint8_t IP_X1[4] = { 198, 51, 100, 1 };
static const uint8_t IP_X2[4] = { 198, 51, 100, 2 };
static const uint8_t IP_ANY[4] = { 0, 0, 0, 0 };

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x14 };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x1e };
static const uint8_t MAC_D[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x28 };
static const uint8_t MAC_X1[6] = { 0x52, 0x54, 0x00, 0x00, 0x30, 0x01 };
static const uint8_t MAC_X2[6] = { 0x52, 0x54, 0x00, 0x00, 0x30, 0x02 };
static const uint8_t MAC_ZERO[6] = { 0 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* VLAN tags, outermost first. */
struct l2 {
	size_t n;
	struct pcapgen_tag tag[3];
};

static const struct l2 UNTAGGED = { 0, { { 0, 0 } } };
static const struct l2 V10 = { 1, { { TPID_Q, 10 } } };
static const struct l2 V10_DEI = { 1, { { TPID_Q, DEI | 10 } } };
static const struct l2 V10_P5 = { 1, { { TPID_Q, PCP(5) | 10 } } };
static const struct l2 V30 = { 1, { { TPID_Q, 30 } } };
static const struct l2 V30_P5 = { 1, { { TPID_Q, PCP(5) | 30 } } };
static const struct l2 V0_P7 = { 1, { { TPID_Q, PCP(7) } } };
static const struct l2 V4095 = { 1, { { TPID_Q, 4095 } } };
static const struct l2 S100 = { 1, { { TPID_AD, 100 } } };
static const struct l2 S100_C10 = { 2, { { TPID_AD, 100 }, { TPID_Q, 10 } } };
static const struct l2 S100_C30 = { 2, { { TPID_AD, 100 }, { TPID_Q, 30 } } };
static const struct l2 S200_C10 = { 2, { { TPID_QINQ, 200 }, { TPID_Q, 10 } } };
static const struct l2 Q300_C10 = { 2, { { TPID_Q, 300 }, { TPID_Q, 10 } } };
static const struct l2 S100_C20_C10 = {
	3, { { TPID_AD, 100 }, { TPID_Q, 20 }, { TPID_Q, 10 } }
};

/* A pcap file being written, and the IP id of its next UDP datagram. */
struct out {
	struct pcapgen g;
	uint16_t ip_id;
};

static int out_open(struct out *o, const char *dir, const char *name,
		    int linktype)
{
	char path[4096], err[PCAPGEN_ERRLEN];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	memset(o, 0, sizeof(*o));
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "fixgen_vlan: path too long: '%s'\n", dir);
		return -1;
	}
	if (pcapgen_open(&o->g, path, linktype, 65535, err) < 0) {
		fprintf(stderr, "fixgen_vlan: %s\n", err);
		return -1;
	}
	o->g.t_us = 1700000000LL * 1000000;
	o->g.step_us = 1000;
	o->ip_id = 0x1000;
	return 0;
}

static int out_close(struct out *o)
{
	return pcapgen_close(&o->g);
}

/* One record of wire length len with caplen bytes of buf captured. */
static void out_rec(struct out *o, const uint8_t *buf, size_t len,
		    size_t caplen)
{
	pcapgen_rec(&o->g, buf, len, caplen);
}

/* Start a frame: addresses, tags, ethertype. */
static void f_eth(struct pcapgen_frame *f, const uint8_t *dmac,
		  const uint8_t *smac, const struct l2 *l2, uint16_t etype)
{
	const struct pcapgen_eth eth = { dmac, smac, l2->tag, l2->n };

	pcapgen_eth(f, &eth, etype);
}

/* Write the frame whole, padded to the Ethernet minimum as a NIC sends it. */
static void out_frame(struct out *o, struct pcapgen_frame *f)
{
	pcapgen_pad(f);
	pcapgen_put(&o->g, f);
}

/* Write the padded frame with only caplen bytes captured. */
static void out_cut(struct out *o, struct pcapgen_frame *f, size_t caplen)
{
	pcapgen_pad(f);
	pcapgen_cut(&o->g, f, caplen);
}

/* An ARP packet, IPv4 over Ethernet. */
static void f_arp(struct pcapgen_frame *f, const uint8_t *dmac,
		  const struct l2 *l2, uint16_t op, const uint8_t *sha,
		  const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
	f_eth(f, dmac, sha, l2, 0x0806);
	pcapgen_append16(f, 1);
	pcapgen_append16(f, 0x0800);
	pcapgen_append(f, "\x06\x04", 2);
	pcapgen_append16(f, op);
	pcapgen_append(f, sha, 6);
	pcapgen_append(f, spa, 4);
	pcapgen_append(f, tha, 6);
	pcapgen_append(f, tpa, 4);
}

static void arp(struct out *o, const uint8_t *dmac, const struct l2 *l2,
		uint16_t op, const uint8_t *sha, const uint8_t *spa,
		const uint8_t *tha, const uint8_t *tpa)
{
	struct pcapgen_frame f;

	f_arp(&f, dmac, l2, op, sha, spa, tha, tpa);
	out_frame(o, &f);
}

/*
 * An IPv4 packet with a correct header checksum: ihl 5 (or more, with NOP
 * options), the fragment field frag as it goes on the wire (flags and
 * offset in 8-byte units), total length tot (0: header plus payload), the
 * payload after the header.
 */
static void f_ip(struct pcapgen_frame *f, const uint8_t *smac,
		 const uint8_t *dmac, const struct l2 *l2, const uint8_t *src,
		 const uint8_t *dst, uint8_t proto, uint16_t id, uint16_t frag,
		 size_t ihl, size_t tot, const uint8_t *pl, size_t len)
{
	const struct pcapgen_ip ip = {
		.src = src, .dst = dst, .proto = proto, .id = id,
		.frag_off = (size_t)(frag & 0x1fff) * 8,
		.df = (frag & 0x4000) != 0, .mf = (frag & 0x2000) != 0,
		.ihl = ihl, .tot = tot,
	};

	f_eth(f, dmac, smac, l2, 0x0800);
	pcapgen_ipv4(f, &ip, pl, len);
}

/* An ICMP message: type, code, ident, seq and ECHO_DATA bytes of data. */
static size_t icmp_msg(uint8_t *m, uint8_t type, uint8_t code, uint16_t ident,
		       uint16_t seq)
{
	size_t i;

	for (i = 0; i < ECHO_DATA; i++)
		m[ICMP_HDR + i] = (uint8_t)(0x10 + i);
	return pcapgen_icmp(m, type, code, ident, seq, m + ICMP_HDR,
			    ECHO_DATA);
}

/* A whole ICMP datagram (DF, IP id 0, as Linux sends pings). */
static void f_icmp(struct pcapgen_frame *f, const uint8_t *smac,
		   const uint8_t *dmac, const struct l2 *l2, const uint8_t *src,
		   const uint8_t *dst, uint8_t type, uint8_t code, uint16_t seq)
{
	uint8_t m[ICMP_HDR + ECHO_DATA];
	size_t len = icmp_msg(m, type, code, 0x4242, seq);

	f_ip(f, smac, dmac, l2, src, dst, 1, 0, 0x4000, IP_HDR, 0, m, len);
}

static void icmp(struct out *o, const uint8_t *smac, const uint8_t *dmac,
		 const struct l2 *l2, const uint8_t *src, const uint8_t *dst,
		 uint8_t type, uint16_t seq)
{
	struct pcapgen_frame f;

	f_icmp(&f, smac, dmac, l2, src, dst, type, 0, seq);
	out_frame(o, &f);
}

/* A UDP datagram to the discard port (checksum 0: none). */
static void udp(struct out *o, const uint8_t *smac, const uint8_t *dmac,
		const struct l2 *l2, const uint8_t *src, const uint8_t *dst)
{
	uint8_t u[8 + 16];
	struct pcapgen_frame f;
	size_t len = pcapgen_udp(u, 40000, 9, "nicq vlan probe.", 16);

	f_ip(&f, smac, dmac, l2, src, dst, 17, o->ip_id++, 0x4000, IP_HDR, 0,
	     u, len);
	out_frame(o, &f);
}

/* An IPv6 frame (router solicitation shape); the analyzer ignores IPv6. */
static void ipv6(struct out *o, const uint8_t *smac, const struct l2 *l2)
{
	static const uint8_t dmac[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	uint8_t h[40 + 8];
	struct pcapgen_frame f;

	memset(h, 0, sizeof(h));
	h[0] = 0x60;
	pcapgen_set16(h + 4, 8);
	h[6] = 58;
	h[7] = 255;
	h[8] = 0xfe;
	h[9] = 0x80;
	h[24] = 0xff;
	h[25] = 0x02;
	h[39] = 2;
	h[40] = 133;
	f_eth(&f, dmac, smac, l2, 0x86dd);
	pcapgen_append(&f, h, sizeof(h));
	out_frame(o, &f);
}

/*
 * vlan-isolated.pcap, as seen on A's tap with A on VLAN 10 and B on VLAN
 * 20: A boots and asks for B, nobody answers.  All on VID 10:
 *   A's ARP probe for its address (sender 0.0.0.0)     pair
 *   A's gratuitous ARP request announcing it           pair
 *   A's ARP request for the gateway                    (A, gateway)
 *   3 ARP requests from A for B, a second apart        pair
 *   C's gratuitous ARP request                         not the pair
 *   an ARP probe for D                                 not the pair
 *   an IPv6 router solicitation from A                 ignored
 * VID 10: 5 frames, 5 ARP requests.  9 frames in all.
 */
static int gen_isolated(const char *dir)
{
	struct out o;
	int i;

	if (out_open(&o, dir, "vlan-isolated.pcap", DLT_EN10MB) < 0)
		return -1;
	arp(&o, MAC_BCAST, &V10, 1, MAC_A, IP_ANY, MAC_ZERO, IP_A);
	arp(&o, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_A);
	arp(&o, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_GW);
	for (i = 0; i < 3; i++) {
		arp(&o, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
		o.g.t_us += 1000000;
	}
	arp(&o, MAC_BCAST, &V10, 1, MAC_C, IP_C, MAC_ZERO, IP_C);
	arp(&o, MAC_BCAST, &V10, 1, MAC_C, IP_ANY, MAC_ZERO, IP_D);
	ipv6(&o, MAC_A, &V10);
	return out_close(&o);
}

/* How the A-B conversation of vlan-same and its variants is tagged. */
struct conv {
	const char *name;
	const struct l2 *rep;	/* B's frames */
	unsigned untagged;	/* bit s: echo reply seq s goes untagged */
};

/*
 * vlan-same.pcap, both guests on VLAN 10:
 *   C's ARP request for D, untagged                    (C, D)
 *   A's ARP request for B, VID 10                      pair
 *   B's ARP reply, VID 10 with PCP 5                   pair
 *   5 echo requests A -> B, VID 10 (seq 3 with DEI)    pair
 *   5 echo replies B -> A, VID 10 with PCP 5           pair
 *     after seq 2: an echo request X1 -> X2, VID 30    (X1, X2)
 *     after seq 3: an IPv6 frame from A, VID 10        ignored
 *     after seq 4: an echo request A -> C, VID 10      (A, C)
 *   a UDP datagram A -> B, VID 10                      pair, other
 *   an echo request C -> D and its reply, untagged     (C, D)
 * VID 10: 13 frames, 1 ARP request, 1 ARP reply, 5 echo requests, 5
 * replies, 1 other.  19 frames in all.
 *
 * vlan-leak.pcap: the same, but echo replies 2 and 4 untagged: VID 10 has
 * 11 frames and 3 echo replies, VID -1 2 frames and 2 echo replies.
 *
 * vlan-wrongvid.pcap: the same, but B's frames (the ARP reply and the 5
 * echo replies) on VID 30 with PCP 5: VID 10 has 7 frames (1 ARP request,
 * 5 echo requests, 1 other), VID 30 6 frames (1 ARP reply, 5 echo
 * replies).
 */
static int gen_conv(const char *dir, const struct conv *c)
{
	struct out o;
	uint16_t s;

	if (out_open(&o, dir, c->name, DLT_EN10MB) < 0)
		return -1;
	arp(&o, MAC_BCAST, &UNTAGGED, 1, MAC_C, IP_C, MAC_ZERO, IP_D);
	arp(&o, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
	arp(&o, MAC_A, c->rep, 2, MAC_B, IP_B, MAC_A, IP_A);
	for (s = 1; s <= 5; s++) {
		o.g.t_us += 1000000;
		icmp(&o, MAC_A, MAC_B, s == 3 ? &V10_DEI : &V10, IP_A, IP_B,
		     8, s);
		icmp(&o, MAC_B, MAC_A,
		     c->untagged & (1u << s) ? &UNTAGGED : c->rep, IP_B, IP_A,
		     0, s);
		if (s == 2)
			icmp(&o, MAC_X1, MAC_X2, &V30, IP_X1, IP_X2, 8, 1);
		else if (s == 3)
			ipv6(&o, MAC_A, &V10);
		else if (s == 4)
			icmp(&o, MAC_A, MAC_C, &V10, IP_A, IP_C, 8, 1);
	}
	udp(&o, MAC_A, MAC_B, &V10, IP_A, IP_B);
	icmp(&o, MAC_C, MAC_D, &UNTAGGED, IP_C, IP_D, 8, 1);
	icmp(&o, MAC_D, MAC_C, &UNTAGGED, IP_D, IP_C, 0, 1);
	return out_close(&o);
}

static int gen_same(const char *dir)
{
	static const struct conv c = { "vlan-same.pcap", &V10_P5, 0 };

	return gen_conv(dir, &c);
}

static int gen_leak(const char *dir)
{
	static const struct conv c = {
		"vlan-leak.pcap", &V10_P5, 1u << 2 | 1u << 4
	};

	return gen_conv(dir, &c);
}

static int gen_wrongvid(const char *dir)
{
	static const struct conv c = { "vlan-wrongvid.pcap", &V30_P5, 0 };

	return gen_conv(dir, &c);
}

/*
 * vlan-qinq.pcap, stacked tags (the outer VID counts):
 *   ARP request A -> B and reply, 0x88a8 100 / 0x8100 10         VID 100
 *   echo seq 1, 2 requests and replies, 0x88a8 100 / 0x8100 10   VID 100
 *   echo seq 3 request and reply, 0x9100 200 / 0x8100 10         VID 200
 *   echo seq 4 request, 0x8100 300 / 0x8100 10                   VID 300
 *   echo seq 4 reply, 0x8100 10                                  VID 10
 *   echo seq 5 request, 0x88a8 100 / 0x8100 20 / 0x8100 10       VID 100
 *   a UDP datagram A -> B, 0x88a8 100 only                       VID 100
 *   an echo request X1 -> X2, 0x88a8 100 / 0x8100 30             (X1, X2)
 * VID 10: 1 frame, 1 echo reply.  VID 100: 8 frames, 1 ARP request, 1 ARP
 * reply, 3 echo requests, 2 replies, 1 other.  VID 200: 2 frames, 1 echo
 * request, 1 reply.  VID 300: 1 frame, 1 echo request.  13 frames in all.
 */
static int gen_qinq(const char *dir)
{
	struct out o;
	uint16_t s;

	if (out_open(&o, dir, "vlan-qinq.pcap", DLT_EN10MB) < 0)
		return -1;
	arp(&o, MAC_BCAST, &S100_C10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
	arp(&o, MAC_A, &S100_C10, 2, MAC_B, IP_B, MAC_A, IP_A);
	for (s = 1; s <= 2; s++) {
		icmp(&o, MAC_A, MAC_B, &S100_C10, IP_A, IP_B, 8, s);
		icmp(&o, MAC_B, MAC_A, &S100_C10, IP_B, IP_A, 0, s);
	}
	icmp(&o, MAC_A, MAC_B, &S200_C10, IP_A, IP_B, 8, 3);
	icmp(&o, MAC_B, MAC_A, &S200_C10, IP_B, IP_A, 0, 3);
	icmp(&o, MAC_A, MAC_B, &Q300_C10, IP_A, IP_B, 8, 4);
	icmp(&o, MAC_B, MAC_A, &V10, IP_B, IP_A, 0, 4);
	icmp(&o, MAC_A, MAC_B, &S100_C20_C10, IP_A, IP_B, 8, 5);
	udp(&o, MAC_A, MAC_B, &S100, IP_A, IP_B);
	icmp(&o, MAC_X1, MAC_X2, &S100_C30, IP_X1, IP_X2, 8, 1);
	return out_close(&o);
}

/* An echo request A -> B on l2, for cutting up. */
static void f_req(struct pcapgen_frame *f, const struct l2 *l2)
{
	f_icmp(f, MAC_A, MAC_B, l2, IP_A, IP_B, 8, 0, 99);
}

/*
 * vlan-garbage.pcap.  Frames of the pair that count:
 *   ARP reply B -> A, VID 10                           VID 10
 *   echo request A -> B, priority tag (PCP 7, VID 0)   VID 0
 *   echo reply B -> A, VID 4095                        VID 4095
 *   echo request A -> B with IP options, untagged      VID -1
 *   echo reply B -> A, untagged, caplen up to the ICMP code    VID -1
 *   echo request A -> B, VID 10, caplen up to the IP header: other
 *   the same with only the ICMP type captured:         other
 *   a later fragment of ICMP A -> B whose data looks like an echo request,
 *     VID 10:                                          other
 *   a first fragment (MF) of an echo request, VID 10:  echo request
 *   ICMP port unreachable B -> A, VID 10:              other
 *   an echo request with code 1, VID 10:               other
 *   ICMP A -> B, total length 24 (no room for the ICMP header): other
 *   B's gratuitous ARP reply, untagged                 VID -1
 *   ARP request A -> B, VID 10                         VID 10
 * and 32 that do not, malformed or not the pair's:
 *   that ARP request cut at 40 bytes (right after the whole one, so that
 *   an analyzer reading past caplen would find B's address there); the
 *   same with caplen 60 > len 40; ARP with hardware type 6, with protocol
 *   length 16, with protocol type 0x86dd, with hardware length 8, with
 *   opcode 8 (InARP); a 10-byte record; a tagged echo cut
 *   at 15, 17, 18 and 36 bytes (inside the TCI, inside the inner ethertype,
 *   before the IP header, inside it); 0x88a8 100 / 0x8100 10 cut inside the
 *   inner tag; three tags with the last cut; a bad IP checksum; IP version
 *   6 under ethertype 0x0800; IHL 4; total length 1000 in a 62-byte frame;
 *   total length 16; a record with caplen 78 > len 50; an 802.3 frame with
 *   LLC; a record with caplen 0; an echo request A -> C; IPv6 on VID 10; 8
 *   frames of pseudo-random bytes, every other one with ethertype 0x8100.
 * VID -1: 3 frames (1 echo request, 1 echo reply, 1 ARP reply).  VID 0: 1
 * echo request.  VID 10: 9 frames (1 ARP request, 1 ARP reply, 1 echo
 * request, 6 other).  VID 4095: 1 echo reply.  14 pair frames, 46 in all.
 */
static int gen_garbage(const char *dir)
{
	uint8_t m[ICMP_HDR + ECHO_DATA];
	uint32_t rnd = 12345;
	struct pcapgen_frame f;
	struct out o;
	size_t len;
	int i;

	if (out_open(&o, dir, "vlan-garbage.pcap", DLT_EN10MB) < 0)
		return -1;

	/* Counted. */
	arp(&o, MAC_A, &V10, 2, MAC_B, IP_B, MAC_A, IP_A);
	icmp(&o, MAC_A, MAC_B, &V0_P7, IP_A, IP_B, 8, 1);
	icmp(&o, MAC_B, MAC_A, &V4095, IP_B, IP_A, 0, 1);
	len = icmp_msg(m, 8, 0, 0x4242, 2);
	f_ip(&f, MAC_A, MAC_B, &UNTAGGED, IP_A, IP_B, 1, 0, 0x4000, 24, 0, m,
	     len);
	out_frame(&o, &f);
	f_icmp(&f, MAC_B, MAC_A, &UNTAGGED, IP_B, IP_A, 0, 0, 2);
	out_cut(&o, &f, 14 + IP_HDR + 2);
	f_req(&f, &V10);
	out_cut(&o, &f, 18 + IP_HDR);
	f_req(&f, &V10);
	out_cut(&o, &f, 18 + IP_HDR + 1);
	icmp_msg(m, 8, 0, 0x4242, 3);
	f_ip(&f, MAC_A, MAC_B, &V10, IP_A, IP_B, 1, o.ip_id, 185, IP_HDR, 0,
	     m, 48);
	out_frame(&o, &f);
	f_ip(&f, MAC_A, MAC_B, &V10, IP_A, IP_B, 1, o.ip_id++, 0x2000, IP_HDR,
	     0, m, 16);
	out_frame(&o, &f);
	icmp_msg(m, 3, 3, 0, 0);
	f_ip(&f, MAC_B, MAC_A, &V10, IP_B, IP_A, 1, o.ip_id++, 0, IP_HDR, 0,
	     m, 36);
	out_frame(&o, &f);
	f_icmp(&f, MAC_A, MAC_B, &V10, IP_A, IP_B, 8, 1, 4);
	out_frame(&o, &f);
	icmp_msg(m, 8, 0, 0x4242, 5);
	f_ip(&f, MAC_A, MAC_B, &V10, IP_A, IP_B, 1, 0, 0x4000, IP_HDR,
	     IP_HDR + 4, m, 4);
	out_frame(&o, &f);
	arp(&o, MAC_BCAST, &UNTAGGED, 2, MAC_B, IP_B, MAC_BCAST, IP_B);
	arp(&o, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);

	/* Not counted. */
	f_arp(&f, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
	out_cut(&o, &f, 40);
	f_arp(&f, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
	pcapgen_pad(&f);
	out_rec(&o, f.b, 40, 60);	/* caplen > len */
	f_arp(&f, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
	pcapgen_set16(f.b + 18, 6);
	out_frame(&o, &f);
	f_arp(&f, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
	f.b[18 + 5] = 16;
	out_frame(&o, &f);
	f_arp(&f, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
	pcapgen_set16(f.b + 18 + 2, 0x86dd);
	out_frame(&o, &f);
	f_arp(&f, MAC_BCAST, &V10, 1, MAC_A, IP_A, MAC_ZERO, IP_B);
	f.b[18 + 4] = 8;
	out_frame(&o, &f);
	arp(&o, MAC_BCAST, &V10, 8, MAC_A, IP_A, MAC_ZERO, IP_B);

	f_req(&f, &UNTAGGED);
	out_cut(&o, &f, 10);
	f_req(&f, &V10);
	out_cut(&o, &f, 15);
	f_req(&f, &V10);
	out_cut(&o, &f, 17);
	f_req(&f, &V10);
	out_cut(&o, &f, 18);
	f_req(&f, &V10);
	out_cut(&o, &f, 36);
	f_req(&f, &S100_C10);
	out_cut(&o, &f, 20);
	f_req(&f, &S100_C20_C10);
	out_cut(&o, &f, 24);

	f_req(&f, &V10);
	f.b[18 + 10] ^= 0x01;		/* checksum */
	out_frame(&o, &f);
	f_req(&f, &V10);
	f.b[18] = 0x65;
	pcapgen_ipv4_recsum(f.b + 18);
	out_frame(&o, &f);
	f_req(&f, &V10);
	f.b[18] = 0x44;
	pcapgen_ipv4_recsum(f.b + 18);	/* over the 16 bytes IHL 4 says */
	out_frame(&o, &f);
	f_ip(&f, MAC_A, MAC_B, &V10, IP_A, IP_B, 1, 0, 0x4000, IP_HDR, 1000,
	     m, 24);
	out_frame(&o, &f);
	f_ip(&f, MAC_A, MAC_B, &V10, IP_A, IP_B, 1, 0, 0x4000, IP_HDR, 16,
	     m, 24);
	out_frame(&o, &f);
	f_req(&f, &V10);
	out_rec(&o, f.b, 50, 78);	/* caplen > len */

	f_eth(&f, MAC_BCAST, MAC_A, &UNTAGGED, 38);
	pcapgen_append(&f, "\x42\x42\x03", 3);
	out_frame(&o, &f);
	f_req(&f, &V10);
	out_rec(&o, f.b, f.len, 0);
	icmp(&o, MAC_A, MAC_C, &V10, IP_A, IP_C, 8, 1);
	ipv6(&o, MAC_A, &V10);

	for (i = 0; i < 8; i++) {
		size_t k, n = 20 + (size_t)i * 8;

		for (k = 0; k < n; k++) {
			rnd = rnd * 1103515245u + 12345u;
			f.b[k] = (uint8_t)(rnd >> 16);
		}
		if (i % 2 == 0)
			pcapgen_set16(f.b + 12, TPID_Q);
		out_rec(&o, f.b, n, n);
	}
	return out_close(&o);
}

/* vlan-sll.pcap: link type LINUX_SLL (tcpdump -i any), which is refused. */
static int gen_sll(const char *dir)
{
	struct pcapgen_frame f, sll;
	struct out o;

	if (out_open(&o, dir, "vlan-sll.pcap", DLT_LINUX_SLL) < 0)
		return -1;
	f_req(&f, &UNTAGGED);
	/* packet type "outgoing", ARPHRD_ETHER, address length, address */
	sll.len = 0;
	pcapgen_append16(&sll, 4);
	pcapgen_append16(&sll, 1);
	pcapgen_append16(&sll, 6);
	pcapgen_append(&sll, MAC_A, 6);
	pcapgen_append16(&sll, 0);
	pcapgen_append16(&sll, 0x0800);
	pcapgen_append(&sll, f.b + 14, f.len - 14);
	out_rec(&o, sll.b, sll.len, sll.len);
	return out_close(&o);
}

int main(int argc, char **argv)
{
	int (*gens[])(const char *) = {
		gen_isolated, gen_same, gen_leak, gen_wrongvid, gen_qinq,
		gen_garbage, gen_sll,
	};
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: fixgen_vlan DIR\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) < 0) {
		struct stat st;

		if (stat(argv[1], &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "fixgen_vlan: cannot create '%s'\n",
				argv[1]);
			return 1;
		}
	}
	for (i = 0; i < sizeof(gens) / sizeof(gens[0]); i++)
		if (gens[i](argv[1]) < 0)
			return 1;
	return 0;
}
