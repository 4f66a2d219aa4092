/* ledger.c - see ledger.h. */
#include "ledger.h"
#include "util.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

void ledger_init(struct ledger *l, long long slack)
{
	memset(l, 0, sizeof(*l));
	l->slack = slack > 0 ? slack : 0;
}

static void add(struct ledger *l, enum ledger_kind kind, bool host,
		const char *layer, const char *name, long long v)
{
	struct ledger_entry *e;

	if (l->n >= LEDGER_MAX)
		return;
	e = &l->e[l->n++];
	e->kind = kind;
	e->host = host;
	g_strlcpy(e->layer, layer ? layer : "", sizeof(e->layer));
	g_strlcpy(e->name, name ? name : "", sizeof(e->name));
	e->v = v < 0 ? LEDGER_UNKNOWN : v;
	e->slack = -1;
}

void ledger_count(struct ledger *l, bool host, const char *layer,
		  const char *name, long long v)
{
	add(l, LEDGER_COUNT, host, layer, name, v);
}

void ledger_count_slack(struct ledger *l, bool host, const char *layer,
			const char *name, long long v, long long slack)
{
	int n = l->n;

	add(l, LEDGER_COUNT, host, layer, name, v);
	if (l->n > n)
		l->e[n].slack = slack > 0 ? slack : 0;
}

void ledger_drop(struct ledger *l, bool host, const char *layer,
		 const char *name, long long v)
{
	add(l, LEDGER_DROP, host, layer, name, v);
}

/* "between <a> and <b> (<layers in between, each once>)" */
static void gap_where(const struct ledger *l, int from, int to, char *buf,
		      size_t len)
{
	GString *s = g_string_new(NULL);
	const char *last = NULL;

	g_string_printf(s, "between %s (%s) and %s (%s)", l->e[from].layer,
			l->e[from].name, l->e[to].layer, l->e[to].name);
	for (int i = from + 1; i < to; i++) {
		if (l->e[i].kind != LEDGER_DROP ||
		    (last && !strcmp(last, l->e[i].layer)))
			continue;
		g_string_append(s, last ? ", " : ": ");
		g_string_append(s, l->e[i].layer);
		last = l->e[i].layer;
	}
	g_strlcpy(buf, s->str, len);
	g_string_free(s, TRUE);
}

void ledger_settle(const struct ledger *l, struct ledger_sum *s)
{
	int prev = -1;
	bool began = false;

	memset(s, 0, sizeof(*s));
	s->sent = s->received = LEDGER_UNKNOWN;
	for (int i = 0; i < l->n; i++) {
		const struct ledger_entry *e = &l->e[i];
		struct ledger_gap *g;

		if (e->kind != LEDGER_COUNT || e->v == LEDGER_UNKNOWN)
			continue;
		if (prev < 0) {
			s->sent = e->v;
			prev = i;
			continue;
		}
		g = &s->gaps[s->n_gaps++];
		g->from = prev;
		g->to = i;
		g->lost = l->e[prev].v - e->v;
		g->host = l->e[prev].host && e->host;
		for (int j = prev + 1; j < i; j++) {
			const struct ledger_entry *d = &l->e[j];

			/* a gap that passes through the guest is not the
			 * host's, even between two counts on the tap */
			if (!d->host)
				g->host = false;
			if (d->kind != LEDGER_DROP)
				continue;
			if (d->v == LEDGER_UNKNOWN) {
				g->unknown++;
				continue;
			}
			g->counted += d->v;
			if (d->host && !strcmp(d->layer, "host"))
				s->host_counted += d->v;
			if (d->v > 0 && !began) {
				g_snprintf(s->began, sizeof(s->began),
					   "%s: %s (+%lld)", d->layer,
					   d->name, d->v);
				began = true;
			}
		}
		if (g->lost - g->counted > (e->slack >= 0 ? e->slack :
					     l->slack))
			g->silent = g->lost - g->counted;
		gap_where(l, prev, i, g->where, sizeof(g->where));
		if (g->silent > 0 && !began) {
			g_snprintf(s->began, sizeof(s->began),
				   "silent loss %s", g->where);
			began = true;
		}
		s->lost += g->lost;
		s->counted += g->counted;
		s->silent += g->silent;
		if (g->host)
			s->host_silent += g->silent;
		s->received = e->v;
		prev = i;
	}
}

/* ---- counters --------------------------------------------------------- */

/*
 * /proc files are copied with the shell's own read and echo, and the UDP
 * line found with a case pattern, not with cat and grep: under TCG every
 * program the guest starts costs ~0.15 s, and a stress point takes some
 * fifty readings (measured: 0.83 s a reading with two cats, 1.5 s with
 * the settle loop's grep).
 */
#define COPY_LINES(file) \
	"while IFS= read -r l; do echo \"$l\"; done < " file "; "

char *ledger_snap_cmd(const char *ifq, bool guest, bool settle)
{
	return g_strdup_printf("%s%s%s"
			       "echo @@ip; ip -j -s -s link show dev %s; "
			       "echo @@softnet; "
			       COPY_LINES("/proc/net/softnet_stat")
			       "echo @@snmp; " COPY_LINES("/proc/net/snmp")
			       "echo @@ethtool;%s%s%s true",
			       settle ? "i=0; a=; while [ $i -lt 25 ]; do "
			       "b=; while IFS= read -r l; do case $l in "
			       "'Udp: '[0-9]*) b=$l ;; esac; "
			       "done < /proc/net/snmp; "
			       "[ \"$a\" = \"$b\" ] && break; a=$b; " : "",
			       /* busybox has usleep; the host's sleep takes
				* fractions (it had no usleep: no wait) */
			       settle ? (guest ? "usleep 200000; " :
					 "sleep 0.2; ") : "",
			       settle ? "i=$((i + 1)); done; " : "", ifq,
			       guest ? " ethtool -S " : "",
			       guest ? ifq : "",
			       guest ? " 2>/dev/null;" : "");
}

bool ledger_drop_key(const char *name)
{
	static const char *const words[] = {
		"drop", "missed", "lost", "fifo", "overrun", "overflow",
		"alloc_rx_buff_failed", NULL,
	};

	for (int i = 0; words[i]; i++)
		if (strstr(name, words[i]))
			return true;
	return false;
}

bool ledger_tx_key(const char *name)
{
	return strstr(name, "tx") != NULL;
}

long long ledger_beyond(long long ethtool, long long link)
{
	if (ethtool < 0)
		return LEDGER_UNKNOWN;
	if (link < 0)
		link = 0;
	return ethtool > link ? ethtool - link : 0;
}

long long ledger_delta(long long before, long long after, bool have)
{
	if (!have || before < 0 || after < 0 || after < before)
		return LEDGER_UNKNOWN;
	return after - before;
}

long long ledger_rx_overrun(const struct ledger_snap *a,
			    const struct ledger_snap *b)
{
	bool have = a->have_link && b->have_link;
	long long d[3] = {
		ledger_delta(a->rx_missed, b->rx_missed, have),
		ledger_delta(a->rx_fifo, b->rx_fifo, have),
		ledger_delta(a->rx_over, b->rx_over, have),
	}, n = 0;

	for (int i = 0; i < 3; i++)
		if (d[i] > 0)
			n += d[i];
	return n;
}

static long long member(JsonObject *o, const char *name)
{
	JsonNode *n;

	if (!o || !json_object_has_member(o, name))
		return LEDGER_UNKNOWN;
	n = json_object_get_member(o, name);
	if (!JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64)
		return LEDGER_UNKNOWN;
	return json_node_get_int(n);
}

static int parse_ip(const char *text, size_t len, struct ledger_snap *s,
		    char *err)
{
	JsonParser *jp = json_parser_new();
	JsonNode *root;
	JsonObject *dev, *st, *rx, *tx;
	GError *ge = NULL;
	int rc = -1;

	if (!json_parser_load_from_data(jp, text, (gssize)len, &ge)) {
		err_set(err, "ip -j -s link: not JSON (%s)", ge->message);
		g_error_free(ge);
		goto out;
	}
	root = json_parser_get_root(jp);
	if (!root || !JSON_NODE_HOLDS_ARRAY(root) ||
	    json_array_get_length(json_node_get_array(root)) != 1 ||
	    !JSON_NODE_HOLDS_OBJECT(json_array_get_element(
					json_node_get_array(root), 0))) {
		err_set(err, "ip -j -s link: not an array of one device");
		goto out;
	}
	dev = json_array_get_object_element(json_node_get_array(root), 0);
	if (!json_object_has_member(dev, "stats64") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(dev, "stats64"))) {
		err_set(err, "ip -j -s link: no stats64");
		goto out;
	}
	st = json_object_get_object_member(dev, "stats64");
	rx = json_object_has_member(st, "rx") &&
	     JSON_NODE_HOLDS_OBJECT(json_object_get_member(st, "rx")) ?
	     json_object_get_object_member(st, "rx") : NULL;
	tx = json_object_has_member(st, "tx") &&
	     JSON_NODE_HOLDS_OBJECT(json_object_get_member(st, "tx")) ?
	     json_object_get_object_member(st, "tx") : NULL;
	if (!rx || !tx) {
		err_set(err, "ip -j -s link: no rx or tx statistics");
		goto out;
	}
	s->rx_packets = member(rx, "packets");
	s->rx_errors = member(rx, "errors");
	s->rx_dropped = member(rx, "dropped");
	s->rx_over = member(rx, "over_errors");
	s->rx_fifo = member(rx, "fifo_errors");
	s->rx_missed = member(rx, "missed_errors");
	s->rx_crc = member(rx, "crc_errors");
	s->rx_length = member(rx, "length_errors");
	s->rx_frame = member(rx, "frame_errors");
	s->tx_packets = member(tx, "packets");
	s->tx_errors = member(tx, "errors");
	s->tx_dropped = member(tx, "dropped");
	s->tx_fifo = member(tx, "fifo_errors");
	s->tx_carrier = member(tx, "carrier_errors");
	s->tx_aborted = member(tx, "aborted_errors");
	if (s->rx_packets < 0 || s->rx_dropped < 0 || s->tx_packets < 0 ||
	    s->tx_dropped < 0) {
		err_set(err, "ip -j -s link: packets or dropped missing");
		goto out;
	}
	s->have_link = true;
	rc = 0;
out:
	g_object_unref(jp);
	return rc;
}

/* Column 2 (dropped) of every CPU's line, hexadecimal. */
static int parse_softnet(char **lines, int n, struct ledger_snap *s,
			 char *err)
{
	long long sum = 0;
	int cpus = 0;

	for (int i = 0; i < n; i++) {
		char **f = g_strsplit_set(g_strstrip(lines[i]), " \t", 0);
		gchar *end;
		guint64 v;

		if (!f[0] || !*f[0]) {
			g_strfreev(f);
			continue;
		}
		if (!f[1] || !*f[1]) {
			g_strfreev(f);
			err_set(err, "softnet_stat: line %d has one field",
				i + 1);
			return -1;
		}
		for (int k = 0; f[k]; k++) {
			v = g_ascii_strtoull(f[k], &end, 16);
			if (*end || end == f[k] || strlen(f[k]) > 16) {
				err_set(err, "softnet_stat: bad field "
					"'%.20s'", f[k]);
				g_strfreev(f);
				return -1;
			}
		}
		v = g_ascii_strtoull(f[1], &end, 16);
		sum += (long long)v;
		cpus++;
		g_strfreev(f);
	}
	if (!cpus) {
		err_set(err, "softnet_stat: no CPU line");
		return -1;
	}
	s->softnet_dropped = sum;
	s->have_softnet = true;
	return 0;
}

/*
 * One pair of /proc/net/snmp lines ("<Proto>: Name Name ..." then
 * "<Proto>: 1 2 ..."): the values of names[] into dst[] (LEDGER_UNKNOWN
 * when not a number).  -1 when the two lines do not have as many fields.
 */
static int snmp_pair(char *hl, char *vl, const char *const *names,
		     long long *const *dst)
{
	char **h = g_strsplit(g_strstrip(hl), " ", 0);
	char **v = g_strsplit(g_strstrip(vl), " ", 0);
	int k;

	for (k = 1; h[k] && v[k]; k++) {
		gchar *end;
		long long x = (long long)g_ascii_strtoull(v[k], &end, 10);

		if (*end || end == v[k])
			x = LEDGER_UNKNOWN;
		for (int j = 0; names[j]; j++)
			if (!strcmp(h[k], names[j]))
				*dst[j] = x;
	}
	k = h[k] || v[k];	/* not as many values as names */
	g_strfreev(h);
	g_strfreev(v);
	return k ? -1 : 0;
}

static int parse_snmp(char **lines, int n, struct ledger_snap *s, char *err)
{
	static const char *const udp_n[] = {
		"InDatagrams", "InErrors", "RcvbufErrors", "SndbufErrors",
		"InCsumErrors", "NoPorts", NULL,
	};
	static const char *const ip_n[] = {
		"InDiscards", "ReasmFails", "OutDiscards", "FragFails", NULL,
	};
	static const char *const icmp_n[] = {
		"InEchos", "OutEchoReps", "InErrors", "OutErrors", NULL,
	};
	long long *const udp_d[] = {
		&s->udp_in, &s->udp_in_errors, &s->udp_rcvbuf,
		&s->udp_sndbuf, &s->udp_csum, &s->udp_noports,
	};
	long long *const ip_d[] = {
		&s->ip_in_discards, &s->ip_reasm_fails, &s->ip_out_discards,
		&s->ip_frag_fails,
	};
	long long *const icmp_d[] = {
		&s->icmp_in_echos, &s->icmp_out_echo_reps,
		&s->icmp_in_errors, &s->icmp_out_errors,
	};

	for (int i = 0; i + 1 < n; i++) {
		if (g_str_has_prefix(lines[i], "Ip: ") &&
		    g_str_has_prefix(lines[i + 1], "Ip: ") && !s->have_ip) {
			/* optional: a malformed pair is left unknown */
			s->have_ip = snmp_pair(lines[i], lines[i + 1], ip_n,
					       ip_d) == 0 &&
				     s->ip_reasm_fails >= 0 &&
				     s->ip_in_discards >= 0;
			i++;
		} else if (g_str_has_prefix(lines[i], "Icmp: ") &&
			   g_str_has_prefix(lines[i + 1], "Icmp: ") &&
			   !s->have_icmp) {
			s->have_icmp = snmp_pair(lines[i], lines[i + 1],
						 icmp_n, icmp_d) == 0 &&
				       s->icmp_in_echos >= 0 &&
				       s->icmp_out_echo_reps >= 0;
			i++;
		} else if (g_str_has_prefix(lines[i], "Udp: ") &&
			   g_str_has_prefix(lines[i + 1], "Udp: ")) {
			if (snmp_pair(lines[i], lines[i + 1], udp_n,
				      udp_d) < 0 || s->udp_in_errors < 0 ||
			    s->udp_rcvbuf < 0) {
				err_set(err, "/proc/net/snmp: malformed Udp "
					"lines");
				return -1;
			}
			s->have_udp = true;
			return 0;	/* Udp comes after Ip and Icmp */
		}
	}
	err_set(err, "/proc/net/snmp: no Udp lines");
	return -1;
}

/* "     rx_queue_0_drops: 12" */
static void parse_ethtool(char **lines, int n, struct ledger_snap *s)
{
	for (int i = 0; i < n; i++) {
		char *line = g_strstrip(lines[i]), *colon = strrchr(line, ':');
		gchar *end;
		long long v;

		if (!colon || colon == line)
			continue;
		*colon = '\0';
		v = (long long)g_ascii_strtoull(g_strstrip(colon + 1), &end,
						10);
		if (*end || end == colon + 1 || strchr(line, ' '))
			continue;	/* "NIC statistics" and the like */
		s->have_ethtool = true;
		if (!ledger_drop_key(line) || s->n_keys >= LEDGER_MAX_KEYS ||
		    strlen(line) >= sizeof(s->keys[0].name))
			continue;
		g_strlcpy(s->keys[s->n_keys].name, line,
			  sizeof(s->keys[0].name));
		s->keys[s->n_keys++].v = v;
	}
}

int ledger_snap_parse(const char *text, size_t len, struct ledger_snap *s,
		      char *err)
{
	char *copy = g_strndup(text, len);
	char **lines = g_strsplit(copy, "\n", 0);
	int n = (int)g_strv_length(lines), rc = 0;
	int ip = -1, sn = -1, snmp = -1, eth = -1, end[4] = { n, n, n, n };
	int *marks[4] = { &ip, &sn, &snmp, &eth };
	static const char *const names[4] = {
		"@@ip", "@@softnet", "@@snmp", "@@ethtool",
	};

	memset(s, 0, sizeof(*s));
	s->rx_packets = s->rx_errors = s->rx_dropped = s->rx_over =
		s->rx_fifo = s->rx_missed = s->rx_crc = s->rx_length =
		s->rx_frame = s->tx_packets = s->tx_errors = s->tx_dropped =
		s->tx_fifo = s->tx_carrier = s->tx_aborted =
		s->softnet_dropped = s->udp_in = s->udp_in_errors =
		s->udp_rcvbuf = s->udp_sndbuf = s->udp_csum =
		s->udp_noports = s->ip_in_discards = s->ip_reasm_fails =
		s->ip_out_discards = s->ip_frag_fails = s->icmp_in_echos =
		s->icmp_out_echo_reps = s->icmp_in_errors =
		s->icmp_out_errors = LEDGER_UNKNOWN;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			if (!strcmp(g_strchomp(lines[i]), names[k]) &&
			    *marks[k] < 0)
				*marks[k] = i;
	/* each section ends where the next one (in the text) begins */
	for (int k = 0; k < 4; k++)
		for (int j = 0; j < 4; j++)
			if (*marks[k] >= 0 && *marks[j] > *marks[k] &&
			    *marks[j] < end[k])
				end[k] = *marks[j];
	if (ip < 0 && sn < 0 && snmp < 0) {
		err_set(err, "no counters in the output (no @@ip, @@softnet "
			"or @@snmp section)");
		rc = -1;
		goto out;
	}
	if (ip >= 0) {
		GString *j = g_string_new(NULL);

		for (int i = ip + 1; i < end[0]; i++)
			g_string_append_printf(j, "%s\n", lines[i]);
		if (j->len)
			rc = parse_ip(j->str, j->len, s, err);
		else
			err_set(err, "ip -j -s link printed nothing"), rc = -1;
		g_string_free(j, TRUE);
		if (rc < 0)
			goto out;
	}
	if (sn >= 0 && parse_softnet(lines + sn + 1, end[1] - sn - 1, s,
				     err) < 0) {
		rc = -1;
		goto out;
	}
	if (snmp >= 0 && parse_snmp(lines + snmp + 1, end[2] - snmp - 1, s,
				    err) < 0) {
		rc = -1;
		goto out;
	}
	if (eth >= 0)
		parse_ethtool(lines + eth + 1, end[3] - eth - 1, s);
out:
	g_strfreev(lines);
	g_free(copy);
	return rc;
}

long long ledger_ethtool_delta(const struct ledger_snap *a,
			       const struct ledger_snap *b, bool tx,
			       char *names, size_t names_len)
{
	GString *s = g_string_new(NULL);
	long long sum = 0;

	if (names && names_len)
		names[0] = '\0';
	if (!a->have_ethtool || !b->have_ethtool) {
		g_string_free(s, TRUE);
		return LEDGER_UNKNOWN;
	}
	for (int i = 0; i < b->n_keys; i++) {
		const struct ledger_key *kb = &b->keys[i];

		if (ledger_tx_key(kb->name) != tx)
			continue;
		for (int j = 0; j < a->n_keys; j++) {
			const struct ledger_key *ka = &a->keys[j];

			if (strcmp(ka->name, kb->name) || kb->v <= ka->v)
				continue;
			sum += kb->v - ka->v;
			g_string_append_printf(s, "%s%s +%lld",
					       s->len ? ", " : "", kb->name,
					       kb->v - ka->v);
		}
	}
	if (names && names_len)
		g_strlcpy(names, s->str, names_len);
	g_string_free(s, TRUE);
	return sum;
}
