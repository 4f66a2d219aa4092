/*
 * test_echo - the pcap echo analyzer against the fixtures in fixtures/pcap/,
 * written by tests/fixgen.c; the counts below follow from the contents that
 * fixgen.c lists above each of its writers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "echo.h"
#include "util.h"

#define HOST	"192.0.2.1"
#define GUEST	"192.0.2.2"
#define OTHER	"192.0.2.3"

struct want {
	unsigned frames, other_frames, orphans, orphan_frames;
	size_t n_flows;
};

static char *fixture(const char *name)
{
	return g_build_filename(NICQ_SRCDIR, "fixtures", "pcap", name, NULL);
}

static struct echo_report *analyze(const char *name, const char *src,
				   const char *dst)
{
	char err[ERRLEN] = "";
	char *path = fixture(name);
	struct echo_report *r = NULL;
	int rc = echo_analyze(path, src, dst, &r, err);

	if (rc != 0)
		print_error("%s: %s\n", name, err);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	g_free(path);
	return r;
}

#define CHECK(got, want, field, what)					\
	do {								\
		if ((unsigned long)(got) != (unsigned long)(want)) {	\
			print_error("%s: " field " is %lu, want %lu\n",	\
				    what, (unsigned long)(got),		\
				    (unsigned long)(want));		\
			bad = true;					\
		}							\
	} while (0)

/* Compare the report and every flow, naming each mismatch, then fail. */
static void check(const struct echo_report *r, const struct want *w,
		  const struct echo_flow *flows, size_t n)
{
	unsigned sum = 0;
	bool bad = false;
	size_t i;

	CHECK(r->frames, w->frames, "frames", "report");
	CHECK(r->other_frames, w->other_frames, "other_frames", "report");
	CHECK(r->orphans, w->orphans, "orphans", "report");
	CHECK(r->orphan_frames, w->orphan_frames, "orphan_frames", "report");
	CHECK(r->n_flows, w->n_flows, "n_flows", "report");
	for (i = 0; i < r->n_flows; i++) {
		sum += r->flows[i].fragments;
		if (i > 0 && r->flows[i - 1].ident >= r->flows[i].ident) {
			print_error("flows not sorted at %zu\n", i);
			bad = true;
		}
	}
	/* Every frame is in exactly one bucket. */
	CHECK(r->other_frames + r->orphan_frames + sum, r->frames,
	      "other + orphan + flow frames", "report");
	for (i = 0; i < n; i++) {
		const struct echo_flow *e = &flows[i];
		const struct echo_flow *g = echo_report_flow(r, e->ident);
		char what[32];

		g_snprintf(what, sizeof(what), "ident 0x%04x", e->ident);
		if (!g) {
			print_error("%s: no flow\n", what);
			bad = true;
			continue;
		}
		CHECK(g->requests, e->requests, "requests", what);
		CHECK(g->replies, e->replies, "replies", what);
		CHECK(g->req_incomplete, e->req_incomplete, "req_incomplete",
		      what);
		CHECK(g->rep_incomplete, e->rep_incomplete, "rep_incomplete",
		      what);
		CHECK(g->req_fragmented, e->req_fragmented, "req_fragmented",
		      what);
		CHECK(g->rep_fragmented, e->rep_fragmented, "rep_fragmented",
		      what);
		CHECK(g->fragments, e->fragments, "fragments", what);
		CHECK(g->payload_min, e->payload_min, "payload_min", what);
		CHECK(g->payload_max, e->payload_max, "payload_max", what);
		CHECK(g->bad_replies, e->bad_replies, "bad_replies", what);
		CHECK(g->unmatched_replies, e->unmatched_replies,
		      "unmatched_replies", what);
		CHECK(g->unanswered, e->unanswered, "unanswered", what);
		CHECK(g->unanswered_tail, e->unanswered_tail,
		      "unanswered_tail", what);
		/* a bad reply's place; none: -1 and -1 */
		CHECK(g->bad_first_seq, e->bad_replies ? e->bad_first_seq : -1,
		      "bad_first_seq", what);
		CHECK(g->bad_first_byte, e->bad_replies ? e->bad_first_byte
			: -1, "bad_first_byte", what);
		/* every complete request is answered, badly or not at all */
		CHECK(g->replies + g->bad_replies + g->unanswered, g->requests,
		      "replies + bad + unanswered", what);
		if (g->requests && (!g->req_first_us ||
				    g->req_last_us < g->req_first_us)) {
			print_error("%s: request times %lld..%lld\n", what,
				    (long long)g->req_first_us,
				    (long long)g->req_last_us);
			bad = true;
		}
	}
	assert_false(bad);
}

static void test_clean(void **state)
{
	static const struct want w = { 137, 11, 0, 0, 4 };
	static const struct echo_flow f[] = {
		{ .ident = 0x1001, .requests = 5, .replies = 5,
		  .fragments = 10, .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1002, .requests = 3, .replies = 3,
		  .req_fragmented = 3, .rep_fragmented = 3, .fragments = 18,
		  .payload_min = 4096, .payload_max = 4096 },
		{ .ident = 0x1003, .requests = 1, .replies = 1,
		  .req_fragmented = 1, .rep_fragmented = 1, .fragments = 90,
		  .payload_min = 65507, .payload_max = 65507 },
		{ .ident = 0x1004, .requests = 3, .replies = 3,
		  .req_fragmented = 1, .rep_fragmented = 1, .fragments = 8,
		  .payload_min = 0, .payload_max = 1473 },
	};
	struct echo_report *r = analyze("echo-clean.pcap", HOST, GUEST);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	/* The guest pinging the host is not a flow of host -> guest. */
	assert_null(echo_report_flow(r, 0x2001));
	assert_null(echo_report_flow(r, 0x9999));
	echo_report_free(r);
}

/* The same capture judged the other way round: only the guest's ping. */
static void test_clean_reversed(void **state)
{
	static const struct want w = { 137, 135, 0, 0, 1 };
	static const struct echo_flow f[] = {
		{ .ident = 0x2001, .requests = 1, .replies = 1,
		  .fragments = 2, .payload_min = 56, .payload_max = 56 },
	};
	struct echo_report *r = analyze("echo-clean.pcap", GUEST, HOST);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	echo_report_free(r);
}

/* Another host pinging the guest with an ident the host also uses. */
static void test_clean_other_host(void **state)
{
	static const struct want w = { 137, 135, 0, 0, 1 };
	static const struct echo_flow f[] = {
		{ .ident = 0x1001, .requests = 1, .replies = 1,
		  .fragments = 2, .payload_min = 56, .payload_max = 56 },
	};
	struct echo_report *r = analyze("echo-clean.pcap", OTHER, GUEST);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	echo_report_free(r);
}

static void test_loss(void **state)
{
	static const struct want w = { 35, 2, 0, 0, 3 };
	static const struct echo_flow f[] = {
		{ .ident = 0x1101, .requests = 10, .replies = 8,
		  .fragments = 19, .payload_min = 56, .payload_max = 56,
		  .unmatched_replies = 1, .unanswered = 2 },
		{ .ident = 0x1102, .requests = 2, .replies = 1,
		  .req_fragmented = 2, .rep_fragmented = 1, .fragments = 9,
		  .payload_min = 4096, .payload_max = 4096, .unanswered = 1,
		  .unanswered_tail = 1 },
		/* the short reply: the 64 bytes it has agree, its length not */
		{ .ident = 0x1103, .requests = 2, .replies = 1,
		  .fragments = 5, .payload_min = 100, .payload_max = 100,
		  .bad_replies = 1, .bad_first_seq = 1, .bad_first_byte = -1,
		  .unmatched_replies = 1 },
	};
	struct echo_report *r = analyze("echo-loss.pcap", HOST, GUEST);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	echo_report_free(r);
}

static void test_lostfrag(void **state)
{
	static const struct want w = { 40, 2, 2, 3, 5 };
	static const struct echo_flow f[] = {
		{ .ident = 0x1201, .requests = 3, .replies = 2,
		  .rep_incomplete = 1, .req_fragmented = 3,
		  .rep_fragmented = 2, .fragments = 17,
		  .payload_min = 4096, .payload_max = 4096, .unanswered = 1 },
		{ .ident = 0x1202, .requests = 1, .replies = 1,
		  .req_incomplete = 1, .req_fragmented = 1,
		  .rep_fragmented = 1, .fragments = 8,
		  .payload_min = 4096, .payload_max = 4096 },
		{ .ident = 0x1203, .requests = 1, .replies = 0,
		  .req_fragmented = 1, .fragments = 3,
		  .payload_min = 4096, .payload_max = 4096, .unanswered = 1,
		  .unanswered_tail = 1 },
		{ .ident = 0x1204, .req_incomplete = 1, .fragments = 5 },
		{ .ident = 0x1205, .req_incomplete = 1, .fragments = 2 },
	};
	struct echo_report *r = analyze("echo-lostfrag.pcap", HOST, GUEST);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	echo_report_free(r);
}

static void test_vlan(void **state)
{
	static const struct want w = { 20, 2, 0, 0, 3 };
	static const struct echo_flow f[] = {
		{ .ident = 0x1301, .requests = 4, .replies = 4,
		  .req_fragmented = 1, .rep_fragmented = 1, .fragments = 12,
		  .payload_min = 56, .payload_max = 4096 },
		{ .ident = 0x1302, .requests = 2, .replies = 2,
		  .fragments = 4, .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1303, .requests = 1, .replies = 1,
		  .fragments = 2, .payload_min = 56, .payload_max = 56 },
	};
	struct echo_report *r = analyze("echo-vlan.pcap", HOST, GUEST);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	echo_report_free(r);
}

static void test_truncated(void **state)
{
	static const struct want w = { 107, 2, 1, 1, 5 };
	static const struct echo_flow f[] = {
		{ .ident = 0x1401, .requests = 3, .replies = 3,
		  .fragments = 6, .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1402, .requests = 1, .replies = 1,
		  .req_fragmented = 1, .rep_fragmented = 1, .fragments = 90,
		  .payload_min = 65507, .payload_max = 65507 },
		{ .ident = 0x1403, .requests = 1, .fragments = 1,
		  .payload_min = 1000, .payload_max = 1000, .unanswered = 1,
		  .unanswered_tail = 1 },
		{ .ident = 0x1404, .requests = 1, .replies = 1,
		  .req_fragmented = 1, .rep_fragmented = 1, .fragments = 6,
		  .payload_min = 4096, .payload_max = 4096 },
		{ .ident = 0x1405, .requests = 1, .fragments = 1,
		  .payload_min = 56, .payload_max = 56, .unanswered = 1,
		  .unanswered_tail = 1 },
	};
	struct echo_report *r = analyze("echo-truncated.pcap", HOST, GUEST);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	assert_null(echo_report_flow(r, 0x1406));
	echo_report_free(r);
}

static void test_garbage(void **state)
{
	static const struct want w = { 56, 36, 1, 1, 3 };
	static const struct echo_flow f[] = {
		{ .ident = 0x1501, .requests = 5, .replies = 5,
		  .fragments = 10, .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1502, .requests = 1, .replies = 1,
		  .fragments = 2, .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1503, .requests = 1, .replies = 1,
		  .req_incomplete = 1, .req_fragmented = 1,
		  .rep_fragmented = 1, .fragments = 7,
		  .payload_min = 4096, .payload_max = 4096 },
	};
	struct echo_report *r = analyze("echo-garbage.pcap", HOST, GUEST);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	assert_null(echo_report_flow(r, 0x1504));
	echo_report_free(r);
}

/*
 * Replies that do not carry their request's payload count as bad, never
 * as replies, however the difference shows: captured bytes, the checksum
 * (bytes beyond the snaplen), or the checksum alone.  Unanswered requests
 * split into lost ones (an answer came after them) and the tail.
 */
static void test_corrupt(void **state)
{
	static const struct want w = { 47, 2, 0, 0, 8 };
	static const struct echo_flow f[] = {
		{ .ident = 0x1701, .requests = 4, .replies = 2,
		  .bad_replies = 2, .bad_first_seq = 2, .bad_first_byte = 20,
		  .unmatched_replies = 1, .fragments = 9,
		  .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1702, .requests = 2, .replies = 1,
		  .bad_replies = 1, .bad_first_seq = 1, .bad_first_byte = -1,
		  .req_fragmented = 2, .rep_fragmented = 1, .fragments = 12,
		  .payload_min = 4096, .payload_max = 4096 },
		{ .ident = 0x1703, .requests = 1, .bad_replies = 1,
		  .bad_first_seq = 1, .bad_first_byte = -1, .fragments = 2,
		  .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1704, .requests = 6, .replies = 3,
		  .unanswered = 3, .unanswered_tail = 2, .fragments = 9,
		  .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1705, .requests = 4, .replies = 1,
		  .bad_replies = 1, .bad_first_seq = 3, .bad_first_byte = 40,
		  .unanswered = 2, .unanswered_tail = 1, .fragments = 6,
		  .payload_min = 56, .payload_max = 56 },
		{ .ident = 0x1706, .requests = 3, .unanswered = 3,
		  .unanswered_tail = 3, .fragments = 3,
		  .payload_min = 100, .payload_max = 100 },
		{ .ident = 0x1707, .requests = 1, .bad_replies = 1,
		  .bad_first_seq = 1, .bad_first_byte = -1, .fragments = 2,
		  .payload_min = 1000, .payload_max = 1000 },
		{ .ident = 0x1708, .requests = 1, .replies = 1,
		  .fragments = 2 },
	};
	struct echo_report *r = analyze("echo-corrupt.pcap", HOST, GUEST);
	const struct echo_flow *a = echo_report_flow(r, 0x1704);
	const struct echo_flow *b = echo_report_flow(r, 0x1708);

	(void)state;
	check(r, &w, f, G_N_ELEMENTS(f));
	/* fixgen: 10 ms between pings, 50 us a frame, 200 us to a reply */
	assert_int_equal(a->req_last_us - a->req_first_us,
			 3 * 10300 + 2 * 10050);
	assert_int_equal(b->req_first_us, b->req_last_us);
	assert_true(b->req_first_us > a->req_last_us);
	/* lost: the tail is excused only up to what was in flight */
	assert_int_equal(echo_flow_lost(a, 0), 3);
	assert_int_equal(echo_flow_lost(a, -5), 3);
	assert_int_equal(echo_flow_lost(a, 1), 2);
	assert_int_equal(echo_flow_lost(a, 2), 1);
	assert_int_equal(echo_flow_lost(a, 100), 1);	/* seq 2 stays lost */
	assert_int_equal(echo_flow_lost(echo_report_flow(r, 0x1706), 2), 1);
	assert_int_equal(echo_flow_lost(echo_report_flow(r, 0x1706), 3), 0);
	assert_int_equal(echo_flow_lost(b, 1), 0);
	assert_int_equal(echo_flow_lost(NULL, 1), 0);
	echo_report_free(r);
}

/* A failing call leaves *out alone and says why. */
static void expect_fail(const char *path, const char *src, const char *dst,
			const char *msg_start)
{
	struct echo_report *r = (struct echo_report *)&r;
	char err[ERRLEN] = "";

	assert_int_equal(echo_analyze(path, src, dst, &r, err), -1);
	assert_ptr_equal(r, (struct echo_report *)&r);
	if (strncmp(err, msg_start, strlen(msg_start)) != 0) {
		print_error("err '%s' does not start with '%s'\n", err,
			    msg_start);
		fail();
	}
}

static void test_errors(void **state)
{
	char *clean = fixture("echo-clean.pcap");
	char *raw = fixture("echo-rawip.pcap");
	char *missing = fixture("no-such.pcap");

	(void)state;
	expect_fail(missing, HOST, GUEST, "cannot open '");
	expect_fail(clean, "192.0.2", GUEST, "invalid IPv4 address '192.0.2'");
	expect_fail(clean, HOST, "guest", "invalid IPv4 address 'guest'");
	expect_fail(raw, HOST, GUEST, "cannot analyze '");
	g_free(clean);
	g_free(raw);
	g_free(missing);
}

/* A file cut short: in its header it cannot be opened, in a record read. */
static void test_cut_file(void **state)
{
	char *src = fixture("echo-loss.pcap"), *buf = NULL, *dir, *path;
	char err[ERRLEN] = "";
	size_t len = 0;

	(void)state;
	assert_int_equal(file_read(src, &buf, &len, err), 0);
	dir = g_dir_make_tmp("nicq-echo-XXXXXX", NULL);
	assert_non_null(dir);
	path = g_build_filename(dir, "cut.pcap", NULL);

	assert_int_equal(file_write(path, buf, len - 30, err), 0);
	expect_fail(path, HOST, GUEST, "cannot read '");
	assert_int_equal(file_write(path, buf, 10, err), 0);
	expect_fail(path, HOST, GUEST, "cannot open '");

	assert_int_equal(rm_rf(dir, err), 0);
	g_free(path);
	g_free(dir);
	g_free(buf);
	g_free(src);
}

static void test_null(void **state)
{
	(void)state;
	echo_report_free(NULL);
	assert_null(echo_report_flow(NULL, 1));
}

/*
 * Replies captured after a flow's time are late (a ping that stopped
 * waiting never counted them): echo-clean's ident 0x1001 sends each reply
 * 200 us after its request, so after the last request only the fifth
 * reply comes; none after a time past the file, all after one before it.
 */
static void test_late(void **state)
{
	struct echo_report *r = analyze("echo-clean.pcap", HOST, GUEST), *l;
	const struct echo_flow *f = echo_report_flow(r, 0x1001), *g;
	char *path = fixture("echo-clean.pcap");
	char err[ERRLEN] = "";
	struct echo_until u[3];

	(void)state;
	assert_non_null(f);
	assert_int_equal(f->late_replies, 0);	/* no time given */
	u[0] = (struct echo_until){ 0x1001, f->req_last_us };
	u[1] = (struct echo_until){ 0x1001, 1 };	/* the first counts */
	u[2] = (struct echo_until){ 0x1003, 1 };
	assert_int_equal(echo_analyze_until(path, HOST, GUEST, u, 3, &l, err),
			 0);
	g = echo_report_flow(l, 0x1001);
	assert_int_equal(g->replies, 5);
	assert_int_equal(g->late_replies, 1);
	g = echo_report_flow(l, 0x1003);
	assert_int_equal(g->late_replies, g->replies);
	assert_int_equal(echo_report_flow(l, 0x1002)->late_replies, 0);
	echo_report_free(l);
	/* by span: more than (last - first request) after the first */
	u[0] = (struct echo_until){ 0x1001, 0,
				    f->req_last_us - f->req_first_us };
	assert_int_equal(echo_analyze_until(path, HOST, GUEST, u, 1, &l, err),
			 0);
	assert_int_equal(echo_report_flow(l, 0x1001)->late_replies, 1);
	echo_report_free(l);
	u[0] = (struct echo_until){ 0x1001, 0, 0 };
	u[0].until_us = f->req_last_us + 3600LL * G_USEC_PER_SEC;
	assert_int_equal(echo_analyze_until(path, HOST, GUEST, u, 1, &l, err),
			 0);
	assert_int_equal(echo_report_flow(l, 0x1001)->late_replies, 0);
	echo_report_free(l);
	echo_report_free(r);
	g_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_clean_reversed),
		cmocka_unit_test(test_clean_other_host),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_lostfrag),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cut_file),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_late),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
