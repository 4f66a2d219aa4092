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
#include <fcntl.h>
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

/* Whether path holds exactly text. */
static bool holds(const char *path, const char *text)
{
	char *got = NULL;
	bool same;

	if (!g_file_get_contents(path, &got, NULL, NULL))
		return false;
	same = !strcmp(got, text);
	g_free(got);
	return same;
}

/*
 * Issue 10, item 5: the run's folder is made exclusively, and nothing
 * nicq writes under it goes through a symlink - one planted where a file
 * goes, or one swapped in for a folder on the way.
 */
static void test_results_dir(void **state)
{
	char *root = g_dir_make_tmp("nicq-rd-XXXXXX", NULL);
	char *run = g_build_filename(root, "run", NULL);
	char *outside = g_build_filename(root, "outside", NULL);
	char *victim = g_build_filename(outside, "victim", NULL);
	char *p, *q, err[ERRLEN] = "", *text;
	struct stat st;
	size_t len;
	bool cut;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(root);
	assert_int_equal(mkdir_new(run, 0750, err), 0);
	assert_int_equal(mkdir_new(run, 0750, err), -1);	/* exclusive */
	assert_non_null(strstr(err, "File exists"));
	assert_int_equal(results_dir_set(run, 0750, err), 0);
	assert_int_equal(mkdir(outside, 0755), 0);
	assert_true(g_file_set_contents(victim, "keep", -1, NULL));

	/* a symlink planted where a file goes: opening it fails */
	p = g_build_filename(run, "transcript.txt", NULL);
	assert_int_equal(symlink(victim, p), 0);
	fd = file_open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ELOOP);
	assert_null(file_fopen(p, "a"));
	assert_null(file_fopen(p, "w"));
	assert_int_equal(file_appendf(p, err, "x"), -1);
	assert_int_equal(file_read_max(p, 100, &text, &len, &cut, err), -1);
	/* file_write replaces the link, never writes through it */
	assert_int_equal(file_write(p, "new", 3, err), 0);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(holds(p, "new"));
	assert_true(holds(victim, "keep"));
	g_free(p);

	/* a folder swapped for a symlink to elsewhere: nothing goes there */
	p = g_build_filename(run, "cell", NULL);
	assert_int_equal(symlink(outside, p), 0);
	q = g_build_filename(p, "run.tap", NULL);
	assert_int_equal(file_open(q, O_WRONLY | O_CREAT, 0644), -1);
	assert_null(file_fopen(q, "wx"));
	assert_int_equal(file_write(q, "x", 1, err), -1);
	g_free(q);
	q = g_build_filename(p, "victim", NULL);
	assert_int_equal(file_open(q, O_RDONLY, 0), -1);
	assert_int_equal(file_read_max(q, 100, &text, &len, &cut, err), -1);
	assert_int_equal(file_read(q, &text, &len, err), -1);
	g_free(q);
	q = g_build_filename(p, "ping", NULL);
	assert_int_equal(mkdir_p(q, err), -1);
	assert_int_equal(mkdir_new(q, 0750, err), -1);
	g_free(q);
	q = g_build_filename(outside, "ping", NULL);
	assert_false(g_file_test(q, G_FILE_TEST_EXISTS));
	g_free(q);
	q = g_build_filename(outside, "run.tap", NULL);
	assert_false(g_file_test(q, G_FILE_TEST_EXISTS));
	g_free(q);
	assert_true(holds(victim, "keep"));
	g_free(p);

	/* folders made under it: the run's mode, files through them fine */
	p = g_build_filename(run, "virtio", "ping", NULL);
	assert_int_equal(mkdir_p(p, err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	q = g_build_filename(p, "result.json", NULL);
	assert_int_equal(file_write(q, "{}", 2, err), 0);
	assert_true(holds(q, "{}"));
	f = file_fopen(q, "a");
	assert_non_null(f);
	fputs("\n", f);
	fclose(f);
	assert_true(holds(q, "{}\n"));
	g_free(q);
	g_free(p);

	results_dir_clear();
	assert_int_equal(rm_rf(root, err), 0);
	g_free(root);
	g_free(run);
	g_free(outside);
	g_free(victim);
}

/* A results root another user can change is refused; sticky /tmp is fine. */
/* proc_why(): a time-out says so (a CI failure said only "clock: ") */
static void test_proc_why(void **state)
{
	char buf[64], big[400];
	struct proc_result r = { .status = -1, .timed_out = true,
				 .elapsed_ms = 10002 };

	(void)state;
	assert_string_equal(proc_why(&r, buf, sizeof(buf)),
			    "timed out after 10002 ms");
	r = (struct proc_result){ .status = 2, .errout = "\n  no such\nmore" };
	assert_string_equal(proc_why(&r, buf, sizeof(buf)), "exit 2: no such");
	r = (struct proc_result){ .status = 1, .errout = "" };
	assert_string_equal(proc_why(&r, buf, sizeof(buf)), "exit 1");
	r = (struct proc_result){ .status = 1, .interrupted = true };
	assert_string_equal(proc_why(&r, buf, sizeof(buf)), "interrupted");
	/* one line, bounded by the buffer */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = (struct proc_result){ .status = 3, .errout = big };
	assert_int_equal(strlen(proc_why(&r, buf, sizeof(buf))),
			 sizeof(buf) - 1);
}

static void test_path_root_only(void **state)
{
	char *root = g_dir_make_tmp("nicq-ro-XXXXXX", NULL);
	char *sub = g_build_filename(root, "results", NULL);
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(path_root_only(sub, err), 0);
	assert_int_equal(chmod(root, 0777), 0);	/* anyone may rename sub */
	assert_int_equal(path_root_only(sub, err), -1);
	assert_non_null(strstr(err, root));
	assert_non_null(strstr(err, "mode 0777"));
	assert_int_equal(chmod(root, 01777), 0);	/* sticky: they may not */
	assert_int_equal(path_root_only(sub, err), 0);
	assert_int_equal(chmod(root, 0700), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(sub, 1000, 1000), 0);
		assert_int_equal(path_root_only(sub, err), -1);
		assert_non_null(strstr(err, "owner uid 1000"));
	}
	assert_int_equal(rm_rf(root, err), 0);
	g_free(root);
	g_free(sub);
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
		cmocka_unit_test(test_results_dir),
		cmocka_unit_test(test_path_root_only),
		cmocka_unit_test(test_proc_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
