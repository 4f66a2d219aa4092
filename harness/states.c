/* states.c - saved guest states kept across runs (states.h says how). */
#include "states.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_PREFIX	".tmp-"
#define TMP_STALE_S	3600

struct states {
	char *dir;
	char *salt;		/* hex SHA-256 of what besides the shape counts */
};

/* The folder must be ours, a real folder, and writable by us alone. */
static int dir_ok(const char *dir, char *err)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		err_set(err, "cannot stat '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set(err, "'%s' is not a folder (a symlink?)", dir);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		err_set(err, "'%s' is not owned by us alone (uid %u, mode "
			"%03o)", dir, (unsigned)st.st_uid,
			(unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

static int hash_file(GChecksum *sum, const char *path, char *err)
{
	guchar buf[1 << 16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_checksum_update(sum, buf, n);
	close(fd);
	if (n < 0) {
		err_set(err, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int states_open(const char *dir, const char *const *salt_files,
		const char *salt, struct states **out, char *err)
{
	GChecksum *sum;
	struct states *st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err_set(err, "cannot create '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (dir_ok(dir, err) < 0)
		return -1;
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	for (int i = 0; salt_files && salt_files[i]; i++) {
		if (hash_file(sum, salt_files[i], err) < 0) {
			g_checksum_free(sum);
			return -1;
		}
		g_checksum_update(sum, (const guchar *)"|", 1);
	}
	if (salt)
		g_checksum_update(sum, (const guchar *)salt, -1);
	st = g_new0(struct states, 1);
	st->dir = g_strdup(dir);
	st->salt = g_strdup(g_checksum_get_string(sum));
	g_checksum_free(sum);
	*out = st;
	return 0;
}

void states_close(struct states *st)
{
	if (!st)
		return;
	g_free(st->dir);
	g_free(st->salt);
	g_free(st);
}

const char *states_dir(const struct states *st)
{
	return st->dir;
}

char *states_key(const struct states *st, const char *shape)
{
	char *text = g_strdup_printf("%s|%s", st->salt, shape);
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
	char *key = g_strndup(sum, 16);

	g_free(text);
	g_free(sum);
	return key;
}

static bool complete(const char *path)
{
	char *save = g_build_filename(path, "state.save", NULL);
	char *meta = g_build_filename(path, "meta.json", NULL);
	bool ok = g_file_test(save, G_FILE_TEST_IS_REGULAR) &&
		  g_file_test(meta, G_FILE_TEST_IS_REGULAR);

	g_free(save);
	g_free(meta);
	return ok;
}

char *states_lookup(struct states *st, const char *key)
{
	char *path = g_build_filename(st->dir, key, NULL);

	if (dir_ok(path, NULL) < 0 || !complete(path)) {
		g_free(path);
		return NULL;
	}
	utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
	return path;
}

char *states_begin(struct states *st, const char *key, char *err)
{
	char *tmpl = g_strdup_printf("%s/" TMP_PREFIX "%s-XXXXXX", st->dir,
				     key);

	if (!g_mkdtemp_full(tmpl, 0700)) {
		err_set(err, "cannot create a folder in '%s': %s", st->dir,
			strerror(errno));
		g_free(tmpl);
		return NULL;
	}
	return tmpl;
}

void states_abandon(struct states *st, char *tmp)
{
	(void)st;
	if (tmp)
		rm_rf(tmp, NULL);
}

char *states_commit(struct states *st, const char *key, char *tmp,
		    char *err)
{
	char *path = g_build_filename(st->dir, key, NULL);

	if (rename(tmp, path) == 0)
		return path;
	if (errno == EEXIST || errno == ENOTEMPTY) {
		/* another run published it first: theirs is as good */
		rm_rf(tmp, NULL);
		if (complete(path))
			return path;
		err_set(err, "'%s' exists but is not a whole state", path);
	} else {
		err_set(err, "cannot rename '%s' to '%s': %s", tmp, path,
			strerror(errno));
		rm_rf(tmp, NULL);
	}
	g_free(path);
	return NULL;
}

struct entry {
	char *path;
	time_t used;
	uint64_t bytes;
};

static uint64_t dir_bytes(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	uint64_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct stat s;

		if (fstatat(dirfd(d), e->d_name, &s, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(s.st_mode))
			n += (uint64_t)s.st_blocks * 512;
	}
	closedir(d);
	return n;
}

static gint by_use(gconstpointer a, gconstpointer b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	return x->used < y->used ? -1 : x->used > y->used;
}

static void entry_free(gpointer p)
{
	struct entry *e = p;

	g_free(e->path);
	g_free(e);
}

uint64_t states_trim(struct states *st, uint64_t max_bytes, int keep_s)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(entry_free);
	DIR *d = opendir(st->dir);
	struct dirent *e;
	uint64_t total = 0;
	time_t now = time(NULL);

	if (!d) {
		g_ptr_array_free(all, TRUE);
		return 0;
	}
	while ((e = readdir(d))) {
		struct stat s;
		struct entry *en;
		char *path;

		if (e->d_name[0] == '.' && strncmp(e->d_name, TMP_PREFIX,
						   strlen(TMP_PREFIX)))
			continue;
		if (fstatat(dirfd(d), e->d_name, &s, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(s.st_mode))
			continue;
		path = g_build_filename(st->dir, e->d_name, NULL);
		if (!strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			/* a run that died while making a state */
			if (now - s.st_mtime > TMP_STALE_S)
				rm_rf(path, NULL);
			g_free(path);
			continue;
		}
		en = g_new0(struct entry, 1);
		en->path = path;
		en->used = s.st_mtime;
		en->bytes = dir_bytes(path);
		total += en->bytes;
		g_ptr_array_add(all, en);
	}
	closedir(d);
	g_ptr_array_sort(all, by_use);
	for (guint i = 0; i < all->len && total > max_bytes; i++) {
		struct entry *en = all->pdata[i];

		if (now - en->used < keep_s)
			break;
		if (rm_rf(en->path, NULL) == 0)
			total -= en->bytes;
	}
	g_ptr_array_free(all, TRUE);
	return total;
}
