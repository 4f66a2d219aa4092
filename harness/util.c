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
#include <linux/openat2.h>
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
static volatile sig_atomic_t second_fd = -1;
static volatile pid_t second_owner;

static void on_signal(int sig)
{
	int saved = errno;

	if (!got_signal) {
		got_signal = sig;
	} else if (second_fd >= 0 && getpid() == second_owner) {
		char c = (char)sig;

		if (write(second_fd, &c, 1) < 0) {
			/* nothing to do in a handler: the pipe is full */
		}
	}
	errno = saved;
}

void interrupt_second_fd(int fd)
{
	second_owner = getpid();
	second_fd = fd;
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

int pid_fd_open(pid_t pid)
{
	int fd = pidfd_open_(pid);

	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int pid_fd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
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
	int fd;

	if (pid <= 0)
		return;
	/*
	 * pid is our child and not reaped yet, so the number is still its
	 * own: the pidfd taken now names it for good, whatever happens to
	 * the number once it is reaped.
	 */
	fd = pid_fd_open(pid);
	if (fd < 0) {
		waitpid(pid, NULL, WNOHANG);
		return;
	}
	if (pid_fd_signal(fd, SIGTERM) < 0 && errno == ESRCH) {
		waitpid(pid, NULL, WNOHANG);
		close(fd);
		return;
	}
	if (pid_wait(pid, grace_ms, NULL) == 0) {
		close(fd);
		return;
	}
	pid_fd_signal(fd, SIGKILL);
	close(fd);
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

/* Whether child pid has exited, without reaping it (its number stays ours). */
static bool leader_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

/* Wait up to ms for child pid to exit, not reaping it: 0 once it has. */
static int leader_wait(pid_t pid, int ms)
{
	int fd = pid_fd_open(pid);

	if (fd >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		poll(&p, 1, ms);
		close(fd);
	} else {
		usleep((useconds_t)ms * 1000);
	}
	return leader_exited(pid) ? 0 : -1;
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

		if (!exited && leader_exited(pid))
			exited = true;
		if ((honour_interrupt && interrupted()) ||
		    deadline_left(deadline) == 0) {
			if (!exited) {
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
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
			if (!leader_wait(pid, 50))
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
	/*
	 * The group may still hold children that outlived the leader.  The
	 * leader is a zombie, not reaped, so its number (and the group's) is
	 * still ours: kill the group, then reap.
	 */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
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

const char *proc_why(const struct proc_result *res, char *buf, size_t n)
{
	const char *e = res->errout ? res->errout : "";
	size_t len;

	if (res->timed_out) {
		g_snprintf(buf, n, "timed out after %lld ms",
			   (long long)res->elapsed_ms);
		return buf;
	}
	if (res->interrupted) {
		g_snprintf(buf, n, "interrupted");
		return buf;
	}
	while (*e == ' ' || *e == '\n' || *e == '\t')
		e++;
	len = strcspn(e, "\n");
	g_snprintf(buf, n, "exit %d%s%.*s", res->status, len ? ": " : "",
		   (int)MIN(len, 200), e);
	return buf;
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
		fd = log_path ? file_open(log_path, O_WRONLY | O_CREAT |
					  O_APPEND, 0644) :
				open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* ---- files under the run's folder ---------------------------------------- */

/*
 * The run's folder, once made (results_dir_set): every file and folder
 * nicq makes under it is resolved from this descriptor, component by
 * component, refusing symlinks (openat2 RESOLVE_BENEATH|NO_SYMLINKS), so
 * neither a symlink planted where a file goes nor one swapped in for a
 * folder on the way can send root's writes elsewhere.
 */
static int run_fd = -1;
static char *run_path;
static mode_t run_mode = 0750;

int results_dir_set(const char *path, mode_t folder_mode, char *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		err_set(err, "'%s' is not nicq's own folder", path);
		close(fd);
		return -1;
	}
	if (run_fd >= 0)
		close(run_fd);
	g_free(run_path);
	run_fd = fd;
	run_path = g_strdup(path);
	run_mode = folder_mode;
	return 0;
}

mode_t results_dir_mode(void)
{
	return run_mode;
}

void results_dir_clear(void)
{
	if (run_fd >= 0)
		close(run_fd);
	run_fd = -1;
	g_free(run_path);
	run_path = NULL;
}

/* path relative to the run's folder, or NULL when it is not under it. */
static const char *under_run(const char *path)
{
	size_t n;

	if (!run_path)
		return NULL;
	n = strlen(run_path);
	if (strncmp(path, run_path, n) || path[n] != '/')
		return NULL;
	while (path[n] == '/')
		n++;
	return path[n] ? path + n : NULL;
}

static int openat2_(int dfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
}

int file_open(const char *path, int flags, mode_t mode)
{
	const char *rel = under_run(path);

	if (rel)
		return openat2_(run_fd, rel, flags, mode);
	return open(path, flags | O_CLOEXEC | O_NOFOLLOW, mode);
}

FILE *file_fopen(const char *path, const char *how)
{
	int flags = how[0] == 'r' ? O_RDONLY :
		    how[0] == 'a' ? O_WRONLY | O_CREAT | O_APPEND :
				    O_WRONLY | O_CREAT | O_TRUNC;
	FILE *f;
	int fd;

	if (strchr(how, 'x'))
		flags |= O_EXCL;
	fd = file_open(path, flags, 0644);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, how[0] == 'r' ? "r" : how[0] == 'a' ? "a" : "w");
	if (!f)
		close(fd);
	return f;
}

/* One folder level: made with mode (EEXIST fine unless excl), no symlink. */
static int mkdir_at(int dfd, const char *name, mode_t mode, bool excl)
{
	struct stat st;

	if (mkdirat(dfd, name, mode) == 0)
		return 0;
	if (errno != EEXIST || excl)
		return -1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
		return -1;
	}
	return 0;
}

static int mkdir_under_run(const char *rel, mode_t mode, bool excl)
{
	char **parts = g_strsplit(rel, "/", -1);
	int dfd = dup(run_fd), rc = 0, i, last = -1;

	for (i = 0; parts[i]; i++)
		if (*parts[i] && strcmp(parts[i], "."))
			last = i;
	for (i = 0; dfd >= 0 && parts[i] && rc == 0; i++) {
		int next;

		if (!*parts[i] || !strcmp(parts[i], "."))
			continue;
		if (!strcmp(parts[i], "..")) {
			errno = EXDEV;
			rc = -1;
			break;
		}
		if (mkdir_at(dfd, parts[i], mode, excl && i == last) < 0) {
			rc = -1;
			break;
		}
		next = openat(dfd, parts[i], O_RDONLY | O_DIRECTORY |
			      O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		dfd = next;
	}
	if (dfd < 0)
		rc = -1;
	else
		close(dfd);
	g_strfreev(parts);
	return rc;
}

static int mkdir_mode(const char *path, mode_t mode, bool excl, char *err)
{
	const char *rel = under_run(path);
	int rc;

	if (rel)
		rc = mkdir_under_run(rel, mode, excl);
	else if (excl)
		rc = mkdir(path, mode);
	else
		rc = g_mkdir_with_parents(path, mode);
	if (rc < 0) {
		err_set(err, "cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int path_root_only(const char *path, char *err)
{
	char *real = realpath(path, NULL), *p;
	int rc = 0;

	if (!real) {
		err_set(err, "cannot resolve '%s': %s", path, strerror(errno));
		return -1;
	}
	/* the folder itself, then each folder above it, up to / */
	for (p = real + strlen(real); rc == 0;) {
		struct stat st;
		char save = *p;

		*p = '\0';
		if (lstat(*real ? real : "/", &st) < 0) {
			err_set(err, "cannot check '%s': %s",
				*real ? real : "/", strerror(errno));
			rc = -1;
		} else if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
			   ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
			    !(st.st_mode & S_ISVTX))) {
			err_set(err, "'%s' can be changed by another user "
				"(owner uid %u, mode %04o), who could swap "
				"the folders under it for symlinks while nicq "
				"runs as root: use a folder only root can "
				"change", *real ? real : "/",
				(unsigned)st.st_uid,
				(unsigned)(st.st_mode & 07777));
			rc = -1;
		}
		*p = save;
		if (p == real)
			break;
		while (p > real && *--p != '/')
			;
	}
	free(real);
	return rc;
}

int mkdir_p(const char *path, char *err)
{
	return mkdir_mode(path, under_run(path) ? run_mode : 0755, false, err);
}

int mkdir_new(const char *path, mode_t mode, char *err)
{
	return mkdir_mode(path, mode, true, err);
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
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *dir = g_path_get_dirname(path);
	char *tmp = g_strdup_printf(".%s.%08x", base, g_random_int());
	const char *rel = under_run(dir);
	const char *p = buf;
	int dfd, fd = -1, rc = -1;

	/*
	 * Into a new file next to it, then renamed over it: a reader never
	 * sees half a file.  The folder is resolved without symlinks (from
	 * the run's folder when under it), the new file made O_EXCL, and a
	 * symlink where the file goes is replaced by the rename, never
	 * followed.
	 */
	if (rel)
		dfd = openat2_(run_fd, rel, O_RDONLY | O_DIRECTORY, 0);
	else if (!strcmp(dir, run_path ? run_path : ""))
		dfd = dup(run_fd);
	else
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto out;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd < 0)
		goto out;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, base) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (dfd >= 0)
			unlinkat(dfd, tmp, 0);
		err_set(err, "cannot write '%s': %s", path, strerror(e));
	}
	if (dfd >= 0)
		close(dfd);
	g_free(dir);
	g_free(tmp);
	return rc;
}

int file_read(const char *path, char **out, size_t *len, char *err)
{
	/* host files (/etc, /usr/lib/ipxe) may be symlinks; the run's not */
	int fd = under_run(path) ? file_open(path, O_RDONLY, 0) :
		 open(path, O_RDONLY | O_CLOEXEC);
	GString *buf;
	char tmp[65536];
	ssize_t n;

	if (fd < 0) {
		err_set(err, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	buf = g_string_new(NULL);
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, "cannot read '%s': %s", path,
				strerror(errno));
			close(fd);
			g_string_free(buf, TRUE);
			return -1;
		}
		g_string_append_len(buf, tmp, n);
	}
	close(fd);
	if (len)
		*len = buf->len;
	*out = g_string_free(buf, FALSE);
	return 0;
}

int file_read_max(const char *path, size_t max, char **out, size_t *len,
		  bool *cut, char *err)
{
	int fd = file_open(path, O_RDONLY | O_NONBLOCK, 0);
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
	FILE *f = file_fopen(path, "a");
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
