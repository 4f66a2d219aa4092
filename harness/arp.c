/* arp.c - see arp.h. */
#include "arp.h"
#include "frame.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/ether.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <string.h>

int arp_count(const char *pcap_path, const char *ip, const char *mac,
	      struct arp_count *out, char *err)
{
	struct arp_count c = { 0 };
	struct ether_addr hw;
	struct pcap_pkthdr *h;
	const u_char *d;
	struct in_addr in;
	pcap_t *p;
	int ret;

	if (!ip || inet_pton(AF_INET, ip, &in) != 1) {
		err_set(err, "invalid IPv4 address '%s'", ip ? ip : "(null)");
		return -1;
	}
	if (mac && !ether_aton_r(mac, &hw)) {
		err_set(err, "invalid MAC address '%s'", mac);
		return -1;
	}
	p = frame_pcap_open(pcap_path, err);
	if (!p)
		return -1;
	while ((ret = pcap_next_ex(p, &h, &d)) == 1) {
		struct frame_info fi;
		struct frame_arp a;

		c.frames++;
		if (frame_parse(d, h->caplen, h->len, &fi) != FRAME_OK ||
		    !frame_arp(d, h->caplen, &fi, &a))
			continue;
		if (a.op == FRAME_ARP_REQUEST && a.tpa == in.s_addr &&
		    a.spa != in.s_addr)
			c.requests++;
		if (a.op == FRAME_ARP_REPLY && a.spa == in.s_addr) {
			c.replies++;
			if (mac && !memcmp(a.sha, hw.ether_addr_octet, 6))
				c.replies_mac++;
		}
	}
	if (ret != PCAP_ERROR_BREAK) {	/* -2: end of file */
		err_set(err, "cannot read '%s': %s", pcap_path,
			pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	*out = c;
	return 0;
}
