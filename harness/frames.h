/*
 * frames.h - find injected frames in a capture by exact content (offline).
 *
 * Cases that inject raw Ethernet frames from the host side of a tap (the
 * multicast case, with nicq's "local experimental" ethertype 0x88b5) judge
 * delivery from a capture taken inside the guest: each injected frame is
 * looked for by its destination MAC and its payload, byte for byte, so
 * that a frame from anywhere else, or one the NIC altered, is not taken
 * for it.
 *
 * A captured frame matches a want when
 *   - its destination MAC (bytes 0-5) is the want's mac;
 *   - the ethertype at bytes 12-13 is the one asked for.  The frame must be
 *     untagged: an 802.1Q-tagged frame has its TPID there, so it does not
 *     match even if its inner ethertype is the one asked for.  nicq injects
 *     untagged frames, and a frame that reaches the guest under a tag is
 *     not the frame that was sent;
 *   - the want's len payload bytes follow the ethertype, captured whole
 *     (caplen at least 14 + len).  A frame cut short by the snaplen before
 *     the payload's end does not match.  Bytes after the payload (Ethernet
 *     padding, say) are not compared.
 * A frame matching several wants counts for each of them.
 *
 * Each want is one frame that was sent once, so its first match counts in
 * seen and every further one in dups: a NIC or a bridge that duplicates a
 * frame shows there, not as a second frame delivered.
 */
#ifndef NICQ_FRAMES_H
#define NICQ_FRAMES_H

#include <stddef.h>
#include <stdint.h>

/* One frame that was injected. */
struct frames_want {
	const unsigned char *mac;	/* 6 bytes: destination */
	const unsigned char *payload;	/* what follows the ethertype */
	size_t len;
};

/* What the capture held of one want. */
struct frames_count {
	unsigned seen;		/* 1 if a frame matched, else 0 */
	unsigned dups;		/* matching frames after the first */
};

/*
 * Match the frames of pcap_path (link type Ethernet) against want[0..n)
 * and fill out[0..n).  Returns 0, or -1 with err and out untouched when
 * the file cannot be opened, has another link type, or cannot be read to
 * its end (a file cut short in the middle of a record, for one).
 */
int frames_match(const char *pcap_path, uint16_t ethertype,
		 const struct frames_want *want, size_t n,
		 struct frames_count *out, char *err);

#endif
