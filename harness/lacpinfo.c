/* lacpinfo.c - see lacpinfo.h. */
#include "lacpinfo.h"
#include "util.h"

#include <glib.h>
#include <string.h>

/* One slave's section of /proc/net/bonding/bond0, as read so far. */
struct slave_sec {
	bool up, in;
	int states, ready;	/* "port state:" lines; of them ready */
};

static void slave_end(struct lacp_agg *a, struct slave_sec *sl)
{
	if (sl->up && sl->in) {
		a->slaves_in++;
		/* the actor's port state, then the partner's */
		if (sl->states == 2 && sl->ready == 2)
			a->slaves_ready++;
	}
	memset(sl, 0, sizeof(*sl));
}

void lacp_agg_parse(const char *text, struct lacp_agg *a)
{
	const char *act = text ? strstr(text, "Active Aggregator Info:") :
			  NULL;
	const char *first;
	struct slave_sec sl = { 0 };
	char **lines;

	memset(a, 0, sizeof(*a));
	a->id = a->ports = -1;
	if (!act)
		return;
	if (kv_get_int(act, "Aggregator ID: ", 0, G_MAXINT, &a->id) < 0)
		a->id = -1;
	if (kv_get_int(act, "Number of ports: ", 0, G_MAXINT, &a->ports) < 0)
		a->ports = -1;
	a->partner = kv_get(act, "Partner Mac Address: ");
	/*
	 * Each slave's section: "Slave Interface: ", "MII Status: ", ...,
	 * "Aggregator ID: ", ..., "details actor lacp pdu:" with its
	 * "    port state: N", then "details partner lacp pdu:" with its own.
	 */
	first = strstr(act, "\nSlave Interface: ");
	lines = g_strsplit(first ? first : "", "\n", -1);
	for (char **l = lines; *l; l++) {
		long long v;

		if (g_str_has_prefix(*l, "Slave Interface: "))
			slave_end(a, &sl);
		else if (g_str_has_prefix(*l, "MII Status: "))
			sl.up = !strcmp(*l + strlen("MII Status: "), "up");
		else if (kv_get_int(*l, "Aggregator ID: ", 0, G_MAXINT,
				    &v) == 0)
			sl.in = a->id >= 0 && v == a->id;
		else if (kv_get_int(*l, "    port state: ", 0, 255, &v) == 0) {
			sl.states++;
			sl.ready += (v & LACP_PORT_READY) == LACP_PORT_READY;
		}
	}
	slave_end(a, &sl);
	g_strfreev(lines);
}

void lacp_agg_clear(struct lacp_agg *a)
{
	g_free(a->partner);
	a->partner = NULL;
}
