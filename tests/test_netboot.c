/*
 * test_netboot - the DHCP/TFTP analyzer (harness/netboot.c) on captures
 * this test writes itself with libpcap: each test lists the frames it
 * writes, and the counts it asserts follow from them.
 *
 * Addresses: the client 52:54:00:00:00:0a gets 192.0.2.100 from the server
 * 192.0.2.1; 52:54:00:00:00:0b is another client on the segment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netboot.h"
#include "pcapgen.h"
#include "util.h"

#define MAC_A "52:54:00:00:00:0a"

static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t ip_any[4] = { 0, 0, 0, 0 };
static const uint8_t ip_bcast[4] = { 255, 255, 255, 255 };
static const uint8_t ip_srv[4] = { 192, 0, 2, 1 };
static const uint8_t ip_cli[4] = { 192, 0, 2, 100 };

struct fix {
	char *path;
	pcap_t *dead;
	pcap_dumper_t *dump;
	unsigned n;
};

static void fix_open(struct fix *f, int linktype)
{
	int fd;
	GError *e = NULL;

	fd = g_file_open_tmp("nicq-netboot-XXXXXX.pcap", &f->path, &e);
	assert_true(fd >= 0);
	close(fd);
	f->dead = pcap_open_dead(linktype, 65535);
	f->dump = pcap_dump_open(f->dead, f->path);
	assert_non_null(f->dump);
	f->n = 0;
}

static void fix_close(struct fix *f)
{
	pcap_dump_close(f->dump);
	pcap_close(f->dead);
}

static void fix_free(struct fix *f)
{
	unlink(f->path);
	g_free(f->path);
}

/* Knobs of frame_ex() beyond what most frames need. */
struct shape {
	const uint16_t *tpids;	/* VLAN tags' TPIDs, outermost first */
	size_t ntags;
	unsigned frag_off;	/* the IPv4 fragment offset field (8-byte units) */
	bool bad_csum;		/* a wrong IPv4 header checksum */
	size_t tot_extra;	/* added to the IPv4 total length */
};

/*
 * Write one Ethernet/IPv4/UDP frame with payload pl (len bytes), of which
 * only cap_pl bytes are captured (cap_pl >= len: all), shaped by sh (tags
 * get VID 5).  The IPv4 header checksum is right unless sh says otherwise.
 */
static void frame_ex(struct fix *f, const uint8_t *src_mac,
		     const uint8_t sip[4], uint16_t sport, const uint8_t dip[4],
		     uint16_t dport, const uint8_t *pl, size_t len,
		     size_t cap_pl, const struct shape *sh)
{
	uint8_t b[2048] = { 0 };
	struct pcap_pkthdr h;
	size_t off = 0, ip, tot = 20 + 8 + len;

	assert_true(len <= 1400);
	memset(b, 0xff, 6);
	memcpy(b + 6, src_mac, 6);
	off = 12;
	for (size_t i = 0; i < sh->ntags; i++) {
		b[off] = (uint8_t)(sh->tpids[i] >> 8);
		b[off + 1] = (uint8_t)sh->tpids[i];
		b[off + 2] = 0;
		b[off + 3] = 5;
		off += 4;
	}
	b[off] = 0x08;
	b[off + 1] = 0x00;
	ip = off + 2;
	b[ip] = 0x45;
	b[ip + 2] = (uint8_t)((tot + sh->tot_extra) >> 8);
	b[ip + 3] = (uint8_t)(tot + sh->tot_extra);
	b[ip + 6] = (uint8_t)(sh->frag_off >> 8);
	b[ip + 7] = (uint8_t)sh->frag_off;
	b[ip + 8] = 64;
	b[ip + 9] = 17;
	memcpy(b + ip + 12, sip, 4);
	memcpy(b + ip + 16, dip, 4);
	pcapgen_ipv4_recsum(b + ip);
	if (sh->bad_csum)
		b[ip + 10] ^= 0x01;
	b[ip + 20] = (uint8_t)(sport >> 8);
	b[ip + 21] = (uint8_t)sport;
	b[ip + 22] = (uint8_t)(dport >> 8);
	b[ip + 23] = (uint8_t)dport;
	b[ip + 24] = (uint8_t)((len + 8) >> 8);
	b[ip + 25] = (uint8_t)(len + 8);
	memcpy(b + ip + 28, pl, len);
	h.ts.tv_sec = 1000 + f->n / 1000;
	h.ts.tv_usec = (f->n % 1000) * 1000;
	h.len = (bpf_u_int32)(ip + tot);
	h.caplen = (bpf_u_int32)(ip + 28 + (cap_pl < len ? cap_pl : len));
	pcap_dump((u_char *)f->dump, &h, b);
	f->n++;
}

/* The same, vlan > 0 adding an 802.1Q tag, frag_off as above. */
static void frame(struct fix *f, const uint8_t *src_mac, const uint8_t sip[4],
		  uint16_t sport, const uint8_t dip[4], uint16_t dport,
		  const uint8_t *pl, size_t len, size_t cap_pl, int vlan,
		  unsigned frag_off)
{
	static const uint16_t q[] = { 0x8100 };
	struct shape sh = { .tpids = q, .ntags = vlan > 0,
			    .frag_off = frag_off };

	frame_ex(f, src_mac, sip, sport, dip, dport, pl, len, cap_pl, &sh);
}

/* How dhcp() shapes its frames: plain unless a test says otherwise. */
static const struct shape plain_shape;
static const struct shape *dhcp_shape = &plain_shape;

/* A BOOTP message: op, chaddr, yiaddr, siaddr, file, option 53 (0: none). */
static void dhcp(struct fix *f, bool from_server, const uint8_t *chaddr,
		 int type, const char *file, bool opt67)
{
	uint8_t m[400] = { 0 };
	size_t n = 240;

	m[0] = from_server ? 2 : 1;
	m[1] = 1;
	m[2] = 6;
	memcpy(m + 28, chaddr, 6);
	if (from_server) {
		memcpy(m + 16, ip_cli, 4);
		memcpy(m + 20, ip_srv, 4);
	}
	if (file && !opt67)
		memcpy(m + 108, file, strlen(file));
	m[236] = 0x63;
	m[237] = 0x82;
	m[238] = 0x53;
	m[239] = 0x63;
	m[n++] = 0;			/* a pad before the options */
	if (type) {
		m[n++] = 53;
		m[n++] = 1;
		m[n++] = (uint8_t)type;
	}
	if (file && opt67) {
		m[n++] = 67;
		m[n++] = (uint8_t)strlen(file);
		memcpy(m + n, file, strlen(file));
		n += strlen(file);
	}
	m[n++] = 255;
	if (from_server)
		frame_ex(f, mac_b, ip_srv, 67, ip_cli, 68, m, 300, 300,
			 dhcp_shape);
	else
		frame_ex(f, chaddr, ip_any, 68, ip_bcast, 67, m, 300, 300,
			 dhcp_shape);
}

/* TFTP packet: opcode, then strings (NUL-separated) or a block number. */
static size_t tftp_strs(uint8_t *b, uint16_t op, const char *const *s)
{
	size_t n = 2;

	b[0] = 0;
	b[1] = (uint8_t)op;
	for (; *s; s++) {
		memcpy(b + n, *s, strlen(*s) + 1);
		n += strlen(*s) + 1;
	}
	return n;
}

static void rrq(struct fix *f, uint16_t cport, const char *name, bool opts,
		int vlan)
{
	const char *with[] = { name, "octet", "blksize", "1432", "tsize", "0",
			       NULL };
	const char *plain[] = { name, "octet", NULL };
	uint8_t b[256];
	size_t n = tftp_strs(b, 1, opts ? with : plain);

	frame(f, mac_a, ip_cli, cport, ip_srv, 69, b, n, n, vlan, 0);
}

static void data(struct fix *f, uint16_t sport, uint16_t cport,
		 uint16_t block, size_t len)
{
	uint8_t b[1440] = { 0 };

	b[1] = 3;
	b[2] = (uint8_t)(block >> 8);
	b[3] = (uint8_t)block;
	/* only opcode and block captured, as with a short snaplen */
	frame(f, mac_b, ip_srv, sport, ip_cli, cport, b, 4 + len, 4, 0, 0);
}

static struct netboot_report *analyze(const char *path)
{
	char err[ERRLEN] = "";
	struct netboot_report *r = NULL;
	int rc = netboot_analyze(path, MAC_A, &r, err);

	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	return r;
}

/*
 * DHCP: client A: DISCOVER, OFFER, DISCOVER (again), OFFER, REQUEST, ACK
 * (file field "nicq.ipxe"), one message without option 53; client B:
 * DISCOVER and ACK (not counted).  Then an ACK for A whose boot file is in
 * option 67 only, to check the fallback.
 */
static void test_dhcp(void **state)
{
	struct fix f;
	struct netboot_report *r;

	(void)state;
	fix_open(&f, DLT_EN10MB);
	dhcp(&f, false, mac_a, 1, NULL, false);
	dhcp(&f, true, mac_a, 2, "nicq.ipxe", false);
	dhcp(&f, false, mac_a, 1, NULL, false);
	dhcp(&f, true, mac_a, 2, "nicq.ipxe", false);
	dhcp(&f, false, mac_a, 3, NULL, false);
	dhcp(&f, true, mac_a, 5, "nicq.ipxe", false);
	dhcp(&f, false, mac_a, 0, NULL, false);
	dhcp(&f, false, mac_b, 1, NULL, false);
	dhcp(&f, true, mac_b, 5, "other.file", false);
	fix_close(&f);
	r = analyze(f.path);
	assert_int_equal(r->frames, 9);
	assert_int_equal(r->dhcp.messages, 7);
	assert_int_equal(r->dhcp.by_type[0], 1);
	assert_int_equal(r->dhcp.by_type[1], 2);
	assert_int_equal(r->dhcp.by_type[2], 2);
	assert_int_equal(r->dhcp.by_type[3], 1);
	assert_int_equal(r->dhcp.by_type[5], 1);
	assert_string_equal(r->dhcp.yiaddr, "192.0.2.100");
	assert_string_equal(r->dhcp.siaddr, "192.0.2.1");
	assert_string_equal(r->dhcp.bootfile, "nicq.ipxe");
	assert_int_equal(r->n_tftp, 0);
	netboot_report_free(r);
	fix_free(&f);

	fix_open(&f, DLT_EN10MB);
	dhcp(&f, true, mac_a, 5, "from-opt67", true);
	fix_close(&f);
	r = analyze(f.path);
	assert_int_equal(r->dhcp.by_type[5], 1);
	assert_string_equal(r->dhcp.bootfile, "from-opt67");
	netboot_report_free(r);
	fix_free(&f);
}

/*
 * TFTP:
 *  - "nicq.ipxe" from port 2000 with options; OACK blksize 1432 tsize 100
 *    from 40000; DATA 1 of 100 bytes: complete, 100 bytes, 1 block.
 *  - "big" from port 2001 without options, the RRQ sent twice; DATA 1 (512),
 *    2 (512), 2 again (a retransmission), 4 (out of order), 3 (512),
 *    4 (100): complete, 1636 bytes, 4 blocks, 1 duplicate, 1 gap.
 *  - "missing" from port 2002 (802.1Q tagged, VLAN 5): ERROR 1 "File not
 *    found" from the server: not complete.
 *  - "lost" from port 2003: DATA 1 (512) only: not complete.
 *  - a DATA block from a port no RRQ used (ignored), a non-first fragment
 *    of an RRQ (ignored), and a second transfer of "nicq.ipxe" from port
 *    2004, DATA 1 of 0 bytes (netboot_tftp_file returns this last one).
 */
static void test_tftp(void **state)
{
	static const char *const oack[] = { "blksize", "1432", "tsize", "100",
					    NULL };
	const struct netboot_tftp *t;
	struct netboot_report *r;
	uint8_t b[256];
	size_t n;
	struct fix f;

	(void)state;
	fix_open(&f, DLT_EN10MB);
	rrq(&f, 2000, "nicq.ipxe", true, 0);
	n = tftp_strs(b, 6, oack);
	frame(&f, mac_b, ip_srv, 40000, ip_cli, 2000, b, n, n, 0, 0);
	data(&f, 40000, 2000, 1, 100);

	rrq(&f, 2001, "big", false, 0);
	rrq(&f, 2001, "big", false, 0);
	data(&f, 40001, 2001, 1, 512);
	data(&f, 40001, 2001, 2, 512);
	data(&f, 40001, 2001, 2, 512);
	data(&f, 40001, 2001, 4, 512);
	data(&f, 40001, 2001, 3, 512);
	data(&f, 40001, 2001, 4, 100);

	rrq(&f, 2002, "missing", true, 5);
	{
		uint8_t e[64] = { 0, 5, 0, 1 };

		memcpy(e + 4, "File not found", 15);
		frame(&f, mac_b, ip_srv, 40002, ip_cli, 2002, e, 19, 19, 0, 0);
	}

	rrq(&f, 2003, "lost", false, 0);
	data(&f, 40003, 2003, 1, 512);

	data(&f, 40009, 2999, 1, 10);
	{
		const char *s[] = { "frag", "octet", NULL };

		n = tftp_strs(b, 1, s);
		frame(&f, mac_a, ip_cli, 2005, ip_srv, 69, b, n, n, 0, 10);
	}
	rrq(&f, 2004, "nicq.ipxe", false, 0);
	data(&f, 40004, 2004, 1, 0);
	fix_close(&f);

	r = analyze(f.path);
	assert_int_equal(r->n_tftp, 5);
	assert_int_equal(r->dhcp.messages, 0);

	t = &r->tftp[0];
	assert_string_equal(t->filename, "nicq.ipxe");
	assert_string_equal(t->mode, "octet");
	assert_string_equal(t->client, "192.0.2.100");
	assert_int_equal(t->client_port, 2000);
	assert_string_equal(t->server, "192.0.2.1");
	assert_int_equal(t->server_port, 40000);
	assert_int_equal(t->blksize, 1432);
	assert_int_equal(t->tsize, 100);
	assert_int_equal(t->blocks, 1);
	assert_int_equal(t->bytes, 100);
	assert_true(t->complete);
	assert_int_equal(t->error_code, -1);

	t = &r->tftp[1];
	assert_string_equal(t->filename, "big");
	assert_int_equal(t->requests, 2);
	assert_int_equal(t->blksize, 512);
	assert_int_equal(t->blocks, 4);
	assert_int_equal(t->bytes, 1636);
	assert_int_equal(t->duplicates, 1);
	assert_int_equal(t->gaps, 1);
	assert_true(t->complete);

	t = &r->tftp[2];
	assert_string_equal(t->filename, "missing");
	assert_int_equal(t->error_code, 1);
	assert_string_equal(t->error_msg, "File not found");
	assert_false(t->complete);
	assert_int_equal(t->blocks, 0);

	t = &r->tftp[3];
	assert_string_equal(t->filename, "lost");
	assert_int_equal(t->blocks, 1);
	assert_int_equal(t->bytes, 512);
	assert_false(t->complete);

	t = netboot_tftp_file(r, "nicq.ipxe");
	assert_ptr_equal(t, &r->tftp[4]);
	assert_int_equal(t->client_port, 2004);
	assert_int_equal(t->bytes, 0);
	assert_true(t->complete);
	assert_null(netboot_tftp_file(r, "frag"));
	assert_null(netboot_tftp_file(NULL, "big"));
	netboot_report_free(r);
	fix_free(&f);
}

/* 65536 full blocks then an empty one: block numbers wrap past 65535. */
static void test_tftp_wrap(void **state)
{
	const struct netboot_tftp *t;
	struct netboot_report *r;
	struct fix f;
	unsigned i;

	(void)state;
	fix_open(&f, DLT_EN10MB);
	rrq(&f, 3000, "huge", false, 0);
	for (i = 1; i <= 65536; i++)
		data(&f, 41000, 3000, (uint16_t)i, 512);
	data(&f, 41000, 3000, 1, 0);	/* block 65537 wraps to 1 */
	fix_close(&f);
	r = analyze(f.path);
	t = netboot_tftp_file(r, "huge");
	assert_non_null(t);
	assert_int_equal(t->blocks, 65537);
	assert_int_equal(t->bytes, 65536ull * 512);
	assert_int_equal(t->gaps, 0);
	assert_true(t->complete);
	netboot_report_free(r);
	fix_free(&f);
}

/*
 * Issue 10, item 10: the analyzer had its own header parser, which took
 * frames with a wrong IPv4 header checksum and skipped 0x9100 tags.  It
 * uses frame.c's now: DISCOVERs from A, each shaped differently; only the
 * sound ones count, under any kind and number of tags.
 */
static void test_headers(void **state)
{
	static const uint16_t t9100[] = { 0x9100 };
	static const uint16_t qinq[] = { 0x88a8, 0x8100 };
	static const uint16_t three[] = { 0x9100, 0x88a8, 0x8100 };
	const struct shape counted[] = {
		{ 0 },
		{ .tpids = t9100, .ntags = 1 },
		{ .tpids = qinq, .ntags = 2 },
		{ .tpids = three, .ntags = 3 },
	};
	const struct shape skipped[] = {
		{ .bad_csum = true },
		{ .tpids = t9100, .ntags = 1, .bad_csum = true },
		{ .tot_extra = 1 },	/* total length beyond the frame */
		{ .frag_off = 3 },	/* not the first fragment */
	};
	struct netboot_report *r;
	struct fix f;
	uint8_t b[64];
	size_t n;

	(void)state;
	fix_open(&f, DLT_EN10MB);
	for (size_t i = 0; i < G_N_ELEMENTS(counted); i++) {
		dhcp_shape = &counted[i];
		dhcp(&f, false, mac_a, 1, NULL, false);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(skipped); i++) {
		dhcp_shape = &skipped[i];
		dhcp(&f, false, mac_a, 3, NULL, false);
	}
	dhcp_shape = &plain_shape;
	/* a TFTP read request under a 0x9100 tag */
	{
		const char *s[] = { "tagged", "octet", NULL };
		struct shape sh = { .tpids = t9100, .ntags = 1 };

		n = tftp_strs(b, 1, s);
		frame_ex(&f, mac_a, ip_cli, 2100, ip_srv, 69, b, n, n, &sh);
		sh.bad_csum = true;
		s[0] = "badsum";
		n = tftp_strs(b, 1, s);
		frame_ex(&f, mac_a, ip_cli, 2101, ip_srv, 69, b, n, n, &sh);
	}
	fix_close(&f);
	r = analyze(f.path);
	assert_int_equal(r->frames, G_N_ELEMENTS(counted) +
			 G_N_ELEMENTS(skipped) + 2);
	assert_int_equal(r->dhcp.messages, G_N_ELEMENTS(counted));
	assert_int_equal(r->dhcp.by_type[1], G_N_ELEMENTS(counted));
	assert_int_equal(r->dhcp.by_type[3], 0);
	assert_non_null(netboot_tftp_file(r, "tagged"));
	assert_null(netboot_tftp_file(r, "badsum"));
	assert_int_equal(r->n_tftp, 1);
	netboot_report_free(r);
	fix_free(&f);
}

static void test_errors(void **state)
{
	struct netboot_report *r = NULL;
	char err[ERRLEN] = "";
	struct fix f;

	(void)state;
	assert_int_equal(netboot_analyze("/nonexistent.pcap", MAC_A, &r, err),
			 -1);
	assert_null(r);
	assert_non_null(strstr(err, "cannot open"));
	fix_open(&f, DLT_RAW);
	fix_close(&f);
	assert_int_equal(netboot_analyze(f.path, MAC_A, &r, err), -1);
	assert_non_null(strstr(err, "want EN10MB"));
	assert_int_equal(netboot_analyze(f.path, "52:54:00:00:00", &r, err),
			 -1);
	assert_non_null(strstr(err, "invalid MAC"));
	assert_int_equal(netboot_analyze(f.path, "52:54:00:00:00:0g", &r, err),
			 -1);
	assert_null(r);
	fix_free(&f);
	netboot_report_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp),
		cmocka_unit_test(test_tftp),
		cmocka_unit_test(test_tftp_wrap),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("netboot", tests, NULL, NULL);
}
