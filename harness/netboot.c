/* netboot.c - see netboot.h. */
#include "frame.h"
#include "netboot.h"
#include "util.h"

#include <arpa/inet.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define rd16 frame_rd16

static void ip_str(const u_char *p, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3],
			 &v[4], &v[5], &tail) != 6 || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

/* One UDP datagram, as the frame holds it. */
struct udp {
	const u_char *src, *dst;	/* IPv4 addresses */
	uint16_t sport, dport;
	const u_char *data;		/* payload, captured part */
	size_t caplen;			/* captured payload bytes */
	size_t len;			/* payload length from the UDP header */
	int64_t ts_us;
};

/*
 * 1 and *u for a UDP datagram (first fragment or whole) in a frame that
 * frame_parse() finds sound, 0 otherwise.
 */
static int parse_udp(const struct pcap_pkthdr *h, const u_char *p,
		     struct udp *u)
{
	struct frame_info f;
	size_t cap = h->caplen, l4, ulen;

	if (frame_parse(p, cap, h->len, &f) != FRAME_OK || !f.ipv4 ||
	    f.ip.proto != 17 || f.ip.frag_off != 0 ||
	    f.ip.tot_len < f.ip.hdr_len + 8 || cap < f.l4_off + 8)
		return 0;
	l4 = f.l4_off;
	ulen = rd16(p + l4 + 4);
	if (ulen < 8 || ulen > f.ip.tot_len - f.ip.hdr_len)
		return 0;
	u->src = p + f.l3_off + 12;
	u->dst = p + f.l3_off + 16;
	u->sport = rd16(p + l4);
	u->dport = rd16(p + l4 + 2);
	u->data = p + l4 + 8;
	u->len = ulen - 8;
	u->caplen = cap - (l4 + 8);
	if (u->caplen > u->len)
		u->caplen = u->len;
	u->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	return 1;
}

static void dhcp_msg(struct netboot_dhcp *d, const struct udp *u,
		     const uint8_t mac[6])
{
	const u_char *b = u->data, *o;
	size_t n = u->caplen, i;
	int type = 0;
	const u_char *opt67 = NULL;
	size_t opt67_len = 0;

	if (!((u->sport == 68 && u->dport == 67) ||
	      (u->sport == 67 && u->dport == 68)))
		return;
	if (n < 44 || (b[0] != 1 && b[0] != 2) || b[1] != 1 || b[2] != 6 ||
	    memcmp(b + 28, mac, 6))
		return;
	d->messages++;
	if (n >= 240 && rd16(b + 236) == 0x6382 && rd16(b + 238) == 0x5363) {
		for (i = 240; i < n;) {
			o = b + i;
			if (o[0] == 255)
				break;
			if (o[0] == 0) {
				i++;
				continue;
			}
			if (i + 2 > n || i + 2 + o[1] > n)
				break;
			if (o[0] == 53 && o[1] == 1 && o[2] >= 1 &&
			    o[2] < NETBOOT_DHCP_TYPES)
				type = o[2];
			if (o[0] == 67) {
				opt67 = o + 2;
				opt67_len = o[1];
			}
			i += 2 + (size_t)o[1];
		}
	}
	d->by_type[type]++;
	if (type != 5 || n < 236)	/* DHCPACK, with its file field */
		return;
	ip_str(b + 16, d->yiaddr);
	ip_str(b + 20, d->siaddr);
	if (b[108])
		snprintf(d->bootfile, sizeof(d->bootfile), "%.*s", 128,
			 (const char *)(b + 108));
	else if (opt67)
		snprintf(d->bootfile, sizeof(d->bootfile), "%.*s",
			 (int)opt67_len, (const char *)opt67);
	else
		d->bootfile[0] = '\0';
}

/* NUL-terminated string at *pos within [0, n); advances *pos. */
static char *take_str(const u_char *b, size_t n, size_t *pos)
{
	const u_char *z;

	if (*pos >= n)
		return NULL;
	z = memchr(b + *pos, '\0', n - *pos);
	if (!z)
		return NULL;
	{
		char *s = g_strndup((const char *)b + *pos,
				    (gsize)(z - (b + *pos)));

		*pos = (size_t)(z - b) + 1;
		return s;
	}
}

static struct netboot_tftp *find_transfer(GArray *a, const u_char *client,
					  uint16_t cport, const u_char *server,
					  uint16_t sport, bool server_side)
{
	char c[16], s[16];
	guint i;

	ip_str(client, c);
	ip_str(server, s);
	for (i = a->len; i > 0; i--) {
		struct netboot_tftp *t = &g_array_index(a, struct netboot_tftp,
							 i - 1);

		if (t->client_port != cport || strcmp(t->client, c))
			continue;
		if (server_side) {
			if (strcmp(t->server, s))
				continue;
			if (t->server_port && t->server_port != sport)
				continue;
		} else if (!t->server_port || t->server_port != sport ||
			   strcmp(t->server, s)) {
			continue;
		}
		return t;
	}
	return NULL;
}

static void tftp_rrq(GArray *a, const struct udp *u)
{
	struct netboot_tftp *t, nt = { 0 };
	size_t pos = 2;
	char *name, *mode;

	if (u->caplen < 4 || rd16(u->data) != 1)
		return;
	name = take_str(u->data, u->caplen, &pos);
	mode = take_str(u->data, u->caplen, &pos);
	if (!name || !mode) {
		g_free(name);
		g_free(mode);
		return;
	}
	t = find_transfer(a, u->src, u->sport, u->dst, 0, true);
	if (t && !t->server_port && !strcmp(t->filename, name)) {
		t->requests++;	/* a retransmission */
		g_free(name);
		g_free(mode);
		return;
	}
	ip_str(u->src, nt.client);
	ip_str(u->dst, nt.server);
	nt.client_port = u->sport;
	nt.filename = name;
	nt.mode = mode;
	nt.requests = 1;
	nt.blksize = 512;
	nt.error_code = -1;
	nt.first_us = nt.last_us = u->ts_us;
	g_array_append_val(a, nt);
}

static void tftp_oack(struct netboot_tftp *t, const struct udp *u)
{
	size_t pos = 2;
	char *k, *v;

	while ((k = take_str(u->data, u->caplen, &pos))) {
		v = take_str(u->data, u->caplen, &pos);
		if (!v) {
			g_free(k);
			break;
		}
		if (!g_ascii_strcasecmp(k, "blksize")) {
			unsigned long n = strtoul(v, NULL, 10);

			if (n >= 8 && n <= 65464)
				t->blksize = (unsigned)n;
		} else if (!g_ascii_strcasecmp(k, "tsize")) {
			t->tsize = g_ascii_strtoull(v, NULL, 10);
		}
		g_free(k);
		g_free(v);
	}
}

static void tftp_error(struct netboot_tftp *t, const struct udp *u)
{
	size_t pos = 4;

	if (u->caplen < 4)
		return;
	t->error_code = rd16(u->data + 2);
	g_free(t->error_msg);
	t->error_msg = take_str(u->data, u->caplen, &pos);
	if (!t->error_msg)
		t->error_msg = g_strdup("");
}

static void tftp_msg(GArray *a, const struct udp *u)
{
	struct netboot_tftp *t;
	uint16_t op, block;

	if (u->dport == 69) {
		tftp_rrq(a, u);
		return;
	}
	if (u->caplen < 2)
		return;
	op = rd16(u->data);
	/* from the server to a client's port */
	t = find_transfer(a, u->dst, u->dport, u->src, u->sport, true);
	if (t) {
		t->server_port = u->sport;
		t->last_us = u->ts_us;
		if (op == 6) {
			tftp_oack(t, u);
		} else if (op == 5) {
			tftp_error(t, u);
		} else if (op == 3 && u->caplen >= 4 && u->len >= 4) {
			block = rd16(u->data + 2);
			if (block == (uint16_t)(t->blocks + 1)) {
				t->blocks++;
				t->bytes += u->len - 4;
				if (u->len - 4 < t->blksize)
					t->complete = true;
			} else if (block == (uint16_t)t->blocks) {
				t->duplicates++;
			} else {
				t->gaps++;
			}
		}
		return;
	}
	/* an ERROR from the client to the server's transfer ID */
	t = find_transfer(a, u->src, u->sport, u->dst, u->dport, false);
	if (t && op == 5)
		tftp_error(t, u);
}

int netboot_analyze(const char *pcap_path, const char *client_mac,
		    struct netboot_report **out, char *err)
{
	struct netboot_report *r;
	struct pcap_pkthdr *h;
	const u_char *p;
	uint8_t mac[6];
	GArray *tftp;
	pcap_t *pc;
	int rc;

	if (parse_mac(client_mac, mac) < 0) {
		err_set(err, "invalid MAC address '%s'",
			client_mac ? client_mac : "(null)");
		return -1;
	}
	pc = frame_pcap_open(pcap_path, err);
	if (!pc)
		return -1;
	r = g_new0(struct netboot_report, 1);
	tftp = g_array_new(FALSE, TRUE, sizeof(struct netboot_tftp));
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
		struct udp u;

		r->frames++;
		if (!parse_udp(h, p, &u))
			continue;
		dhcp_msg(&r->dhcp, &u, mac);
		tftp_msg(tftp, &u);
	}
	r->n_tftp = tftp->len;
	r->tftp = (struct netboot_tftp *)(void *)g_array_free(tftp, FALSE);
	if (rc == -1) {
		err_set(err, "cannot read '%s': %s", pcap_path,
			pcap_geterr(pc));
		pcap_close(pc);
		netboot_report_free(r);
		return -1;
	}
	pcap_close(pc);
	*out = r;
	return 0;
}

const struct netboot_tftp *netboot_tftp_file(const struct netboot_report *r,
					     const char *filename)
{
	size_t i;

	if (!r)
		return NULL;
	for (i = r->n_tftp; i > 0; i--)
		if (!strcmp(r->tftp[i - 1].filename, filename))
			return &r->tftp[i - 1];
	return NULL;
}

void netboot_report_free(struct netboot_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_tftp; i++) {
		g_free(r->tftp[i].filename);
		g_free(r->tftp[i].mode);
		g_free(r->tftp[i].error_msg);
	}
	g_free(r->tftp);
	g_free(r);
}
