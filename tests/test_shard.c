/* test_shard.c - --shard I/N parsing and the split of the matrix. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "shard.h"
#include "util.h"

static void test_parse(void **state)
{
	struct shard s;
	char err[ERRLEN];
	static const char *const bad[] = {
		"", "1", "1/", "/2", "0/2", "3/2", "1/0", "a/b", "1/2x",
		"-1/2", "1/-2", " 1/2", "1/1001", "99999999999999999999/2",
		NULL,
	};

	(void)state;
	assert_int_equal(shard_parse("1/2", &s, err), 0);
	assert_int_equal(s.index, 1);
	assert_int_equal(s.count, 2);
	assert_int_equal(shard_parse("7/7", &s, err), 0);
	assert_int_equal(shard_parse("1/1", &s, err), 0);
	for (int i = 0; bad[i]; i++) {
		err[0] = '\0';
		assert_int_equal(shard_parse(bad[i], &s, err), -1);
		assert_non_null(strstr(err, "--shard"));
	}
	assert_int_equal(shard_parse(NULL, &s, err), -1);
}

/* Every shard gets a contiguous block; each point goes to exactly one. */
static void check_blocks(const int *w, int n, int count, int *out)
{
	shard_split(w, n, count, out);
	for (int k = 0; k < n; k++) {
		assert_in_range(out[k], 1, count);
		if (k)
			assert_true(out[k] >= out[k - 1]);
	}
}

static void test_split(void **state)
{
	int w[12], out[12];
	long long sum[5];

	(void)state;
	/* equal weights: equal blocks */
	for (int k = 0; k < 8; k++)
		w[k] = 10;
	check_blocks(w, 8, 2, out);
	for (int k = 0; k < 8; k++)
		assert_int_equal(out[k], k < 4 ? 1 : 2);
	check_blocks(w, 8, 4, out);
	for (int k = 0; k < 8; k++)
		assert_int_equal(out[k], k / 2 + 1);
	/* one heavy point: balanced by weight, not by count */
	int h[6] = { 300, 10, 10, 10, 10, 10 };

	check_blocks(h, 6, 2, out);
	assert_int_equal(out[0], 1);
	for (int k = 1; k < 6; k++)
		assert_int_equal(out[k], 2);
	/* weightless points (never run) ride along with their neighbours */
	int z[8] = { 10, 0, 10, 0, 10, 0, 10, 0 };

	check_blocks(z, 8, 2, out);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[2], 1);
	assert_int_equal(out[4], 2);
	assert_int_equal(out[6], 2);
	/* nothing weighs anything: split by count */
	memset(w, 0, sizeof(w));
	check_blocks(w, 6, 3, out);
	for (int k = 0; k < 6; k++)
		assert_int_equal(out[k], k / 2 + 1);
	/* one point of two shards: its middle is on the boundary, shard 1 */
	w[0] = 707;
	check_blocks(w, 1, 2, out);
	assert_int_equal(out[0], 1);
	/* of three, its middle is in the middle one */
	check_blocks(w, 1, 3, out);
	assert_int_equal(out[0], 2);
	/* more shards than points: some shards are empty, none is shared */
	w[0] = 5;
	w[1] = 5;
	check_blocks(w, 2, 5, out);
	assert_int_not_equal(out[0], out[1]);
	/* uneven weights: no shard is more than one point off its share */
	int u[12] = { 90, 30, 30, 60, 120, 30, 30, 30, 240, 30, 60, 30 };

	check_blocks(u, 12, 4, out);
	memset(sum, 0, sizeof(sum));
	for (int k = 0; k < 12; k++)
		sum[out[k]] += u[k];
	for (int s = 1; s <= 4; s++)
		assert_true(sum[s] <= 780 / 4 + 240);
	/* deterministic */
	int again[12];

	shard_split(u, 12, 4, again);
	assert_memory_equal(out, again, sizeof(out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
