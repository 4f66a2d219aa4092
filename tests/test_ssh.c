/*
 * test_ssh.c - harness/ssh.c against a real dropbear on 127.0.0.1.
 *
 * The group setup generates a dropbear ed25519 host key, pins its SHA-256,
 * and starts "dropbear -F -E -s" on a free loopback port.  Dropbear reads
 * root's keys from the passwd home, /root/.ssh/authorized_keys, and has no
 * option to look elsewhere, so it runs in its own mount namespace with a
 * temporary directory bind-mounted over /root: the machine's own /root is
 * never touched.  It also gets its own PID namespace, so stopping it (by
 * PID) takes every session process and command it forked along with it.
 * If dropbear cannot be started, the group setup fails: no silent skip.
 *
 * NICQ_TEST_KEEP=1 keeps the temp dir (dropbear.log, transcript.txt);
 * NICQ_TEST_SSH_LOG=4 turns on libssh's packet log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ssh.h"
#include "transcript.h"
#include <libssh/libssh.h>
#include <stdlib.h>
#include "util.h"

#define DROPBEAR	"/usr/sbin/dropbear"
#define DROPBEARKEY	"/usr/bin/dropbearkey"
#define CONNECT_MS	10000

static struct {
	char *dir;		/* temp dir: host key, fake /root, logs */
	char *root;		/* bind-mounted over /root for dropbear */
	char *hostkey;
	char *log;
	char *pin;		/* hex SHA-256 of the host key blob */
	pid_t pid;
	pid_t pid2;		/* the late server of test_connect_retry */
	int port;
	struct ssh_ident *id;
} fx;

/* ---- dropbear ---- */

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

struct child_args {
	const char *root;
	const char *log;
	int delay_ms;
	char **argv;
};

/* Runs as PID 1 of fresh mount and PID namespaces; never returns. */
static int dropbear_child(void *p)
{
	struct child_args *a = p;
	int fd;

	fd = open(a->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		dprintf(2, "cannot make / private: %s\n", strerror(errno));
		_exit(126);
	}
	if (mount(a->root, "/root", NULL, MS_BIND, NULL) < 0) {
		dprintf(2, "cannot bind '%s' over /root: %s\n", a->root,
			strerror(errno));
		_exit(126);
	}
	if (a->delay_ms > 0)	/* only for the connect-retry test */
		poll(NULL, 0, a->delay_ms);
	execv(DROPBEAR, a->argv);
	dprintf(2, "cannot run %s: %s\n", DROPBEAR, strerror(errno));
	_exit(127);
}

/* Start dropbear on 127.0.0.1:port; listening is not waited for. */
static pid_t dropbear_spawn(int port, int delay_ms, char *err)
{
	char *listen = g_strdup_printf("127.0.0.1:%d", port);
	char *pidfile = g_strdup_printf("%s/dropbear-%d.pid", fx.dir, port);
	char *argv[] = { "dropbear", "-F", "-E", "-s", "-j", "-k",
			 "-p", listen, "-r", fx.hostkey, "-P", pidfile, NULL };
	struct child_args a = { fx.root, fx.log, delay_ms, argv };
	size_t stack_size = 256 * 1024;
	char *stack = g_malloc(stack_size);
	pid_t pid;

	fflush(NULL);
	pid = clone(dropbear_child, stack + stack_size,
		    CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, &a);
	if (pid < 0)
		err_set(err, "cannot start dropbear in new namespaces: %s",
			strerror(errno));
	g_free(stack);
	g_free(listen);
	g_free(pidfile);
	return pid;
}

static int dropbear_wait_listening(pid_t pid, int port, int timeout_ms,
				   char *err)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int st;

	while (!port_open(port)) {
		if (pid_wait(pid, 0, &st) == 0) {
			err_set(err, "dropbear exited (status 0x%x) before listening; see %s",
				st, fx.log);
			return -1;
		}
		if (deadline_left(deadline) == 0) {
			err_set(err, "dropbear not listening on port %d after %d ms",
				port, timeout_ms);
			return -1;
		}
		poll(NULL, 0, 20);
	}
	return 0;
}

static int host_key_pin(char *err)
{
	char *argv[] = { DROPBEARKEY, "-y", "-f", fx.hostkey, NULL };
	struct proc_result r;
	char **lines, **l;
	int rc = -1;

	if (spawn_run(argv, 10000, &r, err) < 0)
		return -1;
	lines = g_strsplit(r.out, "\n", -1);
	for (l = lines; *l; l++) {
		char **f;
		guchar *blob;
		gsize len;

		if (!g_str_has_prefix(*l, "ssh-ed25519 "))
			continue;
		f = g_strsplit(*l, " ", 3);
		blob = g_base64_decode(f[1], &len);
		fx.pin = g_compute_checksum_for_data(G_CHECKSUM_SHA256, blob,
						     len);
		g_free(blob);
		g_strfreev(f);
		rc = 0;
		break;
	}
	if (rc < 0)
		err_set(err, "no ssh-ed25519 line in dropbearkey -y output: %s",
			r.out);
	g_strfreev(lines);
	proc_result_clear(&r);
	return rc;
}

static int group_setup(void **state)
{
	char err[ERRLEN] = "";
	char *ssh_dir = NULL, *keys = NULL, *line = NULL;
	struct proc_result r = { 0 };
	GError *gerr = NULL;

	(void)state;
	signal(SIGPIPE, SIG_IGN);	/* as interrupt_install() does */
	fx.dir = g_dir_make_tmp("nicq-test-ssh-XXXXXX", &gerr);
	if (!fx.dir) {
		fprintf(stderr, "# cannot make a temp dir: %s\n", gerr->message);
		g_error_free(gerr);
		return -1;
	}
	fx.root = g_strdup_printf("%s/root", fx.dir);
	fx.hostkey = g_strdup_printf("%s/hostkey", fx.dir);
	fx.log = g_strdup_printf("%s/dropbear.log", fx.dir);
	ssh_dir = g_strdup_printf("%s/.ssh", fx.root);
	keys = g_strdup_printf("%s/authorized_keys", ssh_dir);
	{
		char *argv[] = { DROPBEARKEY, "-t", "ed25519", "-f",
				 fx.hostkey, NULL };

		if (spawn_run(argv, 30000, &r, err) < 0)
			goto fail;
		if (r.status != 0) {
			err_set(err, "dropbearkey failed (%d): %s", r.status,
				r.errout);
			goto fail;
		}
	}
	if (host_key_pin(err) < 0 || ssh_ident_new(&fx.id, err) < 0 ||
	    mkdir_p(ssh_dir, err) < 0)
		goto fail;
	line = g_strdup_printf("%s\n", ssh_ident_pubkey(fx.id));
	if (file_write(keys, line, strlen(line), err) < 0)
		goto fail;
	fx.port = free_port();
	if (fx.port < 0) {
		err_set(err, "cannot find a free port: %s", strerror(errno));
		goto fail;
	}
	fx.pid = dropbear_spawn(fx.port, 0, err);
	if (fx.pid < 0) {
		fx.pid = 0;
		goto fail;
	}
	if (dropbear_wait_listening(fx.pid, fx.port, 10000, err) < 0)
		goto fail;
	proc_result_clear(&r);
	g_free(ssh_dir);
	g_free(keys);
	g_free(line);
	return 0;
fail:
	fprintf(stderr, "# cannot start dropbear: %s\n", err);
	{
		char *log = NULL;

		if (file_read(fx.log, &log, NULL, NULL) == 0)
			fprintf(stderr, "# dropbear log:\n%s\n", log);
		g_free(log);
	}
	/* cmocka skips the group teardown when the setup fails */
	pid_stop(fx.pid, 2000);
	fx.pid = 0;
	rm_rf(fx.dir, NULL);
	proc_result_clear(&r);
	g_free(ssh_dir);
	g_free(keys);
	g_free(line);
	return -1;
}

static int group_teardown(void **state)
{
	(void)state;
	pid_stop(fx.pid2, 2000);
	pid_stop(fx.pid, 2000);
	if (getenv("NICQ_TEST_KEEP"))
		fprintf(stderr, "# kept %s\n", fx.dir);
	else if (fx.dir)
		rm_rf(fx.dir, NULL);
	ssh_ident_free(fx.id);
	g_free(fx.dir);
	g_free(fx.root);
	g_free(fx.hostkey);
	g_free(fx.log);
	g_free(fx.pin);
	return 0;
}

/* ---- helpers ---- */

static struct sshc *connect_ok(void)
{
	char err[ERRLEN] = "";
	struct sshc *s = NULL;

	if (sshc_connect("127.0.0.1", fx.port, fx.pin, fx.id, CONNECT_MS, &s,
			 err) < 0)
		fail_msg("connect: %s", err);
	return s;
}

static void run_ok(struct sshc *s, const char *cmd, const void *in,
		   size_t in_len, int timeout_ms, struct proc_result *res)
{
	char err[ERRLEN] = "";

	if (sshc_run(s, cmd, in, in_len, timeout_ms, res, err) < 0)
		fail_msg("run '%s': %s", cmd, err);
}

static void fill(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 24);
	}
}

/* ---- tests ---- */

static void test_ident(void **state)
{
	char err[ERRLEN] = "";
	struct ssh_ident *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(ssh_ident_new(&a, err), 0);
	assert_int_equal(ssh_ident_new(&b, err), 0);
	assert_true(g_str_has_prefix(ssh_ident_pubkey(a), "ssh-ed25519 AAAA"));
	assert_null(strchr(ssh_ident_pubkey(a) + 12, ' '));
	assert_string_not_equal(ssh_ident_pubkey(a), ssh_ident_pubkey(b));
	ssh_ident_free(a);
	ssh_ident_free(b);
	ssh_ident_free(NULL);
	sshc_free(NULL);
	sshc_job_free(NULL);
}

static void test_run_stdout(void **state)
{
	struct sshc *s = connect_ok();
	struct proc_result r;

	(void)state;
	run_ok(s, "echo hello; echo world", NULL, 0, 5000, &r);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_false(r.interrupted);
	assert_string_equal(r.out, "hello\nworld\n");
	assert_string_equal(r.errout, "");
	proc_result_clear(&r);
	sshc_free(s);
}

static void test_exit_status_and_stderr(void **state)
{
	struct sshc *s = connect_ok();
	struct proc_result r;

	(void)state;
	run_ok(s, "exit 3", NULL, 0, 5000, &r);
	assert_int_equal(r.status, 3);
	proc_result_clear(&r);

	run_ok(s, "echo out; echo oops >&2; exit 1", NULL, 0, 5000, &r);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "out\n");
	assert_string_equal(r.errout, "oops\n");
	proc_result_clear(&r);

	/* killed by a signal: 128 + SIGTERM */
	run_ok(s, "kill -TERM $$", NULL, 0, 5000, &r);
	assert_int_equal(r.status, 128 + SIGTERM);
	proc_result_clear(&r);
	sshc_free(s);
}

static void test_stdin_20mb_sha256(void **state)
{
	const size_t len = 20 * 1024 * 1024;
	unsigned char *buf = g_malloc(len);
	struct sshc *s = connect_ok();
	struct proc_result r;
	char *want;
	int64_t t;

	(void)state;
	fill(buf, len, 0x9e3779b97f4a7c15ULL);
	want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf, len);
	t = mono_ms();
	run_ok(s, "sha256sum", buf, len, 60000, &r);
	fprintf(stderr, "# 20 MiB stdin through sha256sum: %" PRId64 " ms\n",
		mono_ms() - t);
	assert_int_equal(r.status, 0);
	assert_true(strlen(r.out) >= 64);
	assert_memory_equal(r.out, want, 64);
	proc_result_clear(&r);
	g_free(want);
	g_free(buf);
	sshc_free(s);
}

/* Stdin and stdout both large at once: the writer must also read. */
static void test_stdin_echo_roundtrip(void **state)
{
	const size_t len = 8 * 1024 * 1024;
	char *buf = g_malloc(len);
	struct sshc *s = connect_ok();
	struct proc_result r;
	size_t i;
	int64_t t;

	(void)state;
	fill((unsigned char *)buf, len, 42);
	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + (unsigned char)buf[i] % 26);
	t = mono_ms();
	run_ok(s, "cat", buf, len, 60000, &r);
	fprintf(stderr, "# 8 MiB through cat: %" PRId64 " ms\n", mono_ms() - t);
	assert_int_equal(r.status, 0);
	assert_int_equal(strlen(r.out), len);
	assert_memory_equal(r.out, buf, len);
	proc_result_clear(&r);
	g_free(buf);
	sshc_free(s);
}

static void test_large_output(void **state)
{
	struct sshc *s = connect_ok();
	struct proc_result r;
	size_t i, n;

	(void)state;
	run_ok(s, "head -c 5000000 /dev/zero | tr '\\000' x; "
	       "head -c 300000 /dev/zero | tr '\\000' e >&2",
	       NULL, 0, 30000, &r);
	assert_int_equal(r.status, 0);
	n = strlen(r.out);
	assert_int_equal(n, 5000000);
	for (i = 0; i < n; i++)
		if (r.out[i] != 'x')
			fail_msg("byte %zu is 0x%02x", i, r.out[i]);
	assert_int_equal(strlen(r.errout), 300000);
	proc_result_clear(&r);
	sshc_free(s);
}

/*
 * Issue 10, item 2: output was kept without a bound.  Past SSH_OUTPUT_MAX
 * a stream is cut, the command still runs to its end (what it prints is
 * taken and dropped, so it is never blocked), and the result and the
 * transcript say so; the other stream is untouched.  Foreground and
 * background alike.
 */
static void test_output_cap(void **state)
{
	struct sshc *s = connect_ok();
	char *path = g_strdup_printf("%s/transcript-cap.txt", fx.dir);
	char *cmd, *text = NULL, *want, err[ERRLEN] = "";
	struct transcript *tr = transcript_open(path, err);
	struct sshc_job *j = NULL;
	struct proc_result r;
	int64_t t = mono_ms();

	(void)state;
	assert_non_null(tr);
	sshc_set_transcript(s, tr);
	cmd = g_strdup_printf("head -c %u /dev/zero | tr '\\000' x; "
			      "echo done >&2", SSH_OUTPUT_MAX + 100000);
	run_ok(s, cmd, NULL, 0, 60000, &r);
	g_free(cmd);
	fprintf(stderr, "# 32 MiB + 100 kB of stdout: %" PRId64 " ms\n",
		mono_ms() - t);
	assert_int_equal(r.status, 0);
	assert_false(r.timed_out);
	assert_int_equal(strlen(r.out), SSH_OUTPUT_MAX);
	assert_int_equal(r.out_cut, SSH_OUTPUT_MAX);
	assert_string_equal(r.errout, "done\n");
	assert_int_equal(r.err_cut, 0);
	proc_result_clear(&r);

	/* a background job, on stderr; then the session still works */
	cmd = g_strdup_printf("head -c %u /dev/zero | tr '\\000' e >&2; "
			      "echo out", SSH_OUTPUT_MAX + 1);
	if (sshc_start(s, cmd, 5000, &j, err) < 0)
		fail_msg("start: %s", err);
	g_free(cmd);
	assert_int_equal(sshc_job_wait(j, 60000, &r, err), 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "out\n");
	assert_int_equal(r.out_cut, 0);
	assert_int_equal(strlen(r.errout), SSH_OUTPUT_MAX);
	assert_int_equal(r.err_cut, SSH_OUTPUT_MAX);
	proc_result_clear(&r);
	sshc_job_free(j);
	run_ok(s, "echo still", NULL, 0, 5000, &r);
	assert_string_equal(r.out, "still\n");
	assert_int_equal(r.out_cut, 0);
	proc_result_clear(&r);
	sshc_free(s);
	transcript_free(tr);

	assert_int_equal(file_read(path, &text, NULL, err), 0);
	want = g_strdup_printf("--- stdout (%u bytes, first 65536 shown)\n",
			       SSH_OUTPUT_MAX);
	assert_non_null(strstr(text, want));
	g_free(want);
	want = g_strdup_printf("[stdout: output truncated at %u bytes: the "
			       "rest was dropped]\n--- stderr (5 bytes)\n"
			       "done\n", SSH_OUTPUT_MAX);
	assert_non_null(strstr(text, want));
	g_free(want);
	want = g_strdup_printf("[stderr: output truncated at %u bytes: the "
			       "rest was dropped]\n", SSH_OUTPUT_MAX);
	assert_non_null(strstr(text, want));
	g_free(want);
	/* the short commands say nothing of the kind */
	assert_null(strstr(strstr(text, "$ echo still"), "output truncated"));
	g_free(text);
	g_free(path);
}

static void test_timeout(void **state)
{
	struct sshc *s = connect_ok();
	struct proc_result r;
	int64_t t = mono_ms();

	(void)state;
	run_ok(s, "sleep 30", NULL, 0, 1000, &r);
	t = mono_ms() - t;
	assert_true(r.timed_out);
	assert_false(r.interrupted);
	assert_int_equal(r.status, -1);
	assert_true(t >= 1000 && t < 2500);
	proc_result_clear(&r);

	/* the session survives a killed command */
	run_ok(s, "echo still here", NULL, 0, 5000, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "still here\n");
	proc_result_clear(&r);
	sshc_free(s);
}

static void on_alarm(int sig)
{
	(void)sig;
	interrupt_raise(SIGINT);
}

static void test_interrupt(void **state)
{
	struct sshc *s = connect_ok();
	struct sigaction sa, old;
	struct itimerval it = { .it_value = { .tv_usec = 300000 } };
	struct proc_result r;
	char err[ERRLEN] = "";
	int64_t t = mono_ms();
	int rc;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	rc = sshc_run(s, "sleep 30", NULL, 0, 10000, &r, err);
	t = mono_ms() - t;
	/* a connect while interrupted gives up at once */
	{
		struct sshc *s2 = NULL;

		assert_int_equal(sshc_connect("127.0.0.1", fx.port, fx.pin,
					      fx.id, CONNECT_MS, &s2, err), -1);
		assert_non_null(strstr(err, "interrupted"));
	}
	interrupt_raise(0);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(rc, 0);
	assert_true(r.interrupted);
	assert_false(r.timed_out);
	assert_true(t < 1500);
	proc_result_clear(&r);

	run_ok(s, "echo ok", NULL, 0, 5000, &r);
	assert_string_equal(r.out, "ok\n");
	proc_result_clear(&r);
	sshc_free(s);
}

static void test_hostkey_mismatch(void **state)
{
	char err[ERRLEN] = "", want[ERRLEN];
	char *bad = g_strdup(fx.pin);
	struct sshc *s = NULL;
	int64_t t = mono_ms();

	(void)state;
	bad[0] = bad[0] == '0' ? '1' : '0';
	assert_int_equal(sshc_connect("127.0.0.1", fx.port, bad, fx.id,
				      CONNECT_MS, &s, err), -1);
	assert_null(s);
	assert_true(mono_ms() - t < 2000);	/* at once, no retries */
	snprintf(want, sizeof(want),
		 "host key mismatch for 127.0.0.1: expected sha256 %s, got %s",
		 bad, fx.pin);
	assert_string_equal(err, want);

	assert_int_equal(sshc_connect("127.0.0.1", fx.port, "abc", fx.id,
				      CONNECT_MS, &s, err), -1);
	assert_non_null(strstr(err, "invalid host key pin"));
	g_free(bad);
}

static void test_auth_refused(void **state)
{
	char err[ERRLEN] = "";
	struct ssh_ident *other = NULL;
	struct sshc *s = NULL;
	int64_t t = mono_ms();

	(void)state;
	assert_int_equal(ssh_ident_new(&other, err), 0);
	assert_int_equal(sshc_connect("127.0.0.1", fx.port, fx.pin, other,
				      CONNECT_MS, &s, err), -1);
	assert_true(mono_ms() - t < 3000);
	assert_non_null(strstr(err, "public key refused"));
	ssh_ident_free(other);
}

static void test_closed_port(void **state)
{
	char err[ERRLEN] = "", want[64];
	struct sshc *s = NULL;
	int port = free_port();
	int64_t t = mono_ms();

	(void)state;
	assert_true(port > 0);
	assert_int_equal(sshc_connect("127.0.0.1", port, fx.pin, fx.id, 1500,
				      &s, err), -1);
	t = mono_ms() - t;
	assert_null(s);
	assert_true(t >= 1400 && t < 3000);
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%d within",
		 port);
	assert_non_null(strstr(err, want));
	fprintf(stderr, "# %s\n", err);
}

/* The server comes up while sshc_connect() is already retrying. */
static void test_connect_retry(void **state)
{
	char err[ERRLEN] = "";
	struct sshc *s = NULL;
	struct proc_result r;
	int port = free_port();
	int64_t t = mono_ms();

	(void)state;
	fx.pid2 = dropbear_spawn(port, 700, err);
	if (fx.pid2 < 0) {
		fx.pid2 = 0;
		fail_msg("%s", err);
	}
	if (sshc_connect("127.0.0.1", port, fx.pin, fx.id, CONNECT_MS, &s,
			 err) < 0)
		fail_msg("connect: %s", err);
	t = mono_ms() - t;
	assert_true(t >= 650);
	run_ok(s, "echo late", NULL, 0, 5000, &r);
	assert_string_equal(r.out, "late\n");
	proc_result_clear(&r);
	sshc_free(s);
	pid_stop(fx.pid2, 2000);
	fx.pid2 = 0;
}

static void test_background_jobs(void **state)
{
	struct sshc *s = connect_ok();
	struct sshc_job *a = NULL, *b = NULL, *c = NULL;
	struct proc_result ra, rb, rc, r;
	char err[ERRLEN] = "";
	int64_t t = mono_ms();

	(void)state;
	assert_int_equal(sshc_start(s, "sleep 1; echo a", 5000, &a, err), 0);
	assert_int_equal(sshc_start(s, "sleep 1; echo b >&2; exit 4", 5000,
				    &b, err), 0);
	assert_int_equal(sshc_start(s, "head -c 3000000 /dev/zero | tr '\\000' y",
				    5000, &c, err), 0);
	/* a foreground command while they run */
	run_ok(s, "echo fg", NULL, 0, 5000, &r);
	assert_string_equal(r.out, "fg\n");
	proc_result_clear(&r);

	assert_int_equal(sshc_job_wait(b, 5000, &rb, err), 0);
	assert_int_equal(rb.status, 4);
	assert_string_equal(rb.errout, "b\n");
	assert_int_equal(sshc_job_wait(a, 5000, &ra, err), 0);
	assert_int_equal(ra.status, 0);
	assert_string_equal(ra.out, "a\n");
	t = mono_ms() - t;
	assert_true(t < 1900);	/* they ran side by side */
	assert_int_equal(sshc_job_wait(c, 5000, &rc, err), 0);
	assert_int_equal(rc.status, 0);
	assert_int_equal(strlen(rc.out), 3000000);

	/* res is zeroed on entry, so clear it before reusing it */
	proc_result_clear(&ra);
	assert_int_equal(sshc_job_wait(a, 5000, &ra, err), -1);
	assert_non_null(strstr(err, "already collected"));
	proc_result_clear(&ra);
	proc_result_clear(&rb);
	proc_result_clear(&rc);
	sshc_job_free(a);
	sshc_job_free(b);
	sshc_job_free(c);
	sshc_free(s);
}

/* Wait (at most 3 s) until no process runs "sleep <secs>". */
static bool sleep_gone(int secs)
{
	int64_t deadline = mono_ms() + 3000;
	char *pat = g_strdup_printf("^sleep %d$", secs);
	char *argv[] = { "pgrep", "-f", pat, NULL };
	struct proc_result r;
	bool gone = false;

	while (!gone && deadline_left(deadline) > 0) {
		if (spawn_run(argv, 3000, &r, NULL) == 0)
			gone = r.status == 1;	/* nothing matched */
		proc_result_clear(&r);
		if (!gone)
			poll(NULL, 0, 50);
	}
	g_free(pat);
	return gone;
}

/* Killed commands really die: timed out, freed unwaited, orphaned. */
static void test_job_timeout_and_free(void **state)
{
	struct sshc *s = connect_ok();
	struct sshc_job *a = NULL, *b = NULL, *c = NULL;
	struct proc_result r;
	char err[ERRLEN] = "";
	int64_t t;

	(void)state;
	assert_int_equal(sshc_start(s, "sleep 31", 5000, &a, err), 0);
	t = mono_ms();
	assert_int_equal(sshc_job_wait(a, 500, &r, err), 0);
	assert_true(r.timed_out);
	assert_true(mono_ms() - t < 1500);
	proc_result_clear(&r);
	sshc_job_free(a);
	assert_true(sleep_gone(31));

	run_ok(s, "sleep 32", NULL, 0, 300, &r);
	assert_true(r.timed_out);
	proc_result_clear(&r);
	assert_true(sleep_gone(32));

	/* freed unwaited, and left running when the session closes */
	assert_int_equal(sshc_start(s, "sleep 33", 5000, &b, err), 0);
	assert_int_equal(sshc_start(s, "sleep 34", 5000, &c, err), 0);
	sshc_job_free(b);
	assert_true(sleep_gone(33));
	sshc_free(s);
	assert_true(sleep_gone(34));
	assert_int_equal(sshc_job_wait(c, 500, &r, err), -1);
	assert_non_null(strstr(err, "session is closed"));
	sshc_job_free(c);
}

static void test_transport_failure(void **state)
{
	struct sshc *s = connect_ok();
	struct proc_result r;
	struct sshc_job *j = NULL;
	char err[ERRLEN] = "";
	int64_t t = mono_ms();

	(void)state;
	/* $PPID of the remote shell is dropbear's process for this session */
	assert_int_equal(sshc_run(s, "kill -9 $PPID; sleep 10", NULL, 0, 5000,
				  &r, err), -1);
	assert_true(mono_ms() - t < 3000);
	assert_non_null(strstr(err, "connection to 127.0.0.1"));
	assert_non_null(strstr(err, "lost"));
	t = mono_ms();
	assert_int_equal(sshc_run(s, "true", NULL, 0, 5000, &r, err), -1);
	assert_int_equal(sshc_start(s, "true", 5000, &j, err), -1);
	assert_true(mono_ms() - t < 100);
	sshc_free(s);
}

/*
 * A server that stops answering (its session process is SIGSTOPped) must
 * not hang any call: commands and channel setup time out, free returns.
 * The stopped process dies with dropbear's PID namespace at teardown.
 */
static void test_dead_server(void **state)
{
	const size_t len = 4 * 1024 * 1024;
	char *buf = g_malloc0(len);
	struct sshc *s = connect_ok();
	struct sshc_job *j = NULL;
	struct proc_result r;
	char err[ERRLEN] = "";
	int64_t t = mono_ms();
	int rc;

	(void)state;
	/* a command that never reads its stdin: the window stays shut */
	run_ok(s, "sleep 30", buf, len, 500, &r);
	assert_true(r.timed_out);
	assert_true(mono_ms() - t < 1500);
	proc_result_clear(&r);

	t = mono_ms();
	run_ok(s, "kill -STOP $PPID", NULL, 0, 1000, &r);
	assert_true(r.timed_out);
	assert_true(mono_ms() - t < 2000);
	proc_result_clear(&r);

	t = mono_ms();
	run_ok(s, "cat >/dev/null", buf, len, 500, &r);	/* no channel */
	assert_true(r.timed_out);
	assert_true(mono_ms() - t < 1500);
	proc_result_clear(&r);

	/* nor does a background job whose connection gets no banner */
	kill(fx.pid, SIGSTOP);
	t = mono_ms();
	rc = sshc_start(s, "true", 500, &j, err);
	kill(fx.pid, SIGCONT);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot start 'true': cannot connect"));
	assert_true(mono_ms() - t < 1500);

	t = mono_ms();
	sshc_free(s);
	assert_true(mono_ms() - t < 500);
	g_free(buf);
}

/*
 * Commands ending and being killed while new channels open.  Dropbear
 * 2022.83 closes a connection's not-yet-exec'd channels on every child exit
 * of that connection, and dies if the exec request was already on its way:
 * sshc keeps background jobs on their own connections and lets killed
 * commands be reaped first, so no channel should need reopening here.
 */
static void test_churn(void **state)
{
	struct sshc *s = connect_ok();
	char *path = g_strdup_printf("%s/churn.txt", fx.dir);
	char *text = NULL, *p, err[ERRLEN] = "";
	struct sshc_job *jobs[6] = { 0 };
	struct proc_result r;
	int i, round, reopened = 0;
	struct transcript *tr;

	(void)state;
	tr = transcript_open(path, err);
	assert_non_null(tr);
	sshc_set_transcript(s, tr);
	for (round = 0; round < 10; round++) {
		for (i = 0; i < 6; i++) {
			char *cmd = g_strdup_printf("sleep 0.0%d", i + 1);

			if (sshc_start(s, cmd, 5000, &jobs[i], err) < 0)
				fail_msg("start '%s': %s", cmd, err);
			g_free(cmd);
		}
		for (i = 0; i < 6; i++) {
			char *cmd = g_strdup_printf("echo %d", i);

			run_ok(s, cmd, NULL, 0, 5000, &r);
			assert_int_equal(r.status, 0);
			assert_int_equal(atoi(r.out), i);
			proc_result_clear(&r);
			g_free(cmd);
		}
		/* a killed command, then the next one at once */
		run_ok(s, "sleep 30", NULL, 0, 50, &r);
		assert_true(r.timed_out);
		proc_result_clear(&r);
		run_ok(s, "echo after", NULL, 0, 5000, &r);
		assert_string_equal(r.out, "after\n");
		proc_result_clear(&r);
		for (i = 0; i < 6; i++) {
			assert_int_equal(sshc_job_wait(jobs[i], 5000, &r, err), 0);
			assert_int_equal(r.status, 0);
			proc_result_clear(&r);
			sshc_job_free(jobs[i]);
		}
	}
	sshc_free(s);
	transcript_free(tr);
	assert_int_equal(file_read(path, &text, NULL, err), 0);
	for (p = text; (p = strstr(p, "channel reopened")); p++)
		reopened++;
	fprintf(stderr, "# churn: %d commands needed a new channel\n",
		reopened);
	g_free(text);
	g_free(path);
}

static void test_transcript(void **state)
{
	struct sshc *s = connect_ok();
	char *path = g_strdup_printf("%s/transcript.txt", fx.dir);
	char *text = NULL, err[ERRLEN] = "";
	struct sshc_job *j = NULL;
	struct proc_result r;
	struct transcript *tr = transcript_open(path, err);

	(void)state;
	assert_non_null(tr);
	sshc_set_transcript(s, tr);
	run_ok(s, "cat; echo hello", "abc", 3, 5000, &r);
	assert_string_equal(r.out, "abchello\n");
	proc_result_clear(&r);
	run_ok(s, "head -c 100000 /dev/zero | tr '\\000' z; echo warn >&2; exit 2",
	       NULL, 0, 5000, &r);
	proc_result_clear(&r);
	run_ok(s, "sleep 5", NULL, 0, 300, &r);
	proc_result_clear(&r);
	if (sshc_start(s, "echo from-bg", 5000, &j, err) < 0)
		fail_msg("start: %s", err);
	assert_int_equal(sshc_job_wait(j, 5000, &r, err), 0);
	proc_result_clear(&r);
	sshc_job_free(j);
	sshc_free(s);
	assert_int_equal(transcript_last(tr) > 1, 1);
	transcript_free(tr);

	assert_int_equal(file_read(path, &text, NULL, err), 0);
	assert_non_null(strstr(text, "=== #1 +"));
	assert_non_null(strstr(text, "Z root@127.0.0.1:"));
	assert_non_null(strstr(text, "$ cat; echo hello\nexit 0, "));
	assert_non_null(strstr(text, ", stdin 3 bytes\n--- stdout (9 bytes)\nabchello\n--- stderr (0 bytes)\n"));
	assert_non_null(strstr(text, "exit 2, "));
	assert_non_null(strstr(text, "--- stdout (100000 bytes, first 65536 shown)\n"));
	assert_non_null(strstr(text, "[... truncated: 34464 more bytes]\n--- stderr (5 bytes)\nwarn\n"));
	assert_non_null(strstr(text, "$ sleep 5\nTIMED OUT, killed, "));
	assert_non_null(strstr(text, "(background)\n$ echo from-bg\nexit 0"));
	assert_non_null(strstr(text, "from-bg\n"));
	assert_true(strlen(text) < 75000);
	g_free(text);
	g_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ident),
		cmocka_unit_test(test_run_stdout),
		cmocka_unit_test(test_exit_status_and_stderr),
		cmocka_unit_test(test_stdin_20mb_sha256),
		cmocka_unit_test(test_stdin_echo_roundtrip),
		cmocka_unit_test(test_large_output),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_hostkey_mismatch),
		cmocka_unit_test(test_auth_refused),
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_connect_retry),
		cmocka_unit_test(test_background_jobs),
		cmocka_unit_test(test_job_timeout_and_free),
		cmocka_unit_test(test_transport_failure),
		cmocka_unit_test(test_dead_server),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_transcript),
	};

	if (getenv("NICQ_TEST_SSH_LOG"))	/* libssh log level, to stderr */
		ssh_set_log_level(atoi(getenv("NICQ_TEST_SSH_LOG")));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
