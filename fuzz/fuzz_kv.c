/*
 * fuzz_kv - "key=value" words of guest output (kv_get, kv_get_int,
 * harness/util.c; resume_kv, harness/resume.c), ping's summary line
 * (ping_parse_summary, cases/common.c) and /proc/net/bonding's 802.3ad
 * aggregator (lacp_agg_parse, harness/lacpinfo.c).
 */
#include "case.h"
#include "fuzz.h"
#include "lacpinfo.h"
#include "resume.h"
#include "util.h"

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "sha=", "driver: ", "rx=", "a" };
	int sent = -2, received = -2, errors = -2;
	long long v;
	struct lacp_agg a;
	char *s = fuzz_str(data, size);

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *x = kv_get(s, keys[i]);

		if (x)
			FUZZ_CHECK(strlen(x) <= 4096 && !strpbrk(x, " \t\r\n"));
		g_free(x);
		if (kv_get_int(s, keys[i], -5, 1LL << 40, &v) == 0)
			FUZZ_CHECK(v >= -5 && v <= 1LL << 40);
		x = resume_kv(s, keys[i]);
		g_free(x);
	}
	ping_parse_summary(s, &sent, &received, &errors);
	FUZZ_CHECK(sent >= -2 && received >= -2 && errors >= -2);
	lacp_agg_parse(s, &a);
	FUZZ_CHECK(a.slaves_ready >= 0 && a.slaves_ready <= a.slaves_in);
	FUZZ_CHECK(a.id >= -1 && a.ports >= -1);
	FUZZ_CHECK(a.id >= 0 || a.slaves_in == 0);
	lacp_agg_clear(&a);
	free(s);
	return 0;
}
