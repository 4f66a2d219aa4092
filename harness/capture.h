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

#include <stddef.h>
#include <stdint.h>

struct capture;

struct capture_stats {
	uint64_t frames;	/* written to the file */
	uint64_t kernel_dropped;	/* ps_drop + ps_ifdrop */
};

int capture_start(const char *ifname, const char *path, int snaplen,
		  struct capture **out, char *err);

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
