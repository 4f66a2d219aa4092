/*
 * test_spawn.c - spawn_run() (harness/util.c): what a host program prints
 * is kept up to SPAWN_OUTPUT_MAX a stream, and the result says when it was
 * cut (issue 10, item 2: it was kept without a bound).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "util.h"

static void run_sh(const char *script, struct proc_result *r)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	char err[ERRLEN] = "";

	if (spawn_run(argv, 60000, r, err) < 0)
		fail_msg("spawn_run: %s", err);
	assert_false(r->timed_out);
}

static void test_small(void **state)
{
	struct proc_result r;

	(void)state;
	run_sh("echo out; echo err >&2; exit 3", &r);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, "out\n");
	assert_string_equal(r.errout, "err\n");
	assert_int_equal(r.out_cut, 0);
	assert_int_equal(r.err_cut, 0);
	proc_result_clear(&r);
}

/* Exactly at the cap is whole; one byte more is cut, the rest drained. */
static void test_stdout_cap(void **state)
{
	struct proc_result r;
	char *cmd;

	(void)state;
	cmd = g_strdup_printf("head -c %u /dev/zero | tr '\\000' a",
			      SPAWN_OUTPUT_MAX);
	run_sh(cmd, &r);
	g_free(cmd);
	assert_int_equal(r.status, 0);
	assert_int_equal(strlen(r.out), SPAWN_OUTPUT_MAX);
	assert_int_equal(r.out_cut, 0);
	proc_result_clear(&r);

	/* the program ends normally: it is never blocked on a full pipe */
	cmd = g_strdup_printf("head -c %u /dev/zero | tr '\\000' a; "
			      "echo end >&2; exit 7", 3 * SPAWN_OUTPUT_MAX + 1);
	run_sh(cmd, &r);
	g_free(cmd);
	assert_int_equal(r.status, 7);
	assert_int_equal(strlen(r.out), SPAWN_OUTPUT_MAX);
	assert_int_equal(r.out_cut, SPAWN_OUTPUT_MAX);
	assert_string_equal(r.errout, "end\n");
	assert_int_equal(r.err_cut, 0);
	for (size_t i = 0; i < SPAWN_OUTPUT_MAX; i += 4096)
		assert_int_equal(r.out[i], 'a');
	proc_result_clear(&r);
	assert_int_equal(r.out_cut, 0);	/* cleared too */
}

static void test_stderr_cap(void **state)
{
	struct proc_result r;
	char *cmd;

	(void)state;
	cmd = g_strdup_printf("head -c %u /dev/zero | tr '\\000' e >&2; "
			      "echo fine", SPAWN_OUTPUT_MAX + 1);
	run_sh(cmd, &r);
	g_free(cmd);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "fine\n");
	assert_int_equal(r.out_cut, 0);
	assert_int_equal(strlen(r.errout), SPAWN_OUTPUT_MAX);
	assert_int_equal(r.err_cut, SPAWN_OUTPUT_MAX);
	proc_result_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_stdout_cap),
		cmocka_unit_test(test_stderr_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
