/*
 * netboot.h - the DHCP and TFTP exchange of a network boot, from a pcap
 * (offline analyzer).
 *
 * The pxe case judges the boot from the capture on the guest's tap: the
 * plan's check is that the TFTP read request is on the wire; nicq also
 * wants the DHCP exchange that led to it and every requested file to have
 * travelled whole.  This analyzer reads a capture (link type Ethernet,
 * frames untagged or under any number of 802.1Q, 802.1ad or 0x9100 tags)
 * and reports both.
 *
 * DHCP: BOOTP messages between ports 68 and 67 (either way) whose client
 * hardware address (chaddr, hardware type Ethernet, length 6) is the
 * client's MAC, counted by DHCP message type (option 53); a BOOTP message
 * without option 53 in the captured bytes counts in other.  From the last
 * DHCPACK: the address given (yiaddr), the next server (siaddr) and the
 * boot file name (the BOOTP file field, or option 67 when the field is
 * empty).
 *
 * TFTP (RFC 1350, options RFC 2347-2349): a transfer starts with a read
 * request (RRQ, opcode 1) to UDP port 69 from the client's address;
 * retransmissions of the RRQ from the same address and port count in the
 * same transfer.  The server's packets are those from the server address
 * (any port: its transfer ID) to the client's address and port.  An OACK
 * (opcode 6) sets the block size when it acknowledges "blksize"; otherwise
 * it is 512.  DATA (opcode 3) blocks are counted once each, in order:
 * block n+1 after block n (modulo 65536, so long transfers wrap), a
 * repeated block is a retransmission and not counted again, any other
 * block number is out of order and counted in gaps.  The payload length
 * comes from the UDP length, so a capture cut short by its snaplen still
 * counts bytes (only opcode and block number need to be captured).  The
 * transfer is complete when a counted block is shorter than the block
 * size.  An ERROR packet (opcode 5) from either side is recorded.
 * Non-first IPv4 fragments are ignored; a frame whose headers are
 * truncated or malformed as frame.h judges them (caplen > len, a short
 * frame or tag, bad IPv4 version or IHL, options cut, a bad IPv4 header
 * checksum, a total length below the header or beyond the frame) is
 * skipped, and so is a UDP length below 8 or beyond the IP payload.
 */
#ifndef NICQ_NETBOOT_H
#define NICQ_NETBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { NETBOOT_DHCP_TYPES = 9 };	/* DHCPDISCOVER (1) .. DHCPINFORM (8) */

struct netboot_dhcp {
	unsigned by_type[NETBOOT_DHCP_TYPES];	/* index = option 53 value;
						 * [0]: no or unknown type */
	unsigned messages;		/* all BOOTP messages of the client */
	char yiaddr[16];		/* from the last DHCPACK; "" if none */
	char siaddr[16];
	char bootfile[129];
};

struct netboot_tftp {
	char client[16];		/* dotted IPv4 */
	uint16_t client_port;
	char server[16];
	uint16_t server_port;		/* the server's transfer ID; 0 until
					 * it answered */
	char *filename;
	char *mode;			/* "octet", "netascii" */
	unsigned requests;		/* RRQs (retransmissions included) */
	unsigned blksize;		/* in effect: 512 or the OACK's */
	uint64_t tsize;			/* the OACK's tsize; 0 if none */
	unsigned blocks;		/* DATA blocks counted (in order) */
	unsigned duplicates;		/* retransmitted blocks */
	unsigned gaps;			/* out-of-order blocks */
	uint64_t bytes;			/* payload of the counted blocks */
	bool complete;			/* the short last block was seen */
	int error_code;			/* -1: no ERROR packet */
	char *error_msg;
	int64_t first_us, last_us;	/* RRQ and last server packet (pcap
					 * time, microseconds) */
};

struct netboot_report {
	unsigned frames;		/* all records in the file */
	struct netboot_dhcp dhcp;
	struct netboot_tftp *tftp;	/* in order of the first RRQ */
	size_t n_tftp;
};

/*
 * Analyze pcap_path for the network boot of the client with MAC client_mac
 * ("52:54:00:..", any case).  TFTP is counted for every client (the client
 * address comes from the RRQ).  Returns 0 and *out (netboot_report_free),
 * or -1 with err and *out untouched for a bad MAC, a file that cannot be
 * opened or read, or another link type.
 */
int netboot_analyze(const char *pcap_path, const char *client_mac,
		    struct netboot_report **out, char *err);

/* The last transfer of filename, or NULL. r may be NULL. */
const struct netboot_tftp *netboot_tftp_file(const struct netboot_report *r,
					     const char *filename);

/* Accepts NULL. */
void netboot_report_free(struct netboot_report *r);

#endif
