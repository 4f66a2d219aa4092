/*
 * model.h - the emulated NIC models nicq tests: one table of their names.
 *
 * Every other module asks this table: the CLI's name, libvirt's
 * <model type>, the QEMU device the host must have, the Linux driver the
 * guest binds, and the largest MTU that driver accepts.
 */
#ifndef NICQ_MODEL_H
#define NICQ_MODEL_H

enum nic_model { NIC_RTL8139, NIC_E1000, NIC_VIRTIO, NIC_MODEL_COUNT };

struct model_info {
	const char *name;	/* CLI and results: "rtl8139", "e1000", "virtio" */
	const char *libvirt;	/* <model type=...> */
	const char *qemu_device;	/* in `qemu-system-x86_64 -device help` */
	const char *driver;	/* the guest's driver (ethtool -i) */
	int max_mtu;		/* the largest MTU the guest driver accepts */
};

/* The model's row; NULL for a value outside the enum. */
const struct model_info *model_info(enum nic_model m);

/* Model by CLI name; -1 if unknown. */
int model_from_name(const char *name);

/* Shorthands: the CLI name and libvirt's name; NULL outside the enum. */
const char *model_name(enum nic_model m);
const char *nic_model_libvirt(enum nic_model m);

#endif
