/* pcapgen.c - see pcapgen.h. */
#include "pcapgen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IP_HDR 20

static void frame_overflow(void)
{
	fprintf(stderr, "pcapgen: frame longer than %d bytes\n",
		PCAPGEN_FRAME_MAX);
	abort();
}

/* Open the dump on fp when it is not NULL (taking it), else on path. */
static int dump_open(struct pcapgen *g, const char *path, FILE *fp,
		     int linktype, int snaplen, char *err)
{
	memset(g, 0, sizeof(*g));
	g->snaplen = (size_t)snaplen;
	g->pd = pcap_open_dead(linktype, snaplen);
	if (!g->pd) {
		snprintf(err, PCAPGEN_ERRLEN, "cannot write '%s': "
			 "pcap_open_dead failed", path);
		if (fp)
			fclose(fp);
		return -1;
	}
	g->d = fp ? pcap_dump_fopen(g->pd, fp) : pcap_dump_open(g->pd, path);
	if (!g->d) {
		snprintf(err, PCAPGEN_ERRLEN, "cannot write '%s': %s", path,
			 pcap_geterr(g->pd));
		if (fp)
			fclose(fp);
		pcap_close(g->pd);
		g->pd = NULL;
		return -1;
	}
	g->scratch = pcapgen_frame_new();
	return 0;
}

int pcapgen_open(struct pcapgen *g, const char *path, int linktype,
		 int snaplen, char *err)
{
	return dump_open(g, path, NULL, linktype, snaplen, err);
}

int pcapgen_open_tmp(struct pcapgen *g, const char *prefix, int linktype,
		     int snaplen, char **path, char *err)
{
	const char *dir = getenv("TMPDIR");
	FILE *fp;
	char *p;
	size_t n;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	n = strlen(dir) + strlen(prefix) + sizeof("/XXXXXX.pcap");
	p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%sXXXXXX.pcap", dir, prefix);
	fd = mkstemps(p, 5);
	if (fd < 0) {
		snprintf(err, PCAPGEN_ERRLEN, "cannot create '%s': %s", p,
			 strerror(errno));
		free(p);
		return -1;
	}
	/* write through the descriptor mkstemps made: the name may have
	 * been swapped for something else since */
	fp = fdopen(fd, "wb");
	if (!fp) {
		snprintf(err, PCAPGEN_ERRLEN, "cannot write '%s': %s", p,
			 strerror(errno));
		close(fd);
		unlink(p);
		free(p);
		return -1;
	}
	if (dump_open(g, p, fp, linktype, snaplen, err) < 0) {
		unlink(p);
		free(p);
		return -1;
	}
	*path = p;
	return 0;
}

int pcapgen_close(struct pcapgen *g)
{
	int rc = 0;

	if (g->d) {
		if (pcap_dump_flush(g->d) != 0)
			rc = -1;
		pcap_dump_close(g->d);
	}
	if (g->pd)
		pcap_close(g->pd);
	pcapgen_frame_free(g->scratch);
	memset(g, 0, sizeof(*g));
	return rc;
}

void pcapgen_rec(struct pcapgen *g, const uint8_t *buf, size_t len,
		 size_t caplen)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(g->t_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(g->t_us % 1000000);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)caplen;
	pcap_dump((u_char *)g->d, &h, buf);
	g->t_us += g->step_us;
}

void pcapgen_put(struct pcapgen *g, const struct pcapgen_frame *f)
{
	pcapgen_rec(g, f->b, f->len, f->len < g->snaplen ? f->len : g->snaplen);
}

void pcapgen_cut(struct pcapgen *g, const struct pcapgen_frame *f,
		 size_t caplen)
{
	pcapgen_rec(g, f->b, f->len, caplen);
}

struct pcapgen_frame *pcapgen_frame_new(void)
{
	struct pcapgen_frame *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	return f;
}

void pcapgen_frame_free(struct pcapgen_frame *f)
{
	free(f);
}

void pcapgen_append(struct pcapgen_frame *f, const void *p, size_t n)
{
	if (n > sizeof(f->b) - f->len)
		frame_overflow();
	if (p)
		memcpy(f->b + f->len, p, n);
	else
		memset(f->b + f->len, 0, n);
	f->len += n;
}

void pcapgen_append16(struct pcapgen_frame *f, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	pcapgen_append(f, x, 2);
}

void pcapgen_eth(struct pcapgen_frame *f, const struct pcapgen_eth *eth,
		 uint16_t etype)
{
	size_t i;

	f->len = 0;
	pcapgen_append(f, eth->dst, 6);
	pcapgen_append(f, eth->src, 6);
	for (i = 0; i < eth->ntags; i++) {
		pcapgen_append16(f, eth->tags[i].tpid);
		pcapgen_append16(f, eth->tags[i].tci);
	}
	pcapgen_append16(f, etype);
}

void pcapgen_pad(struct pcapgen_frame *f)
{
	if (f->len < PCAPGEN_ETH_MIN)
		pcapgen_append(f, NULL, PCAPGEN_ETH_MIN - f->len);
}

uint16_t pcapgen_csum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void pcapgen_set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set32(uint8_t *p, uint32_t v)
{
	pcapgen_set16(p, (uint16_t)(v >> 16));
	pcapgen_set16(p + 2, (uint16_t)v);
}

size_t pcapgen_ipv4_header(uint8_t *h, const struct pcapgen_ip *ip,
			   size_t len)
{
	size_t ihl = ip->ihl ? ip->ihl : IP_HDR;
	uint16_t frag = (uint16_t)(ip->frag_off / 8);

	if (ip->df)
		frag |= 0x4000;
	if (ip->mf)
		frag |= 0x2000;
	memset(h, 0, IP_HDR);
	memset(h + IP_HDR, 0x01, ihl - IP_HDR);	/* NOP options */
	h[0] = (uint8_t)(0x40 | ihl / 4);
	pcapgen_set16(h + 2, (uint16_t)(ip->tot ? ip->tot : ihl + len));
	pcapgen_set16(h + 4, ip->id);
	pcapgen_set16(h + 6, frag);
	h[8] = ip->ttl ? ip->ttl : 64;
	h[9] = ip->proto;
	if (ip->src)
		memcpy(h + 12, ip->src, 4);
	if (ip->dst)
		memcpy(h + 16, ip->dst, 4);
	pcapgen_set16(h + 10, pcapgen_csum(h, ihl));
	return ihl;
}

void pcapgen_ipv4_recsum(uint8_t *ip)
{
	pcapgen_set16(ip + 10, 0);
	pcapgen_set16(ip + 10, pcapgen_csum(ip, (size_t)(ip[0] & 15) * 4));
}

void pcapgen_ipv4(struct pcapgen_frame *f, const struct pcapgen_ip *ip,
		  const void *payload, size_t len)
{
	uint8_t h[60];
	size_t ihl = pcapgen_ipv4_header(h, ip, len);

	pcapgen_append(f, h, ihl);
	pcapgen_append(f, payload, len);
}

/* Header then data (which may already be in place, or NULL: zeros). */
static size_t l4_data(uint8_t *m, size_t hdr, const void *data, size_t len)
{
	if (!data)
		memset(m + hdr, 0, len);
	else if (data != m + hdr)
		memmove(m + hdr, data, len);
	return hdr + len;
}

size_t pcapgen_icmp(uint8_t *m, uint8_t type, uint8_t code, uint16_t ident,
		    uint16_t seq, const void *data, size_t len)
{
	size_t n = l4_data(m, 8, data, len);

	m[0] = type;
	m[1] = code;
	pcapgen_set16(m + 2, 0);
	pcapgen_set16(m + 4, ident);
	pcapgen_set16(m + 6, seq);
	pcapgen_set16(m + 2, pcapgen_csum(m, n));
	return n;
}

size_t pcapgen_udp(uint8_t *m, uint16_t sport, uint16_t dport,
		   const void *data, size_t len)
{
	size_t n = l4_data(m, 8, data, len);

	pcapgen_set16(m, sport);
	pcapgen_set16(m + 2, dport);
	pcapgen_set16(m + 4, (uint16_t)n);
	pcapgen_set16(m + 6, 0);
	return n;
}

size_t pcapgen_tcp(uint8_t *m, uint16_t sport, uint16_t dport, uint32_t seq,
		   uint32_t ack, uint8_t flags, const void *data, size_t len)
{
	size_t n = l4_data(m, 20, data, len);

	memset(m, 0, 20);
	pcapgen_set16(m, sport);
	pcapgen_set16(m + 2, dport);
	set32(m + 4, seq);
	set32(m + 8, ack);
	m[12] = 5 << 4;
	m[13] = flags;
	pcapgen_set16(m + 14, 65535);
	return n;
}

size_t pcapgen_frag_len(size_t total, size_t off, size_t mtu)
{
	size_t left = total - off;

	if (left <= mtu - IP_HDR)
		return left;
	return (mtu - IP_HDR) & ~(size_t)7;
}

void pcapgen_datagram(struct pcapgen *g, const struct pcapgen_eth *eth,
		      const struct pcapgen_ip *ip, const uint8_t *l4,
		      size_t len, size_t mtu)
{
	struct pcapgen_ip fr = *ip;
	size_t off = 0;

	do {
		size_t n = pcapgen_frag_len(len, off, mtu);

		fr.frag_off = off;
		fr.mf = off + n < len;
		pcapgen_eth(g->scratch, eth, 0x0800);
		pcapgen_ipv4(g->scratch, &fr, l4 + off, n);
		pcapgen_put(g, g->scratch);
		off += n;
	} while (off < len);
}
