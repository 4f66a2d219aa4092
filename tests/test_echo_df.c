/*
 * test_echo_df.c - the echo analyzer's frame size and DF accounting (what
 * the jumbo case judges), on a capture the test writes itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"
#include "util.h"

#define HOST "198.18.10.1"
#define GUEST "198.18.10.10"

static uint16_t csum(const u_char *p, size_t n)
{
	uint32_t s = 0;

	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)(p[0] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One IPv4 fragment carrying l4[off..off+n) of an ICMP message. */
static void frag(pcap_dumper_t *d, const char *src, const char *dst,
		 uint16_t ipid, bool df, bool mf, size_t off, const u_char *l4,
		 size_t n)
{
	static u_char buf[10000];
	struct pcap_pkthdr h = { 0 };
	u_char *ip = buf + 14;
	uint16_t fo = (uint16_t)((off / 8) | (mf ? 0x2000 : 0) |
				 (df ? 0x4000 : 0)), c;

	memset(buf, 0, 34);
	buf[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (u_char)((20 + n) >> 8);
	ip[3] = (u_char)(20 + n);
	ip[4] = (u_char)(ipid >> 8);
	ip[5] = (u_char)ipid;
	ip[6] = (u_char)(fo >> 8);
	ip[7] = (u_char)fo;
	ip[8] = 64;
	ip[9] = 1;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	c = csum(ip, 20);
	ip[10] = (u_char)(c >> 8);
	ip[11] = (u_char)c;
	memcpy(ip + 20, l4 + off, n);
	h.len = h.caplen = (bpf_u_int32)(34 + n);
	pcap_dump((u_char *)d, &h, buf);
}

static void echo(pcap_dumper_t *d, bool request, uint16_t ident,
		 uint16_t seq, size_t payload, bool df, size_t mtu,
		 uint16_t ipid)
{
	static u_char icmp[70000];
	size_t total = 8 + payload, off = 0, max = (mtu - 20) & ~(size_t)7;
	uint16_t c;

	memset(icmp, 0, total);
	icmp[0] = request ? 8 : 0;
	icmp[4] = (u_char)(ident >> 8);
	icmp[5] = (u_char)ident;
	icmp[6] = (u_char)(seq >> 8);
	icmp[7] = (u_char)seq;
	c = csum(icmp, total);
	icmp[2] = (u_char)(c >> 8);
	icmp[3] = (u_char)c;
	while (off < total) {
		/* what fits in one MTU goes whole; else 8-byte aligned pieces */
		size_t n = total - off <= mtu - 20 ? total - off : max;

		frag(d, request ? HOST : GUEST, request ? GUEST : HOST, ipid,
		     df, off + n < total, off, icmp, n);
		off += n;
	}
}

static void test_jumbo_df(void **state)
{
	char *path = NULL, err[ERRLEN];
	int fd = g_file_open_tmp("nicq-df-XXXXXX.pcap", &path, NULL);
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	struct echo_report *r = NULL;
	const struct echo_flow *f;
	uint16_t s;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	d = pcap_dump_open(p, path);
	assert_non_null(d);
	/* ident 7: ping -M do -s 8972 at MTU 9000; Linux replies without DF */
	for (s = 1; s <= 3; s++) {
		echo(d, true, 7, s, 8972, true, 9000, (uint16_t)(100 + s));
		echo(d, false, 7, s, 8972, false, 9000, (uint16_t)(200 + s));
	}
	/* ident 8: 4096 bytes at MTU 1500, fragmented, no DF */
	echo(d, true, 8, 1, 4096, false, 1500, 300);
	echo(d, false, 8, 1, 4096, false, 1500, 301);
	pcap_dump_close(d);
	pcap_close(p);

	assert_int_equal(echo_analyze(path, HOST, GUEST, &r, err), 0);
	f = echo_report_flow(r, 7);
	assert_non_null(f);
	assert_int_equal(f->requests, 3);
	assert_int_equal(f->replies, 3);
	assert_int_equal(f->frame_max, 9014);	/* 8972 + 8 + 20 + 14 */
	assert_int_equal(f->df_frames, 3);	/* requests only */
	assert_int_equal(f->req_fragmented + f->rep_fragmented, 0);
	f = echo_report_flow(r, 8);
	assert_non_null(f);
	assert_int_equal(f->replies, 1);
	assert_int_equal(f->frame_max, 1514);
	assert_int_equal(f->df_frames, 0);
	assert_int_equal(f->req_fragmented, 1);
	echo_report_free(r);
	unlink(path);
	g_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jumbo_df),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
