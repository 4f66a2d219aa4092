/*
 * frame.h - the Ethernet, VLAN and IPv4 headers of one captured frame.
 *
 * nicq's offline analyzers (echo.c, vlan.c, flow.c) read pcaps taken on a
 * tap, where frames can be cut by the snaplen, mangled by a fault, or
 * garbage.  They share this one parser so that what counts as a sound
 * header, and that nothing is read past a record's captured length, is
 * written once.  Each analyzer decides what to do with a frame that is not
 * sound; the parser only says what it found.  (frames.h, with an s, is
 * something else: it finds injected frames in a capture by content.)
 *
 * The parser reads, in order, and stops at the first problem:
 *   - the record: caplen must not exceed the wire length (MALFORMED: a
 *     corrupt record), and the 14-byte Ethernet header must be captured
 *     (TRUNCATED);
 *   - VLAN tags: TPID 0x8100 (802.1Q), 0x88a8 (802.1ad) and 0x9100
 *     (pre-standard QinQ), any number of them, each captured whole
 *     (TRUNCATED).  The outermost FRAME_MAX_TAGS are kept, all counted;
 *   - the ethertype after the tags.  A frame that is not IPv4 ends here
 *     as FRAME_OK, its header at l3_off for the caller to read;
 *   - IPv4: the fixed 20-byte header captured (TRUNCATED), version 4
 *     and IHL at least 5 (MALFORMED), total length not below the header
 *     length (MALFORMED).  From here on the fields in ip are valid and
 *     ipv4 is true, whatever follows;
 *   - the options captured (TRUNCATED), the header checksum right
 *     (MALFORMED, ip.csum_ok false), the total length within the frame's
 *     wire length (MALFORMED).
 * A frame that passes all of it is FRAME_OK with ipv4 true.  Nothing past
 * the IPv4 header is read: l4_off says where the caller may look, as far
 * as caplen allows.
 */
#ifndef NICQ_FRAME_H
#define NICQ_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pcap/pcap.h>

#define FRAME_MAX_TAGS 2

#define FRAME_ETHERTYPE_IPV4	0x0800
#define FRAME_ETHERTYPE_ARP	0x0806

enum frame_status {
	FRAME_OK,		/* every header up to IPv4 captured and sound */
	FRAME_TRUNCATED,	/* the capture ends inside a header */
	FRAME_MALFORMED,	/* a header or the record cannot be right */
};

struct frame_tag {
	uint16_t tpid;
	uint16_t tci;		/* PCP, DEI, VID (tci & 0x0fff) */
};

struct frame_ipv4 {
	uint32_t src, dst;	/* network byte order, as in the frame */
	uint8_t proto;
	size_t hdr_len;		/* IHL * 4 */
	size_t tot_len;		/* total length */
	uint16_t id;
	uint32_t frag_off;	/* fragment offset in bytes */
	bool mf, df;
	bool csum_ok;		/* header checksum checked and right */
};

struct frame_info {
	unsigned n_tags;	/* VLAN tags read whole, any number */
	struct frame_tag tag[FRAME_MAX_TAGS];	/* the outermost, outer first */
	uint16_t ethertype;	/* after the tags; 0 if not reached */
	size_t l3_off;		/* where the ethertype's header starts */
	bool ipv4;		/* ip holds a fixed IPv4 header (see above) */
	struct frame_ipv4 ip;
	size_t l4_off;		/* l3_off + ip.hdr_len, when ipv4 */
	const char *problem;	/* what was wrong, NULL when FRAME_OK */
};

/*
 * Parse the frame at data (caplen bytes captured of wire bytes on the
 * wire) into *f.  Never reads past data + caplen.  Every field of *f is
 * set: those the parser did not reach are zero.
 */
enum frame_status frame_parse(const uint8_t *data, size_t caplen,
			      size_t wire, struct frame_info *f);

#define FRAME_ARP_REQUEST	1
#define FRAME_ARP_REPLY		2

/* An ARP request or reply for IPv4 over Ethernet. */
struct frame_arp {
	uint16_t op;		/* FRAME_ARP_REQUEST or FRAME_ARP_REPLY */
	uint8_t sha[6], tha[6];	/* sender and target hardware addresses */
	uint32_t spa, tpa;	/* sender and target protocol addresses,
				 * network byte order */
};

/*
 * The ARP packet of a frame that frame_parse() found FRAME_OK with
 * ethertype ARP (under any tags): true and *a filled when it is a request
 * or a reply for IPv4 over Ethernet (hardware type 1, protocol 0x0800,
 * address lengths 6 and 4) captured whole (28 bytes from l3_off within
 * caplen); false for any other frame, other types and opcodes (InARP,
 * RARP), and a packet cut short.  The one ARP parser of the analyzers.
 */
bool frame_arp(const uint8_t *data, size_t caplen,
	       const struct frame_info *f, struct frame_arp *a);

/* Big-endian 16 bits at p: for callers reading past l3_off or l4_off. */
static inline uint16_t frame_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Open a capture file for an analyzer: NULL with err ("cannot open 'P':
 * ..." or "cannot analyze 'P': link type X, want EN10MB") unless it opens
 * and its link type is Ethernet.
 */
pcap_t *frame_pcap_open(const char *path, char *err);

#endif
