/* test_flow.c - flow_count() on a capture written by the test itself. */
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

#include "flow.h"
#include "util.h"

/* One Ethernet/IPv4 frame; tcp_payload bytes after a 20-byte TCP header
 * (or 8-byte UDP), caplen cut at snap. */
static void frame(pcap_dumper_t *d, const char *src, const char *dst,
		  int proto, size_t payload, int vid, size_t snap)
{
	u_char buf[2000] = { 0 };
	struct pcap_pkthdr h = { 0 };
	size_t off = 14, l4 = proto == 6 ? 20 : 8, tot = 20 + l4 + payload;

	if (vid) {
		buf[12] = 0x81;
		buf[14] = (u_char)(vid >> 8);
		buf[15] = (u_char)vid;
		off += 4;
	}
	buf[off - 2] = 0x08;
	buf[off] = 0x45;
	buf[off + 2] = (u_char)(tot >> 8);
	buf[off + 3] = (u_char)tot;
	buf[off + 9] = (u_char)proto;
	inet_pton(AF_INET, src, buf + off + 12);
	inet_pton(AF_INET, dst, buf + off + 16);
	if (proto == 6)
		buf[off + 20 + 12] = 5 << 4;
	h.len = (bpf_u_int32)(off + tot);
	h.caplen = (bpf_u_int32)(h.len < snap ? h.len : snap);
	pcap_dump((u_char *)d, &h, buf);
}

static char *write_capture(void)
{
	char *path = NULL;
	int fd = g_file_open_tmp("nicq-flow-XXXXXX.pcap", &path, NULL);
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;

	assert_true(fd >= 0);
	close(fd);
	d = pcap_dump_open(p, path);
	assert_non_null(d);
	frame(d, "198.18.10.1", "198.18.10.10", 6, 1448, 0, 96);
	frame(d, "198.18.10.1", "198.18.10.10", 6, 1000, 10, 96);
	frame(d, "198.18.10.10", "198.18.10.1", 6, 0, 0, 96);	/* ack back */
	frame(d, "198.18.10.1", "198.18.10.10", 17, 512, 0, 96); /* UDP */
	frame(d, "198.18.10.1", "198.18.10.99", 6, 1448, 0, 96); /* other */
	frame(d, "198.18.10.1", "198.18.10.10", 6, 100, 0, 20);	 /* cut */
	pcap_dump_close(d);
	pcap_close(p);
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
	g_free(path);
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
