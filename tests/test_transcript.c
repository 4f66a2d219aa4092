/*
 * test_transcript.c - the one writer of transcript.txt (harness/
 * transcript.c): the line an entry starts on is what expectations cite as
 * evidence ("transcript.txt:<line>"), so it must point at the entry's
 * "=== #" line in the file, whatever came before; output over
 * TRANSCRIPT_MAX is cut with a line saying so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transcript.h"
#include "util.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = g_dir_make_tmp("nicq-transcript-XXXXXX", NULL);
	return dir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (!getenv("NICQ_TEST_KEEP"))
		rm_rf(dir, NULL);
	g_free(dir);
	dir = NULL;
	return 0;
}

static struct transcript_rec rec(const char *cmd, const char *out,
				 const char *err)
{
	struct transcript_rec r = { 0 };

	r.where = "root@198.18.10.10:22";
	r.cmd = cmd;
	clock_gettime(CLOCK_REALTIME, &r.wall_start);
	r.mono_start = mono_ms();
	r.outcome = "exit 0";
	r.elapsed_ms = 41;
	r.out = out;
	r.out_len = out ? strlen(out) : 0;
	r.err = err;
	r.err_len = err ? strlen(err) : 0;
	return r;
}

/* Line n (1-based) of the file, g_free(). */
static char *line_of(const char *path, unsigned n)
{
	char *text, *out = NULL, err[ERRLEN];
	gchar **lines;

	if (file_read(path, &text, NULL, err) < 0)
		fail_msg("%s", err);
	lines = g_strsplit(text, "\n", -1);
	if (n >= 1 && n <= g_strv_length(lines))
		out = g_strdup(lines[n - 1]);
	g_strfreev(lines);
	g_free(text);
	if (!out)
		fail_msg("%s has no line %u", path, n);
	return out;
}

/* Line line of path starts entry #seq (0: any) of command cmd. */
static void expect_entry_at(const char *path, unsigned line, unsigned seq,
			    const char *cmd)
{
	char *l = line_of(path, line);
	char *want = seq ? g_strdup_printf("=== #%u ", seq) :
		     g_strdup("=== #");
	char *next = line_of(path, line + 1), *dollar;

	if (!g_str_has_prefix(l, want))
		fail_msg("line %u is '%s', not entry #%u", line, l, seq);
	dollar = g_strdup_printf("$ %s", cmd);
	assert_string_equal(next, dollar);
	g_free(dollar);
	g_free(l);
	g_free(next);
	g_free(want);
}

static void test_lines(void **state)
{
	char *path = g_build_filename(dir, "transcript.txt", NULL);
	char err[ERRLEN] = "";
	struct transcript *t = transcript_open(path, err);
	struct transcript_rec r;
	unsigned l1, l2, l3, l4;

	(void)state;
	assert_non_null(t);
	assert_string_equal(transcript_path(t), path);
	assert_int_equal(transcript_last(t), 0);

	r = rec("ethtool -i eth0", "driver: e1000\nversion: 7.3.21\n", "");
	l1 = transcript_add(t, &r);
	assert_int_equal(l1, 1);
	assert_int_equal(transcript_last(t), 1);
	/* output without a final newline, and on stderr */
	r = rec("cat /sys/class/net/eth0/mtu", "1500", "warning\nagain");
	l2 = transcript_add(t, &r);
	/* no output at all, in the background, with an extra */
	r = rec("tcpdump -i vnet0", NULL, NULL);
	r.where = "host";
	r.background = true;
	r.outcome = "TIMED OUT, killed";
	r.extra = ", stdin 12 bytes";
	l3 = transcript_add(t, &r);
	/* many lines, CRs and an empty line */
	r = rec("dmesg", "a\r\nb\r\n\nc\n\n\n", "x\n");
	l4 = transcript_add(t, &r);
	assert_true(l1 < l2 && l2 < l3 && l3 < l4);
	assert_int_equal(transcript_last(t), l4);
	transcript_free(t);

	expect_entry_at(path, l1, 1, "ethtool -i eth0");
	expect_entry_at(path, l2, 2, "cat /sys/class/net/eth0/mtu");
	expect_entry_at(path, l3, 3, "tcpdump -i vnet0");
	expect_entry_at(path, l4, 4, "dmesg");
	/* what an entry reads */
	{
		char *h = line_of(path, l3), *o = line_of(path, l3 + 2);
		char *s = line_of(path, l3 + 3);

		assert_true(g_str_has_suffix(h, "Z host (background)"));
		assert_non_null(strstr(h, " +"));
		assert_string_equal(o, "TIMED OUT, killed, 41 ms, stdin 12 "
				    "bytes");
		assert_string_equal(s, "--- stdout (0 bytes)");
		g_free(h);
		g_free(o);
		g_free(s);
		h = line_of(path, l1);
		assert_true(g_str_has_suffix(h, "Z root@198.18.10.10:22"));
		g_free(h);
		s = line_of(path, l1 + 3);
		assert_string_equal(s, "--- stdout (30 bytes)");
		g_free(s);
		s = line_of(path, l2 + 4);
		assert_string_equal(s, "1500");	/* newline added */
		g_free(s);
		s = line_of(path, l2 + 5);
		assert_string_equal(s, "--- stderr (13 bytes)");
		g_free(s);
	}
	g_free(path);
}

static void test_truncated(void **state)
{
	char *path = g_build_filename(dir, "transcript.txt", NULL);
	char err[ERRLEN] = "", *text;
	struct transcript *t = transcript_open(path, err);
	struct transcript_rec r;
	GString *big = g_string_new(NULL);
	unsigned l1, l2;
	size_t more;

	(void)state;
	assert_non_null(t);
	/* many lines, so the line count of what is kept matters */
	while (big->len < TRANSCRIPT_MAX + 1000)
		g_string_append(big, "0123456789abcdef0123456789abcde\n");
	r = rec("seq 1 100000", big->str, "short\n");
	r.out_len = big->len;
	l1 = transcript_add(t, &r);
	r = rec("true", "", "");
	l2 = transcript_add(t, &r);
	transcript_free(t);
	expect_entry_at(path, l1, 1, "seq 1 100000");
	expect_entry_at(path, l2, 2, "true");

	assert_int_equal(file_read(path, &text, NULL, err), 0);
	{
		char *hdr = g_strdup_printf("--- stdout (%zu bytes, first %d "
					    "shown)\n", big->len,
					    TRANSCRIPT_MAX);
		const char *h = strstr(text, hdr), *cut;

		assert_non_null(h);
		/* the kept part is the first TRANSCRIPT_MAX bytes */
		h += strlen(hdr);
		assert_int_equal(memcmp(h, big->str, TRANSCRIPT_MAX), 0);
		cut = strstr(h, "[... truncated: ");
		assert_non_null(cut);
		assert_true(cut > h + TRANSCRIPT_MAX - 1);
		assert_int_equal(sscanf(cut, "[... truncated: %zu more bytes]",
					&more), 1);
		assert_int_equal(more, big->len - TRANSCRIPT_MAX);
		/* stderr follows, whole */
		assert_non_null(strstr(cut, "]\n--- stderr (6 bytes)\nshort\n"));
		g_free(hdr);
	}
	/* exactly TRANSCRIPT_MAX: not cut */
	g_free(text);
	assert_int_equal(unlink(path), 0);
	t = transcript_open(path, err);
	g_string_truncate(big, TRANSCRIPT_MAX);
	r = rec("exact", big->str, NULL);
	r.out_len = big->len;
	transcript_add(t, &r);
	transcript_free(t);
	assert_int_equal(file_read(path, &text, NULL, err), 0);
	assert_null(strstr(text, "truncated"));
	assert_non_null(strstr(text, "--- stdout (65536 bytes)\n"));
	g_free(text);
	g_string_free(big, TRUE);
	g_free(path);
}

/* A stream the command printed more of than nicq kept (util.h caps). */
static void test_output_cut(void **state)
{
	char *path = g_build_filename(dir, "transcript.txt", NULL);
	char err[ERRLEN] = "", *text = NULL;
	struct transcript *t = transcript_open(path, err);
	struct transcript_rec r;

	(void)state;
	assert_non_null(t);
	r = rec("big", "abc\n", "e\n");
	r.out_cut = 4;
	transcript_add(t, &r);
	r = rec("bigerr", "", "x");
	r.err_cut = 1;
	transcript_add(t, &r);
	transcript_free(t);
	assert_int_equal(file_read(path, &text, NULL, err), 0);
	assert_non_null(strstr(text, "$ big\nexit 0, 41 ms\n"
			       "--- stdout (4 bytes)\nabc\n"
			       "[stdout: output truncated at 4 bytes: the rest "
			       "was dropped]\n--- stderr (2 bytes)\ne\n\n"));
	assert_non_null(strstr(text, "--- stderr (1 bytes)\nx\n"
			       "[stderr: output truncated at 1 bytes: the rest "
			       "was dropped]\n\n"));
	assert_null(strstr(text, "[stderr: output truncated at 4"));
	g_free(text);
	g_free(path);
}

static void test_unwritable(void **state)
{
	char err[ERRLEN] = "";
	char *link = g_build_filename(dir, "link.txt", NULL);
	char *target = g_build_filename(dir, "target.txt", NULL);
	struct transcript_rec r = rec("x", "", "");

	(void)state;
	assert_null(transcript_open("/nonexistent/dir/transcript.txt", err));
	assert_non_null(strstr(err, "cannot open transcript "
			       "'/nonexistent/dir/transcript.txt'"));
	assert_non_null(strstr(err, "No such file or directory"));
	/* a directory is not a transcript */
	err[0] = '\0';
	assert_null(transcript_open(dir, err));
	assert_non_null(strstr(err, "cannot open transcript"));
	/* nor is a symlink followed */
	assert_int_equal(symlink(target, link), 0);
	err[0] = '\0';
	assert_null(transcript_open(link, err));
	assert_non_null(strstr(err, link));
	assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
	/* no transcript: entries are dropped, line 0 */
	assert_int_equal(transcript_add(NULL, &r), 0);
	assert_int_equal(transcript_last(NULL), 0);
	assert_null(transcript_path(NULL));
	transcript_free(NULL);
	g_free(link);
	g_free(target);
}

/*
 * BUG (harness/transcript.c): transcript_open() appends to an existing
 * file but counts lines from 0, so every line it returns is off by the
 * lines already there, and the evidence "transcript.txt:<line>" points at
 * the wrong entry.  The runner opens each point's transcript in a fresh
 * folder today, so only a reopened transcript shows it.
 */
static void test_append_lines(void **state)
{
	char *path;
	char err[ERRLEN] = "";
	struct transcript *t;
	struct transcript_rec r;
	unsigned l1, l2;

	(void)state;
	path = g_build_filename(dir, "transcript.txt", NULL);
	t = transcript_open(path, err);
	r = rec("first", "1\n2\n3\n", "");
	l1 = transcript_add(t, &r);
	transcript_free(t);
	t = transcript_open(path, err);
	assert_non_null(t);
	r = rec("second", "", "");
	l2 = transcript_add(t, &r);
	transcript_free(t);
	expect_entry_at(path, l1, 1, "first");
	expect_entry_at(path, l2, 0, "second");
	g_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_output_cut, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_append_lines, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
