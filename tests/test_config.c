/* test_config.c - profiles, key-file overrides, list parsing, cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "run.h"
#include "util.h"

static char *write_tmp(const char *text)
{
	char *path = NULL;
	int fd = g_file_open_tmp("nicq-config-XXXXXX.ini", &path, NULL);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

static void test_builtin(void **state)
{
	struct profile q, f;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(profile_builtin("quick", &q, err), 0);
	assert_int_equal(profile_builtin("full", &f, err), 0);
	/* both carry the plan's 12 sizes x 4 intervals; full runs longer */
	assert_int_equal(q.n_ping_sizes, 12);
	assert_int_equal(q.n_ping_intervals, 4);
	assert_int_equal(q.ping_sizes[11], 65507);
	assert_int_equal(q.ping_oversize, 65508);
	assert_true(f.ping_count > q.ping_count);
	assert_int_equal(f.flood_seconds, 600);
	assert_int_equal(profile_builtin("fast", &q, err), -1);
	assert_non_null(strstr(err, "unknown profile 'fast'"));
}

static void test_lists(void **state)
{
	int v[4], n = 0;
	double d[4];
	char err[ERRLEN];

	(void)state;
	assert_int_equal(parse_int_list("0; 64 ,1500", v, 4, 0, 65507, &n, err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[2], 1500);
	assert_int_equal(parse_int_list("1;2;", v, 4, 0, 9, &n, err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(parse_int_list("65508", v, 4, 0, 65507, &n, err), -1);
	assert_int_equal(parse_int_list("12x", v, 4, 0, 100, &n, err), -1);
	assert_non_null(strstr(err, "bad number '12x'"));
	assert_int_equal(parse_int_list("", v, 4, 0, 100, &n, err), -1);
	assert_int_equal(parse_int_list("1;2;3;4;5", v, 4, 0, 100, &n, err), -1);
	assert_non_null(strstr(err, "too many"));
	assert_int_equal(parse_double_list("0.1,0.0001", d, 4, 0.0001, 60, &n,
					   err), 0);
	assert_int_equal(n, 2);
	assert_true(d[1] > 0.00009 && d[1] < 0.00011);
	assert_int_equal(parse_double_list("0.00001", d, 4, 0.0001, 60, &n,
					   err), -1);
	assert_int_equal(parse_double_list("nan", d, 4, 0.0001, 60, &n, err),
			 -1);
}

static void test_file_override(void **state)
{
	struct profile p;
	char err[ERRLEN];
	char *path = write_tmp("# comment\n[profile]\nbase = full\n"
			       "ping_sizes = 0;1500\nping_count = 7\n"
			       "flood_seconds = 2\ntransfer_mib = 300\n"
			       "bond_count = 9\nknee_seconds = 4\n");

	(void)state;
	assert_int_equal(profile_builtin("quick", &p, err), 0);
	assert_int_equal(profile_load_file(path, &p, err), 0);
	assert_string_equal(p.name, "full");
	assert_int_equal(p.n_ping_sizes, 2);
	assert_int_equal(p.ping_count, 7);
	assert_int_equal(p.flood_seconds, 2);
	assert_int_equal(p.after_count, 100);	/* from base = full */
	assert_int_equal(p.transfer_mib, 300);
	assert_int_equal(p.bond_count, 9);
	assert_int_equal(p.knee_seconds, 4);
	assert_int_equal(p.stress_seconds, 60);	/* from base = full */
	unlink(path);
	g_free(path);
}

static void expect_bad(const char *text, const char *msg)
{
	struct profile p, before;
	char err[ERRLEN] = "";
	char *path = write_tmp(text);

	assert_int_equal(profile_builtin("quick", &p, err), 0);
	before = p;
	assert_int_equal(profile_load_file(path, &p, err), -1);
	if (!strstr(err, msg))
		fail_msg("error '%s' lacks '%s'", err, msg);
	/* a failed load leaves the profile untouched */
	assert_memory_equal(&p, &before, sizeof(p));
	unlink(path);
	g_free(path);
}

static void test_file_errors(void **state)
{
	(void)state;
	expect_bad("[profile]\nping_count = many\n", "ping_count");
	expect_bad("[profile]\nping_cuont = 3\n", "unknown key 'ping_cuont'");
	expect_bad("[prof]\nping_count = 3\n", "unknown group [prof]");
	expect_bad("not a key file\n", "cannot load config");
	expect_bad("[profile]\nbase = slow\n", "unknown profile 'slow'");
	expect_bad("[profile]\nping_sizes = 70000\n", "ping_sizes");
	expect_bad("[profile]\nping_intervals = 0\n", "ping_intervals");
	expect_bad("[profile]\nflood_seconds = -1\n", "flood_seconds");
	expect_bad("[profile]\nreload_mib = 0\n", "reload_mib");
	expect_bad("[profile]\nstress_seconds = 1e3\n", "stress_seconds");
	expect_bad("", "no [profile] group");
}

static void test_missing_file(void **state)
{
	struct profile p;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(profile_builtin("quick", &p, err), 0);
	assert_int_equal(profile_load_file("/nonexistent/nicq.ini", &p, err),
			 -1);
	assert_non_null(strstr(err, "cannot load config"));
}

static void test_models(void **state)
{
	(void)state;
	assert_int_equal(model_from_name("rtl8139"), NIC_RTL8139);
	assert_int_equal(model_from_name("e1000"), NIC_E1000);
	assert_int_equal(model_from_name("virtio"), NIC_VIRTIO);
	assert_int_equal(model_from_name("virtio-net"), -1);
	assert_int_equal(model_from_name(""), -1);
}

/* vhost=on cells skip with the reason when vhost-net is missing; never run
 * as vhost=off in its place. */
static void test_cells(void **state)
{
	struct run_opts o;
	struct cell cells[6];
	int n, i;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.uri = "test:///default";	/* no QEMU device probing */
	o.model[NIC_E1000] = o.model[NIC_VIRTIO] = true;
	o.vhost[0] = o.vhost[1] = true;
	n = run_cells(&o, cells, false, "vhost-net not available on this host");
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		if (cells[i].vhost)
			assert_string_equal(cells[i].skip,
				"vhost-net not available on this host");
		else
			assert_null(cells[i].skip);
	}
	assert_string_equal(cells[3].name, "virtio vhost=on");
	assert_string_equal(cells[3].slug, "virtio-vhost-on");
	assert_true(cells[3].vhost);

	/* with vhost-net present, virtio vhost=on runs; e1000 has no vhost */
	n = run_cells(&o, cells, true, "unused");
	assert_null(cells[3].skip);
	assert_non_null(cells[1].skip);
	assert_non_null(strstr(cells[1].skip, "only virtio"));

	o.vhost[1] = false;
	assert_int_equal(run_cells(&o, cells, true, "unused"), 2);
}

static void test_image(void **state)
{
	char err[ERRLEN], *k = NULL, *i = NULL;

	(void)state;
	assert_int_equal(run_find_image("/nonexistent", &k, &i, err), -1);
	assert_non_null(strstr(err, "make guest"));
	assert_null(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_file_override),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_models),
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
