/*
 * fuzz_ledger - ledger_snap_parse() (harness/ledger.c): the counters a
 * guest prints for the loss ledger (ip -j -s -s link, softnet_stat,
 * /proc/net/snmp, ethtool -S), then the arithmetic on two readings.
 */
#include "fuzz.h"
#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger_snap a, b;
	struct ledger l;
	struct ledger_sum s;
	char err[512], names[256];
	size_t half = size / 2;

	if (ledger_snap_parse((const char *)data, size, &a, err) < 0)
		return 0;
	FUZZ_CHECK(a.n_keys >= 0 && a.n_keys <= LEDGER_MAX_KEYS);
	for (int i = 0; i < a.n_keys; i++)
		FUZZ_CHECK(ledger_drop_key(a.keys[i].name));
	/* the second half as the reading after */
	if (ledger_snap_parse((const char *)data + half, size - half, &b,
			      err) < 0)
		b = a;
	FUZZ_CHECK(ledger_ethtool_delta(&a, &b, false, names,
					sizeof(names)) >= LEDGER_UNKNOWN);
	FUZZ_CHECK(strlen(names) < sizeof(names));
	ledger_init(&l, 16);
	ledger_count(&l, true, "sender", "sent", b.rx_packets);
	ledger_drop(&l, true, "tap", "tx_dropped",
		    ledger_delta(a.tx_dropped, b.tx_dropped, a.have_link));
	ledger_count(&l, true, "tap", "tap", a.rx_packets);
	ledger_drop(&l, false, "guest kernel", "rcvbuf",
		    ledger_delta(a.udp_rcvbuf, b.udp_rcvbuf, b.have_udp));
	ledger_count(&l, false, "receiver", "got", b.udp_in);
	ledger_settle(&l, &s);
	FUZZ_CHECK(s.silent >= 0 && s.host_silent <= s.silent);
	FUZZ_CHECK(s.n_gaps <= 2);
	return 0;
}
