/* test_domxml_link.c - domxml_iface_link(): the <interface> update that
 * sets one NIC's link state, cut from a live domain XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "domxml.h"
#include "util.h"

static const char live[] =
	"<domain type='qemu' id='3'>\n"
	"  <name>nicq-x-g1</name>\n"
	"  <devices>\n"
	"    <interface type='bridge'>\n"
	"      <mac address='52:54:00:18:0a:01'/>\n"
	"      <source network='nicq-x-s1' bridge='nqxb1'/>\n"
	"      <target dev='nqxt1'/>\n"
	"      <model type='e1000'/>\n"
	"      <alias name='net0'/>\n"
	"    </interface>\n"
	"    <interface type='bridge'>\n"
	"      <mac address='52:54:00:18:00:02'/>\n"
	"      <source network='nicq-x-s1' bridge='nqxb1'/>\n"
	"      <target dev='nqxt2'/>\n"
	"      <model type='e1000'/>\n"
	"      <link state='down'/>\n"
	"      <alias name='net1'/>\n"
	"    </interface>\n"
	"  </devices>\n"
	"</domain>\n";

static void test_link_down_added(void **state)
{
	char *out = NULL, err[ERRLEN];

	(void)state;
	/* MAC in another case: libvirt writes lower case, callers may not */
	assert_int_equal(domxml_iface_link(live, "52:54:00:18:0A:01", false,
					   &out, err), 0);
	g_free(out);
	out = NULL;
	assert_int_equal(domxml_iface_link(live, "52:54:00:18:0a:01", false,
					   &out, err), 0);
	assert_non_null(strstr(out, "<interface type=\"bridge\">"));
	assert_non_null(strstr(out, "<mac address=\"52:54:00:18:0a:01\"/>"));
	assert_non_null(strstr(out, "<target dev=\"nqxt1\"/>"));
	assert_non_null(strstr(out, "<model type=\"e1000\"/>"));
	assert_non_null(strstr(out, "<alias name=\"net0\"/>"));
	assert_non_null(strstr(out, "<link state=\"down\"/>"));
	/* only that interface */
	assert_null(strstr(out, "52:54:00:18:00:02"));
	assert_null(strstr(out, "<domain"));
	g_free(out);
}

static void test_link_up_replaces(void **state)
{
	char *out = NULL, err[ERRLEN];

	(void)state;
	assert_int_equal(domxml_iface_link(live, "52:54:00:18:00:02", true,
					   &out, err), 0);
	assert_non_null(strstr(out, "<link state=\"up\"/>"));
	assert_null(strstr(out, "down"));
	/* exactly one <link> */
	assert_null(strstr(strstr(out, "<link") + 1, "<link"));
	g_free(out);
}

static void test_errors(void **state)
{
	char *out = NULL, err[ERRLEN] = "";

	(void)state;
	assert_int_equal(domxml_iface_link(live, "52:54:00:18:00:09", true,
					   &out, err), -1);
	assert_null(out);
	assert_non_null(strstr(err, "no interface with MAC 52:54:00:18:00:09"));
	assert_int_equal(domxml_iface_link("<domain><devices>", "52:54:00:18:"
					   "00:01", true, &out, err), -1);
	assert_null(out);
	assert_int_equal(domxml_iface_link("<network/>", "52:54:00:18:0a:01",
					   true, &out, err), -1);
	assert_int_equal(domxml_iface_link(NULL, "52:54:00:18:0a:01", true,
					   &out, err), -1);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_down_added),
		cmocka_unit_test(test_link_up_replaces),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
