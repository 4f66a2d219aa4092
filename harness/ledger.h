/*
 * ledger.h - the loss ledger of one stream or flood: where every packet
 * that did not arrive was lost, and whether a counter says so.
 *
 * A stream crosses layers in order: the sender, the host's stack, the tap
 * (the capture counts what crossed it), the device and the guest's driver,
 * the guest's kernel, the receiver (and the other way round for a stream
 * from the guest).  Some layers count what passed them (the sender's own
 * count, the capture, the receiver's count): those are the ledger's
 * counts.  Others count what they dropped (the tap's tx_dropped, the
 * driver's rx_dropped/rx_missed/fifo errors and `ethtool -S` drop counters,
 * the softnet backlog, UDP RcvbufErrors/InErrors/InCsumErrors): those are
 * its drop counters, each the delta over the stream (read before and
 * after).  Between two counts, the packets lost are the first less the
 * second; the drop counters recorded between them explain what they can.
 * What is left beyond the slack (packets in flight when the counts were
 * taken, a handshake datagram) is silent loss: no counter saw it, and it
 * happened between the last layer that counted the packets and the first
 * that did not.  Loss between two counts both on the host side is the
 * host's (the case did not test what it claims), not the NIC's.
 *
 * Drop counters are per device or per kernel, not per stream: other
 * traffic can move them too, so they may explain more than the stream
 * lost (never a failure), never less than what they counted.
 *
 * All pure arithmetic and parsing (unit-tested on fixtures); the cases
 * read the counters and record the result.
 */
#ifndef NICQ_LEDGER_H
#define NICQ_LEDGER_H

#include <stdbool.h>
#include <stddef.h>

#define LEDGER_UNKNOWN (-1LL)
#define LEDGER_MAX 32
#define LEDGER_NAME 96

enum ledger_kind { LEDGER_COUNT, LEDGER_DROP };

struct ledger_entry {
	enum ledger_kind kind;
	bool host;		/* on the host's side of the tap (or the tap) */
	char layer[32];		/* "sender", "host", "tap", "device/driver",
				 * "guest kernel", "receiver" */
	char name[LEDGER_NAME];
	long long v;		/* packets counted or dropped; LEDGER_UNKNOWN */
	long long slack;	/* a count: the slack of the gap ending here;
				 * -1: the ledger's */
};

struct ledger {
	int n;
	struct ledger_entry e[LEDGER_MAX];
	long long slack;	/* unexplained loss allowed between two
				 * counts (in flight, handshakes) */
};

/* Between two known counts, in path order. */
struct ledger_gap {
	int from, to;		/* entry indices of the counts */
	long long lost;		/* e[from].v - e[to].v; negative: the later
				 * layer counted more */
	long long counted;	/* known drop counters between them */
	int unknown;		/* drop counters between them not read */
	long long silent;	/* lost - counted, when over the slack; else 0 */
	bool host;		/* both counts, and every layer between them,
				 * on the host's side */
	char where[256];	/* "between <from> and <to> (<layers>)" */
};

struct ledger_sum {
	long long sent, received;	/* the first and last known counts */
	long long lost, counted, silent;	/* sums over the gaps */
	long long host_silent;	/* of silent, in host gaps */
	/*
	 * Loss the host's own counters counted: drop counters on the host's
	 * side in the layer "host" (its stack, for this stream alone: the
	 * lab namespace's UDP counters), not the tap's (a device that does
	 * not drain its queue) nor machine-wide ones.  Not the NIC's loss,
	 * and no pass either: the stream did not test what it claims.
	 */
	long long host_counted;
	int n_gaps;
	struct ledger_gap gaps[LEDGER_MAX];
	/*
	 * Where loss began, in path order: the first drop counter that
	 * moved, or the first silent gap before it; "" when nothing was lost
	 * or counted.
	 */
	char began[LEDGER_NAME + 160];
};

void ledger_init(struct ledger *l, long long slack);
/* Add a count or a drop counter; past LEDGER_MAX entries are ignored. */
void ledger_count(struct ledger *l, bool host, const char *layer,
		  const char *name, long long v);
void ledger_drop(struct ledger *l, bool host, const char *layer,
		 const char *name, long long v);
/*
 * A count whose gap from the count before it allows its own slack, e.g.
 * the datagrams a receiver left unread in its socket when the test ended.
 */
void ledger_count_slack(struct ledger *l, bool host, const char *layer,
			const char *name, long long v, long long slack);
/* Settle the ledger (fewer than two known counts: no gaps). */
void ledger_settle(const struct ledger *l, struct ledger_sum *s);

/* ---- counters read from a host or a guest --------------------------- */

#define LEDGER_MAX_KEYS 64

struct ledger_key {
	char name[48];
	long long v;
};

/*
 * One reading of a device's and its kernel's counters, from the text of:
 *
 *	@@ip
 *	<ip -j -s -s link show dev IF>
 *	@@softnet
 *	</proc/net/softnet_stat>
 *	@@snmp
 *	</proc/net/snmp>
 *	@@ethtool
 *	<ethtool -S IF, or nothing when the driver has no statistics>
 *
 * (LEDGER_SNAP_CMD builds it).  Sections may be missing (have_* false).
 * Of `ethtool -S` only the counters whose names say they count dropped or
 * missed frames are kept (ledger_drop_key()).
 */
struct ledger_snap {
	bool have_link, have_softnet, have_udp, have_ethtool;
	long long rx_packets, rx_errors, rx_dropped, rx_over, rx_fifo,
		  rx_missed, rx_crc, rx_length, rx_frame;
	long long tx_packets, tx_errors, tx_dropped, tx_fifo, tx_carrier,
		  tx_aborted;
	long long softnet_dropped;	/* summed over CPUs */
	long long udp_in, udp_in_errors, udp_rcvbuf, udp_sndbuf, udp_csum,
		  udp_noports;
	/*
	 * /proc/net/snmp's Ip and Icmp lines (have_ip, have_icmp): what the
	 * kernel's IP layer discarded or could not reassemble, and the echo
	 * requests its ICMP layer took in and answered (OutErrors: a reply
	 * it could not build, e.g. for want of socket buffer memory).
	 */
	bool have_ip, have_icmp;
	long long ip_in_discards, ip_reasm_fails, ip_out_discards,
		  ip_frag_fails;
	long long icmp_in_echos, icmp_out_echo_reps, icmp_in_errors,
		  icmp_out_errors;
	int n_keys;
	struct ledger_key keys[LEDGER_MAX_KEYS];	/* ethtool drop counters */
};

/*
 * The shell command whose output ledger_snap_parse() reads; g_free().
 * guest: for the guest's busybox shell, with ethtool -S (else the host's
 * sh, no ethtool).  settle: first wait (at most 5 s) until the UDP
 * counters stop moving for 200 ms, so that datagrams still queued toward
 * a slow receiver when its sender stopped are counted where they end
 * (delivered, or dropped at a closed port) before the reading after a
 * stream.
 */
char *ledger_snap_cmd(const char *ifname_quoted, bool guest, bool settle);

int ledger_snap_parse(const char *text, size_t len, struct ledger_snap *s,
		      char *err);

/* Whether an `ethtool -S` counter name counts frames dropped or missed. */
bool ledger_drop_key(const char *name);
/* Whether it is on the transmit side ("tx" in its name). */
bool ledger_tx_key(const char *name);

/*
 * What a driver's `ethtool -S` drop counters counted beyond the link's own
 * (ip -s link) drop counters of the same direction: drivers report the
 * same drops in both (virtio's rx_queue_0_drops is its rx_dropped,
 * 8139cp's rx_fifo its rx_missed_errors), and a ledger that added both
 * would explain twice what was dropped once.  ethtool: the ethtool delta
 * (LEDGER_UNKNOWN: none); link: the link counters' summed delta (unknown
 * ones left out).  max(0, ethtool - link), or LEDGER_UNKNOWN.
 */
long long ledger_beyond(long long ethtool, long long link);

/*
 * after - before of one field; LEDGER_UNKNOWN when either reading lacks
 * it or the counter went backwards (reset).
 */
long long ledger_delta(long long before, long long after, bool have);

/*
 * Frames the guest's device counted as missed for want of a free receive
 * buffer between two readings: the link's rx_missed_errors, rx_fifo_errors
 * and rx_over_errors summed (the ones known).  0 when none moved or none is
 * known.  A device counts these when the driver did not refill its ring in
 * time (8139cp's RX ring of 64 descriptors against a 65507-byte ping every
 * millisecond, 45 frames each, with the guest under TCG on a loaded host).
 */
long long ledger_rx_overrun(const struct ledger_snap *a,
			    const struct ledger_snap *b);

/*
 * The ethtool drop counters that moved between two readings, rx or tx
 * side: their summed delta (LEDGER_UNKNOWN when the driver has none), and
 * their names "rx_queue_0_drops +12, ..." into names (may be NULL).
 */
long long ledger_ethtool_delta(const struct ledger_snap *a,
			       const struct ledger_snap *b, bool tx,
			       char *names, size_t names_len);

#endif
