/*
 * arp.h - who asked and who answered ARP for one address, in a pcap
 * (offline analyzer).
 *
 * The multinic case puts three NICs of one guest on one segment.  There a
 * Linux host by default answers ARP for any of its addresses on every NIC
 * the request reaches ("ARP flux"); arp_ignore=1 makes each NIC answer
 * only for its own address.  The case judges that from the capture on each
 * NIC's tap: the host's requests for an address reach every tap (they are
 * broadcast), and the replies for it leave on its own NIC's tap only.
 *
 * An ARP packet counts when frame_arp() takes it (IPv4 over Ethernet,
 * request or reply, captured whole), untagged or under any VLAN tags; a
 * frame whose headers frame_parse() does not find sound does not count.
 */
#ifndef NICQ_ARP_H
#define NICQ_ARP_H

struct arp_count {
	unsigned frames;	/* every frame in the file */
	unsigned requests;	/* requests for ip (target ip) from another
				 * address (a probe's sender 0.0.0.0 too) */
	unsigned replies;	/* replies that say where ip is (sender ip) */
	unsigned replies_mac;	/* those of them from mac (sender hardware
				 * address), when mac was given */
};

/*
 * Count in pcap_path (link type Ethernet) the ARP requests for ip and the
 * replies for it; mac (aa:bb:cc:dd:ee:ff) or NULL.  0 and *out filled, or
 * -1 with err (a bad address, a file that cannot be read or is cut in the
 * middle of a record, another link type) and *out untouched.
 */
int arp_count(const char *pcap_path, const char *ip, const char *mac,
	      struct arp_count *out, char *err);

#endif
