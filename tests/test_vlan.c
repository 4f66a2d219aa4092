/*
 * test_vlan - the 802.1Q analyzer against the fixtures fixtures/pcap/vlan-*,
 * written by tests/fixgen_vlan.c; the counts below follow from the contents
 * that fixgen_vlan.c lists above each of its writers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "util.h"
#include "vlan.h"

#define A	"192.0.2.10"
#define B	"192.0.2.20"
#define C	"192.0.2.30"
#define D	"192.0.2.40"
#define GW	"192.0.2.1"
#define X1	"198.51.100.1"
#define X2	"198.51.100.2"

static char *fixture(const char *name)
{
	return g_build_filename(NICQ_SRCDIR, "fixtures", "pcap", name, NULL);
}

static struct vlan_report *analyze(const char *name, const char *a,
				   const char *b)
{
	char err[ERRLEN] = "";
	char *path = fixture(name);
	struct vlan_report *r = NULL;
	int rc = vlan_analyze(path, a, b, &r, err);

	if (rc != 0)
		print_error("%s: %s\n", name, err);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	g_free(path);
	return r;
}

#define CHECK(got, want, field, what)					\
	do {								\
		if ((long)(got) != (long)(want)) {			\
			print_error("%s: " field " is %ld, want %ld\n",	\
				    what, (long)(got), (long)(want));	\
			bad = true;					\
		}							\
	} while (0)

/*
 * Compare the report with frames, pair_frames and exactly the VIDs in
 * want[], naming each mismatch, and check the report's own invariants.
 */
static void check(const struct vlan_report *r, unsigned frames,
		  unsigned pair_frames, const struct vlan_count *want,
		  size_t n)
{
	unsigned sum = 0;
	bool bad = false;
	size_t i;

	CHECK(r->frames, frames, "frames", "report");
	CHECK(r->pair_frames, pair_frames, "pair_frames", "report");
	CHECK(r->n, n, "n", "report");
	if (r->n == 0 && r->counts) {
		print_error("counts not NULL with n 0\n");
		bad = true;
	}
	for (i = 0; i < r->n; i++) {
		const struct vlan_count *g = &r->counts[i];
		char what[32];

		g_snprintf(what, sizeof(what), "counts[%zu]", i);
		sum += g->frames;
		if (i > 0 && r->counts[i - 1].vid >= g->vid) {
			print_error("counts not sorted at %zu\n", i);
			bad = true;
		}
		if (g->vid < -1 || g->vid > 4095 || g->frames == 0) {
			print_error("%s: vid %d with %u frames\n", what,
				    g->vid, g->frames);
			bad = true;
		}
		/* Every frame of the pair is in exactly one counter. */
		CHECK(g->arp_requests + g->arp_replies + g->echo_requests +
		      g->echo_replies + g->other, g->frames,
		      "sum of counters", what);
	}
	CHECK(sum, r->pair_frames, "sum of counts[].frames", "report");
	for (i = 0; i < n; i++) {
		const struct vlan_count *e = &want[i];
		const struct vlan_count *g = vlan_report_vid(r, e->vid);
		char what[32];

		g_snprintf(what, sizeof(what), "vid %d", e->vid);
		if (!g) {
			print_error("%s: no counts\n", what);
			bad = true;
			continue;
		}
		CHECK(g->vid, e->vid, "vid", what);
		CHECK(g->frames, e->frames, "frames", what);
		CHECK(g->arp_requests, e->arp_requests, "arp_requests", what);
		CHECK(g->arp_replies, e->arp_replies, "arp_replies", what);
		CHECK(g->echo_requests, e->echo_requests, "echo_requests",
		      what);
		CHECK(g->echo_replies, e->echo_replies, "echo_replies", what);
		CHECK(g->other, e->other, "other", what);
		CHECK(g->from_b, e->from_b, "from_b", what);
	}
	assert_false(bad);
}

/* A on VID 10 asks for B on VID 20 and hears nothing back. */
static void test_isolated(void **state)
{
	static const struct vlan_count w[] = {
		{ .vid = 10, .frames = 5, .arp_requests = 5 },
	};
	struct vlan_report *r = analyze("vlan-isolated.pcap", A, B);

	(void)state;
	check(r, 9, 5, w, G_N_ELEMENTS(w));
	assert_null(vlan_report_vid(r, 20));
	assert_null(vlan_report_vid(r, -1));
	vlan_report_free(r);
}

/* A's probe and announcement belong to any pair A is in. */
static void test_isolated_gateway(void **state)
{
	static const struct vlan_count w[] = {
		{ .vid = 10, .frames = 3, .arp_requests = 3 },
	};
	struct vlan_report *r = analyze("vlan-isolated.pcap", A, GW);

	(void)state;
	check(r, 9, 3, w, G_N_ELEMENTS(w));
	vlan_report_free(r);
}

/*
 * C's announcement belongs to any pair C is in, the probe for D to any pair
 * D is in; nothing in the capture is B's and the gateway's.
 */
static void test_isolated_others(void **state)
{
	/* C's announcement is C's: the pair's b (from_b); the probe for D
	 * is D's: its a */
	static const struct vlan_count c[] = {
		{ .vid = 10, .frames = 1, .arp_requests = 1, .from_b = 1 },
	};
	static const struct vlan_count d[] = {
		{ .vid = 10, .frames = 1, .arp_requests = 1 },
	};
	struct vlan_report *r;

	(void)state;
	r = analyze("vlan-isolated.pcap", B, C);
	check(r, 9, 1, c, G_N_ELEMENTS(c));
	vlan_report_free(r);
	r = analyze("vlan-isolated.pcap", D, B);
	check(r, 9, 1, d, G_N_ELEMENTS(d));
	vlan_report_free(r);
	r = analyze("vlan-isolated.pcap", B, GW);
	check(r, 9, 0, NULL, 0);
	assert_null(vlan_report_vid(r, 10));
	vlan_report_free(r);
}

/* B sent the ARP reply and the echo replies */
static const struct vlan_count same[] = {
	{ .vid = 10, .frames = 13, .arp_requests = 1, .arp_replies = 1,
	  .echo_requests = 5, .echo_replies = 5, .other = 1, .from_b = 6 },
};

static void test_same(void **state)
{
	struct vlan_report *r = analyze("vlan-same.pcap", A, B);

	(void)state;
	check(r, 19, 13, same, G_N_ELEMENTS(same));
	assert_null(vlan_report_vid(r, -1));
	assert_null(vlan_report_vid(r, 30));
	vlan_report_free(r);
}

/* The order of the pair does not matter, but for who is b. */
static void test_same_reversed(void **state)
{
	static const struct vlan_count w[] = {
		{ .vid = 10, .frames = 13, .arp_requests = 1,
		  .arp_replies = 1, .echo_requests = 5, .echo_replies = 5,
		  .other = 1, .from_b = 7 },
	};
	struct vlan_report *r = analyze("vlan-same.pcap", B, A);

	(void)state;
	check(r, 19, 13, w, G_N_ELEMENTS(w));
	vlan_report_free(r);
}

/* The noise in vlan-same, judged as pairs of its own. */
static void test_same_noise(void **state)
{
	static const struct vlan_count cd[] = {
		{ .vid = -1, .frames = 3, .arp_requests = 1,
		  .echo_requests = 1, .echo_replies = 1, .from_b = 1 },
	};
	static const struct vlan_count x[] = {
		{ .vid = 30, .frames = 1, .echo_requests = 1, .from_b = 1 },
	};
	static const struct vlan_count ac[] = {
		{ .vid = 10, .frames = 1, .echo_requests = 1 },
	};
	struct vlan_report *r;

	(void)state;
	r = analyze("vlan-same.pcap", C, D);
	check(r, 19, 3, cd, G_N_ELEMENTS(cd));
	vlan_report_free(r);
	r = analyze("vlan-same.pcap", X2, X1);
	check(r, 19, 1, x, G_N_ELEMENTS(x));
	vlan_report_free(r);
	r = analyze("vlan-same.pcap", A, C);
	check(r, 19, 1, ac, G_N_ELEMENTS(ac));
	vlan_report_free(r);
	r = analyze("vlan-same.pcap", B, C);
	check(r, 19, 0, NULL, 0);
	vlan_report_free(r);
}

/* Two echo replies leak untagged: they must show up under -1. */
static void test_leak(void **state)
{
	static const struct vlan_count w[] = {
		{ .vid = -1, .frames = 2, .echo_replies = 2, .from_b = 2 },
		{ .vid = 10, .frames = 11, .arp_requests = 1,
		  .arp_replies = 1, .echo_requests = 5, .echo_replies = 3,
		  .other = 1, .from_b = 4 },
	};
	struct vlan_report *r = analyze("vlan-leak.pcap", A, B);

	(void)state;
	check(r, 19, 13, w, G_N_ELEMENTS(w));
	assert_int_equal(r->counts[0].vid, -1);
	assert_int_equal(r->counts[1].vid, 10);
	vlan_report_free(r);
}

/* B answers on VID 30. */
static void test_wrongvid(void **state)
{
	static const struct vlan_count w[] = {
		{ .vid = 10, .frames = 7, .arp_requests = 1,
		  .echo_requests = 5, .other = 1 },
		{ .vid = 30, .frames = 6, .arp_replies = 1,
		  .echo_replies = 5, .from_b = 6 },
	};
	struct vlan_report *r = analyze("vlan-wrongvid.pcap", A, B);

	(void)state;
	check(r, 19, 13, w, G_N_ELEMENTS(w));
	assert_null(vlan_report_vid(r, -1));
	vlan_report_free(r);
}

/* Stacked tags count under the outer VID, whatever its TPID. */
static void test_qinq(void **state)
{
	static const struct vlan_count w[] = {
		{ .vid = 10, .frames = 1, .echo_replies = 1, .from_b = 1 },
		{ .vid = 100, .frames = 8, .arp_requests = 1,
		  .arp_replies = 1, .echo_requests = 3, .echo_replies = 2,
		  .other = 1, .from_b = 3 },
		{ .vid = 200, .frames = 2, .echo_requests = 1,
		  .echo_replies = 1, .from_b = 1 },
		{ .vid = 300, .frames = 1, .echo_requests = 1 },
	};
	struct vlan_report *r = analyze("vlan-qinq.pcap", A, B);

	(void)state;
	check(r, 13, 12, w, G_N_ELEMENTS(w));
	assert_null(vlan_report_vid(r, 20));
	vlan_report_free(r);
}

static void test_garbage(void **state)
{
	static const struct vlan_count w[] = {
		{ .vid = -1, .frames = 3, .arp_replies = 1,
		  .echo_requests = 1, .echo_replies = 1, .from_b = 2 },
		{ .vid = 0, .frames = 1, .echo_requests = 1 },
		{ .vid = 10, .frames = 9, .arp_requests = 1,
		  .arp_replies = 1, .echo_requests = 1, .other = 6,
		  .from_b = 2 },
		{ .vid = 4095, .frames = 1, .echo_replies = 1, .from_b = 1 },
	};
	struct vlan_report *r = analyze("vlan-garbage.pcap", A, B);

	(void)state;
	check(r, 46, 14, w, G_N_ELEMENTS(w));
	vlan_report_free(r);
}

/* A failing call leaves *out alone and says why. */
static void expect_fail(const char *path, const char *a, const char *b,
			const char *msg_start)
{
	struct vlan_report *r = (struct vlan_report *)&r;
	char err[ERRLEN] = "";

	assert_int_equal(vlan_analyze(path, a, b, &r, err), -1);
	assert_ptr_equal(r, (struct vlan_report *)&r);
	if (strncmp(err, msg_start, strlen(msg_start)) != 0) {
		print_error("err '%s' does not start with '%s'\n", err,
			    msg_start);
		fail();
	}
}

static void test_errors(void **state)
{
	char *same_path = fixture("vlan-same.pcap");
	char *sll = fixture("vlan-sll.pcap");
	char *missing = fixture("no-such.pcap");
	char *notpcap = g_build_filename(NICQ_SRCDIR, "tests",
					 "test_vlan.c", NULL);

	(void)state;
	expect_fail(missing, A, B, "cannot open '");
	expect_fail(notpcap, A, B, "cannot open '");
	expect_fail(same_path, "192.0.2", B, "invalid IPv4 address '192.0.2'");
	expect_fail(same_path, A, "guest-b", "invalid IPv4 address 'guest-b'");
	expect_fail(same_path, A, "2001:db8::1",
		    "invalid IPv4 address '2001:db8::1'");
	expect_fail(same_path, A, "192.0.2.010",
		    "invalid IPv4 address '192.0.2.010'");
	expect_fail(same_path, A, A, "invalid pair: '" A "' and '" A "'");
	expect_fail(sll, A, B, "cannot analyze '");
	g_free(same_path);
	g_free(sll);
	g_free(missing);
	g_free(notpcap);
}

/*
 * A file cut short: inside a record it is a read error, after the file
 * header an empty capture, inside the header it cannot be opened.
 */
static void test_cut_file(void **state)
{
	char *src = fixture("vlan-same.pcap"), *buf = NULL, *dir, *path;
	struct vlan_report *r = NULL;
	char err[ERRLEN] = "";
	size_t len = 0;

	(void)state;
	assert_int_equal(file_read(src, &buf, &len, err), 0);
	dir = g_dir_make_tmp("nicq-vlan-XXXXXX", NULL);
	assert_non_null(dir);
	path = g_build_filename(dir, "cut.pcap", NULL);

	assert_int_equal(file_write(path, buf, len - 30, err), 0);
	expect_fail(path, A, B, "cannot read '");

	assert_int_equal(file_write(path, buf, 24, err), 0);
	assert_int_equal(vlan_analyze(path, A, B, &r, err), 0);
	check(r, 0, 0, NULL, 0);
	assert_null(vlan_report_vid(r, -1));
	vlan_report_free(r);

	assert_int_equal(file_write(path, buf, 10, err), 0);
	expect_fail(path, A, B, "cannot open '");

	assert_int_equal(rm_rf(dir, err), 0);
	g_free(path);
	g_free(dir);
	g_free(buf);
	g_free(src);
}

static void test_lookup(void **state)
{
	struct vlan_report *r = analyze("vlan-garbage.pcap", A, B);

	(void)state;
	assert_non_null(vlan_report_vid(r, -1));
	assert_non_null(vlan_report_vid(r, 0));
	assert_non_null(vlan_report_vid(r, 4095));
	assert_null(vlan_report_vid(r, -2));
	assert_null(vlan_report_vid(r, 1));
	assert_null(vlan_report_vid(r, 4096));
	assert_null(vlan_report_vid(r, 10 + 4096));
	vlan_report_free(r);
	assert_null(vlan_report_vid(NULL, 10));
	vlan_report_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolated),
		cmocka_unit_test(test_isolated_gateway),
		cmocka_unit_test(test_isolated_others),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_same_reversed),
		cmocka_unit_test(test_same_noise),
		cmocka_unit_test(test_leak),
		cmocka_unit_test(test_wrongvid),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cut_file),
		cmocka_unit_test(test_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
