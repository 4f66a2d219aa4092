/*
 * test_klog - kernel log scanning against the logs in fixtures/logs/.
 *
 *   clean-boot.log       dmesg of a Debian 12 (6.1) boot under qemu
 *   clean-console.log    the serial console of one, systemd and all, CRLF
 *   benign.log           lines that look like trouble and are not
 *   oops.log             NULL dereference in e1000 on an MTU change
 *   warning.log          WARN in skb_warn_bad_offload
 *   netdev-watchdog.log  6.1's transmit timeout splat for e1000
 *   panic.log            console of a boot that panics, CRLF
 *   kinds.log            one or more lines of every other kind
 *   formats.log          the prefixes logs come with, a console's mixed
 *                        lines, a NUL and invalid UTF-8
 *   lockdep.log          lockdep's reports, a whole circular one and the
 *                        titles of the others, old bracketed ones too
 *   netdev-refcount.log  a device that cannot be freed, with the tracker
 *   virtio-ring.log      virtio_ring's BAD_RING() and virtio_net's errors
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "klog.h"
#include "util.h"

struct want {
	unsigned line;
	const char *kind;
};

static GPtrArray *scan_fixture(const char *name)
{
	char *path = g_build_filename(NICQ_SRCDIR, "fixtures", "logs", name,
				      NULL);
	char err[ERRLEN] = "";
	GPtrArray *hits = NULL;
	int rc = klog_scan_file(path, &hits, err);

	if (rc != 0)
		print_error("%s: %s\n", name, err);
	assert_int_equal(rc, 0);
	assert_non_null(hits);
	g_free(path);
	return hits;
}

/* Compare hits with want, listing both on a mismatch. */
static void check_hits(const char *name, GPtrArray *hits,
		       const struct want *want, size_t n)
{
	bool bad = hits->len != n;
	guint i;

	for (i = 0; !bad && i < n; i++) {
		const struct klog_hit *h = hits->pdata[i];

		bad = h->line != want[i].line ||
		      strcmp(h->kind, want[i].kind) != 0;
	}
	if (!bad)
		return;
	print_error("%s: want %zu hits:\n", name, n);
	for (i = 0; i < n; i++)
		print_error("  %u %s\n", want[i].line, want[i].kind);
	print_error("got %u:\n", hits->len);
	for (i = 0; i < hits->len; i++) {
		const struct klog_hit *h = hits->pdata[i];

		print_error("  %u %s | %s\n", h->line, h->kind, h->text);
	}
	fail();
}

static void expect(const char *name, const struct want *want, size_t n)
{
	GPtrArray *hits = scan_fixture(name);

	check_hits(name, hits, want, n);
	klog_hits_free(hits);
}

static void test_clean(void **state)
{
	(void)state;
	expect("clean-boot.log", NULL, 0);
	expect("clean-console.log", NULL, 0);
	expect("benign.log", NULL, 0);
}

static void test_oops(void **state)
{
	static const struct want w[] = {
		{ 4, "bug" }, { 8, "oops" }, { 22, "call-trace" },
	};
	GPtrArray *hits = scan_fixture("oops.log");

	(void)state;
	check_hits("oops.log", hits, w, G_N_ELEMENTS(w));
	assert_string_equal(((struct klog_hit *)hits->pdata[0])->text,
			    "BUG: kernel NULL pointer dereference, "
			    "address: 0000000000000008");
	klog_hits_free(hits);
}

static void test_warning(void **state)
{
	static const struct want w[] = {
		{ 2, "cut-here" }, { 3, "warning" }, { 18, "call-trace" },
	};

	(void)state;
	expect("warning.log", w, G_N_ELEMENTS(w));
}

static void test_netdev_watchdog(void **state)
{
	static const struct want w[] = {
		{ 3, "cut-here" }, { 4, "netdev-watchdog" }, { 5, "warning" },
		{ 20, "call-trace" },
	};

	(void)state;
	expect("netdev-watchdog.log", w, G_N_ELEMENTS(w));
}

static void test_panic(void **state)
{
	static const struct want w[] = {
		{ 19, "panic" }, { 22, "call-trace" },
	};
	GPtrArray *hits = scan_fixture("panic.log");

	(void)state;
	check_hits("panic.log", hits, w, G_N_ELEMENTS(w));
	/* CRLF line ends are not part of the text. */
	assert_string_equal(((struct klog_hit *)hits->pdata[1])->text,
			    "Call Trace:");
	klog_hits_free(hits);
}

static void test_kinds(void **state)
{
	static const struct want w[] = {
		{ 1, "hung-task" }, { 6, "call-trace" }, { 18, "rcu-stall" },
		{ 25, "soft-lockup" }, { 29, "call-trace" },
		{ 33, "hard-lockup" }, { 34, "rcu-stall" }, { 35, "tx-hang" },
		{ 38, "tx-hang" }, { 39, "tx-hang" }, { 40, "csum-fault" },
		{ 41, "hardware-error" }, { 42, "hardware-error" },
		{ 43, "nmi" }, { 45, "nmi" }, { 46, "alloc-failure" },
		{ 47, "oom" }, { 48, "oom" }, { 50, "cut-here" },
		{ 51, "bug" }, { 52, "oops" }, { 53, "gpf" }, { 54, "ubsan" },
		{ 55, "bug" }, { 56, "lockdep" }, { 57, "lockdep" },
	};

	(void)state;
	expect("kinds.log", w, G_N_ELEMENTS(w));
}

static void test_lockdep(void **state)
{
	static const struct want w[] = {
		{ 3, "lockdep" }, { 25, "call-trace" }, { 31, "lockdep" },
		{ 34, "lockdep" }, { 36, "lockdep" }, { 37, "lockdep" },
		{ 38, "lockdep" }, { 39, "lockdep" }, { 40, "lockdep" },
		{ 41, "lockdep" }, { 42, "warning" }, { 44, "lockdep" },
		{ 46, "lockdep" },
	};
	GPtrArray *hits = scan_fixture("lockdep.log");

	(void)state;
	check_hits("lockdep.log", hits, w, G_N_ELEMENTS(w));
	assert_string_equal(((struct klog_hit *)hits->pdata[0])->text,
			    "WARNING: possible circular locking dependency "
			    "detected");
	klog_hits_free(hits);
}

static void test_netdev_refcount(void **state)
{
	static const struct want w[] = {
		{ 2, "netdev-refcount" }, { 3, "netdev-refcount" },
		{ 4, "netdev-refcount" }, { 7, "netdev-refcount" },
	};
	GPtrArray *hits = scan_fixture("netdev-refcount.log");

	(void)state;
	check_hits("netdev-refcount.log", hits, w, G_N_ELEMENTS(w));
	assert_string_equal(((struct klog_hit *)hits->pdata[0])->text,
			    "unregister_netdevice: waiting for enp1s0 to "
			    "become free. Usage count = 2");
	klog_hits_free(hits);
}

static void test_virtio_ring(void **state)
{
	static const struct want w[] = {
		{ 2, "virtio-ring" }, { 3, "virtio-ring" },
		{ 4, "virtio-ring" }, { 5, "virtio-ring" },
		{ 6, "virtio-ring" }, { 7, "virtio-ring" },
	};
	GPtrArray *hits = scan_fixture("virtio-ring.log");

	(void)state;
	check_hits("virtio-ring.log", hits, w, G_N_ELEMENTS(w));
	assert_string_equal(((struct klog_hit *)hits->pdata[0])->text,
			    "virtio_net virtio0: output.0:id 5 is not a "
			    "head!");
	klog_hits_free(hits);
}

static void test_formats(void **state)
{
	static const struct want w[] = {
		{ 2, "warning" }, { 3, "bug" }, { 5, "panic" }, { 7, "oops" },
		{ 9, "call-trace" }, { 10, "call-trace" },
		{ 11, "netdev-watchdog" }, { 13, "soft-lockup" },
		{ 14, "hung-task" }, { 15, "panic" }, { 16, "cut-here" },
		{ 17, "call-trace" }, { 18, "bug" }, { 19, "oops" },
	};
	GPtrArray *hits = scan_fixture("formats.log");
	struct klog_hit **h = (struct klog_hit **)hits->pdata;

	(void)state;
	check_hits("formats.log", hits, w, G_N_ELEMENTS(w));
	/* Prefixes are stripped from the text, mixed-in console text too. */
	assert_string_equal(h[3]->text, "Oops: 0000 [#1] PREEMPT SMP NOPTI");
	assert_string_equal(h[4]->text, "Call Trace:");
	assert_string_equal(h[7]->text, "watchdog: BUG: soft lockup - CPU#0 "
			    "stuck for 22s! [swapper/0:0]");
	klog_hits_free(hits);
}

static void test_buffer(void **state)
{
	static const char text[] =
		"[    1.000000] fine\n"
		"[    2.000000] Kernel panic - not syncing: x\0"
		"[    3.000000] BUG: after a NUL\n"
		"Call Trace:";
	char err[ERRLEN] = "";
	GPtrArray *hits = NULL;
	struct klog_hit *h;

	(void)state;
	/* The whole buffer, NUL and all, no final line end. */
	assert_int_equal(klog_scan(text, sizeof(text) - 1, &hits, err), 0);
	assert_int_equal(hits->len, 2);
	h = hits->pdata[0];
	assert_int_equal(h->line, 2);
	assert_string_equal(h->kind, "panic");
	h = hits->pdata[1];
	assert_int_equal(h->line, 3);
	assert_string_equal(h->kind, "call-trace");
	klog_hits_free(hits);

	/* len bounds the scan: "Call Trace:" cut to "Call Tr". */
	assert_int_equal(klog_scan(text, sizeof(text) - 5, &hits, err), 0);
	assert_int_equal(hits->len, 1);
	klog_hits_free(hits);

	assert_int_equal(klog_scan("", 0, &hits, err), 0);
	assert_int_equal(hits->len, 0);
	klog_hits_free(hits);
	klog_hits_free(NULL);
}

static void test_missing_file(void **state)
{
	char err[ERRLEN] = "";
	GPtrArray *hits = (GPtrArray *)&hits;

	(void)state;
	assert_int_equal(klog_scan_file("/nonexistent/console.log", &hits,
					err), -1);
	assert_ptr_equal(hits, (GPtrArray *)&hits);
	assert_true(g_str_has_prefix(err, "cannot read '/nonexistent/"));
}

/* The 6.1 guest kernel's own warning on resume is said apart; others stay. */
static const char known_log[] =
	"[   15.514347] ACPI: PM: Restoring platform NVS memory\n"
	"[   15.515728] ------------[ cut here ]------------\n"
	"[   15.515831] WARNING: CPU: 0 PID: 150 at kernel/time/timekeeping.c:1005 ktime_get_seconds+0x1b/0x30\n"
	"[   15.516134] Modules linked in: e1000\n"
	"[   15.518198] RIP: 0010:ktime_get_seconds+0x1b/0x30\n"
	"[   15.519305] Call Trace:\n"
	"[   15.520276]  <TASK>\n"
	"[   15.520479]  crng_make_state+0x136/0x1c0\n"
	"[   15.521178]  _get_random_bytes+0x99/0x1a0\n"
	"[   15.521596]  syscore_resume+0x4e/0x180\n"
	"[   15.521610]  suspend_devices_and_enter+0x73c/0x890\n"
	"[   15.600000] e1000 0000:00:03.0 eth0: Reset adapter\n";

/* ci-23's virtio suspend: a send failing after the image was written */
static const char poweroff_log[] =
	"[   24.793303] PM: Compressing and saving image data (25944 pages)...\n"
	"[   26.876324] PM: Image saving done\n"
	"[   26.876505] PM: hibernation: Wrote 103776 kbytes in 2.08 seconds\n"
	"[   27.079943] net eth0: Unexpected TXQ (0) queue failure: -5\n"
	"[   27.419418] ACPI: PM: Preparing to enter system sleep state S5\n"
	"[   27.420370] reboot: Power down\n";

static void test_known_poweroff(void **state)
{
	GPtrArray *hits = NULL, *known = NULL;
	char err[256], *other;
	const char *why;

	(void)state;
	assert_int_equal(klog_scan(poweroff_log, strlen(poweroff_log), &hits,
				   err), 0);
	assert_int_equal(hits->len, 1);
	why = klog_known(poweroff_log, strlen(poweroff_log), hits, &known);
	assert_non_null(why);
	assert_non_null(strstr(why, "power-off"));
	assert_int_equal(known->len, 1);
	assert_int_equal(hits->len, 0);
	klog_hits_free(known);
	assert_null(klog_known(poweroff_log, strlen(poweroff_log), hits,
			       &known));
	klog_hits_free(hits);

	/* the same failure before the image was written stays a hit */
	other = g_strconcat("[    5.000000] net eth0: Unexpected TXQ (0) "
			    "queue failure: -5\n", poweroff_log, NULL);
	assert_int_equal(klog_scan(other, strlen(other), &hits, err), 0);
	assert_int_equal(hits->len, 2);
	assert_non_null(klog_known(other, strlen(other), hits, &known));
	assert_int_equal(hits->len, 1);
	assert_int_equal(((struct klog_hit *)hits->pdata[0])->line, 1);
	klog_hits_free(known);
	klog_hits_free(hits);
	g_free(other);

	/* another error than -EIO after it stays a hit (a full ring: -28) */
	other = g_strdup(poweroff_log);
	memcpy(strstr(other, "failure: -5"), "failure: 28", 11);
	assert_int_equal(klog_scan(other, strlen(other), &hits, err), 0);
	assert_int_equal(hits->len, 1);
	assert_null(klog_known(other, strlen(other), hits, &known));
	assert_int_equal(hits->len, 1);
	klog_hits_free(hits);
	g_free(other);
	/* no hibernation in the log: stays a hit */
	other = g_strdup("[   27.079943] net eth0: Unexpected TXQ (0) queue "
			 "failure: -5\n");
	assert_int_equal(klog_scan(other, strlen(other), &hits, err), 0);
	assert_null(klog_known(other, strlen(other), hits, &known));
	assert_int_equal(hits->len, 1);
	klog_hits_free(hits);
	g_free(other);
}

static void test_known(void **state)
{
	GPtrArray *hits = NULL, *known = NULL;
	char err[256], *other;
	const char *why;

	(void)state;
	assert_int_equal(klog_scan(known_log, strlen(known_log), &hits, err), 0);
	assert_int_equal(hits->len, 3);	/* cut-here, warning, call-trace */
	why = klog_known(known_log, strlen(known_log), hits, &known);
	assert_non_null(why);
	assert_non_null(strstr(why, "guest kernel"));
	assert_int_equal(hits->len, 0);
	assert_int_equal(known->len, 3);
	klog_hits_free(known);
	klog_hits_free(hits);

	/* the same WARNING from elsewhere in the kernel is not excused */
	other = g_strdup(known_log);
	memcpy(strstr(other, "syscore_resume"), "e1000_xmit_fra", 14);
	assert_int_equal(klog_scan(other, strlen(other), &hits, err), 0);
	assert_null(klog_known(other, strlen(other), hits, &known));
	assert_null(known);
	assert_int_equal(hits->len, 3);
	klog_hits_free(hits);
	g_free(other);

	/* another warning next to it stays a hit */
	other = g_strconcat(known_log, "[   16.000000] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 foo+0x1/0x2\n", NULL);
	assert_int_equal(klog_scan(other, strlen(other), &hits, err), 0);
	assert_non_null(klog_known(other, strlen(other), hits, &known));
	assert_int_equal(hits->len, 1);
	assert_non_null(strstr(((struct klog_hit *)hits->pdata[0])->text, "net/core/dev.c"));
	klog_hits_free(known);
	klog_hits_free(hits);
	g_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_oops),
		cmocka_unit_test(test_warning),
		cmocka_unit_test(test_netdev_watchdog),
		cmocka_unit_test(test_panic),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_lockdep),
		cmocka_unit_test(test_netdev_refcount),
		cmocka_unit_test(test_virtio_ring),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_known_poweroff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
