/* flow.c - see flow.h. */
#include "flow.h"
#include "util.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <string.h>

static uint16_t rd16(const u_char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int flow_count(const char *pcap_path, const char *src, const char *dst,
	       int proto, struct flow_count *out, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct in_addr s, d;
	struct pcap_pkthdr *h;
	const u_char *p;
	struct flow_count c = { 0 };
	pcap_t *pc;
	int rc;

	if (inet_pton(AF_INET, src, &s) != 1 ||
	    inet_pton(AF_INET, dst, &d) != 1) {
		err_set(err, "invalid IPv4 address '%s' or '%s'", src, dst);
		return -1;
	}
	pc = pcap_open_offline(pcap_path, ebuf);
	if (!pc) {
		err_set(err, "cannot open '%s': %s", pcap_path, ebuf);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		err_set(err, "cannot analyze '%s': not an Ethernet capture",
			pcap_path);
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
		size_t off = 14, cap = h->caplen, ihl, tot, l4hdr = 0;
		uint16_t et;

		if (cap > h->len || cap < 14)
			continue;
		et = rd16(p + 12);
		while ((et == 0x8100 || et == 0x88a8) && cap >= off + 4) {
			et = rd16(p + off + 2);
			off += 4;
		}
		if (et != 0x0800 || cap < off + 20)
			continue;
		ihl = (size_t)(p[off] & 0x0f) * 4;
		tot = rd16(p + off + 2);
		if (p[off] >> 4 != 4 || ihl < 20 || tot < ihl ||
		    p[off + 9] != proto || memcmp(p + off + 12, &s, 4) ||
		    memcmp(p + off + 16, &d, 4))
			continue;
		if (proto == 6 && cap >= off + ihl + 13)
			l4hdr = (size_t)(p[off + ihl + 12] >> 4) * 4;
		else if (proto == 17)
			l4hdr = 8;
		c.frames++;
		c.ip_bytes += tot;
		if (tot > c.max_ip_len)
			c.max_ip_len = tot;
		if (tot >= ihl + l4hdr)
			c.l4_bytes += tot - ihl - l4hdr;
	}
	if (rc == -1) {
		err_set(err, "cannot read '%s': %s", pcap_path,
			pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	*out = c;
	return 0;
}
