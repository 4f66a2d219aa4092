/*
 * domxml.h - libvirt domain and network XML, built with libxml2.
 *
 * nicq never pastes XML strings together: every document is a libxml2 tree
 * serialised at the end, so names and paths are escaped by construction.
 * The output is deterministic (same spec -> same bytes), which is what the
 * golden files in fixtures/xml/ rely on.
 */
#ifndef NICQ_DOMXML_H
#define NICQ_DOMXML_H

#include <stdbool.h>
#include "model.h"

#define DOMXML_MAX_NICS 8


struct nic_spec {
	enum nic_model model;
	char mac[18];		/* "52:54:00:xx:xx:xx", unicast, required;
				 * written in lower case */
	const char *network;	/* libvirt network name (type='network') */
	const char *bridge;	/* or a bridge name (type='bridge'); one of the two */
	const char *target;	/* host tap name, <target dev=...>; may be NULL */
	int mtu;		/* <mtu size=...>; 0 leaves it out */
	bool vhost;		/* virtio only: <driver name='vhost'> vs 'qemu' */
	bool link_down;		/* <link state='down'/> */
	const char *rom_file;	/* <rom file=...> for PXE; NULL for default */
	bool rom_off;		/* <rom bar='off'/> */
	int boot_order;		/* <boot order=N/> on the interface; 0 = none */
};

struct domain_spec {
	const char *name;
	const char *type;	/* "qemu" (TCG) or "kvm"; required, so the
				 * caller always decides the accelerator */
	const char *emulator;	/* NULL: libvirt's default */
	unsigned memory_mib;
	unsigned vcpus;
	const char *kernel;	/* direct kernel boot; NULL for PXE/network boot */
	const char *initrd;
	const char *cmdline;
	const char *console_log;	/* <serial type='file'> path; NULL: pty */
	bool pm_suspend_to_mem;
	bool pm_suspend_to_disk;
	bool bios_serial;	/* <bios useserial='yes'/>: the BIOS's and the
				 * option ROMs' text output (iPXE) also goes to
				 * the serial console */
	const char *disk;	/* optional raw disk path (virtio, vda) */
	struct nic_spec nics[DOMXML_MAX_NICS];
	int n_nics;
};

/*
 * Build the domain XML for spec.  Returns 0 and a g_free()able string in
 * *out, or -1 with err (for example an unknown model or missing name);
 * *out is untouched on failure.
 *
 * What is checked, so a bad spec fails here with a clear message rather
 * than in libvirt or, worse, silently differently: the name is 1-64 bytes
 * of [A-Za-z0-9_.-] starting with a letter or digit; every path (emulator,
 * kernel, initrd, console_log, disk, rom_file) is absolute, valid UTF-8
 * without control characters (also the cmdline); initrd/cmdline need a
 * kernel; 0 <= n_nics <= DOMXML_MAX_NICS and no kernel needs a NIC to boot
 * from.  Per NIC: known model; valid, unicast, unique MAC; exactly one of
 * network/bridge; target at most 15 bytes and not starting with "vnet",
 * "vif", "macvtap" or "macvlan" (libvirt would silently replace it with a
 * generated name); mtu 0 or 68..65535; vhost only on virtio; boot orders
 * unique.
 *
 * Without a kernel the guest boots from the network: <os><boot
 * dev='network'/> unless some NIC has a boot order (libvirt refuses both
 * at once).  type "qemu" gets <cpu> qemu64 with check='none'; "kvm" leaves
 * <cpu> to QEMU's default.
 */
int domxml_domain(const struct domain_spec *spec, char **out, char *err);

struct net_spec {
	const char *name;	/* libvirt network name */
	const char *bridge;	/* bridge device name */
	int mtu;		/* 0 = default */
	const char *ip;		/* host address on the bridge, NULL for none */
	int prefix;
	const char *dhcp_start;	/* NULL: no DHCP */
	const char *dhcp_end;
	const char *tftp_root;	/* NULL: no TFTP */
	const char *boot_file;	/* DHCP bootfile name */
	const char *ip6;	/* a second, IPv6 address next to an IPv4 ip
				 * (NULL: none): libvirt's dnsmasq then sends
				 * router advertisements on the segment */
	int prefix6;
};

/*
 * Build an isolated network's XML (no <forward>, DNS disabled).  bridge may
 * be NULL (libvirt picks virbrN).  ip is IPv4 or IPv6 with prefix 1..32 or
 * 1..128; the DHCP range must lie inside it; TFTP and boot_file are IPv4
 * only (a libvirt limit), and boot_file needs a DHCP range.  Same return
 * convention as domxml_domain().
 */
int domxml_network(const struct net_spec *spec, char **out, char *err);

/*
 * The <interface> element of domain_xml (a domain's live XML) whose <mac
 * address> is mac (any case), with its link state set to up or down
 * (<link state='up'/> or 'down', replacing any <link> it had), as a
 * document of its own: what virDomainUpdateDeviceFlags() takes to change
 * that NIC's link state.  Everything else of the element is kept as
 * libvirt wrote it, since libvirt refuses an update that changes other
 * properties of the NIC.  Same return convention as domxml_domain(); no
 * such interface or an unparsable domain_xml is an error.
 */
int domxml_iface_link(const char *domain_xml, const char *mac, bool up,
		      char **out, char *err);

/*
 * A saved domain's XML (virDomainSaveImageGetXMLDesc) with its host side
 * moved to spec's: each <interface>, matched by MAC, gets spec's network
 * (or bridge) and target device, with the old network port dropped; the
 * serial console and console get spec's console_log; a file disk gets
 * spec's disk.  Everything the guest can see stays as saved, which is what
 * virDomainRestoreFlags() insists on.  Same return convention as
 * domxml_domain(); a NIC of one that the other lacks is an error.
 */
int domxml_retarget(const char *saved_xml, const struct domain_spec *spec,
		    char **out, char *err);

#endif
