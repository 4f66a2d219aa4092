/* flow.c - see flow.h. */
#include "flow.h"
#include "frame.h"
#include "util.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <string.h>

/* flow_count with port 0 (any), flow_count_port otherwise. */
static int count(const char *pcap_path, const char *src, const char *dst,
		 int proto, int port, struct flow_count *out, char *err)
{
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
	pc = frame_pcap_open(pcap_path, err);
	if (!pc)
		return -1;
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
		size_t cap = h->caplen, tot, hl, l4hdr = 0;
		struct frame_info fi;

		/*
		 * Any frame whose fixed IPv4 header was read counts: this
		 * counter never judged header checksums, options or the
		 * total length against the frame (see flow.h).
		 */
		frame_parse(p, cap, h->len, &fi);
		if (!fi.ipv4 || fi.ip.proto != proto ||
		    memcmp(&fi.ip.src, &s, 4) || memcmp(&fi.ip.dst, &d, 4))
			continue;
		/* ports (and TCP's data offset) must be in the capture;
		 * non-first fragments carry no ports */
		if (port && (fi.ip.frag_off ||
			     cap < fi.l4_off + (proto == 6 ? 13 : 4) ||
			     (frame_rd16(p + fi.l4_off) != port &&
			      frame_rd16(p + fi.l4_off + 2) != port)))
			continue;
		tot = fi.ip.tot_len;
		hl = fi.ip.hdr_len;
		if (proto == 6 && cap >= fi.l4_off + 13)
			l4hdr = (size_t)(p[fi.l4_off + 12] >> 4) * 4;
		else if (proto == 17)
			l4hdr = 8;
		c.frames++;
		c.ip_bytes += tot;
		if (tot > c.max_ip_len)
			c.max_ip_len = tot;
		if (tot >= hl + l4hdr)
			c.l4_bytes += tot - hl - l4hdr;
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

int flow_count(const char *pcap_path, const char *src, const char *dst,
	       int proto, struct flow_count *out, char *err)
{
	return count(pcap_path, src, dst, proto, 0, out, err);
}

int flow_count_port(const char *pcap_path, const char *src, const char *dst,
		    int proto, int port, struct flow_count *out, char *err)
{
	if ((proto != 6 && proto != 17) || port < 1 || port > 65535) {
		err_set(err, "invalid protocol %d or port %d", proto, port);
		return -1;
	}
	return count(pcap_path, src, dst, proto, port, out, err);
}
