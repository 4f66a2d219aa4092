/*
 * test_frames.c - frames_match() on captures the test writes itself.
 *
 * Each want below has one property of frames.h's contract to itself, so a
 * matcher that ignored the destination MAC (want 0 would count the frame
 * sent elsewhere) or the payload (want 1 would count the frames with a
 * changed byte) fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frames.h"
#include "pcapgen.h"
#include "util.h"

#define ETYPE	0x88b5
#define LEN	46
#define NWANT	9

static const unsigned char M1[6] = { 0x01, 0x00, 0x5e, 0xc0, 0x01, 0x64 };
static const unsigned char M2[6] = { 0x02, 0x00, 0x5e, 0xc0, 0x01, 0x64 };
static const unsigned char M3[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const unsigned char SRC[6] = { 0x02, 0x00, 0x00, 0x18, 0xff, 0x01 };

static unsigned char payload[NWANT][LEN];

/* A frame: dst, src, optional 802.1Q tag, ethertype, payload, padding. */
static void fr_build(struct pcapgen_frame *f, const unsigned char *dst,
		     int vid, uint16_t etype, const unsigned char *pl,
		     size_t len, size_t pad)
{
	const struct pcapgen_tag tag = {
		0x8100, (uint16_t)(vid < 0 ? 0 : vid)
	};
	const struct pcapgen_eth eth = { dst, SRC, &tag, vid >= 0 ? 1 : 0 };

	pcapgen_eth(f, &eth, etype);
	pcapgen_append(f, pl, len);
	pcapgen_append(f, NULL, pad);
}

static void open_tmp(struct pcapgen *g, int linktype, char **path)
{
	char err[PCAPGEN_ERRLEN];

	if (pcapgen_open_tmp(g, "nicq-frames-", linktype, 65535, path,
			     err) < 0)
		fail_msg("%s", err);
}

/*
 * The wants and the frames for them:
 *   0  M1 p0: sent once; p0 also sent to M2           seen 1
 *   1  M1 p1: sent with its first, and with its last byte changed   0
 *   2  M1 p2: sent with ethertype 0x88b6              0
 *   3  M1 p3: cut by the snaplen one byte before the payload's end  0
 *   4  M1 p4: 100-byte frame cut right after the payload            1
 *   5  M2 p5: sent three times                        seen 1, dups 2
 *   6  M1 p6: under an 802.1Q tag (VID 10)            0 (frames.h)
 *   7  M3 p7: never sent                              0
 *   8  M1 p0: the same as want 0                      seen 1
 */
static struct frames_want want[NWANT];

static void make_wants(void)
{
	const unsigned char *mac[NWANT] = { M1, M1, M1, M1, M1, M2, M1, M3,
					    M1 };
	uint32_t rnd = 4242;
	size_t i, k;

	for (i = 0; i < NWANT; i++)
		for (k = 0; k < LEN; k++) {
			rnd = rnd * 1103515245u + 12345u;
			payload[i][k] = (unsigned char)(rnd >> 16);
		}
	memcpy(payload[8], payload[0], LEN);
	for (i = 0; i < NWANT; i++) {
		want[i].mac = mac[i];
		want[i].payload = payload[i];
		want[i].len = LEN;
	}
}

static char *write_capture(void)
{
	static struct pcapgen_frame f;
	unsigned char bent[LEN];
	struct pcapgen g;
	char *path;
	int i;

	open_tmp(&g, DLT_EN10MB, &path);
	make_wants();
	fr_build(&f, M1, -1, ETYPE, payload[0], LEN, 0);
	pcapgen_put(&g, &f);
	fr_build(&f, M2, -1, ETYPE, payload[0], LEN, 0);
	pcapgen_put(&g, &f);

	memcpy(bent, payload[1], LEN);
	bent[0] ^= 0x01;
	fr_build(&f, M1, -1, ETYPE, bent, LEN, 0);
	pcapgen_put(&g, &f);
	memcpy(bent, payload[1], LEN);
	bent[LEN - 1] ^= 0x80;
	fr_build(&f, M1, -1, ETYPE, bent, LEN, 0);
	pcapgen_put(&g, &f);

	fr_build(&f, M1, -1, ETYPE + 1, payload[2], LEN, 0);
	pcapgen_put(&g, &f);

	fr_build(&f, M1, -1, ETYPE, payload[3], LEN, 0);
	pcapgen_cut(&g, &f, 14 + LEN - 1);
	fr_build(&f, M1, -1, ETYPE, payload[4], LEN, 100 - 14 - LEN);
	pcapgen_cut(&g, &f, 14 + LEN);

	fr_build(&f, M2, -1, ETYPE, payload[5], LEN, 0);
	for (i = 0; i < 3; i++)
		pcapgen_put(&g, &f);

	fr_build(&f, M1, 10, ETYPE, payload[6], LEN, 0);
	pcapgen_put(&g, &f);

	assert_int_equal(pcapgen_close(&g), 0);
	return path;
}

static void test_match(void **state)
{
	static const struct frames_count expect[NWANT] = {
		{ 1, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 1, 0 },
		{ 1, 2 }, { 0, 0 }, { 0, 0 }, { 1, 0 },
	};
	struct frames_count got[NWANT];
	char *path = write_capture(), err[ERRLEN] = "";
	bool bad = false;
	size_t i;

	(void)state;
	memset(got, 0xaa, sizeof(got));
	if (frames_match(path, ETYPE, want, NWANT, got, err) < 0)
		fail_msg("%s", err);
	for (i = 0; i < NWANT; i++) {
		if (got[i].seen == expect[i].seen &&
		    got[i].dups == expect[i].dups)
			continue;
		print_error("want %zu: seen %u dups %u, expected %u and %u\n",
			    i, got[i].seen, got[i].dups, expect[i].seen,
			    expect[i].dups);
		bad = true;
	}
	assert_false(bad);

	/* The same capture asked for another ethertype matches nothing. */
	assert_int_equal(frames_match(path, 0x0800, want, NWANT, got, err), 0);
	for (i = 0; i < NWANT; i++)
		assert_int_equal(got[i].seen + got[i].dups, 0);
	/* No wants is fine. */
	assert_int_equal(frames_match(path, ETYPE, want, 0, NULL, err), 0);
	unlink(path);
	free(path);
}

static void expect_fail(const char *path, const char *msg_start)
{
	struct frames_count got[NWANT], orig[NWANT];
	char err[ERRLEN] = "";

	memset(got, 0x5a, sizeof(got));
	memcpy(orig, got, sizeof(got));
	assert_int_equal(frames_match(path, ETYPE, want, NWANT, got, err),
			 -1);
	if (strncmp(err, msg_start, strlen(msg_start)) != 0)
		fail_msg("err '%s' does not start with '%s'", err, msg_start);
	assert_memory_equal(got, orig, sizeof(got));
}

/* Cut inside the last record: a read error, not a shorter capture. */
static void test_truncated(void **state)
{
	char *path = write_capture(), *buf = NULL, err[ERRLEN] = "";
	size_t len = 0;

	(void)state;
	assert_int_equal(file_read(path, &buf, &len, err), 0);
	assert_int_equal(file_write(path, buf, len - 10, err), 0);
	expect_fail(path, "cannot read '");
	/* Cut inside a record header: likewise. */
	assert_int_equal(file_write(path, buf, 24 + 16 + 60 + 8, err), 0);
	expect_fail(path, "cannot read '");
	/* Cut inside the file header: it cannot be opened. */
	assert_int_equal(file_write(path, buf, 10, err), 0);
	expect_fail(path, "cannot open '");
	unlink(path);
	free(path);
	g_free(buf);
}

static void test_linktype(void **state)
{
	static struct pcapgen_frame f;
	struct pcapgen g;
	char *path;

	(void)state;
	open_tmp(&g, DLT_LINUX_SLL, &path);
	make_wants();
	fr_build(&f, M1, -1, ETYPE, payload[0], LEN, 0);
	pcapgen_put(&g, &f);
	assert_int_equal(pcapgen_close(&g), 0);
	expect_fail(path, "cannot analyze '");
	unlink(path);
	free(path);
	expect_fail("/nonexistent/nicq.pcap", "cannot open '");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_linktype),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
