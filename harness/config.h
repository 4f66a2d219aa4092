/*
 * config.h - profiles and run options.
 *
 * A profile holds every size, count and duration a case uses, so "quick"
 * (CI, laptops) and "full" (the Fedora plan's numbers) run the same code.
 * A key file given with --config overrides profile values:
 *
 *   [profile]
 *   base = quick
 *   ping_sizes = 0;64;1500
 *   ping_intervals = 0.1;0.01
 *   ping_count = 5
 *   flood_seconds = 30
 *   promisc_mib = 64
 *   transfer_mib = 256
 *   stress_seconds = 10
 *   knee_seconds = 2
 *   reload_loops = 10
 *   reload_mib = 32
 *   bond_count = 1000
 *
 * Unknown groups or keys and malformed values are errors (exit 2), never
 * silently ignored.
 */
#ifndef NICQ_CONFIG_H
#define NICQ_CONFIG_H

#include <stdbool.h>

#define CONFIG_MAX_LIST 32

struct profile {
	char name[32];
	int ping_sizes[CONFIG_MAX_LIST];
	int n_ping_sizes;
	double ping_intervals[CONFIG_MAX_LIST];
	int n_ping_intervals;
	int ping_count;		/* echo requests per size x interval step */
	int ping_oversize;	/* size that must be 100% lost (65508) */
	int flood_seconds;
	int after_count;	/* the short ping after the flood */
	int promisc_mib;	/* data moved host -> guest while toggling */
	int transfer_mib;	/* each way, at once (transfer) */
	int stress_seconds;	/* each iperf3 run (stress) */
	int knee_seconds;	/* each offered-rate step of the loss knee */
	int reload_loops;	/* driver unload/load rounds (reload) */
	int reload_mib;		/* file downloaded during the reloads */
	int bond_count;		/* pings before the bonding flood */
	int boot_timeout_s;
	unsigned guest_memory_mib;
};

/* Fill p with a built-in profile ("quick" or "full"). */
int profile_builtin(const char *name, struct profile *p, char *err);

/* Apply a key file's [profile] group on top of p (see above). */
int profile_load_file(const char *path, struct profile *p, char *err);

/* Parse "a;b;c" or "a,b,c" lists; helpers exposed for tests. */
int parse_int_list(const char *s, int *out, int max, int lo, int hi,
		   int *n, char *err);
int parse_double_list(const char *s, double *out, int max, double lo,
		      double hi, int *n, char *err);

#endif
