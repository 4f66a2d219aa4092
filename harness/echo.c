/* echo.c - see echo.h. */
#include "echo.h"
#include "frame.h"
#include "util.h"

#include <arpa/inet.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ICMP_HDR	8
#define IP_MAX		65535
/* Linux's ipfrag_time: fragments further apart are different datagrams. */
#define FRAG_TIMEOUT_US	(30 * G_USEC_PER_SEC)

#define ICMP_ECHOREPLY	0
#define ICMP_ECHO	8

/* Fragments of one datagram share this key. */
struct dg_key {
	uint32_t src, dst;	/* network order */
	uint16_t id;
	uint8_t proto;
};

/* One IPv4 fragment (possibly a whole datagram) parsed from a frame. */
struct frag {
	struct dg_key key;
	bool outbound;		/* src -> dst */
	uint32_t start, end;	/* byte range of the IP payload it covers */
	bool more;		/* MF set */
	bool have_hdr;		/* first fragment, ICMP header captured */
	bool df;		/* DF set */
	uint8_t type, code;
	uint16_t ident, seq;
	int64_t ts_us;
	size_t wire;		/* frame length on the wire */
};

struct range {
	uint32_t start, end;
};

/* A fragmented datagram being put together. */
struct dgram {
	struct dg_key key;
	bool outbound;
	GArray *ranges;		/* struct range: sorted, disjoint */
	uint32_t end;		/* IP payload length, once have_end */
	bool have_end;
	bool have_hdr;
	uint8_t type, code;
	uint16_t ident, seq;
	unsigned frames;
	unsigned df_frames;
	size_t frame_max;
	int64_t first_us;
};

/* Per ident: the public counters and the requests waiting for a reply. */
struct flow_acc {
	struct echo_flow f;
	GHashTable *pending;	/* seq -> GArray of the size_t payload
				 * lengths of unanswered complete requests,
				 * oldest first */
};

struct ctx {
	uint32_t src, dst;
	GHashTable *dgrams;	/* struct dg_key -> struct dgram */
	GHashTable *flows;	/* ident -> struct flow_acc */
	struct echo_report *r;
};

static guint dg_key_hash(gconstpointer k)
{
	const struct dg_key *a = k;

	return a->src * 2654435761u ^ a->dst * 40503u ^
	       ((guint)a->id << 8 | a->proto);
}

static gboolean dg_key_equal(gconstpointer x, gconstpointer y)
{
	const struct dg_key *a = x, *b = y;

	return a->src == b->src && a->dst == b->dst && a->id == b->id &&
	       a->proto == b->proto;
}

static void dgram_free(gpointer p)
{
	struct dgram *d = p;

	if (!d)
		return;
	if (d->ranges)
		g_array_free(d->ranges, TRUE);
	g_free(d);
}

static void pending_free(gpointer p)
{
	g_array_free(p, TRUE);
}

static void flow_acc_free(gpointer p)
{
	struct flow_acc *fa = p;

	if (!fa)
		return;
	if (fa->pending)
		g_hash_table_destroy(fa->pending);
	g_free(fa);
}

/*
 * Parse a frame into f.  Returns false for anything that is not a sound
 * IPv4 ICMP fragment between src and dst.  Reads only the caplen bytes.
 */
static bool parse_frame(const struct ctx *c, const struct pcap_pkthdr *h,
			const u_char *d, struct frag *f)
{
	size_t cap = h->caplen, plen;
	struct frame_info fi;

	if (frame_parse(d, cap, h->len, &fi) != FRAME_OK || !fi.ipv4)
		return false;
	if (fi.ip.proto != IPPROTO_ICMP)
		return false;
	if (fi.ip.src == c->src && fi.ip.dst == c->dst)
		f->outbound = true;
	else if (fi.ip.src == c->dst && fi.ip.dst == c->src)
		f->outbound = false;
	else
		return false;

	plen = fi.ip.tot_len - fi.ip.hdr_len;
	f->more = fi.ip.mf;
	f->df = fi.ip.df;
	f->wire = h->len;
	f->start = fi.ip.frag_off;
	f->end = f->start + (uint32_t)plen;
	if (fi.ip.hdr_len + f->end > IP_MAX)
		return false;
	if (f->more && (plen == 0 || plen % 8 != 0))
		return false;
	if (f->start == 0 && !f->more && plen < ICMP_HDR)
		return false;	/* too short to be an echo */

	memset(&f->key, 0, sizeof(f->key));
	f->key.src = fi.ip.src;
	f->key.dst = fi.ip.dst;
	f->key.id = fi.ip.id;
	f->key.proto = fi.ip.proto;
	f->have_hdr = false;
	if (f->start == 0 && plen >= ICMP_HDR && cap >= fi.l4_off + ICMP_HDR) {
		const u_char *icmp = d + fi.l4_off;

		f->have_hdr = true;
		f->type = icmp[0];
		f->code = icmp[1];
		f->ident = frame_rd16(icmp + 4);
		f->seq = frame_rd16(icmp + 6);
	}
	f->ts_us = (int64_t)h->ts.tv_sec * G_USEC_PER_SEC + h->ts.tv_usec;
	return true;
}

static struct flow_acc *flow_get(struct ctx *c, uint16_t ident)
{
	struct flow_acc *fa;

	fa = g_hash_table_lookup(c->flows, GUINT_TO_POINTER(ident));
	if (fa)
		return fa;
	fa = g_new0(struct flow_acc, 1);
	fa->f.ident = ident;
	fa->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal,
					    NULL, pending_free);
	g_hash_table_insert(c->flows, GUINT_TO_POINTER(ident), fa);
	return fa;
}

static void account_request(struct flow_acc *fa, uint16_t seq, size_t len,
			    unsigned frames)
{
	struct echo_flow *f = &fa->f;
	GArray *q;

	f->requests++;
	if (frames > 1)
		f->req_fragmented++;
	if (f->requests == 1 || len < f->payload_min)
		f->payload_min = len;
	if (f->requests == 1 || len > f->payload_max)
		f->payload_max = len;
	q = g_hash_table_lookup(fa->pending, GUINT_TO_POINTER(seq));
	if (!q) {
		q = g_array_new(FALSE, FALSE, sizeof(size_t));
		g_hash_table_insert(fa->pending, GUINT_TO_POINTER(seq), q);
	}
	g_array_append_val(q, len);
}

static void account_reply(struct flow_acc *fa, uint16_t seq, size_t len,
			  unsigned frames)
{
	struct echo_flow *f = &fa->f;
	GArray *q = g_hash_table_lookup(fa->pending, GUINT_TO_POINTER(seq));
	size_t want;

	if (!q || q->len == 0) {
		f->unmatched_replies++;
		return;
	}
	want = g_array_index(q, size_t, 0);
	g_array_remove_index(q, 0);
	if (want != len) {
		f->bad_replies++;
		return;
	}
	f->replies++;
	if (frames > 1)
		f->rep_fragmented++;
}

/*
 * A datagram is finished: complete (all bytes covered) or given up on.
 * end is its IP payload length when complete.
 */
static void finish(struct ctx *c, bool outbound, bool have_hdr, uint8_t type,
		   uint8_t code, uint16_t ident, uint16_t seq, bool complete,
		   uint32_t end, unsigned frames, unsigned df_frames,
		   size_t frame_max)
{
	struct flow_acc *fa;
	bool request, reply;

	if (!have_hdr) {
		c->r->orphans++;
		c->r->orphan_frames += frames;
		return;
	}
	request = type == ICMP_ECHO && code == 0 && outbound;
	reply = type == ICMP_ECHOREPLY && code == 0 && !outbound;
	if (!request && !reply) {
		c->r->other_frames += frames;
		return;
	}
	fa = flow_get(c, ident);
	fa->f.fragments += frames;
	if (request)
		fa->f.df_frames += df_frames;
	if (frame_max > fa->f.frame_max)
		fa->f.frame_max = frame_max;
	if (!complete) {
		if (request)
			fa->f.req_incomplete++;
		else
			fa->f.rep_incomplete++;
		return;
	}
	if (request)
		account_request(fa, seq, end - ICMP_HDR, frames);
	else
		account_reply(fa, seq, end - ICMP_HDR, frames);
}

static bool dgram_complete(const struct dgram *d)
{
	const struct range *r;

	if (!d->have_end || d->ranges->len != 1)
		return false;
	r = &g_array_index(d->ranges, struct range, 0);
	return r->start == 0 && r->end == d->end;
}

static void dgram_finish(struct ctx *c, const struct dgram *d)
{
	finish(c, d->outbound, d->have_hdr, d->type, d->code, d->ident,
	       d->seq, dgram_complete(d), d->end, d->frames, d->df_frames,
	       d->frame_max);
}

/* Would f contradict what d already holds? */
static bool dgram_conflicts(const struct dgram *d, const struct frag *f)
{
	guint i;

	if (f->ts_us - d->first_us > FRAG_TIMEOUT_US)
		return true;
	if (!f->more && d->have_end)
		return true;
	if (d->have_end && f->end > d->end)
		return true;
	for (i = 0; i < d->ranges->len; i++) {
		const struct range *r = &g_array_index(d->ranges,
						       struct range, i);

		if (f->start < r->end && r->start < f->end)
			return true;
		if (!f->more && r->end > f->end)
			return true;
	}
	return false;
}

static void dgram_add(struct dgram *d, const struct frag *f)
{
	struct range nr = { f->start, f->end };
	guint i;

	d->frames++;
	if (f->df)
		d->df_frames++;
	if (f->wire > d->frame_max)
		d->frame_max = f->wire;
	if (!f->more) {
		d->have_end = true;
		d->end = f->end;
	}
	if (f->have_hdr) {
		d->have_hdr = true;
		d->type = f->type;
		d->code = f->code;
		d->ident = f->ident;
		d->seq = f->seq;
	}
	if (nr.start == nr.end)
		return;
	/* Ranges are disjoint from nr (checked by dgram_conflicts). */
	for (i = 0; i < d->ranges->len; i++)
		if (g_array_index(d->ranges, struct range, i).start > nr.start)
			break;
	g_array_insert_val(d->ranges, i, nr);
	if (i + 1 < d->ranges->len) {
		struct range *a = &g_array_index(d->ranges, struct range, i);
		struct range *b = a + 1;

		if (a->end == b->start) {
			a->end = b->end;
			g_array_remove_index(d->ranges, i + 1);
		}
	}
	if (i > 0) {
		struct range *a = &g_array_index(d->ranges, struct range,
						 i - 1);
		struct range *b = a + 1;

		if (a->end == b->start) {
			a->end = b->end;
			g_array_remove_index(d->ranges, i);
		}
	}
}

static void take_frag(struct ctx *c, const struct frag *f)
{
	struct dgram *d;

	if (f->start == 0 && !f->more) {
		finish(c, f->outbound, f->have_hdr, f->type, f->code,
		       f->ident, f->seq, true, f->end, 1, f->df ? 1 : 0,
		       f->wire);
		return;
	}
	d = g_hash_table_lookup(c->dgrams, &f->key);
	if (d && dgram_conflicts(d, f)) {
		dgram_finish(c, d);
		g_hash_table_remove(c->dgrams, &f->key);
		d = NULL;
	}
	if (!d) {
		d = g_new0(struct dgram, 1);
		d->key = f->key;
		d->outbound = f->outbound;
		d->ranges = g_array_new(FALSE, FALSE, sizeof(struct range));
		d->first_us = f->ts_us;
		g_hash_table_insert(c->dgrams, &d->key, d);
	}
	dgram_add(d, f);
	if (dgram_complete(d)) {
		dgram_finish(c, d);
		g_hash_table_remove(c->dgrams, &f->key);
	}
}

static gint flow_cmp(gconstpointer a, gconstpointer b)
{
	const struct echo_flow *x = a, *y = b;

	return (gint)x->ident - (gint)y->ident;
}

int echo_analyze(const char *pcap_path, const char *src, const char *dst,
		 struct echo_report **out, char *err)
{
	struct ctx c = { 0 };
	struct in_addr a;
	struct pcap_pkthdr *h;
	const u_char *data;
	GHashTableIter it;
	gpointer v;
	GArray *flows = NULL;
	pcap_t *p = NULL;
	int rc = -1, n;

	if (inet_pton(AF_INET, src, &a) != 1) {
		err_set(err, "invalid IPv4 address '%s'", src);
		return -1;
	}
	c.src = a.s_addr;
	if (inet_pton(AF_INET, dst, &a) != 1) {
		err_set(err, "invalid IPv4 address '%s'", dst);
		return -1;
	}
	c.dst = a.s_addr;

	p = frame_pcap_open(pcap_path, err);
	if (!p)
		return -1;

	c.r = g_new0(struct echo_report, 1);
	c.dgrams = g_hash_table_new_full(dg_key_hash, dg_key_equal, NULL,
					 dgram_free);
	c.flows = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					flow_acc_free);
	while ((n = pcap_next_ex(p, &h, &data)) == 1) {
		struct frag f;

		c.r->frames++;
		if (parse_frame(&c, h, data, &f))
			take_frag(&c, &f);
		else
			c.r->other_frames++;
	}
	if (n != PCAP_ERROR_BREAK) {	/* -2: end of file */
		err_set(err, "cannot read '%s': %s", pcap_path,
			pcap_geterr(p));
		goto out;
	}

	/* What is still being put together never got all its fragments. */
	g_hash_table_iter_init(&it, c.dgrams);
	while (g_hash_table_iter_next(&it, NULL, &v))
		dgram_finish(&c, v);

	flows = g_array_new(FALSE, FALSE, sizeof(struct echo_flow));
	g_hash_table_iter_init(&it, c.flows);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_array_append_val(flows, ((struct flow_acc *)v)->f);
	g_array_sort(flows, flow_cmp);
	c.r->n_flows = flows->len;
	c.r->flows = (struct echo_flow *)(void *)g_array_free(flows, FALSE);
	*out = c.r;
	c.r = NULL;	/* transferred */
	rc = 0;
out:
	echo_report_free(c.r);
	if (c.dgrams)
		g_hash_table_destroy(c.dgrams);
	if (c.flows)
		g_hash_table_destroy(c.flows);
	pcap_close(p);
	return rc;
}

static int flow_key_cmp(const void *key, const void *elem)
{
	uint16_t ident = *(const uint16_t *)key;
	const struct echo_flow *f = elem;

	return (int)ident - (int)f->ident;
}

const struct echo_flow *echo_report_flow(const struct echo_report *r,
					 uint16_t ident)
{
	if (!r || !r->n_flows)
		return NULL;
	return bsearch(&ident, r->flows, r->n_flows, sizeof(*r->flows),
		       flow_key_cmp);
}

void echo_report_free(struct echo_report *r)
{
	if (!r)
		return;
	g_free(r->flows);
	g_free(r);
}
