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
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"
#include "pcapgen.h"
#include "util.h"

#define HOST "198.18.10.1"
#define GUEST "198.18.10.10"

/*
 * One ping leg as the NIC sends it: the whole message if it fits the MTU,
 * else 8-byte aligned fragments, each with DF if df.
 */
static void echo(struct pcapgen *g, bool request, uint16_t ident,
		 uint16_t seq, size_t payload, bool df, size_t mtu,
		 uint16_t ipid)
{
	static uint8_t icmp[70000];
	uint8_t host[4], guest[4];
	struct pcapgen_ip ip = { .proto = 1, .id = ipid, .df = df };
	const struct pcapgen_eth eth = { 0 };
	size_t len = pcapgen_icmp(icmp, request ? 8 : 0, 0, ident, seq, NULL,
				  payload);

	assert_int_equal(inet_pton(AF_INET, HOST, host), 1);
	assert_int_equal(inet_pton(AF_INET, GUEST, guest), 1);
	ip.src = request ? host : guest;
	ip.dst = request ? guest : host;
	pcapgen_datagram(g, &eth, &ip, icmp, len, mtu);
}

static void test_jumbo_df(void **state)
{
	char *path = NULL, err[ERRLEN];
	struct pcapgen g;
	struct echo_report *r = NULL;
	const struct echo_flow *f;
	uint16_t s;

	(void)state;
	if (pcapgen_open_tmp(&g, "nicq-df-", DLT_EN10MB, 65535, &path,
			     err) < 0)
		fail_msg("%s", err);
	/* ident 7: ping -M do -s 8972 at MTU 9000; Linux replies without DF */
	for (s = 1; s <= 3; s++) {
		echo(&g, true, 7, s, 8972, true, 9000, (uint16_t)(100 + s));
		echo(&g, false, 7, s, 8972, false, 9000, (uint16_t)(200 + s));
	}
	/* ident 8: 4096 bytes at MTU 1500, fragmented, no DF */
	echo(&g, true, 8, 1, 4096, false, 1500, 300);
	echo(&g, false, 8, 1, 4096, false, 1500, 301);
	assert_int_equal(pcapgen_close(&g), 0);

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
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jumbo_df),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
