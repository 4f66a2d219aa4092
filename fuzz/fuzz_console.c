/*
 * fuzz_console - the console scanner and the readiness marker
 * (harness/console.c).  The first byte sets the size of the pieces the
 * rest is fed in, as a guest's writes and nicq's reads split it; the same
 * bytes fed whole must give the same result.  The input is also parsed as
 * a marker line on its own.
 */
#include "console.h"
#include "fuzz.h"

#include <glib.h>

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_key(const char *k)
{
	FUZZ_CHECK(strlen(k) == 64);
	for (int i = 0; i < 64; i++)
		FUZZ_CHECK(g_ascii_isxdigit(k[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct console_scan *a, *b;
	const struct console_seen *sa, *sb;
	char *key = NULL, *ifs = NULL, err[512];
	size_t piece;

	if (size < 1)
		return 0;
	piece = data[0] ? data[0] : 1;
	data++;
	size--;
	a = console_scan_new("/nonexistent", "NICQ-RESUMED");
	b = console_scan_new("/nonexistent", "NICQ-RESUMED");
	for (size_t off = 0; off < size; off += piece)
		console_scan_feed(a, data + off,
				  size - off < piece ? size - off : piece);
	console_scan_feed(b, data, size);
	sa = console_scan_seen(a);
	sb = console_scan_seen(b);
	FUZZ_CHECK(sa->ready == sb->ready && sa->panic == sb->panic &&
		   sa->no_boot == sb->no_boot && sa->marker == sb->marker &&
		   sa->bytes == sb->bytes);
	FUZZ_CHECK(same(sa->bad, sb->bad) && same(sa->hostkey, sb->hostkey) &&
		   same(sa->ifaces, sb->ifaces) &&
		   same(sa->errors, sb->errors));
	if (sa->hostkey) {
		FUZZ_CHECK(sa->ready && !sa->bad);
		check_key(sa->hostkey);
	}
	if (sa->ready)
		FUZZ_CHECK(!sa->bad != !sa->hostkey);
	if (sa->errors)
		FUZZ_CHECK(strlen(sa->errors) <
			   CONSOLE_ERRORS * (CONSOLE_ERROR_MAX + 5) + 32);
	console_scan_free(a);
	console_scan_free(b);

	if (console_marker_parse((const char *)data, size, &key, &ifs,
				 err) == 0)
		check_key(key);
	else
		FUZZ_CHECK(!key && !ifs);
	g_free(key);
	g_free(ifs);
	return 0;
}
