/* shard.c - see shard.h. */
#include "shard.h"
#include "util.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

int shard_parse(const char *s, struct shard *out, char *err)
{
	char *end = NULL;
	long i, n;

	if (!s || !g_ascii_isdigit(s[0]))
		goto bad;
	i = strtol(s, &end, 10);
	if (*end != '/' || !g_ascii_isdigit(end[1]))
		goto bad;
	n = strtol(end + 1, &end, 10);
	if (*end)
		goto bad;
	if (n < 1 || n > SHARD_MAX || i < 1 || i > n) {
		err_set(err, "bad --shard '%s': I/N wants 1 <= I <= N <= %d",
			s, SHARD_MAX);
		return -1;
	}
	out->index = (int)i;
	out->count = (int)n;
	return 0;
bad:
	err_set(err, "bad --shard '%s': want I/N, e.g. 1/4", s ? s : "");
	return -1;
}

void shard_split(const int *weight, int n, int count, int *out)
{
	long long total = 0, before = 0;
	bool none;

	for (int k = 0; k < n; k++)
		total += weight[k] > 0 ? weight[k] : 0;
	none = total == 0;
	if (none)
		total = n;
	for (int k = 0; k < n; k++) {
		long long w = none ? 1 : (weight[k] > 0 ? weight[k] : 0);
		/*
		 * the middle of the point's weight, doubled to stay integer;
		 * a middle right on a boundary goes to the lower shard
		 */
		long long mid2 = 2 * before + w;
		long long s = mid2 > 0 ? (mid2 * count - 1) / (2 * total) : 0;

		out[k] = (int)MIN(s, (long long)count - 1) + 1;
		before += w;
	}
}
