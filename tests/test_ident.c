/*
 * test_ident.c - case_ident(): ICMP echo ids never given twice in a point,
 * and never shared by two slots (points at once share one lab namespace).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "case.h"

static void test_unique_in_point(void **state)
{
	struct case_ctx ctx;
	static unsigned char seen[65536];
	uint16_t id;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 200; i++) {
		id = case_ident(&ctx, 1);
		assert_int_not_equal(id, 0);
		assert_false(seen[id]);
		seen[id] = 1;
	}
	/* a block: n consecutive ids, none given before */
	id = case_ident(&ctx, 30);
	for (int k = 0; k < 30; k++) {
		assert_false(seen[(uint16_t)(id + k)]);
		seen[(uint16_t)(id + k)] = 1;
	}
	assert_false(seen[case_ident(&ctx, 1)]);
}

static void test_slots_disjoint(void **state)
{
	struct case_ctx a, b;

	(void)state;
	for (int s = 0; s < 8; s++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		a.slot = s;
		b.slot = (s + 1) % 8;
		for (unsigned i = 0; i < CASE_IDENTS_PER_SLOT; i++) {
			uint16_t x = case_ident(&a, 1);
			uint16_t y = case_ident(&b, 1);

			assert_int_not_equal(x, 0);
			assert_int_not_equal(x, y);
			/* within slot s's own range */
			assert_true(x >= 1 + (unsigned)s * CASE_IDENTS_PER_SLOT);
			assert_true(x < 1 + (unsigned)(s + 1) * CASE_IDENTS_PER_SLOT);
		}
	}
}

static void test_wraps(void **state)
{
	struct case_ctx ctx;
	uint16_t first, again;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	ctx.slot = 7;
	first = case_ident(&ctx, 100);
	for (unsigned i = 100; i + 100 <= CASE_IDENTS_PER_SLOT; i += 100)
		case_ident(&ctx, 100);
	/* the range is used up: it starts over, still in the slot's range */
	again = case_ident(&ctx, 100);
	assert_int_equal(again, first);
	assert_true((unsigned)again + 99 <= 8 * CASE_IDENTS_PER_SLOT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unique_in_point),
		cmocka_unit_test(test_slots_disjoint),
		cmocka_unit_test(test_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
