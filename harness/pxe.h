/*
 * pxe.h - what a network boot through iPXE needs on the host side.
 *
 * A PXE guest has no kernel of its own: its NIC's option ROM (the iPXE
 * build QEMU loads for the model) asks the segment's DHCP server (libvirt's
 * dnsmasq) for an address and a boot file, fetches that file over TFTP
 * from the same server, and runs it.  nicq serves an iPXE script as the
 * boot file, which fetches nicq's own guest kernel and initramfs over TFTP
 * and boots them with the same kernel command line a direct kernel boot
 * gets, so the guest comes up to the same readiness marker.
 */
#ifndef NICQ_PXE_H
#define NICQ_PXE_H

#include "domxml.h"

/* The DHCP boot file name nicq serves: the iPXE script. */
#define PXE_BOOT_FILE "nicq.ipxe"
/* Names of the kernel and initramfs in the TFTP root. */
#define PXE_KERNEL "vmlinuz"
#define PXE_INITRD "initrd.img"

/*
 * The option ROM QEMU loads for model when the domain does not name one:
 * QEMU 7.2's romfile default for the PCI device (efi-rtl8139.rom,
 * efi-e1000.rom, efi-virtio.rom: iPXE for legacy BIOS and UEFI in one
 * image), looked up in QEMU's firmware search path (as `qemu -L help`
 * lists it; Debian puts the iPXE ROMs in /usr/lib/ipxe/qemu).  Returns 0
 * and a g_free()able absolute path, or -1 with err saying which file is
 * missing where.
 */
int pxe_rom_path(enum nic_model model, char **path, char *err);

/* QEMU's default romfile name for model ("efi-e1000.rom"). */
const char *pxe_rom_name(enum nic_model model);

/*
 * The iPXE script: fetch PXE_KERNEL with cmdline and PXE_INITRD from
 * tftp://server/ and boot.  cmdline must be printable ASCII without '$'
 * (iPXE expands ${...} settings), '#', quotes or backslashes; server a
 * dotted IPv4 address.  Returns 0 and a g_free()able string, or -1 with err.
 */
int pxe_script(const char *server, const char *cmdline, char **out,
	       char *err);

/*
 * Make dir a TFTP root that the segment's dnsmasq can serve: the folder
 * (mode 0755), PXE_BOOT_FILE with the script, and copies PXE_KERNEL and
 * PXE_INITRD of the absolute paths kernel and initrd (all 0644).  dnsmasq
 * drops its privileges, so the folder's parents must be open to others;
 * copies rather than links, so the guest image's folders need not be.
 * 0 or -1 with err.
 */
int pxe_tftp_root(const char *dir, const char *kernel, const char *initrd,
		  const char *server, const char *cmdline, char *err);

#endif
