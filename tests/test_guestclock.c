/*
 * test_guestclock - guest time stamps on the host's clock (cases/common.c):
 * parsing a guest loop's "key=<uptime>" lines, merging two clock
 * measurements, and counting the events inside a host window with the
 * clock's uncertainty, as the jumbo and promisc cases prove overlap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <math.h>
#include <string.h>

#include "case.h"

static void test_parse_times(void **state)
{
	GArray *t = g_array_new(FALSE, FALSE, sizeof(double));
	char *big;
	GString *g;

	(void)state;
	assert_int_equal(case_parse_times(
		"t0=100.25\nc=100.50\nc=101.00\nnoise c=5\nc=\nc=abc\n"
		"c=102.75 trailing\nc=103.00\ntoggles=2\nc=104", "c=", t,
		100), 4);
	assert_true(fabs(g_array_index(t, double, 0) - 100.5) < 1e-9);
	assert_true(fabs(g_array_index(t, double, 1) - 101.0) < 1e-9);
	assert_true(fabs(g_array_index(t, double, 2) - 103.0) < 1e-9);
	assert_true(fabs(g_array_index(t, double, 3) - 104.0) < 1e-9);
	/* the key must start the line; other keys are other lines */
	g_array_set_size(t, 0);
	assert_int_equal(case_parse_times("t0=7.5\n", "t0=", t, 10), 1);
	assert_int_equal(case_parse_times("xt0=7.5\n", "t0=", t, 10), 0);
	assert_int_equal(case_parse_times("", "c=", t, 10), 0);
	assert_int_equal(case_parse_times(NULL, "c=", t, 10), 0);
	assert_int_equal(case_parse_times("c=inf\nc=nan\n", "c=", t, 10), 0);
	/* bounded: at most max, however long the text */
	g = g_string_new(NULL);
	for (int i = 0; i < 200000; i++)
		g_string_append_printf(g, "c=%d.%02d\n", i, i % 100);
	big = g_string_free(g, FALSE);
	g_array_set_size(t, 0);
	assert_int_equal(case_parse_times(big, "c=", t, 1000), 1000);
	assert_int_equal(t->len, 1000);
	g_free(big);
	g_array_free(t, TRUE);
}

static void test_merge(void **state)
{
	struct guest_clock a = { 1000.0, 0.05 }, b = { 1000.2, 0.02 };
	struct guest_clock c = guest_clock_merge(&a, &b);

	(void)state;
	assert_true(fabs(c.offset - 1000.1) < 1e-9);
	/* the wider measurement plus half the drift */
	assert_true(fabs(c.uncert - 0.15) < 1e-9);
	c = guest_clock_merge(&a, &a);
	assert_true(fabs(c.offset - 1000.0) < 1e-9);
	assert_true(fabs(c.uncert - 0.05) < 1e-9);
}

static void test_within(void **state)
{
	GArray *t = g_array_new(FALSE, FALSE, sizeof(double));
	const double v[] = { 9.0, 9.9, 10.2, 12.0, 14.8, 15.1, 20.0 };
	struct guest_clock c = { 1000.0, 0.25 };

	(void)state;
	g_array_append_vals(t, v, G_N_ELEMENTS(v));
	/* window 1010..1015 on the host: 10.2 and 14.8 are inside by 0.2,
	 * less than the uncertainty, so only 12.0 counts */
	assert_int_equal(guest_times_within(t, &c, 1010.0, 1015.0), 1);
	c.uncert = 0.1;
	assert_int_equal(guest_times_within(t, &c, 1010.0, 1015.0), 3);
	c.uncert = 0;
	assert_int_equal(guest_times_within(t, &c, 1009.0, 1020.0), 7);
	/* an empty or inverted window holds nothing */
	assert_int_equal(guest_times_within(t, &c, 1015.0, 1010.0), 0);
	assert_int_equal(guest_times_within(NULL, &c, 0, 1e12), 0);
	/* the offset matters: the same events an hour later */
	c.offset += 3600;
	assert_int_equal(guest_times_within(t, &c, 1009.0, 1020.0), 0);
	g_array_free(t, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_times),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_within),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
