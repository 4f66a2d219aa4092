/*
 * test_xdp - the XDP fault programs (harness/xdp.c) run by the kernel on
 * frames built with tests/pcapgen, through BPF_PROG_TEST_RUN: what they
 * change, what they leave alone, and that the echo analyzer sees a reply
 * the corrupt-icmp program passed as a bad reply.  Needs CAP_BPF (root);
 * without it each test is skipped, saying so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"
#include "pcapgen.h"
#include "util.h"
#include "xdp.h"

static const uint8_t IP_HOST[4] = { 192, 0, 2, 1 };
static const uint8_t IP_GUEST[4] = { 192, 0, 2, 2 };
static const uint8_t MAC_HOST[6] = { 0xfe, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t MAC_GUEST[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

#define ETH 14
#define IPH 20
#define ICMPH 8

/* Load kind or skip the test when this process may not use bpf(). */
static int load_or_skip(enum xdp_fault kind, int pct)
{
	char err[ERRLEN] = "";
	int fd = xdp_load(kind, pct, err);

	if (fd < 0 && (strstr(err, "Operation not permitted") ||
		       strstr(err, "Function not implemented"))) {
		print_message("skipped: %s\n", err);
		skip();
	}
	if (fd < 0)
		print_error("%s\n", err);
	assert_true(fd >= 0);
	return fd;
}

/*
 * An echo (type 8 request host -> guest, 0 reply guest -> host) of len
 * payload bytes counting up from 0x10 + seq, as one frame; frag_off and mf
 * make it a fragment (the ICMP header stays at the front).
 */
static void echo_frame(struct pcapgen_frame *f, uint8_t type, uint16_t seq,
		       size_t len, size_t frag_off, bool mf,
		       const struct pcapgen_tag *tag)
{
	static uint8_t m[ICMPH + 2000];
	const struct pcapgen_eth eth = {
		type ? MAC_GUEST : MAC_HOST, type ? MAC_HOST : MAC_GUEST,
		tag, tag ? 1 : 0,
	};
	const struct pcapgen_ip ip = {
		.src = type ? IP_HOST : IP_GUEST,
		.dst = type ? IP_GUEST : IP_HOST,
		.proto = 1, .frag_off = frag_off, .mf = mf, .df = !mf,
		.id = mf ? 0x4242 : 0,
	};
	size_t i, n;

	for (i = 0; i < len; i++)
		m[ICMPH + i] = (uint8_t)(0x10 + i + seq);
	n = pcapgen_icmp(m, type, 0, 0x1234, seq, m + ICMPH, len);
	pcapgen_eth(f, &eth, 0x0800);
	pcapgen_ipv4(f, &ip, m, n);
	pcapgen_pad(f);
}

static uint32_t run(int fd, const struct pcapgen_frame *in,
		    struct pcapgen_frame *out)
{
	char err[ERRLEN] = "";
	uint32_t act = 0;

	out->len = 0;
	if (xdp_test_run(fd, in->b, in->len, out->b, sizeof(out->b),
			 &out->len, &act, err) < 0)
		print_error("%s\n", err);
	assert_int_equal(out->len, in->len);
	return act;
}

/* The reply's payload word is inverted and its ICMP checksum still holds. */
static void test_corrupt_reply(void **state)
{
	struct pcapgen_frame *in = pcapgen_frame_new();
	struct pcapgen_frame *out = pcapgen_frame_new();
	int fd = load_or_skip(XDP_CORRUPT_REPLY, 0);
	size_t w = ETH + IPH + ICMPH + XDP_CORRUPT_OFF, i;

	(void)state;
	echo_frame(in, 0, 7, 56, 0, false, NULL);
	assert_int_equal(run(fd, in, out), 2);	/* XDP_PASS */
	for (i = 0; i < in->len; i++) {
		bool word = i == w || i == w + 1;
		bool csum = i == ETH + IPH + 2 || i == ETH + IPH + 3;

		if (word)
			assert_int_equal(out->b[i], (uint8_t)~in->b[i]);
		else if (!csum)
			assert_int_equal(out->b[i], in->b[i]);
	}
	/* one's complement sum over the ICMP message, checksum included */
	assert_int_equal(pcapgen_csum(out->b + ETH + IPH, ICMPH + 56), 0);
	assert_int_equal(pcapgen_csum(in->b + ETH + IPH, ICMPH + 56), 0);

	/* so is a large reply's first fragment (MF set) */
	echo_frame(in, 0, 8, 1472, 0, true, NULL);
	assert_int_equal(run(fd, in, out), 2);
	assert_int_equal(out->b[w], (uint8_t)~in->b[w]);
	close(fd);
	pcapgen_frame_free(in);
	pcapgen_frame_free(out);
}

/* Requests, short replies, later fragments, tagged frames: untouched. */
static void test_corrupt_leaves(void **state)
{
	struct pcapgen_frame *in = pcapgen_frame_new();
	struct pcapgen_frame *out = pcapgen_frame_new();
	static const struct pcapgen_tag q = { 0x8100, 10 };
	int fd = load_or_skip(XDP_CORRUPT_REPLY, 0);
	struct {
		uint8_t type;
		size_t len, off;
		bool mf;
		const struct pcapgen_tag *tag;
	} keep[] = {
		{ 8, 56, 0, false, NULL },	/* a request */
		{ 0, 21, 0, false, NULL },	/* too short for the word */
		{ 0, 0, 0, false, NULL },	/* padded to 60 bytes */
		{ 0, 56, 1480, false, NULL },	/* not the first fragment */
		{ 0, 56, 0, false, &q },	/* under a VLAN tag */
	};

	(void)state;
	for (size_t k = 0; k < G_N_ELEMENTS(keep); k++) {
		echo_frame(in, keep[k].type, 1, keep[k].len, keep[k].off,
			   keep[k].mf, keep[k].tag);
		assert_int_equal(run(fd, in, out), 2);
		assert_memory_equal(out->b, in->b, in->len);
	}
	close(fd);
	pcapgen_frame_free(in);
	pcapgen_frame_free(out);
}

/* drop-reply=100 drops every echo reply and nothing else. */
static void test_drop_reply(void **state)
{
	struct pcapgen_frame *in = pcapgen_frame_new();
	struct pcapgen_frame *out = pcapgen_frame_new();
	int fd = load_or_skip(XDP_DROP_REPLY, 100);
	char err[ERRLEN];

	(void)state;
	echo_frame(in, 0, 1, 0, 0, false, NULL);
	assert_int_equal(run(fd, in, out), 1);	/* XDP_DROP */
	echo_frame(in, 8, 1, 56, 0, false, NULL);
	assert_int_equal(run(fd, in, out), 2);
	close(fd);
	assert_int_equal(xdp_load(XDP_DROP_REPLY, 0, err), -1);
	assert_int_equal(xdp_load(XDP_DROP_REPLY, 101, err), -1);
	pcapgen_frame_free(in);
	pcapgen_frame_free(out);
}

/*
 * The control end to end, without a guest: a request and the reply as the
 * program passes it on, in a capture; the analyzer counts a bad reply at
 * the inverted byte, not a reply.
 */
static void test_analyzer_sees_it(void **state)
{
	struct pcapgen_frame *in = pcapgen_frame_new();
	struct pcapgen_frame *out = pcapgen_frame_new();
	int fd = load_or_skip(XDP_CORRUPT_REPLY, 0);
	char err[PCAPGEN_ERRLEN], e2[ERRLEN], *path = NULL;
	struct echo_report *r = NULL;
	const struct echo_flow *f;
	struct pcapgen g;

	(void)state;
	assert_int_equal(pcapgen_open_tmp(&g, "nicq-xdp-", DLT_EN10MB, 65535,
					  &path, err), 0);
	for (uint16_t seq = 1; seq <= 3; seq++) {
		echo_frame(in, 8, seq, 56, 0, false, NULL);
		pcapgen_put(&g, in);
		echo_frame(in, 0, seq, 56, 0, false, NULL);
		if (seq == 2) {
			run(fd, in, out);
			pcapgen_put(&g, out);
		} else {
			pcapgen_put(&g, in);
		}
	}
	assert_int_equal(pcapgen_close(&g), 0);
	assert_int_equal(echo_analyze(path, "192.0.2.1", "192.0.2.2", &r, e2),
			 0);
	f = echo_report_flow(r, 0x1234);
	assert_non_null(f);
	assert_int_equal(f->requests, 3);
	assert_int_equal(f->replies, 2);
	assert_int_equal(f->bad_replies, 1);
	assert_int_equal(f->bad_first_seq, 2);
	assert_int_equal(f->bad_first_byte, XDP_CORRUPT_OFF);
	echo_report_free(r);
	unlink(path);
	free(path);
	close(fd);
	pcapgen_frame_free(in);
	pcapgen_frame_free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corrupt_reply),
		cmocka_unit_test(test_corrupt_leaves),
		cmocka_unit_test(test_drop_reply),
		cmocka_unit_test(test_analyzer_sees_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
