/*
 * test_frame.c - frame_parse(), the header parser the offline analyzers
 * share, on frames built with tests/pcapgen.  Each frame is handed over in
 * a heap buffer of exactly its captured length, so a read past caplen is
 * an error under the sanitizer build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "util.h"
#include "pcapgen.h"

static const uint8_t SRC[4] = { 192, 0, 2, 10 };
static const uint8_t DST[4] = { 192, 0, 2, 20 };
static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x14 };

static struct pcapgen_frame fr;

/* Parse the first cap bytes of fr, wire length wire, from an exact copy. */
static enum frame_status parse(size_t cap, size_t wire, struct frame_info *fi)
{
	uint8_t *copy = malloc(cap ? cap : 1);
	enum frame_status st;

	assert_non_null(copy);
	memcpy(copy, fr.b, cap);
	st = frame_parse(copy, cap, wire, fi);
	free(copy);
	return st;
}

static enum frame_status parse_whole(struct frame_info *fi)
{
	return parse(fr.len, fr.len, fi);
}

/* Build fr: Ethernet with ntags tags, IPv4 per ip, a UDP datagram. */
static void build(const struct pcapgen_tag *tags, size_t ntags,
		  const struct pcapgen_ip *ip, size_t data)
{
	const struct pcapgen_eth eth = { MAC_B, MAC_A, tags, ntags };
	uint8_t u[1500];
	size_t len = pcapgen_udp(u, 40000, 9, NULL, data);

	pcapgen_eth(&fr, &eth, FRAME_ETHERTYPE_IPV4);
	pcapgen_ipv4(&fr, ip, u, len);
}

static struct pcapgen_ip IP(void)
{
	return (struct pcapgen_ip){
		.src = SRC, .dst = DST, .proto = 17, .id = 0x1234, .df = true,
	};
}

static void expect(enum frame_status got, enum frame_status want,
		   const struct frame_info *fi, const char *problem)
{
	if (got != want)
		fail_msg("status %d, want %d (problem: %s)", got, want,
			 fi->problem ? fi->problem : "none");
	if (want == FRAME_OK)
		assert_null(fi->problem);
	else if (!fi->problem || strcmp(fi->problem, problem) != 0)
		fail_msg("problem '%s', want '%s'",
			 fi->problem ? fi->problem : "(null)", problem);
}

static void test_untagged(void **state)
{
	struct pcapgen_ip ip = IP();
	struct frame_info fi;
	uint32_t s, d;

	(void)state;
	build(NULL, 0, &ip, 100);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	memcpy(&s, SRC, 4);
	memcpy(&d, DST, 4);
	assert_int_equal(fi.n_tags, 0);
	assert_int_equal(fi.ethertype, 0x0800);
	assert_int_equal(fi.l3_off, 14);
	assert_true(fi.ipv4);
	assert_int_equal(fi.ip.src, s);
	assert_int_equal(fi.ip.dst, d);
	assert_int_equal(fi.ip.proto, 17);
	assert_int_equal(fi.ip.hdr_len, 20);
	assert_int_equal(fi.ip.tot_len, 20 + 8 + 100);
	assert_int_equal(fi.ip.id, 0x1234);
	assert_int_equal(fi.ip.frag_off, 0);
	assert_true(fi.ip.df);
	assert_false(fi.ip.mf);
	assert_true(fi.ip.csum_ok);
	assert_int_equal(fi.l4_off, 34);

	/* Cut by the snaplen right after the IP header: headers are whole. */
	expect(parse(fi.l4_off, fr.len, &fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fi.ip.tot_len, 128);
}

static void test_fragment_fields(void **state)
{
	struct pcapgen_ip ip = IP();
	struct frame_info fi;

	(void)state;
	ip.df = false;
	ip.mf = true;
	ip.frag_off = 1480;
	ip.proto = 1;
	build(NULL, 0, &ip, 16);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fi.ip.frag_off, 1480);
	assert_true(fi.ip.mf);
	assert_false(fi.ip.df);
	assert_int_equal(fi.ip.proto, 1);
	/* the largest offset the 13 bits hold */
	ip.frag_off = 0x1fff * 8;
	ip.mf = false;
	build(NULL, 0, &ip, 16);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fi.ip.frag_off, 65528);
	assert_false(fi.ip.mf);
}

static void test_options(void **state)
{
	struct pcapgen_ip ip = IP();
	struct frame_info fi;

	(void)state;
	ip.ihl = 24;
	build(NULL, 0, &ip, 8);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fi.ip.hdr_len, 24);
	assert_int_equal(fi.l4_off, 14 + 24);
	/* options cut: the fixed header is read, the checksum is not */
	expect(parse(14 + 22, fr.len, &fi), FRAME_TRUNCATED, &fi,
	       "IPv4 options cut");
	assert_true(fi.ipv4);
	assert_int_equal(fi.ip.hdr_len, 24);
	assert_int_equal(fi.ip.tot_len, 24 + 16);
	assert_false(fi.ip.csum_ok);
}

static void test_tags(void **state)
{
	static const struct pcapgen_tag one[] = { { 0x8100, 0xa00a } };
	static const struct pcapgen_tag two[] = {
		{ 0x88a8, 100 }, { 0x8100, 10 }
	};
	static const struct pcapgen_tag three[] = {
		{ 0x9100, 200 }, { 0x8100, 20 }, { 0x8100, 10 }
	};
	struct pcapgen_ip ip = IP();
	struct frame_info fi;

	(void)state;
	build(one, 1, &ip, 10);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fi.n_tags, 1);
	assert_int_equal(fi.tag[0].tpid, 0x8100);
	assert_int_equal(fi.tag[0].tci, 0xa00a);	/* PCP 5, VID 10 */
	assert_int_equal(fi.l3_off, 18);
	assert_int_equal(fi.l4_off, 38);

	build(two, 2, &ip, 10);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fi.n_tags, 2);
	assert_int_equal(fi.tag[0].tpid, 0x88a8);
	assert_int_equal(fi.tag[0].tci, 100);
	assert_int_equal(fi.tag[1].tpid, 0x8100);
	assert_int_equal(fi.tag[1].tci, 10);
	assert_int_equal(fi.l3_off, 22);
	assert_true(fi.ipv4);
	assert_int_equal(fi.ip.proto, 17);

	/* more tags than are kept: all skipped and counted, outer two kept */
	build(three, 3, &ip, 10);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fi.n_tags, 3);
	assert_int_equal(fi.tag[0].tpid, 0x9100);
	assert_int_equal(fi.tag[0].tci, 200);
	assert_int_equal(fi.tag[1].tci, 20);
	assert_int_equal(fi.l3_off, 26);
	assert_true(fi.ipv4);

	/* double tag with the inner one cut */
	build(two, 2, &ip, 10);
	expect(parse(20, fr.len, &fi), FRAME_TRUNCATED, &fi, "VLAN tag cut");
	assert_int_equal(fi.n_tags, 1);
	assert_false(fi.ipv4);
	/* cut inside the only tag's TCI */
	build(one, 1, &ip, 10);
	expect(parse(15, fr.len, &fi), FRAME_TRUNCATED, &fi, "VLAN tag cut");
	assert_int_equal(fi.n_tags, 0);
	/* tags whole, the inner ethertype cut */
	expect(parse(17, fr.len, &fi), FRAME_TRUNCATED, &fi, "VLAN tag cut");
}

static void test_not_ipv4(void **state)
{
	static const struct pcapgen_tag one[] = { { 0x8100, 30 } };
	const struct pcapgen_eth eth = { MAC_B, MAC_A, one, 1 };
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	struct frame_info fi;

	(void)state;
	pcapgen_eth(&fr, &eth, FRAME_ETHERTYPE_ARP);
	pcapgen_append(&fr, arp, sizeof(arp));
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fi.ethertype, 0x0806);
	assert_int_equal(fi.l3_off, 18);
	assert_false(fi.ipv4);
	/* not IPv4: nothing past the ethertype is needed */
	expect(parse(18, fr.len, &fi), FRAME_OK, &fi, NULL);
	assert_false(fi.ipv4);
}

static void test_short(void **state)
{
	struct pcapgen_ip ip = IP();
	struct frame_info fi;

	(void)state;
	build(NULL, 0, &ip, 10);
	expect(parse(0, 0, &fi), FRAME_TRUNCATED, &fi, "Ethernet header cut");
	expect(parse(13, fr.len, &fi), FRAME_TRUNCATED, &fi,
	       "Ethernet header cut");
	assert_int_equal(fi.ethertype, 0);
	expect(parse(14, fr.len, &fi), FRAME_TRUNCATED, &fi,
	       "IPv4 header cut");
	expect(parse(14 + 19, fr.len, &fi), FRAME_TRUNCATED, &fi,
	       "IPv4 header cut");
	assert_false(fi.ipv4);
	assert_int_equal(fi.ethertype, 0x0800);
	/* a record claiming more captured bytes than were on the wire */
	expect(parse(fr.len, fr.len - 1, &fi), FRAME_MALFORMED, &fi,
	       "caplen exceeds the wire length");
	assert_false(fi.ipv4);
}

static void test_malformed_ip(void **state)
{
	struct pcapgen_ip ip = IP();
	struct frame_info fi;
	uint8_t *h = fr.b + 14;

	(void)state;
	/* IHL 4 and 0, checksum right over what IHL says */
	build(NULL, 0, &ip, 10);
	h[0] = 0x44;
	pcapgen_ipv4_recsum(h);
	expect(parse_whole(&fi), FRAME_MALFORMED, &fi,
	       "IPv4 header length under 20");
	assert_false(fi.ipv4);
	h[0] = 0x40;
	expect(parse_whole(&fi), FRAME_MALFORMED, &fi,
	       "IPv4 header length under 20");

	/* version 6 under ethertype 0x0800 */
	build(NULL, 0, &ip, 10);
	h[0] = 0x65;
	pcapgen_ipv4_recsum(h);
	expect(parse_whole(&fi), FRAME_MALFORMED, &fi, "IP version is not 4");
	assert_false(fi.ipv4);

	/* total length under the header */
	ip.tot = 16;
	build(NULL, 0, &ip, 10);
	expect(parse_whole(&fi), FRAME_MALFORMED, &fi,
	       "IPv4 total length under its header length");
	assert_false(fi.ipv4);

	/* bad checksum: fields read, csum_ok false */
	ip = IP();
	build(NULL, 0, &ip, 10);
	h[10] ^= 0x01;
	expect(parse_whole(&fi), FRAME_MALFORMED, &fi,
	       "bad IPv4 header checksum");
	assert_true(fi.ipv4);
	assert_false(fi.ip.csum_ok);
	assert_int_equal(fi.ip.id, 0x1234);

	/* total length beyond the frame, and exactly the frame */
	ip.tot = 20 + 8 + 10 + 1;
	build(NULL, 0, &ip, 10);
	expect(parse_whole(&fi), FRAME_MALFORMED, &fi,
	       "IPv4 total length beyond the frame");
	assert_true(fi.ip.csum_ok);
	assert_int_equal(fi.ip.tot_len, 39);
	ip.tot = 20 + 8 + 10;
	build(NULL, 0, &ip, 10);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	/* judged against the wire length, not caplen: a cut frame is fine */
	expect(parse(34, fr.len, &fi), FRAME_OK, &fi, NULL);
	expect(parse(34, fr.len - 1, &fi), FRAME_MALFORMED, &fi,
	       "IPv4 total length beyond the frame");
	/* Ethernet padding after the datagram is fine */
	pcapgen_pad(&fr);
	expect(parse_whole(&fi), FRAME_OK, &fi, NULL);
	assert_int_equal(fr.len, 60);
}

/* Build fr: an ARP packet (28 bytes) under ntags tags, then pad bytes. */
static void build_arp(const struct pcapgen_tag *tags, size_t ntags,
		      uint16_t htype, uint16_t ptype, uint8_t hlen,
		      uint8_t plen, uint16_t op, size_t pad)
{
	const struct pcapgen_eth eth = { MAC_B, MAC_A, tags, ntags };

	pcapgen_eth(&fr, &eth, FRAME_ETHERTYPE_ARP);
	pcapgen_append16(&fr, htype);
	pcapgen_append16(&fr, ptype);
	pcapgen_append(&fr, &hlen, 1);
	pcapgen_append(&fr, &plen, 1);
	pcapgen_append16(&fr, op);
	pcapgen_append(&fr, MAC_A, 6);
	pcapgen_append(&fr, SRC, 4);
	pcapgen_append(&fr, MAC_B, 6);
	pcapgen_append(&fr, DST, 4);
	for (size_t i = 0; i < pad; i++)
		pcapgen_append(&fr, "", 1);
}

/* frame_arp() on a copy of the first cap bytes of fr. */
static bool arp_of(size_t cap, struct frame_arp *a)
{
	uint8_t *copy = malloc(cap ? cap : 1);
	struct frame_info fi;
	bool ok;

	assert_non_null(copy);
	memcpy(copy, fr.b, cap);
	memset(a, 0xee, sizeof(*a));
	ok = frame_parse(copy, cap, fr.len, &fi) == FRAME_OK &&
	     frame_arp(copy, cap, &fi, a);
	free(copy);
	return ok;
}

static void test_arp(void **state)
{
	const struct pcapgen_tag t10 = { 0x8100, 10 };
	const struct pcapgen_tag qinq[2] = { { 0x88a8, 5 }, { 0x8100, 10 } };
	struct frame_info fi;
	struct frame_arp a;
	uint32_t spa, tpa;

	(void)state;
	memcpy(&spa, SRC, 4);
	memcpy(&tpa, DST, 4);
	/* a reply, padded to the minimum as a NIC sends it */
	build_arp(NULL, 0, 1, 0x0800, 6, 4, FRAME_ARP_REPLY, 18);
	assert_true(arp_of(fr.len, &a));
	assert_int_equal(a.op, FRAME_ARP_REPLY);
	assert_memory_equal(a.sha, MAC_A, 6);
	assert_memory_equal(a.tha, MAC_B, 6);
	assert_int_equal(a.spa, spa);
	assert_int_equal(a.tpa, tpa);
	/* a request, under one tag and under two */
	build_arp(&t10, 1, 1, 0x0800, 6, 4, FRAME_ARP_REQUEST, 0);
	assert_true(arp_of(fr.len, &a));
	assert_int_equal(a.op, FRAME_ARP_REQUEST);
	assert_int_equal(a.tpa, tpa);
	build_arp(qinq, 2, 1, 0x0800, 6, 4, FRAME_ARP_REQUEST, 0);
	assert_true(arp_of(fr.len, &a));
	assert_int_equal(a.spa, spa);
	/* cut one byte short of the target address, or exactly whole */
	build_arp(&t10, 1, 1, 0x0800, 6, 4, FRAME_ARP_REPLY, 0);
	assert_false(arp_of(fr.len - 1, &a));
	assert_true(arp_of(fr.len, &a));
	/* other types, lengths and opcodes are not ARP for IPv4 */
	build_arp(NULL, 0, 6, 0x0800, 6, 4, FRAME_ARP_REPLY, 0);
	assert_false(arp_of(fr.len, &a));
	build_arp(NULL, 0, 1, 0x86dd, 6, 4, FRAME_ARP_REPLY, 0);
	assert_false(arp_of(fr.len, &a));
	build_arp(NULL, 0, 1, 0x0800, 8, 4, FRAME_ARP_REPLY, 0);
	assert_false(arp_of(fr.len, &a));
	build_arp(NULL, 0, 1, 0x0800, 6, 16, FRAME_ARP_REPLY, 0);
	assert_false(arp_of(fr.len, &a));
	build_arp(NULL, 0, 1, 0x0800, 6, 4, 3, 0);	/* RARP request */
	assert_false(arp_of(fr.len, &a));
	build_arp(NULL, 0, 1, 0x0800, 6, 4, 8, 0);	/* InARP request */
	assert_false(arp_of(fr.len, &a));
	/* an IPv4 frame is not ARP, whatever its bytes */
	{
		struct pcapgen_ip ip = IP();

		build(NULL, 0, &ip, 40);
		assert_int_equal(parse_whole(&fi), FRAME_OK);
		assert_false(frame_arp(fr.b, fr.len, &fi, &a));
	}
}

static void test_pcap_open(void **state)
{
	char err[ERRLEN] = "";
	pcap_t *p;

	(void)state;
	p = frame_pcap_open(NICQ_SRCDIR "/fixtures/pcap/echo-clean.pcap", err);
	assert_non_null(p);
	pcap_close(p);
	assert_null(frame_pcap_open(NICQ_SRCDIR "/fixtures/pcap/echo-rawip.pcap",
				    err));
	assert_non_null(strstr(err, "link type RAW, want EN10MB"));
	assert_null(frame_pcap_open(NICQ_SRCDIR "/fixtures/pcap/vlan-sll.pcap",
				    err));
	assert_non_null(strstr(err, "want EN10MB"));
	assert_null(frame_pcap_open("/nonexistent/x.pcap", err));
	assert_non_null(strstr(err, "cannot open '/nonexistent/x.pcap'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untagged),
		cmocka_unit_test(test_fragment_fields),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_not_ipv4),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_malformed_ip),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_pcap_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
