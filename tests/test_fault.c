/*
 * test_fault.c - negative-control faults (harness/fault.c): what --inject
 * accepts, the nftables text each fault puts on the taps (egress: before
 * the capture, toward the guest; ingress: after the capture, from it), the
 * XDP faults on taps (before the capture, from the guest), and the
 * "faults" section of a point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "util.h"

/* ---- parsing ---------------------------------------------------------- */

static struct fault parse_ok(const char *s)
{
	struct fault f = { 0 };
	char err[ERRLEN] = "";

	if (fault_parse(s, &f, err) != 0)
		fail_msg("'%s' refused: %s", s, err);
	return f;
}

static void parse_bad(const char *s, const char *msg)
{
	struct fault f = { 0 };
	char err[ERRLEN] = "";

	if (fault_parse(s, &f, err) != -1)
		fail_msg("'%s' accepted", s);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, msg);
}

static void test_parse_each(void **state)
{
	struct fault f;

	(void)state;
	f = parse_ok("drop=30");
	assert_int_equal(f.drop_pct, 30);
	assert_true(fault_on_taps(&f));
	f = parse_ok("drop=30%");
	assert_int_equal(f.drop_pct, 30);
	assert_int_equal(parse_ok("drop=1").drop_pct, 1);
	assert_int_equal(parse_ok("drop=100").drop_pct, 100);
	assert_true(parse_ok("drop-frag").drop_frag);
	assert_int_equal(parse_ok("drop-over=1400").drop_over, 1400);
	assert_int_equal(parse_ok("drop-over=68").drop_over, 68);
	assert_int_equal(parse_ok("drop-over=65535").drop_over, 65535);
	f = parse_ok("vlan-rewrite=10:20");
	assert_int_equal(f.n_vlan, 1);
	assert_int_equal(f.vlan[0].from, 10);
	assert_int_equal(f.vlan[0].to, 20);
	assert_int_equal(f.vlan[0].nic, -1);
	f = parse_ok("vlan-rewrite=4094:1");
	assert_int_equal(f.vlan[0].from, 4094);
	assert_int_equal(f.vlan[0].to, 1);
	f = parse_ok("vlan-rewrite=10:20@1");
	assert_int_equal(f.n_vlan, 1);
	assert_int_equal(f.vlan[0].nic, 1);
	assert_true(fault_on_taps(&f));
	assert_int_equal(parse_ok("vlan-rewrite=10:20@0").vlan[0].nic, 0);
	assert_int_equal(parse_ok("vlan-rewrite=10:20@15").vlan[0].nic, 15);
	assert_true(parse_ok("corrupt-tcp").corrupt_tcp);
	assert_true(parse_ok("drop-mcast").drop_mcast);
	assert_int_equal(parse_ok("drop-udp=20").drop_udp, 20);
	assert_int_equal(parse_ok("drop-udp=5%").drop_udp, 5);
	assert_true(parse_ok("drop-tftp").drop_tftp);
	f = parse_ok("corrupt-icmp");
	assert_true(f.corrupt_icmp);
	assert_true(fault_on_taps(&f));	/* XDP on the taps */
	f = parse_ok("drop-reply=20");
	assert_int_equal(f.drop_reply, 20);
	assert_true(fault_on_taps(&f));
	assert_int_equal(parse_ok("drop-reply=100%").drop_reply, 100);
	f = parse_ok("s4-fresh-boot");
	assert_true(f.s4_fresh_boot);
	assert_false(fault_on_taps(&f));	/* the suspend case acts on it */
	/* the cases act on these, not the taps */
	f = parse_ok("mcast-allmulti");
	assert_true(f.mcast_allmulti);
	assert_false(fault_on_taps(&f));
	f = parse_ok("vlan-promisc");
	assert_true(f.vlan_promisc);
	assert_false(fault_on_taps(&f));
	f = parse_ok("reload-no-unload");
	assert_true(f.reload_no_unload);
	assert_false(fault_on_taps(&f));
	f = parse_ok("bond-no-flap");
	assert_true(f.bond_no_flap);
	f = parse_ok("lacp-bridge,lacp-l2-hash,lacp-no-flap");
	assert_true(f.lacp_bridge && f.lacp_l2_hash && f.lacp_no_flap);
	assert_false(fault_on_taps(&f));
	assert_false(fault_on_taps(&f));
	f = parse_ok("arp-flux");
	assert_true(f.arp_flux);
	f = parse_ok("udp-blackhole");
	assert_true(f.udp_blackhole);
	f = parse_ok("icmp-blackhole,icmp-ratelimit");
	assert_true(f.icmp_blackhole && f.icmp_ratelimit);
	assert_false(fault_on_taps(&f));
	f = parse_ok("host-stall");
	assert_true(f.host_stall);
	assert_false(fault_on_taps(&f));
	assert_false(fault_on_taps(&f));
	f = parse_ok("hang=ping");
	assert_string_equal(f.hang, "ping");
	assert_false(fault_on_taps(&f));	/* a control for the runner */
	f = parse_ok("hang=abcdefghijklmnopqrstuvwxyz01234");	/* 31 bytes */
	assert_int_equal(strlen(f.hang), 31);
	/* an empty option is no fault at all */
	f = parse_ok("");
	assert_false(fault_on_taps(&f));
	assert_false(f.s4_fresh_boot);
	assert_string_equal(f.hang, "");
}

static void test_parse_several(void **state)
{
	struct fault f;
	char err[ERRLEN];

	(void)state;
	f = parse_ok("drop=5, drop-frag ,vlan-rewrite=100:200");
	assert_int_equal(f.drop_pct, 5);
	assert_true(f.drop_frag);
	assert_int_equal(f.vlan[0].from, 100);
	assert_int_equal(f.vlan[0].to, 200);
	assert_false(f.corrupt_tcp);
	/* added to what is there */
	assert_int_equal(fault_parse("drop-tftp", &f, err), 0);
	assert_true(f.drop_tftp);
	assert_int_equal(f.drop_pct, 5);
	/* a later value of the same fault wins */
	assert_int_equal(fault_parse("drop=7", &f, err), 0);
	assert_int_equal(f.drop_pct, 7);
}

/* VLAN rewrites per tap: several, each toward its own NIC, never chained. */
static void test_parse_vlan_per_nic(void **state)
{
	struct fault f;
	char err[ERRLEN];

	(void)state;
	/* the vlan case's crossing: 10 -> 20 toward B, 20 -> 10 toward A */
	f = parse_ok("vlan-rewrite=10:20@1,vlan-rewrite=20:10@0");
	assert_int_equal(f.n_vlan, 2);
	assert_int_equal(f.vlan[0].from, 10);
	assert_int_equal(f.vlan[0].to, 20);
	assert_int_equal(f.vlan[0].nic, 1);
	assert_int_equal(f.vlan[1].from, 20);
	assert_int_equal(f.vlan[1].to, 10);
	assert_int_equal(f.vlan[1].nic, 0);
	/* different ids toward the same tap, and every tap plus one */
	f = parse_ok("vlan-rewrite=10:20@1,vlan-rewrite=30:40@1,"
		     "vlan-rewrite=50:60");
	assert_int_equal(f.n_vlan, 3);
	/* the same id twice toward one tap: which would win? */
	parse_bad("vlan-rewrite=10:20@1,vlan-rewrite=10:30@1",
		  "bad fault 'vlan-rewrite=10:30@1': VLAN id 10 is already "
		  "rewritten toward that NIC");
	parse_bad("vlan-rewrite=10:20,vlan-rewrite=10:30@1",
		  "VLAN id 10 is already rewritten");
	parse_bad("vlan-rewrite=10:20@0,vlan-rewrite=10:30",
		  "VLAN id 10 is already rewritten");
	/* rules on one tap run in order: 10 -> 20 -> 10 would chain */
	parse_bad("vlan-rewrite=10:20@1,vlan-rewrite=20:10@1",
		  "would chain with vlan-rewrite=10:20 on the same tap");
	parse_bad("vlan-rewrite=10:20,vlan-rewrite=30:10@2",
		  "would chain");
	/* the same id toward two different taps is fine */
	f = parse_ok("vlan-rewrite=10:20@0,vlan-rewrite=10:30@1");
	assert_int_equal(f.n_vlan, 2);
	/* at most FAULT_MAX_VLAN; a refusal leaves f as it was */
	f = parse_ok("vlan-rewrite=1:2@0,vlan-rewrite=3:4@0,"
		     "vlan-rewrite=5:6@0,vlan-rewrite=7:8@0");
	assert_int_equal(f.n_vlan, FAULT_MAX_VLAN);
	assert_int_equal(fault_parse("vlan-rewrite=9:10@0", &f, err), -1);
	assert_non_null(strstr(err, "at most 4 VLAN rewrites"));
	assert_int_equal(f.n_vlan, FAULT_MAX_VLAN);
	f = parse_ok("vlan-rewrite=10:20@1");
	assert_int_equal(fault_parse("vlan-rewrite=10:30@1", &f, err), -1);
	assert_int_equal(f.n_vlan, 1);
	assert_int_equal(f.vlan[0].to, 20);
}

/* A rewrite toward a NIC the point does not have is refused, not ignored. */
static void test_check_taps(void **state)
{
	struct fault f;
	char err[ERRLEN] = "";

	(void)state;
	f = parse_ok("vlan-rewrite=10:20@1,vlan-rewrite=20:10@0");
	assert_int_equal(fault_check_taps(&f, 2, err), 0);
	assert_int_equal(fault_check_taps(&f, 1, err), -1);
	assert_string_equal(err, "fault vlan-rewrite=10:20@1: the point has 1 "
			    "NIC under test");
	f = parse_ok("vlan-rewrite=10:20");
	assert_int_equal(fault_check_taps(&f, 1, err), 0);
	f = parse_ok("drop=5,arp-flux");
	assert_int_equal(fault_check_taps(&f, 0, err), 0);
}

static void test_parse_bad(void **state)
{
	(void)state;
	parse_bad("drop=0", "bad fault 'drop=0' (drop=1..100)");
	parse_bad("drop=101", "bad fault 'drop=101'");
	parse_bad("drop=", "bad fault 'drop='");
	parse_bad("drop=-5", "bad fault 'drop=-5'");
	parse_bad("drop=5x", "bad fault 'drop=5x'");
	parse_bad("drop=5%%", "bad fault");
	parse_bad("drop= 5", "bad fault");
	parse_bad("drop=99999999999999999999", "bad fault");
	parse_bad("drop-udp=0", "bad fault 'drop-udp=0' (drop-udp=1..100)");
	parse_bad("drop-udp=101", "bad fault");
	parse_bad("drop-over=67", "bad fault 'drop-over=67' "
		  "(drop-over=68..65535)");
	parse_bad("drop-over=65536", "bad fault");
	parse_bad("drop-over=1500%", "bad fault");
	parse_bad("vlan-rewrite=10:10", "bad fault 'vlan-rewrite=10:10'");
	parse_bad("vlan-rewrite=10", "bad fault 'vlan-rewrite=10' "
		  "(vlan-rewrite=FROM:TO[@NIC], ids 1..4094, NIC 0..15)");
	parse_bad("vlan-rewrite=10:20@", "bad fault");
	parse_bad("vlan-rewrite=10:20@16", "bad fault");
	parse_bad("vlan-rewrite=10:20@-1", "bad fault");
	parse_bad("vlan-rewrite=10:20@a", "bad fault");
	parse_bad("vlan-rewrite=10:20@1@2", "bad fault");
	parse_bad("vlan-rewrite=@1", "bad fault");
	parse_bad("mcast-allmulti=1", "unknown fault");
	parse_bad("reload-no-unload=1", "unknown fault");
	parse_bad("bond-no-flap=1", "unknown fault");
	parse_bad("udp-blackhole=1", "unknown fault");
	parse_bad("vlan-rewrite=0:5", "bad fault");
	parse_bad("vlan-rewrite=5:4095", "bad fault");
	parse_bad("vlan-rewrite=1:2:3", "bad fault");
	parse_bad("vlan-rewrite=a:b", "bad fault");
	parse_bad("vlan-rewrite=:5", "bad fault");
	parse_bad("vlan-rewrite=", "bad fault");
	parse_bad("flap", "unknown fault 'flap' (known: drop=PCT");
	parse_bad("DROP=5", "unknown fault 'DROP=5'");
	parse_bad("drop-frag=1", "unknown fault");
	parse_bad("hang=", "unknown fault 'hang='");
	parse_bad("hang=abcdefghijklmnopqrstuvwxyz012345", "unknown fault");
	parse_bad("drop=5,", "unknown fault ''");
	parse_bad(",", "unknown fault ''");
	/* one bad fault among good ones refuses the whole option */
	parse_bad("drop-frag,drop=0", "bad fault 'drop=0'");
	parse_bad("drop-frag,flap,drop-mcast", "unknown fault 'flap'");
	parse_bad("drop-reply=0", "bad fault 'drop-reply=0' "
		  "(drop-reply=1..100)");
	parse_bad("drop-reply=101", "bad fault");
	parse_bad("corrupt-icmp=1", "unknown fault");
	parse_bad("corrupt-icmp,drop-reply=5", "one of the two at a time");
}

/*
 * BUG (harness/fault.c, fault_parse()): a refused value is still stored, as
 * -1 (f->drop_pct = -1 for "drop=0"), against util.h's "outputs are left
 * untouched on failure"; fault_on_taps() then says yes and fault_rules()
 * writes a share of -1.  main.c exits on the error, so it
 * does not reach a lab today.
 */
static void test_parse_bad_untouched(void **state)
{
	const char *bad[] = {
		"drop=0", "drop-udp=101", "drop-over=67", "vlan-rewrite=10:10",
		"drop-frag,drop=0", "corrupt-icmp,drop-reply=5",
		"vlan-rewrite=10:20@16",
	};
	char err[ERRLEN];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct fault f = { 0 };

		assert_int_equal(fault_parse(bad[i], &f, err), -1);
		if (fault_on_taps(&f))
			fail_msg("'%s' refused, yet the fault is on the taps",
				 bad[i]);
	}
}

/* ---- nft rules ------------------------------------------------------------ */

static const char *const taps[] = { "vnet0", "vnet7", NULL };

/*
 * The body of the chain that hooks hook of device tap (text between its
 * "type filter" line and its closing brace), or NULL when there is none.
 */
static char *chain_body(const char *rules, const char *hook, const char *tap)
{
	char *hdr = g_strdup_printf("    type filter hook %s device \"%s\" "
				    "priority 0;\n", hook, tap);
	const char *s = strstr(rules, hdr), *e;

	if (!s) {
		g_free(hdr);
		return NULL;
	}
	s += strlen(hdr);
	g_free(hdr);
	/* up to the line that closes the chain (an empty chain has none) */
	for (e = s; !g_str_has_prefix(e, "  }\n"); e++) {
		e = strchr(e, '\n');
		assert_non_null(e);
	}
	return g_strndup(s, (gsize)(e - s));
}

static char *rules_for(const char *spec)
{
	struct fault f = parse_ok(spec);
	char *r = fault_rules(&f, "nicq_fault", taps);

	if (!r)
		fail_msg("'%s': no rules", spec);
	return r;
}

/* rule is in the hook chain of every tap, and not in the other hook's. */
static void expect_rule(const char *spec, const char *hook,
			const char *rule, bool both)
{
	char *r = rules_for(spec);
	const char *other = !strcmp(hook, "egress") ? "ingress" : "egress";
	char *line = g_strdup_printf("    %s\n", rule);

	for (int i = 0; taps[i]; i++) {
		char *body = chain_body(r, hook, taps[i]);
		char *obody = chain_body(r, other, taps[i]);

		if (!body || !strstr(body, line))
			fail_msg("'%s': no '%s' on %s of %s in:\n%s", spec,
				 rule, hook, taps[i], r);
		if (both && (!obody || !strstr(obody, line)))
			fail_msg("'%s': no '%s' on %s of %s in:\n%s", spec,
				 rule, other, taps[i], r);
		if (!both && obody && strstr(obody, line))
			fail_msg("'%s': '%s' on %s of %s too:\n%s", spec,
				 rule, other, taps[i], r);
		g_free(body);
		g_free(obody);
	}
	g_free(line);
	g_free(r);
}

static void test_rules_none(void **state)
{
	struct fault f = { 0 };

	(void)state;
	assert_null(fault_rules(&f, "nicq_fault", taps));
	f = parse_ok("hang=ping");
	assert_null(fault_rules(&f, "nicq_fault", taps));
	f = parse_ok("s4-fresh-boot");
	assert_null(fault_rules(&f, "nicq_fault", taps));
	f = parse_ok("s4-fresh-boot,hang=ping");
	assert_false(fault_on_taps(&f));
	assert_null(fault_rules(&f, "nicq_fault", taps));
	/* on the taps, but XDP programs, not nft rules */
	f = parse_ok("corrupt-icmp");
	assert_null(fault_rules(&f, "nicq_fault", taps));
	f = parse_ok("drop-reply=5");
	assert_null(fault_rules(&f, "nicq_fault", taps));
	f = parse_ok("mcast-allmulti,vlan-promisc,arp-flux,reload-no-unload,"
		     "bond-no-flap,lacp-bridge,lacp-l2-hash,lacp-no-flap,"
		     "udp-blackhole,host-stall,icmp-blackhole,icmp-ratelimit");
	assert_null(fault_rules(&f, "nicq_fault", taps));
}

static void test_rules_each(void **state)
{
	(void)state;
	expect_rule("drop=20", "egress",
		    "ip protocol icmp numgen inc mod 100 { 0, 5, 10, 15, 20, "
		    "25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, "
		    "95 } drop", false);
	expect_rule("drop=100", "egress", "ip protocol icmp drop", false);
	expect_rule("drop-frag", "egress",
		    "ip frag-off & 0x1fff != 0 drop", false);
	expect_rule("drop-over=1400", "egress", "ip length > 1400 drop",
		    false);
	expect_rule("vlan-rewrite=10:20", "egress",
		    "vlan id 10 vlan id set 20", false);
	expect_rule("drop-mcast", "egress",
		    "ether type 0x88b5 ether daddr & 01:00:00:00:00:00 == "
		    "01:00:00:00:00:00 drop", false);
	/* both ways: toward the guest before the capture, from it after */
	expect_rule("corrupt-tcp", "egress",
		    "meta l4proto tcp ip length > 1000 @ih,0,8 set 0x55", true);
	expect_rule("drop-udp=50", "ingress",
		    "ip protocol udp ip length > 256 numgen inc mod 100 { 0, 2, "
		    "4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, "
		    "34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, "
		    "62, 64, 66, 68, 70, 72, 74, 76, 78, 80, 82, 84, 86, 88, "
		    "90, 92, 94, 96, 98 } drop", false);
	expect_rule("drop-tftp", "ingress", "meta l4proto udp udp dport 69 drop",
		    false);
}

/*
 * drop=PCT drops exactly PCT of every 100 packets, spread evenly: any
 * ceil(100 / PCT) in a row hold one dropped (the ping case's ten pings
 * after the flood always lose two to drop=20; random drops let all ten
 * through one run in nine).
 */
static void test_rules_share_even(void **state)
{
	(void)state;
	for (int pct = 1; pct < 100; pct++) {
		char *spec = g_strdup_printf("drop=%d", pct);
		char *r = rules_for(spec);
		const char *set = strstr(r, "numgen inc mod 100 { ");
		bool drop[100] = { false };
		int n = 0, run = 0, longest = 0;
		char *end;

		assert_non_null(set);
		set += strlen("numgen inc mod 100 { ");
		for (;;) {
			long v = strtol(set, &end, 10);

			assert_true(end > set);
			assert_true(v >= 0 && v < 100);
			assert_false(drop[v]);
			drop[v] = true;
			n++;
			if (strncmp(end, ", ", 2))
				break;
			set = end + 2;
		}
		assert_true(!strncmp(end, " } drop", 7));
		assert_int_equal(n, pct);
		/* the longest run of packets let through, around the wrap */
		for (int i = 0; i < 200; i++) {
			run = drop[i % 100] ? 0 : run + 1;
			if (run > longest)
				longest = run;
		}
		if (longest + 1 > (100 + pct - 1) / pct)
			fail_msg("drop=%d lets %d in a row through:\n%s", pct,
				 longest, r);
		g_free(r);
		g_free(spec);
	}
}

/* A rewrite toward one NIC is on that tap's egress only. */
static void test_rules_vlan_per_tap(void **state)
{
	char *r = rules_for("vlan-rewrite=10:20@1,vlan-rewrite=20:10@0");
	char *b0 = chain_body(r, "egress", "vnet0");
	char *b1 = chain_body(r, "egress", "vnet7");

	(void)state;
	assert_non_null(b0);
	assert_non_null(b1);
	assert_string_equal(b0, "    vlan id 20 vlan id set 10\n");
	assert_string_equal(b1, "    vlan id 10 vlan id set 20\n");
	assert_null(strstr(r, "ingress"));
	g_free(b0);
	g_free(b1);
	g_free(r);
	/* every tap, and one more toward the second only */
	r = rules_for("vlan-rewrite=10:30,vlan-rewrite=40:50@1");
	b0 = chain_body(r, "egress", "vnet0");
	b1 = chain_body(r, "egress", "vnet7");
	assert_string_equal(b0, "    vlan id 10 vlan id set 30\n");
	assert_string_equal(b1, "    vlan id 10 vlan id set 30\n"
			    "    vlan id 40 vlan id set 50\n");
	g_free(b0);
	g_free(b1);
	g_free(r);
}

/* The table is replaced whole, every chain is closed, one per tap and hook. */
static void test_rules_shape(void **state)
{
	char *r = rules_for("drop=30,drop-tftp");
	int open = 0, close = 0;
	char *body;

	(void)state;
	assert_true(g_str_has_prefix(r, "table netdev nicq_fault\n"
				     "delete table netdev nicq_fault\n"
				     "table netdev nicq_fault {\n"));
	assert_true(g_str_has_suffix(r, "  }\n}\n"));
	for (const char *c = r; *c; c++) {
		open += *c == '{';
		close += *c == '}';
	}
	assert_int_equal(open, close);
	assert_non_null(strstr(r, "  chain egress0 {\n"));
	assert_non_null(strstr(r, "  chain ingress0 {\n"));
	assert_non_null(strstr(r, "  chain egress1 {\n"));
	assert_non_null(strstr(r, "  chain ingress1 {\n"));
	assert_null(strstr(r, "chain egress2"));
	/* the two faults land on their own hooks */
	body = chain_body(r, "egress", "vnet7");
	assert_non_null(strstr(body, "icmp"));
	assert_null(strstr(body, "dport 69"));
	g_free(body);
	body = chain_body(r, "ingress", "vnet7");
	assert_non_null(strstr(body, "dport 69"));
	assert_null(strstr(body, "icmp"));
	g_free(body);
	g_free(r);

	/* egress faults alone: no ingress chain at all */
	r = rules_for("drop=30,drop-frag,drop-over=1400,vlan-rewrite=1:2,"
		      "drop-mcast");
	assert_null(strstr(r, "ingress"));
	body = chain_body(r, "egress", "vnet0");
	assert_non_null(strstr(body, "icmp"));
	assert_non_null(strstr(body, "frag-off"));
	assert_non_null(strstr(body, "ip length > 1400"));
	assert_non_null(strstr(body, "vlan id 1 vlan id set 2"));
	assert_non_null(strstr(body, "0x88b5"));
	g_free(body);
	g_free(r);

	/* the table's name is the caller's */
	{
		struct fault f = parse_ok("drop-frag");
		const char *one[] = { "tap-x", NULL };

		r = fault_rules(&f, "nicq_p42", one);
		assert_true(g_str_has_prefix(r, "table netdev nicq_p42\n"
					     "delete table netdev nicq_p42\n"));
		assert_non_null(strstr(r, "device \"tap-x\""));
		g_free(r);
	}
}

/*
 * The text nft itself accepts: every fault, alone and all together, is
 * checked with `nft -c -f` against two real taps in a private network
 * namespace (the machine's own network is never touched).  Needs root and
 * nft; skipped cleanly without them.
 */
static int nft_check_child(const char *dir)
{
	static const char *const specs[] = {
		"drop=30", "drop=1", "drop=99", "drop-frag", "drop-over=1400", "vlan-rewrite=10:20",
		"corrupt-tcp", "drop-mcast", "drop-udp=20", "drop-tftp",
		"drop=30,drop-frag,drop-over=1400,vlan-rewrite=10:20,"
		"corrupt-tcp,drop-mcast,drop-udp=20,drop-tftp",
		"vlan-rewrite=10:20@1,vlan-rewrite=20:10@0",
	};
	const char *const two[] = { "vnet0", "vnet7", NULL };

	if (unshare(CLONE_NEWNET) < 0)
		return 77;
	if (system("ip tuntap add vnet0 mode tap && "
		   "ip tuntap add vnet7 mode tap") != 0)
		return 77;
	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
		struct fault f = { 0 };
		char err[ERRLEN], *r, *path, *cmd;
		int st;

		if (fault_parse(specs[i], &f, err) < 0)
			return 2;
		r = fault_rules(&f, "nicq_fault", two);
		path = g_strdup_printf("%s/rules-%zu.nft", dir, i);
		if (file_write(path, r, strlen(r), err) < 0)
			return 3;
		cmd = g_strdup_printf("nft -c -f '%s'", path);
		st = system(cmd);
		if (st != 0) {
			fprintf(stderr, "nft refuses the rules of '%s':\n%s",
				specs[i], r);
			return 1;
		}
		g_free(cmd);
		g_free(path);
		g_free(r);
	}
	return 0;
}

static void test_rules_nft_accepts(void **state)
{
	char *dir, *nft = g_find_program_in_path("nft");
	char *ip = g_find_program_in_path("ip");
	pid_t pid;
	int st = 0;

	(void)state;
	if (geteuid() != 0 || !nft || !ip) {
		g_free(nft);
		g_free(ip);
		print_message("needs root, nft and ip\n");
		skip();
	}
	g_free(nft);
	g_free(ip);
	dir = g_dir_make_tmp("nicq-fault-XXXXXX", NULL);
	assert_non_null(dir);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(nft_check_child(dir));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(rm_rf(dir, NULL), 0);
	g_free(dir);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		print_message("no private network namespace with taps here\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * The XDP faults on real taps: attached in SKB (generic) mode, so that
 * they act before the capture's packet socket (xdp.h), and gone again
 * after fault_xdp_remove().  In a private network namespace; needs root.
 */
static int link_has_xdp(const char *dev)
{
	char *cmd = g_strdup_printf("ip link show dev %s | grep -q "
				    "xdpgeneric", dev);
	int st = system(cmd);

	g_free(cmd);
	return st == 0;
}

static int xdp_child(void)
{
	const char *const two[] = { "vnet0", "vnet7", NULL };
	const char *specs[] = { "corrupt-icmp", "drop-reply=50" };
	char err[ERRLEN];

	if (unshare(CLONE_NEWNET) < 0)
		return 77;
	if (system("ip tuntap add vnet0 mode tap && "
		   "ip tuntap add vnet7 mode tap") != 0)
		return 77;
	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
		struct fault f = { 0 };

		if (fault_parse(specs[i], &f, err) < 0)
			return 2;
		if (fault_xdp_apply(&f, two, err) < 0) {
			fprintf(stderr, "%s: %s\n", specs[i], err);
			return strstr(err, "Operation not permitted") ? 77 : 1;
		}
		if (!link_has_xdp("vnet0") || !link_has_xdp("vnet7"))
			return 3;
		fault_xdp_remove(&f, two);
		if (link_has_xdp("vnet0") || link_has_xdp("vnet7"))
			return 4;
	}
	/* nothing to do for a fault without XDP */
	{
		struct fault f = { .drop_pct = 5 };

		if (fault_xdp_apply(&f, two, err) != 0 || link_has_xdp("vnet0"))
			return 5;
	}
	/* a tap that is not there */
	{
		struct fault f = { .corrupt_icmp = true };
		const char *const none[] = { "vnet9", NULL };

		if (fault_xdp_apply(&f, none, err) != -1 ||
		    !strstr(err, "vnet9"))
			return 6;
	}
	return 0;
}

static void test_xdp_on_taps(void **state)
{
	char *ip = g_find_program_in_path("ip");
	pid_t pid;
	int st = 0;

	(void)state;
	if (geteuid() != 0 || !ip) {
		g_free(ip);
		print_message("needs root and ip\n");
		skip();
	}
	g_free(ip);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(xdp_child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		print_message("no private network namespace with taps or no "
			      "bpf() here\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- the point's "faults" section ------------------------------------------ */

static void test_describe(void **state)
{
	struct fault f = parse_ok("drop=30,drop-frag,drop-over=1400,"
				  "vlan-rewrite=10:20,corrupt-tcp,drop-mcast,"
				  "drop-udp=20,drop-tftp,corrupt-icmp,"
				  "hang=ping,s4-fresh-boot,mcast-allmulti,"
				  "vlan-promisc,arp-flux,reload-no-unload,"
				  "bond-no-flap,lacp-bridge,lacp-l2-hash,"
				  "lacp-no-flap,udp-blackhole,host-stall,"
				  "icmp-blackhole,icmp-ratelimit");
	const char *names[] = {
		"drop", "drop-frag", "drop-over", "vlan-rewrite",
		"corrupt-tcp", "drop-mcast", "drop-udp", "drop-tftp",
		"corrupt-icmp", "hang", "s4-fresh-boot", "mcast-allmulti",
		"vlan-promisc", "arp-flux", "reload-no-unload",
		"bond-no-flap", "lacp-bridge", "lacp-l2-hash", "lacp-no-flap",
		"udp-blackhole", "host-stall", "icmp-blackhole",
		"icmp-ratelimit",
	};
	JsonArray *a = json_array_new();

	(void)state;
	fault_describe(&f, a);
	assert_int_equal(json_array_get_length(a), G_N_ELEMENTS(names));
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		const char *d = json_object_get_string_member(o, "detail");

		assert_int_equal(json_object_get_size(o), 2);
		assert_string_equal(json_object_get_string_member(o, "fault"),
				    names[i]);
		assert_non_null(d);
		assert_true(*d);
	}
	/* the numbers are in the details */
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 0), "detail"),
		"30 of every 100"));
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 2), "detail"), "1400"));
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 3), "detail"),
		"VLAN id 10 rewritten to 20"));
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 6), "detail"),
		"20 of every 100"));
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 8), "detail"),
		"before the capture"));
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 9), "detail"), "ping"));
	json_array_unref(a);

	a = json_array_new();
	f = parse_ok("drop-reply=35");
	fault_describe(&f, a);
	assert_int_equal(json_array_get_length(a), 1);
	assert_string_equal(json_object_get_string_member(
		json_array_get_object_element(a, 0), "fault"), "drop-reply");
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 0), "detail"), "35%"));
	json_array_unref(a);

	/* a rewrite per NIC says which */
	a = json_array_new();
	f = parse_ok("vlan-rewrite=10:20@1,vlan-rewrite=20:10@0");
	fault_describe(&f, a);
	assert_int_equal(json_array_get_length(a), 2);
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 0), "detail"),
		"VLAN id 10 rewritten to 20 toward NIC 1 only"));
	assert_non_null(strstr(json_object_get_string_member(
		json_array_get_object_element(a, 1), "detail"),
		"VLAN id 20 rewritten to 10 toward NIC 0 only"));
	json_array_unref(a);

	/* one fault, one object; adds to what is there; none, nothing */
	a = json_array_new();
	f = parse_ok("drop-tftp");
	fault_describe(&f, a);
	assert_int_equal(json_array_get_length(a), 1);
	f = parse_ok("drop=5");
	fault_describe(&f, a);
	assert_int_equal(json_array_get_length(a), 2);
	assert_string_equal(json_object_get_string_member(
		json_array_get_object_element(a, 1), "fault"), "drop");
	memset(&f, 0, sizeof(f));
	fault_describe(&f, a);
	assert_int_equal(json_array_get_length(a), 2);
	json_array_unref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_each),
		cmocka_unit_test(test_parse_several),
		cmocka_unit_test(test_parse_vlan_per_nic),
		cmocka_unit_test(test_check_taps),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_bad_untouched),
		cmocka_unit_test(test_rules_none),
		cmocka_unit_test(test_rules_each),
		cmocka_unit_test(test_rules_share_even),
		cmocka_unit_test(test_rules_vlan_per_tap),
		cmocka_unit_test(test_rules_shape),
		cmocka_unit_test(test_rules_nft_accepts),
		cmocka_unit_test(test_xdp_on_taps),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
