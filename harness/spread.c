/* spread.c - see spread.h. */
#include "frame.h"
#include "spread.h"
#include "util.h"

#include <arpa/inet.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <string.h>

#define COPY_WINDOW_US 1000000LL	/* a copy arrives within 1 s */
#define MATCH_WINDOW_US 10000000LL	/* a reply within 10 s of its request */

struct rec {
	int64_t ts;		/* microseconds */
	unsigned file;
	uint16_t seq;
	bool reply;
};

struct event {
	int64_t ts;
	uint32_t files;		/* bit per file that carried it */
	bool reply;
	bool counted;		/* a reply that answered a request */
};

/*
 * The echo of ident in frame p, if it is one: 1 and *seq, *reply.  The
 * frame must be sound as frame_parse() judges it (header checksum and all).
 */
static int parse(const struct pcap_pkthdr *h, const u_char *p,
		 const struct in_addr *s, const struct in_addr *d,
		 uint16_t ident, uint16_t *seq, bool *reply)
{
	struct frame_info f;
	const u_char *icmp;

	if (frame_parse(p, h->caplen, h->len, &f) != FRAME_OK || !f.ipv4 ||
	    f.ip.proto != 1 || f.ip.frag_off != 0 ||
	    f.ip.tot_len < f.ip.hdr_len + 8 || h->caplen < f.l4_off + 8)
		return 0;
	icmp = p + f.l4_off;
	if (icmp[1] != 0 || frame_rd16(icmp + 4) != ident)
		return 0;
	if (icmp[0] == 8 && f.ip.src == s->s_addr && f.ip.dst == d->s_addr)
		*reply = false;
	else if (icmp[0] == 0 && f.ip.src == d->s_addr &&
		 f.ip.dst == s->s_addr)
		*reply = true;
	else
		return 0;
	*seq = frame_rd16(icmp + 6);
	return 1;
}

static int read_file(const char *path, unsigned file, const struct in_addr *s,
		     const struct in_addr *d, uint16_t ident, GArray *recs,
		     struct spread_tap *t, char *err)
{
	struct pcap_pkthdr *h;
	const u_char *p;
	pcap_t *pc = frame_pcap_open(path, err);
	int rc;

	if (!pc)
		return -1;
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
		struct rec r = { .file = file };

		if (!parse(h, p, s, d, ident, &r.seq, &r.reply))
			continue;
		r.ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		if (r.reply)
			t->replies++;
		else
			t->requests++;
		g_array_append_val(recs, r);
	}
	if (rc == -1) {
		err_set(err, "cannot read '%s': %s", path, pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	return 0;
}

static gint rec_cmp(gconstpointer a, gconstpointer b)
{
	const struct rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->file < y->file ? -1 : x->file > y->file;
}

int spread_analyze(const char *const *paths, size_t n, const char *src,
		   const char *dst, uint16_t ident, struct spread_report *out,
		   char *err)
{
	struct spread_report rep = { .n = n };
	struct in_addr s, d;
	GArray *recs, *events;
	/* per (reply, seq): index+1 of its latest event; 0: none yet */
	guint *last = NULL;
	int64_t *req_ts = NULL;
	int prev_file = -1, rc = -1;
	size_t i;

	if (n < 1 || n > SPREAD_MAX_FILES) {
		err_set(err, "cannot analyze %zu captures (1..%d)", n,
			SPREAD_MAX_FILES);
		return -1;
	}
	if (inet_pton(AF_INET, src, &s) != 1 ||
	    inet_pton(AF_INET, dst, &d) != 1) {
		err_set(err, "invalid IPv4 address '%s' or '%s'", src, dst);
		return -1;
	}
	recs = g_array_new(FALSE, FALSE, sizeof(struct rec));
	events = g_array_new(FALSE, FALSE, sizeof(struct event));
	for (i = 0; i < n; i++)
		if (read_file(paths[i], (unsigned)i, &s, &d, ident, recs,
			      &rep.per[i], err) < 0)
			goto out;
	g_array_sort(recs, rec_cmp);
	last = g_new0(guint, 2 * 65536);
	req_ts = g_new(int64_t, 65536);
	for (i = 0; i < 65536; i++)
		req_ts[i] = -1;
	for (i = 0; i < recs->len; i++) {
		const struct rec *r = &g_array_index(recs, struct rec, i);
		guint *slot = &last[(r->reply ? 65536 : 0) + r->seq];
		struct event *e = *slot ?
			&g_array_index(events, struct event, *slot - 1) : NULL;
		struct event ne = { .ts = r->ts, .reply = r->reply };

		if (e && r->ts - e->ts <= COPY_WINDOW_US) {
			rep.dup_frames++;
			e->files |= 1u << r->file;
			continue;
		}
		ne.files = 1u << r->file;
		if (!r->reply) {
			rep.requests++;
			req_ts[r->seq] = r->ts;
		} else if (req_ts[r->seq] >= 0 &&
			   r->ts - req_ts[r->seq] <= MATCH_WINDOW_US) {
			rep.replies++;
			ne.counted = true;
		} else {
			rep.unmatched++;
		}
		g_array_append_val(events, ne);
		*slot = events->len;
	}
	for (i = 0; i < events->len; i++) {
		const struct event *e = &g_array_index(events, struct event, i);
		int f;

		if (!e->reply || __builtin_popcount(e->files) != 1)
			continue;
		f = __builtin_ctz(e->files);
		if (!rep.per[f].sole_replies++)
			rep.taps_with_replies++;
		if (prev_file >= 0 && prev_file != f)
			rep.moves++;
		prev_file = f;
	}
	*out = rep;
	rc = 0;
out:
	g_free(last);
	g_free(req_ts);
	g_array_free(recs, TRUE);
	g_array_free(events, TRUE);
	return rc;
}
