/*
 * test_iperf.c - iperf3 JSON parsing on documents captured from real
 * iperf3 3.12 runs (fixtures/iperf/), per-stream wire counts on a capture
 * written by the test, and the loss-knee step schedule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <glib.h>
#include <math.h>
#include <pcap/pcap.h>
#include <string.h>
#include <unistd.h>

#include "iperf.h"
#include "util.h"

static int parse_fixture(const char *name, struct iperf_result *r, char *err)
{
	char *path = g_build_filename(NICQ_SRCDIR, "fixtures", "iperf", name,
				      NULL), *text = NULL;
	size_t len = 0;
	int rc;

	assert_int_equal(file_read(path, &text, &len, NULL), 0);
	rc = iperf_parse(text, len, r, err);
	g_free(text);
	g_free(path);
	return rc;
}

static void test_tcp(void **state)
{
	struct iperf_result r;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(parse_fixture("tcp.json", &r, err), 0);
	assert_false(r.udp);
	assert_false(r.reverse);
	assert_int_equal(r.sent.bytes, 1684275200ULL);
	assert_int_equal(r.sent.retransmits, 22);
	assert_int_equal(r.received.bytes, 1683029963ULL);
	assert_true(fabs(r.received.bits_per_second - 13417426303.626646) < 1);
	assert_true(fabs(r.sent.seconds - 1.000247) < 1e-9);
	/* the receiver's sum carries no retransmit count */
	assert_int_equal(r.received.retransmits, -1);

	assert_int_equal(parse_fixture("tcp-r.json", &r, err), 0);
	assert_true(r.reverse);
	assert_int_equal(r.sent.bytes, 2055208960ULL);
	assert_int_equal(r.sent.retransmits, 7);
	assert_int_equal(r.received.bytes, 2050359190ULL);
}

static void test_udp(void **state)
{
	struct iperf_result r;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(parse_fixture("udp.json", &r, err), 0);
	assert_true(r.udp);
	assert_false(r.reverse);
	assert_int_equal(r.blksize, 512);
	assert_int_equal(r.sent.packets, 4879);
	assert_int_equal(r.sent.bytes, 4879ULL * 512);
	assert_int_equal(r.received.packets, 4879);
	assert_int_equal(r.received.lost_packets, 0);

	assert_int_equal(parse_fixture("udp-r.json", &r, err), 0);
	assert_true(r.udp);
	assert_true(r.reverse);
	assert_int_equal(r.received.packets, 77);
	/* the receiving end's buffer, which bounds its unread tail */
	assert_int_equal(r.rcvbuf, 212992);
}

static void test_rcvbuf(void **state)
{
	static const char none[] = "{\"start\": {\"test_start\": "
		"{\"protocol\": \"UDP\"}}, \"end\": {\"sum_sent\": {}, "
		"\"sum_received\": {}}}";
	static const char bad[] = "{\"start\": {\"rcvbuf_actual\": -5, "
		"\"test_start\": {\"protocol\": \"UDP\"}}, \"end\": "
		"{\"sum_sent\": {}, \"sum_received\": {}}}";
	struct iperf_result r;
	char err[ERRLEN];

	(void)state;
	/* not said: 0, and the caller keeps its default */
	assert_int_equal(iperf_parse(none, strlen(none), &r, err), 0);
	assert_int_equal(r.rcvbuf, 0);
	assert_int_equal(iperf_parse(bad, strlen(bad), &r, err), -1);
	assert_non_null(strstr(err, "start.rcvbuf_actual out of range"));
}

static void test_udp_loss(void **state)
{
	struct iperf_result r;
	char err[ERRLEN];

	(void)state;
	/* from a live run: host -> virtio guest under TCG, 500 Mb/s offered */
	assert_int_equal(parse_fixture("udp-loss.json", &r, err), 0);
	assert_true(r.udp);
	assert_false(r.reverse);
	assert_int_equal(r.received.lost_packets, 86035);
	assert_int_equal(r.received.packets, 129434);
	assert_true(fabs(r.received.lost_percent - 66.45220091295985) < 1e-9);
	/* "packets" counts the lost ones too: bytes are what arrived */
	assert_int_equal(r.received.bytes,
			 (r.received.packets - r.received.lost_packets) *
			 (uint64_t)r.blksize);
	assert_int_equal(r.sent.bytes, 187471112ULL);
}

static void test_errors(void **state)
{
	static const char no_sums[] = "{\"start\": {\"test_start\": "
		"{\"protocol\": \"TCP\"}}, \"end\": {}}";
	struct iperf_result r = { .blksize = 77 };
	char err[ERRLEN];

	(void)state;
	assert_int_equal(parse_fixture("refused.json", &r, err), -1);
	assert_string_equal(err, "iperf3: unable to connect to server: "
			    "Connection refused");
	assert_int_equal(parse_fixture("truncated.json", &r, err), -1);
	assert_non_null(strstr(err, "not JSON"));
	assert_int_equal(iperf_parse("[1, 2]", 6, &r, err), -1);
	assert_non_null(strstr(err, "not a JSON object"));
	assert_int_equal(iperf_parse(no_sums, strlen(no_sums), &r, err), -1);
	assert_string_equal(err, "iperf3 output lacks end.sum_sent");
	assert_int_equal(iperf_parse("", 0, &r, err), -1);
	/* outputs untouched on failure */
	assert_int_equal(r.blksize, 77);
}

/* One Ethernet/IPv4 frame with ports, caplen cut at snap. */
static void frame(pcap_dumper_t *d, const char *src, const char *dst,
		  int proto, int sport, int dport, size_t payload, int frag,
		  size_t snap)
{
	u_char buf[2000] = { 0 };
	struct pcap_pkthdr h = { 0 };
	size_t off = 14, l4 = proto == 6 ? 20 : 8, tot = 20 + l4 + payload;

	buf[12] = 0x08;
	buf[off] = 0x45;
	buf[off + 2] = (u_char)(tot >> 8);
	buf[off + 3] = (u_char)tot;
	buf[off + 6] = (u_char)(frag >> 8);
	buf[off + 7] = (u_char)frag;
	buf[off + 9] = (u_char)proto;
	inet_pton(AF_INET, src, buf + off + 12);
	inet_pton(AF_INET, dst, buf + off + 16);
	buf[off + 20] = (u_char)(sport >> 8);
	buf[off + 21] = (u_char)sport;
	buf[off + 22] = (u_char)(dport >> 8);
	buf[off + 23] = (u_char)dport;
	if (proto == 6)
		buf[off + 20 + 12] = 8 << 4;	/* 32-byte header (options) */
	h.len = (bpf_u_int32)(off + tot + (proto == 6 ? 12 : 0));
	if (proto == 6) {
		tot += 12;
		buf[off + 2] = (u_char)(tot >> 8);
		buf[off + 3] = (u_char)tot;
	}
	h.caplen = (bpf_u_int32)(h.len < snap ? h.len : snap);
	pcap_dump((u_char *)d, &h, buf);
}

static void test_wire_count(void **state)
{
	char *path = NULL, err[ERRLEN];
	int fd = g_file_open_tmp("nicq-iperf-XXXXXX.pcap", &path, NULL);
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	struct flow_count c;
	const char *h = "198.18.10.1", *g = "198.18.10.10";

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	d = pcap_dump_open(p, path);
	assert_non_null(d);
	/* data stream: client port 45001 -> server 5201 */
	frame(d, h, g, 6, 45001, 5201, 1448, 0, 96);
	frame(d, h, g, 6, 45001, 5201, 1448, 0, 96);
	frame(d, h, g, 6, 45001, 5201, 1448, 0, 96);	/* a retransmit */
	frame(d, g, h, 6, 5201, 45001, 0, 0, 96);	/* its ACK */
	/* the control connection, same hosts, another client port */
	frame(d, h, g, 6, 45999, 5201, 300, 0, 96);
	/* UDP with -R: the guest sends from 5201 to the client's port */
	frame(d, g, h, 17, 5201, 45002, 1400, 0, 96);
	frame(d, g, h, 17, 5201, 45002, 1400, 0, 96);
	frame(d, g, h, 17, 5201, 45002, 1400, 0x0020, 96); /* frag: skip */
	frame(d, g, h, 17, 5201, 45003, 1400, 0, 96);	/* another run */
	frame(d, g, h, 17, 5201, 45002, 1400, 0, 36);	/* ports cut off */
	pcap_dump_close(d);
	pcap_close(p);

	assert_int_equal(flow_count_port(path, h, g, 6, 45001, &c, err), 0);
	assert_int_equal(c.frames, 3);
	assert_int_equal(c.l4_bytes, 3 * 1448);
	assert_int_equal(c.max_ip_len, 20 + 32 + 1448);
	assert_int_equal(flow_count_port(path, g, h, 6, 45001, &c, err), 0);
	assert_int_equal(c.frames, 1);
	assert_int_equal(c.l4_bytes, 0);
	assert_int_equal(flow_count_port(path, g, h, 17, 45002, &c, err), 0);
	assert_int_equal(c.frames, 2);
	assert_int_equal(c.l4_bytes, 2 * 1400);
	assert_int_equal(flow_count_port(path, h, g, 17, 45002, &c, err), 0);
	assert_int_equal(c.frames, 0);
	assert_int_equal(flow_count_port(path, h, g, 1, 45002, &c, err), -1);
	assert_non_null(strstr(err, "invalid protocol"));
	assert_int_equal(flow_count_port("/nonexistent.pcap", h, g, 6, 1, &c,
					  err), -1);
	assert_non_null(strstr(err, "cannot open"));
	unlink(path);
	g_free(path);
}

/* Run the schedule against a receiver that loses nothing up to knee pps
 * and delivers at most cap pps.  Returns the steps taken. */
static int simulate(struct iperf_knee *k, double knee, double cap,
		    double *rates)
{
	double r;
	int n = 0;

	while ((r = iperf_knee_next(k)) > 0) {
		double loss = r <= knee ? 0 : 1.0;

		rates[n++] = r;
		assert_true(n <= 32);
		iperf_knee_record(k, r, loss, fmin(r, cap), 0.1);
	}
	return n;
}

static void test_knee(void **state)
{
	struct iperf_knee k;
	double rates[32];
	int n;

	(void)state;
	/* doubling 1000, 2000, 4000, 8000 (fails), one bisection at 5657 */
	iperf_knee_init(&k, 1000, 250, 64000, 1, 8);
	n = simulate(&k, 6000, 1e9, rates);
	assert_int_equal(n, 5);
	assert_true(rates[1] == 2000 && rates[2] == 4000 && rates[3] == 8000);
	assert_true(fabs(rates[4] - sqrt(4000.0 * 8000)) < 1e-6);
	assert_true(fabs(k.lo - sqrt(4000.0 * 8000)) < 1e-6);
	assert_true(k.hi == 8000);

	/* everything passes: stops at the cap, no bracket above */
	iperf_knee_init(&k, 1000, 250, 5000, 1, 8);
	n = simulate(&k, 1e9, 1e9, rates);
	assert_int_equal(n, 4);	/* 1000 2000 4000 5000 */
	assert_true(k.lo == 5000 && k.hi == 0);

	/* the first step fails: the next one goes just under what arrived
	 * (900 of 4000 pps -> 810, not 2000), then bisects once */
	iperf_knee_init(&k, 4000, 250, 64000, 1, 8);
	n = simulate(&k, 850, 900, rates);
	assert_int_equal(n, 3);
	assert_true(fabs(rates[1] - 810) < 1e-6);
	assert_true(fabs(rates[2] - sqrt(810.0 * 4000)) < 1e-6);
	assert_true(fabs(k.lo - 810) < 1e-6);
	assert_true(fabs(k.hi - sqrt(810.0 * 4000)) < 1e-6);

	/* nothing ever passes: stops at the floor with no knee */
	iperf_knee_init(&k, 1000, 250, 64000, 1, 8);
	n = simulate(&k, 10, 1e9, rates);
	assert_true(k.lo == 0 && k.hi == 250);
	assert_true(rates[n - 1] == 250);

	/* the step budget bounds the search */
	iperf_knee_init(&k, 1, 1, 1e9, 3, 4);
	n = simulate(&k, 1e8, 1e9, rates);
	assert_int_equal(n, 4);
}

static void test_snmp(void **state)
{
	/* the layout of a 6.1 kernel's /proc/net/snmp, Udp lines */
	static const char snmp[] =
		"Icmp: InMsgs InErrors\nIcmp: 3 0\n"
		"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors "
		"SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
		"Udp: 28931 2 714 40 714 0 0 0 0\n"
		"UdpLite: InDatagrams NoPorts InErrors OutDatagrams "
		"RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti "
		"MemErrors\nUdpLite: 0 0 0 0 0 0 0 0 0\n";
	struct iperf_udp_snmp c = { 0 };
	char err[ERRLEN];

	(void)state;
	assert_int_equal(iperf_snmp_parse(snmp, &c, err), 0);
	assert_int_equal(c.in_datagrams, 28931);
	assert_int_equal(c.in_errors, 714);
	assert_int_equal(c.rcvbuf_errors, 714);
	assert_int_equal(c.sndbuf_errors, 0);
	assert_int_equal(iperf_snmp_parse("Tcp: A B\nTcp: 1 2\n", &c, err),
			 -1);
	assert_non_null(strstr(err, "no Udp counters"));
	assert_int_equal(iperf_snmp_parse("Udp: InDatagrams InErrors\n"
					  "Udp: 1 x\n", &c, err), -1);
	assert_non_null(strstr(err, "bad Udp counter InErrors"));
	assert_int_equal(iperf_snmp_parse("Udp: InDatagrams InErrors\n"
					  "Udp: 1 2\n", &c, err), -1);
	assert_non_null(strstr(err, "lacks"));
	assert_int_equal(iperf_snmp_parse(NULL, &c, err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_rcvbuf),
		cmocka_unit_test(test_udp_loss),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_wire_count),
		cmocka_unit_test(test_knee),
		cmocka_unit_test(test_snmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
