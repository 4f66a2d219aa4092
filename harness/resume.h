/*
 * resume.h - did a guest resume, or boot afresh?  The suspend case's
 * checker, kept apart from the case so it can be tested without a guest.
 *
 * Before suspending, the guest keeps evidence of its current boot in
 * memory: a random token in a tmpfs file (/tmp/nicq-token), a sleeping
 * process with a random argument, and the kernel's boot_id.  A resume from
 * S3 or S4 keeps all three; a fresh boot has none of them.  The same
 * command also reads the NIC under test's driver (ethtool -i), its
 * operstate and the uptime.
 *
 * Calling sequence: run resume_evidence_cmd() in the guest, feed its
 * stdout to resume_evidence_parse(), and compare two readings (the case
 * states each comparison as an expectation).
 *
 * S4 also leaves a mark on the swap device: the kernel replaces the swap
 * header's signature (the last 10 bytes of its first 4 KiB page,
 * "SWAPSPACE2") with "S1SUSPEND" when it writes a hibernation image, and
 * puts the old one back when it resumes.  swsusp_signature() reads it
 * from the disk's backing file on the host; swsusp_wipe() zeroes that page
 * (the s4-fresh-boot fault: no image to resume, so the guest boots fresh).
 */
#ifndef NICQ_RESUME_H
#define NICQ_RESUME_H

#include <glib.h>
#include "domxml.h"

#define SWSUSP_SIG_OFFSET 4086	/* PAGE_SIZE - 10 */
#define SWSUSP_HIBERNATED "S1SUSPEND"

struct resume_evidence {
	char *token;		/* NULL: no token file */
	char *boot_id;
	char *sleeper;		/* the process's cmdline, NULs as spaces */
	char *driver;		/* ethtool -i's "driver:" */
	char *operstate;
	char *uptime;		/* seconds, as /proc/uptime says */
};

/*
 * The guest shell command that prints the evidence as key=value lines, for
 * interface ifname (quoted in the command) and sleeper_pid; g_free().
 */
char *resume_evidence_cmd(const char *ifname, long sleeper_pid);

/*
 * The value of a "key=value" line of out (CR/LF ends it); NULL if absent
 * or empty.  g_free().  Unlike kv_get() the value is the rest of the line,
 * blanks included: the sleeper's command line has them.
 */
char *resume_kv(const char *out, const char *key);

/* Fill e from the command's output; absent keys stay NULL. */
void resume_evidence_parse(const char *out, struct resume_evidence *e);
void resume_evidence_clear(struct resume_evidence *e);	/* NULL is fine */

/*
 * The swap signature of the raw disk file path: its 10 bytes at
 * SWSUSP_SIG_OFFSET up to the first NUL, non-printable bytes as '.'.
 * 0, or -1 with err (cannot open, shorter than a page).
 */
int swsusp_signature(const char *path, char sig[11], char *err);

/* Zero the first 4 KiB page of path (and fsync it).  0, or -1 with err. */
int swsusp_wipe(const char *path, char *err);

#endif
