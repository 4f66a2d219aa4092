/*
 * pcapgen.h - write test captures: one frame builder for every generator.
 *
 * The fixture generators (tests/fixgen.c, tests/fixgen_vlan.c), the unit
 * tests that write their own captures and the echo benchmark all build
 * Ethernet frames with IPv4 inside; they share this builder so that there
 * is one IPv4 header writer and one checksum to trust.  Needs only libc
 * and libpcap (fixgen_vlan links nothing else).
 *
 * Calling sequence:
 *
 *	struct pcapgen g;
 *	struct pcapgen_frame *f = pcapgen_frame_new();
 *
 *	if (pcapgen_open(&g, path, DLT_EN10MB, 65535, err) < 0)
 *		...;
 *	g.t_us = ...; g.step_us = ...;		(optional: time stamps)
 *	pcapgen_eth(f, &eth, 0x0800);		(addresses, tags, ethertype)
 *	pcapgen_ipv4(f, &ip, l4, l4_len);	(header with checksum + data)
 *	pcapgen_put(&g, f);			(or pcapgen_cut, pcapgen_rec)
 *	...
 *	pcapgen_close(&g);
 *	pcapgen_frame_free(f);
 *
 * Nothing is padded unless the caller says so (pcapgen_pad): fixtures pad
 * to the Ethernet minimum as a NIC does, other captures need not.
 * Builders abort() when a frame would exceed PCAPGEN_FRAME_MAX: that is a
 * bug in the test, not a condition to handle.
 */
#ifndef NICQ_PCAPGEN_H
#define NICQ_PCAPGEN_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPGEN_ERRLEN		512
#define PCAPGEN_FRAME_MAX	(14 + 8 * 4 + 65535)	/* 8 tags, IP max */
#define PCAPGEN_MAX_TAGS	8
#define PCAPGEN_ETH_MIN		60	/* without FCS */

/* A frame being built: len bytes of b. */
struct pcapgen_frame {
	uint8_t b[PCAPGEN_FRAME_MAX];
	size_t len;
};

/* A capture file being written. */
struct pcapgen {
	pcap_t *pd;
	pcap_dumper_t *d;
	struct pcapgen_frame *scratch;	/* for pcapgen_datagram */
	size_t snaplen;
	int64_t t_us;		/* the next record's time stamp */
	int64_t step_us;	/* added to t_us after each record */
};

/* A VLAN tag: TPID (0x8100, 0x88a8, 0x9100) and TCI (PCP, DEI, VID). */
struct pcapgen_tag {
	uint16_t tpid, tci;
};

/* The Ethernet header: NULL addresses are all zeros; tags outermost first. */
struct pcapgen_eth {
	const uint8_t *dst, *src;
	const struct pcapgen_tag *tags;
	size_t ntags;
};

/*
 * An IPv4 header.  Zero fields take defaults: ttl 64, ihl 20 (more than
 * 20 is filled with NOP options), tot the header plus the payload.
 * frag_off is in bytes (a multiple of 8); df and mf are the flags.
 */
struct pcapgen_ip {
	const uint8_t *src, *dst;	/* 4 bytes each, network order */
	uint8_t proto;
	uint16_t id;
	size_t frag_off;
	bool df, mf;
	size_t ihl;
	size_t tot;
	uint8_t ttl;
};

/*
 * Open path for writing (created or truncated) with a file header of
 * linktype and snaplen.  Time stamps start at 0 and do not advance until
 * the caller sets t_us and step_us.  Returns 0, or -1 with err
 * (PCAPGEN_ERRLEN bytes) and nothing to close.
 */
int pcapgen_open(struct pcapgen *g, const char *path, int linktype,
		 int snaplen, char *err);

/*
 * Like pcapgen_open on a new file in the temporary directory, named
 * "<prefix>XXXXXX.pcap" and made by mkstemps(); *path is set to its name
 * (free()).  The capture is written through the descriptor mkstemps()
 * returned, never by reopening the name.
 */
int pcapgen_open_tmp(struct pcapgen *g, const char *prefix, int linktype,
		     int snaplen, char **path, char *err);

/* Flush and close.  Returns -1 if the file could not be written whole. */
int pcapgen_close(struct pcapgen *g);

/* One record: wire length len, caplen bytes of buf captured. */
void pcapgen_rec(struct pcapgen *g, const uint8_t *buf, size_t len,
		 size_t caplen);

/* The frame as it is, captured up to the file's snaplen. */
void pcapgen_put(struct pcapgen *g, const struct pcapgen_frame *f);

/* The frame with only caplen bytes captured (caplen may exceed len). */
void pcapgen_cut(struct pcapgen *g, const struct pcapgen_frame *f,
		 size_t caplen);

/* A zeroed frame on the heap (frames are large); free with free(). */
struct pcapgen_frame *pcapgen_frame_new(void);
void pcapgen_frame_free(struct pcapgen_frame *f);

/* Append raw bytes; a 16-bit value big-endian. */
void pcapgen_append(struct pcapgen_frame *f, const void *p, size_t n);
void pcapgen_append16(struct pcapgen_frame *f, uint16_t v);

/* Start the frame over with an Ethernet header for etype. */
void pcapgen_eth(struct pcapgen_frame *f, const struct pcapgen_eth *eth,
		 uint16_t etype);

/* Pad with zeros to the Ethernet minimum of 60 bytes. */
void pcapgen_pad(struct pcapgen_frame *f);

/* The Internet checksum (RFC 1071) of len bytes, ready to store. */
uint16_t pcapgen_csum(const void *p, size_t len);

/* Store v big-endian at p. */
void pcapgen_set16(uint8_t *p, uint16_t v);

/*
 * Write ip's header into h (ip->ihl or 20 bytes) with a correct checksum,
 * for a payload of len bytes.  Returns the header length.
 */
size_t pcapgen_ipv4_header(uint8_t *h, const struct pcapgen_ip *ip,
			   size_t len);

/*
 * Recompute the header checksum of the IPv4 header at ip over IHL * 4
 * bytes, whatever they say: for tests that bend a header after building
 * it.
 */
void pcapgen_ipv4_recsum(uint8_t *ip);

/* Append an IPv4 header (as above) and the len payload bytes. */
void pcapgen_ipv4(struct pcapgen_frame *f, const struct pcapgen_ip *ip,
		  const void *payload, size_t len);

/*
 * The L4 builders write a message into m and return its length, so that
 * a message can be split into fragments.  data (NULL: zeros) may already
 * be in place after the header.
 */

/* ICMP: type, code, ident, seq, data; the ICMP checksum set. */
size_t pcapgen_icmp(uint8_t *m, uint8_t type, uint8_t code, uint16_t ident,
		    uint16_t seq, const void *data, size_t len);

/* UDP: ports, length, checksum 0 (none), data. */
size_t pcapgen_udp(uint8_t *m, uint16_t sport, uint16_t dport,
		   const void *data, size_t len);

/*
 * TCP: a 20-byte header (data offset 5, flags, window 65535, checksum 0:
 * no test reads TCP checksums), data.
 */
size_t pcapgen_tcp(uint8_t *m, uint16_t sport, uint16_t dport, uint32_t seq,
		   uint32_t ack, uint8_t flags, const void *data, size_t len);

/*
 * How much of an IP payload of total bytes, from off on, goes in the next
 * fragment at mtu (IP header of 20 bytes): what is left if it fits, else
 * the most that fits rounded down to 8 bytes.
 */
size_t pcapgen_frag_len(size_t total, size_t off, size_t mtu);

/*
 * Write an IP payload (the whole L4 message) as one datagram: one frame if
 * it fits in mtu, else fragments of pcapgen_frag_len in order, each with
 * ip's id and df, its offset and MF set as they should be.
 */
void pcapgen_datagram(struct pcapgen *g, const struct pcapgen_eth *eth,
		      const struct pcapgen_ip *ip, const uint8_t *l4,
		      size_t len, size_t mtu);

#endif
