/*
 * fixture.h - what the runner sets up around one test point, and tears
 * down: addresses, segments, guests, SSH, captures, the fault, the guests'
 * kernel logs.  The case in between only drives traffic and judges
 * (cases/case.h).
 *
 * fixture_run_point() runs one point from start to end in the calling
 * process, recording into the point as it goes; the runner calls it in a
 * child process of its own.  fixture_reap_point() removes, by name, what a
 * point's process may have left when it was killed: it is safe to call
 * after any point, and finds nothing after one that ended normally.
 *
 * Points run in slots (--jobs): a slot runs one point at a time, and
 * points in different slots never share a name or an address.  Names a
 * point uses (n = the point's number in the run, j = its slot):
 *	libvirt domains		nicq-<id>-j<j>-p<n>-g<k> (booted), or
 *				nicq-<id>-j<j>-s<shape> (restored)
 *	libvirt networks	nicq-<id>-j<j>-p<n>-s<k>
 *	bridges, taps		nq<id><b|t><n*16+k> (15 characters at most)
 *	nft table		nicq_fault_p<n>
 *	addresses		198.18.<10+16j+k>.0/24 (case_octet)
 */
#ifndef NICQ_FIXTURE_H
#define NICQ_FIXTURE_H

#include "case.h"
#include "states.h"

/* What every point of a run shares. */
struct run_env {
	struct lab *lab;
	const struct ssh_ident *ident;
	const char *kernel, *initrd;	/* the guest image */
	const struct profile *prof;
	const struct fault *fault;
	/*
	 * Guests' saved states (harness/states.h: absolute, seen alike by
	 * nicq and the lab's libvirtd, kept across runs), or NULL: every
	 * guest boots from power-on.
	 */
	struct states *states;
};

/* The runner's own parameters (registered with the cases'). */
extern const struct param param_boot_timeout;
extern const struct param param_guest_memory;
extern const struct param param_deadline_scale;

/*
 * The whole deadline of a point of cd under p, in seconds: the guests'
 * boot time-outs, a fixed allowance for set-up and teardown, and the
 * case's own deadline scaled by the profile's deadline_scale.
 */
int fixture_deadline_s(const struct case_desc *cd, const struct profile *p);

/*
 * Run point n (cell x cd) in this process, with its folder dir (absolute,
 * existing): fixture, case, kernel logs, teardown, all recorded in p.
 */
void fixture_run_point(const struct run_env *env, const struct cell *cell,
		       const struct case_desc *cd, unsigned n, int slot,
		       const char *dir, struct point *p);

/*
 * Remove what point n in slot may have left: domains and networks named
 * by the slot's prefix, its fault table, its TFTP folder and its disk file
 * in dir.
 */
void fixture_reap_point(const struct run_env *env, unsigned n, int slot,
			const char *dir);

/*
 * What a guest looks like, read at a point's start and end: the shell
 * command (one program, ip, and the shell's own read), and the kept form
 * of its output (" tentative" gone, modules as "name size uses users",
 * sorted), g_free().  Linear in the output's length.
 */
const char *guest_state_cmd(void);
char *guest_state_normalize(const char *out);

#endif
