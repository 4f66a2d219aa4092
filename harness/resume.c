/* resume.c - see resume.h. */
#include "resume.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

char *resume_evidence_cmd(const char *ifname, long sleeper_pid)
{
	char *ifq = shq(ifname), *cmd;

	cmd = g_strdup_printf(
		"echo token=$(cat /tmp/nicq-token 2>/dev/null); "
		"echo boot_id=$(cat /proc/sys/kernel/random/boot_id); "
		"echo sleeper=$(tr '\\000' ' ' </proc/%ld/cmdline 2>/dev/null); "
		"echo driver=$(ethtool -i %s | sed -n 's/^driver: //p'); "
		"echo operstate=$(cat /sys/class/net/%s/operstate); "
		"echo uptime=$(cut -d' ' -f1 /proc/uptime)",
		sleeper_pid, ifq, ifq);
	g_free(ifq);
	return cmd;
}

char *resume_kv(const char *out, const char *key)
{
	size_t kl = strlen(key);
	const char *p = out;

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, "\r\n");

			return n ? g_strndup(p + kl + 1, n) : NULL;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

void resume_evidence_parse(const char *out, struct resume_evidence *e)
{
	e->token = resume_kv(out, "token");
	e->boot_id = resume_kv(out, "boot_id");
	e->sleeper = resume_kv(out, "sleeper");
	if (e->sleeper)
		g_strchomp(e->sleeper);	/* the cmdline's last NUL */
	e->driver = resume_kv(out, "driver");
	e->operstate = resume_kv(out, "operstate");
	e->uptime = resume_kv(out, "uptime");
}

void resume_evidence_clear(struct resume_evidence *e)
{
	if (!e)
		return;
	g_free(e->token);
	g_free(e->boot_id);
	g_free(e->sleeper);
	g_free(e->driver);
	g_free(e->operstate);
	g_free(e->uptime);
	memset(e, 0, sizeof(*e));
}

int swsusp_signature(const char *path, char sig[11], char *err)
{
	char buf[11] = "";
	int fd = file_open(path, O_RDONLY, 0), i;
	ssize_t n;

	if (fd < 0) {
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	n = pread(fd, buf, 10, SWSUSP_SIG_OFFSET);
	close(fd);
	if (n != 10) {
		err_set(err, "'%s' is shorter than a swap header page", path);
		return -1;
	}
	for (i = 0; i < 10 && buf[i]; i++)
		if (!g_ascii_isprint(buf[i]))
			buf[i] = '.';
	memcpy(sig, buf, sizeof(buf));
	return 0;
}

int swsusp_wipe(const char *path, char *err)
{
	static const char zero[4096];
	int fd = file_open(path, O_WRONLY, 0);

	if (fd < 0 || pwrite(fd, zero, sizeof(zero), 0) != sizeof(zero) ||
	    fsync(fd) < 0) {
		err_set(err, "cannot wipe '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
