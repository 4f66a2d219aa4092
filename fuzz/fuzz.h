/*
 * fuzz.h - shared helpers of the libFuzzer targets in fuzz/ (see
 * fuzz/README.md).
 *
 * Each target is one file, fuzz_<name>.c, defining LLVMFuzzerTestOneInput
 * for one parser of what a guest, a capture or a tool wrote.  Parsers that
 * take a path (the pcap analyzers, key files, the point journal) read the
 * input from a memfd through /proc/self/fd/N: no file system is touched.
 * A broken invariant calls FUZZ_CHECK, which aborts, so libFuzzer keeps
 * the input as a crash like any sanitizer report.
 */
#ifndef NICQ_FUZZ_H
#define NICQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * A GLib critical (a g_return_if_fail() in GLib or json-glib that the
 * input reached) is a bug in how nicq calls them: make it abort too.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
			       G_LOG_FATAL_MASK);
	return 0;
}

#define FUZZ_CHECK(cond)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

/* Remove the input files when the fuzzer exits. */
static char fuzz_tmp_paths[4][64];
static void fuzz_unlink_all(void)
{
	for (int i = 0; i < 4; i++)
		if (fuzz_tmp_paths[i][0])
			unlink(fuzz_tmp_paths[i]);
}

static inline void fuzz_unlink_at_exit(const char *path)
{
	static int n;

	if (n == 0)
		atexit(fuzz_unlink_all);
	if (n < 4)
		snprintf(fuzz_tmp_paths[n++], sizeof(fuzz_tmp_paths[0]), "%s",
			 path);
}

/*
 * A path whose file holds exactly data[0..size): one memfd per process,
 * rewritten on each call (slot 0..3 for targets that need several files).
 */
static inline const char *fuzz_file(unsigned slot, const uint8_t *data,
				    size_t size)
{
	/*
	 * A real file (not a memfd's /proc/self/fd/N, which is a symlink:
	 * nicq's readers of run-folder files refuse those), made once per
	 * slot and rewritten per input.
	 */
	static int fd[4] = { -1, -1, -1, -1 };
	static char path[4][64];

	if (slot >= 4)
		abort();
	if (fd[slot] < 0) {
		snprintf(path[slot], sizeof(path[slot]),
			 "/tmp/nicq-fuzz-%d-%u-XXXXXX", (int)getpid(), slot);
		fd[slot] = mkstemp(path[slot]);
		if (fd[slot] < 0)
			abort();
		fuzz_unlink_at_exit(path[slot]);
	}
	if (ftruncate(fd[slot], 0) < 0 ||
	    (size && pwrite(fd[slot], data, size, 0) != (ssize_t)size))
		abort();
	return path[slot];
}

/* A NUL-terminated copy of the input (free()). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
