/*
 * flow.h - byte and frame counts of one IPv4 flow in a pcap (offline).
 *
 * Bulk-transfer cases check that the bytes really crossed the NIC under
 * test: the capture on its tap must carry at least the payload that was
 * moved, so a transfer that silently took another path fails.
 */
#ifndef NICQ_FLOW_H
#define NICQ_FLOW_H

#include <stddef.h>
#include <stdint.h>

struct flow_count {
	uint64_t frames;	/* IPv4 frames src -> dst of the protocol */
	uint64_t ip_bytes;	/* sum of their IP total lengths */
	uint64_t l4_bytes;	/* sum of their L4 payloads (TCP/UDP payload
				 * after the transport header, from the IP
				 * total length: works on truncated captures) */
	uint64_t max_ip_len;	/* the largest IP total length seen */
};

/*
 * Count IPv4 frames from src to dst with IP protocol proto (6 TCP, 17
 * UDP, 1 ICMP...).  Ethernet, untagged or under any number of VLAN tags
 * (802.1Q, 802.1ad, 0x9100; see frame.h).  A frame counts once its fixed
 * 20-byte IPv4 header is captured and consistent (version 4, IHL at least
 * 5, total length not below the header); its header checksum, options and
 * total length against the frame are not checked, so a frame cut by the
 * snaplen still counts its whole IP total length.  0 or -1 with err.
 */
int flow_count(const char *pcap_path, const char *src, const char *dst,
	       int proto, struct flow_count *out, char *err);

/*
 * The same, for TCP (6) or UDP (17) frames whose source or destination
 * port is port (1..65535), e.g. one iperf3 data stream told apart by its
 * client port.  Non-first fragments (no ports) and frames whose ports (for
 * TCP, its data offset too) were not captured do not count.
 */
int flow_count_port(const char *pcap_path, const char *src, const char *dst,
		    int proto, int port, struct flow_count *out, char *err);

/*
 * The connections of TCP (6) or UDP (17) frames from src to dst, told
 * apart by their port pair, with each one's frames and L4 payload: up to
 * max of them, in the order first seen, in out[0..*n); the frames of any
 * further ones count in *others.  Which connection a stream's frames
 * belong to, e.g. to see which link a bond's transmit hash put each one
 * on.  Frames as flow_count_port takes them.  Linear in the capture.  0
 * or -1 with err.
 */
struct flow_conn {
	uint16_t sport, dport;
	uint64_t frames;
	uint64_t l4_bytes;
};

int flow_conns(const char *pcap_path, const char *src, const char *dst,
	       int proto, struct flow_conn *out, size_t max, size_t *n,
	       uint64_t *others, char *err);

/*
 * The timeline of one TCP transfer from src to dst, told apart by port
 * (on either side) and followed as the one connection that carried its
 * first data segment (refused attempts before it and their RSTs are not
 * it; an RST never counts as an advance, and only a receiver's RST+ACK
 * after it acked counts toward acked): when data (segments with payload)
 * first
 * and last went
 * src -> dst, and how the receiver's acknowledgements (dst -> src, ACK set)
 * advanced, in sequence-number order (RFC 1982 arithmetic).  A receiver
 * that stops taking data shows as a long time between two advances: gap_us
 * is the longest, and gap_start_us the advance it began after (the last
 * moment the receiver was taking data).  A receiver that never takes data
 * again ends its gap at the last data segment sent to it.  Time stamps are
 * the capture's, microseconds since the epoch; 0 when there is none.
 * Frames whose TCP header (through the ACK number and flags) was not
 * captured do not count.  0 or -1 with err.
 */
struct tcp_progress {
	uint64_t data_frames;	/* src -> dst with payload */
	int64_t first_data_us, last_data_us;
	uint64_t ack_advances;	/* dst -> src acks that moved forward */
	int64_t first_ack_us, last_ack_us;	/* first ack, last advance */
	int64_t gap_us, gap_start_us;
	uint64_t acked;		/* how far the acks moved, bytes */
	/*
	 * The data src -> dst by sequence number: payload bytes of all data
	 * segments, and of them the bytes new to the stream (each sequence
	 * number counted once, from the first data segment's on; a segment
	 * that arrives out of order into a hole counts as a repeat).  What
	 * is not unique was sent again: retransmissions.
	 */
	uint64_t data_bytes, unique_bytes;
};

int flow_tcp_progress(const char *pcap_path, const char *src,
		      const char *dst, int port, struct tcp_progress *out,
		      char *err);

#endif
