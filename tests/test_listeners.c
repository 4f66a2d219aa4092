/*
 * test_listeners.c - issue 10, item 6: in --connect mode nicq's transfer
 * receiver (xfer.c) and HTTP server (httpd.c) listen in the host's own
 * namespace, where anyone may connect.  They serve the guest's address
 * alone: a stray client is closed at once and noted, the guest's is served,
 * and the HTTP server holds at most HTTPD_MAX_CONNS connections (threads).
 *
 * The test runs in a network namespace of its own (unshare(CLONE_NEWNET),
 * root), with 198.18.0.1 (the host's end), .2 (the guest) and .3 (a stray
 * client) on its loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"
#include "util.h"
#include "xfer.h"

#define HOST "198.18.0.1"
#define GUEST "198.18.0.2"
#define STRAY "198.18.0.3"

static bool in_ns;

static int sh(const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct proc_result r;
	char err[ERRLEN];
	int st;

	if (spawn_run(argv, 10000, &r, err) < 0)
		return -1;
	st = r.status;
	if (st)
		print_error("%s: %s\n", script, r.errout);
	proc_result_clear(&r);
	return st;
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return 0;	/* each test skips */
	in_ns = sh("ip link set lo up && ip addr add " HOST "/32 dev lo && "
		   "ip addr add " GUEST "/32 dev lo && "
		   "ip addr add " STRAY "/32 dev lo") == 0;
	return 0;
}

/* A TCP connection from src to dst:port, or -1. */
static int dial(const char *src, const char *dst, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, src, &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	inet_pton(AF_INET, dst, &a.sin_addr);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Whether the server closed fd within ms (EOF or reset, no data). */
static bool closed_by_server(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1)
		return false;
	return recv(fd, &c, 1, 0) <= 0;
}

static void send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static void test_xfer_peer_only(void **state)
{
	enum { LEN = 300000 };
	unsigned char *buf = g_malloc(LEN);
	uint64_t s = 11;
	struct xfer *rx = NULL;
	struct xfer_result r;
	char err[ERRLEN], *want;
	int stray, stray2, guest;

	(void)state;
	if (!in_ns)
		skip();
	xfer_fill(&s, buf, LEN);
	want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf, LEN);
	assert_int_equal(xfer_recv_start_from(HOST, GUEST, 0, LEN, 10000, 0,
					      &rx, err), 0);
	/* the strays come first: one sends, one just holds its connection */
	stray = dial(STRAY, HOST, xfer_port(rx));
	send_all(stray, buf, 1000);
	stray2 = dial(STRAY, HOST, xfer_port(rx));
	assert_true(closed_by_server(stray, 3000));
	assert_true(closed_by_server(stray2, 3000));
	guest = dial(GUEST, HOST, xfer_port(rx));
	send_all(guest, buf, LEN);
	close(guest);
	xfer_finish(rx, &r);
	assert_true(r.ok);
	assert_int_equal(r.bytes, LEN);
	assert_string_equal(r.sha256, want);
	assert_int_equal(r.refused, 2);
	assert_non_null(strstr(r.refused_from, STRAY ":"));
	close(stray);
	close(stray2);
	g_free(want);
	g_free(buf);
}

/* Without a peer (the private lab's own namespace) anyone is served. */
static void test_xfer_anyone(void **state)
{
	struct xfer *rx = NULL;
	struct xfer_result r;
	char err[ERRLEN], buf[100] = "";
	int fd;

	(void)state;
	if (!in_ns)
		skip();
	assert_int_equal(xfer_recv_start(HOST, 0, sizeof(buf), 10000, 0, &rx,
					 err), 0);
	fd = dial(STRAY, HOST, xfer_port(rx));
	send_all(fd, buf, sizeof(buf));
	close(fd);
	xfer_finish(rx, &r);
	assert_true(r.ok);
	assert_int_equal(r.refused, 0);
}

/* GET path from src; the response's first line, or "" when closed. */
static char *get(const char *src, int port, const char *path)
{
	char *req = g_strdup_printf("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	char buf[4096];
	size_t n = 0;
	int fd = dial(src, HOST, port);

	send(fd, req, strlen(req), MSG_NOSIGNAL);
	g_free(req);
	for (;;) {
		ssize_t r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return g_strdup(buf);
}

static void test_httpd_peer_only(void **state)
{
	struct httpd *h = NULL;
	struct httpd_stats st;
	char err[ERRLEN], *resp;

	(void)state;
	if (!in_ns)
		skip();
	assert_int_equal(httpd_start_from(HOST, GUEST, 0, &h, err), 0);
	assert_int_equal(httpd_add_data(h, "/f", "hello", 5, err), 0);
	resp = get(STRAY, httpd_port(h), "/f");
	assert_string_equal(resp, "");		/* closed, nothing said */
	g_free(resp);
	resp = get(GUEST, httpd_port(h), "/f");
	assert_true(g_str_has_prefix(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "\r\n\r\nhello"));
	g_free(resp);
	httpd_stats(h, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.requests, 1);
	httpd_stop(h);
}

/* Clients that connect and say nothing hold at most HTTPD_MAX_CONNS. */
static void test_httpd_bounded(void **state)
{
	enum { EXTRA = 5 };
	int fds[HTTPD_MAX_CONNS + EXTRA], i, open_n = 0, closed_n = 0;
	struct httpd *h = NULL;
	struct httpd_stats st;
	char err[ERRLEN];

	(void)state;
	if (!in_ns)
		skip();
	assert_int_equal(httpd_start(HOST, 0, &h, err), 0);
	for (i = 0; i < HTTPD_MAX_CONNS + EXTRA; i++) {
		fds[i] = dial(STRAY, HOST, httpd_port(h));
		if (i == HTTPD_MAX_CONNS - 1)
			g_usleep(300000);	/* all of those accepted */
	}
	for (i = 0; i < HTTPD_MAX_CONNS + EXTRA; i++) {
		if (closed_by_server(fds[i], i < HTTPD_MAX_CONNS ? 10 : 3000))
			closed_n++;
		else
			open_n++;
	}
	assert_int_equal(open_n, HTTPD_MAX_CONNS);
	assert_int_equal(closed_n, EXTRA);
	httpd_stats(h, &st);
	assert_int_equal(st.refused, EXTRA);
	httpd_stop(h);		/* wakes the idle ones and returns */
	for (i = 0; i < HTTPD_MAX_CONNS + EXTRA; i++)
		close(fds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xfer_peer_only),
		cmocka_unit_test(test_xfer_anyone),
		cmocka_unit_test(test_httpd_peer_only),
		cmocka_unit_test(test_httpd_bounded),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
