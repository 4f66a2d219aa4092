/*
 * test_httpd.c - harness/httpd.c on 127.0.0.1, with a plain-socket client.
 *
 * Every test gets a fresh server (port 0) serving three things: /small
 * (100000 bytes), /big (32 MiB, more than loopback's socket buffers hold,
 * so a client that stops reading really stalls the server) and /boot.ipxe
 * from memory.  File contents follow a position-dependent pattern, so a
 * body from the wrong offset never matches.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "httpd.h"
#include "util.h"

#define SMALL	100000
#define BIG	(32u << 20)
#define IPXE	"#!ipxe\nkernel /vmlinuz console=ttyS0\nboot\n"

static struct {
	char *dir;
	char *small, *big, *log;
	unsigned char *pat;	/* BIG bytes of pattern */
	struct httpd *h;
} fx;

struct resp {
	int status;
	char *head;		/* status line and headers */
	GByteArray *body;
};

static unsigned char pat_byte(uint64_t i)
{
	return (unsigned char)((i * 0x9e3779b97f4a7c15ull) >> 56);
}

static int group_setup(void **state)
{
	uint64_t i;

	(void)state;
	fx.dir = g_dir_make_tmp("nicq-httpd-XXXXXX", NULL);
	assert_non_null(fx.dir);
	fx.pat = g_malloc(BIG);
	for (i = 0; i < BIG; i++)
		fx.pat[i] = pat_byte(i);
	fx.small = g_build_filename(fx.dir, "small", NULL);
	fx.big = g_build_filename(fx.dir, "big", NULL);
	fx.log = g_build_filename(fx.dir, "httpd.log", NULL);
	assert_true(g_file_set_contents(fx.small, (char *)fx.pat, SMALL, NULL));
	assert_true(g_file_set_contents(fx.big, (char *)fx.pat, BIG, NULL));
	return 0;
}

static int group_teardown(void **state)
{
	char err[ERRLEN];

	(void)state;
	if (!getenv("NICQ_TEST_KEEP") && rm_rf(fx.dir, err) < 0)
		print_error("%s\n", err);
	g_free(fx.dir);
	g_free(fx.small);
	g_free(fx.big);
	g_free(fx.log);
	g_free(fx.pat);
	return 0;
}

static int setup(void **state)
{
	char err[ERRLEN];

	(void)state;
	unlink(fx.log);
	if (httpd_start("127.0.0.1", 0, &fx.h, err) < 0 ||
	    httpd_add_file(fx.h, "/small", fx.small, err) < 0 ||
	    httpd_add_file(fx.h, "/big", fx.big, err) < 0 ||
	    httpd_add_data(fx.h, "/boot.ipxe", IPXE, strlen(IPXE), err) < 0 ||
	    httpd_set_log(fx.h, fx.log, err) < 0) {
		print_error("%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	httpd_stop(fx.h);
	fx.h = NULL;
	return 0;
}

/* ---- client ---- */

static int client_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)httpd_port(fx.h));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL),
			 (ssize_t)strlen(s));
}

/* Read until the blank line; the status code, headers in *head. */
static int read_head(int fd, char **head)
{
	GString *s = g_string_new(NULL);
	int status = -1;
	char c;

	while (!strstr(s->str, "\r\n\r\n")) {
		assert_int_equal(recv(fd, &c, 1, 0), 1);
		g_string_append_c(s, c);
	}
	assert_int_equal(sscanf(s->str, "HTTP/1.1 %d ", &status), 1);
	*head = g_string_free(s, FALSE);
	return status;
}

/* Send raw, read the whole response up to the server's close. */
static void raw(const char *req, struct resp *r)
{
	int fd = client_connect();
	char buf[65536];
	ssize_t n;

	send_str(fd, req);
	r->status = read_head(fd, &r->head);
	r->body = g_byte_array_new();
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		g_byte_array_append(r->body, (guint8 *)buf, (guint)n);
	assert_int_equal(n, 0);	/* EOF, not a timeout */
	close(fd);
}

static void fetch(const char *method, const char *path, const char *range,
		  struct resp *r)
{
	char *req = g_strdup_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				    "%s%s%s\r\n", method, path,
				    range ? "Range: " : "", range ? range : "",
				    range ? "\r\n" : "");

	raw(req, r);
	g_free(req);
}

static void resp_clear(struct resp *r)
{
	g_free(r->head);
	if (r->body)
		g_byte_array_free(r->body, TRUE);
	memset(r, 0, sizeof(*r));
}

/* The value of header name, or NULL; g_free(). */
static char *header(const struct resp *r, const char *name)
{
	char *key = g_strdup_printf("\r\n%s: ", name);
	char *p = strstr(r->head, key), *v = NULL;

	if (p) {
		p += strlen(key);
		v = g_strndup(p, strcspn(p, "\r\n"));
	}
	g_free(key);
	return v;
}

static void assert_header(const struct resp *r, const char *name,
			  const char *want)
{
	char *v = header(r, name);

	if (!v || strcmp(v, want))
		fail_msg("%s: got '%s', want '%s'", name, v ? v : "(none)",
			 want);
	g_free(v);
}

/* Body equals the pattern from off for len bytes. */
static void assert_body(const struct resp *r, uint64_t off, uint64_t len)
{
	assert_int_equal(r->body->len, len);
	assert_memory_equal(r->body->data, fx.pat + off, len);
}

static struct httpd_stats stats(void)
{
	struct httpd_stats st;

	httpd_stats(fx.h, &st);
	return st;
}

static char *log_text(void)
{
	char *s = NULL;

	if (!g_file_get_contents(fx.log, &s, NULL, NULL))
		return g_strdup("");
	return s;
}

/* ---- tests ---- */

static void test_full(void **state)
{
	struct resp r = { 0 };
	struct httpd_stats st;
	char *log;

	(void)state;
	fetch("GET", "/small", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_header(&r, "Content-Length", "100000");
	assert_null(header(&r, "Content-Range"));
	assert_body(&r, 0, SMALL);
	resp_clear(&r);

	fetch("GET", "/big?x=1", NULL, &r);	/* query ignored; streamed */
	assert_int_equal(r.status, 200);
	assert_body(&r, 0, BIG);
	resp_clear(&r);

	fetch("GET", "/boot.ipxe", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body->len, strlen(IPXE));
	assert_memory_equal(r.body->data, IPXE, strlen(IPXE));
	resp_clear(&r);

	st = stats();
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.range_requests, 0);
	assert_int_equal(st.completed, 3);
	assert_int_equal(st.aborted, 0);
	assert_int_equal(st.bytes_sent, SMALL + BIG + strlen(IPXE));
	log = log_text();
	assert_non_null(strstr(log, "GET /small range=- 200 sent=100000 "
			       "complete\n"));
	g_free(log);
}

static void test_range(void **state)
{
	struct resp r = { 0 };
	struct httpd_stats st;
	char *log;

	(void)state;
	fetch("GET", "/small", "bytes=1000-", &r);
	assert_int_equal(r.status, 206);
	assert_header(&r, "Content-Range", "bytes 1000-99999/100000");
	assert_header(&r, "Content-Length", "99000");
	assert_body(&r, 1000, SMALL - 1000);
	resp_clear(&r);

	fetch("GET", "/small", "bytes=1000-1999", &r);
	assert_int_equal(r.status, 206);
	assert_header(&r, "Content-Range", "bytes 1000-1999/100000");
	assert_body(&r, 1000, 1000);
	resp_clear(&r);

	/* the end is clamped to the file */
	fetch("GET", "/small", "bytes=99990-200000", &r);
	assert_int_equal(r.status, 206);
	assert_header(&r, "Content-Range", "bytes 99990-99999/100000");
	assert_body(&r, 99990, 10);
	resp_clear(&r);

	fetch("GET", "/big", "bytes=30000000-", &r);
	assert_int_equal(r.status, 206);
	assert_body(&r, 30000000, BIG - 30000000);
	resp_clear(&r);

	fetch("GET", "/boot.ipxe", "bytes=7-", &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body->len, strlen(IPXE) - 7);
	assert_memory_equal(r.body->data, IPXE + 7, strlen(IPXE) - 7);
	resp_clear(&r);

	st = stats();
	assert_int_equal(st.requests, 5);
	assert_int_equal(st.range_requests, 5);
	assert_int_equal(st.completed, 5);
	assert_int_equal(st.bytes_sent, 99000 + 1000 + 10 +
			 (BIG - 30000000) + strlen(IPXE) - 7);
	log = log_text();
	assert_non_null(strstr(log, "GET /small range=bytes=1000-1999 206 "
			       "sent=1000 complete\n"));
	g_free(log);
}

static void test_errors(void **state)
{
	struct resp r = { 0 };
	struct httpd_stats st;

	(void)state;
	fetch("GET", "/nope", NULL, &r);
	assert_int_equal(r.status, 404);
	resp_clear(&r);

	fetch("GET", "/small", "bytes=100000-", &r);
	assert_int_equal(r.status, 416);
	assert_header(&r, "Content-Range", "bytes */100000");
	resp_clear(&r);

	fetch("GET", "/small", "bytes=junk", &r);
	assert_int_equal(r.status, 400);
	resp_clear(&r);

	fetch("GET", "/small", "bytes=0-10,20-30", &r);
	assert_int_equal(r.status, 400);
	resp_clear(&r);

	fetch("GET", "/small", "bytes=10-5", &r);
	assert_int_equal(r.status, 400);
	resp_clear(&r);

	fetch("GET", "/small", "bytes=-10", &r);	/* suffix: not ours */
	assert_int_equal(r.status, 400);
	resp_clear(&r);

	fetch("POST", "/small", NULL, &r);
	assert_int_equal(r.status, 405);
	resp_clear(&r);

	raw("HELLO\r\n\r\n", &r);
	assert_int_equal(r.status, 400);
	/* error bodies have their Content-Length too */
	assert_header(&r, "Content-Length", "16");
	assert_int_equal(r.body->len, 16);
	resp_clear(&r);

	raw("GET /small HTTP/9\r\n\r\n", &r);
	assert_int_equal(r.status, 400);
	resp_clear(&r);

	st = stats();
	assert_int_equal(st.requests, 9);
	assert_int_equal(st.completed, 9);
	assert_int_equal(st.aborted, 0);
}

static void test_head(void **state)
{
	struct resp r = { 0 };

	(void)state;
	fetch("HEAD", "/small", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_header(&r, "Content-Length", "100000");
	assert_header(&r, "Accept-Ranges", "bytes");
	assert_int_equal(r.body->len, 0);
	resp_clear(&r);

	fetch("HEAD", "/big", "bytes=100-", &r);
	assert_int_equal(r.status, 206);
	assert_header(&r, "Content-Length", "33554332");
	assert_int_equal(r.body->len, 0);
	resp_clear(&r);

	assert_int_equal(stats().bytes_sent, 0);
	assert_int_equal(stats().completed, 2);
}

static void test_api_errors(void **state)
{
	struct httpd *h = NULL;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(httpd_start("bogus", 0, &h, err), -1);
	assert_null(h);
	assert_non_null(strstr(err, "invalid listen address"));
	assert_int_equal(httpd_start("127.0.0.1", httpd_port(fx.h), &h, err),
			 -1);
	assert_non_null(strstr(err, "cannot listen"));
	assert_int_equal(httpd_add_file(fx.h, "/x", "/nonexistent", err), -1);
	assert_non_null(strstr(err, "cannot open '/nonexistent'"));
	assert_int_equal(httpd_add_file(fx.h, "/x", fx.dir, err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(httpd_add_file(fx.h, "x", fx.small, err), -1);
	assert_non_null(strstr(err, "must start with '/'"));
	assert_int_equal(httpd_set_log(fx.h, "/nonexistent/log", err), -1);
	httpd_stop(NULL);
}

/* Wait until pred(stats) holds, at most ms. */
static bool wait_stats(bool (*pred)(const struct httpd_stats *), int ms)
{
	int64_t deadline = mono_ms() + ms;
	struct httpd_stats st;

	for (;;) {
		httpd_stats(fx.h, &st);
		if (pred(&st))
			return true;
		if (deadline_left(deadline) == 0)
			return false;
		poll(NULL, 0, 10);
	}
}

static bool one_aborted(const struct httpd_stats *st)
{
	return st->aborted == 1;
}

static bool one_completed(const struct httpd_stats *st)
{
	return st->completed == 1;
}

static void test_abort(void **state)
{
	int fd = client_connect();
	char *head, buf[4096], *log;

	(void)state;
	send_str(fd, "GET /big HTTP/1.1\r\n\r\n");
	assert_int_equal(read_head(fd, &head), 200);
	assert_true(recv(fd, buf, sizeof(buf), MSG_WAITALL) > 0);
	close(fd);	/* unread data: the kernel resets the connection */
	assert_true(wait_stats(one_aborted, 10000));
	assert_int_equal(stats().completed, 0);
	assert_true(stats().bytes_sent < BIG);
	log = log_text();
	assert_non_null(strstr(log, "GET /big range=- 200 sent="));
	assert_non_null(strstr(log, " aborted\n"));
	g_free(log);
	g_free(head);
}

static void test_rate(void **state)
{
	struct resp r = { 0 };
	int64_t t0, ms;

	(void)state;
	/* 512 KiB at 1 MiB/s: about half a second */
	httpd_set_rate(fx.h, 1 << 20);
	t0 = mono_ms();
	fetch("GET", "/big", "bytes=0-524287", &r);
	ms = mono_ms() - t0;
	assert_body(&r, 0, 524288);
	resp_clear(&r);
	print_message("# throttled: %" PRId64 " ms\n", ms);
	if (ms < 250 || ms > 5000)
		fail_msg("512 KiB at 1 MiB/s took %" PRId64 " ms", ms);

	/* the control: unthrottled, the same fetch is quick */
	httpd_set_rate(fx.h, 0);
	t0 = mono_ms();
	fetch("GET", "/big", "bytes=0-524287", &r);
	ms = mono_ms() - t0;
	assert_body(&r, 0, 524288);
	resp_clear(&r);
	print_message("# unthrottled: %" PRId64 " ms\n", ms);
	assert_true(ms < 250);
}

/* Wait until the server has sent some body and then nothing for 200 ms. */
static bool wait_stalled(int ms)
{
	int64_t deadline = mono_ms() + ms;
	uint64_t last = 0, now;

	while (deadline_left(deadline) > 0) {
		poll(NULL, 0, 200);
		now = stats().bytes_sent;
		if (now > 0 && now == last)
			return true;
		last = now;
	}
	return false;
}

struct stopper {
	GMutex lock;
	GCond cond;
	bool done;
	struct httpd *h;
};

static gpointer stop_thread(gpointer p)
{
	struct stopper *s = p;

	httpd_stop(s->h);
	g_mutex_lock(&s->lock);
	s->done = true;
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->lock);
	return NULL;
}

static void test_stop_midtransfer(void **state)
{
	static struct stopper s;	/* outlives a hung stop */
	int fd = client_connect(), idle = client_connect();
	char *head, *log, buf[65536];
	int64_t t0, ms, deadline;
	uint64_t got = 0;
	ssize_t n;

	(void)state;
	send_str(fd, "GET /big HTTP/1.1\r\n\r\n");
	assert_int_equal(read_head(fd, &head), 200);
	/* the client reads nothing more; wait until the server is stuck */
	assert_true(wait_stalled(10000));

	g_mutex_init(&s.lock);
	g_cond_init(&s.cond);
	s.h = fx.h;
	fx.h = NULL;	/* the teardown must not stop it again */
	t0 = mono_ms();
	deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	g_thread_unref(g_thread_new("stop", stop_thread, &s));
	g_mutex_lock(&s.lock);
	while (!s.done && g_cond_wait_until(&s.cond, &s.lock, deadline))
		;
	g_mutex_unlock(&s.lock);
	ms = mono_ms() - t0;
	if (!s.done)
		fail_msg("httpd_stop() still blocked after 5 s");
	print_message("# stop took %" PRId64 " ms\n", ms);
	assert_true(ms < 2000);

	/* the stalled client sees its connection end short of the file */
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		got += (uint64_t)n;
	assert_true(n == 0 || errno == ECONNRESET);
	assert_true(got < BIG);
	assert_int_equal(recv(idle, buf, sizeof(buf), 0), 0);
	log = log_text();
	assert_non_null(strstr(log, "GET /big range=- 200 sent="));
	assert_non_null(strstr(log, " aborted\n"));
	g_free(log);
	g_free(head);
	close(fd);
	close(idle);
}

static void test_busybox_resume(void **state)
{
	char *dest = g_build_filename(fx.dir, "wget.out", NULL);
	char *url = g_strdup_printf("http://127.0.0.1:%d/big",
				    httpd_port(fx.h));
	char *argv[] = { "/bin/busybox", "wget", "-c", "-q", "-O", dest, url,
			 NULL };
	const uint64_t part = 5000000;
	struct proc_result res = { 0 };
	struct httpd_stats st;
	char err[ERRLEN], *got = NULL, *log;
	size_t len = 0;

	(void)state;
	if (access("/bin/busybox", X_OK) != 0) {
		g_free(dest);
		g_free(url);
		skip();
	}
	/* a partial download: the first part bytes */
	assert_true(g_file_set_contents(dest, (char *)fx.pat, part, NULL));
	if (spawn_run(argv, 60000, &res, err) < 0)
		fail_msg("%s", err);
	if (res.status != 0)
		fail_msg("busybox wget exited %d: %s", res.status, res.errout);
	proc_result_clear(&res);
	assert_int_equal(file_read(dest, &got, &len, err), 0);
	assert_int_equal(len, BIG);
	assert_memory_equal(got, fx.pat, BIG);
	/* it resumed: only the rest crossed the wire.  wget stops reading at
	 * Content-Length, maybe before the server counted the request */
	assert_true(wait_stats(one_completed, 10000));
	st = stats();
	assert_int_equal(st.range_requests, 1);
	assert_int_equal(st.bytes_sent, BIG - part);
	assert_int_equal(st.completed, 1);
	log = log_text();
	assert_non_null(strstr(log, "GET /big range=bytes=5000000- 206 "
			       "sent=28554432 complete\n"));
	g_free(log);
	g_free(got);
	g_free(dest);
	g_free(url);
}

/* The parsers alone (also fuzzed: fuzz/fuzz_httpd.c). */
static void test_parsers(void **state)
{
	char *method = NULL, *path = NULL, *range = NULL;
	uint64_t off = 0, len = 0;
	char buf[256];

	(void)state;
	snprintf(buf, sizeof(buf), "GET /a?b HTTP/1.1\r\nrange:  bytes=5- "
		 "\r\nRange: bytes=1-2\r\n\r\n");
	assert_int_equal(httpd_parse_request(buf, &method, &path, &range), 0);
	assert_string_equal(method, "GET");
	assert_string_equal(path, "/a");
	assert_string_equal(range, "bytes=1-2");	/* the last one */
	/* no blank line ending the header: not a request, nothing set */
	method = path = range = NULL;
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nRange: bytes=0-\r\n");
	assert_int_equal(httpd_parse_request(buf, &method, &path, &range), -1);
	assert_null(method);
	assert_null(path);
	assert_null(range);
	snprintf(buf, sizeof(buf), "GET x HTTP/1.1\r\n\r\n");
	assert_int_equal(httpd_parse_request(buf, &method, &path, &range), -1);
	snprintf(buf, sizeof(buf), "GET / HTTP/2\r\n\r\n");
	assert_int_equal(httpd_parse_request(buf, &method, &path, &range), -1);

	assert_int_equal(httpd_parse_range("bytes=10-", 100, &off, &len), 0);
	assert_int_equal(off, 10);
	assert_int_equal(len, 90);
	assert_int_equal(httpd_parse_range("bytes=10-1000", 100, &off, &len),
			 0);
	assert_int_equal(len, 90);
	assert_int_equal(httpd_parse_range("bytes=0-0", 1, &off, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(httpd_parse_range("bytes=100-", 100, &off, &len), 1);
	assert_int_equal(httpd_parse_range("bytes=0-", 0, &off, &len), 1);
	assert_int_equal(httpd_parse_range("bytes=5-4", 100, &off, &len), -1);
	assert_int_equal(httpd_parse_range("bytes=-5", 100, &off, &len), -1);
	assert_int_equal(httpd_parse_range("bytes=1-2,4-5", 100, &off, &len),
			 -1);
	assert_int_equal(httpd_parse_range("bytes=18446744073709551615-", 100,
					   &off, &len), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_midtransfer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_busybox_resume, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
