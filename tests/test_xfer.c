/* test_xfer.c - the transfer streamer over loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <string.h>

#include "util.h"
#include "xfer.h"

#define N ((uint64_t)(1 << 20) + 13)	/* not a multiple of 8 or a chunk */

static char *expected_sha(uint64_t seed, uint64_t len)
{
	unsigned char *buf = g_malloc(len);
	uint64_t s = seed;
	char *sha;

	xfer_fill(&s, buf, len);
	sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf, len);
	g_free(buf);
	return sha;
}

static void pair(uint64_t send_bytes, uint64_t recv_bytes, uint64_t seed,
		 struct xfer_result *s, struct xfer_result *r)
{
	struct xfer *rx = NULL, *tx = NULL;
	char err[ERRLEN];

	assert_int_equal(xfer_recv_start("127.0.0.1", 0, recv_bytes, 10000, 0,
					 &rx, err), 0);
	assert_true(xfer_port(rx) > 0);
	assert_int_equal(xfer_send_start("127.0.0.1", xfer_port(rx),
					 send_bytes, seed, 10000, 0, &tx, err),
			 0);
	assert_int_equal(xfer_port(tx), 0);
	xfer_finish(tx, s);
	xfer_finish(rx, r);
}

static void test_roundtrip(void **state)
{
	struct xfer_result s, r;
	char *want = expected_sha(7, N);

	(void)state;
	pair(N, N, 7, &s, &r);
	assert_true(s.ok);
	assert_true(r.ok);
	assert_int_equal(s.bytes, N);
	assert_int_equal(r.bytes, N);
	/* both ends agree, and with the generator run in one piece */
	assert_string_equal(s.sha256, r.sha256);
	assert_string_equal(r.sha256, want);
	g_free(want);
}

/* a receiver that holds its reading once: the data intact, a backlog held */
static void test_backlog(void **state)
{
	struct xfer *rx = NULL, *tx = NULL;
	struct xfer_result s, r;
	char err[ERRLEN];
	char *want = expected_sha(9, 8 * N);

	(void)state;
	assert_int_equal(xfer_recv_start_backlog("127.0.0.1", "127.0.0.1", 0,
						 8 * N, 65536, 10000, 0, &rx,
						 err), 0);
	assert_int_equal(xfer_send_start("127.0.0.1", xfer_port(rx), 8 * N, 9,
					 10000, 0, &tx, err), 0);
	xfer_finish(tx, &s);
	xfer_finish(rx, &r);
	assert_true(s.ok);
	assert_true(r.ok);
	assert_string_equal(r.sha256, want);
	/* the socket held unread data when reading went on */
	assert_true(r.backlog_bytes > 0);
	assert_true(r.backlog_ms >= 150 && r.backlog_ms < 4000);
	/* a plain receiver holds nothing */
	pair(N, N, 7, &s, &r);
	assert_int_equal(r.backlog_bytes, 0);
	assert_int_equal(r.backlog_ms, 0);
	g_free(want);
}

static void test_seed_matters(void **state)
{
	char *a = expected_sha(1, 4096), *b = expected_sha(2, 4096);
	unsigned char buf[4096];
	uint64_t s = 1;
	size_t i, zero = 0;

	(void)state;
	assert_string_not_equal(a, b);
	/* not a constant stream: no run of zero bytes, all values seen */
	xfer_fill(&s, buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		zero += !buf[i];
	assert_true(zero < 64);
	g_free(a);
	g_free(b);
}

/* The hash of any prefix, regenerated: what a receiver of n bytes has. */
static void test_prefix(void **state)
{
	const uint64_t ns[] = { 0, 1, 13, 8003, 65536, 65541, N };
	struct xfer_result s, r;
	char got[65], *want;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(ns); i++) {
		want = expected_sha(5, ns[i]);
		xfer_prefix_sha256(5, ns[i], got);
		assert_string_equal(got, want);
		g_free(want);
	}
	/* seed 0 is the sender's default seed, as the sender has it */
	want = expected_sha(0x9E3779B97F4A7C15ULL, 100);
	xfer_prefix_sha256(0, 100, got);
	assert_string_equal(got, want);
	g_free(want);
	/* the whole stream: the sender's own hash */
	pair(N, N, 9, &s, &r);
	xfer_prefix_sha256(9, N, got);
	assert_string_equal(got, s.sha256);
	/* a receiver that wanted more got a prefix, and its hash is that */
	pair(N, N + 100, 9, &s, &r);
	xfer_prefix_sha256(9, r.bytes, got);
	assert_string_equal(got, r.sha256);
}

static void test_short(void **state)
{
	struct xfer_result s, r;

	(void)state;
	pair(N, N + 100, 3, &s, &r);
	assert_true(s.ok);
	assert_false(r.ok);
	assert_int_equal(r.bytes, N);
	assert_non_null(strstr(r.err, "connection closed"));
	/* what did arrive hashes the same as what was sent */
	assert_string_equal(s.sha256, r.sha256);
}

static void test_receiver_stops_at_count(void **state)
{
	struct xfer_result s, r;

	(void)state;
	/* 64 MiB at a receiver that wants 64 KiB: the sender cannot finish */
	pair(64 << 20, 64 << 10, 3, &s, &r);
	assert_false(s.ok);
	assert_true(s.bytes < (64 << 20));
	assert_true(r.bytes >= (64 << 10));
}

static void test_no_listener(void **state)
{
	struct xfer *rx = NULL, *tx = NULL;
	struct xfer_result r;
	char err[ERRLEN];
	int port;

	(void)state;
	/* a port that was free a moment ago */
	assert_int_equal(xfer_recv_start("127.0.0.1", 0, 1, 10, 0, &rx, err), 0);
	port = xfer_port(rx);
	xfer_finish(rx, &r);
	assert_false(r.ok);
	assert_non_null(strstr(r.err, "deadline"));
	assert_int_equal(xfer_send_start("127.0.0.1", port, 10, 1, 600, 0,
					 &tx, err), 0);
	xfer_finish(tx, &r);
	assert_false(r.ok);
	assert_non_null(strstr(r.err, "cannot connect"));
	assert_int_equal(xfer_send_start("not-an-ip", 1, 10, 1, 600, 0, &tx,
					 err),
			 -1);
	assert_non_null(strstr(err, "not-an-ip"));
}

static void test_stall(void **state)
{
	struct xfer *rx = NULL;
	struct xfer_result r;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char err[ERRLEN];
	int64_t t0;
	int fd;

	(void)state;
	/* a peer that sends 10 bytes and then nothing: stalled, not a
	 * deadline, and well before the 10 s deadline */
	assert_int_equal(xfer_recv_start("127.0.0.1", 0, 1000, 10000, 300, &rx,
					 err), 0);
	sa.sin_port = htons((uint16_t)xfer_port(rx));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	t0 = mono_ms();
	while (xfer_progress(rx) < 10 && mono_ms() - t0 < 2000)
		g_usleep(10000);
	assert_int_equal(xfer_progress(rx), 10);
	xfer_finish(rx, &r);
	assert_true(mono_ms() - t0 < 5000);
	assert_false(r.ok);
	assert_true(r.stalled);
	assert_int_equal(r.bytes, 10);
	assert_non_null(strstr(r.err, "stalled"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_seed_matters),
		cmocka_unit_test(test_backlog),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_receiver_stops_at_count),
		cmocka_unit_test(test_no_listener),
		cmocka_unit_test(test_stall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
