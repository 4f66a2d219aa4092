/* test_spread.c - spread_analyze() over captures written by the test. */
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

#include "pcapgen.h"
#include "spread.h"
#include "util.h"

#define H "198.18.20.1"
#define G "198.18.20.10"
#define ID 4242

/*
 * An ICMP echo (type 8 request / 0 reply) src -> dst at t_ms, under a tag
 * of tpid with VID vid (vid 0: untagged); the IPv4 header checksum is right
 * unless bad_csum.
 */
static void echo_ex(pcap_dumper_t *d, int64_t t_ms, const char *src,
		    const char *dst, int type, uint16_t ident, uint16_t seq,
		    uint16_t tpid, int vid, bool bad_csum)
{
	u_char buf[200] = { 0 };
	struct pcap_pkthdr h = { 0 };
	size_t off = 14, tot = 20 + 8 + 56;

	if (vid) {
		buf[12] = (u_char)(tpid >> 8);
		buf[13] = (u_char)tpid;
		buf[14] = (u_char)(vid >> 8);
		buf[15] = (u_char)vid;
		off += 4;
	}
	buf[off - 2] = 0x08;
	buf[off] = 0x45;
	buf[off + 2] = (u_char)(tot >> 8);
	buf[off + 3] = (u_char)tot;
	buf[off + 9] = 1;
	inet_pton(AF_INET, src, buf + off + 12);
	inet_pton(AF_INET, dst, buf + off + 16);
	pcapgen_ipv4_recsum(buf + off);
	if (bad_csum)
		buf[off + 11] ^= 0x40;
	buf[off + 20] = (u_char)type;
	buf[off + 24] = (u_char)(ident >> 8);
	buf[off + 25] = (u_char)ident;
	buf[off + 26] = (u_char)(seq >> 8);
	buf[off + 27] = (u_char)seq;
	h.ts.tv_sec = t_ms / 1000;
	h.ts.tv_usec = (t_ms % 1000) * 1000;
	h.len = (bpf_u_int32)(off + tot);
	h.caplen = h.len < 96 ? h.len : 96;
	pcap_dump((u_char *)d, &h, buf);
}

/* The same, 802.1Q tagged with vid (0: untagged), a right checksum. */
static void echo(pcap_dumper_t *d, int64_t t_ms, const char *src,
		 const char *dst, int type, uint16_t ident, uint16_t seq,
		 int vid)
{
	echo_ex(d, t_ms, src, dst, type, ident, seq, 0x8100, vid, false);
}

static pcap_dumper_t *open_dump(char **path, pcap_t **p)
{
	int fd = g_file_open_tmp("nicq-spread-XXXXXX.pcap", path, NULL);
	pcap_dumper_t *d;

	*p = pcap_open_dead(DLT_EN10MB, 65535);
	assert_true(fd >= 0);
	close(fd);
	d = pcap_dump_open(*p, *path);
	assert_non_null(d);
	return d;
}

#define REQ(d, t, seq) echo(d, t, H, G, 8, ID, seq, 20)
#define REP(d, t, seq) echo(d, t, G, H, 0, ID, seq, 20)

static void test_spread(void **state)
{
	char *paths[3];
	pcap_dumper_t *d[3];
	pcap_t *pc[3];
	struct spread_report r;
	char err[ERRLEN];
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		d[i] = open_dump(&paths[i], &pc[i]);
	/* seq 1: request on tap 0 (and a flooded copy on tap 2), reply on 0 */
	REQ(d[0], 1000, 1);
	REQ(d[2], 1000, 1);
	REP(d[0], 1002, 1);
	/* seq 2: reply on tap 1 (the bond failed over) */
	REQ(d[0], 1100, 2);
	REP(d[1], 1103, 2);
	/* seq 3: the reply shows on taps 1 and 2: not a sole reply */
	REQ(d[0], 1200, 3);
	REP(d[1], 1201, 3);
	REP(d[2], 1201, 3);
	/* seq 4: lost */
	REQ(d[0], 1300, 4);
	/* seq 5 and, 5 s later, seq 5 again (wrapped): the second is lost */
	REQ(d[1], 1400, 5);
	REP(d[1], 1401, 5);
	REQ(d[1], 6400, 5);
	/* a reply nobody asked for */
	REP(d[0], 7000, 9);
	/* noise: another ident, the other direction, untagged frames count */
	echo(d[0], 7100, H, G, 8, ID + 1, 10, 20);
	echo(d[0], 7200, G, H, 8, ID, 11, 0);
	echo(d[0], 7300, H, G, 8, ID, 12, 0);
	for (i = 0; i < 3; i++) {
		pcap_dump_close(d[i]);
		pcap_close(pc[i]);
	}

	assert_int_equal(spread_analyze((const char *const *)paths, 3, H, G,
					ID, &r, err), 0);
	assert_int_equal(r.n, 3);
	/* seqs 1, 2, 3, 4, 5, 5 again and 12 */
	assert_int_equal(r.requests, 7);
	assert_int_equal(r.replies, 4);
	assert_int_equal(r.unmatched, 1);
	assert_int_equal(r.dup_frames, 2);
	assert_int_equal(r.per[0].requests, 5);
	assert_int_equal(r.per[0].replies, 2);
	assert_int_equal(r.per[1].requests, 2);
	assert_int_equal(r.per[1].replies, 3);
	assert_int_equal(r.per[2].requests, 1);
	assert_int_equal(r.per[2].replies, 1);
	/* sole replies: seq 1 and 9 on tap 0, seq 2 and 5 on tap 1 */
	assert_int_equal(r.per[0].sole_replies, 2);
	assert_int_equal(r.per[1].sole_replies, 2);
	assert_int_equal(r.per[2].sole_replies, 0);
	assert_int_equal(r.taps_with_replies, 2);
	/* 0 -> 1 (seq 2), 1 (seq 5), -> 0 (seq 9) */
	assert_int_equal(r.moves, 2);

	/* one tap alone: everything there, no moves */
	assert_int_equal(spread_analyze((const char *const *)paths + 1, 1, H,
					G, ID, &r, err), 0);
	assert_int_equal(r.requests, 2);
	/* only seq 5 was asked for here; 2 and 3 were asked on tap 0 */
	assert_int_equal(r.replies, 1);
	assert_int_equal(r.unmatched, 2);
	assert_int_equal(r.taps_with_replies, 1);
	assert_int_equal(r.moves, 0);
	for (i = 0; i < 3; i++) {
		unlink(paths[i]);
		g_free(paths[i]);
	}
}

/*
 * Issue 10, item 10: spread.c had its own header parser, which took frames
 * with a wrong IPv4 header checksum.  With frame.c's, only sound frames
 * count, under 802.1Q, 802.1ad or 0x9100 tags alike.
 */
static void test_headers(void **state)
{
	struct spread_report r;
	char err[ERRLEN] = "", *path;
	pcap_dumper_t *d;
	pcap_t *pc;

	(void)state;
	d = open_dump(&path, &pc);
	echo_ex(d, 1000, H, G, 8, ID, 1, 0x9100, 20, false);
	echo_ex(d, 1001, G, H, 0, ID, 1, 0x9100, 20, false);
	echo_ex(d, 1100, H, G, 8, ID, 2, 0x88a8, 20, false);
	echo_ex(d, 1101, G, H, 0, ID, 2, 0x88a8, 20, false);
	/* a wrong header checksum: not an echo to count */
	echo_ex(d, 1200, H, G, 8, ID, 3, 0x8100, 20, true);
	echo_ex(d, 1300, H, G, 8, ID, 4, 0x8100, 20, false);
	echo_ex(d, 1301, G, H, 0, ID, 4, 0x9100, 20, true);
	pcap_dump_close(d);
	pcap_close(pc);
	assert_int_equal(spread_analyze((const char *const *)&path, 1, H, G,
					ID, &r, err), 0);
	assert_int_equal(r.requests, 3);
	assert_int_equal(r.replies, 2);
	assert_int_equal(r.per[0].requests, 3);
	assert_int_equal(r.per[0].replies, 2);
	unlink(path);
	g_free(path);
}

static void test_errors(void **state)
{
	const char *none[] = { "/nonexistent/x.pcap" };
	struct spread_report r;
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(spread_analyze(none, 1, H, G, ID, &r, err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(spread_analyze(none, 1, "bogus", G, ID, &r, err), -1);
	assert_non_null(strstr(err, "invalid IPv4"));
	assert_int_equal(spread_analyze(none, 0, H, G, ID, &r, err), -1);
	assert_int_equal(spread_analyze(none, SPREAD_MAX_FILES + 1, H, G, ID,
					&r, err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
