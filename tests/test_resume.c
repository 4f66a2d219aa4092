/* test_resume.c - the suspend case's checker: evidence, swap header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "resume.h"
#include "util.h"

static const char *const good =
	"token=0123456789abcdef0123456789abcdef\n"
	"boot_id=851e07d1-ed8b-49de-9973-f8d25920ccc4\n"
	"sleeper=sleep 9261578 \n"
	"driver=virtio_net\n"
	"operstate=up\n"
	"uptime=13.21\n";

static void test_kv(void **state)
{
	char *v;

	(void)state;
	v = resume_kv("a=1\r\nb=two words\nc=\n", "b");
	assert_string_equal(v, "two words");
	g_free(v);
	v = resume_kv("a=1\r\nb=2\n", "a");
	assert_string_equal(v, "1");	/* CR is not part of the value */
	g_free(v);
	assert_null(resume_kv("a=1\nc=\n", "c"));	/* empty */
	assert_null(resume_kv("ab=1\n", "a"));	/* a prefix is not a key */
	assert_null(resume_kv("x a=1\n", "a"));	/* only at a line start */
	assert_null(resume_kv("", "a"));
	v = resume_kv("a=1\na=2", "a");
	assert_string_equal(v, "1");	/* the first wins */
	g_free(v);
	v = resume_kv("z=0\na=last", "a");	/* no final newline */
	assert_string_equal(v, "last");
	g_free(v);
}

static void test_parse(void **state)
{
	struct resume_evidence e = { 0 };

	(void)state;
	resume_evidence_parse(good, &e);
	assert_string_equal(e.token, "0123456789abcdef0123456789abcdef");
	assert_string_equal(e.boot_id, "851e07d1-ed8b-49de-9973-f8d25920ccc4");
	assert_string_equal(e.sleeper, "sleep 9261578");	/* chomped */
	assert_string_equal(e.driver, "virtio_net");
	assert_string_equal(e.operstate, "up");
	assert_string_equal(e.uptime, "13.21");
	resume_evidence_clear(&e);
	assert_null(e.token);
	resume_evidence_clear(&e);	/* idempotent */
	resume_evidence_clear(NULL);

	/* a fresh boot: no token file, no such process */
	resume_evidence_parse("token=\nboot_id=x\nsleeper=\ndriver=e1000\n",
			      &e);
	assert_null(e.token);
	assert_null(e.sleeper);
	assert_string_equal(e.boot_id, "x");
	assert_null(e.uptime);
	resume_evidence_clear(&e);
}

static void test_cmd_quotes(void **state)
{
	char *c;

	(void)state;
	c = resume_evidence_cmd("eth0", 42);
	assert_non_null(strstr(c, "/proc/42/cmdline"));
	assert_non_null(strstr(c, "ethtool -i 'eth0'"));
	assert_non_null(strstr(c, "/sys/class/net/'eth0'/operstate"));
	g_free(c);
	c = resume_evidence_cmd("a'; reboot; '", 1);
	assert_null(strstr(c, "'a'; reboot"));
	assert_non_null(strstr(c, "'a'\\''; reboot; '\\'''"));
	g_free(c);
}

static char *tmp_disk(size_t size)
{
	char *path = NULL;
	int fd = g_file_open_tmp("nicq-swap-XXXXXX.raw", &path, NULL);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
	return path;
}

static void put(const char *path, off_t off, const char *bytes, size_t n)
{
	FILE *f = fopen(path, "r+");

	assert_non_null(f);
	assert_int_equal(fseeko(f, off, SEEK_SET), 0);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	fclose(f);
}

static void test_swsusp(void **state)
{
	char sig[11], err[ERRLEN];
	char *path = tmp_disk(1 << 20);

	(void)state;
	/* a fresh sparse file: zeros, no signature */
	assert_int_equal(swsusp_signature(path, sig, err), 0);
	assert_string_equal(sig, "");
	/* mkswap's header, then a hibernation image's */
	put(path, SWSUSP_SIG_OFFSET, "SWAPSPACE2", 10);
	assert_int_equal(swsusp_signature(path, sig, err), 0);
	assert_string_equal(sig, "SWAPSPACE2");
	put(path, SWSUSP_SIG_OFFSET, "S1SUSPEND\0", 10);
	put(path, 100, "image header", 12);
	assert_int_equal(swsusp_signature(path, sig, err), 0);
	assert_string_equal(sig, SWSUSP_HIBERNATED);
	/* garbage is shown, not trusted */
	put(path, SWSUSP_SIG_OFFSET, "S1\x01SUSPEN\xff", 10);
	assert_int_equal(swsusp_signature(path, sig, err), 0);
	assert_string_equal(sig, "S1.SUSPEN.");
	/* the fault: the whole header page is zeroed, the rest untouched */
	put(path, SWSUSP_SIG_OFFSET, "S1SUSPEND\0", 10);
	put(path, 8192, "data", 4);
	assert_int_equal(swsusp_wipe(path, err), 0);
	assert_int_equal(swsusp_signature(path, sig, err), 0);
	assert_string_equal(sig, "");
	{
		char *text = NULL;
		size_t len = 0, i;

		assert_int_equal(file_read(path, &text, &len, err), 0);
		assert_int_equal(len, 1 << 20);
		for (i = 0; i < 4096; i++)
			assert_int_equal(text[i], 0);
		assert_memory_equal(text + 8192, "data", 4);
		g_free(text);
	}
	unlink(path);
	g_free(path);

	/* too short, missing */
	path = tmp_disk(4000);
	assert_int_equal(swsusp_signature(path, sig, err), -1);
	assert_non_null(strstr(err, "shorter than a swap header page"));
	unlink(path);
	assert_int_equal(swsusp_signature(path, sig, err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(swsusp_wipe(path, err), -1);
	assert_non_null(strstr(err, "No such file"));
	g_free(path);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(guest_state_name(VIR_DOMAIN_PMSUSPENDED),
			    "pmsuspended");
	assert_string_equal(guest_state_name(VIR_DOMAIN_RUNNING), "running");
	assert_string_equal(guest_state_name(VIR_DOMAIN_SHUTOFF), "shutoff");
	assert_string_equal(guest_state_name(-1), "unknown");
	assert_string_equal(guest_state_name(1000), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_cmd_quotes),
		cmocka_unit_test(test_swsusp),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
