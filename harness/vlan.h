/*
 * vlan.h - 802.1Q accounting of one pair's traffic in a pcap file (offline
 * analyzer).
 *
 * The VLAN case (guest A on VLAN 10, guest B on VLAN 10 or 20) judges
 * isolation from the captures on the guests' host-side taps, not from
 * ping's exit status: the frames of the test traffic must carry an 802.1Q
 * tag with the right VID, and none of them may appear untagged or under
 * another VID.  This analyzer reads such a capture (link type Ethernet) and
 * counts, per VID, the frames that involve the pair of addresses a and b.
 *
 * A frame involves the pair when it is
 *   - IPv4 (ethertype 0x0800) from a to b or from b to a; or
 *   - an ARP request or reply (ethertype 0x0806, opcode 1 or 2, hardware
 *     type Ethernet, protocol IPv4, address lengths 6 and 4) whose sender
 *     and target protocol addresses are a and b in either order; or one
 *     that announces or probes a or b: a gratuitous ARP (sender address ==
 *     target address, either of a and b) or an ARP probe (sender 0.0.0.0,
 *     target a or b).  Address conflict detection at boot and a leaked
 *     announcement from the other VLAN are part of the pair's traffic.
 * ARP with another opcode (InARP and the like) does not involve the pair.
 *
 * The VID is that of the outermost tag.  An 802.1Q tag (TPID 0x8100), an
 * 802.1ad service tag (0x88a8) and the pre-standard QinQ TPID 0x9100 are
 * all tags; with stacked tags (QinQ) the frame is reported under the OUTER
 * VID, which is what the tap's side of the bridge sees, and any number of
 * inner tags is skipped.  Priority bits (PCP, DEI) are ignored, so a
 * priority-tagged frame is VID 0; VID 4095 is reported as it is.  A frame
 * with no tag is VID -1.
 *
 * Each frame that involves the pair is counted once in its VID's frames and
 * in exactly one of the other counters:
 *   frames == arp_requests + arp_replies + echo_requests + echo_replies
 *             + other.
 * An ICMP echo request or reply (type 8 or 0, code 0) counts when the frame
 * holds its first fragment (fragment offset 0, the whole datagram or not)
 * and the 8-byte ICMP header fits in the IP total length; later fragments,
 * other ICMP, other protocols, and echoes whose ICMP type and code were not
 * captured (a short snaplen) count in other.
 *
 * Malformed frames are not counted anywhere but in the report's frames, and
 * nothing is read past a record's captured length: a record whose caplen
 * exceeds its len, a frame shorter than its Ethernet header or cut inside a
 * tag, an IPv4 header that is short, not version 4, has an IHL under 5, a
 * bad header checksum or a total length below its header or beyond the
 * frame's wire length, and an ARP packet not captured whole (28 bytes).
 * Truncated captures are otherwise fine: a frame needs only its Ethernet
 * header, tags and IPv4 header (and for an echo the ICMP type and code)
 * captured.
 */
#ifndef NICQ_VLAN_H
#define NICQ_VLAN_H

#include <stddef.h>

/* Traffic of the pair under one VID.  Only VIDs with frames are listed. */
struct vlan_count {
	int vid;		/* 0..4095 for a tagged frame (the outermost
				 * tag's VID), -1 untagged */
	unsigned frames;	/* frames under this VID that involve the pair */
	unsigned arp_requests;	/* ARP requests between a and b either way
				 * (by sender and target protocol address),
				 * probes and gratuitous requests for a or b */
	unsigned arp_replies;	/* ARP replies, likewise */
	unsigned echo_requests;	/* ICMP echo requests a -> b or b -> a (the
				 * whole datagram or its first fragment) */
	unsigned echo_replies;	/* ICMP echo replies, likewise */
	unsigned other;		/* other IPv4 between a and b, later
				 * fragments included */
	unsigned from_b;	/* of frames, those b sent: IPv4 from b, ARP
				 * whose sender address is b or that probes
				 * for b (sender 0.0.0.0); the rest a sent */
};

struct vlan_report {
	struct vlan_count *counts;	/* sorted by vid, untagged (-1) first;
					 * NULL when n is 0 */
	size_t n;
	unsigned frames;	/* all frames in the file, malformed included */
	unsigned pair_frames;	/* frames involving the pair (the sum of
				 * counts[].frames) */
};

/*
 * Analyze pcap_path (link type Ethernet) for the traffic between ip_a and
 * ip_b (dotted IPv4, different addresses; the order does not matter).
 * Returns 0 and fills *out (free with vlan_report_free), or -1 with err and
 * *out untouched for a bad or repeated address, a file that cannot be
 * opened, another link type, or a read error such as a file cut short in
 * the middle of a record.
 */
int vlan_analyze(const char *pcap_path, const char *ip_a, const char *ip_b,
		 struct vlan_report **out, char *err);

/*
 * The counts for vid (-1 for untagged frames), or NULL if no frame of the
 * pair was seen under it.  r may be NULL.
 */
const struct vlan_count *vlan_report_vid(const struct vlan_report *r,
					 int vid);

/* Accepts NULL. */
void vlan_report_free(struct vlan_report *r);

#endif
