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
	uint16_t csum;		/* ICMP checksum (when have_hdr) */
	int64_t ts_us;
	size_t wire;		/* frame length on the wire */
	const u_char *pdata;	/* the echo payload bytes it captured */
	uint32_t poff, plen;	/* their offset in the echo payload (after
				 * the 8-byte ICMP header) and length */
};

struct range {
	uint32_t start, end;
};

/* Captured bytes of an echo payload: segments at payload offsets. */
struct seg {
	uint32_t off, len;
	guint at;		/* where its bytes start in pl->bytes */
};

struct pl {
	GArray *segs;		/* struct seg: sorted by off, disjoint */
	GByteArray *bytes;
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
	uint16_t csum;
	struct pl *pl;
};

/* A datagram done with: complete, or given up on. */
struct done {
	bool outbound, have_hdr, complete;
	uint8_t type, code;
	uint16_t ident, seq, csum;
	uint32_t end;		/* IP payload length, when complete */
	unsigned frames, df_frames;
	size_t frame_max;
	int64_t ts_us;		/* when it completed (its last frame) */
	struct pl *pl;		/* taken by whoever keeps it, else freed */
};

/* An unanswered complete request. */
struct pend {
	size_t len;		/* payload length */
	uint16_t csum;
	unsigned index;		/* its place among the flow's requests */
	struct pl *pl;
};

/* Per ident: the public counters and the requests waiting for a reply. */
struct flow_acc {
	struct echo_flow f;
	GHashTable *pending;	/* seq -> GArray of struct pend, oldest
				 * first */
	unsigned next_index;
	bool answered_any;
	unsigned last_answered;	/* highest index that got a reply */
	int64_t until_us;	/* replies after it are late; 0: none */
	int64_t span_us;	/* or this long after the first request */
};

struct ctx {
	uint32_t src, dst;
	GHashTable *dgrams;	/* struct dg_key -> struct dgram */
	GHashTable *flows;	/* ident -> struct flow_acc */
	struct echo_report *r;
	const struct echo_until *until;
	size_t n_until;
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

static struct pl *pl_new(void)
{
	struct pl *pl = g_new0(struct pl, 1);

	pl->segs = g_array_new(FALSE, FALSE, sizeof(struct seg));
	pl->bytes = g_byte_array_new();
	return pl;
}

static void pl_free(struct pl *pl)
{
	if (!pl)
		return;
	g_array_free(pl->segs, TRUE);
	g_byte_array_free(pl->bytes, TRUE);
	g_free(pl);
}

/* Add len bytes at payload offset off (disjoint from what pl holds). */
static void pl_add(struct pl *pl, uint32_t off, const u_char *data,
		   uint32_t len)
{
	struct seg sg = { off, len, pl->bytes->len };
	guint i;

	if (!len)
		return;
	g_byte_array_append(pl->bytes, data, len);
	for (i = pl->segs->len; i > 0; i--)
		if (g_array_index(pl->segs, struct seg, i - 1).off < off)
			break;
	g_array_insert_val(pl->segs, i, sg);
}

/*
 * The first payload offset where a and b both hold a byte and the bytes
 * differ; -1 if there is none.  Linear in the segments and bytes.
 */
static long pl_first_diff(const struct pl *a, const struct pl *b)
{
	guint i = 0, j = 0;

	while (i < a->segs->len && j < b->segs->len) {
		const struct seg *x = &g_array_index(a->segs, struct seg, i);
		const struct seg *y = &g_array_index(b->segs, struct seg, j);
		uint32_t lo = MAX(x->off, y->off);
		uint32_t hi = MIN(x->off + x->len, y->off + y->len);

		for (uint32_t o = lo; o < hi; o++)
			if (a->bytes->data[x->at + o - x->off] !=
			    b->bytes->data[y->at + o - y->off])
				return (long)o;
		if (x->off + x->len <= y->off + y->len)
			i++;
		else
			j++;
	}
	return -1;
}

/*
 * Whether rep is what Linux (or any RFC 792 host) sends back for req: the
 * same message with type 0 instead of 8, so its checksum is the request's
 * plus 0x0800 in one's complement.  0x0000 and 0xffff are the same number
 * there.
 */
static bool csum_matches(uint16_t req, uint16_t rep)
{
	uint32_t want = (uint32_t)req + 0x0800;

	want = (want & 0xffff) + (want >> 16);
	if (want == 0xffff)
		want = 0;
	if (rep == 0xffff)
		rep = 0;
	return want == rep;
}

static void dgram_free(gpointer p)
{
	struct dgram *d = p;

	if (!d)
		return;
	if (d->ranges)
		g_array_free(d->ranges, TRUE);
	pl_free(d->pl);
	g_free(d);
}

static void pending_free(gpointer p)
{
	GArray *q = p;

	for (guint i = 0; i < q->len; i++)
		pl_free(g_array_index(q, struct pend, i).pl);
	g_array_free(q, TRUE);
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
	size_t cap = h->caplen, plen, got;
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
	f->pdata = NULL;
	f->poff = f->plen = 0;
	/* the IP payload bytes captured (never the Ethernet padding) */
	got = cap > fi.l4_off ? MIN(cap - fi.l4_off, plen) : 0;
	if (f->start == 0 && plen >= ICMP_HDR && got >= ICMP_HDR) {
		const u_char *icmp = d + fi.l4_off;

		f->have_hdr = true;
		f->type = icmp[0];
		f->code = icmp[1];
		f->csum = frame_rd16(icmp + 2);
		f->ident = frame_rd16(icmp + 4);
		f->seq = frame_rd16(icmp + 6);
		f->pdata = icmp + ICMP_HDR;
		f->plen = (uint32_t)(got - ICMP_HDR);
	} else if (f->start >= ICMP_HDR) {
		f->pdata = d + fi.l4_off;
		f->poff = f->start - ICMP_HDR;
		f->plen = (uint32_t)got;
	}
	f->ts_us = (int64_t)h->ts.tv_sec * G_USEC_PER_SEC + h->ts.tv_usec;
	return true;
}

/* Count what is still waiting for a reply: unanswered, and the tail. */
static void flow_unanswered(struct flow_acc *fa)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, fa->pending);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		GArray *q = v;

		for (guint i = 0; i < q->len; i++) {
			const struct pend *pe = &g_array_index(q, struct pend,
							       i);

			fa->f.unanswered++;
			if (!fa->answered_any || pe->index > fa->last_answered)
				fa->f.unanswered_tail++;
		}
	}
}

static struct flow_acc *flow_get(struct ctx *c, uint16_t ident)
{
	struct flow_acc *fa;

	fa = g_hash_table_lookup(c->flows, GUINT_TO_POINTER(ident));
	if (fa)
		return fa;
	fa = g_new0(struct flow_acc, 1);
	fa->f.ident = ident;
	fa->f.bad_first_seq = -1;
	fa->f.bad_first_byte = -1;
	for (size_t i = 0; i < c->n_until; i++)
		if (c->until[i].ident == ident) {
			fa->until_us = c->until[i].until_us;
			fa->span_us = c->until[i].span_us;
			break;
		}
	fa->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal,
					    NULL, pending_free);
	g_hash_table_insert(c->flows, GUINT_TO_POINTER(ident), fa);
	return fa;
}

static void account_request(struct flow_acc *fa, struct done *dn)
{
	struct echo_flow *f = &fa->f;
	struct pend pe = { dn->end - ICMP_HDR, dn->csum, fa->next_index++,
			   dn->pl };
	GArray *q;

	dn->pl = NULL;	/* transferred */
	f->requests++;
	if (dn->frames > 1)
		f->req_fragmented++;
	if (f->requests == 1 || pe.len < f->payload_min)
		f->payload_min = pe.len;
	if (f->requests == 1 || pe.len > f->payload_max)
		f->payload_max = pe.len;
	if (f->requests == 1)
		f->req_first_us = dn->ts_us;
	f->req_last_us = dn->ts_us;
	q = g_hash_table_lookup(fa->pending, GUINT_TO_POINTER(dn->seq));
	if (!q) {
		q = g_array_new(FALSE, FALSE, sizeof(struct pend));
		g_hash_table_insert(fa->pending, GUINT_TO_POINTER(dn->seq), q);
	}
	g_array_append_val(q, pe);
}

static void account_reply(struct flow_acc *fa, const struct done *dn)
{
	struct echo_flow *f = &fa->f;
	GArray *q = g_hash_table_lookup(fa->pending,
					GUINT_TO_POINTER(dn->seq));
	size_t len = dn->end - ICMP_HDR;
	struct pend pe;
	long diff;

	if (!q || q->len == 0) {
		f->unmatched_replies++;
		return;
	}
	pe = g_array_index(q, struct pend, 0);
	g_array_remove_index(q, 0);
	if (!fa->answered_any || pe.index > fa->last_answered)
		fa->last_answered = pe.index;
	fa->answered_any = true;
	diff = pl_first_diff(pe.pl, dn->pl);
	pl_free(pe.pl);
	if (pe.len != len || diff >= 0 || !csum_matches(pe.csum, dn->csum)) {
		if (!f->bad_replies++) {
			f->bad_first_seq = dn->seq;
			f->bad_first_byte = diff;
		}
		return;
	}
	f->replies++;
	if ((fa->until_us && dn->ts_us > fa->until_us) ||
	    (fa->span_us && f->req_first_us &&
	     dn->ts_us > f->req_first_us + fa->span_us))
		f->late_replies++;
	if (dn->frames > 1)
		f->rep_fragmented++;
}

/* A datagram is finished: complete (all bytes covered) or given up on. */
static void finish(struct ctx *c, struct done *dn)
{
	struct flow_acc *fa;
	bool request, reply;

	if (!dn->have_hdr) {
		c->r->orphans++;
		c->r->orphan_frames += dn->frames;
		return;
	}
	request = dn->type == ICMP_ECHO && dn->code == 0 && dn->outbound;
	reply = dn->type == ICMP_ECHOREPLY && dn->code == 0 && !dn->outbound;
	if (!request && !reply) {
		c->r->other_frames += dn->frames;
		return;
	}
	fa = flow_get(c, dn->ident);
	fa->f.fragments += dn->frames;
	if (request)
		fa->f.df_frames += dn->df_frames;
	if (dn->frame_max > fa->f.frame_max)
		fa->f.frame_max = dn->frame_max;
	if (!dn->complete) {
		if (request)
			fa->f.req_incomplete++;
		else
			fa->f.rep_incomplete++;
		return;
	}
	if (request)
		account_request(fa, dn);
	else
		account_reply(fa, dn);
}

static bool dgram_complete(const struct dgram *d)
{
	const struct range *r;

	if (!d->have_end || d->ranges->len != 1)
		return false;
	r = &g_array_index(d->ranges, struct range, 0);
	return r->start == 0 && r->end == d->end;
}

static void dgram_finish(struct ctx *c, struct dgram *d, int64_t ts_us)
{
	struct done dn = {
		.outbound = d->outbound, .have_hdr = d->have_hdr,
		.complete = dgram_complete(d), .type = d->type,
		.code = d->code, .ident = d->ident, .seq = d->seq,
		.csum = d->csum, .end = d->end, .frames = d->frames,
		.df_frames = d->df_frames, .frame_max = d->frame_max,
		.ts_us = ts_us, .pl = d->pl,
	};

	d->pl = NULL;	/* transferred */
	finish(c, &dn);
	pl_free(dn.pl);
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
		d->csum = f->csum;
	}
	pl_add(d->pl, f->poff, f->pdata, f->plen);
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
		struct done dn = {
			.outbound = f->outbound, .have_hdr = f->have_hdr,
			.complete = true, .type = f->type, .code = f->code,
			.ident = f->ident, .seq = f->seq, .csum = f->csum,
			.end = f->end, .frames = 1, .df_frames = f->df ? 1 : 0,
			.frame_max = f->wire, .ts_us = f->ts_us,
		};

		if (f->have_hdr) {
			dn.pl = pl_new();
			pl_add(dn.pl, 0, f->pdata, f->plen);
		}
		finish(c, &dn);
		pl_free(dn.pl);
		return;
	}
	d = g_hash_table_lookup(c->dgrams, &f->key);
	if (d && dgram_conflicts(d, f)) {
		dgram_finish(c, d, f->ts_us);
		g_hash_table_remove(c->dgrams, &f->key);
		d = NULL;
	}
	if (!d) {
		d = g_new0(struct dgram, 1);
		d->key = f->key;
		d->outbound = f->outbound;
		d->ranges = g_array_new(FALSE, FALSE, sizeof(struct range));
		d->first_us = f->ts_us;
		d->pl = pl_new();
		g_hash_table_insert(c->dgrams, &d->key, d);
	}
	dgram_add(d, f);
	if (dgram_complete(d)) {
		dgram_finish(c, d, f->ts_us);
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
	return echo_analyze_until(pcap_path, src, dst, NULL, 0, out, err);
}

int echo_analyze_until(const char *pcap_path, const char *src,
		       const char *dst, const struct echo_until *until,
		       size_t n_until, struct echo_report **out, char *err)
{
	struct ctx c = { .until = until, .n_until = n_until };
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
		dgram_finish(&c, v, 0);

	flows = g_array_new(FALSE, FALSE, sizeof(struct echo_flow));
	g_hash_table_iter_init(&it, c.flows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct flow_acc *fa = v;

		flow_unanswered(fa);
		g_array_append_val(flows, fa->f);
	}
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

unsigned echo_flow_lost(const struct echo_flow *f, long in_flight)
{
	unsigned excused;

	if (!f)
		return 0;
	excused = in_flight <= 0 ? 0 : in_flight >= (long)f->unanswered_tail ?
		  f->unanswered_tail : (unsigned)in_flight;
	return f->unanswered - excused;
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
