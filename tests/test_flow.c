/* test_flow.c - flow_count() on a capture written by the test itself. */
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

#include "flow.h"
#include "pcapgen.h"
#include "util.h"

/*
 * One Ethernet/IPv4 frame, 802.1Q tagged if vid: payload bytes after a
 * 20-byte TCP header (proto 6) or an 8-byte UDP one, caplen cut at snap.
 */
static void frame(struct pcapgen *g, const char *src, const char *dst,
		  int proto, size_t payload, int vid, size_t snap)
{
	static struct pcapgen_frame f;
	const struct pcapgen_tag tag = { 0x8100, (uint16_t)vid };
	const struct pcapgen_eth eth = { NULL, NULL, &tag, vid ? 1 : 0 };
	uint8_t s[4], d[4], l4[2000];
	struct pcapgen_ip ip = { .src = s, .dst = d, .proto = (uint8_t)proto };
	size_t len;

	assert_int_equal(inet_pton(AF_INET, src, s), 1);
	assert_int_equal(inet_pton(AF_INET, dst, d), 1);
	if (proto == 6)
		len = pcapgen_tcp(l4, 40000, 5001, 1, 1, 0x10, NULL, payload);
	else
		len = pcapgen_udp(l4, 40000, 5001, NULL, payload);
	pcapgen_eth(&f, &eth, 0x0800);
	pcapgen_ipv4(&f, &ip, l4, len);
	pcapgen_cut(g, &f, f.len < snap ? f.len : snap);
}

static char *write_capture(void)
{
	char *path = NULL, err[PCAPGEN_ERRLEN];
	struct pcapgen g;

	if (pcapgen_open_tmp(&g, "nicq-flow-", DLT_EN10MB, 65535, &path,
			     err) < 0)
		fail_msg("%s", err);
	frame(&g, "198.18.10.1", "198.18.10.10", 6, 1448, 0, 96);
	frame(&g, "198.18.10.1", "198.18.10.10", 6, 1000, 10, 96);
	frame(&g, "198.18.10.10", "198.18.10.1", 6, 0, 0, 96);	/* ack back */
	frame(&g, "198.18.10.1", "198.18.10.10", 17, 512, 0, 96); /* UDP */
	frame(&g, "198.18.10.1", "198.18.10.99", 6, 1448, 0, 96); /* other */
	frame(&g, "198.18.10.1", "198.18.10.10", 6, 100, 0, 20);	 /* cut */
	assert_int_equal(pcapgen_close(&g), 0);
	return path;
}

static void test_counts(void **state)
{
	char *path = write_capture(), err[ERRLEN];
	struct flow_count c;

	(void)state;
	assert_int_equal(flow_count(path, "198.18.10.1", "198.18.10.10", 6,
				    &c, err), 0);
	/* two whole TCP segments; the one cut inside its IP header is not
	 * counted */
	assert_int_equal(c.frames, 2);
	assert_int_equal(c.l4_bytes, 1448 + 1000);
	assert_int_equal(c.ip_bytes, 1488 + 1040);
	assert_int_equal(c.max_ip_len, 1488);
	assert_int_equal(flow_count(path, "198.18.10.10", "198.18.10.1", 6,
				    &c, err), 0);
	assert_int_equal(c.frames, 1);
	assert_int_equal(c.l4_bytes, 0);
	assert_int_equal(flow_count(path, "198.18.10.1", "198.18.10.10", 17,
				    &c, err), 0);
	assert_int_equal(c.l4_bytes, 512);
	unlink(path);
	free(path);
}

static void test_errors(void **state)
{
	struct flow_count c;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(flow_count("/nonexistent.pcap", "198.18.0.1",
				    "198.18.0.2", 6, &c, err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(flow_count("/nonexistent.pcap", "bogus",
				    "198.18.0.2", 6, &c, err), -1);
	assert_non_null(strstr(err, "invalid IPv4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
