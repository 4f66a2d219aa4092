/* vlan.c - see vlan.h. */
#include "vlan.h"
#include "frame.h"
#include "util.h"

#include <arpa/inet.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ICMP_HDR	8

#define VID_MASK	0x0fff
#define VID_SLOTS	(VID_MASK + 2)	/* -1 (untagged), 0..4095 */

#define ICMP_ECHOREPLY	0
#define ICMP_ECHO	8

/* Which counter of struct vlan_count a frame of the pair goes to. */
enum kind {
	K_NONE,		/* malformed, or not the pair's */
	K_ARP_REQUEST,
	K_ARP_REPLY,
	K_ECHO_REQUEST,
	K_ECHO_REPLY,
	K_OTHER,
};

/* A sound IPv4 packet (frame_parse said so): is it the pair's, and what? */
static enum kind classify_ipv4(const u_char *d, size_t cap,
			       const struct frame_info *fi, uint32_t a,
			       uint32_t b, bool *from_b)
{
	const struct frame_ipv4 *ip = &fi->ip;

	if (!((ip->src == a && ip->dst == b) || (ip->src == b && ip->dst == a)))
		return K_NONE;
	*from_b = ip->src == b;
	if (ip->proto == IPPROTO_ICMP && ip->frag_off == 0 &&
	    ip->tot_len >= ip->hdr_len + ICMP_HDR && cap >= fi->l4_off + 2) {
		const u_char *icmp = d + fi->l4_off;

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

/* The ARP packet of a sound frame: the pair's request or reply, or none. */
static enum kind classify_arp(const u_char *d, size_t cap,
			      const struct frame_info *fi, uint32_t a,
			      uint32_t b, bool *from_b)
{
	struct frame_arp arp;

	if (!frame_arp(d, cap, fi, &arp) || !arp_pair(arp.spa, arp.tpa, a, b))
		return K_NONE;
	/* its sender, or for a probe (sender 0.0.0.0) whom it probes for */
	*from_b = arp.spa == b || (arp.spa == 0 && arp.tpa == b);
	return arp.op == FRAME_ARP_REQUEST ? K_ARP_REQUEST : K_ARP_REPLY;
}

/*
 * Classify one frame and find its outermost VID (-1 untagged).  Reads only
 * the caplen bytes.
 */
static enum kind parse_frame(const struct pcap_pkthdr *h, const u_char *d,
			     uint32_t a, uint32_t b, int *vid, bool *from_b)
{
	struct frame_info fi;

	if (frame_parse(d, h->caplen, h->len, &fi) != FRAME_OK)
		return K_NONE;
	*vid = fi.n_tags ? fi.tag[0].tci & VID_MASK : -1;
	if (fi.ipv4)
		return classify_ipv4(d, h->caplen, &fi, a, b, from_b);
	if (fi.ethertype == FRAME_ETHERTYPE_ARP)
		return classify_arp(d, h->caplen, &fi, a, b, from_b);
	return K_NONE;
}

static void account(struct vlan_count *c, enum kind k, bool from_b)
{
	c->frames++;
	c->from_b += from_b;
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
	p = frame_pcap_open(pcap_path, err);
	if (!p)
		return -1;

	r = g_new0(struct vlan_report, 1);
	slots = g_new0(struct vlan_count, VID_SLOTS);	/* slot = vid + 1 */
	while ((ret = pcap_next_ex(p, &h, &data)) == 1) {
		bool from_b = false;
		enum kind k;
		int vid = -1;

		r->frames++;
		k = parse_frame(h, data, a, b, &vid, &from_b);
		if (k == K_NONE)
			continue;
		account(&slots[vid + 1], k, from_b);
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
