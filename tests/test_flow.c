/*
 * test_flow.c - flow_count() and flow_tcp_progress() on captures written by
 * the test itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdbool.h>
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

/* ---- flow_conns ------------------------------------------------------- */

/* A TCP frame src:sport -> dst:dport with payload bytes, VLAN 20 tagged. */
static void conn_frame(struct pcapgen *g, const char *src, const char *dst,
		       uint16_t sport, uint16_t dport, size_t payload)
{
	static struct pcapgen_frame f;
	const struct pcapgen_tag tag = { 0x8100, 20 };
	const struct pcapgen_eth eth = { NULL, NULL, &tag, 1 };
	uint8_t s[4], d[4], l4[2000];
	struct pcapgen_ip ip = { .src = s, .dst = d, .proto = 6 };
	size_t len;

	assert_int_equal(inet_pton(AF_INET, src, s), 1);
	assert_int_equal(inet_pton(AF_INET, dst, d), 1);
	len = pcapgen_tcp(l4, sport, dport, 1, 1, 0x10, NULL, payload);
	pcapgen_eth(&f, &eth, 0x0800);
	pcapgen_ipv4(&f, &ip, l4, len);
	pcapgen_cut(g, &f, f.len < 96 ? f.len : 96);
}

static void test_conns(void **state)
{
	char *path = NULL, err[PCAPGEN_ERRLEN];
	struct flow_conn c[2];
	struct pcapgen g;
	uint64_t others;
	size_t n;

	(void)state;
	if (pcapgen_open_tmp(&g, "nicq-flow-", DLT_EN10MB, 65535, &path,
			     err) < 0)
		fail_msg("%s", err);
	conn_frame(&g, "198.18.4.11", "198.18.4.12", 40001, 5201, 0);
	conn_frame(&g, "198.18.4.11", "198.18.4.12", 40002, 5201, 1448);
	conn_frame(&g, "198.18.4.11", "198.18.4.12", 40001, 5201, 100);
	conn_frame(&g, "198.18.4.12", "198.18.4.11", 5201, 40001, 0); /* back */
	conn_frame(&g, "198.18.4.11", "198.18.4.99", 40001, 5201, 9); /* other */
	conn_frame(&g, "198.18.4.11", "198.18.4.12", 40003, 5201, 5);
	conn_frame(&g, "198.18.4.11", "198.18.4.12", 40001, 5201, 10);
	assert_int_equal(pcapgen_close(&g), 0);

	assert_int_equal(flow_conns(path, "198.18.4.11", "198.18.4.12", 6, c,
				    2, &n, &others, err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(c[0].sport, 40001);
	assert_int_equal(c[0].dport, 5201);
	assert_int_equal(c[0].frames, 3);
	assert_int_equal(c[0].l4_bytes, 110);
	assert_int_equal(c[1].sport, 40002);
	assert_int_equal(c[1].frames, 1);
	assert_int_equal(c[1].l4_bytes, 1448);
	/* the third connection does not fit: counted, not listed */
	assert_int_equal(others, 1);
	assert_int_equal(flow_conns(path, "198.18.4.11", "198.18.4.12", 1, c,
				    2, &n, &others, err), -1);
	assert_int_equal(flow_conns("/nonexistent.pcap", "198.18.4.11",
				    "198.18.4.12", 6, c, 2, &n, &others, err),
			 -1);
	unlink(path);
	free(path);
}

/* ---- flow_tcp_progress -------------------------------------------------- */

#define HOST "198.18.10.1"
#define GUEST "198.18.10.10"
#define T0 1700000000000000LL	/* us */
#define B 0xfffffe00u		/* the guest's first ack: wraps at +512 */

/*
 * At T0 + ms: a data segment host:40000 -> guest:port (len bytes), or an
 * ack guest:port -> host:40000 (len 0, ack), cut at snap.
 */
static void seg(struct pcapgen *g, int ms, bool data, int port, size_t len,
		uint32_t ack, size_t snap, const char *src)
{
	static struct pcapgen_frame f;
	const struct pcapgen_eth eth = { NULL, NULL, NULL, 0 };
	uint8_t a[4], b[4], l4[2000];
	struct pcapgen_ip ip = { .proto = 6 };
	size_t n;

	assert_int_equal(inet_pton(AF_INET, src && *src ? src :
				   data ? HOST : GUEST, a), 1);
	assert_int_equal(inet_pton(AF_INET, data ? GUEST : HOST, b), 1);
	ip.src = a;
	ip.dst = b;
	if (data)
		n = pcapgen_tcp(l4, 40000, (uint16_t)port, 1, 1, 0x18, NULL,
				len);
	else	/* src "": an RST+ACK */
		n = pcapgen_tcp(l4, (uint16_t)port, 40000, 1, ack,
				src && !*src ? 0x14 : 0x10, NULL, 0);
	pcapgen_eth(&f, &eth, 0x0800);
	pcapgen_ipv4(&f, &ip, l4, n);
	g->t_us = T0 + ms * 1000LL;
	pcapgen_cut(g, &f, f.len < snap ? f.len : snap);
}

/* An ack guest:5001 -> host:client with flags, at T0 + ms. */
static void seg_from(struct pcapgen *g, int ms, bool data, uint16_t client,
		     uint32_t ack, uint8_t flags)
{
	static struct pcapgen_frame f;
	const struct pcapgen_eth eth = { NULL, NULL, NULL, 0 };
	uint8_t a[4], b[4], l4[64];
	struct pcapgen_ip ip = { .proto = 6, .src = a, .dst = b };
	size_t n;

	(void)data;
	assert_int_equal(inet_pton(AF_INET, GUEST, a), 1);
	assert_int_equal(inet_pton(AF_INET, HOST, b), 1);
	n = pcapgen_tcp(l4, 5001, client, 1, ack, flags, NULL, 0);
	pcapgen_eth(&f, &eth, 0x0800);
	pcapgen_ipv4(&f, &ip, l4, n);
	g->t_us = T0 + ms * 1000LL;
	pcapgen_put(g, &f);
}

static void test_tcp_progress(void **state)
{
	char *path = NULL, err[PCAPGEN_ERRLEN], e2[ERRLEN];
	struct tcp_progress t;
	struct pcapgen g;

	(void)state;
	if (pcapgen_open_tmp(&g, "nicq-tcpp-", DLT_EN10MB, 96, &path, err) < 0)
		fail_msg("%s", err);
	/* refused attempts from another client port: RST+ACK, any number */
	seg_from(&g, 500, false, 40001, 0x12345678, 0x14);
	seg_from(&g, 700, false, 40002, 0x7abcdef0, 0x14);
	/* an ACK of another connection (port 40003) */
	seg_from(&g, 900, false, 40003, B + 100000, 0x10);
	seg(&g, 1000, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 1005, false, 5001, 0, B + 50000, 96, "");	/* an RST */
	seg(&g, 1010, false, 5001, 0, B, 96, NULL);		/* first ack */
	seg(&g, 1020, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 1030, false, 5001, 0, B + 1000, 96, NULL);
	seg(&g, 1040, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 1050, false, 5001, 0, B + 2000, 96, NULL);	/* wraps */
	seg(&g, 1060, false, 5001, 0, B + 2000, 96, NULL);	/* dup ack */
	seg(&g, 1070, false, 5001, 0, B + 1000, 96, NULL);	/* old ack */
	/* the stall: retransmissions, nothing acknowledged */
	seg(&g, 1500, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 2000, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 2500, true, 5001, 0, 0, 96, NULL);		/* no data */
	seg(&g, 3000, false, 5002, 0, B + 9000, 96, NULL);	/* other port */
	seg(&g, 3100, false, 5001, 0, B + 9000, 96, "198.18.10.11");
	seg(&g, 3200, false, 5001, 0, B + 9000, 14 + 20 + 13, NULL);
	seg(&g, 4000, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 4010, false, 5001, 0, B + 3000, 96, NULL);	/* receive back */
	seg(&g, 4020, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 4030, false, 5001, 0, B + 4000, 96, NULL);
	seg(&g, 5000, true, 5002, 1000, 0, 96, NULL);		/* other port */
	assert_int_equal(pcapgen_close(&g), 0);

	assert_int_equal(flow_tcp_progress(path, HOST, GUEST, 5001, &t, e2), 0);
	assert_int_equal(t.data_frames, 7);
	assert_int_equal(t.first_data_us, T0 + 1000000);
	assert_int_equal(t.last_data_us, T0 + 4020000);
	assert_int_equal(t.ack_advances, 4);
	assert_int_equal(t.first_ack_us, T0 + 1010000);
	assert_int_equal(t.last_ack_us, T0 + 4030000);
	assert_int_equal(t.gap_start_us, T0 + 1050000);
	assert_int_equal(t.gap_us, 2960000);
	assert_int_equal(t.acked, 4000);
	/* the other port is another transfer */
	assert_int_equal(flow_tcp_progress(path, HOST, GUEST, 5002, &t, e2), 0);
	assert_int_equal(t.data_frames, 1);
	assert_int_equal(t.ack_advances, 0);
	assert_int_equal(t.acked, 0);
	unlink(path);
	free(path);

	/* a receiver that never comes back: the gap runs to the last data */
	if (pcapgen_open_tmp(&g, "nicq-tcpp-", DLT_EN10MB, 96, &path, err) < 0)
		fail_msg("%s", err);
	seg(&g, 1000, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 1010, false, 5001, 0, 7, 96, NULL);
	seg(&g, 1020, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 1030, false, 5001, 0, 1007, 96, NULL);
	seg(&g, 2000, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 3000, true, 5001, 1000, 0, 96, NULL);
	assert_int_equal(pcapgen_close(&g), 0);
	assert_int_equal(flow_tcp_progress(path, HOST, GUEST, 5001, &t, e2), 0);
	assert_int_equal(t.gap_start_us, T0 + 1030000);
	assert_int_equal(t.gap_us, 1970000);
	assert_int_equal(t.acked, 1000);

	unlink(path);
	free(path);

	/*
	 * A receiver that aborts the connection: its RST+ACK acknowledges
	 * the last segment (acked), yet is no advance; a later RST with an
	 * older ack changes nothing
	 */
	if (pcapgen_open_tmp(&g, "nicq-tcpp-", DLT_EN10MB, 96, &path, err) < 0)
		fail_msg("%s", err);
	seg(&g, 1000, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 1010, false, 5001, 0, 7, 96, NULL);
	seg(&g, 1020, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 1030, true, 5001, 1000, 0, 96, NULL);
	seg(&g, 1040, false, 5001, 0, 1007, 96, NULL);
	seg(&g, 1050, false, 5001, 0, 2007, 96, "");	/* RST+ACK */
	seg(&g, 1060, false, 5001, 0, 1507, 96, "");
	assert_int_equal(pcapgen_close(&g), 0);
	assert_int_equal(flow_tcp_progress(path, HOST, GUEST, 5001, &t, e2), 0);
	assert_int_equal(t.acked, 2000);
	assert_int_equal(t.ack_advances, 1);
	assert_int_equal(t.last_ack_us, T0 + 1040000);

	assert_int_equal(flow_tcp_progress(path, HOST, GUEST, 0, &t, e2), -1);
	assert_int_equal(flow_tcp_progress(path, "x", GUEST, 5001, &t, e2), -1);
	unlink(path);
	free(path);
}

/* A data segment host:40000 -> guest:5001 with sequence number seq. */
static void dseg(struct pcapgen *g, int ms, uint32_t seq, size_t len)
{
	static struct pcapgen_frame f;
	const struct pcapgen_eth eth = { NULL, NULL, NULL, 0 };
	uint8_t a[4], b[4], l4[2000];
	struct pcapgen_ip ip = { .proto = 6, .src = a, .dst = b };
	size_t n;

	assert_int_equal(inet_pton(AF_INET, HOST, a), 1);
	assert_int_equal(inet_pton(AF_INET, GUEST, b), 1);
	n = pcapgen_tcp(l4, 40000, 5001, seq, 1, 0x18, NULL, len);
	pcapgen_eth(&f, &eth, 0x0800);
	pcapgen_ipv4(&f, &ip, l4, n);
	g->t_us = T0 + ms * 1000LL;
	pcapgen_cut(g, &f, 64);		/* headers only, as stress captures */
}

/* Unique payload by sequence number, retransmissions apart (ledger). */
static void test_tcp_unique(void **state)
{
	char *path = NULL, err[PCAPGEN_ERRLEN], e2[ERRLEN];
	struct tcp_progress t;
	struct pcapgen g;
	uint32_t s0 = 0xfffffc00u;	/* wraps after 1024 bytes */

	(void)state;
	if (pcapgen_open_tmp(&g, "nicq-tcpu-", DLT_EN10MB, 64, &path, err) < 0)
		fail_msg("%s", err);
	dseg(&g, 1, s0, 1000);
	dseg(&g, 2, s0 + 1000, 1000);		/* across the wrap */
	dseg(&g, 3, s0 + 1000, 1000);		/* retransmitted whole */
	dseg(&g, 4, s0 + 1500, 1000);		/* half old, half new */
	dseg(&g, 5, s0 + 2500, 0);		/* a pure ack: no data */
	dseg(&g, 6, s0 + 2500, 700);
	dseg(&g, 7, s0, 500);			/* an old piece again */
	assert_int_equal(pcapgen_close(&g), 0);
	assert_int_equal(flow_tcp_progress(path, HOST, GUEST, 5001, &t, e2), 0);
	assert_int_equal(t.data_frames, 6);
	assert_int_equal(t.data_bytes, 1000 + 1000 + 1000 + 1000 + 700 + 500);
	assert_int_equal(t.unique_bytes, 3200);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_conns),
		cmocka_unit_test(test_tcp_progress),
		cmocka_unit_test(test_tcp_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
