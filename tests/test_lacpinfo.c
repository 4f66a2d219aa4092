/*
 * test_lacpinfo.c - what the lacp case reads from a guest's
 * /proc/net/bonding/bond0 (harness/lacpinfo.c), on files the guests wrote
 * (fixtures/lacp/) and on hostile text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "lacpinfo.h"
#include "util.h"

static char *fixture(const char *name)
{
	char *path = g_build_filename(NICQ_SRCDIR, "fixtures", "lacp", name,
				      NULL), *text = NULL;
	size_t len = 0;

	assert_int_equal(file_read(path, &text, &len, NULL), 0);
	g_free(path);
	return text;
}

/* both ports aggregated, in sync, collecting and distributing (state 61) */
static void test_ready(void **state)
{
	char *t = fixture("two-ports-ready.txt");
	struct lacp_agg a;

	(void)state;
	lacp_agg_parse(t, &a);
	assert_int_equal(a.id, 1);
	assert_int_equal(a.ports, 2);
	assert_int_equal(a.slaves_in, 2);
	assert_int_equal(a.slaves_ready, 2);
	assert_string_equal(a.partner, "52:54:00:18:11:00");
	lacp_agg_clear(&a);
	g_free(t);
}

/*
 * Aggregated, but the ports not yet collecting and distributing (actor
 * state 13, partner 5): counted in the aggregator, not ready (rtl8139
 * under load lost a ping sent then).
 */
static void test_syncing(void **state)
{
	char *t = fixture("two-ports-syncing.txt");
	struct lacp_agg a;

	(void)state;
	lacp_agg_parse(t, &a);
	assert_int_equal(a.ports, 2);
	assert_int_equal(a.slaves_in, 2);
	assert_int_equal(a.slaves_ready, 0);
	lacp_agg_clear(&a);
	g_free(t);
}

/*
 * The lacp-bridge control: one port in the active aggregator, the other
 * alone in aggregator 2 with no partner (state 69, partner 0 and MAC
 * 00:00:00:00:00:00).
 */
static void test_one_port(void **state)
{
	char *t = fixture("one-port.txt");
	struct lacp_agg a;

	(void)state;
	lacp_agg_parse(t, &a);
	assert_int_equal(a.id, 1);
	assert_int_equal(a.ports, 1);
	assert_int_equal(a.slaves_in, 1);
	assert_int_equal(a.slaves_ready, 1);
	lacp_agg_clear(&a);
	g_free(t);
}

/* a slave whose link went down keeps its aggregator's ID: not counted */
static void test_slave_down(void **state)
{
	char *t = fixture("two-ports-ready.txt");
	char *p = strstr(t, "\nSlave Interface: "), *m;
	struct lacp_agg a;

	(void)state;
	assert_non_null(p);
	m = strstr(p, "MII Status: up");
	assert_non_null(m);
	memcpy(m, "MII Status: dn", strlen("MII Status: dn"));
	lacp_agg_parse(t, &a);
	assert_int_equal(a.ports, 2);
	assert_int_equal(a.slaves_in, 1);
	assert_int_equal(a.slaves_ready, 1);
	lacp_agg_clear(&a);
	g_free(t);
}

/* what a guest could write instead: nothing counted, nothing crashes */
static void test_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"Bonding Mode: IEEE 802.3ad Dynamic link aggregation\n",
		"Active Aggregator Info:",
		"Active Aggregator Info:\n\tAggregator ID: x\n",
		"Active Aggregator Info:\n\tAggregator ID: 99999999999999999999\n"
		"\tNumber of ports: -2\n",
		/* a slave section with no aggregator: not in it */
		"Active Aggregator Info:\n\tAggregator ID: 1\n\tNumber of "
		"ports: 1\n\nSlave Interface: eth0\nMII Status: up\n"
		"    port state: 61\n    port state: 61\n",
		/* port states out of range, three of them, or one */
		"Active Aggregator Info:\n\tAggregator ID: 1\n\tNumber of "
		"ports: 1\n\nSlave Interface: eth0\nMII Status: up\n"
		"Aggregator ID: 1\n    port state: 317\n    port state: 61\n",
		"Active Aggregator Info:\n\tAggregator ID: 1\n\nSlave "
		"Interface: eth0\nMII Status: up\nAggregator ID: 1\n"
		"    port state: 61\n    port state: 61\n    port state: 61\n",
		"Active Aggregator Info:\n\tAggregator ID: 1\n\nSlave "
		"Interface: eth0\nMII Status: up\nAggregator ID: 1\n"
		"    port state: 61\n",
		NULL,
	};
	struct lacp_agg a;

	(void)state;
	for (int i = 0; bad[i]; i++) {
		lacp_agg_parse(bad[i], &a);
		assert_int_equal(a.slaves_ready, 0);
		assert_true(a.ports == -1 || a.ports == 1);
		lacp_agg_clear(&a);
	}
	lacp_agg_parse(NULL, &a);
	assert_int_equal(a.id, -1);
	lacp_agg_parse(bad[3], &a);
	assert_int_equal(a.id, -1);
	assert_int_equal(a.slaves_in, 0);
	lacp_agg_clear(&a);
	lacp_agg_parse(bad[4], &a);
	assert_int_equal(a.id, -1);
	assert_int_equal(a.ports, -1);
	lacp_agg_clear(&a);
	/* the counted slaves of the last three: in (2), in (2), in (3) */
	for (int i = 6; i <= 8; i++) {
		lacp_agg_parse(bad[i], &a);
		assert_int_equal(a.slaves_in, 1);
		lacp_agg_clear(&a);
	}
}

/* a long file of many slaves is read once, line by line */
static void test_many_slaves(void **state)
{
	GString *s = g_string_new("Active Aggregator Info:\n\tAggregator "
				  "ID: 3\n\tNumber of ports: 5000\n");
	struct lacp_agg a;

	(void)state;
	for (int i = 0; i < 5000; i++)
		g_string_append_printf(s, "\nSlave Interface: eth%d\nMII "
				       "Status: up\nAggregator ID: %d\n"
				       "    port state: 61\n    port state: "
				       "%d\n", i, i % 2 ? 3 : 4,
				       i % 3 ? 61 : 13);
	lacp_agg_parse(s->str, &a);
	assert_int_equal(a.id, 3);
	assert_int_equal(a.slaves_in, 2500);
	/* odd i, less the 833 odd multiples of 3 */
	assert_int_equal(a.slaves_ready, 1667);
	lacp_agg_clear(&a);
	g_string_free(s, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_syncing),
		cmocka_unit_test(test_one_port),
		cmocka_unit_test(test_slave_down),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_many_slaves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
