/*
 * test_tap.c - TAP writer and YAML diagnostics, compared byte for byte.
 *
 * The sample runs at the end are also kept as the files under fixtures/tap/, which
 * tests/tap-consumers.sh feeds to prove and to node's tap-parser.  Run with
 * NICQ_REGENERATE=1 to rewrite them after a deliberate format change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

/* ---- helpers -------------------------------------------------------- */

struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static void sink_open(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
}

static const char *sink_text(struct sink *s)
{
	fflush(s->f);
	return s->buf;
}

static void sink_close(struct sink *s)
{
	fclose(s->f);
	free(s->buf);
}

static void expect_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		print_error("--- want ---\n%s--- got ---\n%s--- end ---\n",
			    want, got);
		fail();
	}
}

static int warnings;

static void count_warning(const gchar *domain, GLogLevelFlags level,
			  const gchar *message, gpointer data)
{
	(void)domain;
	(void)level;
	(void)message;
	(void)data;
	warnings++;
}

/* The YAML block a one-entry diag renders as, for table tests. */
static char *render_one(void (*add)(struct diag *, const void *),
			const void *arg)
{
	struct sink s;
	struct tap *t;
	struct diag *d = diag_new();
	char *text;

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	add(d, arg);
	tap_point(t, TAP_OK, "x", NULL, d);
	text = g_strdup(sink_text(&s) + strlen("TAP version 14\nok 1 - x\n"));
	tap_free(t);
	diag_free(d);
	sink_close(&s);
	return text;
}

/* ---- runs ----------------------------------------------------------- */

static void test_two_cells(void **state)
{
	struct sink s;
	struct tap *t;
	struct diag *d;
	(void)state;

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_plan(t, 2);

	tap_subtest_begin(t, "e1000");
	tap_plan(t, 2);
	tap_point(t, TAP_OK, "ping", NULL, NULL);
	d = diag_new();
	diag_int(d, "expected_mtu", 9000);
	diag_int(d, "measured_mtu", 9000);
	tap_point(t, TAP_OK, "jumbo", NULL, d);
	diag_free(d);
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_OK);

	tap_subtest_begin(t, "virtio vhost=off");
	tap_plan(t, 2);
	tap_point(t, TAP_OK, "ping", NULL, NULL);
	d = diag_new();
	diag_str(d, "expected", "all %d frames delivered", 100);
	diag_str(d, "measured", "%d of %d frames delivered", 97, 100);
	diag_list(d, "artifacts");
	diag_str(d, NULL, "results/run-1/virtio-off/multicast/host.pcap");
	diag_end(d);
	tap_point(t, TAP_NOT_OK, "multicast", NULL, d);
	diag_free(d);
	d = diag_new();
	diag_num(d, "duration_s", 12.5);
	assert_int_equal(tap_subtest_end(t, "virtio vhost=off", NULL, d),
			 TAP_NOT_OK);
	diag_free(d);

	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "1..2\n"
		    "# Subtest: e1000\n"
		    "    1..2\n"
		    "    ok 1 - ping\n"
		    "    ok 2 - jumbo\n"
		    "      ---\n"
		    "      expected_mtu: 9000\n"
		    "      measured_mtu: 9000\n"
		    "      ...\n"
		    "ok 1 - e1000\n"
		    "# Subtest: virtio vhost=off\n"
		    "    1..2\n"
		    "    ok 1 - ping\n"
		    "    not ok 2 - multicast\n"
		    "      ---\n"
		    "      expected: all 100 frames delivered\n"
		    "      measured: \"97 of 100 frames delivered\"\n"
		    "      artifacts:\n"
		    "        - results/run-1/virtio-off/multicast/host.pcap\n"
		    "      ...\n"
		    "not ok 2 - virtio vhost=off\n"
		    "  ---\n"
		    "  duration_s: 12.5\n"
		    "  ...\n");
	assert_int_equal(tap_failures(t), 1);
	assert_false(tap_io_error(t));
	tap_free(t);
	sink_close(&s);
}

static void test_skipped_cell(void **state)
{
	struct sink s;
	struct tap *t;
	(void)state;

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_plan(t, 5);
	tap_subtest_begin(t, "e1000");
	tap_plan(t, 1);
	tap_point(t, TAP_OK, "ping", NULL, NULL);
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_OK);
	/* known before any guest boots: no subtest at all */
	tap_point(t, TAP_SKIP, "virtio vhost=on",
		  "vhost-net not available on this host", NULL);
	/* an empty subtest with a reason */
	tap_subtest_begin(t, "rtl8139");
	assert_int_equal(tap_subtest_end(t, NULL, "QEMU lacks rtl8139", NULL),
			 TAP_SKIP);
	/* every case skipped: SKIP with a reason, ok without one */
	tap_subtest_begin(t, "e1000e");
	tap_point(t, TAP_SKIP, "jumbo", "no jumbo", NULL);
	assert_int_equal(tap_subtest_end(t, NULL, "nothing ran", NULL),
			 TAP_SKIP);
	tap_subtest_begin(t, "ne2k_pci");
	tap_point(t, TAP_SKIP, "jumbo", NULL, NULL);
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_OK);

	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "1..5\n"
		    "# Subtest: e1000\n"
		    "    1..1\n"
		    "    ok 1 - ping\n"
		    "ok 1 - e1000\n"
		    "ok 2 - virtio vhost=on # SKIP vhost-net not available on this host\n"
		    "# Subtest: rtl8139\n"
		    "    1..0 # SKIP QEMU lacks rtl8139\n"
		    "ok 3 - rtl8139 # SKIP QEMU lacks rtl8139\n"
		    "# Subtest: e1000e\n"
		    "    ok 1 - jumbo # SKIP no jumbo\n"
		    "    1..1\n"
		    "ok 4 - e1000e # SKIP nothing ran\n"
		    "# Subtest: ne2k_pci\n"
		    "    ok 1 - jumbo # SKIP\n"
		    "    1..1\n"
		    "ok 5 - ne2k_pci\n");
	assert_int_equal(tap_failures(t), 0);
	tap_free(t);
	sink_close(&s);
}

static void test_todo(void **state)
{
	struct sink s;
	struct tap *t;
	(void)state;

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_plan(t, 2);
	/* a known failure does not fail its subtest or the run */
	tap_subtest_begin(t, "e1000");
	tap_point(t, TAP_OK, "ping", NULL, NULL);
	tap_point(t, TAP_TODO, "promisc", "QEMU e1000 # holds back rx", NULL);
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_OK);
	/* next to a real failure the subtest still fails */
	tap_subtest_begin(t, "rtl8139");
	tap_point(t, TAP_TODO, "promisc", "known", NULL);
	tap_point(t, TAP_NOT_OK, "ping", NULL, NULL);
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_NOT_OK);
	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "1..2\n"
		    "# Subtest: e1000\n"
		    "    ok 1 - ping\n"
		    "    not ok 2 - promisc # TODO QEMU e1000 \\# holds back rx\n"
		    "    1..2\n"
		    "ok 1 - e1000\n"
		    "# Subtest: rtl8139\n"
		    "    not ok 1 - promisc # TODO known\n"
		    "    not ok 2 - ping\n"
		    "    1..2\n"
		    "not ok 2 - rtl8139\n");
	assert_int_equal(tap_failures(t), 1);
	tap_free(t);
	sink_close(&s);
}

static void test_version13_and_copy(void **state)
{
	struct sink s, c;
	struct tap *t;
	(void)state;

	sink_open(&s);
	sink_open(&c);
	t = tap_new(s.f, c.f, 13);
	tap_plan(t, 1);
	tap_subtest_begin(t, "e1000");
	tap_point(t, TAP_OK, "ping", NULL, NULL);
	tap_subtest_end(t, NULL, NULL, NULL);
	expect_text(sink_text(&s),
		    "TAP version 13\n"
		    "1..1\n"
		    "# Subtest: e1000\n"
		    "    ok 1 - ping\n"
		    "    1..1\n"
		    "ok 1 - e1000\n");
	expect_text(sink_text(&c), sink_text(&s));
	tap_free(t);

	/* the same stream twice is written once */
	t = tap_new(c.f, c.f, 14);
	tap_free(t);
	expect_text(sink_text(&c) + s.len, "TAP version 14\n");

	assert_null(tap_new(s.f, NULL, 12));
	assert_null(tap_new(s.f, NULL, 15));
	assert_null(tap_new(NULL, NULL, 14));
	sink_close(&s);
	sink_close(&c);
}

static void test_escaping(void **state)
{
	struct sink s;
	struct tap *t;
	(void)state;

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_point(t, TAP_OK, "vlan #42 tagged", NULL, NULL);
	tap_point(t, TAP_OK, "path C:\\tmp\\x # SKIP not really", NULL, NULL);
	tap_point(t, TAP_SKIP, "a#b", "needs #vhost and \\dev", NULL);
	tap_point(t, TAP_NOT_OK, "two\nlines\tand\x1b[1mbold  ", NULL, NULL);
	tap_point(t, TAP_OK, "", NULL, NULL);
	tap_point(t, TAP_OK, NULL, NULL, NULL);
	tap_point(t, TAP_OK, " \n ", NULL, NULL);
	tap_point(t, TAP_SKIP, NULL, "", NULL);
	tap_point(t, TAP_OK, "bad \xff utf-8", NULL, NULL);
	tap_point(t, TAP_OK, "1500 bytes", NULL, NULL);
	tap_comment(t, "multi\nline # text\n\nend\n");
	tap_comment(t, "%s", "");
	tap_subtest_begin(t, "odd # name\\x");
	tap_comment(t, "inside");
	tap_subtest_end(t, NULL, NULL, NULL);
	tap_plan(t, 11);
	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "ok 1 - vlan \\#42 tagged\n"
		    "ok 2 - path C:\\\\tmp\\\\x \\# SKIP not really\n"
		    "ok 3 - a\\#b # SKIP needs \\#vhost and \\\\dev\n"
		    "not ok 4 - two lines and [1mbold\n"
		    "ok 5\n"
		    "ok 6\n"
		    "ok 7\n"
		    "ok 8 # SKIP\n"
		    "ok 9 - bad \xef\xbf\xbd utf-8\n"
		    "ok 10 - 1500 bytes\n"
		    "# multi\n"
		    "# line # text\n"
		    "#\n"
		    "# end\n"
		    "#\n"
		    "# Subtest: odd # name\\x\n"
		    "    # inside\n"
		    "    1..0\n"
		    "ok 11 - odd \\# name\\\\x\n"
		    "1..11\n");
	assert_int_equal(tap_failures(t), 1);
	tap_free(t);
	sink_close(&s);
}

static void test_bail(void **state)
{
	struct sink s;
	struct tap *t;
	(void)state;

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_plan(t, 2);
	tap_subtest_begin(t, "e1000");
	tap_plan(t, 3);
	tap_point(t, TAP_OK, "ping", NULL, NULL);
	tap_subtest_begin(t, "inner");
	tap_bail(t, "lab won't start: libvirtd\nexited");
	/* ignored from here on */
	tap_bail(t, "again");
	tap_point(t, TAP_OK, "late", NULL, NULL);
	tap_comment(t, "late");
	tap_plan(t, 1);
	tap_subtest_begin(t, "late");
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_NOT_OK);
	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "1..2\n"
		    "# Subtest: e1000\n"
		    "    1..3\n"
		    "    ok 1 - ping\n"
		    "    # Subtest: inner\n"
		    "        Bail out! lab won't start: libvirtd exited\n"
		    "    Bail out! lab won't start: libvirtd exited\n"
		    "Bail out! lab won't start: libvirtd exited\n");
	tap_free(t);
	sink_close(&s);

	sink_open(&s);
	t = tap_new(s.f, NULL, 13);
	tap_bail(t, NULL);
	expect_text(sink_text(&s), "TAP version 13\nBail out!\n");
	tap_free(t);
	sink_close(&s);
}

static void test_failures(void **state)
{
	struct sink s;
	struct tap *t;
	(void)state;

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_plan(t, 4);
	assert_int_equal(tap_failures(t), 0);
	/* three failures inside count once, at the top */
	tap_subtest_begin(t, "a");
	tap_point(t, TAP_NOT_OK, "x", NULL, NULL);
	tap_point(t, TAP_NOT_OK, "y", NULL, NULL);
	tap_subtest_begin(t, "nested");
	tap_point(t, TAP_NOT_OK, "z", NULL, NULL);
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_NOT_OK);
	assert_int_equal(tap_failures(t), 0);
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_NOT_OK);
	assert_int_equal(tap_failures(t), 1);
	/* a short subtest fails even though every point passed */
	tap_subtest_begin(t, "short");
	tap_plan(t, 3);
	tap_point(t, TAP_OK, "x", NULL, NULL);
	assert_int_equal(tap_subtest_end(t, NULL, "ignored", NULL), TAP_NOT_OK);
	tap_point(t, TAP_NOT_OK, "top", NULL, NULL);
	tap_point(t, TAP_SKIP, "skipped", "why", NULL);
	assert_int_equal(tap_failures(t), 3);
	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "1..4\n"
		    "# Subtest: a\n"
		    "    not ok 1 - x\n"
		    "    not ok 2 - y\n"
		    "    # Subtest: nested\n"
		    "        not ok 1 - z\n"
		    "        1..1\n"
		    "    not ok 3 - nested\n"
		    "    1..3\n"
		    "not ok 1 - a\n"
		    "# Subtest: short\n"
		    "    1..3\n"
		    "    ok 1 - x\n"
		    "    # planned 3 tests but wrote 1\n"
		    "not ok 2 - short\n"
		    "not ok 3 - top\n"
		    "ok 4 - skipped # SKIP why\n");
	tap_free(t);
	sink_close(&s);
	assert_int_equal(tap_failures(NULL), 0);
}

static void test_io_error(void **state)
{
	struct sink s;
	struct tap *t;
	FILE *full = fopen("/dev/full", "w");
	(void)state;

	if (!full)
		skip();
	sink_open(&s);
	t = tap_new(s.f, full, 14);
	tap_plan(t, 1);
	assert_true(tap_io_error(t));
	/* the main stream is unaffected */
	tap_point(t, TAP_OK, "x", NULL, NULL);
	expect_text(sink_text(&s), "TAP version 14\n1..1\nok 1 - x\n");
	tap_free(t);
	fclose(full);
	sink_close(&s);
	assert_false(tap_io_error(NULL));
}

/* ---- YAML ----------------------------------------------------------- */

static void test_yaml_nesting(void **state)
{
	struct sink s;
	struct tap *t;
	struct diag *d = diag_new();
	(void)state;

	diag_str(d, "case", "jumbo");
	diag_map(d, "expected");
	diag_int(d, "mtu", 9000);
	diag_bool(d, "fragmented", false);
	diag_end(d);
	diag_map(d, "measured");
	diag_int(d, "mtu", 1500);
	diag_list(d, "frames");
	diag_int(d, NULL, 1514);
	diag_int(d, NULL, 9014);
	diag_end(d);
	diag_map(d, "empty");
	diag_end(d);
	diag_list(d, "none");
	diag_end(d);
	diag_end(d);
	diag_list(d, "artifacts");
	diag_map(d, NULL);		/* compact "- key: value" */
	diag_str(d, "kind", "pcap");
	diag_str(d, "path", "results/r1/e1000/jumbo/host.pcap");
	diag_map(d, "size");
	diag_int(d, "bytes", 4096);
	diag_end(d);
	diag_end(d);
	diag_map(d, NULL);		/* first key needs quotes: "-" alone */
	diag_str(d, "rx bytes", "10");
	diag_end(d);
	diag_list(d, NULL);		/* a list in a list */
	diag_str(d, NULL, "a");
	diag_list(d, NULL);
	diag_str(d, NULL, "b");
	diag_end(d);
	diag_end(d);
	diag_map(d, NULL);
	diag_end(d);
	diag_list(d, NULL);
	diag_end(d);
	diag_end(d);
	/* a key given twice keeps its place and takes the new value */
	diag_str(d, "case", "jumbo frames");
	diag_str(d, "yes", "no");

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_subtest_begin(t, "e1000");
	tap_point(t, TAP_NOT_OK, "jumbo", NULL, d);
	tap_subtest_end(t, NULL, NULL, NULL);
	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "# Subtest: e1000\n"
		    "    not ok 1 - jumbo\n"
		    "      ---\n"
		    "      case: jumbo frames\n"
		    "      expected:\n"
		    "        mtu: 9000\n"
		    "        fragmented: false\n"
		    "      measured:\n"
		    "        mtu: 1500\n"
		    "        frames:\n"
		    "          - 1514\n"
		    "          - 9014\n"
		    "        empty: {}\n"
		    "        none: []\n"
		    "      artifacts:\n"
		    "        - kind: pcap\n"
		    "          path: results/r1/e1000/jumbo/host.pcap\n"
		    "          size:\n"
		    "            bytes: 4096\n"
		    "        -\n"
		    "          \"rx bytes\": \"10\"\n"
		    "        -\n"
		    "          - a\n"
		    "          -\n"
		    "            - b\n"
		    "        - {}\n"
		    "        - []\n"
		    "      \"yes\": \"no\"\n"
		    "      ...\n"
		    "    1..1\n"
		    "not ok 1 - e1000\n");
	tap_free(t);
	sink_close(&s);
	diag_free(d);
	diag_free(NULL);
}

static void add_str(struct diag *d, const void *arg)
{
	diag_str(d, "v", "%s", (const char *)arg);
}

static void add_key(struct diag *d, const void *arg)
{
	diag_int(d, arg, 1);
}

/*
 * A list item whose first word ends in ':' is read by prove's YAMLish as an
 * inline map and breaks the whole stream: the writer escapes that colon.
 */
static void test_yaml_list_colons(void **state)
{
	struct sink s;
	struct tap *t;
	struct diag *d = diag_new();

	(void)state;
	sink_open(&s);
	t = tap_new(s.f, NULL, 13);
	tap_plan(t, 1);
	diag_list(d, "items");
	diag_str(d, NULL, "nqabct1: live XML driver=qemu");
	diag_str(d, NULL, "key : value");
	diag_str(d, NULL, "size 64 interval 0.1: ok");
	diag_str(d, NULL, "10:30");
	diag_end(d);
	diag_str(d, "time", "10:30");
	tap_point(t, TAP_OK, "x", NULL, d);
	expect_text(sink_text(&s),
		    "TAP version 13\n1..1\nok 1 - x\n  ---\n  items:\n"
		    "    - \"nqabct1\\x3a live XML driver=qemu\"\n"
		    "    - \"key \\x3a value\"\n"
		    "    - \"size 64 interval 0.1: ok\"\n"
		    "    - \"10\\x3a30\"\n"
		    "  time: \"10:30\"\n  ...\n");
	tap_free(t);
	diag_free(d);
	sink_close(&s);
}

static void test_yaml_quoting(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} values[] = {
		{ "plain text", "plain text" },
		{ "e1000", "e1000" },
		{ "it's fine", "it's fine" },
		{ "a \"quoted\" word", "a \"quoted\" word" },
		{ "C:\\path", "\"C:\\\\path\"" },
		{ "back\\slash", "back\\slash" },
		{ "", "\"\"" },
		{ " lead", "\" lead\"" },
		{ "trail ", "\"trail \"" },
		{ "key: value", "\"key: value\"" },
		{ "ends:", "\"ends:\"" },
		{ "10:30", "\"10:30\"" },
		{ "a # b", "\"a # b\"" },
		{ "a#b", "\"a#b\"" },
		{ "- item", "\"- item\"" },
		{ "---", "\"---\"" },
		{ "...", "\"...\"" },
		{ "? q", "\"? q\"" },
		{ "[1, 2]", "\"[1, 2]\"" },
		{ "{a}", "\"{a}\"" },
		{ "&anchor", "\"&anchor\"" },
		{ "*alias", "\"*alias\"" },
		{ "!tag", "\"!tag\"" },
		{ "|", "\"|\"" },
		{ ">", "\">\"" },
		{ "'single'", "\"'single'\"" },
		{ "\"double\"", "\"\\\"double\\\"\"" },
		{ "%directive", "\"%directive\"" },
		{ "@at", "\"@at\"" },
		{ "`tick", "\"`tick\"" },
		{ "~", "\"~\"" },
		{ "null", "\"null\"" },
		{ "Null", "\"Null\"" },
		{ "true", "\"true\"" },
		{ "False", "\"False\"" },
		{ "yes", "\"yes\"" },
		{ "NO", "\"NO\"" },
		{ "on", "\"on\"" },
		{ "off", "\"off\"" },
		{ "y", "\"y\"" },
		{ "n", "\"n\"" },
		{ "nope", "nope" },
		{ "42", "\"42\"" },
		{ "-1", "\"-1\"" },
		{ "+1", "\"+1\"" },
		{ "1.5", "\"1.5\"" },
		{ ".5", "\".5\"" },
		{ "1e3", "\"1e3\"" },
		{ "0x1f", "\"0x1f\"" },
		{ ".inf", "\".inf\"" },
		{ "1500 bytes", "\"1500 bytes\"" },
		{ "<<", "\"<<\"" },
		{ "=", "\"=\"" },
		{ "line1\nline2\n", "\"line1\\nline2\\n\"" },
		{ "tab\there", "\"tab\\there\"" },
		{ "cr\r", "\"cr\\r\"" },
		{ "bell\a esc\x1b del\x7f", "\"bell\\x07 esc\\x1b del\\x7f\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "nel\xc2\x85", "\"nel\\x85\"" },
		{ "ls\xe2\x80\xa8", "\"ls\\u2028\"" },
		{ "bom\xef\xbb\xbf", "\"bom\\ufeff\"" },
		{ "bad\xff", "\"bad\xef\xbf\xbd\"" },
	};
	static const struct {
		const char *in;
		const char *out;
	} keys[] = {
		{ "mtu", "mtu" },
		{ "rx_bytes", "rx_bytes" },
		{ "tx-errors.total", "tx-errors.total" },
		{ "_x", "_x" },
		{ "rx bytes", "\"rx bytes\"" },
		{ "9000", "\"9000\"" },
		{ "-k", "\"-k\"" },
		{ "a:b", "\"a:b\"" },
		{ "on", "\"on\"" },
		{ "", "\"\"" },
		{ "k\"q", "\"k\\\"q\"" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char *got = render_one(add_str, values[i].in);
		char *want = g_strdup_printf("  ---\n  v: %s\n  ...\n",
					     values[i].out);

		expect_text(got, want);
		g_free(got);
		g_free(want);
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *got = render_one(add_key, keys[i].in);
		char *want = g_strdup_printf("  ---\n  %s: 1\n  ...\n",
					     keys[i].out);

		expect_text(got, want);
		g_free(got);
		g_free(want);
	}
}

static void add_num(struct diag *d, const void *arg)
{
	diag_num(d, "v", *(const double *)arg);
}

static void test_yaml_numbers(void **state)
{
	static const struct {
		double in;
		const char *out;
	} nums[] = {
		{ 0.0, "0" },
		{ 1.0, "1" },
		{ 1500.0, "1500" },
		{ -2.5, "-2.5" },
		{ 0.1, "0.1" },
		{ 12.5, "12.5" },
		{ 123.456, "123.456" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 9412345678.0, "9412345678" },
		{ 1e15, "1000000000000000" },
		{ 1e16, "1.0e+16" },
		{ 1.5e20, "1.5e+20" },
		{ 0.00001, "0.00001" },
		{ 1e-7, "1.0e-07" },
		{ -3.25e-9, "-3.25e-09" },
		{ 5e-324, "5.0e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
	};
	struct sink s;
	struct tap *t;
	struct diag *d;
	(void)state;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		char *got = render_one(add_num, &nums[i].in);
		char *want = g_strdup_printf("  ---\n  v: %s\n  ...\n",
					     nums[i].out);

		expect_text(got, want);
		g_free(got);
		g_free(want);
	}

	d = diag_new();
	diag_num(d, "nan", NAN);
	diag_num(d, "inf", INFINITY);
	diag_num(d, "ninf", -INFINITY);
	diag_int(d, "min", LLONG_MIN);
	diag_int(d, "max", LLONG_MAX);
	diag_bool(d, "t", true);
	diag_bool(d, "f", false);
	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_point(t, TAP_OK, "x", NULL, d);
	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "ok 1 - x\n"
		    "  ---\n"
		    "  nan: .nan\n"
		    "  inf: .inf\n"
		    "  ninf: -.inf\n"
		    "  min: -9223372036854775808\n"
		    "  max: 9223372036854775807\n"
		    "  t: true\n"
		    "  f: false\n"
		    "  ...\n");
	tap_free(t);
	sink_close(&s);
	diag_free(d);
}

static void test_misuse(void **state)
{
	struct sink s;
	struct tap *t;
	struct diag *d = diag_new();
	guint handler;
	(void)state;

	handler = g_log_set_handler(NULL, G_LOG_LEVEL_WARNING, count_warning,
				    NULL);
	warnings = 0;
	diag_int(d, NULL, 1);			/* no key in a map */
	diag_list(d, "l");
	diag_int(d, "k", 2);			/* key in a list */
	diag_map(d, "m");			/* refused... */
	diag_int(d, "inside", 3);		/* ...dropped with it */
	diag_list(d, NULL);
	diag_end(d);
	diag_end(d);				/* ...and balanced */
	diag_int(d, NULL, 4);			/* back in "l" */
	diag_end(d);
	diag_end(d);				/* one too many */
	diag_str(NULL, "k", "v");
	diag_map(NULL, "k");
	diag_end(NULL);
	assert_int_equal(warnings, 6);

	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_point(t, TAP_OK, "x", NULL, d);
	assert_int_equal(tap_subtest_end(t, NULL, NULL, NULL), TAP_NOT_OK);
	tap_plan(t, -1);
	tap_plan(t, 1);
	tap_plan(t, 2);
	assert_int_equal(warnings, 9);
	expect_text(sink_text(&s),
		    "TAP version 14\n"
		    "ok 1 - x\n"
		    "  ---\n"
		    "  l:\n"
		    "    - 4\n"
		    "  ...\n"
		    "1..1\n");
	tap_free(t);
	tap_free(NULL);
	tap_point(NULL, TAP_OK, "x", NULL, NULL);
	tap_plan(NULL, 1);
	tap_comment(NULL, "x");
	tap_subtest_begin(NULL, "x");
	assert_int_equal(tap_subtest_end(NULL, NULL, NULL, NULL), TAP_NOT_OK);
	tap_bail(NULL, "x");
	sink_close(&s);
	diag_free(d);

	/* an empty diag writes no block */
	d = diag_new();
	sink_open(&s);
	t = tap_new(s.f, NULL, 14);
	tap_point(t, TAP_OK, "x", NULL, d);
	expect_text(sink_text(&s), "TAP version 14\nok 1 - x\n");
	tap_free(t);
	sink_close(&s);
	diag_free(d);
	g_log_remove_handler(NULL, handler);
}

/* ---- sample runs: fixtures/tap/ ------------------------------------- */

enum sample { SAMPLE_PASS, SAMPLE_FAIL, SAMPLE_BAIL };

/* A run the way nicq writes one: cells as subtests, cases as points. */
static void sample_run(FILE *out, int version, enum sample kind)
{
	struct tap *t = tap_new(out, NULL, version);
	struct diag *d;

	tap_plan(t, 4);
	tap_comment(t, "nicq sample run (fixtures/tap, from tests/test_tap.c)");

	tap_subtest_begin(t, "e1000");
	tap_plan(t, 3);
	d = diag_new();
	diag_int(d, "sent", 10);
	diag_int(d, "received", 10);
	diag_num(d, "rtt_ms", 0.25);
	tap_point(t, TAP_OK, "ping", NULL, d);
	diag_free(d);
	d = diag_new();
	diag_map(d, "expected");
	diag_int(d, "mtu", 9000);
	diag_str(d, "frames", "unfragmented");
	diag_end(d);
	diag_map(d, "measured");
	diag_int(d, "mtu", kind == SAMPLE_FAIL ? 1500 : 9000);
	diag_list(d, "frame_sizes");
	diag_int(d, NULL, kind == SAMPLE_FAIL ? 1514 : 9014);
	diag_int(d, NULL, 60);
	diag_end(d);
	/* list items whose first word ends in ':' once broke prove's YAMLish */
	diag_list(d, "vhost");
	diag_str(d, NULL, "nqabcdeft1: live XML driver=qemu, qemu vhost=off");
	diag_str(d, NULL, "ping size 64 interval 0.1: loss 0%%");
	diag_end(d);
	diag_bool(d, "fragmented", kind == SAMPLE_FAIL);
	diag_end(d);
	diag_list(d, "artifacts");
	diag_map(d, NULL);
	diag_str(d, "kind", "pcap");
	diag_str(d, "path", "results/sample/e1000/jumbo/host.pcap");
	diag_end(d);
	diag_map(d, NULL);
	diag_str(d, "kind", "transcript");
	diag_str(d, "path", "results/sample/e1000/jumbo/transcript.txt");
	diag_end(d);
	diag_end(d);
	diag_str(d, "note", "ip link set dev eth1 mtu 9000: ok\n"
		 "ping -M do -s 8972 -c 3 198.18.0.1 # \"DF\" set\n"
		 "tab\there, backslash \\ and caf\xc3\xa9");
	diag_str(d, "empty", "%s", "");
	diag_str(d, "looks_like_bool", "yes");
	diag_str(d, "looks_like_number", "0x1f");
	diag_str(d, "time", "10:30");
	diag_str(d, "weird key: \"q\" # h", "-");
	tap_point(t, kind == SAMPLE_FAIL ? TAP_NOT_OK : TAP_OK,
		  "jumbo frames #1 (MTU 9000)", NULL, d);
	diag_free(d);
	tap_point(t, TAP_SKIP, "multicast", "guest lacks smcroute", NULL);
	d = diag_new();
	diag_num(d, "duration_s", 42.5);
	tap_subtest_end(t, NULL, NULL, d);
	diag_free(d);

	tap_subtest_begin(t, "rtl8139");
	tap_plan(t, 2);
	tap_point(t, TAP_OK, "ping", NULL, NULL);
	d = diag_new();
	diag_str(d, "expected", "refused: rtl8139 has no jumbo frames");
	diag_str(d, "measured", "refused (EINVAL)");
	tap_point(t, TAP_OK, "jumbo frames", NULL, d);
	diag_free(d);
	if (kind == SAMPLE_BAIL) {
		tap_bail(t, "lab: libvirtd exited");
		tap_free(t);
		return;
	}
	tap_subtest_end(t, NULL, NULL, NULL);

	tap_subtest_begin(t, "virtio vhost=off");
	tap_plan(t, 2);
	tap_point(t, TAP_OK, "ping", NULL, NULL);
	tap_point(t, TAP_OK, "vlan 100 \\ 200", NULL, NULL);
	tap_subtest_end(t, NULL, NULL, NULL);

	tap_point(t, TAP_SKIP, "virtio vhost=on",
		  "vhost-net not available on this host", NULL);
	tap_free(t);
}

static void check_sample(const char *file, int version, enum sample kind)
{
	struct sink s;
	char *path = g_build_filename(NICQ_SRCDIR, "fixtures", "tap", file,
				      NULL);
	char err[ERRLEN];
	char *want = NULL;
	size_t len;

	sink_open(&s);
	sample_run(s.f, version, kind);
	sink_text(&s);
	if (getenv("NICQ_REGENERATE")) {
		char *dir = g_path_get_dirname(path);

		if (mkdir_p(dir, err) < 0 ||
		    file_write(path, s.buf, s.len, err) < 0) {
			print_error("%s\n", err);
			fail();
		}
		g_free(dir);
	} else {
		if (file_read(path, &want, &len, err) < 0) {
			print_error("%s (NICQ_REGENERATE=1 writes it)\n", err);
			fail();
		}
		expect_text(s.buf, want);
		g_free(want);
	}
	sink_close(&s);
	g_free(path);
}

static void test_samples(void **state)
{
	(void)state;
	check_sample("pass-v14.tap", 14, SAMPLE_PASS);
	check_sample("pass-v13.tap", 13, SAMPLE_PASS);
	check_sample("fail-v14.tap", 14, SAMPLE_FAIL);
	check_sample("fail-v13.tap", 13, SAMPLE_FAIL);
	check_sample("bail-v14.tap", 14, SAMPLE_BAIL);
	check_sample("bail-v13.tap", 13, SAMPLE_BAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_cells),
		cmocka_unit_test(test_skipped_cell),
		cmocka_unit_test(test_todo),
		cmocka_unit_test(test_version13_and_copy),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_bail),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_io_error),
		cmocka_unit_test(test_yaml_nesting),
		cmocka_unit_test(test_yaml_quoting),
		cmocka_unit_test(test_yaml_list_colons),
		cmocka_unit_test(test_yaml_numbers),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
