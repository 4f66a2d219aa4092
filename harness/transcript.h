/*
 * transcript.h - the one writer of transcript.txt: every command a point
 * runs, on the host or in a guest, with its exit status, timing and output.
 *
 * An entry reads:
 *
 *	=== #3 +12.345s 2026-11-25T10:00:00.123Z root@198.18.10.10:22
 *	$ ethtool -i eth0
 *	exit 0, 41 ms, stdin 0 bytes
 *	--- stdout (120 bytes)
 *	...
 *	--- stderr (0 bytes)
 *
 * Each stream is cut at TRANSCRIPT_MAX bytes with a line saying how much
 * was left out.  When the command's output itself was truncated before it
 * got here (a stream over SPAWN_OUTPUT_MAX or SSH_OUTPUT_MAX, see util.h),
 * the record says "[output truncated at N bytes: the rest was dropped]"
 * after that stream.  transcript_add() returns the line the entry starts on, so
 * an expectation can cite "transcript.txt:<line>" as its evidence.  A
 * transcript that cannot be written never fails the command: the error is
 * dropped (the entry's line is then 0).
 */
#ifndef NICQ_TRANSCRIPT_H
#define NICQ_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TRANSCRIPT_MAX (64 * 1024)	/* per stream, per entry */

struct transcript;

/* Open (create or append) path; NULL with err on failure. */
struct transcript *transcript_open(const char *path, char *err);
void transcript_free(struct transcript *t);	/* NULL is fine */
const char *transcript_path(const struct transcript *t);

struct transcript_rec {
	const char *where;	/* "host", "root@198.18.10.10:22" */
	bool background;
	const char *cmd;
	struct timespec wall_start;	/* CLOCK_REALTIME at the start */
	int64_t mono_start;	/* mono_ms() at the start */
	const char *outcome;	/* "exit 0", "TIMED OUT, killed", ... */
	int64_t elapsed_ms;
	const char *extra;	/* appended to the outcome line, or NULL */
	const char *out;
	size_t out_len;
	const char *err;
	size_t err_len;
	size_t out_cut, err_cut;	/* proc_result's: 0, or the cap at
					 * which the stream was truncated */
};

/* Append one entry; returns its first line (1-based), 0 if not written. */
unsigned transcript_add(struct transcript *t, const struct transcript_rec *r);

/* The line of the last entry written, 0 if none. */
unsigned transcript_last(const struct transcript *t);

#endif
