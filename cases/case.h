/*
 * case.h - what a conformance case is, and what the harness gives it.
 *
 * Each case is one file in cases/ exporting one `const struct case_desc`,
 * listed in case_table[] (cases/table.c).  Adding a case touches one new
 * file and one line.  The harness runs every case once per cell (NIC model
 * x vhost): it boots the guests the case declares, starts a capture on the
 * host side (tap) of every NIC under test, calls run(), stops the captures,
 * scans the guests' kernel logs, and writes the verdict.
 *
 * run() drives traffic and judges.  It records what it expected and what it
 * measured in ctx->diag (the YAML block of the test point), and returns a
 * verdict.  Captures are stopped by case_captures_stop() before a case
 * reads its pcaps; the harness stops any still running afterwards.
 */
#ifndef NICQ_CASE_H
#define NICQ_CASE_H

#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "domxml.h"
#include "guest.h"
#include "lab.h"
#include "ssh.h"
#include "tap.h"

/*
 * V_KNOWN: the case failed exactly the way a documented defect outside nicq
 * predicts, and the case checked that diagnosis (not merely that it
 * failed).  It is reported "not ok # TODO <ctx->known>", which TAP
 * consumers and nicq's exit status do not count as a failure; the failure
 * reasons stay in the YAML.  Any other failure next to it is a V_FAIL.
 */
enum verdict { V_PASS, V_FAIL, V_SKIP, V_ERROR, V_KNOWN };

/* One cell of the matrix. */
struct cell {
	enum nic_model model;
	bool vhost;
	const char *skip;	/* non-NULL: why this cell cannot run here */
	char name[32];		/* "virtio vhost=off" */
	char slug[32];		/* "virtio-vhost-off" (folder name) */
};

/* A fault injected on the taps of the NICs under test (negative controls). */
struct fault {
	int drop_pct;		/* drop this share of ICMP toward the guest */
	bool drop_frag;		/* drop non-first IPv4 fragments toward it */
	int drop_over;		/* drop IPv4 datagrams longer than this
				 * toward it (an MTU clamp); 0: none */
	int vlan_from, vlan_to;	/* rewrite VLAN id from -> to toward it;
				 * 0: none */
	bool corrupt_tcp;	/* overwrite the first payload byte of large
				 * TCP segments, both directions */
	bool drop_mcast;	/* drop nicq's test frames (ethertype 0x88b5)
				 * with the group bit set toward it */
	int drop_udp;		/* drop this share of UDP from the guest,
				 * after the capture saw it (stress) */
	bool s4_fresh_boot;	/* not on the taps: the suspend case wipes
				 * the hibernation image on the guest's swap
				 * disk before it starts the guest again, so
				 * the guest boots fresh instead of resuming */
	bool drop_tftp;		/* drop TFTP requests (UDP to port 69) from
				 * it, after the capture saw them */
};

#define CASE_MAX_GUESTS 2
#define CASE_MAX_NICS 6		/* per guest */
#define CASE_MAX_SEGMENTS 4
#define MODEL_OF_CELL (-1)
/*
 * The management NIC: a model other than the cell's (virtio, or e1000 in
 * virtio cells, always without vhost), on its own segment.  When a guest
 * has one, SSH goes over it, so a case can take the NICs under test down,
 * unload their driver or flood them without losing control of the guest.
 * It is not captured and faults are not injected on it.
 */
#define MODEL_MGMT (-2)

/*
 * What a case needs: test segments (isolated libvirt networks, each its own
 * /24 with the host at .1) and guests with NICs on them.  NULL in a
 * descriptor means one guest with one NIC of the cell's model on one
 * segment.
 */
struct topo_nic {
	int model;		/* MODEL_OF_CELL, MODEL_MGMT or an enum
				 * nic_model */
	int segment;
	int mtu;		/* set by the guest at boot; 0: driver default */
	bool no_addr;		/* no address at boot (e.g. a bond slave) */
};

struct topo_guest {
	int n_nics;
	struct topo_nic nics[CASE_MAX_NICS];
};

struct topology {
	int n_segments;
	int segment_mtu[CASE_MAX_SEGMENTS];	/* 0: the default 1500 */
	int n_guests;
	struct topo_guest guests[CASE_MAX_GUESTS];
	/*
	 * Network boot: guest 0 (the only guest) has no kernel and boots from
	 * its first NIC's option ROM (iPXE) with boot order 1; segment 0
	 * serves DHCP and TFTP (harness/pxe.h) with an iPXE script that
	 * loads nicq's kernel and initramfs with the usual command line.  The
	 * captures on that guest's NICs start before its CPUs do, so they
	 * hold the DHCP and TFTP exchange; the BIOS and iPXE write to the
	 * serial console too.
	 */
	bool pxe;
};

struct nic_under_test {
	enum nic_model model;
	bool mgmt;		/* the management NIC (MODEL_MGMT), not under
				 * test: no capture, no faults */
	bool no_addr;
	int guest;		/* index into ctx->guests */
	int segment;
	int mtu;		/* asked for at boot; 0: default */
	char mac[18];
	char tap[16];		/* host-side device */
	char ip[16];		/* guest address (on its segment's /24) */
	char host_ip[16];	/* the host's address on that segment */
	char bridge[16];
	char *ifname;		/* in the guest */
	char *pcap;		/* capture file */
	struct capture *cap;
	char *rom;		/* network boot (topology pxe): the option ROM
				 * QEMU loads for the model by default, as
				 * found in its firmware path */
};

struct case_guest {
	struct guest *g;
	struct sshc *ssh;
	char *console;
	char *disk;		/* the case's disk (case_desc.disk_mib), or
				 * NULL */
};

struct case_ctx {
	const struct case_desc *desc;
	const struct cell *cell;
	const struct profile *prof;
	struct lab *lab;
	char *dir;		/* results/<run>/<cell>/<case>/ */
	char *transcript;	/* dir/transcript.txt */
	struct case_guest guests[CASE_MAX_GUESTS];
	int n_guests;
	struct nic_under_test nics[CASE_MAX_GUESTS * CASE_MAX_NICS];
	int n_nics;
	/* shorthands for single-guest cases: guests[0] and nics[0] */
	struct guest *guest;
	struct sshc *ssh;
	struct nic_under_test *nic;
	struct diag *diag;	/* the test point's YAML */
	GString *why;		/* failure reasons, joined with "; " */
	const char *known;	/* for V_KNOWN: the defect, one line */
	char *tftp_dir;		/* topology pxe: the TFTP root, as nicq
				 * sees it */
	const struct fault *fault;	/* what --inject asked for */
	const struct ssh_ident *ident;	/* to log in again (sshc_connect),
					 * e.g. after the guest restarted */
};

struct case_desc {
	const char *name;
	const char *summary;
	const char *plan;	/* the Fedora vhost-net plan case it covers */
	int capture_snaplen;	/* 0: full frames */
	const struct topology *topo;	/* NULL: one guest, one NIC */
	/*
	 * Non-NULL: the case runs only in cells of this model (its guest
	 * already carries the other models, e.g. multinic); other cells
	 * report SKIP with skip_reason.
	 */
	const int *only_model;
	const char *skip_reason;
	/*
	 * > 0: guest 0 gets a sparse raw virtio disk of this many MiB (vda,
	 * a file in the case's folder, removed after the case), the domain
	 * allows suspend-to-disk, and the guest's /init resumes from vda
	 * when it holds a hibernation image (nicq.resume=/dev/vda).
	 */
	int disk_mib;
	enum verdict (*run)(struct case_ctx *ctx);
	/*
	 * Optional: called instead of run() when a guest did not come up
	 * and its captures ran from power-on (topology pxe), after they
	 * were stopped, so the case can say from the capture why; the
	 * verdict is not ok either way.  ctx->guest and ctx->ssh are NULL.
	 */
	void (*boot_failed)(struct case_ctx *ctx);
};

extern const struct case_desc *const case_table[];

const struct case_desc *case_find(const char *name);

/* Add a failure reason (also marks the verdict failed for case_verdict). */
void case_fail(struct case_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Run cmd on the host side (inside the lab namespace), with transcript. */
int case_host_run(struct case_ctx *ctx, char *const argv[], int timeout_ms,
		  struct proc_result *res);

/* Run cmd in guest 0 over SSH (transcript kept by sshc). */
int case_guest_run(struct case_ctx *ctx, const char *cmd, int timeout_ms,
		   struct proc_result *res);
/* The same in guest i. */
int case_guest_run_on(struct case_ctx *ctx, int i, const char *cmd,
		      int timeout_ms, struct proc_result *res);

/* Stop every capture of the case (idempotent). */
void case_captures_stop(struct case_ctx *ctx);

/*
 * In a command's output, the text right after key (e.g. "sha=") up to the
 * next white space, g_free(); NULL when key is absent or out is NULL.
 */
char *case_field(const char *out, const char *key);

/*
 * One guest with the NIC under test (nics[0], segment 0) and a management
 * NIC (nics[1], segment 1) that carries SSH: for cases that take the NIC
 * under test down or load it hard.
 */
extern const struct topology topo_with_mgmt;

/*
 * Ping nic's guest address from the host: count requests of size bytes,
 * 0.1 s apart, with a fresh ICMP identifier, which is returned for
 * case_ping_judge().  The verdict comes from the capture, not from ping's
 * output.
 */
uint16_t case_ping_host(struct case_ctx *ctx, const struct nic_under_test *nic,
		   int count, int size);

/*
 * Wait until nic's guest address answers a ping from the host (one echo a
 * second, up to timeout_s): a NIC whose link is still coming up after boot
 * (e1000 takes a second or two under TCG) must not make a flood that
 * starts at once fail on ARP.  0 when it answered, -1 (with a failure
 * recorded) when it did not.
 */
int case_wait_answer(struct case_ctx *ctx, const struct nic_under_test *nic,
		     int timeout_s);

/*
 * After the captures are stopped: nic's capture must hold count requests
 * of ident and a reply to each.  Records "<label>: N requests, M replies"
 * in the diag; a shortfall fails the case.  Returns the number of replies.
 */
unsigned case_ping_judge(struct case_ctx *ctx,
			 const struct nic_under_test *nic, uint16_t ident,
			 int count, const char *label);

#endif
