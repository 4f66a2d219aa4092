/*
 * lacpinfo.h - what a guest's /proc/net/bonding/bond0 says about its
 * 802.3ad (LACP) aggregator.
 *
 * The text is the guest's (untrusted): bounded by the SSH layer's output
 * limits, split into lines once and read line by line, every number
 * range-checked.  Unit-tested on files read from the guests (fixtures/lacp).
 */
#ifndef NICQ_LACPINFO_H
#define NICQ_LACPINFO_H

/* LACP port state bits: synchronization, collecting, distributing. */
#define LACP_PORT_READY 0x38

struct lacp_agg {
	long long id, ports;	/* the active aggregator's; -1 unknown */
	char *partner;		/* its partner MAC, or NULL; g_free() */
	int slaves_in;		/* slaves with MII Status up whose
				 * Aggregator ID is id (a slave whose link
				 * went down keeps its aggregator's ID) */
	int slaves_ready;	/* of those, the ones whose actor and partner
				 * port states both say in sync, collecting
				 * and distributing */
};

/*
 * Parse the text into *a (overwritten; lacp_agg_clear() first when it
 * held a parse).  No "Active Aggregator Info:" leaves id and ports -1 and
 * no slave counted.
 */
void lacp_agg_parse(const char *text, struct lacp_agg *a);
void lacp_agg_clear(struct lacp_agg *a);

#endif
