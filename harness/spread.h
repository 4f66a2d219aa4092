/*
 * spread.h - one ping's echo traffic over several taps (offline analyzer).
 *
 * A bonded guest's NICs sit on one bridge, each with its own tap, and the
 * host's pings to the bond can cross any of them: the bond sends on its
 * active slave (active-backup) or on each slave in turn (balance-rr), and
 * the bridge sends toward the bond's MAC on the port it last learned it
 * on.  This analyzer reads the captures of all those taps for one ping
 * (ICMP echo identifier) and says how many requests and replies crossed
 * any tap, counting a frame once even when the bridge flooded copies of it
 * to several taps, and which taps carried the replies.
 *
 * Frames: Ethernet, any number of 802.1Q/802.1ad/0x9100 tags (a VLAN on top
 * of the bond), IPv4, ICMP echo with the identifier, the first fragment
 * (its 8-byte ICMP header captured); requests from src to dst, replies
 * from dst to src.  A frame frame.h finds truncated or malformed (a bad
 * IPv4 header checksum, a total length beyond the frame, ...) is
 * ignored, and so is anything else.
 *
 * The captures share the host's clock, so frames are put in time order
 * across files.  A request or reply with the same sequence number seen
 * again within one second, on any tap, is a copy of the first (the bridge
 * flooding it), counted in dup_frames and not again; after a second the
 * number is taken to have wrapped (a flood sends far fewer than 65536
 * echoes a second).  A reply counts in replies when a request with its
 * sequence number was seen at most 10 s earlier.
 *
 * A reply seen on exactly one tap "left on" that tap (sole_replies); taps
 * carrying sole replies are where the bond sent.  moves counts how often,
 * in time order, the tap of consecutive sole replies changed: 0 means the
 * bond kept sending on one slave.
 */
#ifndef NICQ_SPREAD_H
#define NICQ_SPREAD_H

#include <stddef.h>
#include <stdint.h>

#define SPREAD_MAX_FILES 16

struct spread_tap {
	unsigned requests;	/* request frames in this file */
	unsigned replies;	/* reply frames in this file */
	unsigned sole_replies;	/* replies seen on this tap only */
};

struct spread_report {
	unsigned requests;	/* distinct requests over all files */
	unsigned replies;	/* distinct replies answering a request */
	unsigned dup_frames;	/* copies of a request or reply already
				 * seen on another tap (or the same one)
				 * within a second */
	unsigned unmatched;	/* distinct replies with no request before */
	unsigned taps_with_replies;	/* files with sole replies */
	unsigned moves;		/* changes of the sole replies' tap */
	size_t n;
	struct spread_tap per[SPREAD_MAX_FILES];	/* per file, in the
							 * order given */
};

/*
 * Analyze the n pcap files paths[] (link type Ethernet, 1..SPREAD_MAX_FILES)
 * for ICMP echo of ident between src and dst (dotted IPv4).  Fills *out
 * and returns 0, or -1 with err (bad address, a file that cannot be read,
 * another link type, a read error).
 */
int spread_analyze(const char *const *paths, size_t n, const char *src,
		   const char *dst, uint16_t ident, struct spread_report *out,
		   char *err);

#endif
