/*
 * test_util.c - bounds on what nicq reads (harness/util.c; issue 10, item
 * 2: output and files were read without a bound): spawn_run() keeps up to
 * SPAWN_OUTPUT_MAX of each stream of a host program and says when it cut
 * one; file_read_max() reads at most what it is told, not through a
 * symlink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void test_file_read_max(void **state)
{
	char dir[] = "/tmp/nicq-test-util.XXXXXX", *path, *link, *text = NULL;
	size_t len = 0;
	bool cut = true;
	char err[ERRLEN] = "";

	(void)state;
	assert_non_null(g_mkdtemp(dir));
	path = g_strdup_printf("%s/console.log", dir);
	link = g_strdup_printf("%s/link.log", dir);
	assert_int_equal(file_write(path, "abc\0def", 7, err), 0);
	assert_int_equal(file_read_max(path, 100, &text, &len, &cut, err), 0);
	assert_int_equal(len, 7);
	assert_false(cut);
	assert_memory_equal(text, "abc\0def", 8);	/* NUL-terminated */
	g_free(text);
	assert_int_equal(file_read_max(path, 7, &text, &len, &cut, err), 0);
	assert_int_equal(len, 7);
	assert_false(cut);	/* exactly max is whole */
	g_free(text);
	assert_int_equal(file_read_max(path, 6, &text, &len, &cut, err), 0);
	assert_int_equal(len, 6);
	assert_true(cut);
	assert_int_equal(text[6], '\0');
	g_free(text);
	assert_int_equal(file_read_max(path, 0, &text, &len, &cut, err), 0);
	assert_int_equal(len, 0);
	assert_true(cut);
	g_free(text);
	assert_int_equal(file_write(path, "", 0, err), 0);
	assert_int_equal(file_read_max(path, 10, &text, NULL, &cut, err), 0);
	assert_string_equal(text, "");
	assert_false(cut);
	g_free(text);
	/* not through a symlink, not a directory */
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(file_read_max(link, 10, &text, &len, &cut, err), -1);
	assert_non_null(strstr(err, "cannot read"));
	assert_int_equal(file_read_max(dir, 10, &text, &len, &cut, err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(rm_rf(dir, err), 0);
	g_free(path);
	g_free(link);
}

/* Whether pid is gone or a zombie (killed, not yet reaped by its parent). */
static bool pid_dead(pid_t pid)
{
	char path[64], *text = NULL, *close;
	bool dead = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		close = strrchr(text, ')');
		dead = close && close[1] == ' ' && (close[2] == 'Z' ||
						   close[2] == 'X');
		g_free(text);
	}
	return dead;
}

/*
 * Issue 10, item 8: a command's group is killed after its leader exited,
 * and before the leader is reaped (the group's number is still its own):
 * a background child the command left is gone when spawn_run returns.
 */
static void test_group_killed_before_reap(void **state)
{
	struct proc_result r;
	pid_t bg;
	int i;

	(void)state;
	run_sh("sleep 30 </dev/null >/dev/null 2>&1 & echo $!", &r);
	assert_int_equal(r.status, 0);
	bg = (pid_t)atoi(r.out);
	assert_true(bg > 0);
	for (i = 0; i < 40 && !pid_dead(bg); i++)
		usleep(50000);
	assert_true(pid_dead(bg));
	proc_result_clear(&r);
}

/*
 * A pidfd names one process for good: pid_stop ends and reaps a child
 * through it, and a signal through a pidfd of a reaped child fails with
 * ESRCH instead of reaching whatever gets the number next.
 */
static void test_pidfd(void **state)
{
	pid_t pid;
	int fd, st;

	(void)state;
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	pid_stop(pid, 2000);
	assert_int_equal(waitpid(pid, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);	/* reaped by pid_stop */

	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	fd = pid_fd_open(pid);
	assert_true(fd >= 0);
	assert_int_equal(pid_fd_signal(fd, 0), 0);
	assert_int_equal(pid_fd_signal(fd, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(pid_fd_signal(fd, SIGKILL), -1);
	assert_int_equal(errno, ESRCH);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_stdout_cap),
		cmocka_unit_test(test_stderr_cap),
		cmocka_unit_test(test_file_read_max),
		cmocka_unit_test(test_group_killed_before_reap),
		cmocka_unit_test(test_pidfd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
