/* frames.c - see frames.h. */
#include "frame.h"
#include "frames.h"
#include "util.h"

#include <glib.h>
#include <pcap/pcap.h>
#include <string.h>

#define ETH_HDR 14

static bool frame_matches(const struct pcap_pkthdr *h, const u_char *d,
			  uint16_t ethertype, const struct frames_want *w)
{
	if (h->caplen < ETH_HDR || h->caplen - ETH_HDR < w->len)
		return false;
	if (d[12] != (ethertype >> 8) || d[13] != (ethertype & 0xff))
		return false;
	return !memcmp(d, w->mac, 6) &&
	       !memcmp(d + ETH_HDR, w->payload, w->len);
}

int frames_match(const char *pcap_path, uint16_t ethertype,
		 const struct frames_want *want, size_t n,
		 struct frames_count *out, char *err)
{
	struct frames_count *c = NULL;
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	int rc = -1, ret;
	size_t i;

	p = frame_pcap_open(pcap_path, err);
	if (!p)
		return -1;
	c = g_new0(struct frames_count, n ? n : 1);
	while ((ret = pcap_next_ex(p, &h, &d)) == 1) {
		for (i = 0; i < n; i++) {
			if (!frame_matches(h, d, ethertype, &want[i]))
				continue;
			if (c[i].seen)
				c[i].dups++;
			else
				c[i].seen = 1;
		}
	}
	if (ret != PCAP_ERROR_BREAK) {	/* -2: end of file */
		err_set(err, "cannot read '%s': %s", pcap_path,
			pcap_geterr(p));
		goto out;
	}
	if (n)
		memcpy(out, c, n * sizeof(*c));
	rc = 0;
out:
	g_free(c);
	pcap_close(p);
	return rc;
}
