/*
 * fuzz_iperf - iperf_parse() (iperf3 -J documents) and iperf_snmp_parse()
 * (/proc/net/snmp), harness/iperf.c.
 */
#include "fuzz.h"
#include "iperf.h"

#include <math.h>

static void check_sum(const struct iperf_sum *s)
{
	FUZZ_CHECK(isfinite(s->seconds) && s->seconds >= 0);
	FUZZ_CHECK(isfinite(s->bits_per_second) && s->bits_per_second >= 0);
	FUZZ_CHECK(isfinite(s->lost_percent));
	FUZZ_CHECK(s->retransmits >= -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iperf_result r;
	struct iperf_udp_snmp u;
	char err[512], *s;

	memset(&r, 0, sizeof(r));
	if (iperf_parse((const char *)data, size, &r, err) == 0) {
		FUZZ_CHECK(r.blksize >= 0);
		check_sum(&r.sent);
		check_sum(&r.received);
	}
	s = fuzz_str(data, size);
	iperf_snmp_parse(s, &u, err);
	free(s);
	return 0;
}
