/*
 * fixgen - write the pcap fixtures under fixtures/pcap/ that test_echo reads.
 *
 *   make build/tests/fixgen && build/tests/fixgen fixtures/pcap
 *
 * Output is deterministic (fixed time stamps, fixed pseudo-random seed), so
 * regenerating gives byte-identical files.  The host is 192.0.2.1 and the
 * guest 192.0.2.2 (TEST-NET-1); 192.0.2.3 is some other host.  Each fixture's
 * contents are listed above its writer, and tests/test_echo.c asserts the
 * counts that follow from them: change both together.
 */
#include <glib.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pcapgen.h"

#define MTU		1500
#define IP_HDR		20
#define ICMP_HDR	8

static const uint8_t IP_HOST[4] = { 192, 0, 2, 1 };
static const uint8_t IP_GUEST[4] = { 192, 0, 2, 2 };
static const uint8_t IP_OTHER[4] = { 192, 0, 2, 3 };
static const uint8_t MAC_HOST[6] = { 0xfe, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t MAC_GUEST[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t MAC_OTHER[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* VLAN tags, outermost first. */
struct l2 {
	const struct pcapgen_tag *tags;
	size_t ntags;
};

static const struct l2 UNTAGGED = { NULL, 0 };

/* IP ids: the host's and the guest's counters for fragmentable datagrams. */
static uint16_t host_id = 0x3000, guest_id = 0x7000;

/* The frame being built: one at a time. */
static struct pcapgen_frame frame;

static int out_open(struct pcapgen *o, const char *dir, const char *name,
		    int linktype, int snaplen)
{
	char *path = g_build_filename(dir, name, NULL);
	char err[PCAPGEN_ERRLEN];

	if (pcapgen_open(o, path, linktype, snaplen, err) < 0) {
		fprintf(stderr, "fixgen: %s\n", err);
		g_free(path);
		return -1;
	}
	o->t_us = 1700000000LL * G_USEC_PER_SEC;
	o->step_us = 50;
	g_free(path);
	return 0;
}

/* Ethernet header (with tags) for ethertype, then body; padded to 60. */
static const struct pcapgen_frame *eth_frame(const uint8_t *dmac,
					     const uint8_t *smac,
					     const struct l2 *l2,
					     uint16_t etype,
					     const uint8_t *body, size_t len)
{
	const struct pcapgen_eth eth = { dmac, smac, l2->tags, l2->ntags };

	pcapgen_eth(&frame, &eth, etype);
	pcapgen_append(&frame, body, len);
	pcapgen_pad(&frame);
	return &frame;
}

/* An IPv4 packet: header for n payload bytes, then the payload. */
static GByteArray *ip_packet(const uint8_t *src, const uint8_t *dst,
			     uint8_t proto, uint16_t id, bool df,
			     size_t off, bool more, const uint8_t *pl,
			     size_t n)
{
	const struct pcapgen_ip ip = {
		.src = src, .dst = dst, .proto = proto, .id = id,
		.frag_off = off, .df = df, .mf = more,
	};
	GByteArray *p = g_byte_array_sized_new((guint)(IP_HDR + n));

	g_byte_array_set_size(p, (guint)(IP_HDR + n));
	pcapgen_ipv4_header(p->data, &ip, n);
	memcpy(p->data + IP_HDR, pl, n);
	return p;
}

/*
 * Split an IP payload into IPv4 packets of at most MTU bytes.  An
 * unfragmented one gets DF and IP id 0, as Linux sends pings; fragmented
 * ones get id.
 */
static GPtrArray *ip_packets(const uint8_t *src, const uint8_t *dst,
			     uint8_t proto, uint16_t id, const uint8_t *pl,
			     size_t len)
{
	GPtrArray *pk = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_byte_array_unref);
	size_t off = 0;

	if (len + IP_HDR <= MTU) {
		g_ptr_array_add(pk, ip_packet(src, dst, proto, 0, true, 0,
					      false, pl, len));
		return pk;
	}
	while (off < len) {
		size_t n = pcapgen_frag_len(len, off, MTU);

		g_ptr_array_add(pk, ip_packet(src, dst, proto, id, false, off,
					      off + n < len, pl + off, n));
		off += n;
	}
	return pk;
}

/* An ICMP message; its data bytes count up from 0x10 + seq. */
static GByteArray *icmp_msg(uint8_t type, uint8_t code, uint16_t ident,
			    uint16_t seq, size_t len)
{
	GByteArray *m = g_byte_array_sized_new((guint)(ICMP_HDR + len));
	size_t i;

	g_byte_array_set_size(m, (guint)(ICMP_HDR + len));
	for (i = 0; i < len; i++)
		m->data[ICMP_HDR + i] = (uint8_t)(0x10 + i + seq);
	pcapgen_icmp(m->data, type, code, ident, seq, m->data + ICMP_HDR, len);
	return m;
}

static GByteArray *icmp_echo(uint8_t type, uint16_t ident, uint16_t seq,
			     size_t len)
{
	return icmp_msg(type, 0, ident, seq, len);
}

/* How to send one leg (request or reply) of a ping. */
struct leg {
	bool absent;
	int drop;		/* fragment index left out, -1 none */
	bool reverse;		/* fragments last first */
	size_t caplen0;		/* first fragment's caplen, 0: snaplen */
	int64_t gap_us;		/* delay before the last fragment */
};

struct ping {
	uint16_t ident, seq;
	size_t len, rep_len;
	const struct l2 *l2;
	struct leg req, rep;
	bool dup_reply;
	int rep_id;		/* reply IP id, -1: the guest's next */
	/* a reply that does not carry its request's payload: */
	int rep_flip;		/* payload byte inverted, -1: none */
	bool rep_stale_csum;	/* ... without recomputing the checksum */
	bool rep_bad_csum;	/* the checksum changed, the payload not */
};

static struct ping PING(uint16_t ident, uint16_t seq, size_t len)
{
	return (struct ping){
		.ident = ident, .seq = seq, .len = len, .rep_len = len,
		.l2 = &UNTAGGED, .req = { .drop = -1 }, .rep = { .drop = -1 },
		.rep_id = -1, .rep_flip = -1,
	};
}

static void send_packets(struct pcapgen *o, const uint8_t *dmac,
			 const uint8_t *smac, const struct l2 *l2,
			 GPtrArray *pk, const struct leg *leg)
{
	guint i, n = pk->len;

	for (i = 0; i < n; i++) {
		guint k = leg->reverse ? n - 1 - i : i;
		GByteArray *p = pk->pdata[k];
		const struct pcapgen_frame *f;

		if ((int)k == leg->drop)
			continue;
		if (n > 1 && i == n - 1)
			o->t_us += leg->gap_us;
		f = eth_frame(dmac, smac, l2, 0x0800, p->data, p->len);
		if (k == 0 && leg->caplen0)
			pcapgen_rec(o, f->b, f->len, leg->caplen0);
		else
			pcapgen_put(o, f);
	}
}

/* An ICMP message from one end to the other as one IP datagram. */
static void send_icmp(struct pcapgen *o, const uint8_t *smac,
		      const uint8_t *dmac, const uint8_t *src,
		      const uint8_t *dst, const struct l2 *l2, uint16_t id,
		      GByteArray *m, const struct leg *leg)
{
	GPtrArray *pk = ip_packets(src, dst, 1, id, m->data, m->len);

	send_packets(o, dmac, smac, l2, pk, leg);
	g_ptr_array_unref(pk);
}

static void ping(struct pcapgen *o, const struct ping *p)
{
	GByteArray *m;
	uint16_t id;

	o->t_us += 10000;
	if (!p->req.absent) {
		m = icmp_echo(8, p->ident, p->seq, p->len);
		send_icmp(o, MAC_HOST, MAC_GUEST, IP_HOST, IP_GUEST, p->l2,
			  host_id++, m, &p->req);
		g_byte_array_unref(m);
	}
	if (p->rep.absent)
		return;
	o->t_us += 200;
	id = p->rep_id >= 0 ? (uint16_t)p->rep_id : guest_id++;
	m = icmp_echo(0, p->ident, p->seq, p->rep_len);
	if (p->rep_flip >= 0) {
		m->data[ICMP_HDR + p->rep_flip] ^= 0xff;
		if (!p->rep_stale_csum) {
			pcapgen_set16(m->data + 2, 0);
			pcapgen_set16(m->data + 2,
				      pcapgen_csum(m->data, m->len));
		}
	}
	if (p->rep_bad_csum)
		m->data[3] ^= 0x01;
	send_icmp(o, MAC_GUEST, MAC_HOST, IP_GUEST, IP_HOST, p->l2, id, m,
		  &p->rep);
	if (p->dup_reply)
		send_icmp(o, MAC_GUEST, MAC_HOST, IP_GUEST, IP_HOST, p->l2,
			  id, m, &p->rep);
	g_byte_array_unref(m);
}

static void pings(struct pcapgen *o, uint16_t ident, uint16_t first,
		  uint16_t last, size_t len, const struct l2 *l2)
{
	uint16_t s;

	for (s = first; s <= last; s++) {
		struct ping p = PING(ident, s, len);

		p.l2 = l2;
		ping(o, &p);
	}
}

/* ARP request (who has guest) and reply; 2 frames. */
static void arp_pair(struct pcapgen *o, const struct l2 *l2)
{
	uint8_t a[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	const struct pcapgen_frame *f;

	memcpy(a + 8, MAC_HOST, 6);
	memcpy(a + 14, IP_HOST, 4);
	memcpy(a + 24, IP_GUEST, 4);
	f = eth_frame(MAC_BCAST, MAC_HOST, l2, 0x0806, a, sizeof(a));
	pcapgen_put(o, f);
	a[7] = 2;
	memcpy(a + 8, MAC_GUEST, 6);
	memcpy(a + 14, IP_GUEST, 4);
	memcpy(a + 18, MAC_HOST, 6);
	memcpy(a + 24, IP_HOST, 4);
	f = eth_frame(MAC_HOST, MAC_GUEST, l2, 0x0806, a, sizeof(a));
	pcapgen_put(o, f);
}

/*
 * echo-clean.pcap: 137 frames.
 *   ident 0x1001: seq 1-5, 56 bytes                      10 frames
 *   ident 0x1002: seq 1-3, 4096 bytes, 3 fragments each; 18 frames
 *                 seq 2's reply in reverse order, seq 3's reply with the
 *                 request's IP id
 *   ident 0x1003: seq 1, 65507 bytes, 45 fragments each  90 frames
 *   ident 0x1004: seq 1 0 bytes, seq 2 1472 (largest unfragmented),
 *                 seq 3 1473 (2 fragments)                8 frames
 *   other (11): ARP pair; 192.0.2.3 pinging the guest with ident 0x1001;
 *   the guest pinging the host (ident 0x2001); UDP host -> guest in 3
 *   fragments sharing an IP id with an ICMP datagram; an IPv6 frame; an
 *   ICMP port unreachable guest -> host.
 */
static int gen_clean(const char *dir)
{
	struct pcapgen o;
	struct ping p;
	uint8_t v6[40] = { 0x60, 0, 0, 0, 0, 0, 59, 64 };
	uint8_t udp[3008], unr[8 + 28];
	const struct pcapgen_frame *f;
	GByteArray *m;
	GPtrArray *pk;
	struct leg plain = { .drop = -1 };
	uint16_t shared_id;
	size_t i;

	if (out_open(&o, dir, "echo-clean.pcap", DLT_EN10MB, 65535) < 0)
		return -1;
	arp_pair(&o, &UNTAGGED);
	pings(&o, 0x1001, 1, 5, 56, &UNTAGGED);

	/* Someone else pings the guest with the same ident. */
	m = icmp_echo(8, 0x1001, 1, 56);
	send_icmp(&o, MAC_OTHER, MAC_GUEST, IP_OTHER, IP_GUEST, &UNTAGGED, 0,
		  m, &plain);
	g_byte_array_unref(m);
	m = icmp_echo(0, 0x1001, 1, 56);
	send_icmp(&o, MAC_GUEST, MAC_OTHER, IP_GUEST, IP_OTHER, &UNTAGGED, 0,
		  m, &plain);
	g_byte_array_unref(m);

	shared_id = host_id;
	p = PING(0x1002, 1, 4096);
	ping(&o, &p);
	p = PING(0x1002, 2, 4096);
	p.rep.reverse = true;
	ping(&o, &p);
	p = PING(0x1002, 3, 4096);
	p.rep_id = host_id;
	ping(&o, &p);

	/* UDP with the same IP id as ident 0x1002 seq 1's request. */
	for (i = 0; i < sizeof(udp); i++)
		udp[i] = (uint8_t)i;
	memset(udp, 0, 8);
	pcapgen_set16(udp, 40000);
	pcapgen_set16(udp + 2, 9);
	pcapgen_set16(udp + 4, sizeof(udp));
	pk = ip_packets(IP_HOST, IP_GUEST, 17, shared_id, udp, sizeof(udp));
	send_packets(&o, MAC_GUEST, MAC_HOST, &UNTAGGED, pk, &plain);
	g_ptr_array_unref(pk);

	p = PING(0x1003, 1, 65507);
	ping(&o, &p);

	/* The guest pings the host: not the direction we judge. */
	m = icmp_echo(8, 0x2001, 1, 56);
	send_icmp(&o, MAC_GUEST, MAC_HOST, IP_GUEST, IP_HOST, &UNTAGGED, 0,
		  m, &plain);
	g_byte_array_unref(m);
	m = icmp_echo(0, 0x2001, 1, 56);
	send_icmp(&o, MAC_HOST, MAC_GUEST, IP_HOST, IP_GUEST, &UNTAGGED, 0,
		  m, &plain);
	g_byte_array_unref(m);

	memcpy(v6 + 8, MAC_HOST, 6);	/* any address will do */
	f = eth_frame(MAC_GUEST, MAC_HOST, &UNTAGGED, 0x86dd, v6, sizeof(v6));
	pcapgen_put(&o, f);

	/* Port unreachable guest -> host quoting a UDP header. */
	memset(unr, 0, sizeof(unr));
	unr[0] = 3;
	unr[1] = 3;
	{
		const struct pcapgen_ip quoted = {
			.src = IP_HOST, .dst = IP_GUEST, .proto = 17,
			.id = 0x1234,
		};

		pcapgen_ipv4_header(unr + 8, &quoted, 8);
	}
	pcapgen_set16(unr + 2, pcapgen_csum(unr, sizeof(unr)));
	pk = ip_packets(IP_GUEST, IP_HOST, 1, 0, unr, sizeof(unr));
	send_packets(&o, MAC_HOST, MAC_GUEST, &UNTAGGED, pk, &plain);
	g_ptr_array_unref(pk);

	p = PING(0x1004, 1, 0);
	ping(&o, &p);
	p = PING(0x1004, 2, 1472);
	ping(&o, &p);
	p = PING(0x1004, 3, 1473);
	ping(&o, &p);
	return pcapgen_close(&o);
}

/*
 * echo-loss.pcap: 35 frames.
 *   ident 0x1101: seq 1-10, 56 bytes; no reply to 3 and 7, seq 5's reply
 *                 twice                                  19 frames
 *   ident 0x1102: seq 1-2, 4096 bytes; no reply to 2      9 frames
 *   ident 0x1103: seq 1 100 bytes answered with 64; seq 2 100 bytes; an
 *                 unsolicited reply seq 99 100 bytes       5 frames
 *   other (2): ARP pair.
 */
static int gen_loss(const char *dir)
{
	struct pcapgen o;
	struct ping p;
	uint16_t s;

	if (out_open(&o, dir, "echo-loss.pcap", DLT_EN10MB, 65535) < 0)
		return -1;
	arp_pair(&o, &UNTAGGED);
	for (s = 1; s <= 10; s++) {
		p = PING(0x1101, s, 56);
		p.rep.absent = s == 3 || s == 7;
		p.dup_reply = s == 5;
		ping(&o, &p);
	}
	pings(&o, 0x1102, 1, 1, 4096, &UNTAGGED);
	p = PING(0x1102, 2, 4096);
	p.rep.absent = true;
	ping(&o, &p);
	p = PING(0x1103, 1, 100);
	p.rep_len = 64;
	ping(&o, &p);
	pings(&o, 0x1103, 2, 2, 100, &UNTAGGED);
	p = PING(0x1103, 99, 100);
	p.req.absent = true;
	ping(&o, &p);
	return pcapgen_close(&o);
}

/*
 * echo-lostfrag.pcap: 40 frames.
 *   ident 0x1201: seq 1-3, 4096 bytes; seq 2's reply without its middle
 *                 fragment                               17 frames
 *   ident 0x1202: seq 1-2, 4096 bytes; seq 1's request without its last
 *                 fragment and so unanswered              8 frames
 *   ident 0x1203: seq 1, 4096 bytes; the reply without its first fragment
 *                 (2 orphan frames)                       5 frames
 *   ident 0x1204: seq 1, 8000 bytes (6 fragments); fragment 3 missing,
 *                 unanswered                              5 frames
 *   ident 0x1205: seq 1, 4096 bytes; the last fragment 31 s late, past
 *                 the reassembly timeout (1 orphan frame), unanswered
 *                                                         3 frames
 *   other (2): ARP pair.
 */
static int gen_lostfrag(const char *dir)
{
	struct pcapgen o;
	struct ping p;

	if (out_open(&o, dir, "echo-lostfrag.pcap", DLT_EN10MB, 65535) < 0)
		return -1;
	arp_pair(&o, &UNTAGGED);
	pings(&o, 0x1201, 1, 1, 4096, &UNTAGGED);
	p = PING(0x1201, 2, 4096);
	p.rep.drop = 1;
	ping(&o, &p);
	pings(&o, 0x1201, 3, 3, 4096, &UNTAGGED);

	p = PING(0x1202, 1, 4096);
	p.req.drop = 2;
	p.rep.absent = true;
	ping(&o, &p);
	pings(&o, 0x1202, 2, 2, 4096, &UNTAGGED);

	p = PING(0x1203, 1, 4096);
	p.rep.drop = 0;
	ping(&o, &p);

	p = PING(0x1204, 1, 8000);
	p.req.drop = 3;
	p.rep.absent = true;
	ping(&o, &p);

	p = PING(0x1205, 1, 4096);
	p.req.gap_us = 31 * G_USEC_PER_SEC;
	p.rep.absent = true;
	ping(&o, &p);
	return pcapgen_close(&o);
}

/*
 * echo-vlan.pcap: 20 frames.
 *   ident 0x1301: seq 1-3 56 bytes and seq 4 4096 bytes, 802.1Q VID 100
 *                                                        12 frames
 *   ident 0x1302: seq 1-2, 56 bytes, 802.1ad VID 200 over 802.1Q VID 100
 *                                                         4 frames
 *   ident 0x1303: seq 1, 56 bytes, 0x9100 over 802.1Q     2 frames
 *   other (2): an untagged ARP request, a tagged ARP reply.
 */
static int gen_vlan(const char *dir)
{
	static const struct pcapgen_tag q[] = { { 0x8100, 100 } };
	static const struct pcapgen_tag qinq[] = {
		{ 0x88a8, 200 }, { 0x8100, 100 }
	};
	static const struct pcapgen_tag old[] = {
		{ 0x9100, 300 }, { 0x8100, 100 }
	};
	const struct l2 l2q = { q, 1 }, l2qinq = { qinq, 2 };
	const struct l2 l2old = { old, 2 };
	uint8_t a[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	struct pcapgen o;
	const struct pcapgen_frame *f;

	if (out_open(&o, dir, "echo-vlan.pcap", DLT_EN10MB, 65535) < 0)
		return -1;
	memcpy(a + 8, MAC_HOST, 6);
	memcpy(a + 14, IP_HOST, 4);
	memcpy(a + 24, IP_GUEST, 4);
	f = eth_frame(MAC_BCAST, MAC_HOST, &UNTAGGED, 0x0806, a, sizeof(a));
	pcapgen_put(&o, f);
	a[7] = 2;
	memcpy(a + 8, MAC_GUEST, 6);
	memcpy(a + 14, IP_GUEST, 4);
	memcpy(a + 18, MAC_HOST, 6);
	memcpy(a + 24, IP_HOST, 4);
	f = eth_frame(MAC_HOST, MAC_GUEST, &l2q, 0x0806, a, sizeof(a));
	pcapgen_put(&o, f);

	pings(&o, 0x1301, 1, 3, 56, &l2q);
	pings(&o, 0x1301, 4, 4, 4096, &l2q);
	pings(&o, 0x1302, 1, 2, 56, &l2qinq);
	pings(&o, 0x1303, 1, 1, 56, &l2old);
	return pcapgen_close(&o);
}

/*
 * echo-truncated.pcap, snaplen 96: 107 frames.
 *   ident 0x1401: seq 1-3, 56 bytes (98-byte frames)      6 frames
 *   ident 0x1402: seq 1, 65507 bytes                     90 frames
 *   ident 0x1403: seq 1, 1000 bytes; the reply captured to 40 bytes, 2
 *                 short of its ICMP header (1 orphan)     2 frames
 *   ident 0x1404: seq 1, 4096 bytes; the request's first fragment
 *                 captured to 42 bytes, exactly its ICMP header  6 frames
 *   ident 0x1405: seq 1, 56 bytes; the reply captured to 30 bytes, short
 *                 of its IP header (other)                2 frames
 *   other: that reply, and an 802.1Q frame captured to 16 bytes, its tag
 *   cut.
 */
static int gen_truncated(const char *dir)
{
	static const struct pcapgen_tag q[] = { { 0x8100, 100 } };
	const struct l2 l2q = { q, 1 };
	struct pcapgen o;
	struct ping p;
	const struct pcapgen_frame *f;
	GByteArray *m;
	GPtrArray *pk;

	if (out_open(&o, dir, "echo-truncated.pcap", DLT_EN10MB, 96) < 0)
		return -1;
	pings(&o, 0x1401, 1, 3, 56, &UNTAGGED);
	pings(&o, 0x1402, 1, 1, 65507, &UNTAGGED);
	p = PING(0x1403, 1, 1000);
	p.rep.caplen0 = 14 + IP_HDR + 6;
	ping(&o, &p);
	p = PING(0x1404, 1, 4096);
	p.req.caplen0 = 14 + IP_HDR + ICMP_HDR;
	ping(&o, &p);
	p = PING(0x1405, 1, 56);
	p.rep.caplen0 = 30;
	ping(&o, &p);

	m = icmp_echo(8, 0x1406, 1, 56);
	pk = ip_packets(IP_HOST, IP_GUEST, 1, 0, m->data, m->len);
	f = eth_frame(MAC_GUEST, MAC_HOST, &l2q, 0x0800,
		      ((GByteArray *)pk->pdata[0])->data,
		      ((GByteArray *)pk->pdata[0])->len);
	pcapgen_rec(&o, f->b, f->len, 16);
	g_ptr_array_unref(pk);
	g_byte_array_unref(m);
	return pcapgen_close(&o);
}

/* Ethernet frame around an IP packet given as bytes; written whole. */
static void raw_ip(struct pcapgen *o, const uint8_t *ip, size_t len)
{
	pcapgen_put(o, eth_frame(MAC_GUEST, MAC_HOST, &UNTAGGED, 0x0800, ip,
				 len));
}

/* A valid unfragmented echo request host -> guest as IP bytes. */
static GByteArray *echo_ip(uint8_t type, uint8_t code, uint16_t ident,
			   uint16_t seq, size_t len)
{
	GByteArray *m = icmp_msg(type, code, ident, seq, len), *p;
	GPtrArray *pk;

	pk = ip_packets(IP_HOST, IP_GUEST, 1, 0, m->data, m->len);
	p = g_byte_array_ref(pk->pdata[0]);
	g_ptr_array_unref(pk);
	g_byte_array_unref(m);
	return p;
}

/*
 * echo-garbage.pcap: 56 frames.
 *   ident 0x1501: seq 1-5, 56 bytes, between the garbage  10 frames
 *   ident 0x1502: seq 1, 56 bytes, the request under six 802.1Q tags
 *                                                         2 frames
 *   ident 0x1503: seq 1, 4096 bytes, the request's first fragment sent
 *                 twice: an incomplete request then a complete one
 *                                                         7 frames
 *   orphan: a lone middle fragment host -> guest          1 frame
 *   other (36): 14 malformed frames (see below), 20 pseudo-random ones,
 *   an 802.3 LLC frame, a record with caplen > len.
 */
static int gen_garbage(const char *dir)
{
	static const struct pcapgen_tag six[] = {
		{ 0x8100, 1 }, { 0x8100, 2 }, { 0x8100, 3 },
		{ 0x8100, 4 }, { 0x8100, 5 }, { 0x8100, 6 },
	};
	const struct l2 l2six = { six, 6 };
	uint8_t buf[1600];
	struct pcapgen o;
	struct ping p;
	const struct pcapgen_frame *f;
	GByteArray *ip;
	uint32_t rnd = 12345;
	int i;

	if (out_open(&o, dir, "echo-garbage.pcap", DLT_EN10MB, 65535) < 0)
		return -1;
	pings(&o, 0x1501, 1, 1, 56, &UNTAGGED);

	/* 1: empty record; 2: 10 bytes; 3: 10 bytes of IPv4 */
	pcapgen_rec(&o, buf, 0, 0);
	memset(buf, 0xab, sizeof(buf));
	pcapgen_rec(&o, buf, 10, 10);
	ip = echo_ip(8, 0, 0x1501, 100, 56);
	f = eth_frame(MAC_GUEST, MAC_HOST, &UNTAGGED, 0x0800, ip->data, 10);
	pcapgen_rec(&o, f->b, 24, 24);

	/* 4: version 6 in an IPv4 header */
	ip->data[0] = 0x65;
	pcapgen_ipv4_recsum(ip->data);
	raw_ip(&o, ip->data, ip->len);
	/* 5: IHL 3 */
	ip->data[0] = 0x43;
	raw_ip(&o, ip->data, ip->len);
	/* 6: IHL 15, the frame shorter than 60 bytes of header */
	ip->data[0] = 0x4f;
	f = eth_frame(MAC_GUEST, MAC_HOST, &UNTAGGED, 0x0800, ip->data, 40);
	pcapgen_rec(&o, f->b, 14 + 40, 14 + 40);
	/* 7: total length 10, under the header's 20 */
	ip->data[0] = 0x45;
	pcapgen_set16(ip->data + 2, 10);
	pcapgen_ipv4_recsum(ip->data);
	raw_ip(&o, ip->data, ip->len);
	/* 8: total length 1500 in a 98-byte frame */
	pcapgen_set16(ip->data + 2, 1500);
	pcapgen_ipv4_recsum(ip->data);
	raw_ip(&o, ip->data, ip->len);
	g_byte_array_unref(ip);

	pings(&o, 0x1501, 2, 2, 56, &UNTAGGED);

	/* 9: a good request with a bad header checksum */
	ip = echo_ip(8, 0, 0x1501, 6, 56);
	ip->data[10] ^= 0x55;
	raw_ip(&o, ip->data, ip->len);
	g_byte_array_unref(ip);
	/* 10: ICMP of 4 bytes */
	ip = echo_ip(8, 0, 0x1501, 101, 56);
	pcapgen_set16(ip->data + 2, IP_HDR + 4);
	pcapgen_ipv4_recsum(ip->data);
	raw_ip(&o, ip->data, IP_HDR + 4);
	g_byte_array_unref(ip);
	/* 11: a fragment ending past 65535 (ping of death) */
	ip = echo_ip(8, 0, 0x1501, 102, 92);
	pcapgen_set16(ip->data + 4, 0x6666);
	pcapgen_set16(ip->data + 6, 8184);
	pcapgen_ipv4_recsum(ip->data);
	raw_ip(&o, ip->data, ip->len);
	g_byte_array_unref(ip);
	/* 12: an 802.1Q tag cut off */
	memcpy(buf, MAC_GUEST, 6);
	memcpy(buf + 6, MAC_HOST, 6);
	pcapgen_set16(buf + 12, 0x8100);
	pcapgen_rec(&o, buf, 16, 16);
	/* 13: echo request with code 5 */
	ip = echo_ip(8, 5, 0x1501, 7, 56);
	raw_ip(&o, ip->data, ip->len);
	g_byte_array_unref(ip);
	/* 14: MF fragment of 100 bytes, not a multiple of 8 */
	ip = echo_ip(8, 0, 0x1501, 103, 92);
	pcapgen_set16(ip->data + 4, 0x6667);
	pcapgen_set16(ip->data + 6, 0x2000);
	pcapgen_ipv4_recsum(ip->data);
	raw_ip(&o, ip->data, ip->len);
	g_byte_array_unref(ip);

	pings(&o, 0x1501, 3, 3, 56, &UNTAGGED);

	/* 20 pseudo-random frames; even ones look like IPv4 from elsewhere. */
	for (i = 0; i < 20; i++) {
		size_t len, k;

		rnd = rnd * 1103515245u + 12345u;
		len = (rnd >> 16) % 128;
		for (k = 0; k < len; k++) {
			rnd = rnd * 1103515245u + 12345u;
			buf[k] = (uint8_t)(rnd >> 16);
		}
		if (i % 2 == 0 && len >= 34) {
			pcapgen_set16(buf + 12, 0x0800);
			buf[14] = 0x45;
			buf[23] = 1;
			buf[26] = 198;
			buf[27] = 51;
			buf[28] = 100;
		}
		pcapgen_rec(&o, buf, len, len);
	}
	/* 802.3 length field with LLC */
	memset(buf, 0, 60);
	memcpy(buf, MAC_BCAST, 6);
	memcpy(buf + 6, MAC_HOST, 6);
	pcapgen_set16(buf + 12, 38);
	buf[14] = 0x42;
	buf[15] = 0x42;
	buf[16] = 0x03;
	pcapgen_rec(&o, buf, 60, 60);
	/* caplen 98 > len 50: a corrupt record of a good request */
	ip = echo_ip(8, 0, 0x1504, 1, 56);
	f = eth_frame(MAC_GUEST, MAC_HOST, &UNTAGGED, 0x0800, ip->data,
		      ip->len);
	pcapgen_rec(&o, f->b, 50, f->len);
	g_byte_array_unref(ip);

	pings(&o, 0x1501, 4, 5, 56, &UNTAGGED);

	p = PING(0x1502, 1, 56);
	p.l2 = &l2six;
	ping(&o, &p);

	/* A lone middle fragment: its datagram's ident is unknown. */
	memset(buf, 0x5a, sizeof(buf));
	{
		const struct pcapgen_ip mid = {
			.src = IP_HOST, .dst = IP_GUEST, .proto = 1,
			.id = 0x7777, .frag_off = 185 * 8, .mf = true,
		};

		pcapgen_ipv4_header(buf, &mid, 1480);
	}
	raw_ip(&o, buf, IP_HDR + 1480);

	/* The first fragment twice. */
	{
		GByteArray *m = icmp_echo(8, 0x1503, 1, 4096);
		GPtrArray *pk = ip_packets(IP_HOST, IP_GUEST, 1, host_id++,
					   m->data, m->len);
		struct leg plain = { .drop = -1 };

		raw_ip(&o, ((GByteArray *)pk->pdata[0])->data,
		       ((GByteArray *)pk->pdata[0])->len);
		send_packets(&o, MAC_GUEST, MAC_HOST, &UNTAGGED, pk, &plain);
		g_ptr_array_unref(pk);
		g_byte_array_unref(m);
		p = PING(0x1503, 1, 4096);
		p.req.absent = true;
		ping(&o, &p);
	}
	return pcapgen_close(&o);
}

/*
 * echo-corrupt.pcap, snaplen 128: replies that do not carry their
 * request's payload, and requests left unanswered.  47 frames.
 *   ident 0x1701: seq 1-4, 56 bytes; seq 2's reply with payload byte 20
 *                 inverted and its checksum recomputed (a guest that
 *                 corrupted the data before checksumming it), seq 3's
 *                 with byte 30 inverted under the old checksum (corrupted
 *                 on the way)                             8 frames
 *   ident 0x1702: seq 1-2, 4096 bytes (3 fragments each); seq 1's reply
 *                 with byte 2500 inverted and its checksum recomputed:
 *                 beyond the snaplen (each fragment keeps 94 bytes of
 *                 IP payload), only the checksum shows it
 *                                                        12 frames
 *   ident 0x1703: seq 1, 56 bytes; the reply's checksum changed, its
 *                 payload not                             2 frames
 *   ident 0x1704: seq 1-6, 56 bytes; no reply to 2 (lost: 3 is answered
 *                 after it), to 5 and to 6 (the tail)    9 frames
 *   ident 0x1705: seq 1-4, 56 bytes; seq 2 and 3 answered, 1 and 4 not:
 *                 one lost, one in the tail; seq 3's reply is also
 *                 corrupted (byte 40, checksum recomputed): a bad reply
 *                 still answers its request              6 frames
 *   ident 0x1706: seq 1-3, 100 bytes; nothing answered: all three are
 *                 the tail                                3 frames
 *   ident 0x1707: seq 1, 1000 bytes; the reply's byte 999 (the last)
 *                 inverted, checksum recomputed: beyond the snaplen
 *                                                         2 frames
 *   ident 0x1708: seq 1, 0 bytes, answered                2 frames
 *   and a reply to 0x1701 seq 9 with no request (unmatched, in the flow).
 *   other (2): ARP pair.
 */
static int gen_corrupt(const char *dir)
{
	struct pcapgen o;
	struct ping p;
	uint16_t s;

	if (out_open(&o, dir, "echo-corrupt.pcap", DLT_EN10MB, 128) < 0)
		return -1;
	arp_pair(&o, &UNTAGGED);
	for (s = 1; s <= 4; s++) {
		p = PING(0x1701, s, 56);
		if (s == 2)
			p.rep_flip = 20;
		if (s == 3) {
			p.rep_flip = 30;
			p.rep_stale_csum = true;
		}
		ping(&o, &p);
	}
	p = PING(0x1702, 1, 4096);
	p.rep_flip = 2500;
	ping(&o, &p);
	pings(&o, 0x1702, 2, 2, 4096, &UNTAGGED);
	p = PING(0x1703, 1, 56);
	p.rep_bad_csum = true;
	ping(&o, &p);
	for (s = 1; s <= 6; s++) {
		p = PING(0x1704, s, 56);
		p.rep.absent = s == 2 || s == 5 || s == 6;
		ping(&o, &p);
	}
	for (s = 1; s <= 4; s++) {
		p = PING(0x1705, s, 56);
		p.rep.absent = s == 1 || s == 4;
		if (s == 3)
			p.rep_flip = 40;
		ping(&o, &p);
	}
	for (s = 1; s <= 3; s++) {
		p = PING(0x1706, s, 100);
		p.rep.absent = true;
		ping(&o, &p);
	}
	p = PING(0x1707, 1, 1000);
	p.rep_flip = 999;
	ping(&o, &p);
	pings(&o, 0x1708, 1, 1, 0, &UNTAGGED);
	p = PING(0x1701, 9, 56);
	p.req.absent = true;
	ping(&o, &p);
	return pcapgen_close(&o);
}

/* echo-rawip.pcap: link type RAW (no Ethernet), which echo rejects. */
static int gen_rawip(const char *dir)
{
	struct pcapgen o;
	GByteArray *ip;

	if (out_open(&o, dir, "echo-rawip.pcap", DLT_RAW, 65535) < 0)
		return -1;
	ip = echo_ip(8, 0, 0x1601, 1, 56);
	pcapgen_rec(&o, ip->data, ip->len, ip->len);
	g_byte_array_unref(ip);
	return pcapgen_close(&o);
}

int main(int argc, char **argv)
{
	int (*gens[])(const char *) = {
		gen_clean, gen_loss, gen_lostfrag, gen_vlan, gen_truncated,
		gen_garbage, gen_rawip, gen_corrupt,
	};
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: fixgen DIR\n");
		return 2;
	}
	if (g_mkdir_with_parents(argv[1], 0755) < 0) {
		fprintf(stderr, "fixgen: cannot create '%s'\n", argv[1]);
		return 1;
	}
	for (i = 0; i < G_N_ELEMENTS(gens); i++)
		if (gens[i](argv[1]) < 0)
			return 1;
	return 0;
}
