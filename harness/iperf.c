/* iperf.c - see iperf.h. */
#include "frame.h"
#include "iperf.h"
#include "util.h"

#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <pcap/pcap.h>
#include <string.h>

/* A member as a number, whatever JSON type iperf3 used; def if absent. */
static double num(JsonObject *o, const char *key, double def)
{
	JsonNode *n = json_object_get_member(o, key);

	if (!n || !JSON_NODE_HOLDS_VALUE(n))
		return def;
	switch (json_node_get_value_type(n)) {
	case G_TYPE_INT64:
		return (double)json_node_get_int(n);
	case G_TYPE_DOUBLE:
		return json_node_get_double(n);
	case G_TYPE_BOOLEAN:
		return json_node_get_boolean(n) ? 1 : 0;
	default:
		return def;
	}
}

static JsonObject *obj(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/*
 * A member as a number in lo..hi (def when absent); -1 with err when it is
 * not a finite number in range: iperf3's output is the guest's to write,
 * and an absurd value must be a message, never an undefined cast.
 */
static int num_in(JsonObject *o, const char *what, const char *key,
		  double lo, double hi, double def, double *out, char *err)
{
	JsonNode *n = json_object_get_member(o, key);
	double v = num(o, key, NAN);

	if (!n) {
		*out = def;
		return 0;
	}
	if (!isfinite(v) || v < lo || v > hi) {
		err_set(err, "iperf3 output has %s.%s out of range (%g..%g)",
			what, key, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* 2^53: every integer below it is exact in a double */
#define EXACT 9007199254740992.0

static int sum_read(JsonObject *o, const char *what, struct iperf_sum *s,
		    char *err)
{
	double b, p, l, r;

	if (num_in(o, what, "seconds", 0, 1e7, 0, &s->seconds, err) < 0 ||
	    num_in(o, what, "bytes", 0, EXACT, 0, &b, err) < 0 ||
	    num_in(o, what, "bits_per_second", 0, 1e15, 0,
		   &s->bits_per_second, err) < 0 ||
	    num_in(o, what, "retransmits", -1, EXACT, -1, &r, err) < 0 ||
	    num_in(o, what, "packets", 0, EXACT, 0, &p, err) < 0 ||
	    num_in(o, what, "lost_packets", 0, EXACT, 0, &l, err) < 0 ||
	    num_in(o, what, "lost_percent", 0, 100, 0, &s->lost_percent,
		   err) < 0)
		return -1;
	s->bytes = (uint64_t)b;
	s->retransmits = (long long)r;
	s->packets = (uint64_t)p;
	s->lost_packets = (uint64_t)l;
	return 0;
}

int iperf_parse(const char *json, size_t len, struct iperf_result *out,
		char *err)
{
	JsonParser *p = json_parser_new();
	GError *gerr = NULL;
	JsonNode *root;
	JsonObject *top, *end, *ts, *sent, *recv;
	struct iperf_result r = { 0 };
	const char *proto;
	JsonNode *pn;
	double bs, rb;
	int rc = -1;

	if (!json_parser_load_from_data(p, json, (gssize)len, &gerr)) {
		err_set(err, "iperf3 output is not JSON: %s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		err_set(err, "iperf3 output is not a JSON object");
		goto out;
	}
	top = json_node_get_object(root);
	if (json_object_has_member(top, "error")) {
		JsonNode *e = json_object_get_member(top, "error");

		err_set(err, "iperf3: %s", JSON_NODE_HOLDS_VALUE(e) &&
			json_node_get_value_type(e) == G_TYPE_STRING ?
			json_node_get_string(e) : "error");
		goto out;
	}
	end = obj(top, "end");
	sent = obj(end, "sum_sent");
	recv = obj(end, "sum_received");
	ts = obj(obj(top, "start"), "test_start");
	if (!sent || !recv || !ts) {
		err_set(err, "iperf3 output lacks %s", !ts ?
			"start.test_start" : !sent ? "end.sum_sent" :
			"end.sum_received");
		goto out;
	}
	pn = json_object_get_member(ts, "protocol");
	proto = pn && JSON_NODE_HOLDS_VALUE(pn) &&
		json_node_get_value_type(pn) == G_TYPE_STRING ?
		json_node_get_string(pn) : NULL;
	if (!proto || (strcmp(proto, "TCP") && strcmp(proto, "UDP"))) {
		err_set(err, "iperf3 output has protocol '%.40s', not TCP or "
			"UDP", proto ? proto : "(not a string)");
		goto out;
	}
	r.udp = !strcmp(proto, "UDP");
	r.reverse = num(ts, "reverse", 0) != 0;
	if (num_in(ts, "start.test_start", "blksize", 0, 1 << 24, 0, &bs,
		   err) < 0 ||
	    num_in(obj(top, "start"), "start", "rcvbuf_actual", 0, 1 << 30, 0,
		   &rb, err) < 0 ||
	    sum_read(sent, "end.sum_sent", &r.sent, err) < 0 ||
	    sum_read(recv, "end.sum_received", &r.received, err) < 0)
		goto out;
	r.blksize = (int)bs;
	r.rcvbuf = (int)rb;
	*out = r;
	rc = 0;
out:
	g_object_unref(p);
	return rc;
}

int iperf_snmp_parse(const char *text, struct iperf_udp_snmp *out, char *err)
{
	char **lines = g_strsplit(text ? text : "", "\n", -1), **names = NULL,
	     **vals = NULL;
	struct iperf_udp_snmp c = { 0 };
	int i, found = 0, rc = -1;

	for (i = 0; lines[i]; i++) {
		if (!g_str_has_prefix(lines[i], "Udp: "))
			continue;
		if (!names)
			names = g_strsplit(lines[i] + 5, " ", -1);
		else if (!vals)
			vals = g_strsplit(lines[i] + 5, " ", -1);
	}
	if (!names || !vals ||
	    g_strv_length(names) != g_strv_length(vals)) {
		err_set(err, "no Udp counters in /proc/net/snmp");
		goto out;
	}
	for (i = 0; names[i]; i++) {
		uint64_t *dst = !strcmp(names[i], "InDatagrams") ?
				&c.in_datagrams :
				!strcmp(names[i], "InErrors") ? &c.in_errors :
				!strcmp(names[i], "RcvbufErrors") ?
				&c.rcvbuf_errors :
				!strcmp(names[i], "SndbufErrors") ?
				&c.sndbuf_errors : NULL;
		char *end;

		if (!dst)
			continue;
		*dst = g_ascii_strtoull(vals[i], &end, 10);
		if (end == vals[i] || (*end && *end != '\r')) {
			err_set(err, "bad Udp counter %s '%s' in "
				"/proc/net/snmp", names[i], vals[i]);
			goto out;
		}
		found++;
	}
	if (found != 4) {
		err_set(err, "/proc/net/snmp lacks some Udp counters");
		goto out;
	}
	*out = c;
	rc = 0;
out:
	g_strfreev(lines);
	g_strfreev(names);
	g_strfreev(vals);
	return rc;
}

/* ---- the loss knee -------------------------------------------------- */

void iperf_knee_init(struct iperf_knee *k, double start, double min,
		     double max, int bisections, int max_steps)
{
	memset(k, 0, sizeof(*k));
	k->start = start;
	k->min = min;
	k->max = max;
	k->bisections = bisections;
	k->max_steps = max_steps;
}

double iperf_knee_next(const struct iperf_knee *k)
{
	double r;

	if (k->steps >= k->max_steps)
		return 0;
	if (k->steps == 0)
		return k->start;
	if (k->hi == 0) {
		/* every step passed: double, up to the cap */
		if (k->lo >= k->max)
			return 0;
		return fmin(k->lo * 2, k->max);
	}
	if (k->lo == 0) {
		/* every step failed: halve, or just under what arrived */
		if (k->hi <= k->min)
			return 0;
		r = k->hi / 2;
		if (k->hint > 0 && k->hint * 0.9 < r)
			r = k->hint * 0.9;
		return fmax(r, k->min);
	}
	if (k->bisected >= k->bisections || k->hi / k->lo < 1.05)
		return 0;
	return sqrt(k->lo * k->hi);
}

void iperf_knee_record(struct iperf_knee *k, double rate, double loss_pct,
		       double received_rate, double limit_pct)
{
	if (k->lo > 0 && k->hi > 0)
		k->bisected++;
	k->steps++;
	if (loss_pct < limit_pct) {
		if (rate > k->lo)
			k->lo = rate;
	} else if (k->hi == 0 || rate < k->hi) {
		k->hi = rate;
		k->hint = received_rate;
	}
}
