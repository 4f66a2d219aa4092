/*
 * iperf.h - iperf3 results, the bytes a capture carried for one iperf3
 * stream, and the loss-knee step schedule (all offline, unit-tested).
 *
 * The stress case runs iperf3's client on the host with -J and reads its
 * JSON document with iperf_parse().  iperf3 3.12's client document holds
 * both ends' view: end.sum_sent (the sender's count, with TCP
 * retransmits) and end.sum_received (the receiver's count, with UDP loss),
 * whichever side the host is on (-R swaps the roles, not the keys).
 *
 * flow_count_port() (flow.h) counts, in a pcap, the L4 payload of one
 * iperf3 data stream: the client binds its data socket to a port of our choosing
 * (--cport), so the stream is told apart from the control connection and
 * from other runs in the same capture.
 */
#ifndef NICQ_IPERF_H
#define NICQ_IPERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow.h"

struct iperf_sum {
	double seconds;
	uint64_t bytes;
	double bits_per_second;
	long long retransmits;	/* TCP sender only; -1: not reported */
	uint64_t packets;	/* UDP only */
	uint64_t lost_packets;	/* UDP receiver only */
	double lost_percent;	/* UDP receiver only */
};

struct iperf_result {
	bool udp;		/* start.test_start.protocol */
	bool reverse;		/* -R: the server sent */
	int blksize;		/* bytes per write / per UDP datagram */
	int rcvbuf;		/* start.rcvbuf_actual: the receive buffer
				 * of this end's data socket, bytes (the
				 * kernel's doubled figure); 0: not said */
	struct iperf_sum sent;	/* end.sum_sent */
	struct iperf_sum received;	/* end.sum_received */
};

/*
 * Parse an iperf3 -J document (len bytes, need not be NUL-terminated).
 * A document with an "error" member, one that is not JSON, or one that
 * lacks end.sum_sent / end.sum_received fails with err naming the reason
 * ("iperf3: unable to connect to server: Connection refused").
 */
int iperf_parse(const char *json, size_t len, struct iperf_result *out,
		char *err);


/*
 * UDP counters of a network namespace, from its /proc/net/snmp text (the
 * "Udp:" header and value lines): datagrams the kernel dropped at a socket
 * (InErrors, which includes RcvbufErrors) are on the wire but never reach
 * iperf3, so a host-side cross-check must add them.
 */
struct iperf_udp_snmp {
	uint64_t in_datagrams, in_errors, rcvbuf_errors, sndbuf_errors;
};
int iperf_snmp_parse(const char *text, struct iperf_udp_snmp *out, char *err);

/*
 * The loss knee: the highest offered packet rate whose loss stays under a
 * limit, found by stepping the rate.  The schedule: start at `start`;
 * while every step passed, double (never above max); once a step failed
 * and none passed yet, halve (never below min) — or, when the failing step
 * showed what the receiver managed (received rate), try just under that,
 * whichever is lower; once there is a passing and a failing rate, bisect
 * (geometric mean) `bisections` times.  At most max_steps steps.  The knee
 * reported is always a rate that was measured to pass (lo), the bracket
 * above it a rate measured to fail (hi); 0 means none.
 */
struct iperf_knee {
	double start, min, max;
	int bisections, max_steps;
	double lo, hi;		/* measured: highest pass, lowest fail */
	double hint;		/* received rate at the lowest fail */
	int steps, bisected;
};

void iperf_knee_init(struct iperf_knee *k, double start, double min,
		     double max, int bisections, int max_steps);
/* The rate to offer next, or 0 when the search is over. */
double iperf_knee_next(const struct iperf_knee *k);
/* Record a step: offered rate, loss in percent, rate that arrived. */
void iperf_knee_record(struct iperf_knee *k, double rate, double loss_pct,
		       double received_rate, double limit_pct);

#endif
