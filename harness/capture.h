/*
 * capture.h - live packet capture on a host interface into a pcap file.
 *
 * capture_start() returns once the capture socket is bound (pcap_activate),
 * so every frame after that moment is in the file: start it before a case's
 * traffic.  A thread drains the socket into the file until capture_stop(),
 * which drains what is left, closes the file and reports pcap's counters
 * (frames the kernel dropped mean the capture cannot vouch for loss, and a
 * verdict must say so).
 */
#ifndef NICQ_CAPTURE_H
#define NICQ_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture;

struct capture_stats {
	uint64_t frames;	/* written to the file */
	uint64_t kernel_dropped;	/* ps_drop: frames the kernel had for
					 * the capture and dropped because its
					 * buffer was full; the capture is
					 * incomplete */
	uint64_t if_dropped;	/* ps_ifdrop: frames the interface itself
				 * dropped (its rx dropped and missed
				 * counters, /proc/net/dev) while the
				 * capture ran: lost before any capture
				 * could see them, so not the capture's
				 * loss (the loss ledger counts them) */
};

/*
 * The capture buffer: large enough that the heaviest case on a small host
 * (stress: 500 Mb/s of UDP into a tap, 64-byte snaplen; 64-byte knee
 * datagrams at 64000 pps) loses nothing while the drain thread waits for
 * a CPU.  NICQ_CAPTURE_BUFFER (bytes, 4096..1 GiB) overrides it: a test
 * hook that makes a capture lose frames on purpose.
 */
#define CAPTURE_BUFFER_BYTES (64 << 20)

int capture_start(const char *ifname, const char *path, int snaplen,
		  struct capture **out, char *err);

/*
 * Test hook: while held, the drain thread reads nothing, so the kernel's
 * buffer fills and drops (capture_stop() releases it and drains).
 */
void capture_hold(struct capture *c, bool hold);

/* Stop, flush and close; NULL is fine.  st may be NULL. */
int capture_stop(struct capture *c, struct capture_stats *st, char *err);

/*
 * Send one raw frame out of ifname (pcap_inject), e.g. multicast frames
 * toward a guest.  Returns 0 when sent, 1 when the kernel dropped it on
 * egress (ENOBUFS: a qdisc or a netfilter egress rule), -1 with err.
 */
int capture_inject(const char *ifname, const void *frame, size_t len,
		   char *err);

#endif
