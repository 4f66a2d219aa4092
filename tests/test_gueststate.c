/*
 * test_gueststate.c - what a guest looks like at a point's start and end
 * (harness/fixture.c): the command, run by this host's sh, and the kept
 * form of its output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "fixture.h"

static void test_normalize(void **state)
{
	const char *out =
		"1: lo: <LOOPBACK,UP> mtu 65536\n"
		"2: eth0    inet6 fe80::1/64 scope link tentative \\ x\n"
		"2: eth0    inet6 fe80::2/64 scope link tentative tentative\n"
		"::modules\n"
		"virtio_net 73728 0 - Live 0xffffffffc0400000\n"
		"8139cp 45056 0 - Live 0xffffffffc0300000\n"
		"\n"
		"bonding 229376 1 tls, Live 0x0000000000000000\n";
	char *n = guest_state_normalize(out);

	(void)state;
	assert_string_equal(n,
		"1: lo: <LOOPBACK,UP> mtu 65536\n"
		"2: eth0    inet6 fe80::1/64 scope link \\ x\n"
		"2: eth0    inet6 fe80::2/64 scope link\n"
		"::modules\n"
		"8139cp 45056 0 -\n"
		"bonding 229376 1 tls,\n"
		"virtio_net 73728 0 -\n");
	g_free(n);
	/* two readings that differ only in load addresses hash alike */
	n = guest_state_normalize("::modules\na 1 0 - Live 0x1\n");
	{
		char *m = guest_state_normalize("::modules\na 1 0 - Loading "
						"0x2\n");

		assert_string_equal(n, m);
		g_free(m);
	}
	g_free(n);
	/* no marker: the text as it is, less " tentative" */
	n = guest_state_normalize("x tentative y");
	assert_string_equal(n, "x y");
	g_free(n);
	n = guest_state_normalize("");
	assert_string_equal(n, "");
	g_free(n);
}

/* a long run of " tentative" from a guest: linear, and all of it gone */
static void test_normalize_long(void **state)
{
	GString *g = g_string_new("a");
	char *n;

	(void)state;
	for (int i = 0; i < 200000; i++)
		g_string_append(g, " tentative");
	g_string_append(g, "\n::modules\n");
	for (int i = 0; i < 20000; i++)
		g_string_append_printf(g, "m%d %d 0 - Live 0x0\n", 20000 - i,
				       i);
	n = guest_state_normalize(g->str);
	assert_true(g_str_has_prefix(n, "a\n::modules\nm1 19999 0 -\n"));
	g_free(n);
	g_string_free(g, TRUE);
}

/* the command itself, run by this host's sh: links, addresses, modules */
static void test_cmd_runs(void **state)
{
	char *argv[] = { "sh", "-c", (char *)guest_state_cmd(), NULL };
	char *out = NULL, *n;
	int st = -1;

	(void)state;
	assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
				 NULL, &out, NULL, &st, NULL));
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, ": lo: "));		/* ip link */
	assert_non_null(strstr(out, "inet 127.0.0.1/8"));	/* ip addr */
	assert_non_null(strstr(out, "::modules\n"));
	n = guest_state_normalize(out);
	assert_non_null(strstr(n, "::modules\n"));
	g_free(n);
	g_free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_normalize_long),
		cmocka_unit_test(test_cmd_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
