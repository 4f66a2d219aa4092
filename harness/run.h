/*
 * run.h - a run: the matrix of cells x cases, from lab to TAP.
 */
#ifndef NICQ_RUN_H
#define NICQ_RUN_H

#include <stdbool.h>
#include "case.h"
#include "config.h"
#include "lab.h"

#define RUN_MAX_CASES 32

enum exit_code { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INFRA = 3 };

struct run_opts {
	const char *uri;		/* NULL: private lab */
	enum accel accel;
	struct profile prof;
	bool model[NIC_MODEL_COUNT];
	bool vhost[2];			/* [0] off, [1] on */
	const struct case_desc *cases[RUN_MAX_CASES];
	int n_cases;
	const char *results_root;	/* results/ */
	const char *image_dir;		/* guest image */
	int tap_version;		/* 13 or 14 */
	struct fault fault;
};

/* Model by name ("rtl8139", "e1000", "virtio"); -1 if unknown. */
int model_from_name(const char *name);
const char *model_name(enum nic_model m);

/*
 * Work out the cells of opts and whether each can run on this host (vhost
 * needs /dev/vhost-net and a virtio NIC; the model must be in the host's
 * QEMU).  Returns the number of cells written to cells (at most 6).
 */
int run_cells(const struct run_opts *opts, struct cell *cells,
	      bool vhost_ok, const char *vhost_reason);

/*
 * Check the guest image: *kernel and *initrd are set (g_free) or -1 with
 * a message naming the missing file and the command that builds it.
 */
int run_find_image(const char *dir, char **kernel, char **initrd, char *err);

/* Run the matrix; returns an exit code (enum exit_code). */
int run_matrix(const struct run_opts *opts);

#endif
