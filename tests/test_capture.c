/*
 * test_capture.c - a capture reports the frames its kernel buffer dropped
 * (the runner turns them into the failed expectation "capture incomplete")
 * and, sized as nicq sizes it, drops nothing of a burst.  Runs on the
 * loopback device of a private network namespace (root only; skipped
 * otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <glib.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "util.h"

#define BURST 4000

/* BURST datagrams of 200 bytes to 127.0.0.1:port (bound, never read). */
static int burst(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	char buf[200] = { 0 };
	int rx = socket(AF_INET, SOCK_DGRAM, 0);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	for (int i = 0; i < BURST; i++)
		if (sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&a,
			   sizeof(a)) != sizeof(buf))
			return -1;
	close(tx);
	close(rx);
	return 0;
}

/*
 * In a child of its own namespace: exit 0 when the capture's counts are
 * as expected, 77 when it cannot run here, else a failure code.
 */
static int child(const char *dir, bool tiny)
{
	struct capture *c = NULL;
	struct capture_stats st;
	char err[ERRLEN], *path = g_strdup_printf("%s/lo.pcap", dir);

	if (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up") != 0)
		return 77;
	if (tiny)
		setenv("NICQ_CAPTURE_BUFFER", "4096", 1);
	else
		unsetenv("NICQ_CAPTURE_BUFFER");
	if (capture_start("lo", path, 64, &c, err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 77;
	}
	/* the drain thread waits, as a starved one would */
	capture_hold(c, tiny);
	if (burst(9000) < 0)
		return 2;
	if (capture_stop(c, &st, err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 3;
	}
	fprintf(stderr, "tiny=%d: %llu frames, %llu dropped, %llu if\n", tiny,
		(unsigned long long)st.frames,
		(unsigned long long)st.kernel_dropped,
		(unsigned long long)st.if_dropped);
	if (tiny)
		return st.kernel_dropped > 0 &&
		       st.frames + st.kernel_dropped >= BURST ? 0 : 4;
	return st.kernel_dropped == 0 && st.frames == BURST ? 0 : 5;
}

static void run(bool tiny)
{
	char *dir = g_dir_make_tmp("nicq-capture-XXXXXX", NULL);
	char *cmd;
	pid_t pid;
	int st;

	assert_non_null(dir);
	if (geteuid() != 0) {
		g_free(dir);
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(dir, tiny));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	g_free(cmd);
	g_free(dir);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_drops_counted(void **state)
{
	(void)state;
	run(true);
}

static void test_buffer_holds_burst(void **state)
{
	(void)state;
	run(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drops_counted),
		cmocka_unit_test(test_buffer_holds_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
