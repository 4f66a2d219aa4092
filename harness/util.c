/* util.c - see util.h. */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void err_set(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, ERRLEN, fmt, ap);
	va_end(ap);
}

int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t deadline_left(int64_t deadline)
{
	int64_t left = deadline - mono_ms();

	return left > 0 ? left : 0;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	if (!got_signal)
		got_signal = sig;
}

void interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool interrupted(void)
{
	return got_signal != 0;
}

int interrupt_signal(void)
{
	return got_signal;
}

void interrupt_raise(int sig)
{
	got_signal = sig;
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int pid_wait(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int fd, st = 0;
	pid_t r;

	fd = pidfd_open_(pid);
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (fd >= 0)
				close(fd);
			if (status)
				*status = st;
			return 0;
		}
		if (r < 0 && errno != EINTR) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (deadline_left(deadline) == 0)
			break;
		if (fd >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int64_t left = deadline_left(deadline);

			poll(&p, 1, left > 100 ? 100 : (int)left);
		} else {
			usleep(10000);
		}
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

void pid_stop(pid_t pid, int grace_ms)
{
	if (pid <= 0)
		return;
	if (kill(pid, SIGTERM) < 0 && errno == ESRCH) {
		waitpid(pid, NULL, WNOHANG);
		return;
	}
	if (pid_wait(pid, grace_ms, NULL) == 0)
		return;
	kill(pid, SIGKILL);
	pid_wait(pid, 5000, NULL);
}

/* The process that spawns, as its children see it before exec. */
static pid_t spawn_parent;

static void child_setup(void *data)
{
	sigset_t all;

	(void)data;
	setpgid(0, 0);
	/* die with the process that started it (a killed test point) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != spawn_parent)
		_exit(127);	/* it died before the line above */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

/* Read what fd has into buf, up to max bytes kept; *cut once over it. */
static void drain(int fd, GString *buf, size_t max, size_t *cut, bool *open)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n > 0) {
		size_t keep = buf->len < max ? max - buf->len : 0;

		if ((size_t)n > keep)
			*cut = max;	/* the rest is read and dropped */
		g_string_append_len(buf, tmp, (gssize)MIN((size_t)n, keep));
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		*open = false;
	}
}

static int spawn_run_impl(char *const argv[], int timeout_ms,
			  struct proc_result *res, bool honour_interrupt,
			  char *err)
{
	GError *gerr = NULL;
	GPid pid;
	int fd_out, fd_err, st = 0;
	bool out_open = true, err_open = true, exited = false;
	GString *out = g_string_new(NULL), *eout = g_string_new(NULL);
	int64_t start = mono_ms(), deadline = start + timeout_ms;

	memset(res, 0, sizeof(*res));
	spawn_parent = getpid();
	if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
				      G_SPAWN_SEARCH_PATH |
				      G_SPAWN_DO_NOT_REAP_CHILD |
				      G_SPAWN_STDIN_FROM_DEV_NULL,
				      child_setup, NULL, &pid, NULL, &fd_out,
				      &fd_err, &gerr)) {
		err_set(err, "cannot run '%s': %s", argv[0], gerr->message);
		g_error_free(gerr);
		g_string_free(out, TRUE);
		g_string_free(eout, TRUE);
		return -1;
	}
	while (out_open || err_open || !exited) {
		struct pollfd p[2];
		int n = 0, i;

		if (!exited && waitpid(pid, &st, WNOHANG) == pid)
			exited = true;
		if ((honour_interrupt && interrupted()) ||
		    deadline_left(deadline) == 0) {
			if (!exited) {
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				exited = true;
			}
			if (honour_interrupt && interrupted())
				res->interrupted = true;
			else
				res->timed_out = true;
			break;
		}
		if (out_open)
			p[n++] = (struct pollfd){ .fd = fd_out, .events = POLLIN };
		if (err_open)
			p[n++] = (struct pollfd){ .fd = fd_err, .events = POLLIN };
		if (n == 0) {
			/* pipes closed, child still running: wait for it */
			if (pid_wait(pid, 50, &st) == 0)
				exited = true;
			continue;
		}
		if (poll(p, n, 50) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (p[i].fd == fd_out)
				drain(fd_out, out, SPAWN_OUTPUT_MAX,
				      &res->out_cut, &out_open);
			else
				drain(fd_err, eout, SPAWN_OUTPUT_MAX,
				      &res->err_cut, &err_open);
		}
	}
	/* The group may still hold children that outlived the leader. */
	kill(-pid, SIGKILL);
	close(fd_out);
	close(fd_err);
	g_spawn_close_pid(pid);
	if (WIFEXITED(st))
		res->status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		res->status = 128 + WTERMSIG(st);
	res->out = g_string_free(out, FALSE);
	res->errout = g_string_free(eout, FALSE);
	res->elapsed_ms = mono_ms() - start;
	return 0;
}

int spawn_run(char *const argv[], int timeout_ms, struct proc_result *res,
	      char *err)
{
	return spawn_run_impl(argv, timeout_ms, res, true, err);
}

int spawn_run_teardown(char *const argv[], int timeout_ms,
		       struct proc_result *res, char *err)
{
	return spawn_run_impl(argv, timeout_ms, res, false, err);
}

void proc_result_clear(struct proc_result *res)
{
	if (!res)
		return;
	g_free(res->out);
	g_free(res->errout);
	memset(res, 0, sizeof(*res));
}

pid_t spawn_bg(char *const argv[], const char *log_path, char *err)
{
	pid_t pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_set(err, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		child_setup(NULL);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(log_path ? log_path : "/dev/null",
			  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int mkdir_p(const char *path, char *err)
{
	if (g_mkdir_with_parents(path, 0755) < 0) {
		err_set(err, "cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int rm_rf_at(int dfd, const char *name)
{
	struct stat st;
	int fd, rc = 0;
	DIR *d;
	struct dirent *de;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_rf_at(dirfd(d), de->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}

int rm_rf(const char *path, char *err)
{
	if (rm_rf_at(AT_FDCWD, path) < 0) {
		err_set(err, "cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int file_write(const char *path, const void *buf, size_t len, char *err)
{
	GError *gerr = NULL;

	if (!g_file_set_contents(path, buf, (gssize)len, &gerr)) {
		err_set(err, "cannot write '%s': %s", path, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	return 0;
}

int file_read(const char *path, char **out, size_t *len, char *err)
{
	GError *gerr = NULL;
	char *buf;
	gsize n;

	if (!g_file_get_contents(path, &buf, &n, &gerr)) {
		err_set(err, "cannot read '%s': %s", path, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int file_read_max(const char *path, size_t max, char **out, size_t *len,
		  bool *cut, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	size_t n = 0, room;
	char *buf;

	if (fd < 0) {
		err_set(err, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, "cannot read '%s': not a regular file", path);
		close(fd);
		return -1;
	}
	/* room for max + 1 bytes at most: one more than max says "cut" */
	room = MIN((size_t)st.st_size, max) + 1;
	buf = g_malloc(room + 1);
	for (;;) {
		ssize_t r;

		if (n == room) {
			if (room > max)
				break;
			room = MIN(room * 2, max + 1);	/* it grew */
			buf = g_realloc(buf, room + 1);
		}
		r = read(fd, buf + n, room - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(err, "cannot read '%s': %s", path,
				strerror(errno));
			g_free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (cut)
		*cut = n > max;
	if (n > max)
		n = max;
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int file_appendf(const char *path, char *err, const char *fmt, ...)
{
	FILE *f = fopen(path, "a");
	va_list ap;

	if (!f) {
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0) {
		err_set(err, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

char *shq(const char *s)
{
	GString *q = g_string_new("'");

	for (; *s; s++) {
		if (*s == '\'')
			g_string_append(q, "'\\''");
		else
			g_string_append_c(q, *s);
	}
	g_string_append_c(q, '\'');
	return g_string_free(q, FALSE);
}

char *hex_encode(const unsigned char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *out = g_malloc(len * 2 + 1);
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

char *kv_get(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	if (!text || !klen)
		return NULL;
	while ((p = strstr(p, key))) {
		if (p == text || p[-1] == ' ' || p[-1] == '\t' ||
		    p[-1] == '\n' || p[-1] == '\r') {
			size_t n;

			p += klen;
			n = strcspn(p, " \t\r\n");
			return g_strndup(p, n > 4096 ? 4096 : n);
		}
		p += klen;
	}
	return NULL;
}

int kv_get_int(const char *text, const char *key, long long lo, long long hi,
	       long long *out)
{
	char *v = kv_get(text, key), *end;
	long long n;
	int rc = -1;

	if (v && *v) {
		errno = 0;
		n = g_ascii_strtoll(v, &end, 10);
		if (!*end && !errno && n >= lo && n <= hi) {
			*out = n;
			rc = 0;
		}
	}
	g_free(v);
	return rc;
}

void argv_addf(GStrvBuilder *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_strv_builder_add(b, s);
	g_free(s);
}
