/*
 * test_hostprobe.c - the guest image checks made before any lab starts
 * (harness/hostprobe.c): a kernel must be a whole x86 bzImage, an
 * initramfs a whole newc cpio archive (gzip'd or not) that reaches its
 * TRAILER!!! record.  The images are generated here: a minimal bzImage
 * boot header, newc archives written byte by byte and gzip'd with GLib
 * (and, when cpio and gzip are installed, one made by the real tools).
 *
 * The image `make guest` built is checked too when there is one: in
 * $NICQ_GUEST_DIR, in this checkout's build/guest, or, for a git
 * worktree, in the main checkout's build/guest.  Without one that test is
 * skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostprobe.h"
#include "util.h"

static char *dir;	/* per-test temp dir */

static int setup(void **state)
{
	(void)state;
	dir = g_dir_make_tmp("nicq-hostprobe-XXXXXX", NULL);
	return dir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (!getenv("NICQ_TEST_KEEP"))
		rm_rf(dir, NULL);
	g_free(dir);
	dir = NULL;
	return 0;
}

static char *put(const char *name, const void *buf, size_t len)
{
	char *path = g_build_filename(dir, name, NULL);
	char err[ERRLEN];

	if (file_write(path, buf, len, err) < 0)
		fail_msg("%s", err);
	return path;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* ---- kernels --------------------------------------------------------------- */

/*
 * A file of len bytes with a bzImage boot header: setup_sects at 0x1f1,
 * syssize (16-byte paragraphs) at 0x1f4, the 0x55 0xaa boot signature at
 * 0x1fe and "HdrS" at 0x202.
 */
static GByteArray *bzimage(unsigned setup_sects, guint32 syssize, size_t len)
{
	GByteArray *b = g_byte_array_sized_new((guint)len);

	g_byte_array_set_size(b, (guint)len);
	if (len)
		memset(b->data, 0, len);
	if (len < 0x210)
		return b;
	b->data[0x1f1] = (guint8)setup_sects;
	b->data[0x1f4] = syssize & 0xff;
	b->data[0x1f5] = (syssize >> 8) & 0xff;
	b->data[0x1f6] = (syssize >> 16) & 0xff;
	b->data[0x1f7] = (syssize >> 24) & 0xff;
	b->data[0x1fe] = 0x55;
	b->data[0x1ff] = 0xaa;
	memcpy(b->data + 0x202, "HdrS", 4);
	return b;
}

static int check_kernel_bytes(GByteArray *b, char *err)
{
	char *path = put("vmlinuz", b->data, b->len);
	int rc = image_check_kernel(path, err);

	g_free(path);
	g_byte_array_unref(b);
	return rc;
}

static void test_kernel_ok(void **state)
{
	char err[ERRLEN] = "";

	(void)state;
	/* (4 + 1) * 512 setup bytes + 100 paragraphs = 4160 bytes */
	if (check_kernel_bytes(bzimage(4, 100, 4160), err) != 0)
		fail_msg("%s", err);
	/* longer is fine (padding, signatures) */
	assert_int_equal(check_kernel_bytes(bzimage(4, 100, 8192), err), 0);
	/* syssize is rounded up to a paragraph: up to 15 bytes short */
	assert_int_equal(check_kernel_bytes(bzimage(4, 100, 4145), err), 0);
	/* setup_sects 0 means 4 */
	assert_int_equal(check_kernel_bytes(bzimage(0, 100, 4160), err), 0);
	assert_int_equal(check_kernel_bytes(bzimage(30, 1, 31 * 512 + 16),
					    err), 0);
}

static void test_kernel_bad(void **state)
{
	char err[ERRLEN] = "";
	GByteArray *b;

	(void)state;
	/* empty */
	assert_int_equal(check_kernel_bytes(bzimage(4, 100, 0), err), -1);
	assert_contains(err, "is empty");
	assert_contains(err, "/vmlinuz'");
	assert_contains(err, "make guest");
	/* shorter than the boot header */
	assert_int_equal(check_kernel_bytes(bzimage(4, 100, 100), err), -1);
	assert_contains(err, "is truncated (100 bytes)");
	/* shorter than its header says */
	assert_int_equal(check_kernel_bytes(bzimage(4, 100, 4144), err), -1);
	assert_contains(err, "is truncated (4144 of 4160 bytes)");
	assert_contains(err, "make guest");
	assert_int_equal(check_kernel_bytes(bzimage(0, 100, 2560), err), -1);
	assert_contains(err, "truncated");
	/* a huge syssize does not wrap around */
	assert_int_equal(check_kernel_bytes(bzimage(4, 0xffffffffu, 8192),
					    err), -1);
	assert_contains(err, "truncated");
	/* not a kernel: zeros, text, a header without one of its marks */
	assert_int_equal(check_kernel_bytes(bzimage(4, 100, 0), err), -1);
	b = g_byte_array_new();
	g_byte_array_set_size(b, 8192);
	memset(b->data, 0, 8192);
	assert_int_equal(check_kernel_bytes(b, err), -1);
	assert_contains(err, "is not an x86 Linux kernel");
	assert_contains(err, "make guest");
	b = g_byte_array_new();
	for (int i = 0; i < 200; i++)
		g_byte_array_append(b, (const guint8 *)"#!/bin/sh\necho hi\n",
				    18);
	assert_int_equal(check_kernel_bytes(b, err), -1);
	assert_contains(err, "not an x86 Linux kernel");
	b = bzimage(4, 100, 4160);
	memcpy(b->data + 0x202, "HdrX", 4);
	assert_int_equal(check_kernel_bytes(b, err), -1);
	assert_contains(err, "not an x86 Linux kernel");
	b = bzimage(4, 100, 4160);
	b->data[0x1ff] = 0;
	assert_int_equal(check_kernel_bytes(b, err), -1);
	assert_contains(err, "not an x86 Linux kernel");
	/* missing */
	assert_int_equal(image_check_kernel("/nonexistent/vmlinuz", err), -1);
	assert_contains(err, "guest kernel '/nonexistent/vmlinuz' cannot be "
			"read");
}

/* ---- initramfs --------------------------------------------------------------- */

static void pad4(GByteArray *a)
{
	static const guint8 zero[4];

	if (a->len % 4)
		g_byte_array_append(a, zero, 4 - a->len % 4);
}

/* One newc record: the 110-byte header, the name, the data, each padded. */
static void newc_entry(GByteArray *a, unsigned ino, unsigned mode,
		       const char *name, const char *data)
{
	size_t len = data ? strlen(data) : 0;
	char hdr[111];

	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X"
		 "%08X%08X%08X%08X%08X", ino, mode, 0u, 0u, 1u, 0u,
		 (unsigned)len, 0u, 0u, 0u, 0u, (unsigned)strlen(name) + 1,
		 0u);
	g_byte_array_append(a, (const guint8 *)hdr, 110);
	g_byte_array_append(a, (const guint8 *)name, (guint)strlen(name) + 1);
	pad4(a);
	if (len)
		g_byte_array_append(a, (const guint8 *)data, (guint)len);
	pad4(a);
}

/* A small archive: /init and a directory, with or without its trailer. */
static GByteArray *newc(bool trailer)
{
	GByteArray *a = g_byte_array_new();

	newc_entry(a, 1, 040755, "bin", NULL);
	newc_entry(a, 2, 0100755, "init", "#!/bin/sh\necho nicq-ready\n");
	newc_entry(a, 3, 0100644, "bin/busybox.txt", "not really busybox\n");
	if (trailer)
		newc_entry(a, 0, 0, "TRAILER!!!", NULL);
	return a;
}

static GBytes *gzip(const void *buf, size_t len)
{
	GConverter *c = G_CONVERTER(g_zlib_compressor_new(
		G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9));
	GOutputStream *mem = g_memory_output_stream_new_resizable();
	GOutputStream *out = g_converter_output_stream_new(mem, c);
	GBytes *b;

	assert_true(g_output_stream_write_all(out, buf, len, NULL, NULL,
					      NULL));
	assert_true(g_output_stream_close(out, NULL, NULL));
	b = g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(mem));
	g_object_unref(out);
	g_object_unref(mem);
	g_object_unref(c);
	return b;
}

static int check_initrd(const void *buf, size_t len, char *err)
{
	char *path = put("initrd.img", buf, len);
	int rc = image_check_initrd(path, err);

	g_free(path);
	return rc;
}

static int check_initrd_gz(const void *buf, size_t len, char *err)
{
	GBytes *gz = gzip(buf, len);
	gsize n;
	const void *d = g_bytes_get_data(gz, &n);
	int rc = check_initrd(d, n, err);

	g_bytes_unref(gz);
	return rc;
}

static void test_initrd_ok(void **state)
{
	GByteArray *a = newc(true);
	char err[ERRLEN] = "";
	GByteArray *big;

	(void)state;
	if (check_initrd_gz(a->data, a->len, err) != 0)
		fail_msg("gzip'd newc: %s", err);
	/* uncompressed works too */
	if (check_initrd(a->data, a->len, err) != 0)
		fail_msg("plain newc: %s", err);
	/* zero padding after the trailer, as the kernel build writes it */
	g_byte_array_set_size(a, a->len + 512);
	memset(a->data + a->len - 512, 0, 512);
	assert_int_equal(check_initrd_gz(a->data, a->len, err), 0);
	g_byte_array_unref(a);

	/* a trailer far past the first read, and across read boundaries */
	big = newc(false);
	for (int i = 0; i < 60; i++) {
		char name[32], *data = g_strnfill(4093 + (gsize)i, 'x');

		snprintf(name, sizeof(name), "file%d", i);
		newc_entry(big, 10 + (unsigned)i, 0100644, name, data);
		g_free(data);
	}
	newc_entry(big, 0, 0, "TRAILER!!!", NULL);
	assert_true(big->len > 3 * 65536);
	if (check_initrd_gz(big->data, big->len, err) != 0)
		fail_msg("large gzip'd newc: %s", err);
	assert_int_equal(check_initrd(big->data, big->len, err), 0);
	g_byte_array_unref(big);

	/*
	 * The trailer's name across the check's 64 KiB reads: one file of
	 * 65308 bytes puts the trailer's header at 65420 and its name at
	 * 65530..65539.
	 */
	big = g_byte_array_new();
	{
		char *data = g_strnfill(65308, 'y');

		newc_entry(big, 1, 0100644, "f", data);
		g_free(data);
	}
	assert_int_equal(big->len, 65420);
	newc_entry(big, 0, 0, "TRAILER!!!", NULL);
	assert_int_equal(memcmp(big->data + 65530, "TRAILER!!!", 10), 0);
	if (check_initrd(big->data, big->len, err) != 0)
		fail_msg("trailer across reads: %s", err);
	assert_int_equal(check_initrd_gz(big->data, big->len, err), 0);
	g_byte_array_unref(big);
}

/* An archive made the way guests/build-image.sh makes it, if we can. */
static void test_initrd_real_tools(void **state)
{
	char *cpio = g_find_program_in_path("cpio");
	char *gz = g_find_program_in_path("gzip");
	char *root, *cmd, *img, err[ERRLEN] = "";
	char *init;

	(void)state;
	if (!cpio || !gz) {
		g_free(cpio);
		g_free(gz);
		print_message("cpio or gzip not installed\n");
		skip();
	}
	g_free(cpio);
	g_free(gz);
	root = g_build_filename(dir, "root", NULL);
	assert_int_equal(mkdir_p(root, err), 0);
	init = g_build_filename(root, "init", NULL);
	assert_int_equal(file_write(init, "#!/bin/sh\n", 10, err), 0);
	img = g_build_filename(dir, "tools.img", NULL);
	cmd = g_strdup_printf("cd '%s' && find . | cpio -o -H newc --quiet "
			      "| gzip -9 > '%s'", root, img);
	assert_int_equal(system(cmd), 0);
	if (image_check_initrd(img, err) != 0)
		fail_msg("cpio | gzip: %s", err);
	g_free(cmd);
	g_free(img);
	g_free(init);
	g_free(root);
}

static void test_initrd_bad(void **state)
{
	GByteArray *a = newc(true), *nt = newc(false);
	GBytes *gz = gzip(a->data, a->len);
	gsize n;
	const guint8 *d = g_bytes_get_data(gz, &n);
	guint8 *copy, rnd[4096];
	char err[ERRLEN] = "";

	(void)state;
	/* empty */
	assert_int_equal(check_initrd("", 0, err), -1);
	assert_contains(err, "is empty");
	assert_contains(err, "/initrd.img'");
	assert_contains(err, "make guest");
	/* a gzip stream cut short: in the middle, and only its footer */
	assert_int_equal(check_initrd(d, n / 2, err), -1);
	assert_contains(err, "is damaged or truncated");
	assert_contains(err, "make guest");
	assert_int_equal(check_initrd(d, n - 8, err), -1);
	assert_contains(err, "damaged or truncated");
	assert_int_equal(check_initrd(d, 10, err), -1);	/* header only */
	/* a damaged one: a flipped byte in the compressed data */
	copy = g_memdup2(d, n);
	copy[n / 2] ^= 0xff;
	assert_int_equal(check_initrd(copy, n, err), -1);
	g_free(copy);
	/* a gzip of random bytes: not a cpio inside */
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (guint8)g_random_int();
	rnd[0] = 'x';	/* never "070701" by chance */
	assert_int_equal(check_initrd_gz(rnd, sizeof(rnd), err), -1);
	assert_contains(err, "is not a newc cpio archive inside its gzip");
	/* random bytes, not gzip'd */
	assert_int_equal(check_initrd(rnd, sizeof(rnd), err), -1);
	assert_contains(err, "is not a newc cpio archive;");
	/* the old binary cpio format is not newc */
	assert_int_equal(check_initrd_gz("\xc7\x71\x00\x00", 4, err), -1);
	assert_contains(err, "not a newc cpio archive");
	/* a gzip of 3 bytes: too short to be a cpio */
	assert_int_equal(check_initrd_gz("070", 3, err), -1);
	assert_contains(err, "not a newc cpio archive");
	/* a cpio without its trailer, gzip'd or not */
	assert_int_equal(check_initrd_gz(nt->data, nt->len, err), -1);
	assert_contains(err, "is truncated (no cpio trailer in ");
	assert_contains(err, "make guest");
	assert_int_equal(check_initrd(nt->data, nt->len, err), -1);
	assert_contains(err, "no cpio trailer");
	/* a cpio cut in its trailer's name */
	assert_int_equal(check_initrd(a->data, a->len - 8, err), -1);
	assert_contains(err, "no cpio trailer");
	/*
	 * A file whose data holds the trailer's name (busybox's cpio applet
	 * does), the archive cut short after it: still truncated (CI-like
	 * run ci-32 booted a 3 MB prefix of the plain archive when the
	 * check searched for the string)
	 */
	{
		GByteArray *t = newc(false);
		size_t cut;

		newc_entry(t, 7, 0100755, "bin/busybox",
			   "....TRAILER!!!....cpio applet");
		cut = t->len;
		newc_entry(t, 8, 0100644, "init", "#!/bin/sh\n");
		newc_entry(t, 0, 0, "TRAILER!!!", NULL);
		assert_int_equal(check_initrd(t->data, t->len, err), 0);
		assert_int_equal(check_initrd(t->data, cut, err), -1);
		assert_contains(err, "no cpio trailer");
		assert_int_equal(check_initrd_gz(t->data, cut + 20, err), -1);
		assert_contains(err, "no cpio trailer");
		/* a damaged header after the first entry */
		copy = g_memdup2(t->data, t->len);
		memcpy(copy + cut, "070799", 6);
		assert_int_equal(check_initrd(copy, t->len, err), -1);
		assert_contains(err, "is damaged (an entry's header has no "
				"newc magic");
		memcpy(copy + cut, "070701", 6);
		copy[cut + 94] = 'z';	/* c_namesize */
		assert_int_equal(check_initrd(copy, t->len, err), -1);
		assert_contains(err, "an entry's header is damaged");
		g_free(copy);
		g_byte_array_unref(t);
	}
	/* missing */
	assert_int_equal(image_check_initrd("/nonexistent/initrd.img", err),
			 -1);
	assert_contains(err, "guest initramfs '/nonexistent/initrd.img' "
			"cannot be read");
	g_bytes_unref(gz);
	g_byte_array_unref(a);
	g_byte_array_unref(nt);
}

/* ---- image_check --------------------------------------------------------------- */

static void make_image(const char *d, bool kernel, bool initrd)
{
	char err[ERRLEN];
	char *k = g_build_filename(d, "vmlinuz", NULL);
	char *i = g_build_filename(d, "initrd.img", NULL);

	assert_int_equal(mkdir_p(d, err), 0);
	if (kernel) {
		GByteArray *b = bzimage(4, 100, 4160);

		assert_int_equal(file_write(k, b->data, b->len, err), 0);
		g_byte_array_unref(b);
	}
	if (initrd) {
		GByteArray *a = newc(true);
		GBytes *gz = gzip(a->data, a->len);
		gsize n;
		const void *data = g_bytes_get_data(gz, &n);

		assert_int_equal(file_write(i, data, n, err), 0);
		g_bytes_unref(gz);
		g_byte_array_unref(a);
	}
	g_free(k);
	g_free(i);
}

static void test_image_check(void **state)
{
	char err[ERRLEN] = "", *k = NULL, *i = NULL;
	char *d = g_build_filename(dir, "guest", NULL);
	char *missing = g_build_filename(dir, "nothing-here", NULL);

	(void)state;
	/* no directory at all: it names the folder, the file and the fix */
	assert_int_equal(image_check(missing, &k, &i, err), -1);
	assert_contains(err, missing);
	assert_contains(err, "no vmlinuz");
	assert_contains(err, "make guest");
	assert_null(k);
	assert_null(i);
	/* an empty folder */
	make_image(d, false, false);
	assert_int_equal(image_check(d, &k, &i, err), -1);
	assert_contains(err, "no vmlinuz");
	/* the kernel alone */
	make_image(d, true, false);
	assert_int_equal(image_check(d, &k, &i, err), -1);
	assert_contains(err, "no initrd.img");
	assert_null(k);
	/* both */
	make_image(d, true, true);
	if (image_check(d, &k, &i, err) != 0)
		fail_msg("%s", err);
	assert_true(g_str_has_suffix(k, "/guest/vmlinuz"));
	assert_true(g_str_has_suffix(i, "/guest/initrd.img"));
	g_free(k);
	g_free(i);
	k = i = NULL;
	/* a broken kernel is named by its own check */
	{
		char *kp = g_build_filename(d, "vmlinuz", NULL);

		assert_int_equal(file_write(kp, "", 0, err), 0);
		assert_int_equal(image_check(d, &k, &i, err), -1);
		assert_contains(err, "guest kernel");
		assert_contains(err, "is empty");
		assert_null(k);
		g_free(kp);
	}
	/* so is a broken initramfs */
	make_image(d, true, false);
	{
		char *ip = g_build_filename(d, "initrd.img", NULL);

		assert_int_equal(file_write(ip, "junk", 4, err), 0);
		assert_int_equal(image_check(d, &k, &i, err), -1);
		assert_contains(err, "guest initramfs");
		g_free(ip);
	}
	/* a directory where the kernel should be is no kernel */
	{
		char *kp = g_build_filename(d, "vmlinuz", NULL);

		assert_int_equal(rm_rf(kp, err), 0);
		assert_int_equal(mkdir_p(kp, err), 0);
		assert_int_equal(image_check(d, &k, &i, err), -1);
		assert_contains(err, "no vmlinuz");
		g_free(kp);
	}
	g_free(d);
	g_free(missing);
}

/*
 * The folder a built guest image is in: $NICQ_GUEST_DIR, this checkout's
 * build/guest, or the main checkout's when this one is a git worktree.
 */
static char *built_image_dir(void)
{
	const char *env = getenv("NICQ_GUEST_DIR");
	char *d, *gitfile, *text = NULL, *gitdir, *common = NULL, *root;

	if (env && *env)
		return g_strdup(env);
	d = g_build_filename(NICQ_SRCDIR, "build", "guest", NULL);
	if (g_file_test(d, G_FILE_TEST_IS_DIR))
		return d;
	g_free(d);
	/* a worktree's .git is a file: "gitdir: <main>/.git/worktrees/x" */
	gitfile = g_build_filename(NICQ_SRCDIR, ".git", NULL);
	if (!g_file_get_contents(gitfile, &text, NULL, NULL) ||
	    !g_str_has_prefix(text, "gitdir: ")) {
		g_free(gitfile);
		g_free(text);
		return NULL;
	}
	g_free(gitfile);
	gitdir = g_strstrip(g_strdup(text + strlen("gitdir: ")));
	g_free(text);
	d = g_build_filename(gitdir, "commondir", NULL);
	if (g_file_get_contents(d, &common, NULL, NULL)) {
		char *c = g_strstrip(common);
		char *abs = g_path_is_absolute(c) ? g_strdup(c) :
			    g_build_filename(gitdir, c, NULL);
		char *canon = g_canonicalize_filename(abs, NULL);

		root = g_path_get_dirname(canon);
		g_free(d);
		d = g_build_filename(root, "build", "guest", NULL);
		g_free(root);
		g_free(canon);
		g_free(abs);
	} else {
		g_free(d);
		d = NULL;
	}
	g_free(common);
	g_free(gitdir);
	return d;
}

static void test_built_image(void **state)
{
	char *d = built_image_dir(), *k = NULL, *i = NULL;
	char err[ERRLEN] = "";

	(void)state;
	if (!d || !g_file_test(d, G_FILE_TEST_IS_DIR)) {
		print_message("no built guest image (make guest) to check\n");
		g_free(d);
		skip();
	}
	print_message("checking the built guest image in %s\n", d);
	if (image_check(d, &k, &i, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(image_check_kernel(k, err), 0);
	assert_int_equal(image_check_initrd(i, err), 0);
	g_free(k);
	g_free(i);
	g_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernel_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_bad, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_initrd_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_real_tools, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_initrd_bad, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_check, setup,
						teardown),
		cmocka_unit_test(test_built_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
