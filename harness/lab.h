/*
 * lab.h - where guests run: nicq's private lab, or an existing libvirt.
 *
 * Private lab (the default): nicq creates a network namespace "nicq-<id>",
 * enters it, and starts its own virtlogd and libvirtd inside it, each in a
 * private mount namespace where /etc/libvirt, /var and /run are bind mounts
 * of the lab directory /run/nicq/<id>/ — the host's /etc/libvirt,
 * /run/libvirt and /var/lib/libvirt are never touched.  Bridges, taps and
 * guests all live in the namespace; addresses come from 198.18.0.0/15.
 *
 * Connected lab (--connect URI): an existing libvirt; nicq's networks and
 * domains are named "nicq-<id>-..." and removed afterwards.
 *
 * Calling sequence: lab_open(), lab_segment_add() per test segment,
 * lab_track_domain() for each domain a caller starts, lab_close() always
 * (it tears down whatever exists, in reverse order, and copes with a
 * half-built lab).  While a lab is open it holds an flock on
 * /run/nicq/<id>.lock, so another nicq can tell a live lab from a leftover
 * and several runs can share a host.
 */
#ifndef NICQ_LAB_H
#define NICQ_LAB_H

#include <pthread.h>
#include <stdbool.h>
#include <libvirt/libvirt.h>
#include <glib.h>
#include "domxml.h"
#include "hostprobe.h"
#include "util.h"

#define LAB_RUNDIR "/run/nicq"


struct lab_opts {
	const char *uri;	/* NULL: private lab */
	enum accel accel;	/* AUTO picks KVM only where guests boot on it */
	const char *log_dir;	/* where daemon logs are copied at close; may be NULL */
	const char *caps_dir;	/* private lab: where libvirt's QEMU
				 * capabilities are kept between labs (a
				 * folder only root can change), or NULL */
};

struct lab {
	bool private_lab;
	char *id;		/* short run id, [a-z0-9] */
	char *uri;
	virConnectPtr conn;
	char *netns;		/* "nicq-<id>" (private lab) */
	char *dir;		/* /run/nicq/<id> (private lab) */
	char *caps_dir;		/* lab_opts.caps_dir */
	int host_netns_fd;	/* nicq's namespace before entering the lab */
	pid_t libvirtd_pid;
	pid_t virtlogd_pid;
	int libvirtd_pidfd;	/* taken at start: never a reused number */
	int virtlogd_pidfd;
	/*
	 * The guard, a thread of nicq's own process (not of the points'):
	 * it ends a libvirt call in teardown that outlives its deadline
	 * (lab_call_begin), and on a second SIGINT/SIGTERM kills everything
	 * the lab started without waiting for libvirt.
	 */
	bool guard_on;
	pthread_t guard;
	int guard_pipe[2];
	pid_t guard_owner;
	int64_t call_deadline;	/* 0: no call under a deadline */
	const char *call_what;
	int hard_stopped;	/* the second signal came: all killed */
	int lock_fd;
	char *accel_name;	/* "kvm" or "tcg" */
	char *accel_reason;
	bool vhost_net;		/* /dev/vhost-net usable */
	char *vhost_reason;	/* why not */
	GPtrArray *networks;	/* char *: libvirt networks we created */
	GPtrArray *domains;	/* char *: domains we started */
	char *log_dir;
};


/*
 * Refuse leftovers: returns 0 when no earlier nicq lab is left on this host
 * (live runs of other nicq processes are not leftovers).  On leftovers
 * returns -1 and err names them and the cleanup command.
 */
int lab_check_leftovers(char *err);

/*
 * Remove leftovers of earlier private labs (those whose lock no live run
 * holds): processes inside their nicq-<id> namespaces (found by namespace
 * inode, killed by PID), the namespaces, and /run/nicq/<id> directories.  With uri, also nicq-* domains and networks
 * of that libvirt.  Prints what it removed to stderr.  Returns the number
 * of items removed, -1 on error.
 */
int lab_cleanup(const char *uri, char *err);

int lab_open(const struct lab_opts *opts, struct lab **out, char *err);

/* Name a lab object: "nicq-<id>-<suffix>". */
char *lab_name(const struct lab *lab, const char *suffix);

/* Create a test segment (an isolated libvirt network) from spec. */
int lab_segment_add(struct lab *lab, const struct net_spec *spec, char *err);

/* Destroy a segment created by lab_segment_add (missing is fine). */
void lab_segment_remove(struct lab *lab, const char *name);

/* Remember a domain so lab_close destroys it even if its owner could not. */
void lab_track_domain(struct lab *lab, const char *name);
void lab_untrack_domain(struct lab *lab, const char *name);

/*
 * Run argv inside the lab's network namespace (nicq itself is already in
 * it for a private lab), e.g. nft for fault injection.  Like spawn_run.
 */
int lab_exec(struct lab *lab, char *const argv[], int timeout_ms,
	     struct proc_result *res, char *err);

/*
 * Whether the lab still works: its daemons run (a dead one is reaped and
 * named), its namespace exists, and the libvirt connection answers a call.
 * -1 with err saying what failed: the run must stop (Bail out!), since no
 * later case could be judged.
 */
int lab_check(struct lab *lab, char *err);

/*
 * In a process forked from the one that opened the lab: a libvirt
 * connection of its own (the parent's handle is dropped, not closed), and
 * forget the parent's objects, daemons and lock so that nothing here acts
 * on them.  -1 with err.
 */
int lab_child_reconnect(struct lab *lab, char *err);

/*
 * Destroy every domain and network whose name starts with prefix (what a
 * killed test point left).  Returns how many, -1 with err.
 */
int lab_remove_prefixed(struct lab *lab, const char *prefix, char *err);

/*
 * Deadlines for libvirt calls in teardown, in nicq's own process: between
 * begin and end, a call that takes longer than ms is ended - the private
 * lab's libvirtd is killed (its calls fail at once and the teardown goes
 * on); with --connect nicq says what it waits for and that a second
 * Ctrl-C leaves without it.  Nested calls are not supported.
 */
#define LAB_TEARDOWN_CALL_MS 20000
void lab_call_begin(struct lab *lab, int ms, const char *what);
void lab_call_end(struct lab *lab);

/* Tear everything down; NULL is fine.  Never fails loudly: it tries all. */
void lab_close(struct lab *lab);

#endif
