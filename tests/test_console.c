/*
 * test_console.c - harness/console.c: the readiness marker, NICQ-ERROR
 * lines, fatal signs, and reading a console log as it grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "util.h"

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF"
#define KEY2 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static struct console_scan *fed(const char *marker, const void *buf,
				size_t len)
{
	struct console_scan *cs = console_scan_new("/nonexistent", marker);

	console_scan_feed(cs, buf, len);
	return cs;
}

static struct console_scan *feds(const char *text)
{
	return fed(NULL, text, strlen(text));
}

static void assert_ready(const struct console_scan *cs, const char *key,
			 const char *ifaces)
{
	const struct console_seen *s = console_scan_seen(cs);

	assert_true(s->ready);
	if (s->bad)
		fail_msg("marker judged malformed: %s", s->bad);
	assert_string_equal(s->hostkey, key);
	if (ifaces)
		assert_string_equal(s->ifaces, ifaces);
	else
		assert_null(s->ifaces);
}

static void assert_bad(const struct console_scan *cs, const char *why)
{
	const struct console_seen *s = console_scan_seen(cs);

	assert_true(s->ready);
	assert_non_null(s->bad);
	if (!strstr(s->bad, why))
		fail_msg("wanted '%s' in '%s'", why, s->bad);
	assert_null(s->hostkey);
}

static void test_marker(void **state)
{
	struct console_scan *cs;

	(void)state;
	cs = feds("[    1.0] booting\r\nNICQ-READY hostkey-sha256=" KEY
		  " ifaces=eth0=52:54:00:12:34:56,eth1=52:54:00:12:34:57\r\n");
	assert_ready(cs, KEY, "eth0=52:54:00:12:34:56,eth1=52:54:00:12:34:57");
	assert_null(console_scan_seen(cs)->errors);
	console_scan_free(cs);

	/* no ifaces, extra words ignored, tabs */
	cs = feds("NICQ-READY future=1\thostkey-sha256=" KEY "\tmore\n");
	assert_ready(cs, KEY, NULL);
	console_scan_free(cs);

	/* the marker needs its newline */
	cs = feds("NICQ-READY hostkey-sha256=" KEY " ifaces=eth0=x");
	assert_false(console_scan_seen(cs)->ready);
	console_scan_feed(cs, "\n", 1);
	assert_ready(cs, KEY, "eth0=x");
	console_scan_free(cs);

	/* mid-line, after a kernel message without its newline */
	cs = feds("[ 5.1] virtio_net virtio0 eth0: renamed NICQ-READY "
		  "hostkey-sha256=" KEY "\n");
	assert_ready(cs, KEY, NULL);
	console_scan_free(cs);
}

/* Issue 10, item 4: a NUL byte before the marker hid it (strstr). */
static void test_marker_after_nul(void **state)
{
	static const char text[] = "garbage\0\0more\0\nNICQ\0-READY x\n"
		"\0NICQ-READY hostkey-sha256=" KEY " ifaces=eth0=a\n";
	struct console_scan *cs;

	(void)state;
	cs = fed(NULL, text, sizeof(text) - 1);
	assert_ready(cs, KEY, "eth0=a");
	console_scan_free(cs);
}

/*
 * Issue 10, item 4: the fields were searched for in the whole rest of the
 * console, so a hostkey-sha256= on a later line became the pin.
 */
static void test_marker_line_only(void **state)
{
	struct console_scan *cs;

	(void)state;
	cs = feds("NICQ-READY ifaces=eth0=52:54:00:12:34:56\n"
		  "hostkey-sha256=" KEY "\n");
	assert_bad(cs, "no hostkey-sha256=");
	console_scan_free(cs);

	/* ... and a later one does not replace the first */
	cs = feds("NICQ-READY hostkey-sha256=" KEY "\n"
		  "NICQ-READY hostkey-sha256=" KEY2 "\n");
	assert_ready(cs, KEY, NULL);
	console_scan_free(cs);

	/* nor does a later line's ifaces= */
	cs = feds("NICQ-READY hostkey-sha256=" KEY "\nifaces=evil=1\n");
	assert_ready(cs, KEY, NULL);
	console_scan_free(cs);
}

static void test_marker_malformed(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "NICQ-READY hostkey-sha256=abc\n", "3 characters" },
		{ "NICQ-READY hostkey-sha256=" KEY "0\n", "65 characters" },
		{ "NICQ-READY hostkey-sha256=" KEY " hostkey-sha256=" KEY "\n",
		  "twice" },
		{ "NICQ-READY hostkey-sha256=" KEY " ifaces=a ifaces=b\n",
		  "ifaces= given twice" },
		{ "NICQ-READY hostkey-sha256=" KEY " ifaces=eth0=$(x)\n",
		  "unexpected byte (0x24)" },
		{ "NICQ-READY hostkey-sha256=0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdeg\n", "not a hex digit" },
		{ "NICQ-READY \n", "no hostkey-sha256=" },
		{ "NICQ-READY xhostkey-sha256=" KEY "\n", "no hostkey" },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct console_scan *cs = feds(cases[i].text);

		assert_bad(cs, cases[i].why);
		console_scan_free(cs);
	}
}

static void test_marker_nul_inside(void **state)
{
	static const char text[] = "NICQ-READY hostkey-sha256=0123\0"
		"56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
	struct console_scan *cs = fed(NULL, text, sizeof(text) - 1);

	(void)state;
	assert_bad(cs, "not a hex digit (0x00)");
	console_scan_free(cs);
}

static void test_marker_overlong(void **state)
{
	GString *t = g_string_new("NICQ-READY hostkey-sha256=" KEY " ");
	struct console_scan *cs;

	(void)state;
	while (t->len <= CONSOLE_LINE_MAX + 20)
		g_string_append(t, "x=y ");
	g_string_append(t, "\n");
	cs = feds(t->str);
	assert_bad(cs, "longer than 4096 bytes");
	console_scan_free(cs);
	g_string_free(t, TRUE);
}

/* Fed one byte at a time, the same marker is found. */
static void test_bytewise(void **state)
{
	const char *text = "x\r\nNICQ-ERROR one\r\nNICQ-NICQ-READY "
			   "hostkey-sha256=" KEY " ifaces=eth0=m\r\n";
	struct console_scan *cs = console_scan_new("/nonexistent", NULL);

	(void)state;
	for (size_t i = 0; text[i]; i++)
		console_scan_feed(cs, text + i, 1);
	assert_ready(cs, KEY, "eth0=m");
	assert_string_equal(console_scan_seen(cs)->errors, "one");
	console_scan_free(cs);
}

/* A marker after megabytes without a newline, in the same line. */
static void test_long_line(void **state)
{
	size_t n = 20u << 20;
	char *big = g_malloc(n);
	const char *tail = "NICQ-READY hostkey-sha256=" KEY "\n";
	struct console_scan *cs = console_scan_new("/nonexistent", NULL);

	(void)state;
	memset(big, 'N', n);	/* an almost-pattern everywhere */
	console_scan_feed(cs, big, n);
	assert_false(console_scan_seen(cs)->ready);
	console_scan_feed(cs, tail, strlen(tail));
	assert_ready(cs, KEY, NULL);
	assert_int_equal(console_scan_seen(cs)->bytes, n + strlen(tail));
	console_scan_free(cs);
	g_free(big);
}

static void test_errors(void **state)
{
	GString *t = g_string_new(NULL);
	struct console_scan *cs;
	const char *e;

	(void)state;
	cs = feds("NICQ-ERROR unknown MAC 52:54:00:00:00:09\n"
		  "x NICQ-ERROR MTU\x01 refused\n"
		  "NICQ-READY hostkey-sha256=" KEY "\n"
		  "NICQ-ERROR after the marker\n");
	assert_ready(cs, KEY, NULL);
	assert_string_equal(console_scan_seen(cs)->errors,
			    "unknown MAC 52:54:00:00:00:09; MTU? refused");
	console_scan_free(cs);

	/* bounded: count and length */
	for (int i = 0; i < CONSOLE_ERRORS + 5; i++)
		g_string_append_printf(t, "NICQ-ERROR e%d\n", i);
	g_string_append(t, "NICQ-ERROR ");
	for (int i = 0; i < 1000; i++)
		g_string_append_c(t, 'z');
	g_string_append_c(t, '\n');
	cs = feds(t->str);
	e = console_scan_seen(cs)->errors;
	assert_non_null(strstr(e, "e0; e1; "));
	assert_non_null(strstr(e, "e15; and 6 more"));
	assert_null(strstr(e, "e16"));
	console_scan_free(cs);

	g_string_assign(t, "NICQ-ERROR ");
	for (int i = 0; i < 1000; i++)
		g_string_append_c(t, 'z');
	g_string_append_c(t, '\n');
	cs = feds(t->str);
	e = console_scan_seen(cs)->errors;
	assert_int_equal(strlen(e), CONSOLE_ERROR_MAX + 3);
	assert_true(g_str_has_suffix(e, "zzz..."));
	console_scan_free(cs);
	g_string_free(t, TRUE);
}

static void test_fatal_signs(void **state)
{
	static const char panic[] = "ok\n\0[ 3.0] Kernel pa";
	struct console_scan *cs;

	(void)state;
	cs = fed(NULL, panic, sizeof(panic) - 1);
	assert_false(console_scan_seen(cs)->panic);
	console_scan_feed(cs, "nic - not syncing", 17);	/* no newline */
	assert_true(console_scan_seen(cs)->panic);
	console_scan_free(cs);

	cs = feds("iPXE\r\nNo bootable device.\r\n");
	assert_true(console_scan_seen(cs)->no_boot);
	assert_false(console_scan_seen(cs)->ready);
	console_scan_free(cs);

	cs = feds("NICQ-READY hostkey-sha256=" KEY "\nNo bootable device\n");
	assert_ready(cs, KEY, NULL);
	assert_false(console_scan_seen(cs)->no_boot);
	console_scan_free(cs);
}

static void test_caller_marker(void **state)
{
	static const char text[] = "PM: restore\0d NICQ-NICQ-RESUMED";
	struct console_scan *cs;

	(void)state;
	/* a pattern that overlaps itself: "NICQ-NICQ-R" in "NICQ-NICQ-NICQ-R" */
	cs = fed("NICQ-NICQ-R", "NICQ-NICQ-NICQ-R\n", 17);
	assert_true(console_scan_seen(cs)->marker);
	console_scan_free(cs);

	cs = fed("NICQ-RESUMED", text, sizeof(text) - 1);
	assert_false(console_scan_seen(cs)->marker);	/* no newline yet */
	console_scan_feed(cs, "\r\n", 2);
	assert_true(console_scan_seen(cs)->marker);
	assert_false(console_scan_seen(cs)->ready);
	console_scan_free(cs);

	cs = feds("NICQ-RESUMED\n");	/* nobody asked for it */
	assert_false(console_scan_seen(cs)->marker);
	console_scan_free(cs);
}

/* ---- reading the file ---- */

static char *tmpdir(void)
{
	char *d = g_strdup("/tmp/nicq-test-console.XXXXXX");

	assert_non_null(g_mkdtemp(d));
	return d;
}

static void append(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void test_poll_incremental(void **state)
{
	char *dir = tmpdir(), *path = g_strdup_printf("%s/console.log", dir);
	char *other = g_strdup_printf("%s/other.log", dir);
	struct console_scan *cs = console_scan_new(path, NULL);
	const char *m = "NICQ-READY hostkey-sha256=" KEY "\n";

	(void)state;
	console_scan_poll(cs);	/* no file yet */
	assert_int_equal(console_scan_seen(cs)->bytes, 0);
	append(path, "boot\nNICQ-ERROR e1\nNICQ-READY host", 34);
	console_scan_poll(cs);
	assert_int_equal(console_scan_seen(cs)->bytes, 34);
	assert_false(console_scan_seen(cs)->ready);
	assert_string_equal(console_scan_seen(cs)->errors, "e1");
	console_scan_poll(cs);	/* nothing new: nothing read again */
	assert_int_equal(console_scan_seen(cs)->bytes, 34);
	append(path, "key-sha256=" KEY "\n", 76);
	console_scan_poll(cs);
	assert_int_equal(console_scan_seen(cs)->bytes, 110);
	assert_ready(cs, KEY, NULL);

	/* replaced by another file: a new console */
	append(other, "NICQ-ERROR e2\n", 14);
	assert_int_equal(rename(other, path), 0);
	console_scan_poll(cs);
	assert_false(console_scan_seen(cs)->ready);
	assert_string_equal(console_scan_seen(cs)->errors, "e2");
	assert_int_equal(console_scan_seen(cs)->bytes, 14);

	/* truncated in place, shorter than what was read: a new console */
	assert_int_equal(truncate(path, 0), 0);
	append(path, "NICQ-ERROR 3\n", 13);
	console_scan_poll(cs);
	assert_string_equal(console_scan_seen(cs)->errors, "3");
	append(path, m, strlen(m));
	console_scan_poll(cs);
	assert_ready(cs, KEY, NULL);
	console_scan_free(cs);
	rm_rf(dir, NULL);
	g_free(other);
	g_free(path);
	g_free(dir);
}

/* A guest that floods its console: each poll reads a bounded slice. */
static void test_poll_bounded(void **state)
{
	char *dir = tmpdir(), *path = g_strdup_printf("%s/console.log", dir);
	struct console_scan *cs = console_scan_new(path, NULL);
	size_t n = 2 * CONSOLE_READ_MAX + 1000;
	char *big = g_malloc(n);
	const char *m = "NICQ-READY hostkey-sha256=" KEY "\n";

	(void)state;
	memset(big, 'x', n);
	append(path, big, n);
	append(path, m, strlen(m));
	console_scan_poll(cs);
	assert_int_equal(console_scan_seen(cs)->bytes, CONSOLE_READ_MAX);
	console_scan_poll(cs);
	assert_int_equal(console_scan_seen(cs)->bytes, 2 * CONSOLE_READ_MAX);
	assert_false(console_scan_seen(cs)->ready);
	console_scan_poll(cs);
	assert_int_equal(console_scan_seen(cs)->bytes, n + strlen(m));
	assert_ready(cs, KEY, NULL);
	console_scan_free(cs);
	rm_rf(dir, NULL);
	g_free(big);
	g_free(path);
	g_free(dir);
}

/* Not followed through a symlink, not blocked on a FIFO. */
static void test_poll_not_regular(void **state)
{
	char *dir = tmpdir(), *path = g_strdup_printf("%s/console.log", dir);
	char *real = g_strdup_printf("%s/real.log", dir);
	const char *m = "NICQ-READY hostkey-sha256=" KEY "\n";
	struct console_scan *cs = console_scan_new(path, NULL);

	(void)state;
	append(real, m, strlen(m));
	assert_int_equal(symlink(real, path), 0);
	console_scan_poll(cs);
	assert_int_equal(console_scan_seen(cs)->bytes, 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	console_scan_poll(cs);
	assert_int_equal(console_scan_seen(cs)->bytes, 0);
	console_scan_free(cs);
	console_scan_free(NULL);
	rm_rf(dir, NULL);
	g_free(real);
	g_free(path);
	g_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marker),
		cmocka_unit_test(test_marker_after_nul),
		cmocka_unit_test(test_marker_line_only),
		cmocka_unit_test(test_marker_malformed),
		cmocka_unit_test(test_marker_nul_inside),
		cmocka_unit_test(test_marker_overlong),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_fatal_signs),
		cmocka_unit_test(test_caller_marker),
		cmocka_unit_test(test_poll_incremental),
		cmocka_unit_test(test_poll_bounded),
		cmocka_unit_test(test_poll_not_regular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
