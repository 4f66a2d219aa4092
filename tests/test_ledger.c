/*
 * test_ledger.c - the loss ledger's arithmetic (where loss happened,
 * what explains it, what is silent) and the parsing of the counters it
 * reads, on fixtures (fixtures/ledger/: the output of ledger_snap_cmd()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "ledger.h"
#include "util.h"

/* host -> guest UDP, the layers as the stress case records them */
static void to_guest(struct ledger *l, long long tap, long long tap_drop,
		     long long dev_drop, long long rcvbuf, long long rcvd)
{
	ledger_init(l, 16);
	ledger_count(l, true, "sender", "host iperf3 datagrams sent", 1000);
	ledger_drop(l, true, "host", "UDP SndbufErrors", 0);
	ledger_count(l, true, "tap", "datagrams on the tap", tap);
	ledger_drop(l, true, "tap", "tx_dropped", tap_drop);
	ledger_drop(l, false, "device/driver", "rx_dropped", dev_drop);
	ledger_drop(l, false, "device/driver", "rx_missed_errors", 0);
	ledger_drop(l, false, "guest kernel", "softnet dropped", 0);
	ledger_drop(l, false, "guest kernel", "UDP RcvbufErrors", rcvbuf);
	ledger_count(l, false, "receiver", "guest iperf3 datagrams received",
		     rcvd);
}

static void test_explained(void **state)
{
	struct ledger l;
	struct ledger_sum s;

	(void)state;
	/* the tap carries the connect datagram too: one more than sent */
	to_guest(&l, 1001, 300, 0, 50, 651);
	ledger_settle(&l, &s);
	assert_int_equal(s.sent, 1000);
	assert_int_equal(s.received, 651);
	assert_int_equal(s.n_gaps, 2);
	assert_int_equal(s.gaps[0].lost, -1);
	assert_int_equal(s.gaps[0].silent, 0);
	assert_true(s.gaps[0].host);
	assert_int_equal(s.gaps[1].lost, 350);
	assert_int_equal(s.gaps[1].counted, 350);
	assert_int_equal(s.gaps[1].silent, 0);
	assert_false(s.gaps[1].host);
	assert_int_equal(s.silent, 0);
	assert_int_equal(s.lost, 349);
	assert_int_equal(s.host_counted, 0);	/* the tap's is not the host's */
	/* the first counter in path order that moved */
	assert_string_equal(s.began, "tap: tx_dropped (+300)");
}

static void test_silent_guest(void **state)
{
	struct ledger l;
	struct ledger_sum s;

	(void)state;
	to_guest(&l, 1000, 0, 0, 0, 700);
	ledger_settle(&l, &s);
	assert_int_equal(s.silent, 300);
	assert_int_equal(s.host_silent, 0);
	assert_int_equal(s.gaps[1].silent, 300);
	assert_string_equal(s.gaps[1].where,
			    "between tap (datagrams on the tap) and receiver "
			    "(guest iperf3 datagrams received): tap, "
			    "device/driver, guest kernel");
	assert_non_null(strstr(s.began, "silent loss between tap"));
	/* counters that explain part of it leave the rest silent */
	to_guest(&l, 1000, 100, 50, 0, 700);
	ledger_settle(&l, &s);
	assert_int_equal(s.gaps[1].counted, 150);
	assert_int_equal(s.silent, 150);
	assert_string_equal(s.began, "tap: tx_dropped (+100)");
	/* within the slack (16) it is not silent */
	to_guest(&l, 1000, 0, 0, 0, 984);
	ledger_settle(&l, &s);
	assert_int_equal(s.silent, 0);
	assert_string_equal(s.began, "");
	to_guest(&l, 1000, 0, 0, 0, 983);
	ledger_settle(&l, &s);
	assert_int_equal(s.silent, 17);
	/* counters that moved more (other traffic) never fail */
	to_guest(&l, 1000, 0, 500, 0, 700);
	ledger_settle(&l, &s);
	assert_int_equal(s.silent, 0);
	assert_int_equal(s.gaps[1].counted, 500);
	/* a count with a slack of its own: the unread tail at the end */
	to_guest(&l, 1000, 0, 0, 0, 1000);
	l.n--;
	ledger_count(&l, false, "guest kernel", "UDP InDatagrams", 1000);
	ledger_count_slack(&l, false, "receiver", "read", 900, 100);
	ledger_settle(&l, &s);
	assert_int_equal(s.n_gaps, 3);
	assert_int_equal(s.gaps[2].lost, 100);
	assert_int_equal(s.silent, 0);
	l.e[l.n - 1].v = 899;
	ledger_settle(&l, &s);
	assert_int_equal(s.silent, 101);
	assert_int_equal(s.gaps[2].silent, 101);
}

static void test_silent_host(void **state)
{
	struct ledger l;
	struct ledger_sum s;

	(void)state;
	/* sent 1000, 200 never reached the tap, nothing counted them */
	to_guest(&l, 800, 0, 0, 0, 800);
	ledger_settle(&l, &s);
	assert_int_equal(s.silent, 200);
	assert_int_equal(s.host_silent, 200);
	assert_true(s.gaps[0].host);
	assert_string_equal(s.gaps[0].where,
			    "between sender (host iperf3 datagrams sent) and "
			    "tap (datagrams on the tap): host");
	assert_string_equal(s.began, "silent loss between sender (host "
			    "iperf3 datagrams sent) and tap (datagrams on the "
			    "tap): host");
}

/* A round trip: requests and replies both counted on the tap. */
static void test_round_trip(void **state)
{
	struct ledger l;
	struct ledger_sum s;

	(void)state;
	ledger_init(&l, 0);
	ledger_count(&l, true, "sender", "requests sent", 1000);
	ledger_count(&l, true, "tap", "requests on the tap", 1000);
	ledger_drop(&l, true, "tap", "tx_dropped", 0);
	ledger_drop(&l, false, "device/driver", "guest rx_dropped", 0);
	ledger_drop(&l, false, "device/driver", "guest tx_dropped", 0);
	ledger_drop(&l, true, "tap", "rx_dropped", 0);
	ledger_count_slack(&l, true, "tap", "replies on the tap", 800, 3);
	ledger_count_slack(&l, true, "receiver", "replies counted", 797, 3);
	ledger_settle(&l, &s);
	assert_int_equal(s.n_gaps, 3);
	assert_true(s.gaps[0].host);
	assert_int_equal(s.gaps[1].silent, 200);
	assert_false(s.gaps[1].host);	/* through the guest */
	assert_string_equal(s.gaps[1].where,
			    "between tap (requests on the tap) and tap "
			    "(replies on the tap): tap, device/driver, tap");
	assert_int_equal(s.host_silent, 0);
	assert_true(s.gaps[2].host);
	assert_int_equal(s.gaps[2].silent, 0);	/* within its slack */
}

static void test_unknown(void **state)
{
	struct ledger l;
	struct ledger_sum s;

	(void)state;
	/* an unknown count is skipped: one gap from sender to receiver */
	to_guest(&l, LEDGER_UNKNOWN, 0, LEDGER_UNKNOWN, 0, 900);
	ledger_settle(&l, &s);
	assert_int_equal(s.n_gaps, 1);
	assert_int_equal(s.gaps[0].lost, 100);
	assert_int_equal(s.gaps[0].unknown, 1);
	assert_int_equal(s.gaps[0].silent, 100);
	assert_false(s.gaps[0].host);	/* the receiver is the guest */
	/* the host's stack dropped some, counted: host loss */
	ledger_init(&l, 0);
	ledger_count(&l, false, "sender", "guest sent", 100);
	ledger_count(&l, true, "tap", "on the tap", 100);
	ledger_drop(&l, true, "host kernel (whole machine)", "softnet", 4);
	ledger_drop(&l, true, "host", "UDP RcvbufErrors", 7);
	ledger_count(&l, true, "receiver", "host got", 89);
	ledger_settle(&l, &s);
	assert_int_equal(s.host_counted, 7);
	assert_int_equal(s.silent, 0);
	assert_true(s.gaps[1].host);
	/* one count only: nothing to settle */
	ledger_init(&l, 0);
	ledger_count(&l, true, "sender", "sent", 10);
	ledger_drop(&l, true, "host", "x", 3);
	ledger_settle(&l, &s);
	assert_int_equal(s.n_gaps, 0);
	assert_int_equal(s.sent, 10);
	assert_int_equal(s.received, LEDGER_UNKNOWN);
	/* negative values are unknown; the table is bounded */
	ledger_init(&l, -5);
	assert_int_equal(l.slack, 0);
	for (int i = 0; i < LEDGER_MAX + 5; i++)
		ledger_drop(&l, true, "host", "x", -3);
	assert_int_equal(l.n, LEDGER_MAX);
	assert_int_equal(l.e[0].v, LEDGER_UNKNOWN);
}

static void read_fixture(const char *name, struct ledger_snap *s)
{
	char *path = g_build_filename(NICQ_SRCDIR, "fixtures", "ledger", name,
				      NULL), *text = NULL, err[ERRLEN];
	size_t len = 0;

	assert_int_equal(file_read(path, &text, &len, NULL), 0);
	if (ledger_snap_parse(text, len, s, err) < 0)
		fail_msg("%s: %s", name, err);
	g_free(text);
	g_free(path);
}

static void test_snap(void **state)
{
	struct ledger_snap a, b, c;
	char names[256];

	(void)state;
	read_fixture("virtio-before.txt", &a);
	read_fixture("virtio-after.txt", &b);
	assert_true(a.have_link && a.have_softnet && a.have_udp &&
		    a.have_ethtool);
	assert_int_equal(a.rx_packets, 1000);
	assert_int_equal(a.rx_dropped, 2);
	assert_int_equal(a.rx_missed, 0);
	assert_int_equal(a.tx_dropped, 0);
	assert_int_equal(a.softnet_dropped, 4);	/* 3 + 1, hexadecimal */
	assert_int_equal(b.softnet_dropped, 11);
	assert_int_equal(a.udp_in_errors, 7);
	assert_int_equal(a.udp_rcvbuf, 5);
	assert_int_equal(a.udp_csum, 2);
	assert_int_equal(a.udp_in, 500);
	/* the Ip and Icmp lines (IcmpMsg is not Icmp) */
	assert_true(a.have_ip && a.have_icmp && b.have_ip && b.have_icmp);
	assert_int_equal(a.icmp_in_echos, 30);
	assert_int_equal(a.icmp_out_echo_reps, 30);
	assert_int_equal(ledger_delta(a.icmp_in_echos, b.icmp_in_echos,
				      true), 3);
	assert_int_equal(ledger_delta(a.icmp_out_echo_reps,
				      b.icmp_out_echo_reps, true), 2);
	assert_int_equal(ledger_delta(a.icmp_out_errors, b.icmp_out_errors,
				      true), 1);
	assert_int_equal(ledger_delta(a.icmp_in_errors, b.icmp_in_errors,
				      true), 0);
	assert_int_equal(b.ip_in_discards, 3);
	assert_int_equal(b.ip_reasm_fails, 1);
	assert_int_equal(b.ip_out_discards, 1);
	/* of ethtool -S, the drop counters only */
	assert_int_equal(a.n_keys, 3);
	assert_string_equal(a.keys[0].name, "rx_queue_0_drops");
	assert_int_equal(a.keys[0].v, 4);
	assert_int_equal(ledger_delta(a.rx_dropped, b.rx_dropped,
				      a.have_link && b.have_link), 10);
	assert_int_equal(ledger_delta(a.rx_missed, b.rx_missed, true), 6);
	assert_int_equal(ledger_delta(a.udp_rcvbuf, b.udp_rcvbuf, true), 90);
	assert_int_equal(ledger_delta(5, 4, true), LEDGER_UNKNOWN);
	/* ethtool counters beyond the link's: the same drops count once */
	assert_int_equal(ledger_beyond(5078, 5078), 0);
	assert_int_equal(ledger_beyond(20, 16), 4);
	assert_int_equal(ledger_beyond(3, 10), 0);
	assert_int_equal(ledger_beyond(7, LEDGER_UNKNOWN), 7);
	assert_int_equal(ledger_beyond(LEDGER_UNKNOWN, 3), LEDGER_UNKNOWN);
	assert_int_equal(ledger_delta(1, 4, false), LEDGER_UNKNOWN);
	/* receive overruns: missed_errors +6 and over_errors +1 */
	assert_int_equal(ledger_rx_overrun(&a, &b), 7);
	assert_int_equal(ledger_rx_overrun(&a, &a), 0);
	assert_int_equal(ledger_rx_overrun(&b, &a), 0);	/* went backwards */
	assert_int_equal(ledger_delta(LEDGER_UNKNOWN, 4, true),
			 LEDGER_UNKNOWN);
	assert_int_equal(ledger_ethtool_delta(&a, &b, false, names,
					      sizeof(names)), 20);
	assert_string_equal(names, "rx_queue_0_drops +20");
	assert_int_equal(ledger_ethtool_delta(&a, &b, true, names,
					      sizeof(names)), 3);
	assert_string_equal(names, "tx_queue_0_xdp_tx_drops +3");
	/* a driver without statistics */
	read_fixture("e1000-noethtool.txt", &c);
	assert_false(c.have_ethtool);
	assert_true(c.have_link);
	assert_int_equal(c.rx_missed, LEDGER_UNKNOWN);	/* not printed */
	assert_int_equal(ledger_ethtool_delta(&c, &c, false, names,
					      sizeof(names)),
			 LEDGER_UNKNOWN);
	assert_string_equal(names, "");
}

static void test_snap_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"nothing here\n",
		"@@ip\n",
		"@@ip\nnot json\n",
		"@@ip\n[]\n",
		"@@ip\n[{\"ifname\":\"x\"}]\n",
		"@@ip\n[{\"stats64\":{\"rx\":{\"packets\":1},\"tx\":{}}}]\n",
		"@@softnet\n",
		"@@softnet\n0000zz 1\n",
		"@@softnet\n00000001\n",
		"@@softnet\n0 11111111111111111\n",
		"@@snmp\nIp: a b\nIp: 1 2\n",
		"@@snmp\nUdp: InDatagrams InErrors RcvbufErrors\nUdp: 1 2\n",
		"@@snmp\nUdp: InDatagrams InErrors\nUdp: 1 x\n",
		NULL,
	};
	struct ledger_snap s;
	char err[ERRLEN];

	(void)state;
	for (int i = 0; bad[i]; i++) {
		err[0] = '\0';
		if (ledger_snap_parse(bad[i], strlen(bad[i]), &s, err) == 0)
			fail_msg("parsed: %s", bad[i]);
		assert_true(err[0] != '\0');
	}
	/* sections in any order, each ending where the next begins */
	{
		const char *ok = "@@softnet\n0 2\n0 3\n@@snmp\nUdp: InErrors "
				 "RcvbufErrors\nUdp: 4 1\n";

		if (ledger_snap_parse(ok, strlen(ok), &s, err) < 0)
			fail_msg("%s", err);
	}
	assert_int_equal(s.softnet_dropped, 5);
	assert_int_equal(s.udp_in_errors, 4);
	assert_false(s.have_link);
	/* Ip and Icmp are optional: missing or malformed, left unknown */
	assert_false(s.have_ip || s.have_icmp);
	assert_int_equal(s.icmp_in_echos, LEDGER_UNKNOWN);
	{
		const char *ok = "@@snmp\nIp: InDiscards ReasmFails\nIp: 1\n"
				 "Icmp: InEchos OutEchoReps\nIcmp: x 2\n"
				 "Udp: InErrors RcvbufErrors\nUdp: 4 1\n";

		if (ledger_snap_parse(ok, strlen(ok), &s, err) < 0)
			fail_msg("%s", err);
	}
	assert_false(s.have_ip || s.have_icmp);
	assert_true(s.have_udp);
}

static void test_keys(void **state)
{
	char *cmd;

	(void)state;
	assert_true(ledger_drop_key("rx_queue_0_drops"));
	assert_true(ledger_drop_key("rx_missed_errors"));
	assert_true(ledger_drop_key("rx_lost_in_ring"));
	assert_true(ledger_drop_key("tx_fifo_errors"));
	assert_true(ledger_drop_key("alloc_rx_buff_failed"));
	assert_false(ledger_drop_key("rx_no_buffer_count"));
	assert_false(ledger_drop_key("rx_packets"));
	assert_false(ledger_drop_key("tx_queue_0_kicks"));
	assert_true(ledger_tx_key("tx_queue_0_drops"));
	assert_false(ledger_tx_key("rx_queue_0_drops"));
	cmd = ledger_snap_cmd("'eth0'", true, false);
	assert_true(g_str_has_prefix(cmd, "echo @@ip;"));
	assert_non_null(strstr(cmd, "ip -j -s -s link show dev 'eth0';"));
	assert_non_null(strstr(cmd, "ethtool -S 'eth0'"));
	g_free(cmd);
	cmd = ledger_snap_cmd("'tap0'", false, true);
	assert_true(g_str_has_prefix(cmd, "i=0; a=; while"));
	assert_non_null(strstr(cmd, "done < /proc/net/snmp; [ \"$a\" = "
			       "\"$b\" ] && break;"));
	assert_non_null(strstr(cmd, "sleep 0.2; "));
	assert_null(strstr(cmd, "usleep"));
	assert_null(strstr(cmd, "ethtool -S"));
	assert_non_null(strstr(cmd, "echo @@ethtool;"));
	g_free(cmd);
}

/*
 * The command as the host runs it (sh -c), on this machine's loopback:
 * what the shell's read and echo copy parses like the files themselves,
 * and the settle loop ends.
 */
static void test_snap_cmd_runs(void **state)
{
	char *cmd = ledger_snap_cmd("'lo'", false, true);
	char *argv[] = { "sh", "-c", cmd, NULL };
	char err[ERRLEN] = "";
	struct proc_result r;
	struct ledger_snap s;

	(void)state;
	assert_int_equal(spawn_run(argv, 20000, &r, err), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(ledger_snap_parse(r.out, strlen(r.out), &s, err), 0);
	assert_true(s.have_udp);
	assert_true(s.have_softnet);
	/* the snmp section starts as the file does */
	assert_non_null(strstr(r.out, "@@snmp\nIp: Forwarding"));
	proc_result_clear(&r);
	g_free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explained),
		cmocka_unit_test(test_snap_cmd_runs),
		cmocka_unit_test(test_silent_guest),
		cmocka_unit_test(test_silent_host),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_snap),
		cmocka_unit_test(test_snap_bad),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
