/*
 * hostprobe.h - what the host offers, checked before any lab starts: the
 * NIC models its QEMU has, and a guest image that can boot.
 */
#ifndef NICQ_HOSTPROBE_H
#define NICQ_HOSTPROBE_H

#include <stdbool.h>
#include "model.h"

enum accel { ACCEL_AUTO, ACCEL_TCG, ACCEL_KVM };

/*
 * Decide the accelerator: "kvm" only where a stock guest kernel can boot
 * on this host's /dev/kvm (hardware virtualisation, not PVM), else "tcg";
 * *reason (g_free()) says why.  ACCEL_TCG and ACCEL_KVM force the choice.
 */
const char *host_pick_accel(enum accel want, char **reason);

/* Whether /dev/vhost-net is usable here; *reason (g_free()) says why not. */
bool host_probe_vhost(char **reason);

/* Whether the host's qemu-system-x86_64 has the model (probed once). */
bool host_has_model(enum nic_model m);

/*
 * Find and check the guest image in dir: vmlinuz must be a whole x86
 * Linux bzImage (its boot header's sizes fit the file), initrd.img a whole
 * newc cpio archive, gzip-compressed or not (it must unpack to its
 * TRAILER!!! record).  Sets *kernel and *initrd (g_free()) or returns -1
 * with a one-line message naming the file, what is wrong with it and the
 * command that builds the image.
 */
int image_check(const char *dir, char **kernel, char **initrd, char *err);

/* The checks alone, on one file each (for tests). */
int image_check_kernel(const char *path, char *err);
int image_check_initrd(const char *path, char *err);

#endif
