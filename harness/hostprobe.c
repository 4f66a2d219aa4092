/* hostprobe.c - see hostprobe.h. */
#include "hostprobe.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib.h>
#include <string.h>

const char *host_pick_accel(enum accel want, char **reason)
{
	bool vmx = false, pvm;
	char *cpuinfo = NULL;
	int fd;

	if (want == ACCEL_TCG) {
		*reason = g_strdup("TCG requested with --accel tcg");
		return "tcg";
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*reason = g_strdup_printf("/dev/kvm: %s", strerror(errno));
		return want == ACCEL_KVM ? "kvm" : "tcg";
	}
	close(fd);
	if (file_read("/proc/cpuinfo", &cpuinfo, NULL, NULL) == 0) {
		vmx = strstr(cpuinfo, " vmx") || strstr(cpuinfo, " svm");
		g_free(cpuinfo);
	}
	pvm = g_file_test("/sys/module/kvm_pvm", G_FILE_TEST_EXISTS);
	if (want == ACCEL_KVM) {
		*reason = g_strdup("KVM requested with --accel kvm");
		return "kvm";
	}
	if (pvm) {
		*reason = g_strdup("/dev/kvm is PVM (kvm_pvm): stock guest "
				   "kernels hang in early boot on it");
		return "tcg";
	}
	if (!vmx) {
		*reason = g_strdup("CPU has no vmx/svm: /dev/kvm cannot run "
				   "a stock guest");
		return "tcg";
	}
	*reason = g_strdup("/dev/kvm usable with hardware virtualisation");
	return "kvm";
}

bool host_probe_vhost(char **reason)
{
	int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		*reason = g_strdup_printf("/dev/vhost-net: %s", strerror(errno));
		return false;
	}
	close(fd);
	*reason = NULL;
	return true;
}

static const char *qemu_devices(void)
{
	static char *devices;
	char *argv[] = { "qemu-system-x86_64", "-device", "help", NULL };
	struct proc_result r;

	if (devices)
		return devices;
	if (spawn_run(argv, 20000, &r, NULL) == 0 && r.status == 0)
		devices = g_strconcat(r.out, r.errout, NULL);
	else
		devices = g_strdup("");
	proc_result_clear(&r);
	return devices;
}

bool host_has_model(enum nic_model m)
{
	const struct model_info *mi = model_info(m);
	char *quoted;
	bool ok;

	if (!mi)
		return false;
	quoted = g_strdup_printf("\"%s\"", mi->qemu_device);
	ok = strstr(qemu_devices(), quoted) != NULL;
	g_free(quoted);
	return ok;
}

static const char rebuild[] = "rebuild it with 'make guest' (installed: "
				"'nicq build-image')";

int image_check_kernel(const char *path, char *err)
{
	unsigned char hdr[0x210];
	GError *gerr = NULL;
	GMappedFile *mf = g_mapped_file_new(path, FALSE, &gerr);
	const unsigned char *b;
	gsize len;
	guint64 want;
	unsigned setup;
	int rc = -1;

	if (!mf) {
		err_set(err, "guest kernel '%s' cannot be read: %s; %s", path,
			gerr->message, rebuild);
		g_error_free(gerr);
		return -1;
	}
	len = g_mapped_file_get_length(mf);
	b = (const unsigned char *)g_mapped_file_get_contents(mf);
	if (len < sizeof(hdr)) {
		err_set(err, "guest kernel '%s' is %s (%zu bytes); %s", path,
			len ? "truncated" : "empty", (size_t)len, rebuild);
		goto out;
	}
	memcpy(hdr, b, sizeof(hdr));
	if (memcmp(hdr + 0x202, "HdrS", 4) || hdr[0x1fe] != 0x55 ||
	    hdr[0x1ff] != 0xaa) {
		err_set(err, "guest kernel '%s' is not an x86 Linux kernel "
			"(no bzImage boot header); %s", path, rebuild);
		goto out;
	}
	setup = hdr[0x1f1] ? hdr[0x1f1] : 4;
	want = (guint64)(setup + 1) * 512 +
	       (guint64)(hdr[0x1f4] | hdr[0x1f5] << 8 | hdr[0x1f6] << 16 |
			 (guint64)hdr[0x1f7] << 24) * 16;
	/* the protected-mode part is counted in 16-byte paragraphs */
	if ((guint64)len + 15 < want) {
		err_set(err, "guest kernel '%s' is truncated (%zu of %llu "
			"bytes); %s", path, (size_t)len,
			(unsigned long long)want, rebuild);
		goto out;
	}
	rc = 0;
out:
	g_mapped_file_unref(mf);
	return rc;
}

/*
 * A newc cpio archive walked entry by entry as it streams past: each
 * entry is a 110-byte header ("070701" or "070702", then thirteen 8-digit
 * hex fields, of which c_filesize and c_namesize), its name padded to a
 * multiple of 4 from the header's start, its data padded likewise.  The
 * archive is whole when the entry named "TRAILER!!!" has been read; a
 * search for that string would be fooled by a file that contains it
 * (busybox's cpio applet does) in an archive cut short after it.
 */
struct cpio_walk {
	unsigned char hdr[110];
	size_t have;		/* bytes of hdr, or of name, read so far */
	char name[4097];	/* the entry's name (c_namesize <= 4096) */
	unsigned long namesize;
	unsigned long long skip;	/* name padding, data and its padding
					 * still to pass */
	int state;		/* 0 header, 1 name, 2 skipping */
	bool done;		/* the trailer was read */
	unsigned long long entries;
};

static bool hex8(const unsigned char *p, unsigned long *out)
{
	unsigned long v = 0;

	for (int i = 0; i < 8; i++) {
		int d = g_ascii_xdigit_value((gchar)p[i]);

		if (d < 0)
			return false;
		v = v << 4 | (unsigned long)d;
	}
	*out = v;
	return true;
}

/* Feed n bytes; false (why set) when the archive is not newc cpio. */
static bool cpio_feed(struct cpio_walk *w, const unsigned char *b, size_t n,
		      const char **why)
{
	while (n && !w->done) {
		size_t k;

		if (w->state == 2) {
			k = (size_t)MIN((unsigned long long)n, w->skip);
			w->skip -= k;
			b += k;
			n -= k;
			if (!w->skip)
				w->state = 0, w->have = 0;
		} else if (w->state == 0) {
			unsigned long fsize;

			k = MIN(n, sizeof(w->hdr) - w->have);
			memcpy(w->hdr + w->have, b, k);
			w->have += k;
			b += k;
			n -= k;
			if (w->have < sizeof(w->hdr))
				continue;
			if (memcmp(w->hdr, "07070", 5) ||
			    (w->hdr[5] != '1' && w->hdr[5] != '2')) {
				*why = "an entry's header has no newc magic";
				return false;
			}
			if (!hex8(w->hdr + 54, &fsize) ||
			    !hex8(w->hdr + 94, &w->namesize) ||
			    w->namesize < 1 || w->namesize >= sizeof(w->name)) {
				*why = "an entry's header is damaged";
				return false;
			}
			/* after the name: its padding, the data, its padding */
			w->skip = (4 - (110 + w->namesize) % 4) % 4 +
				  fsize + (4 - fsize % 4) % 4;
			w->state = 1;
			w->have = 0;
		} else {
			k = MIN(n, w->namesize - w->have);
			memcpy(w->name + w->have, b, k);
			w->have += k;
			b += k;
			n -= k;
			if (w->have < w->namesize)
				continue;
			w->name[w->namesize - 1] = '\0';
			w->entries++;
			if (!strcmp(w->name, "TRAILER!!!")) {
				w->done = true;
				break;
			}
			w->state = w->skip ? 2 : 0;
			w->have = 0;
		}
	}
	return true;
}

int image_check_initrd(const char *path, char *err)
{
	GFile *f = g_file_new_for_path(path);
	GError *gerr = NULL;
	GInputStream *in = G_INPUT_STREAM(g_file_read(f, NULL, &gerr));
	GInputStream *s = NULL;
	struct cpio_walk *w = g_new0(struct cpio_walk, 1);
	const char *why = NULL;
	unsigned char magic[6];
	char *buf = g_malloc(1 << 16);
	gsize got = 0, total = 0;
	bool gz;
	int rc = -1;

	if (!in) {
		err_set(err, "guest initramfs '%s' cannot be read: %s; %s",
			path, gerr->message, rebuild);
		goto out;
	}
	if (!g_input_stream_read_all(in, magic, 2, &got, NULL, &gerr) ||
	    got < 2) {
		err_set(err, "guest initramfs '%s' is empty; %s", path,
			rebuild);
		goto out;
	}
	gz = magic[0] == 0x1f && magic[1] == 0x8b;
	g_seekable_seek(G_SEEKABLE(in), 0, G_SEEK_SET, NULL, NULL);
	if (gz) {
		GConverter *c = G_CONVERTER(g_zlib_decompressor_new(
			G_ZLIB_COMPRESSOR_FORMAT_GZIP));

		s = g_converter_input_stream_new(in, c);
		g_object_unref(c);
	} else {
		s = g_object_ref(in);
	}
	for (;;) {
		gssize n = g_input_stream_read(s, buf, 1 << 16, NULL, &gerr);

		if (n < 0) {
			err_set(err, "guest initramfs '%s' is damaged or "
				"truncated (%s after %zu bytes); %s", path,
				gerr->message, (size_t)total, rebuild);
			goto out;
		}
		if (n == 0)
			break;
		if (total == 0 && (n < 6 || memcmp(buf, "070701", 6))) {
			memcpy(magic, buf, n < 6 ? (size_t)n : 6);
			err_set(err, "guest initramfs '%s' is not a newc cpio "
				"archive%s; %s", path, gz ? " inside its gzip" :
				"", rebuild);
			goto out;
		}
		total += (gsize)n;
		if (!cpio_feed(w, (const unsigned char *)buf, (size_t)n,
			       &why)) {
			err_set(err, "guest initramfs '%s' is damaged (%s, "
				"after %llu entries); %s", path, why,
				w->entries, rebuild);
			goto out;
		}
	}
	if (!w->done) {
		err_set(err, "guest initramfs '%s' is truncated (no cpio "
			"trailer in %zu bytes); %s", path, (size_t)total,
			rebuild);
		goto out;
	}
	rc = 0;
out:
	if (gerr)
		g_error_free(gerr);
	if (s)
		g_object_unref(s);
	if (in)
		g_object_unref(in);
	g_object_unref(f);
	g_free(w);
	g_free(buf);
	return rc;
}

int image_check(const char *dir, char **kernel, char **initrd, char *err)
{
	char *k = g_build_filename(dir, "vmlinuz", NULL);
	char *i = g_build_filename(dir, "initrd.img", NULL);

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR) ||
	    !g_file_test(k, G_FILE_TEST_IS_REGULAR) ||
	    !g_file_test(i, G_FILE_TEST_IS_REGULAR)) {
		err_set(err, "guest image not found in '%s' (no %s); build it "
			"with 'make guest' (installed: 'nicq build-image')", dir,
			!g_file_test(k, G_FILE_TEST_IS_REGULAR) ? "vmlinuz" :
			"initrd.img");
		goto fail;
	}
	if (image_check_kernel(k, err) < 0 || image_check_initrd(i, err) < 0)
		goto fail;
	*kernel = k;
	*initrd = i;
	return 0;
fail:
	g_free(k);
	g_free(i);
	return -1;
}
