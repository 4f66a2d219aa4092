/*
 * test_pcapgen.c - tests/pcapgen.c, the capture writer the other tests
 * use.
 *
 * pcapgen_open_tmp() made its file with mkstemps() and then opened it again
 * by name (issue 10, item 10), so whoever could write in the temporary
 * directory could swap the name for a symlink in between and have the
 * capture written elsewhere.  This test links with -Wl,--wrap=mkstemps
 * (see the Makefile): the wrapper below makes the file as usual, then does
 * that swap, moving the file away and putting a symlink to a victim file
 * in its place.  The capture must land in the file mkstemps made, and the
 * victim stay untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapgen.h"

int __real_mkstemps(char *tmpl, int suffixlen);
int __wrap_mkstemps(char *tmpl, int suffixlen);

static const char *victim;	/* where the swapped name points; NULL: no swap */
static char *moved;		/* where the real file went */

int __wrap_mkstemps(char *tmpl, int suffixlen)
{
	int fd = __real_mkstemps(tmpl, suffixlen);

	if (fd < 0 || !victim)
		return fd;
	moved = g_strdup_printf("%s.moved", tmpl);
	if (rename(tmpl, moved) < 0 || symlink(victim, tmpl) < 0)
		abort();
	return fd;
}

static char *tmpdir(void)
{
	char *d = g_strdup("/tmp/nicq-test-pcapgen.XXXXXX");

	assert_non_null(g_mkdtemp(d));
	return d;
}

static void write_one(struct pcapgen *g)
{
	static const uint8_t frame[60] = { 1, 2, 3, 4, 5, 6 };

	pcapgen_rec(g, frame, sizeof(frame), sizeof(frame));
	assert_int_equal(pcapgen_close(g), 0);
}

static void test_open_tmp_by_descriptor(void **state)
{
	char *dir = tmpdir(), *vpath = g_strdup_printf("%s/victim", dir);
	char err[PCAPGEN_ERRLEN] = "", *path = NULL, *text = NULL;
	struct pcapgen g;
	struct stat st;
	gsize len = 0;

	(void)state;
	assert_true(g_file_set_contents(vpath, "precious", -1, NULL));
	assert_int_equal(setenv("TMPDIR", dir, 1), 0);
	victim = vpath;
	if (pcapgen_open_tmp(&g, "t-", DLT_EN10MB, 65535, &path, err) < 0)
		fail_msg("%s", err);
	victim = NULL;
	write_one(&g);
	/* the victim is as it was */
	assert_true(g_file_get_contents(vpath, &text, &len, NULL));
	assert_string_equal(text, "precious");
	g_free(text);
	/* the capture is in the file mkstemps made: header + one record */
	assert_int_equal(stat(moved, &st), 0);
	assert_int_equal(st.st_size, 24 + 16 + 60);
	assert_int_equal(st.st_mode & 0777, 0600);
	unlink(path);
	unlink(moved);
	unlink(vpath);
	rmdir(dir);
	unsetenv("TMPDIR");
	free(path);
	g_free(moved);
	g_free(vpath);
	g_free(dir);
}

/* Without interference: the named file holds the capture. */
static void test_open_tmp(void **state)
{
	char *dir = tmpdir();
	char err[PCAPGEN_ERRLEN] = "", *path = NULL;
	struct pcapgen g;
	struct stat st;

	(void)state;
	assert_int_equal(setenv("TMPDIR", dir, 1), 0);
	if (pcapgen_open_tmp(&g, "t-", DLT_EN10MB, 65535, &path, err) < 0)
		fail_msg("%s", err);
	assert_true(g_str_has_prefix(path, dir));
	assert_true(g_str_has_suffix(path, ".pcap"));
	write_one(&g);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 24 + 16 + 60);
	unlink(path);
	rmdir(dir);
	unsetenv("TMPDIR");
	free(path);
	g_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_tmp),
		cmocka_unit_test(test_open_tmp_by_descriptor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
