/* test_case_field.c - case_field(), which reads "key=value" from outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "case.h"

static void expect(const char *out, const char *key, const char *want)
{
	char *got = case_field(out, key);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	g_free(got);
}

static void test_fields(void **state)
{
	(void)state;
	expect("attempts=3\nsha=abc123  -\n", "sha=", "abc123");
	expect("attempts=3\nsha=abc123  -\n", "attempts=", "3");
	expect("driver: e1000\nversion: 6.1\n", "driver: ", "e1000");
	expect("round 2 dev=eth0 ifindex=5\r\n", "ifindex=", "5");
	expect("toggles=\n", "toggles=", "");	/* present, empty */
	expect("sha=abc", "missing=", NULL);
	expect(NULL, "sha=", NULL);
	/* the first occurrence wins */
	expect("sha=one sha=two", "sha=", "one");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
