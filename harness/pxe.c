/* pxe.c - see pxe.h. */
#include "pxe.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const rom_names[NIC_MODEL_COUNT] = {
	[NIC_RTL8139] = "efi-rtl8139.rom",
	[NIC_E1000] = "efi-e1000.rom",
	[NIC_VIRTIO] = "efi-virtio.rom",
};

const char *pxe_rom_name(enum nic_model model)
{
	if ((unsigned)model >= NIC_MODEL_COUNT)
		return NULL;
	return rom_names[model];
}

int pxe_rom_path(enum nic_model model, char **path, char *err)
{
	char *argv[] = { "qemu-system-x86_64", "-L", "help", NULL };
	const char *name = pxe_rom_name(model);
	struct proc_result r;
	char **dirs, **d;
	int rc = -1;

	if (!name) {
		err_set(err, "no option ROM known for NIC model %d",
			(int)model);
		return -1;
	}
	if (spawn_run(argv, 20000, &r, err) < 0)
		return -1;
	if (r.status != 0) {
		err_set(err, "cannot list QEMU's firmware path "
			"(qemu-system-x86_64 -L help): exit %d", r.status);
		proc_result_clear(&r);
		return -1;
	}
	dirs = g_strsplit(r.out, "\n", -1);
	for (d = dirs; *d && rc < 0; d++) {
		char *p, real[PATH_MAX];

		g_strstrip(*d);
		if (!**d)
			continue;
		p = g_build_filename(*d, name, NULL);
		if (realpath(p, real) && access(real, R_OK) == 0) {
			*path = g_strdup(real);
			rc = 0;
		}
		g_free(p);
	}
	if (rc < 0)
		err_set(err, "QEMU's option ROM %s is not in its firmware path "
			"(%s)", name, g_strdelimit(g_strstrip(r.out), "\n",
						   ':'));
	g_strfreev(dirs);
	proc_result_clear(&r);
	return rc;
}

static bool script_safe(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || strchr("$#'\"\\", *s))
			return false;
	return true;
}

int pxe_script(const char *server, const char *cmdline, char **out,
	       char *err)
{
	unsigned a, b, c, d;
	char tail;

	if (!server || sscanf(server, "%u.%u.%u.%u%c", &a, &b, &c, &d,
			      &tail) != 4 || a > 255 || b > 255 || c > 255 ||
	    d > 255) {
		err_set(err, "invalid TFTP server address '%s'",
			server ? server : "(null)");
		return -1;
	}
	if (!cmdline || !script_safe(cmdline)) {
		err_set(err, "kernel command line cannot go into an iPXE "
			"script: it must be printable ASCII without $, #, "
			"quotes or backslashes");
		return -1;
	}
	*out = g_strdup_printf("#!ipxe\n"
			       "echo nicq: network boot of %s from %s\n"
			       "kernel tftp://%s/%s %s\n"
			       "initrd tftp://%s/%s\n"
			       "boot\n",
			       PXE_KERNEL, server, server, PXE_KERNEL, cmdline,
			       server, PXE_INITRD);
	return 0;
}

/* Copy target into dir/name, mode 0644: dnsmasq drops its privileges,
 * and the image's own folders need not be open to it. */
static int copy_into(const char *dir, const char *name, const char *target,
		     char *err)
{
	char *p = g_build_filename(dir, name, NULL);
	char *data = NULL;
	size_t len = 0;
	int rc = 0;

	if (!g_path_is_absolute(target) ||
	    !g_file_test(target, G_FILE_TEST_IS_REGULAR)) {
		err_set(err, "cannot serve '%s' over TFTP: not a regular file "
			"with an absolute path", target);
		rc = -1;
	} else if (file_read(target, &data, &len, err) < 0 ||
		   file_write(p, data, len, err) < 0) {
		rc = -1;
	} else if (chmod(p, 0644) < 0) {
		err_set(err, "cannot chmod '%s': %s", p, strerror(errno));
		rc = -1;
	}
	g_free(data);
	g_free(p);
	return rc;
}

int pxe_tftp_root(const char *dir, const char *kernel, const char *initrd,
		  const char *server, const char *cmdline, char *err)
{
	char *script = NULL, *p;
	int rc;

	if (pxe_script(server, cmdline, &script, err) < 0)
		return -1;
	if (mkdir_p(dir, err) < 0) {
		g_free(script);
		return -1;
	}
	if (chmod(dir, 0755) < 0) {
		err_set(err, "cannot chmod '%s': %s", dir, strerror(errno));
		g_free(script);
		return -1;
	}
	p = g_build_filename(dir, PXE_BOOT_FILE, NULL);
	rc = file_write(p, script, strlen(script), err);
	if (rc == 0 && chmod(p, 0644) < 0) {
		err_set(err, "cannot chmod '%s': %s", p, strerror(errno));
		rc = -1;
	}
	g_free(p);
	g_free(script);
	if (rc == 0)
		rc = copy_into(dir, PXE_KERNEL, kernel, err);
	if (rc == 0)
		rc = copy_into(dir, PXE_INITRD, initrd, err);
	return rc;
}
