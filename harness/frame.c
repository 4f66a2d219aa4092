/* frame.c - see frame.h. */
#include "frame.h"
#include "util.h"

#include <string.h>

#define ETH_HDR		14
#define TAG_LEN		4
#define IP_MIN_HDR	20
#define ARP_LEN		28	/* IPv4 over Ethernet */

static bool is_tag(uint16_t etype)
{
	return etype == 0x8100 || etype == 0x88a8 || etype == 0x9100;
}

/* Ones' complement sum of an IPv4 header; 0 when the checksum is right. */
static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += frame_rd16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static enum frame_status bad(struct frame_info *f, enum frame_status st,
			     const char *problem)
{
	f->problem = problem;
	return st;
}

enum frame_status frame_parse(const uint8_t *d, size_t cap, size_t wire,
			      struct frame_info *f)
{
	size_t off = ETH_HDR, ihl, tot;
	uint16_t etype, fo;
	const uint8_t *ip;

	memset(f, 0, sizeof(*f));
	if (cap > wire)
		return bad(f, FRAME_MALFORMED, "caplen exceeds the wire length");
	if (cap < ETH_HDR)
		return bad(f, FRAME_TRUNCATED, "Ethernet header cut");
	etype = frame_rd16(d + 12);
	while (is_tag(etype)) {
		if (cap < off + TAG_LEN)
			return bad(f, FRAME_TRUNCATED, "VLAN tag cut");
		if (f->n_tags < FRAME_MAX_TAGS) {
			f->tag[f->n_tags].tpid = etype;
			f->tag[f->n_tags].tci = frame_rd16(d + off);
		}
		f->n_tags++;
		etype = frame_rd16(d + off + 2);
		off += TAG_LEN;
	}
	f->ethertype = etype;
	f->l3_off = off;
	if (etype != FRAME_ETHERTYPE_IPV4)
		return FRAME_OK;

	if (cap < off + IP_MIN_HDR)
		return bad(f, FRAME_TRUNCATED, "IPv4 header cut");
	ip = d + off;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4)
		return bad(f, FRAME_MALFORMED, "IP version is not 4");
	if (ihl < IP_MIN_HDR)
		return bad(f, FRAME_MALFORMED, "IPv4 header length under 20");
	tot = frame_rd16(ip + 2);
	if (tot < ihl)
		return bad(f, FRAME_MALFORMED,
			   "IPv4 total length under its header length");
	fo = frame_rd16(ip + 6);
	f->ipv4 = true;
	f->ip.hdr_len = ihl;
	f->ip.tot_len = tot;
	f->ip.id = frame_rd16(ip + 4);
	f->ip.frag_off = (uint32_t)(fo & 0x1fff) * 8;
	f->ip.mf = (fo & 0x2000) != 0;
	f->ip.df = (fo & 0x4000) != 0;
	f->ip.proto = ip[9];
	memcpy(&f->ip.src, ip + 12, 4);
	memcpy(&f->ip.dst, ip + 16, 4);
	f->l4_off = off + ihl;

	if (cap < off + ihl)
		return bad(f, FRAME_TRUNCATED, "IPv4 options cut");
	if (ip_csum(ip, ihl) != 0)
		return bad(f, FRAME_MALFORMED, "bad IPv4 header checksum");
	f->ip.csum_ok = true;
	if (off + tot > wire)
		return bad(f, FRAME_MALFORMED,
			   "IPv4 total length beyond the frame");
	return FRAME_OK;
}

bool frame_arp(const uint8_t *d, size_t cap, const struct frame_info *f,
	       struct frame_arp *a)
{
	const uint8_t *p;
	uint16_t op;

	if (f->ethertype != FRAME_ETHERTYPE_ARP || f->l3_off < ETH_HDR ||
	    cap < f->l3_off + ARP_LEN)
		return false;
	p = d + f->l3_off;
	if (frame_rd16(p) != 1 || frame_rd16(p + 2) != FRAME_ETHERTYPE_IPV4 ||
	    p[4] != 6 || p[5] != 4)
		return false;
	op = frame_rd16(p + 6);
	if (op != FRAME_ARP_REQUEST && op != FRAME_ARP_REPLY)
		return false;
	a->op = op;
	memcpy(a->sha, p + 8, 6);
	memcpy(&a->spa, p + 14, 4);
	memcpy(a->tha, p + 18, 6);
	memcpy(&a->tpa, p + 24, 4);
	return true;
}

pcap_t *frame_pcap_open(const char *path, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, ebuf);
	const char *name;

	if (!p) {
		err_set(err, "cannot open '%s': %s", path, ebuf);
		return NULL;
	}
	if (pcap_datalink(p) == DLT_EN10MB)
		return p;
	name = pcap_datalink_val_to_name(pcap_datalink(p));
	err_set(err, "cannot analyze '%s': link type %s, want EN10MB", path,
		name ? name : "unknown");
	pcap_close(p);
	return NULL;
}
