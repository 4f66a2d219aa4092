/*
 * guest.h - one guest domain: boot through libvirt, readiness, teardown.
 *
 * A guest is ready when its serial console log shows the marker line
 *   NICQ-READY hostkey-sha256=<hex> ifaces=<name>=<mac>,...
 * which the guest's /init prints once its SSH server accepts connections.
 * The host key fingerprint in it is what sshc_connect() pins.  Only that
 * line is parsed, and the console is read as it grows, never whole
 * (console.h says how, and its bounds).  While
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
	int64_t boot_ms;	/* domain start to marker, or the restore */
	bool restored;		/* started from a saved state (guest_restore) */
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

/*
 * Power management (the suspend case).  guest_state() gives the domain's
 * libvirt state (VIR_DOMAIN_RUNNING, VIR_DOMAIN_PMSUSPENDED, ...); a
 * transient domain that powered off no longer exists, which is reported as
 * VIR_DOMAIN_SHUTOFF too.  -1 with err when libvirt cannot say.
 */
int guest_state(struct guest *g, char *err);
/* "running", "pmsuspended", "shutoff", ...: a name for a state. */
const char *guest_state_name(int state);

/*
 * Wait until guest_state() is want, at most timeout_ms (also stops when
 * interrupted).  0, or -1 with err naming the state it was left in.
 */
int guest_wait_state(struct guest *g, int want, int timeout_ms, char *err);

/* Wake a pmsuspended (S3) domain through libvirt (virDomainPMWakeup). */
int guest_pm_wakeup(struct guest *g, char *err);

/*
 * Start a guest that powered off (e.g. it hibernated) again from the same
 * XML: same name, NICs, taps, disk, console path.  The console log starts
 * afresh (save the old one first).  The domain stays tracked by the lab.
 * Waits for nothing in the guest: see guest_wait_resume().  -1 with err if
 * the domain is still running or will not start.
 */
int guest_restart(struct guest *g, char *err);

/*
 * After guest_restart(): wait for the console to show marker (something the
 * resumed guest writes), or a complete readiness marker NICQ-READY, which
 * means the guest booted afresh (g->hostkey and g->ifaces are then the new
 * boot's, so a case can log in and look).  Returns 1 for marker, 0 for a
 * fresh boot, -1 with err on a panic, a stopped domain, the deadline or an
 * interruption.
 */
int guest_wait_resume(struct guest *g, const char *marker, int timeout_ms,
		      char *err);

/* Live domain XML, g_free(); NULL on error. */
char *guest_live_xml(struct guest *g);

/*
 * Set the link state of the guest's NIC with MAC mac, live, the way
 * `virsh domif-setlink` does: QEMU then reports carrier loss (or its
 * return) to the guest's driver and drops the NIC's frames both ways while
 * down.  The host-side tap stays up.  0, or -1 with err.
 */
int guest_set_link(struct guest *g, const char *mac, bool up, char *err);

/* Destroy the domain and free; NULL is fine. */
/*
 * Save the running guest's whole state to path (libvirt's save: the
 * domain stops and, being transient, goes away; g keeps its name, host
 * key and interfaces for guest_restore()).  -1 with err.
 */
int guest_save(struct guest *g, const char *path, char *err);

/*
 * Start a guest from a state saved by guest_save(): the saved domain's
 * XML is moved to spec's host side (domxml_retarget: taps, networks,
 * console, disk), so the guest resumes exactly where it was saved, on this
 * point's segments.  spec->name must be the saved domain's (libvirt does
 * not rename on restore).  hostkey and ifaces are the saved guest's
 * readiness marker's.  boot_ms is the restore's time.  -1 with err.
 */
int guest_restore(struct lab *lab, const struct domain_spec *spec,
		  const char *image, const char *hostkey, const char *ifaces,
		  struct guest **out, char *err);

void guest_destroy(struct guest *g);

#endif
