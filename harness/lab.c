/* lab.c - see lab.h. */
#include "lab.h"
#include "hostprobe.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libvirt/virterror.h>

#define NETNS_DIR "/run/netns"
#define DAEMON_START_MS 20000

static void quiet_libvirt(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

/* ---- leftovers and cleanup ------------------------------------------- */

static int netns_procs(const char *ns_path, GString *what);

static GPtrArray *list_prefixed(const char *dir, const char *prefix)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return names;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (g_str_has_prefix(de->d_name, prefix))
			g_ptr_array_add(names, g_strdup(de->d_name));
	}
	closedir(d);
	return names;
}

/*
 * Each private lab holds an flock on /run/nicq/<id>.lock for its whole life.
 * A namespace nicq-<id> or a directory /run/nicq/<id> whose lock nobody
 * holds is a leftover; one whose lock is held belongs to a live run, which
 * nicq leaves alone (so several runs can share a host).
 */
static int lab_lock(const char *id, int *fd_out, bool *busy, char *err)
{
	char *path;
	int fd;

	*busy = false;
	if (mkdir_p(LAB_RUNDIR, err) < 0)
		return -1;
	path = g_strdup_printf("%s/%s.lock", LAB_RUNDIR, id);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		g_free(path);
		return -1;
	}
	g_free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		*busy = true;
		return -1;
	}
	*fd_out = fd;
	return 0;
}

/*
 * Whether nobody holds lab id's lock, looked at without creating the lock
 * file: a scan that created it (open with O_CREAT) just after its lab's
 * run had removed it on the way out left an empty <id>.lock behind (seen
 * in make check with runs starting while an interrupted one ended).  No
 * lock file at all: nobody holds it.
 */
static bool lab_lock_free(const char *id)
{
	char *path = g_strdup_printf("%s/%s.lock", LAB_RUNDIR, id);
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	bool free_ = true;

	g_free(path);
	if (fd < 0)
		return errno == ENOENT;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		free_ = false;
	close(fd);
	return free_;
}

static void add_id(GPtrArray *ids, const char *id)
{
	guint i;

	for (i = 0; i < ids->len; i++)
		if (!strcmp(ids->pdata[i], id))
			return;
	g_ptr_array_add(ids, g_strdup(id));
}

/* Ids of labs that left something behind and whose run is not alive. */
static GPtrArray *leftover_ids(void)
{
	GPtrArray *ns = list_prefixed(NETNS_DIR, "nicq-");
	GPtrArray *dirs = list_prefixed(LAB_RUNDIR, "");
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *left = g_ptr_array_new_with_free_func(g_free);
	guint i;

	for (i = 0; i < ns->len; i++)
		add_id(ids, (char *)ns->pdata[i] + strlen("nicq-"));
	for (i = 0; i < dirs->len; i++) {
		char *n = dirs->pdata[i];

		if (g_str_has_suffix(n, ".lock"))
			n[strlen(n) - 5] = '\0';
		if (strcmp(n, "lock"))	/* the pre-per-lab global lock */
			add_id(ids, n);
	}
	for (i = 0; i < ids->len; i++)
		if (lab_lock_free(ids->pdata[i]))
			g_ptr_array_add(left, g_strdup(ids->pdata[i]));
	g_ptr_array_free(ns, TRUE);
	g_ptr_array_free(dirs, TRUE);
	g_ptr_array_free(ids, TRUE);
	return left;
}

int lab_check_leftovers(char *err)
{
	GPtrArray *ids = leftover_ids();
	GString *what = g_string_new(NULL);
	guint i;
	int rc = 0;

	for (i = 0; i < ids->len; i++) {
		const char *id = ids->pdata[i];
		char *ns = g_strdup_printf("%s/nicq-%s", NETNS_DIR, id);
		char *dir = g_strdup_printf("%s/%s", LAB_RUNDIR, id);

		if (g_file_test(ns, G_FILE_TEST_EXISTS)) {
			GString *procs = g_string_new(NULL);

			g_string_append_printf(what, "%snamespace nicq-%s",
					       what->len ? ", " : "", id);
			if (netns_procs(ns, procs))
				g_string_append_printf(what, " with processes "
						       "%s", procs->str);
			g_string_free(procs, TRUE);
		}
		if (g_file_test(dir, G_FILE_TEST_IS_DIR))
			g_string_append_printf(what, "%slab directory %s",
					       what->len ? ", " : "", dir);
		g_free(ns);
		g_free(dir);
	}
	if (what->len) {
		err_set(err, "leftovers of an earlier nicq run: %s; 'nicq "
			"cleanup' ends those processes and removes them",
			what->str);
		rc = -1;
	}
	g_string_free(what, TRUE);
	g_ptr_array_free(ids, TRUE);
	return rc;
}

/*
 * Whether the process that pidfd names (opened for pid) lives in the network
 * namespace ns_st: checked after the pidfd was taken, so a number reused
 * between the /proc listing and now is judged as the process the pidfd
 * holds, and a process that ends meanwhile only makes the signal fail.
 */
static bool pid_in_netns(pid_t pid, const struct stat *ns_st)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return stat(path, &st) == 0 && st.st_ino == ns_st->st_ino &&
	       st.st_dev == ns_st->st_dev;
}

/* The command name of pid (its /proc/<pid>/comm), "?" when gone. */
static void pid_comm(pid_t pid, char comm[32])
{
	char path[64], *text = NULL;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	g_strlcpy(comm, "?", 32);
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		g_strchomp(text);
		g_strlcpy(comm, text, 32);
		g_free(text);
	}
}

/*
 * The processes in the network namespace bound at ns_path, except
 * ourselves: each as "pid N (comm)" appended to what (when not NULL; at
 * most 8 named, then "and N more").  Returns how many.
 */
static int netns_procs(const char *ns_path, GString *what)
{
	struct stat ns_st;
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (stat(ns_path, &ns_st) < 0 || !(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		char comm[32];

		if (pid <= 0 || pid == getpid() || !pid_in_netns(pid, &ns_st))
			continue;
		if (what && n < 8) {
			pid_comm(pid, comm);
			g_string_append_printf(what, "%spid %d (%s)",
					       n ? ", " : "", (int)pid, comm);
		}
		n++;
	}
	closedir(d);
	if (what && n > 8)
		g_string_append_printf(what, " and %d more", n - 8);
	return n;
}

/*
 * Kill every process whose network namespace is the one bound at ns_path,
 * except ourselves: SIGTERM, a grace period, then SIGKILL, each through a
 * pidfd taken before the namespace is checked.  Returns how many processes
 * were found.
 */
static int kill_netns_procs(const char *ns_path)
{
	struct stat ns_st;
	int round, found = 0;

	if (stat(ns_path, &ns_st) < 0)
		return 0;
	for (round = 0; round < 3; round++) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		int n = 0;

		if (!d)
			return found;
		while ((de = readdir(d))) {
			pid_t pid = (pid_t)atoi(de->d_name);
			int fd;

			if (pid <= 0 || pid == getpid())
				continue;
			fd = pid_fd_open(pid);
			if (fd < 0)
				continue;
			if (pid_in_netns(pid, &ns_st)) {
				n++;
				pid_fd_signal(fd, round == 2 ? SIGKILL :
					      SIGTERM);
			}
			close(fd);
			waitpid(pid, NULL, WNOHANG);
		}
		closedir(d);
		if (round == 0)
			found = n;
		if (n == 0)
			break;
		/* Give them time to go, reaping our own children meanwhile. */
		for (int i = 0; i < (round == 0 ? 30 : 20); i++) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			if (!netns_procs(ns_path, NULL))
				break;
			usleep(100000);
		}
	}
	return found;
}

/*
 * From /proc/<pid>/stat: state, command name and start time (clock ticks
 * since boot).  0 or -1 when the process is gone.
 */
static int proc_stat(pid_t pid, char *state, char comm[32],
		     unsigned long long *start)
{
	char path[32], *text = NULL, *open, *close, **f;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	open = strchr(text, '(');
	close = strrchr(text, ')');
	if (open && close && close > open) {
		g_strlcpy(comm, open + 1, MIN((size_t)(close - open), 32));
		/* after ") ": state is field 3, starttime field 22 */
		f = g_strsplit(close + 2, " ", 22);
		if (g_strv_length(f) >= 20) {
			*state = f[0][0];
			*start = g_ascii_strtoull(f[19], NULL, 10);
			rc = 0;
		}
		g_strfreev(f);
	}
	g_free(text);
	return rc;
}

/*
 * libvirtd daemonizes QEMU and dnsmasq: once killed they are zombies of
 * PID 1 until it reaps them, which nicq cannot do for it (and a
 * container's PID 1 may take a while).  Wait, up to timeout_ms, until no
 * such zombie started after nicq itself is left, so a run does not end
 * while its guests or DHCP servers still show in ps.
 */
static void wait_lab_zombies(int timeout_ms)
{
	unsigned long long self_start = 0;
	int64_t end = mono_ms() + timeout_ms;
	char comm[32], state;

	if (proc_stat(getpid(), &state, comm, &self_start) < 0)
		return;
	while (mono_ms() < end) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		int n = 0;

		if (!d)
			return;
		while ((de = readdir(d))) {
			pid_t pid = (pid_t)atoi(de->d_name);
			unsigned long long start;

			if (pid > 0 && proc_stat(pid, &state, comm, &start) == 0 &&
			    state == 'Z' && start >= self_start &&
			    (!strcmp(comm, "dnsmasq") ||
			     g_str_has_prefix(comm, "qemu-system")))
				n++;
		}
		closedir(d);
		if (!n)
			return;
		usleep(50000);
	}
}

static int netns_delete(const char *name, char *err)
{
	char *argv[] = { "ip", "netns", "delete", (char *)name, NULL };
	struct proc_result r;

	if (spawn_run_teardown(argv, 10000, &r, err) < 0)
		return -1;
	if (r.status != 0) {
		err_set(err, "cannot delete namespace '%s': %s", name,
			g_strstrip(r.errout));
		proc_result_clear(&r);
		return -1;
	}
	proc_result_clear(&r);
	return 0;
}

static int cleanup_libvirt(const char *uri, char *err)
{
	virConnectPtr c = virConnectOpen(uri);
	virDomainPtr *doms = NULL;
	virNetworkPtr *nets = NULL;
	int n, i, removed = 0;

	if (!c) {
		virErrorPtr e = virGetLastError();

		err_set(err, "cannot connect to '%s': %s", uri,
			e && e->message ? e->message : "unknown error");
		return -1;
	}
	n = virConnectListAllDomains(c, &doms, 0);
	for (i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);

		if (g_str_has_prefix(name, "nicq-")) {
			if (virDomainIsActive(doms[i]) == 1)
				virDomainDestroy(doms[i]);
			if (virDomainIsPersistent(doms[i]) == 1)
				virDomainUndefine(doms[i]);
			fprintf(stderr, "nicq: removed domain %s\n", name);
			removed++;
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	n = virConnectListAllNetworks(c, &nets, 0);
	for (i = 0; i < n; i++) {
		const char *name = virNetworkGetName(nets[i]);

		if (g_str_has_prefix(name, "nicq-")) {
			if (virNetworkIsActive(nets[i]) == 1)
				virNetworkDestroy(nets[i]);
			if (virNetworkIsPersistent(nets[i]) == 1)
				virNetworkUndefine(nets[i]);
			fprintf(stderr, "nicq: removed network %s\n", name);
			removed++;
		}
		virNetworkFree(nets[i]);
	}
	free(nets);
	virConnectClose(c);
	return removed;
}

int lab_cleanup(const char *uri, char *err)
{
	GPtrArray *ids;
	int removed = 0, rc = 0;
	guint i;

	virSetErrorFunc(NULL, quiet_libvirt);
	if (uri) {
		int n = cleanup_libvirt(uri, err);

		if (n < 0)
			rc = -1;
		else
			removed += n;
	}
	ids = leftover_ids();
	for (i = 0; i < ids->len; i++) {
		const char *id = ids->pdata[i];
		char *ns = g_strdup_printf("nicq-%s", id);
		char *ns_path = g_build_filename(NETNS_DIR, ns, NULL);
		char *dir = g_build_filename(LAB_RUNDIR, id, NULL);
		char *lock = g_strdup_printf("%s/%s.lock", LAB_RUNDIR, id);
		char e2[ERRLEN];
		int fd, n;
		bool busy;

		if (lab_lock(id, &fd, &busy, e2) < 0) {
			if (!busy) {
				err_set(err, "%s", e2);
				rc = -1;
			}
			goto next;	/* a run started meanwhile */
		}
		if (g_file_test(ns_path, G_FILE_TEST_EXISTS)) {
			n = kill_netns_procs(ns_path);
			if (n)
				fprintf(stderr, "nicq: ended %d process%s in "
					"%s\n", n, n == 1 ? "" : "es", ns);
			if (netns_delete(ns, e2) < 0) {
				err_set(err, "%s", e2);
				rc = -1;
			} else {
				fprintf(stderr, "nicq: removed namespace %s\n",
					ns);
				removed++;
			}
		}
		if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
			if (rm_rf(dir, e2) < 0) {
				err_set(err, "%s", e2);
				rc = -1;
			} else {
				fprintf(stderr, "nicq: removed %s\n", dir);
				removed++;
			}
		}
		unlink(lock);
		close(fd);
next:
		g_free(ns);
		g_free(ns_path);
		g_free(dir);
		g_free(lock);
	}
	g_ptr_array_free(ids, TRUE);
	unlink(LAB_RUNDIR "/lock");	/* from before per-lab locks */
	return rc < 0 ? -1 : removed;
}

/* ---- private lab ------------------------------------------------------ */

static char *random_id(void)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char id[7];
	int i;

	for (i = 0; i < 6; i++)
		id[i] = alnum[g_random_int_range(0, 36)];
	id[6] = '\0';
	return g_strdup(id);
}

char *lab_name(const struct lab *lab, const char *suffix)
{
	return g_strdup_printf("nicq-%s-%s", lab->id, suffix);
}

static const char qemu_conf[] =
	"# nicq private lab: see HOST-FACTS.md for why root.\n"
	"user = \"root\"\n"
	"group = \"root\"\n"
	"dynamic_ownership = 0\n"
	"remember_owner = 0\n"
	"namespaces = [ ]\n"
	"security_driver = \"none\"\n"
	"stdio_handler = \"logd\"\n";

static const char libvirtd_conf[] =
	"unix_sock_group = \"root\"\n"
	"unix_sock_rw_perms = \"0700\"\n"
	"unix_sock_ro_perms = \"0700\"\n"
	"auth_unix_rw = \"none\"\n"
	"auth_unix_ro = \"none\"\n"
	"listen_tls = 0\n"
	"listen_tcp = 0\n"
	"log_outputs = \"3:file:/var/log/libvirt/libvirtd.log\"\n";

static const char virtlogd_conf[] =
	"log_outputs = \"3:file:/var/log/libvirt/virtlogd.log\"\n";

/*
 * libvirt 9.0's QEMU driver looks up its compiled-in default user
 * (libvirt-qemu) before it reads qemu.conf and gives up if the user does not
 * exist, which is the case without libvirt-daemon-system.  The lab daemons
 * then see private copies of /etc/passwd and /etc/group that add it; the
 * host's files are not changed.
 */
static int write_identity_files(const char *dir, bool *needed, char *err)
{
	char *pw = NULL, *gr = NULL, *p = NULL, *g = NULL, *path;
	int rc = -1;

	*needed = getpwnam("libvirt-qemu") == NULL ||
		  getgrnam("libvirt-qemu") == NULL || getgrnam("kvm") == NULL;
	if (!*needed)
		return 0;
	if (file_read("/etc/passwd", &pw, NULL, err) < 0 ||
	    file_read("/etc/group", &gr, NULL, err) < 0)
		goto out;
	p = g_strdup_printf("%s%s%s", pw,
			    g_str_has_suffix(pw, "\n") ? "" : "\n",
			    getpwnam("libvirt-qemu") ? "" :
			    "libvirt-qemu:x:64055:64055:nicq lab:/nonexistent:"
			    "/usr/sbin/nologin\n");
	g = g_strdup_printf("%s%s%s%s", gr,
			    g_str_has_suffix(gr, "\n") ? "" : "\n",
			    getgrnam("libvirt-qemu") ? "" :
			    "libvirt-qemu:x:64055:\n",
			    getgrnam("kvm") ? "" : "kvm:x:64056:\n");
	path = g_build_filename(dir, "passwd", NULL);
	rc = file_write(path, p, strlen(p), err);
	g_free(path);
	if (rc == 0) {
		path = g_build_filename(dir, "group", NULL);
		rc = file_write(path, g, strlen(g), err);
		g_free(path);
	}
out:
	g_free(pw);
	g_free(gr);
	g_free(p);
	g_free(g);
	return rc;
}

static int write_lab_tree(struct lab *lab, bool *identity, char *err)
{
	static const char *const subdirs[] = {
		"etc", "ident", "run/libvirt", "var/lib/libvirt/dnsmasq",
		"var/lib/libvirt/qemu", "var/cache/libvirt",
		"var/log/libvirt/qemu", "var/tmp", NULL
	};
	const char *const *s;
	char *p, *ident;
	int rc = 0;

	for (s = subdirs; *s && rc == 0; s++) {
		p = g_build_filename(lab->dir, *s, NULL);
		rc = mkdir_p(p, err);
		g_free(p);
	}
	if (rc < 0)
		return -1;
	p = g_build_filename(lab->dir, "var/run", NULL);
	if (symlink("/run", p) < 0 && errno != EEXIST) {
		err_set(err, "cannot create '%s': %s", p, strerror(errno));
		g_free(p);
		return -1;
	}
	g_free(p);
	p = g_build_filename(lab->dir, "etc/qemu.conf", NULL);
	rc = file_write(p, qemu_conf, strlen(qemu_conf), err);
	g_free(p);
	p = g_build_filename(lab->dir, "etc/libvirtd.conf", NULL);
	if (rc == 0)
		rc = file_write(p, libvirtd_conf, strlen(libvirtd_conf), err);
	g_free(p);
	p = g_build_filename(lab->dir, "etc/virtlogd.conf", NULL);
	if (rc == 0)
		rc = file_write(p, virtlogd_conf, strlen(virtlogd_conf), err);
	g_free(p);
	ident = g_build_filename(lab->dir, "ident", NULL);
	if (rc == 0)
		rc = write_identity_files(ident, identity, err);
	g_free(ident);
	return rc;
}

/*
 * libvirt's QEMU capabilities, kept between private labs.  A new libvirtd
 * probes every QEMU binary it finds (qemu-system-x86_64 and -i386 here,
 * each started under QMP and asked everything) before it answers what its
 * QEMU is: about 7 s of a developer's one-case run of 25 s, every run,
 * since each lab's /var/cache/libvirt is new.  The probed files are
 * libvirt's own cache: it checks each against the binary, itself and the
 * host and probes again when one is stale, so sharing them is safe.
 * Copied in before libvirtd starts, and back (each file whole, by rename)
 * when the lab closes.  Best effort: a cache that cannot be read or
 * written only costs the probe.
 */
#define LAB_CAPS "var/cache/libvirt/qemu/capabilities"

static void caps_copy(const char *from, const char *to)
{
	GDir *d = g_dir_open(from, 0, NULL);
	const char *name;

	if (!d || g_mkdir_with_parents(to, 0700) < 0) {
		if (d)
			g_dir_close(d);
		return;
	}
	while ((name = g_dir_read_name(d))) {
		char *src = g_build_filename(from, name, NULL);
		char *dst = g_build_filename(to, name, NULL);
		gchar *data = NULL, *old = NULL;
		gsize len, old_len;

		/* each file whole, and only when it changed */
		if (g_str_has_suffix(name, ".xml") &&
		    g_file_test(src, G_FILE_TEST_IS_REGULAR) &&
		    !g_file_test(src, G_FILE_TEST_IS_SYMLINK) &&
		    g_file_get_contents(src, &data, &len, NULL) &&
		    !(g_file_get_contents(dst, &old, &old_len, NULL) &&
		      old_len == len && !memcmp(old, data, len)))
			g_file_set_contents_full(dst, data, (gssize)len,
				G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL);
		g_free(data);
		g_free(old);
		g_free(src);
		g_free(dst);
	}
	g_dir_close(d);
}

static void child_fail(int fd, const char *what, const char *path)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s '%s': %s\n", what, path,
			 strerror(errno));

	if (n > 0 && write(fd, msg, (size_t)n) < 0)
		_exit(126);
	_exit(126);
}

static void bind_or_die(int errfd, const char *src, const char *dst)
{
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		child_fail(errfd, "cannot bind-mount over", dst);
}

/*
 * libvirtd's parent in the private lab: a subreaper that reaps at once.
 * libvirtd daemonizes QEMU (and dnsmasq), so their parent is the nearest
 * subreaper, else PID 1; a destroyed guest's QEMU stays a zombie until
 * that parent reaps it, and libvirt's destroy polls until the process is
 * gone.  PID 1 of this host's kind reaps late: every guest's destroy took
 * 1.8 s, of which QEMU's own exit is a few milliseconds.  The reaper
 * forwards SIGTERM, SIGINT and SIGHUP to libvirtd, exits with its status
 * once it ends, and dying any other way takes libvirtd with it
 * (PDEATHSIG SIGKILL), so nicq's bookkeeping of "libvirtd's pid" (this
 * process) holds.  Only returns in the daemon's process.
 */
static volatile sig_atomic_t reaper_daemon;

static void reaper_forward(int sig)
{
	if (reaper_daemon > 0)
		kill((pid_t)reaper_daemon, sig);
}

static void become_reaper(int failfd)
{
	struct sigaction sa = { .sa_handler = reaper_forward };
	pid_t self = getpid(), d, w;
	int st = 0;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		child_fail(failfd, "cannot become a subreaper for", "libvirtd");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	d = fork();
	if (d < 0)
		child_fail(failfd, "cannot fork", "libvirtd");
	if (d == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != self)	/* the reaper died before that */
			_exit(126);
		return;
	}
	close(failfd);	/* the daemon's copy reports its exec */
	reaper_daemon = d;
	for (;;) {
		w = waitpid(-1, &st, 0);
		if (w == d || (w < 0 && errno != EINTR))
			break;
	}
	if (w == d && WIFSIGNALED(st)) {
		/* end as libvirtd did, so nicq reports the same signal */
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		_exit(128 + WTERMSIG(st));
	}
	_exit(w != d ? 126 : WEXITSTATUS(st));
}

/*
 * Fork a lab daemon: own session (Ctrl-C on the terminal does not reach
 * it), SIGTERM when nicq dies, a private mount namespace with the lab's
 * /etc/libvirt, /var and /run.  nicq is already inside the lab's network
 * namespace, which the child inherits.
 */
static pid_t start_daemon(struct lab *lab, bool identity, bool reaper,
			  char *const argv[], char *err)
{
	char *etc = g_build_filename(lab->dir, "etc", NULL);
	char *var = g_build_filename(lab->dir, "var", NULL);
	char *run = g_build_filename(lab->dir, "run", NULL);
	char *pw = g_build_filename(lab->dir, "ident/passwd", NULL);
	char *gr = g_build_filename(lab->dir, "ident/group", NULL);
	char *log = g_strdup_printf("%s/%s.stderr", lab->dir,
				    strrchr(argv[0], '/') + 1);
	int pipefd[2];
	pid_t pid, parent;
	char msg[512];
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err_set(err, "cannot create pipe: %s", strerror(errno));
		pid = -1;
		goto out;
	}
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		int fd;

		close(pipefd[0]);
		setsid();
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)	/* nicq died before the line above */
			_exit(126);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (unshare(CLONE_NEWNS) < 0)
			child_fail(pipefd[1], "cannot unshare", "mount");
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail(pipefd[1], "cannot make private", "/");
		bind_or_die(pipefd[1], etc, "/etc/libvirt");
		if (identity) {
			bind_or_die(pipefd[1], pw, "/etc/passwd");
			bind_or_die(pipefd[1], gr, "/etc/group");
		}
		bind_or_die(pipefd[1], var, "/var");
		bind_or_die(pipefd[1], run, "/run");	/* last: lab dir is under /run */
		if (reaper)
			become_reaper(pipefd[1]);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		child_fail(pipefd[1], "cannot execute", argv[0]);
	}
	close(pipefd[1]);
	if (pid < 0) {
		err_set(err, "cannot fork: %s", strerror(errno));
		close(pipefd[0]);
		goto out;
	}
	/* exec closes the pipe (CLOEXEC); a message means the setup failed */
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	if (n > 0) {
		msg[n] = '\0';
		g_strchomp(msg);
		err_set(err, "cannot start %s: %s", argv[0], msg);
		pid_wait(pid, 2000, NULL);
		pid = -1;
	}
out:
	g_free(etc);
	g_free(var);
	g_free(run);
	g_free(pw);
	g_free(gr);
	g_free(log);
	return pid;
}

static int wait_socket(const char *path, pid_t pid, int timeout_ms,
		       const char *what, char *err)
{
	int64_t deadline = mono_ms() + timeout_ms;

	while (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			err_set(err, "%s exited during start-up", what);
			return -1;
		}
		if (interrupted()) {
			err_set(err, "interrupted while starting %s", what);
			return -1;
		}
		if (deadline_left(deadline) == 0) {
			err_set(err, "%s did not create '%s' within %d s", what,
				path, timeout_ms / 1000);
			return -1;
		}
		usleep(20000);
	}
	return 0;
}

static int netns_create(struct lab *lab, char *err)
{
	char *add[] = { "ip", "netns", "add", lab->netns, NULL };
	char *lo[] = { "ip", "-n", lab->netns, "link", "set", "lo", "up",
		       NULL };
	struct proc_result r;
	char *path;
	int fd, rc;

	if (spawn_run(add, 10000, &r, err) < 0)
		return -1;
	rc = r.status;
	if (rc != 0)
		err_set(err, "cannot create namespace '%s': %s", lab->netns,
			g_strstrip(r.errout));
	proc_result_clear(&r);
	if (rc != 0)
		return -1;
	if (spawn_run(lo, 10000, &r, err) < 0)
		return -1;
	proc_result_clear(&r);
	lab->host_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	path = g_build_filename(NETNS_DIR, lab->netns, NULL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		err_set(err, "cannot enter namespace '%s': %s", lab->netns,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		g_free(path);
		return -1;
	}
	close(fd);
	g_free(path);
	return 0;
}

static int open_private(struct lab *lab, char *err)
{
	char *libvirtd_argv[] = { "/usr/sbin/libvirtd", "-f",
				  "/etc/libvirt/libvirtd.conf", NULL };
	char *virtlogd_argv[] = { "/usr/sbin/virtlogd", "-f",
				  "/etc/libvirt/virtlogd.conf", NULL };
	char *sock;
	bool identity = false;
	int rc;

	if (geteuid() != 0) {
		err_set(err, "the private lab needs root (network namespaces, "
			"its own libvirtd); run as root or use --connect URI");
		return -1;
	}
	if (!g_file_test(libvirtd_argv[0], G_FILE_TEST_IS_EXECUTABLE) ||
	    !g_file_test(virtlogd_argv[0], G_FILE_TEST_IS_EXECUTABLE)) {
		err_set(err, "libvirtd or virtlogd not installed; run 'make deps'");
		return -1;
	}
	{
		bool busy;

		if (lab_lock(lab->id, &lab->lock_fd, &busy, err) < 0) {
			if (busy)
				err_set(err, "lab id %s is in use", lab->id);
			return -1;
		}
	}
	lab->netns = g_strdup_printf("nicq-%s", lab->id);
	lab->dir = g_build_filename(LAB_RUNDIR, lab->id, NULL);
	if (write_lab_tree(lab, &identity, err) < 0)
		return -1;
	if (lab->caps_dir) {
		char *caps = g_build_filename(lab->dir, LAB_CAPS, NULL);

		caps_copy(lab->caps_dir, caps);
		g_free(caps);
	}
	if (netns_create(lab, err) < 0)
		return -1;
	lab->virtlogd_pid = start_daemon(lab, identity, false, virtlogd_argv,
					   err);
	if (lab->virtlogd_pid < 0)
		return -1;
	lab->virtlogd_pidfd = pid_fd_open(lab->virtlogd_pid);
	sock = g_build_filename(lab->dir, "run/libvirt/virtlogd-sock", NULL);
	rc = wait_socket(sock, lab->virtlogd_pid, DAEMON_START_MS, "virtlogd",
			 err);
	g_free(sock);
	if (rc < 0)
		return -1;
	lab->libvirtd_pid = start_daemon(lab, identity, true, libvirtd_argv,
					   err);
	if (lab->libvirtd_pid < 0)
		return -1;
	lab->libvirtd_pidfd = pid_fd_open(lab->libvirtd_pid);
	sock = g_build_filename(lab->dir, "run/libvirt/libvirt-sock", NULL);
	rc = wait_socket(sock, lab->libvirtd_pid, DAEMON_START_MS, "libvirtd",
			 err);
	lab->uri = g_strdup_printf("qemu+unix:///system?socket=%s", sock);
	g_free(sock);
	return rc;
}

/* ---- the guard: teardown deadlines and the second signal ---------------- */

/* SIGKILL every process in the lab's namespace but nicq, at once. */
static int kill_netns_now(const char *ns_path)
{
	struct stat ns_st;
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (stat(ns_path, &ns_st) < 0 || !(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		int fd;

		if (pid <= 0 || pid == getpid() || (fd = pid_fd_open(pid)) < 0)
			continue;
		if (pid_in_netns(pid, &ns_st) && pid_fd_signal(fd, SIGKILL) == 0)
			n++;
		close(fd);
	}
	closedir(d);
	return n;
}

/*
 * The second signal: kill what the lab started - every process in its
 * namespace (QEMU, dnsmasq, the daemons, the points' processes and theirs)
 * - so that whatever nicq's main thread waits on ends.  It then gets
 * GUARD_FINISH_MS to write its results and remove the lab; past that (or
 * on a third signal) the guard removes the namespace and the lab's folder
 * itself and leaves with exit status 3.
 */
#define GUARD_FINISH_MS 15000

static void guard_hard_stop(struct lab *lab, int sig)
{
	char *ns_path = NULL;
	struct pollfd p = { .fd = lab->guard_pipe[0], .events = POLLIN };
	char c;
	int n = 0;

	if (lab->private_lab && lab->netns) {
		ns_path = g_build_filename(NETNS_DIR, lab->netns, NULL);
		n = kill_netns_now(ns_path);
	}
	if (lab->libvirtd_pidfd >= 0)
		pid_fd_signal(lab->libvirtd_pidfd, SIGKILL);
	if (lab->virtlogd_pidfd >= 0)
		pid_fd_signal(lab->virtlogd_pidfd, SIGKILL);
	__atomic_store_n(&lab->hard_stopped, 1, __ATOMIC_SEQ_CST);
	if (lab->private_lab)
		fprintf(stderr, "nicq: second signal %d: killed %d process%s "
			"the lab started, skipping the polite teardown\n", sig,
			n, n == 1 ? "" : "es");
	else
		fprintf(stderr, "nicq: second signal %d: leaving without "
			"teardown; 'nicq cleanup --connect %s' removes the "
			"domains and networks left\n", sig, lab->uri);
	/* 'q': the main thread finished its teardown in time */
	if (lab->private_lab &&
	    poll(&p, 1, GUARD_FINISH_MS) == 1 && read(p.fd, &c, 1) == 1 &&
	    c == 'q') {
		g_free(ns_path);
		return;
	}
	if (ns_path) {
		char e[ERRLEN];

		kill_netns_now(ns_path);
		if (netns_delete(lab->netns, e) < 0)
			fprintf(stderr, "nicq: %s\n", e);
	}
	if (lab->dir)
		rm_rf(lab->dir, NULL);
	if (lab->id) {
		char *lock = g_strdup_printf("%s/%s.lock", LAB_RUNDIR, lab->id);

		unlink(lock);
		g_free(lock);
	}
	g_free(ns_path);
	fflush(NULL);
	_exit(3);
}

/* A libvirt call outlived its deadline: end it. */
static void guard_deadline(struct lab *lab)
{
	const char *what = __atomic_load_n(&lab->call_what, __ATOMIC_SEQ_CST);

	if (lab->private_lab && lab->libvirtd_pidfd >= 0) {
		fprintf(stderr, "nicq: the lab's libvirtd did not answer within "
			"%d s while %s: killing it\n",
			LAB_TEARDOWN_CALL_MS / 1000, what ? what : "tearing down");
		pid_fd_signal(lab->libvirtd_pidfd, SIGKILL);
	} else {
		fprintf(stderr, "nicq: libvirt did not answer within %d s while "
			"%s; a second Ctrl-C leaves without teardown\n",
			LAB_TEARDOWN_CALL_MS / 1000, what ? what : "tearing down");
	}
}

static void *guard_main(void *data)
{
	struct lab *lab = data;
	sigset_t all;

	/* signals go to the main thread, whose waits they cut short */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct pollfd p = { .fd = lab->guard_pipe[0], .events = POLLIN };
		int64_t dl = __atomic_load_n(&lab->call_deadline,
					     __ATOMIC_SEQ_CST);
		int timeout = dl ? (int)MIN(deadline_left(dl), 1000) : 1000;
		char c;

		if (poll(&p, 1, timeout) == 1) {
			if (read(p.fd, &c, 1) != 1 || c == 'q')
				return NULL;
			guard_hard_stop(lab, c);
			return NULL;
		}
		if (dl && deadline_left(dl) == 0 &&
		    __atomic_compare_exchange_n(&lab->call_deadline, &dl, 0,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			guard_deadline(lab);
	}
}

static void lab_guard_start(struct lab *lab)
{
	if (pipe2(lab->guard_pipe, O_CLOEXEC) < 0)
		return;
	lab->guard_owner = getpid();
	if (pthread_create(&lab->guard, NULL, guard_main, lab) != 0) {
		close(lab->guard_pipe[0]);
		close(lab->guard_pipe[1]);
		lab->guard_pipe[0] = lab->guard_pipe[1] = -1;
		return;
	}
	lab->guard_on = true;
	interrupt_second_fd(lab->guard_pipe[1]);
}

static void lab_guard_stop(struct lab *lab)
{
	char q = 'q';

	if (!lab->guard_on || getpid() != lab->guard_owner)
		return;
	interrupt_second_fd(-1);
	if (write(lab->guard_pipe[1], &q, 1) == 1)
		pthread_join(lab->guard, NULL);
	else
		pthread_detach(lab->guard);
	close(lab->guard_pipe[0]);
	close(lab->guard_pipe[1]);
	lab->guard_on = false;
}

void lab_call_begin(struct lab *lab, int ms, const char *what)
{
	if (!lab || !lab->guard_on || getpid() != lab->guard_owner)
		return;
	__atomic_store_n(&lab->call_what, what, __ATOMIC_SEQ_CST);
	__atomic_store_n(&lab->call_deadline, mono_ms() + ms,
			 __ATOMIC_SEQ_CST);
}

void lab_call_end(struct lab *lab)
{
	if (!lab || !lab->guard_on || getpid() != lab->guard_owner)
		return;
	__atomic_store_n(&lab->call_deadline, 0, __ATOMIC_SEQ_CST);
}

int lab_open(const struct lab_opts *opts, struct lab **out, char *err)
{
	struct lab *lab = g_new0(struct lab, 1);
	int64_t deadline;

	virSetErrorFunc(NULL, quiet_libvirt);
	lab->id = random_id();
	lab->host_netns_fd = -1;
	lab->lock_fd = -1;
	lab->libvirtd_pidfd = lab->virtlogd_pidfd = -1;
	lab->guard_pipe[0] = lab->guard_pipe[1] = -1;
	lab->networks = g_ptr_array_new_with_free_func(g_free);
	lab->domains = g_ptr_array_new_with_free_func(g_free);
	lab->log_dir = g_strdup(opts->log_dir);
	lab->caps_dir = g_strdup(opts->caps_dir);
	lab->accel_name = g_strdup(host_pick_accel(opts->accel,
						  &lab->accel_reason));
	lab->vhost_net = host_probe_vhost(&lab->vhost_reason);
	lab->private_lab = opts->uri == NULL;
	if (lab->private_lab) {
		if (open_private(lab, err) < 0)
			goto fail;
	} else {
		lab->uri = g_strdup(opts->uri);
	}
	lab_guard_start(lab);
	/* libvirtd's socket exists a moment before it accepts */
	deadline = mono_ms() + 10000;
	while (!(lab->conn = virConnectOpen(lab->uri))) {
		if (!lab->private_lab || deadline_left(deadline) == 0 ||
		    interrupted()) {
			virErrorPtr e = virGetLastError();

			err_set(err, "cannot connect to '%s': %s", lab->uri,
				e && e->message ? e->message : "unknown error");
			goto fail;
		}
		usleep(50000);
	}
	*out = lab;
	return 0;
fail:
	lab_close(lab);
	return -1;
}

int lab_segment_add(struct lab *lab, const struct net_spec *spec, char *err)
{
	virNetworkPtr net;
	char *xml = NULL;

	if (domxml_network(spec, &xml, err) < 0)
		return -1;
	net = virNetworkCreateXML(lab->conn, xml);
	g_free(xml);
	if (!net) {
		virErrorPtr e = virGetLastError();

		err_set(err, "cannot create network '%s': %s", spec->name,
			e && e->message ? e->message : "unknown error");
		return -1;
	}
	g_ptr_array_add(lab->networks, g_strdup(spec->name));
	virNetworkFree(net);
	return 0;
}

void lab_segment_remove(struct lab *lab, const char *name)
{
	virNetworkPtr n = virNetworkLookupByName(lab->conn, name);
	guint i;

	if (n) {
		virNetworkDestroy(n);
		virNetworkFree(n);
	}
	for (i = 0; i < lab->networks->len; i++) {
		if (!strcmp(lab->networks->pdata[i], name)) {
			g_ptr_array_remove_index(lab->networks, i);
			return;
		}
	}
}

void lab_track_domain(struct lab *lab, const char *name)
{
	g_ptr_array_add(lab->domains, g_strdup(name));
}

void lab_untrack_domain(struct lab *lab, const char *name)
{
	guint i;

	for (i = 0; i < lab->domains->len; i++) {
		if (!strcmp(lab->domains->pdata[i], name)) {
			g_ptr_array_remove_index(lab->domains, i);
			return;
		}
	}
}

int lab_exec(struct lab *lab, char *const argv[], int timeout_ms,
	     struct proc_result *res, char *err)
{
	(void)lab;	/* nicq already runs inside the private lab's namespace */
	return spawn_run(argv, timeout_ms, res, err);
}

/*
 * Copy one log of the lab's into the run's folder, its first 4 MiB: the
 * daemons and QEMU write what guests make them say (a guest's warnings).
 */
#define LAB_LOG_MAX (4 << 20)

static void copy_log(const char *src, const char *dst)
{
	char *buf;
	size_t len;

	if (file_read_max(src, LAB_LOG_MAX, &buf, &len, NULL, NULL) == 0) {
		file_write(dst, buf, len, NULL);
		g_free(buf);
	}
}

/*
 * Each guest's QEMU log (libvirt's var/log/libvirt/qemu/<domain>.log):
 * what QEMU itself said, e.g. a virtio device it marked broken, which
 * nothing in the guest reports.  Kept as lab/qemu-<domain>.log.
 */
static void copy_qemu_logs(struct lab *lab)
{
	char *dir = g_build_filename(lab->dir, "var/log/libvirt/qemu", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *src, *dst;

		if (!g_str_has_suffix(name, ".log"))
			continue;
		src = g_build_filename(dir, name, NULL);
		dst = g_strdup_printf("%s/qemu-%s", lab->log_dir, name);
		copy_log(src, dst);
		g_free(src);
		g_free(dst);
	}
	if (d)
		g_dir_close(d);
	g_free(dir);
}

static void copy_logs(struct lab *lab)
{
	static const char *const logs[] = {
		"var/log/libvirt/libvirtd.log", "var/log/libvirt/virtlogd.log",
		"libvirtd.stderr", "virtlogd.stderr", NULL
	};
	const char *const *l;

	if (!lab->log_dir || !lab->dir || mkdir_p(lab->log_dir, NULL) < 0)
		return;
	for (l = logs; *l; l++) {
		char *src = g_build_filename(lab->dir, *l, NULL);
		char *dst = g_build_filename(lab->log_dir,
					     strrchr(*l, '/') ?
					     strrchr(*l, '/') + 1 : *l, NULL);

		copy_log(src, dst);
		g_free(src);
		g_free(dst);
	}
	copy_qemu_logs(lab);
}

void lab_close(struct lab *lab)
{
	guint i;

	if (!lab)
		return;
	if (lab->conn) {
		lab_call_begin(lab, LAB_TEARDOWN_CALL_MS,
			       "destroying the lab's guests and networks");
		for (i = lab->domains->len; i > 0; i--) {
			virDomainPtr d = virDomainLookupByName(
				lab->conn, lab->domains->pdata[i - 1]);

			if (d) {
				virDomainDestroy(d);
				virDomainFree(d);
			}
		}
		for (i = lab->networks->len; i > 0; i--) {
			virNetworkPtr n = virNetworkLookupByName(
				lab->conn, lab->networks->pdata[i - 1]);

			if (n) {
				virNetworkDestroy(n);
				virNetworkFree(n);
			}
		}
		virConnectClose(lab->conn);
		lab->conn = NULL;
		lab_call_end(lab);
	}
	pid_stop(lab->libvirtd_pid, 5000);
	pid_stop(lab->virtlogd_pid, 3000);
	if (lab->host_netns_fd >= 0) {
		char *path = g_build_filename(NETNS_DIR, lab->netns, NULL);

		if (setns(lab->host_netns_fd, CLONE_NEWNET) < 0)
			fprintf(stderr, "nicq: cannot leave namespace %s: %s\n",
				lab->netns, strerror(errno));
		close(lab->host_netns_fd);
		/* anything the daemons left behind (qemu, dnsmasq) */
		kill_netns_procs(path);
		g_free(path);
	}
	if (lab->netns && lab->private_lab) {
		char e[ERRLEN];

		if (netns_delete(lab->netns, e) < 0)
			fprintf(stderr, "nicq: %s\n", e);
	}
	if (lab->private_lab)
		wait_lab_zombies(5000);
	copy_logs(lab);
	if (lab->dir && lab->caps_dir && lab->private_lab) {
		char *caps = g_build_filename(lab->dir, LAB_CAPS, NULL);

		caps_copy(caps, lab->caps_dir);
		g_free(caps);
	}
	if (lab->dir)
		rm_rf(lab->dir, NULL);
	if (lab->lock_fd >= 0) {
		char *lock = g_strdup_printf("%s/%s.lock", LAB_RUNDIR, lab->id);

		unlink(lock);
		g_free(lock);
		close(lab->lock_fd);
	}
	lab_guard_stop(lab);
	if (lab->libvirtd_pidfd >= 0)
		close(lab->libvirtd_pidfd);
	if (lab->virtlogd_pidfd >= 0)
		close(lab->virtlogd_pidfd);
	g_ptr_array_free(lab->networks, TRUE);
	g_ptr_array_free(lab->domains, TRUE);
	g_free(lab->id);
	g_free(lab->uri);
	g_free(lab->netns);
	g_free(lab->dir);
	g_free(lab->accel_name);
	g_free(lab->accel_reason);
	g_free(lab->vhost_reason);
	g_free(lab->log_dir);
	g_free(lab->caps_dir);
	g_free(lab);
}

/* Whether a daemon nicq started still runs; reaps it if it ended. */
static bool daemon_alive(pid_t *pid, const char *what, char *err)
{
	int st;

	if (*pid <= 0)
		return true;
	if (waitpid(*pid, &st, WNOHANG) == *pid) {
		if (WIFSIGNALED(st))
			err_set(err, "%s (pid %d) was killed by signal %d",
				what, (int)*pid, WTERMSIG(st));
		else
			err_set(err, "%s (pid %d) exited with status %d", what,
				(int)*pid, WEXITSTATUS(st));
		*pid = 0;	/* reaped: never signal that number again */
		return false;
	}
	return true;
}

int lab_check(struct lab *lab, char *err)
{
	virErrorPtr e;
	unsigned long ver;

	if (!daemon_alive(&lab->libvirtd_pid, "the lab's libvirtd", err) ||
	    !daemon_alive(&lab->virtlogd_pid, "the lab's virtlogd", err))
		return -1;
	if (lab->private_lab && lab->netns) {
		char *path = g_build_filename(NETNS_DIR, lab->netns, NULL);
		bool ok = g_file_test(path, G_FILE_TEST_EXISTS);

		g_free(path);
		if (!ok) {
			err_set(err, "the lab's namespace %s is gone",
				lab->netns);
			return -1;
		}
	}
	if (!lab->conn || virConnectIsAlive(lab->conn) != 1 ||
	    virConnectGetLibVersion(lab->conn, &ver) < 0) {
		e = virGetLastError();
		err_set(err, "the libvirt connection to '%s' is lost: %s",
			lab->uri, e && e->message ? e->message : "closed");
		return -1;
	}
	return 0;
}

int lab_child_reconnect(struct lab *lab, char *err)
{
	virErrorPtr e;

	/*
	 * The parent's connection stays the parent's: closing it here would
	 * speak on its socket.  The child drops the handle and dials anew.
	 */
	lab->conn = virConnectOpen(lab->uri);
	if (!lab->conn) {
		e = virGetLastError();
		err_set(err, "cannot connect to '%s': %s", lab->uri,
			e && e->message ? e->message : "unknown error");
		return -1;
	}
	g_ptr_array_set_size(lab->networks, 0);
	g_ptr_array_set_size(lab->domains, 0);
	lab->libvirtd_pid = lab->virtlogd_pid = 0;	/* the parent's */
	lab->lock_fd = -1;
	lab->guard_on = false;	/* the guard thread is the parent's */
	return 0;
}

int lab_remove_prefixed(struct lab *lab, const char *prefix, char *err)
{
	virDomainPtr *doms = NULL;
	virNetworkPtr *nets = NULL;
	int nd, nn, i, removed = 0;

	if (!lab->conn) {
		err_set(err, "no libvirt connection to remove '%s*'", prefix);
		return -1;
	}
	lab_call_begin(lab, LAB_TEARDOWN_CALL_MS,
		       "removing a point's guests and networks");
	nd = virConnectListAllDomains(lab->conn, &doms, 0);
	for (i = 0; i < nd; i++) {
		const char *name = virDomainGetName(doms[i]);

		if (name && g_str_has_prefix(name, prefix)) {
			virDomainDestroy(doms[i]);
			virDomainUndefine(doms[i]);	/* transient: no-op */
			removed++;
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	nn = virConnectListAllNetworks(lab->conn, &nets, 0);
	for (i = 0; i < nn; i++) {
		const char *name = virNetworkGetName(nets[i]);

		if (name && g_str_has_prefix(name, prefix)) {
			virNetworkDestroy(nets[i]);
			removed++;
		}
		virNetworkFree(nets[i]);
	}
	free(nets);
	lab_call_end(lab);
	if (nd < 0 || nn < 0) {
		virErrorPtr e = virGetLastError();

		err_set(err, "cannot list the lab's objects: %s",
			e && e->message ? e->message : "unknown error");
		return -1;
	}
	return removed;
}
