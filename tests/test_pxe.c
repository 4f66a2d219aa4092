/* test_pxe - the iPXE script, the TFTP root and the ROM names (harness/pxe.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pxe.h"
#include "util.h"

static void test_script(void **state)
{
	char err[ERRLEN] = "", *s = NULL;

	(void)state;
	assert_int_equal(pxe_script("198.18.10.1", "console=ttyS0 a=b:c+/=",
				    &s, err), 0);
	assert_string_equal(s,
		"#!ipxe\n"
		"echo nicq: network boot of vmlinuz from 198.18.10.1\n"
		"kernel tftp://198.18.10.1/vmlinuz console=ttyS0 a=b:c+/=\n"
		"initrd tftp://198.18.10.1/initrd.img\n"
		"boot\n");
	g_free(s);
	s = NULL;
	/* iPXE would expand ${...}; a newline would add a command */
	assert_int_equal(pxe_script("198.18.10.1", "a=${net0/ip}", &s, err),
			 -1);
	assert_non_null(strstr(err, "iPXE script"));
	assert_int_equal(pxe_script("198.18.10.1", "a\nshell", &s, err), -1);
	assert_int_equal(pxe_script("198.18.10.1", "a # b", &s, err), -1);
	assert_int_equal(pxe_script("198.18.10.1", "a=\"b\"", &s, err), -1);
	assert_int_equal(pxe_script("198.18.10.1", NULL, &s, err), -1);
	assert_int_equal(pxe_script("198.18.10.256", "x", &s, err), -1);
	assert_non_null(strstr(err, "invalid TFTP server"));
	assert_int_equal(pxe_script("198.18.10.1/x", "x", &s, err), -1);
	assert_int_equal(pxe_script("host", "x", &s, err), -1);
	assert_null(s);
}

static void test_tftp_root(void **state)
{
	char err[ERRLEN] = "", *tmp, *root, *k, *i, *p, *text = NULL;
	struct stat st;

	(void)state;
	tmp = g_dir_make_tmp("nicq-pxe-XXXXXX", NULL);
	assert_non_null(tmp);
	root = g_build_filename(tmp, "tftp", NULL);
	k = g_build_filename(tmp, "vmlinuz.src", NULL);
	i = g_build_filename(tmp, "initrd.src", NULL);
	assert_int_equal(file_write(k, "K", 1, err), 0);
	assert_int_equal(file_write(i, "II", 2, err), 0);
	assert_int_equal(pxe_tftp_root(root, k, i, "192.0.2.1", "x=1", err),
			 0);
	assert_int_equal(stat(root, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	p = g_build_filename(root, PXE_BOOT_FILE, NULL);
	assert_int_equal(file_read(p, &text, NULL, err), 0);
	assert_true(g_str_has_prefix(text, "#!ipxe\n"));
	assert_non_null(strstr(text, "kernel tftp://192.0.2.1/vmlinuz x=1\n"));
	g_free(text);
	g_free(p);
	/* copies, readable by dnsmasq's unprivileged user */
	p = g_build_filename(root, PXE_KERNEL, NULL);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(file_read(p, &text, NULL, err), 0);
	assert_string_equal(text, "K");
	g_free(text);
	g_free(p);
	p = g_build_filename(root, PXE_INITRD, NULL);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 2);
	g_free(p);
	/* again over the same root: files are replaced, not an error */
	assert_int_equal(pxe_tftp_root(root, k, i, "192.0.2.1", "x=2", err),
			 0);
	/* a relative or missing image is refused */
	assert_int_equal(pxe_tftp_root(root, "vmlinuz", i, "192.0.2.1", "x",
				       err), -1);
	assert_non_null(strstr(err, "cannot serve"));
	assert_int_equal(rm_rf(tmp, err), 0);
	g_free(tmp);
	g_free(root);
	g_free(k);
	g_free(i);
}

static void test_rom_names(void **state)
{
	(void)state;
	assert_string_equal(pxe_rom_name(NIC_RTL8139), "efi-rtl8139.rom");
	assert_string_equal(pxe_rom_name(NIC_E1000), "efi-e1000.rom");
	assert_string_equal(pxe_rom_name(NIC_VIRTIO), "efi-virtio.rom");
	assert_null(pxe_rom_name(NIC_MODEL_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_tftp_root),
		cmocka_unit_test(test_rom_names),
	};

	return cmocka_run_group_tests_name("pxe", tests, NULL, NULL);
}
