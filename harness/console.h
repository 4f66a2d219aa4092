/*
 * console.h - a guest's serial console log, read as it grows.
 *
 * The console is written by the guest, the thing under test: any bytes,
 * NULs included, lines of any length, at any rate.  A console_scan reads
 * the log file from where its last poll stopped (at most CONSOLE_READ_MAX
 * bytes a poll, so a guest that floods its console cannot stall a wait)
 * and looks at every byte once, keeping at most CONSOLE_LINE_MAX bytes of
 * any line: time is linear in what the guest wrote and memory is bounded
 * whatever it wrote.  Patterns are matched on raw bytes, so a NUL or any
 * other byte before one hides nothing.  What it looks for (guest.h, and
 * guests/init, which prints the NICQ- lines):
 *
 *  - the readiness marker: "NICQ-READY " anywhere in a line, parsed from
 *    there to the end of that line only (see console_marker_parse); the
 *    first one counts, and only once its newline has arrived;
 *  - "NICQ-ERROR <text>" lines before the marker: at most CONSOLE_ERRORS
 *    of them are kept, each cut at CONSOLE_ERROR_MAX bytes, control bytes
 *    shown as '?';
 *  - "Kernel panic" anywhere; "No bootable device" (the BIOS giving up)
 *    anywhere before the marker;
 *  - optionally a caller's marker (the suspend case's "NICQ-RESUMED"): a
 *    line holding it, once the line's newline has arrived.
 *
 * A log that is replaced (another inode) or shrinks below what was read is
 * a new console: the scan starts over on it, forgetting what it had seen.
 * (nicq never truncates a console in place: guest_boot() removes the old
 * log first, the suspend case moves it away before a restart.)
 */
#ifndef NICQ_CONSOLE_H
#define NICQ_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONSOLE_LINE_MAX	4096	/* bytes of a marker line kept */
#define CONSOLE_ERROR_MAX	256	/* bytes of a NICQ-ERROR text kept */
#define CONSOLE_ERRORS		16	/* NICQ-ERROR lines kept */
#define CONSOLE_READ_MAX	(8u << 20)	/* bytes read by one poll */
/*
 * The most of a console log read back whole after a case (for the kernel
 * log check, with file_read_max()): a boot and a case print well under a
 * MiB; a guest that prints more is scanned up to here.
 */
#define CONSOLE_KLOG_MAX	(16u << 20)

/* What the console has shown so far.  Read-only for callers. */
struct console_seen {
	bool ready;		/* a whole marker line arrived */
	char *bad;		/* set with ready when the marker line is
				 * malformed: why */
	char *hostkey;		/* from a sound marker: 64 hex digits */
	char *ifaces;		/* from a sound marker, NULL if absent */
	char *errors;		/* NICQ-ERROR texts before the marker, "; "
				 * between them; NULL if none */
	bool panic;		/* "Kernel panic" */
	bool no_boot;		/* "No bootable device" before the marker */
	bool marker;		/* a whole line with the caller's marker */
	size_t bytes;		/* bytes of the log scanned */
};

struct console_scan;

/*
 * A scan of the log at path (which need not exist yet).  marker is the
 * caller's marker to look for, or NULL.  Never fails.
 */
struct console_scan *console_scan_new(const char *path, const char *marker);
void console_scan_free(struct console_scan *cs);	/* NULL is fine */

/*
 * Read what the guest added to the log since the last poll, at most
 * CONSOLE_READ_MAX bytes, and scan it.  A log that does not exist (yet),
 * or is not a regular file, reads as nothing new.
 */
void console_scan_poll(struct console_scan *cs);

/* Scan len bytes as if the guest had appended them (tests, fuzzing). */
void console_scan_feed(struct console_scan *cs, const void *buf, size_t len);

/* What was seen so far; valid until the next call on cs. */
const struct console_seen *console_scan_seen(const struct console_scan *cs);

/*
 * Parse a readiness marker line: the len bytes that follow "NICQ-READY "
 * up to (not including) the newline; a trailing CR is dropped.  Words are
 * separated by blanks (space, tab, CR); "hostkey-sha256=" must be there
 * once, with exactly 64 hex digits; "ifaces=" may be there once, with
 * letters, digits and ".:_-=,@" only; other words are ignored.  Returns
 * 0 and sets *hostkey and *ifaces (NULL when absent; g_free()), or -1 with
 * err saying what is wrong and both untouched.
 */
int console_marker_parse(const char *line, size_t len, char **hostkey,
			 char **ifaces, char *err);

#endif
