/* flow.c - see flow.h. */
#include "flow.h"
#include "frame.h"
#include "util.h"

#include <arpa/inet.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <string.h>

/*
 * The end of a read loop: pcap_next_ex's last rc, the handle closed.  0 at
 * the end of the file, -1 with err on a read error.
 */
static int read_end(pcap_t *pc, int rc, const char *pcap_path, char *err)
{
	if (rc == -1)
		err_set(err, "cannot read '%s': %s", pcap_path,
			pcap_geterr(pc));
	pcap_close(pc);
	return rc == -1 ? -1 : 0;
}

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
	if (read_end(pc, rc, pcap_path, err) < 0)
		return -1;
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

int flow_conns(const char *pcap_path, const char *src, const char *dst,
	       int proto, struct flow_conn *out, size_t max, size_t *n,
	       uint64_t *others, char *err)
{
	struct in_addr s, d;
	struct pcap_pkthdr *h;
	const u_char *p;
	GHashTable *seen;	/* port pair -> index + 1 in out */
	pcap_t *pc;
	int rc;

	*n = 0;
	*others = 0;
	if ((proto != 6 && proto != 17) ||
	    inet_pton(AF_INET, src, &s) != 1 ||
	    inet_pton(AF_INET, dst, &d) != 1) {
		err_set(err, "invalid protocol %d or IPv4 address '%s' or "
			"'%s'", proto, src, dst);
		return -1;
	}
	pc = frame_pcap_open(pcap_path, err);
	if (!pc)
		return -1;
	seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
		size_t cap = h->caplen, hl, l4hdr;
		struct frame_info fi;
		struct flow_conn *c;
		uint16_t sp, dp;
		guint i;

		frame_parse(p, cap, h->len, &fi);
		if (!fi.ipv4 || fi.ip.proto != proto || fi.ip.frag_off ||
		    memcmp(&fi.ip.src, &s, 4) || memcmp(&fi.ip.dst, &d, 4) ||
		    cap < fi.l4_off + (proto == 6 ? 13 : 4))
			continue;
		sp = frame_rd16(p + fi.l4_off);
		dp = frame_rd16(p + fi.l4_off + 2);
		i = GPOINTER_TO_UINT(g_hash_table_lookup(seen,
				GUINT_TO_POINTER((guint)sp << 16 | dp)));
		if (!i) {
			if (*n == max) {
				++*others;
				continue;
			}
			out[*n] = (struct flow_conn){ .sport = sp, .dport = dp };
			i = (guint)++*n;
			g_hash_table_insert(seen,
				GUINT_TO_POINTER((guint)sp << 16 | dp),
				GUINT_TO_POINTER(i));
		}
		c = &out[i - 1];
		c->frames++;
		hl = fi.ip.hdr_len;
		l4hdr = proto == 6 ? (size_t)(p[fi.l4_off + 12] >> 4) * 4 : 8;
		if (fi.ip.tot_len >= hl + l4hdr)
			c->l4_bytes += fi.ip.tot_len - hl - l4hdr;
	}
	g_hash_table_destroy(seen);
	return read_end(pc, rc, pcap_path, err);
}

/*
 * One TCP segment of src/dst with port on either side, as flow_tcp_progress
 * reads it: 1 and *seg filled, 0 for any other frame.
 */
struct tcp_seg {
	bool fwd;		/* src -> dst */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	size_t payload;
	int64_t ts;
};

static int tcp_seg_of(const struct pcap_pkthdr *h, const u_char *p,
		      const struct in_addr *s, const struct in_addr *d,
		      int port, struct tcp_seg *sg)
{
	size_t cap = h->caplen, doff;
	struct frame_info fi;
	const u_char *tcp;

	frame_parse(p, cap, h->len, &fi);
	if (!fi.ipv4 || fi.ip.proto != 6 || fi.ip.frag_off ||
	    cap < fi.l4_off + 14)
		return 0;
	if (!memcmp(&fi.ip.src, s, 4) && !memcmp(&fi.ip.dst, d, 4))
		sg->fwd = true;
	else if (!memcmp(&fi.ip.src, d, 4) && !memcmp(&fi.ip.dst, s, 4))
		sg->fwd = false;
	else
		return 0;
	tcp = p + fi.l4_off;
	sg->sport = frame_rd16(tcp);
	sg->dport = frame_rd16(tcp + 2);
	if (sg->sport != port && sg->dport != port)
		return 0;
	doff = (size_t)(tcp[12] >> 4) * 4;
	sg->seq = (uint32_t)frame_rd16(tcp + 4) << 16 | frame_rd16(tcp + 6);
	sg->ack = (uint32_t)frame_rd16(tcp + 8) << 16 | frame_rd16(tcp + 10);
	sg->flags = tcp[13];
	sg->payload = fi.ip.tot_len > fi.ip.hdr_len + doff ?
		      fi.ip.tot_len - fi.ip.hdr_len - doff : 0;
	sg->ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	return 1;
}

int flow_tcp_progress(const char *pcap_path, const char *src,
		      const char *dst, int port, struct tcp_progress *out,
		      char *err)
{
	struct in_addr s, d;
	struct pcap_pkthdr *h;
	const u_char *p;
	struct tcp_progress t = { 0 };
	struct tcp_seg sg;
	uint32_t base = 0, max = 0, hi = 0, end;
	uint16_t a_port = 0, b_port = 0;	/* src's and dst's ports */
	uint32_t rst = 0;
	int64_t last_adv = 0;
	bool have_ack = false, have_rst = false;
	pcap_t *pc;
	int rc, pass;

	if (inet_pton(AF_INET, src, &s) != 1 ||
	    inet_pton(AF_INET, dst, &d) != 1) {
		err_set(err, "invalid IPv4 address '%s' or '%s'", src, dst);
		return -1;
	}
	if (port < 1 || port > 65535) {
		err_set(err, "invalid port %d", port);
		return -1;
	}
	/*
	 * Pass 0 finds the connection: the ports of its first data segment
	 * (earlier attempts the listener refused, and their RSTs, are other
	 * connections with other sequence numbers).  Pass 1 follows it.
	 */
	for (pass = 0; pass < 2; pass++) {
		pc = frame_pcap_open(pcap_path, err);
		if (!pc)
			return -1;
		while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
			if (!tcp_seg_of(h, p, &s, &d, port, &sg))
				continue;
			if (pass == 0) {
				if (sg.fwd && sg.payload) {
					a_port = sg.sport;
					b_port = sg.dport;
					break;
				}
				continue;
			}
			if (sg.fwd ? sg.sport != a_port || sg.dport != b_port :
				     sg.sport != b_port || sg.dport != a_port)
				continue;
			if (sg.fwd) {
				if (!sg.payload)
					continue;
				if (!t.data_frames++) {
					t.first_data_us = sg.ts;
					hi = sg.seq;
				}
				t.data_bytes += sg.payload;
				end = sg.seq + (uint32_t)sg.payload;
				if ((int32_t)(end - hi) > 0) {
					t.unique_bytes +=
						(int32_t)(sg.seq - hi) > 0 ?
						sg.payload : end - hi;
					hi = end;
				}
				t.last_data_us = sg.ts;
			} else if ((sg.flags & 0x14) == 0x14 && have_ack) {
				/*
				 * The receiver's RST+ACK, once it acked: its
				 * ack is what its kernel took in order (an
				 * iperf3 server that aborts the connection
				 * acknowledges its last segments only there:
				 * CI-like run ci-28).  How far it acked, not
				 * an advance of a receiver taking data.
				 */
				if ((int32_t)(sg.ack - (have_rst ? rst : max)) >
				    0) {
					rst = sg.ack;
					have_rst = true;
				}
			} else if ((sg.flags & 0x10) && !(sg.flags & 0x04)) {
				if (!have_ack) {
					have_ack = true;
					base = max = sg.ack;
					t.first_ack_us = t.last_ack_us =
						last_adv = sg.ts;
				} else if ((int32_t)(sg.ack - max) > 0) {
					if (sg.ts - last_adv > t.gap_us) {
						t.gap_us = sg.ts - last_adv;
						t.gap_start_us = last_adv;
					}
					max = sg.ack;
					t.ack_advances++;
					t.last_ack_us = last_adv = sg.ts;
				}
			}
		}
		if (read_end(pc, rc, pcap_path, err) < 0)
			return -1;
		if (pass == 0 && !a_port)
			break;		/* no data: nothing to follow */
	}
	/* a receiver that never took data again: up to the last data */
	if (have_ack && t.last_data_us - last_adv > t.gap_us) {
		t.gap_us = t.last_data_us - last_adv;
		t.gap_start_us = last_adv;
	}
	if (have_rst && (int32_t)(rst - max) > 0)
		max = rst;
	t.acked = (uint32_t)(max - base);
	*out = t;
	return 0;
}
