/*
 * guest.h - one guest domain: boot through libvirt, readiness, teardown.
 *
 * A guest is ready when its serial console log shows the marker line
 *   NICQ-READY hostkey-sha256=<hex> ifaces=<name>=<mac>,...
 * which the guest's /init prints once its SSH server accepts connections.
 * The host key fingerprint in it is what sshc_connect() pins.  While
 * waiting, a crashed or stopped domain, a kernel panic on the console, or
 * the deadline ends the wait with an error that says which.
 */
#ifndef NICQ_GUEST_H
#define NICQ_GUEST_H

#include <stdbool.h>
#include <libvirt/libvirt.h>
#include "domxml.h"
#include "lab.h"

struct guest {
	char *name;
	struct lab *lab;
	virDomainPtr dom;
	char *console_path;
	char *xml;		/* the XML nicq defined */
	char *hostkey;		/* sha256 hex from the marker */
	char *ifaces;		/* "eth0=52:54:..,..." from the marker */
	char *marker_errors;	/* NICQ-ERROR lines seen before the marker */
	int64_t boot_ms;	/* domain start to marker */
};

/*
 * Start spec (its name and console_log must be set) and wait for the
 * marker.  The domain is tracked by the lab from the moment it exists.
 */
int guest_boot(struct lab *lab, const struct domain_spec *spec,
	       int timeout_ms, struct guest **out, char *err);

/*
 * Like guest_boot, but the domain is created paused and hook(arg, err)
 * runs before its CPUs start: for example to start a capture on its tap
 * that must see the first frame the guest sends (a network boot).  A
 * failing hook ends the boot with the hook's err.  The time to the marker
 * counts from the resume.  When the console shows the BIOS giving up
 * ("No bootable device", visible with domain_spec.bios_serial), the wait
 * ends at once with an error.
 */
int guest_boot_hooked(struct lab *lab, const struct domain_spec *spec,
		      int timeout_ms, int (*hook)(void *arg, char *err),
		      void *arg, struct guest **out, char *err);

/* Interface name in the guest for mac, from the marker; NULL if absent. */
char *guest_ifname(const struct guest *g, const char *mac);

/*
 * Check the live domain's NIC at index nic matches the wanted vhost
 * setting: the live XML's <driver name> and, where the QEMU process is on
 * this host, its command line (vhost=on).  *measured describes what was
 * found.  Returns 0 when it matches, -1 with err otherwise.
 */
int guest_check_vhost(struct guest *g, int nic, bool want, char **measured,
		      char *err);

/* Live domain XML, g_free(); NULL on error. */
char *guest_live_xml(struct guest *g);

/* Destroy the domain and free; NULL is fine. */
void guest_destroy(struct guest *g);

#endif
