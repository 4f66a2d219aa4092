/*
 * klog.h - find kernel trouble in a guest's kernel log or serial console.
 *
 * A NIC case passes only if the guest kernel stayed healthy, so after each
 * case nicq scans what the guest printed (the serial console file, or
 * `dmesg` fetched over SSH) and reports every line that shows a panic, an
 * oops, a BUG, a WARN, a lockup, a stall, a transmit timeout and the like.
 *
 * Lines may carry any of the prefixes kernel logs come with, which are
 * stripped before matching: printk time "[    1.234567] ", a caller id
 * "[    T1] ", dmesg -T "[Sat Nov 22 10:00:00 2025] ", a syslog level "<4>",
 * dmesg -x "kern  :warn  : ", and a syslog or journal "Nov 22 10:00:00 host
 * kernel: ".  A serial console interleaves kernel output with user space
 * (systemd's "[  OK  ] Started ...") without regard for line ends, so a
 * printk time stamp in the middle of a line also starts a message.  Line
 * ends may be "\n" or "\r\n"; NUL bytes and invalid UTF-8 are tolerated.
 *
 * Patterns are anchored at the start of the message where the kernel prints
 * them there, and are case-sensitive.  That, rather than an allowlist, keeps
 * normal boot lines out: "RETBleed: WARNING: Spectre v2 mitigation leaves
 * CPU vulnerable..." and "Speculative Return Stack Overflow: WARNING: ..."
 * describe the host CPU, appear on clean boots, and do not start with
 * "WARNING: CPU:"; "[Firmware Bug]: TSC doesn't count..." and "ACPI BIOS
 * Error (bug): ..." are firmware complaints, not "BUG:"; "traps: foo[42]
 * general protection fault ip:..." is a user-space crash, not a kernel one;
 * "NMI watchdog: Enabled..." and "Kernel command line: ... panic=1" are
 * configuration.  fixtures/logs/benign.log holds such lines.
 *
 * Every matching line is one hit, so one incident usually gives several:
 * a WARN_ON is "cut-here", "warning" and "call-trace"; the first hit of an
 * incident is where it starts.  Kinds, first matching rule winning:
 *
 *   panic            "Kernel panic - not syncing"
 *   soft-lockup      "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"
 *   hard-lockup      "Watchdog detected hard LOCKUP on cpu 1"
 *   hung-task        "INFO: task kworker/0:1:35 blocked for more than 120
 *                    seconds."
 *   rcu-stall        "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"
 *                    and "... self-detected stall on CPU"
 *   gpf              "general protection fault, probably for non-canonical
 *                    address ..." (kernel mode only, see above)
 *   oops             "Oops: 0000 [#1] PREEMPT SMP NOPTI", and any other die()
 *                    header "invalid opcode: 0000 [#1] ..."
 *   bug              "BUG: ..." (NULL pointer dereference, unable to handle
 *                    page fault, scheduling while atomic, KASAN ...),
 *                    "kernel BUG at net/core/skbuff.c:110!",
 *                    "Unable to handle kernel ..."
 *   ubsan            "UBSAN: array-index-out-of-bounds in ..."
 *   lockdep          "WARNING: possible circular locking dependency
 *                    detected", "... recursive locking ...", "WARNING:
 *                    inconsistent lock state", "WARNING: bad unlock balance
 *                    detected!", "WARNING: suspicious RCU usage", "WARNING:
 *                    HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
 *                    "INFO: trying to register non-static key.",
 *                    "DEBUG_LOCKS_WARN_ON(...)", and the bracketed
 *                    "[ INFO: possible ... ]" of kernels before 4.9
 *   warning          "WARNING: CPU: 0 PID: 1 at ...", "WARNING: at ...",
 *                    any other "WARNING: possible ..."
 *   cut-here         "------------[ cut here ]------------"
 *   call-trace       "Call Trace:"
 *   netdev-watchdog  "NETDEV WATCHDOG: ens3 (e1000): transmit queue 0 timed
 *                    out" (anywhere in the line: since 6.9 the driver's name
 *                    comes first)
 *   tx-hang          e1000/e1000e/igb "Detected Tx Unit Hang", "Detected
 *                    Hardware Unit Hang", virtio_net "TX timeout on queue"
 *   netdev-refcount  "unregister_netdevice: waiting for eth0 to become
 *                    free. Usage count = 2" (a device that cannot go away,
 *                    e.g. a driver unload that leaked a reference), and the
 *                    reference tracker's "ref_tracker: netdev@... has 1/1
 *                    users at"
 *   virtio-ring      virtio_ring's BAD_RING() errors, "virtio_net virtio0:
 *                    output.0:id 5 is not a head!", ":id 300 out of range",
 *                    and virtio_net's "eth0: bad gso: type: 7, size: 0",
 *                    "Unexpected TXQ (0) queue failure: -28"
 *   csum-fault       "eth0: hw csum failure" (a NIC's checksum offload lied)
 *   alloc-failure    "page allocation failure: order:..."
 *   oom              "... invoked oom-killer:", "Out of memory: Killed ..."
 *   hardware-error   "[Hardware Error]: ..." (MCE, APEI/GHES)
 *   nmi              "Uhhuh. NMI received for unknown reason ...", "NMI: PCI
 *                    system error (SERR) ...", "NMI: IOCK error ..."
 */
#ifndef NICQ_KLOG_H
#define NICQ_KLOG_H

#include <glib.h>
#include <stddef.h>

struct klog_hit {
	unsigned line;		/* 1-based line number in the text */
	const char *kind;	/* one of the kinds above; static */
	char *text;		/* the message, prefixes stripped, owned */
};

/*
 * Scan len bytes of text (need not be NUL-terminated).  Returns 0 and sets
 * *hits to a new array of struct klog_hit * in line order, empty when the
 * log is clean; free it with klog_hits_free().  Returns -1 with err only
 * when the patterns cannot be compiled, which is a bug.
 */
int klog_scan(const char *text, size_t len, GPtrArray **hits, char *err);

/* Read path and scan it as klog_scan() does. */
int klog_scan_file(const char *path, GPtrArray **hits, char *err);

/* Free an array from klog_scan() with its hits.  Accepts NULL. */
void klog_hits_free(GPtrArray *hits);

/*
 * Known defects of the guest kernel itself, which no NIC causes: move the
 * hits of such an incident (its cut-here, its WARNING and its Call Trace)
 * from hits to a new array *known (NULL when there are none) and return
 * what the defect is; NULL when nothing was moved.  One so far: Debian's
 * 6.1 kernel warns in ktime_get_seconds() (timekeeping.c: timekeeping
 * suspended) when random.c's crng_reseed_interval() runs during
 * syscore_resume while the guest's uptime is under 120 s, which a guest
 * restored from a state saved soon after its boot always is.  Matched on
 * the WARNING's location and both crng_make_state and syscore_resume in
 * its trace; any other trouble in the log is left alone.  The other:
 * virtio_net's "Unexpected TXQ (N) queue failure: -5" after "PM: Image
 * saving done" (the kernel breaks virtio queues as it powers off after
 * writing the hibernation image).  One defect per call, the first found:
 * call again until it returns NULL.
 */
const char *klog_known(const char *text, size_t len, GPtrArray *hits,
		       GPtrArray **known);

#endif
