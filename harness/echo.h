/*
 * echo.h - ICMP echo accounting from a pcap file (offline analyzer).
 *
 * The ping case judges from the capture, not from ping's exit status.  This
 * analyzer reads a pcap (Ethernet link type, optionally 802.1Q or 802.1ad
 * tagged, any number of tags) taken on the host side of a guest NIC and, for
 * each ICMP echo identifier (nicq gives each ping step its own identifier
 * with `ping -e`), counts the echo requests sent from `src` to `dst` and the
 * replies from `dst` back to `src`.
 *
 * IPv4 fragments are reassembled by bookkeeping only: a datagram counts as
 * seen when fragments covering every byte of it (offset 0 through the last
 * fragment, MF clear) were captured.  A datagram with a missing fragment is
 * counted in `*_incomplete`, not as seen, so a lost fragment is a lost ping.
 * Fragments belong together by (source, destination, IP id, protocol); an
 * unfragmented datagram never joins another (Linux sends DF pings with IP id
 * 0).  A fragment that overlaps bytes already held for its key, or arrives
 * more than 30 s after the first one (Linux's ipfrag_time), starts a new
 * datagram and the old one is finished as it stands.
 *
 * Truncated captures (snaplen shorter than the frame) are fine: coverage is
 * judged from the IP header's total length, so only the Ethernet and VLAN
 * headers, the whole IPv4 header and, in the first fragment, the 8-byte ICMP
 * header need to be captured.  A datagram whose ICMP header was not captured
 * (first fragment missing or cut short) cannot be given to an identifier; it
 * is counted in the report's `orphans`.
 *
 * Malformed frames are counted in `other_frames` and never read past their
 * captured length: a record whose caplen exceeds its len, short headers, a
 * bad IPv4 header checksum, an IP total length beyond the frame's wire
 * length, a non-final fragment whose length is not a multiple of 8, a
 * datagram over 65535 bytes, an echo whose ICMP code is not 0.
 * Every frame lands in exactly one bucket:
 *   frames == other_frames + orphan_frames + sum of flows[i].fragments.
 *
 * Replies are matched in capture order: each complete reply takes the oldest
 * unanswered complete request with its (ident, seq), so a duplicated reply or
 * one whose request was not captured whole counts in `unmatched_replies`.
 *
 * A reply counts only when it carries its request's payload: the same
 * length, the same bytes wherever both were captured, and an ICMP checksum
 * that is the request's with the type changed from 8 to 0 (RFC 1071
 * arithmetic), which covers the bytes the snaplen cut off: a reply whose
 * payload was changed and its checksum recomputed, as a NIC or a stack that
 * corrupts data in memory produces, has another checksum.  (Changed bytes
 * beyond the snaplen under a checksum that was not recomputed cannot be
 * seen; the receiving host's stack drops such a reply.)  Anything else is a
 * bad reply: it takes its request, which is then answered, but wrongly.
 *
 * Requests are numbered in the order they completed.  At the end of the
 * file, a request nothing answered is "unanswered"; of those, the ones that
 * completed after the last request that got an answer (good or bad) are the
 * "tail": for a ping that stopped while they were in flight, those are the
 * only ones whose replies may legitimately be missing.  Any other
 * unanswered request was followed by answered ones, so its reply was lost.
 */
#ifndef NICQ_ECHO_H
#define NICQ_ECHO_H

#include <stddef.h>
#include <stdint.h>

struct echo_flow {
	uint16_t ident;		/* ICMP echo identifier */
	unsigned requests;	/* complete echo requests src -> dst */
	unsigned replies;	/* complete echo replies dst -> src, matching a
				 * request's (ident, seq) and payload length */
	unsigned req_incomplete;	/* requests missing a fragment */
	unsigned rep_incomplete;	/* replies missing a fragment */
	unsigned req_fragmented;	/* complete requests that came in >1
					 * fragment */
	unsigned rep_fragmented;	/* counted replies that came in >1
					 * fragment */
	unsigned fragments;	/* IPv4 frames of this flow's echo datagrams,
				 * complete or not, an unfragmented datagram
				 * being one */
	size_t payload_min;	/* ICMP payload bytes (after the 8-byte ICMP
				 * header) of requests seen; 0 if none */
	size_t payload_max;
	unsigned bad_replies;	/* replies whose payload differs from their
				 * request's (length, captured bytes or
				 * checksum; see above) */
	int bad_first_seq;	/* the first bad reply's sequence number;
				 * -1 if none */
	long bad_first_byte;	/* its first payload byte that differs from
				 * the request's, -1 when the bytes captured
				 * in both agree (the length or the checksum
				 * differs) */
	unsigned unanswered;	/* complete requests no reply took */
	unsigned unanswered_tail;	/* of them, those that completed
					 * after the last request that got a
					 * reply: in flight at the end */
	int64_t req_first_us, req_last_us;	/* capture time stamps
						 * (us since the epoch) of
						 * the first and the last
						 * complete request; 0 if
						 * none */
	size_t frame_max;	/* largest captured frame of the flow, bytes
				 * on the wire including the Ethernet header
				 * (and VLAN tags) */
	unsigned df_frames;	/* frames of the flow's requests with DF set
				 * (replies are not counted: Linux answers
				 * echoes without DF) */
	unsigned unmatched_replies;	/* complete replies with no
					 * unanswered request of their (ident,
					 * seq): duplicates (ping's DUP!) or
					 * replies to requests not captured
					 * whole */
	unsigned late_replies;	/* of replies, those captured after the
				 * flow's time given to echo_analyze_until()
				 * (when its ping had stopped waiting); 0
				 * without one */
};

struct echo_report {
	struct echo_flow *flows;	/* sorted by ident */
	size_t n_flows;
	unsigned frames;	/* all frames in the file */
	unsigned other_frames;	/* frames that are not ICMP echo of
				 * src/dst, malformed ones included */
	unsigned orphans;	/* IPv4 ICMP datagrams between src and dst,
				 * complete or not, whose ICMP header was not
				 * captured, so their ident is unknown */
	unsigned orphan_frames;	/* their frames */
};

/*
 * Analyze pcap_path (link type Ethernet) for echo traffic between src and
 * dst (dotted IPv4): requests go src -> dst, replies dst -> src; echo the
 * other way round is counted in other_frames.  Returns 0 and fills *out
 * (free with echo_report_free), or -1 with err for a bad address, a file
 * that cannot be opened, another link type, or a read error such as a file
 * cut short in the middle of a record.
 */
int echo_analyze(const char *pcap_path, const char *src, const char *dst,
		 struct echo_report **out, char *err);

/* When one identifier's ping stopped waiting for replies. */
struct echo_until {
	uint16_t ident;
	int64_t until_us;	/* us since the epoch (the capture's clock);
				 * 0: none */
	int64_t span_us;	/* or this long after the flow's first
				 * complete request; 0: none */
};

/*
 * echo_analyze(), and each flow named in until[] (n of them; the first
 * entry for an ident counts) counts in late_replies the right replies
 * captured after its until_us or more than span_us after its first
 * request (whichever comes first): for a ping, the replies that reached
 * the tap after it stopped waiting, which it never counted.
 */
int echo_analyze_until(const char *pcap_path, const char *src,
		       const char *dst, const struct echo_until *until,
		       size_t n, struct echo_report **out, char *err);

/*
 * Requests of f lost on the wire: every unanswered one, less the tail
 * (see above) up to in_flight, the most the sender says it may have had
 * in flight when it stopped (negative: none).
 */
unsigned echo_flow_lost(const struct echo_flow *f, long in_flight);

/* The flow for ident, or NULL if the capture holds none of it. */
const struct echo_flow *echo_report_flow(const struct echo_report *r,
					 uint16_t ident);

/* Accepts NULL. */
void echo_report_free(struct echo_report *r);

#endif
