/*
 * case.h - what a conformance case is, and what the runner gives it.
 *
 * Each case is one file in cases/ exporting one `const struct case_desc`,
 * listed in case_table[] (cases/table.c).  Adding a case touches one new
 * file and one line there.
 *
 * The runner owns the life of every (cell, case) point: in a process of
 * its own, with the case's deadline, it lays out the fixture (addresses,
 * segments, guests, SSH), starts a capture on the host side (tap) of
 * every NIC under test, applies the fault of a negative control, calls
 * run(), stops the captures, reads the guests' kernel logs and tears
 * everything down.  The parent process kills a point that outlives its
 * deadline and tears down what it left.
 *
 * run() drives traffic and judges.  It states every property it judges as
 * an expectation (expect_*: name, expected, measured, evidence) and what it
 * only measures as an observation (observe_*).  It never decides the
 * verdict: the runner derives it from the records (harness/point.h).  A
 * case that cannot run here says so with case_skip() before anything
 * failed; a case that diagnosed a documented defect outside nicq says so
 * with case_known(), naming the expectations the defect explains.
 */
#ifndef NICQ_CASE_H
#define NICQ_CASE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "config.h"
#include "domxml.h"
#include "fault.h"
#include "guest.h"
#include "lab.h"
#include "model.h"
#include "point.h"
#include "ssh.h"

/* One cell of the matrix. */
struct cell {
	enum nic_model model;
	bool vhost;
	const char *skip;	/* non-NULL: why this cell cannot run here */
	char name[32];		/* "virtio vhost=off" */
	char slug[32];		/* "virtio-vhost-off" (folder name) */
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
	char *pcap;		/* current capture file (absolute) */
	char *label;		/* its label (case_capture_rotate), or NULL */
	struct capture *cap;
	char *rom;		/* network boot (topology pxe): the option ROM
				 * QEMU loads for the model by default, as
				 * found in its firmware path */
	char *diagnosed_in;	/* the phase of its last no-answer diagnosis
				 * (one per phase: the same outage) */
};

struct case_guest {
	struct guest *g;
	struct sshc *ssh;
	char *console;
	char *disk;		/* the case's disk (case_desc.disk_mib), or
				 * NULL */
};

struct transcript;

struct case_ctx {
	const struct case_desc *desc;
	const struct cell *cell;
	const struct profile *prof;
	struct lab *lab;
	char *dir;		/* results/<run>/<cell>/<case>/, absolute */
	struct transcript *transcript;	/* dir/transcript.txt */
	struct case_guest guests[CASE_MAX_GUESTS];
	int n_guests;
	struct nic_under_test nics[CASE_MAX_GUESTS * CASE_MAX_NICS];
	int n_nics;
	/* shorthands for single-guest cases: guests[0] and nics[0] */
	struct guest *guest;
	struct sshc *ssh;
	struct nic_under_test *nic;
	struct point *point;	/* the records of this test point */
	char *scope;		/* prefix of the names recorded now */
	GPtrArray *strs;	/* case_fmt() strings, freed with the ctx */
	char *tftp_dir;		/* topology pxe: the TFTP root, as nicq
				 * sees it */
	const struct fault *fault;	/* what --inject asked for */
	const struct ssh_ident *ident;	/* to log in again (sshc_connect),
					 * e.g. after the guest restarted */
	int slot;		/* the runner's slot (--jobs): see case_octet */
	unsigned idents_used;	/* case_ident()'s count */
};

/*
 * A negative control the case declares: run the case in a cell of model
 * with --inject fault, and the point must be "not ok" with a failed
 * expectation whose full name ("scope: name") matches the glob breaks
 * (GLib g_pattern_match_simple: '*' and '?').  make check runs every
 * declared control (`nicq list --controls`) and asserts it in the point's
 * own result.json.
 */
struct case_control {
	const char *fault;
	const char *model;
	const char *breaks;
};

#define CASE_MAX_CONTROLS 16

struct case_desc {
	const char *name;
	const char *summary;
	int plan_case;		/* the Fedora vhost-net plan's case number */
	const char *plan;	/* its title there */
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
	/* the profile parameters the case reads (NULL-terminated) */
	const struct param *const *params;
	/*
	 * Seconds the case itself may take under profile p (the runner adds
	 * the guests' boot time-outs and its own fixed allowance).  Past
	 * the total the point is killed and "timed out".
	 */
	int (*deadline_s)(const struct profile *p);
	struct case_control controls[CASE_MAX_CONTROLS];
	void (*run)(struct case_ctx *ctx);
	/*
	 * Optional: called instead of run() when a guest did not come up
	 * and its captures ran from power-on (topology pxe), after they
	 * were stopped, so the case can say from the capture why; the
	 * point fails either way.  ctx->guest and ctx->ssh are NULL.
	 */
	void (*boot_failed)(struct case_ctx *ctx);
};

extern const struct case_desc *const case_table[];

const struct case_desc *case_find(const char *name);

/* ---- judging: expectations and observations ------------------------ */

/*
 * Each records one expectation in the point and returns whether it held.
 * name says what property (with the current scope in front, see
 * case_scope); evidence says where to look (a pcap, "transcript.txt:123",
 * a file), or NULL.  expect_cmp compares integers; expect_num numbers;
 * expect_range checks lo <= measured <= hi; expect_str wants equal strings
 * (NULL measured: could not be measured, fails); expect_true records a
 * predicate the case evaluated, with what was expected and what was seen
 * in words.
 */
bool expect_cmp(struct case_ctx *ctx, const char *name, enum cmp op,
		long long expected, long long measured, const char *evidence);
bool expect_eq(struct case_ctx *ctx, const char *name, long long expected,
	       long long measured, const char *evidence);
bool expect_num(struct case_ctx *ctx, const char *name, enum cmp op,
		double expected, double measured, const char *evidence);
bool expect_range(struct case_ctx *ctx, const char *name, double lo,
		  double hi, double measured, const char *evidence);
bool expect_str(struct case_ctx *ctx, const char *name, const char *expected,
		const char *measured, const char *evidence);
bool expect_true(struct case_ctx *ctx, const char *name, bool ok,
		 const char *expected, const char *measured,
		 const char *evidence);

/* Measured, not judged. */
void observe_int(struct case_ctx *ctx, const char *name, long long v,
		 const char *unit);
void observe_num(struct case_ctx *ctx, const char *name, double v,
		 const char *unit);
void observe_str(struct case_ctx *ctx, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Any of those with its unit and evidence (a file, "transcript.txt:N"). */
void observe(struct case_ctx *ctx, const char *name, struct val v,
	     const char *unit, const char *evidence);

/*
 * A step that could not be done (a command that would not start, a file
 * that cannot be read): there is nothing to judge, and the point fails.
 */
void case_error(struct case_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * This host cannot run the case (say why).  Only valid before anything
 * failed; any failure before or after it makes the point fail.
 */
void case_skip(struct case_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The case checked its diagnosis of a documented defect outside nicq:
 * the failed expectations named in explains (full names, "scope: name";
 * NULL-terminated) are that defect.  The point is "not ok # TODO defect"
 * only if those are the only failures.
 */
void case_known(struct case_ctx *ctx, const char *defect,
		const char *const *explains);

/* Whether anything failed so far. */
bool case_failed(const struct case_ctx *ctx);

/* What the case is doing now (shown when it times out; timing). */
void case_phase(struct case_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The phase last set (NULL: none yet). */
const char *case_phase_now(const struct case_ctx *ctx);

/*
 * Names recorded from now on are "<scope>: <name>" (NULL: no scope).
 * Expectations keep their scope as a field too, for reports to group.
 */
void case_scope(struct case_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A formatted string that lives as long as the case (for names, evidence). */
const char *case_fmt(struct case_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- the fixture's services ------------------------------------------ */

/*
 * A case's own time limit (a transfer's, a wait's) for a slow host: ms
 * stretched by the profile's deadline_scale when that is over 100 %
 * (never shortened: a shorter limit would fail a NIC that is only slow).
 */
int case_scaled_ms(const struct case_ctx *ctx, int ms);

/*
 * The third octet of a 198.18.x.0/24 that is this point's alone: i 0..3 are
 * its segments' (host at .1), 4..15 free for the case's own use (a VLAN
 * subnet the host joins, say).  Points running at once (--jobs) never share
 * one.
 */
unsigned case_octet(const struct case_ctx *ctx, int i);

/*
 * The first of n consecutive ICMP echo ids that are this point's alone:
 * never given twice in a point, and from a range of its slot's, so points
 * running at once in one lab namespace (where every ping's raw socket sees
 * every reply) never share one.  n at most CASE_IDENTS_PER_SLOT.
 */
#define CASE_IDENTS_PER_SLOT 8190u
uint16_t case_ident(struct case_ctx *ctx, unsigned n);

/* The profile value of a parameter the case declared. */
int case_param(const struct case_ctx *ctx, const struct param *par);
const struct pval *case_params(const struct case_ctx *ctx,
			       const struct param *par);

/*
 * Run argv on the host side (inside the lab namespace), with transcript
 * (case_last_cmd() then cites its entry).  Returns -1 (and records an
 * error) only when it could not be started.
 */
int case_host_run(struct case_ctx *ctx, char *const argv[], int timeout_ms,
		  struct proc_result *res);

/*
 * Run cmd in guest 0 (or guest i) over SSH, with transcript.  -1 (and an
 * error recorded) when the command could not be run at all (no session,
 * transport failure); otherwise res holds its status and output.
 */
int case_guest_run(struct case_ctx *ctx, const char *cmd, int timeout_ms,
		   struct proc_result *res);
int case_guest_run_on(struct case_ctx *ctx, int i, const char *cmd,
		      int timeout_ms, struct proc_result *res);

/* path relative to the point's folder, as evidence cites files. */
const char *case_rel(const struct case_ctx *ctx, const char *path);

/*
 * A note in the transcript from nicq itself (no command): what (one line)
 * and text (may be NULL), e.g. the clients a listener turned away.
 */
void case_note(struct case_ctx *ctx, const char *what, const char *text);

/* The note for a transfer receiver that turned clients away (if any). */
struct xfer_result;
void xfer_note_refused(struct case_ctx *ctx, const struct xfer_result *r);

/* "transcript.txt:<line>" of the last command run (evidence). */
const char *case_last_cmd(struct case_ctx *ctx);

/*
 * Stop every capture of the case (idempotent); the runner records each
 * capture's statistics and fails the point on frames the kernel dropped.
 */
void case_captures_stop(struct case_ctx *ctx);

/*
 * Stop the captures and start new ones named capture-<tap>-<label>.pcap
 * (nic->pcap is then the new file): for a case in phases, or after the
 * guest's taps were re-created.  -1 (error recorded) if one cannot start.
 */
int case_capture_rotate(struct case_ctx *ctx, const char *label);

/*
 * Scan a kernel log (text, len bytes; file names it in the point's folder)
 * for panics, oopses, BUGs, WARNINGs and call traces: each finding goes
 * to the point's kernel_log, and "kernel log: <what>: ..." == 0 is an
 * expectation.  The runner does this for every guest's dmesg and console;
 * a case calls it for a log it keeps itself (a console before a restart).
 */
void case_klog_check(struct case_ctx *ctx, const char *what,
		     const char *file, const char *text, size_t len);

/* ---- shared helpers ------------------------------------------------------ */

/*
 * A host ping toward a guest address.  count > 0: that many requests,
 * interval s apart (0: 0.1 s); count == 0 and flood_s > 0: `ping -f` for
 * flood_s seconds.  size is the ICMP payload; df sets "-M do".  ident 0
 * picks a fresh ICMP identifier, returned in the summary, which is what
 * the echo analyzer counts on the capture.
 */
struct ping_spec {
	const char *dst;
	int count;
	double interval;
	int flood_s;
	int size;
	bool df;
	uint16_t ident;
	int reply_wait_s;	/* -W; 0: 2 */
	bool verbose;		/* no -q: ping prints each reply and each
				 * local error (with -q, iputils neither
				 * prints nor counts local errors) */
};

struct ping_summary {
	uint16_t ident;
	int status;		/* ping's exit status; -1: did not run */
	int sent, received;	/* from its summary; -1: not printed */
	int errors;		/* "+N errors"; 0 if none */
	int pipe;		/* ping_parse_pipe(); -1: no summary */
	char *out;		/* ping's output (stdout, then stderr),
				 * g_free() */
	char *evidence;		/* "transcript.txt:<line>", g_free() */
	int64_t end_us;		/* when ping had exited, by the host's clock
				 * (the capture's); 0: it did not run */
	long long time_ms;	/* ping_parse_time_ms() */
};

/* Run the ping; -1 when it could not be started (error recorded). */
int case_host_ping(struct case_ctx *ctx, const struct ping_spec *spec,
	      struct ping_summary *out);
void ping_summary_clear(struct ping_summary *s);

/* Parse ping's "N packets transmitted, M received[, +E errors]". */
void ping_parse_summary(const char *out, int *sent, int *received,
			int *errors);

/*
 * The most requests iputils' ping saw in flight at once: its summary's
 * "pipe N" (printed only when N > 1), 1 when the summary has none, -1
 * when there is no summary ("packets transmitted") at all.
 */
int ping_parse_pipe(const char *out);

/*
 * How long iputils' ping ran by its own summary ("..., time 4983ms" on the
 * "packets transmitted" line): from its start to when it stopped reading
 * replies; -1 when the summary has none.
 */
long long ping_parse_time_ms(const char *out);

/*
 * Ping ip from the host, one echo at a time, until one is answered or
 * timeout_s passed: 0 answered, -1 not; *after_s how long it took.
 */
int case_ping_until(struct case_ctx *ctx, const char *ip, int timeout_s,
		    double *after_s);
/*
 * Wait until nic's guest address answers a ping from the host (one echo a
 * second, up to timeout_s): a NIC whose link is still coming up (e1000
 * takes a second or two under TCG) must not make what starts at once fail
 * on ARP.  Records the expectation "<nic> answers"; returns whether it did.
 */
bool case_wait_answer(struct case_ctx *ctx, const struct nic_under_test *nic,
		      int timeout_s);

/*
 * A loss no counter of the ledger reads, for the silent-loss controls: in
 * nic's guest, a tc filter at its NIC's ingress drops every every-th
 * packet that the u32 selectors match (e.g. "match ip protocol 17 0xff"),
 * the first one passing (gact's deterministic "random").  tc counts its
 * drops in the filter's own statistics only, not in rx_dropped nor in any
 * protocol counter.  _start records what as the observation "fault";
 * false (error recorded) if tc refused.  _stop removes the filter and
 * observes its own count of drops (the control's truth) as what.
 */
bool case_ingress_drop_start(struct case_ctx *ctx,
			     const struct nic_under_test *nic,
			     const char *match, int every, const char *what);
void case_ingress_drop_stop(struct case_ctx *ctx,
			    const struct nic_under_test *nic, const char *what);

/*
 * Wait in nic's guest until its carrier is 1 and its operstate up, at most
 * timeout_s, polling every 0.1 s with shell builtins (no fork per poll).
 * Records the expectation "link up (carrier 1, operstate up) <when>,
 * within <timeout_s> s" with what was read last and after how long;
 * returns whether the link came up.  A driver that resets its link (an
 * MTU change, a resume) must not make the first ping after it fail.
 */
bool case_wait_link(struct case_ctx *ctx, const struct nic_under_test *nic,
		    int timeout_s, const char *when);

/*
 * Ping nic from the host (count requests of size bytes, 0.1 s apart) and
 * judge it from nic's capture, which is stopped first: expectations
 * "<label>: requests on the wire" == count and "<label>: replies on the
 * wire" == count.  Returns the replies counted.
 */
unsigned case_ping_judged(struct case_ctx *ctx,
			  const struct nic_under_test *nic, int count,
			  int size, const char *label);

/*
 * After the captures are stopped: judge that nic's capture holds count
 * requests of ident and a reply to each (the two expectations above).
 * The names do not carry the tap's name, which changes from run to run
 * (it is in the evidence): a case judging several NICs says which in
 * label.  When no reply came, where the pings went is observed under
 * "<label>: no answer" (three more pings with the ledger's counters
 * around them; only when the guest has a management NIC).
 */
unsigned case_ping_judge(struct case_ctx *ctx,
			 const struct nic_under_test *nic, uint16_t ident,
			 int count, const char *label);

/*
 * Read the counters of the loss ledger (ledger.h) for nic: its guest's
 * device and kernel counters (one command over SSH) into g, the host's
 * tap and the lab namespace's counters into h.  Read before and after a
 * stream; settle after it (ledger_snap_cmd()).  -1 when either cannot be read (an error is recorded: a ledger
 * without its counters would call every loss silent).
 */
struct ledger_snap;
int case_ledger_snap(struct case_ctx *ctx, const struct nic_under_test *nic,
		     bool settle, struct ledger_snap *g, struct ledger_snap *h);

/*
 * Record a settled ledger in the current scope: its entries as
 * observations "ledger <layer>: <name>" (counts always; drop counters when
 * they moved or could not be read, or all with full), where loss began,
 * and per gap between two counts the expectation "silent loss <where>"
 * (or "silent loss in the host <where>" between two host-side counts) = 0;
 * with drop counters of the host's own stack, that they counted nothing
 * ("loss in the host, counted ...").
 */
struct ledger;
struct ledger_sum;
void case_ledger_record(struct case_ctx *ctx, const struct ledger *l,
			const struct ledger_sum *s, bool full,
			const char *ev);

/*
 * The TCP ledger of one connection src -> dst (told apart by port, either
 * side's), in bytes, from nic's capture by sequence number: what the
 * sender wrote (+ extra bytes it wrote besides, such as iperf3's cookie)
 * >= the unique payload on the tap >= what the receiver acknowledged there
 * (its kernel got it in order; +1 for its FIN) >= what it read.  Payload
 * sent again is counted apart (retransmitted bytes), so no bound depends
 * on how many retransmits there were.  Loss on the way is TCP's to
 * repair, so the bounds are exact; a run that read nothing fails; with
 * complete (the stream ended and the receiver read to its end) the tap's
 * unique payload must be exactly what the receiver read, + extra.
 * Recorded in the current scope; -1 when the capture could not be read
 * (a case error).
 */
int case_tcp_ledger(struct case_ctx *ctx, const struct nic_under_test *nic,
		    const char *src, const char *dst, int port,
		    long long wrote, long long extra, long long read,
		    bool complete, const char *ev);

/*
 * Guest time stamps on the host's clock.  A case that proves two things
 * overlapped (a guest loop toggling something, traffic on the wire) has
 * the loop stamp its own events with the guest's uptime (`read u x <
 * /proc/uptime`: a shell builtin, no fork, 10 ms resolution) and maps them
 * onto CLOCK_REALTIME, the clock of the pcap time stamps: host time =
 * uptime + offset, within +-uncert seconds.
 */
struct guest_clock {
	double offset;
	double uncert;
};

/*
 * Measure guest gi's clock: its uptime read over SSH, bracketed by the
 * host's real time before and after the command; the best (narrowest) of
 * three.  0, or -1 (error recorded) when the guest gave no uptime.
 */
int case_guest_clock(struct case_ctx *ctx, int gi, struct guest_clock *out);

/*
 * One mapping from two measurements (before and after what they bracket):
 * their mean, uncertain by the wider one plus half their difference (the
 * clocks' drift over the interval).
 */
struct guest_clock guest_clock_merge(const struct guest_clock *a,
				     const struct guest_clock *b);

/*
 * The numbers after each "key" that starts a line of text (a guest loop's
 * "c=<uptime>" lines), appended to out (doubles), at most max of them;
 * lines whose number does not parse are skipped.  Returns how many.  Linear
 * in the text.
 */
size_t case_parse_times(const char *text, const char *key, GArray *out,
			size_t max);

/*
 * How many of the guest times in t (doubles) lie inside the host window
 * [w0, w1] (seconds of CLOCK_REALTIME) even at the ends of the clock's
 * uncertainty.
 */
unsigned guest_times_within(const GArray *t, const struct guest_clock *c,
			    double w0, double w1);

/*
 * One guest with the NIC under test (nics[0], segment 0) and a management
 * NIC (nics[1], segment 1) that carries SSH: for cases that take the NIC
 * under test down or load it hard.
 */
extern const struct topology topo_with_mgmt;

/* Parameters several cases share. */
extern const struct param param_after_count;	/* pings after a stress */
extern const struct param param_flood_seconds;

#endif
