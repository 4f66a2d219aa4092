/*
 * bench_klog.c - the kernel-log scan on what a hostile or broken guest can
 * print: one newline-free console line of 1 and 4 MiB, full of printk time
 * stamps (the worst case for the message split) and plain text, with a
 * real panic at its end that must still be found.  Measures and prints;
 * no thresholds (issue: a 4 MiB line must take well under a second).
 */
#include "klog.h"
#include "util.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static void one(const char *what, const char *unit, size_t mib)
{
	static const char panic[] =
		"[ 2.000000] Kernel panic - not syncing: bench\n";
	size_t len = mib << 20, ul = strlen(unit);
	char *t = g_malloc(len + sizeof(panic));
	GPtrArray *hits = NULL;
	char err[ERRLEN];
	gint64 t0;

	for (size_t i = 0; i < len; i++)
		t[i] = unit[i % ul];
	memcpy(t + len, panic, sizeof(panic));
	t0 = g_get_monotonic_time();
	if (klog_scan(t, len + sizeof(panic) - 1, &hits, err) < 0) {
		printf("klog: %s: %s\n", what, err);
	} else {
		printf("klog: %zu MiB newline-free line of %s: %.3f s, %u "
		       "finding%s (the panic at its end)\n", mib, what,
		       (g_get_monotonic_time() - t0) / 1e6, hits->len,
		       hits->len == 1 ? "" : "s");
		klog_hits_free(hits);
	}
	g_free(t);
}

int main(void)
{
	one("time stamps", "[ 1.000000] ab", 1);
	one("time stamps", "[ 1.000000] ab", 4);
	one("plain text", "abcdefgh ", 1);
	one("plain text", "abcdefgh ", 4);
	return 0;
}
