/* vlan.c - see vlan.h. */
#include "vlan.h"
#include "util.h"

#include <arpa/inet.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ETH_HDR		14
#define TAG_LEN		4
#define IP_MIN_HDR	20
#define ICMP_HDR	8
#define ARP_LEN		28	/* IPv4 over Ethernet */

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_ARP	0x0806
#define ETHERTYPE_8021Q	0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_QINQ	0x9100	/* pre-standard 802.1ad */

#define VID_MASK	0x0fff
#define VID_SLOTS	(VID_MASK + 2)	/* -1 (untagged), 0..4095 */

#define ICMP_ECHOREPLY	0
#define ICMP_ECHO	8
#define ARP_REQUEST	1
#define ARP_REPLY	2

/* Which counter of struct vlan_count a frame of the pair goes to. */
enum kind {
	K_NONE,		/* malformed, or not the pair's */
	K_ARP_REQUEST,
	K_ARP_REPLY,
	K_ECHO_REQUEST,
	K_ECHO_REPLY,
	K_OTHER,
};

static uint16_t rd16(const u_char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool is_tag(uint16_t etype)
{
	return etype == ETHERTYPE_8021Q || etype == ETHERTYPE_8021AD ||
	       etype == ETHERTYPE_QINQ;
}

/* Ones' complement sum of an IPv4 header; 0 when the checksum is right. */
static uint16_t ip_csum(const u_char *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The IPv4 packet at d + off (caplen cap, wire length wire). */
static enum kind parse_ipv4(const u_char *d, size_t off, size_t cap,
			    size_t wire, uint32_t a, uint32_t b)
{
	const u_char *ip = d + off;
	size_t ihl, tot;
	uint32_t src, dst;

	if (cap < off + IP_MIN_HDR)
		return K_NONE;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4 || ihl < IP_MIN_HDR || cap < off + ihl)
		return K_NONE;
	if (ip_csum(ip, ihl) != 0)
		return K_NONE;
	tot = rd16(ip + 2);
	if (tot < ihl || off + tot > wire)
		return K_NONE;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	if (!((src == a && dst == b) || (src == b && dst == a)))
		return K_NONE;

	if (ip[9] == IPPROTO_ICMP && (rd16(ip + 6) & 0x1fff) == 0 &&
	    tot >= ihl + ICMP_HDR && cap >= off + ihl + 2) {
		const u_char *icmp = ip + ihl;

		if (icmp[0] == ICMP_ECHO && icmp[1] == 0)
			return K_ECHO_REQUEST;
		if (icmp[0] == ICMP_ECHOREPLY && icmp[1] == 0)
			return K_ECHO_REPLY;
	}
	return K_OTHER;
}

/* Does an ARP packet with these protocol addresses belong to the pair? */
static bool arp_pair(uint32_t spa, uint32_t tpa, uint32_t a, uint32_t b)
{
	if ((spa == a && tpa == b) || (spa == b && tpa == a))
		return true;
	if (tpa != a && tpa != b)
		return false;
	return spa == tpa || spa == 0;	/* gratuitous, probe */
}

/* The ARP packet at d + off (caplen cap). */
static enum kind parse_arp(const u_char *d, size_t off, size_t cap,
			   uint32_t a, uint32_t b)
{
	const u_char *arp = d + off;
	uint32_t spa, tpa;
	uint16_t op;

	if (cap < off + ARP_LEN)
		return K_NONE;
	if (rd16(arp) != 1 || rd16(arp + 2) != ETHERTYPE_IPV4 ||
	    arp[4] != 6 || arp[5] != 4)
		return K_NONE;
	op = rd16(arp + 6);
	if (op != ARP_REQUEST && op != ARP_REPLY)
		return K_NONE;
	memcpy(&spa, arp + 14, 4);
	memcpy(&tpa, arp + 24, 4);
	if (!arp_pair(spa, tpa, a, b))
		return K_NONE;
	return op == ARP_REQUEST ? K_ARP_REQUEST : K_ARP_REPLY;
}

/*
 * Classify one frame and find its outermost VID (-1 untagged).  Reads only
 * the caplen bytes.
 */
static enum kind parse_frame(const struct pcap_pkthdr *h, const u_char *d,
			     uint32_t a, uint32_t b, int *vid)
{
	size_t cap = h->caplen, wire = h->len, off = ETH_HDR;
	uint16_t etype;

	if (cap > wire)		/* a corrupt record */
		return K_NONE;
	if (cap < ETH_HDR)
		return K_NONE;
	*vid = -1;
	etype = rd16(d + 12);
	while (is_tag(etype)) {
		if (cap < off + TAG_LEN)
			return K_NONE;
		if (*vid < 0)
			*vid = rd16(d + off) & VID_MASK;
		etype = rd16(d + off + 2);
		off += TAG_LEN;
	}
	if (etype == ETHERTYPE_IPV4)
		return parse_ipv4(d, off, cap, wire, a, b);
	if (etype == ETHERTYPE_ARP)
		return parse_arp(d, off, cap, a, b);
	return K_NONE;
}

static void account(struct vlan_count *c, enum kind k)
{
	c->frames++;
	switch (k) {
	case K_ARP_REQUEST:
		c->arp_requests++;
		break;
	case K_ARP_REPLY:
		c->arp_replies++;
		break;
	case K_ECHO_REQUEST:
		c->echo_requests++;
		break;
	case K_ECHO_REPLY:
		c->echo_replies++;
		break;
	case K_OTHER:
	case K_NONE:	/* never passed: the caller skips such frames */
		c->other++;
		break;
	}
}

static int parse_addr(const char *s, uint32_t *addr, char *err)
{
	struct in_addr in;

	if (!s || inet_pton(AF_INET, s, &in) != 1) {
		err_set(err, "invalid IPv4 address '%s'", s ? s : "(null)");
		return -1;
	}
	*addr = in.s_addr;
	return 0;
}

int vlan_analyze(const char *pcap_path, const char *ip_a, const char *ip_b,
		 struct vlan_report **out, char *err)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct vlan_count *slots = NULL;
	struct vlan_report *r = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = NULL;
	uint32_t a, b;
	size_t i, n;
	int rc = -1, ret;

	if (parse_addr(ip_a, &a, err) < 0 || parse_addr(ip_b, &b, err) < 0)
		return -1;
	if (a == b) {
		err_set(err, "invalid pair: '%s' and '%s' are one address",
			ip_a, ip_b);
		return -1;
	}
	p = pcap_open_offline(pcap_path, perr);
	if (!p) {
		err_set(err, "cannot open '%s': %s", pcap_path, perr);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(p));

		err_set(err, "cannot analyze '%s': link type %s, want EN10MB",
			pcap_path, name ? name : "unknown");
		goto out;
	}

	r = g_new0(struct vlan_report, 1);
	slots = g_new0(struct vlan_count, VID_SLOTS);	/* slot = vid + 1 */
	while ((ret = pcap_next_ex(p, &h, &data)) == 1) {
		enum kind k;
		int vid = -1;

		r->frames++;
		k = parse_frame(h, data, a, b, &vid);
		if (k == K_NONE)
			continue;
		account(&slots[vid + 1], k);
		r->pair_frames++;
	}
	if (ret != PCAP_ERROR_BREAK) {	/* -2: end of file */
		err_set(err, "cannot read '%s': %s", pcap_path,
			pcap_geterr(p));
		goto out;
	}

	for (i = 0, n = 0; i < VID_SLOTS; i++)
		if (slots[i].frames)
			n++;
	if (n)
		r->counts = g_new0(struct vlan_count, n);
	for (i = 0; i < VID_SLOTS; i++) {
		if (!slots[i].frames)
			continue;
		r->counts[r->n] = slots[i];
		r->counts[r->n].vid = (int)i - 1;
		r->n++;
	}
	*out = r;
	r = NULL;	/* transferred */
	rc = 0;
out:
	vlan_report_free(r);
	g_free(slots);
	pcap_close(p);
	return rc;
}

static int vid_key_cmp(const void *key, const void *elem)
{
	int vid = *(const int *)key;
	const struct vlan_count *c = elem;

	return vid - c->vid;
}

const struct vlan_count *vlan_report_vid(const struct vlan_report *r,
					 int vid)
{
	if (!r || !r->n || vid < -1 || vid > 4095)
		return NULL;
	return bsearch(&vid, r->counts, r->n, sizeof(*r->counts),
		       vid_key_cmp);
}

void vlan_report_free(struct vlan_report *r)
{
	if (!r)
		return;
	g_free(r->counts);
	g_free(r);
}
