/*
 * util.h - small helpers every nicq module shares.
 *
 * Error convention: a function that can fail returns 0 on success and -1 on
 * failure, and on failure writes a one-line message (git style:
 * "cannot open 'vnet3': No such device") into a caller-supplied buffer of
 * ERRLEN bytes.  Only the CLI level prints it.  Outputs are left untouched
 * on failure.
 *
 * Every wait in nicq has a deadline on CLOCK_MONOTONIC; deadlines are plain
 * int64_t milliseconds from mono_ms().
 */
#ifndef NICQ_UTIL_H
#define NICQ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ERRLEN 512

/* Write a formatted message into err (ERRLEN bytes); err may be NULL. */
void err_set(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t mono_ms(void);

/* Milliseconds left until deadline (never negative). */
int64_t deadline_left(int64_t deadline);

/*
 * Interruption: SIGINT/SIGTERM set a flag that every wait loop checks, so a
 * run stops at its next wait and tears its lab down in order.
 */
void interrupt_install(void);
bool interrupted(void);
int interrupt_signal(void);	/* the signal that interrupted us, or 0 */
void interrupt_raise(int sig);	/* set the flag by hand (tests) */
/*
 * A second SIGINT/SIGTERM/SIGHUP (the flag already set) writes the
 * signal's number as one byte to fd, in the process that called this
 * only (not in its forked children); -1 turns it off.  The lab's guard
 * (lab.c) reads it and kills what the lab started.
 */
void interrupt_second_fd(int fd);

/*
 * Result of a subprocess run with spawn_run() (or of a guest command,
 * ssh.h).  status is the exit code, or 128+signal if it was killed;
 * timed_out says the deadline killed it.  Each stream is kept up to a cap
 * (SPAWN_OUTPUT_MAX here, SSH_OUTPUT_MAX for guest commands); what the
 * command printed past it is read and dropped, so the command runs on
 * as it would, and out_cut (err_cut) is that cap: 0 means the stream is
 * whole.  A caller that parses the output can tell it is not.
 */
struct proc_result {
	int status;
	bool timed_out;
	bool interrupted;
	char *out;		/* NUL-terminated, g_free() */
	char *errout;		/* NUL-terminated, g_free() */
	size_t out_cut;		/* 0, or stdout truncated at this many bytes */
	size_t err_cut;		/* 0, or stderr truncated at this many bytes */
	int64_t elapsed_ms;
};

/*
 * The most spawn_run() keeps of a host program's stdout, and of its
 * stderr.  What nicq runs on the host prints far less: iperf3's JSON for
 * the longest stress run is under a MiB, ping -q a few lines, nft, ip and
 * qemu's device lists some KiB.
 */
#define SPAWN_OUTPUT_MAX	(16u << 20)

/*
 * Run argv (argv[0] searched in PATH) with stdin from /dev/null, collect
 * stdout and stderr (each up to SPAWN_OUTPUT_MAX, see proc_result), and
 * wait at most timeout_ms.  The child runs in its own process group; on
 * timeout or interruption the whole group gets SIGKILL.  Returns -1 only
 * when the program could not be started.
 */
int spawn_run(char *const argv[], int timeout_ms, struct proc_result *res,
	      char *err);
/*
 * Like spawn_run, but not cut short by SIGINT/SIGTERM: for teardown steps
 * that must finish after an interruption (still bounded by timeout_ms).
 */
int spawn_run_teardown(char *const argv[], int timeout_ms,
		       struct proc_result *res, char *err);
void proc_result_clear(struct proc_result *res);
/*
 * How a command that ran did not succeed, for a one-line error: "timed
 * out after N ms", "interrupted", or "exit N: " and its stderr's first
 * line (bounded).  Into buf; returns buf.
 */
const char *proc_why(const struct proc_result *res, char *buf, size_t n);

/*
 * Start argv in the background in its own process group, stdout/stderr to
 * log_path (appended; NULL for /dev/null).  Returns the pid, -1 on error.
 */
pid_t spawn_bg(char *const argv[], const char *log_path, char *err);

/*
 * Wait for pid to exit, at most timeout_ms (pidfd + poll).  Returns 0 when it
 * exited (status in *status if not NULL), -1 on timeout or error.
 */
int pid_wait(pid_t pid, int timeout_ms, int *status);

/*
 * A pidfd for pid (close-on-exec), -1 on error; and a signal sent through
 * it.  Take the pidfd while the number is known to be the process's own
 * (an unreaped child, or checked after opening): a signal through it never
 * reaches a later process that got the same number.
 */
int pid_fd_open(pid_t pid);
int pid_fd_signal(int pidfd, int sig);

/*
 * SIGTERM, wait grace_ms, then SIGKILL and reap, through a pidfd taken
 * before anything is reaped.  pid <= 0 is a no-op.
 */
void pid_stop(pid_t pid, int grace_ms);

/*
 * The run's folder, made fresh by the runner: from here on every file and
 * folder nicq opens or makes under it (file_open, file_fopen, file_write,
 * file_appendf, file_read_max, mkdir_p, mkdir_new, spawn_bg's log) is
 * resolved from its descriptor without following any symlink, in any
 * component.  Elsewhere only the last component refuses a symlink.
 * Folders made under it get folder_mode (mkdir_p).
 */
int results_dir_set(const char *path, mode_t folder_mode, char *err);
void results_dir_clear(void);
mode_t results_dir_mode(void);	/* the folder_mode given */

/* open(2) as above: O_NOFOLLOW and O_CLOEXEC always; -1 and errno. */
int file_open(const char *path, int flags, mode_t mode);
/* fopen(3) as above, how "r", "w", "a", with "x" for O_EXCL; files 0644. */
#include <stdio.h>
FILE *file_fopen(const char *path, const char *how);

/*
 * 0 when path (resolved) and every folder above it can be changed by root
 * (or nicq's own user) alone: owned by them, and not writable by group or
 * others unless sticky (/tmp).  Else -1, with the folder that fails.
 * Programs nicq starts (QEMU, libvirt, tcpdump, nft) open their files
 * under the run's folder by name; this keeps those names nicq's own.
 */
int path_root_only(const char *path, char *err);

/* mkdir -p: folder_mode under the run's folder, 0755 elsewhere. */
int mkdir_p(const char *path, char *err);
/* mkdir -p whose last folder must be new (made with mode). */
int mkdir_new(const char *path, mode_t mode, char *err);

/* Remove a directory tree (no symlinks followed).  Missing is fine. */
int rm_rf(const char *path, char *err);

/*
 * Write a whole file, 0644, atomically (a new file renamed over it): a
 * symlink where it goes is replaced, never followed; its folder is
 * reached without symlinks under the run's folder (results_dir_set).
 */
int file_write(const char *path, const void *buf, size_t len, char *err);

/* Read a whole file, NUL-terminated, g_free(); under the run's folder
 * (results_dir_set) not through a symlink. */
int file_read(const char *path, char **out, size_t *len, char *err);

/*
 * Read at most max bytes from the start of the regular file path, without
 * following a symlink: for files a guest fills (its console log), which
 * can be any size.  *out is NUL-terminated (g_free()), *len its length
 * (may be NULL), *cut true when the file held more than max bytes.
 */
int file_read_max(const char *path, size_t max, char **out, size_t *len,
		  bool *cut, char *err);

/* Append a formatted line to a file. */
int file_appendf(const char *path, char *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Shell-quote s for a POSIX shell (single quotes), g_free().  Use for every
 * value placed in a guest command.
 */
char *shq(const char *s);

/*
 * The value of key in text that holds "key=value" words (a guest command's
 * output): the text after the first "key=" that starts a line or follows a
 * blank, up to the next blank or end of line, at most 4096 bytes.  NULL
 * when absent; g_free().  key includes its separator ("sha=", "driver: ").
 */
char *kv_get(const char *text, const char *key);

/*
 * The same, as an integer in lo..hi: 0 and *out set, or -1 (absent, not a
 * whole number, out of range).
 */
int kv_get_int(const char *text, const char *key, long long lo, long long hi,
	       long long *out);

/* Add a formatted argument to an argv under construction. */
typedef struct _GStrvBuilder GStrvBuilder;
void argv_addf(GStrvBuilder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Lower-case hex of len bytes, g_free(). */
char *hex_encode(const unsigned char *buf, size_t len);

#endif
