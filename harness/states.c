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

/* ---- plans ------------------------------------------------------------ */

#define PLANS_DIR	".plans"

static char *plan_dir(const struct states *st, int plan)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", plan);
	return g_build_filename(st->dir, PLANS_DIR, name, NULL);
}

/* A tag is a file name: a cell's and a case's names, nothing else. */
static bool tag_ok(const char *tag)
{
	if (!tag || !*tag || *tag == '.' || strlen(tag) > 128)
		return false;
	for (const char *c = tag; *c; c++)
		if (!g_ascii_isalnum(*c) && !strchr("-_+", *c))
			return false;
	return true;
}

/* A state's key: 16 lower-case hex digits (states_key()). */
static bool key_ok(const char *key)
{
	size_t n = 0;

	for (; key[n]; n++)
		if (!g_ascii_isxdigit(key[n]) || g_ascii_isupper(key[n]))
			return false;
	return n == 16;
}

void states_plan_note(struct states *st, int plan, const char *tag, int gi,
		      const char *key)
{
	char *dir, *name, *path, *tmp;

	if (!st || plan < 0 || plan >= STATES_PLANS || !tag_ok(tag) ||
	    gi < 0 || gi > 99 || !key || !key_ok(key))
		return;
	dir = plan_dir(st, plan);
	name = g_strdup_printf("%s.g%d", tag, gi);
	path = g_build_filename(dir, name, NULL);
	tmp = g_strdup_printf("%s/.%s-XXXXXX", dir, name);
	if (g_mkdir_with_parents(dir, 0700) == 0 && dir_ok(dir, NULL) == 0) {
		int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
		char *line = g_strdup_printf("%s\n", key);
		bool ok = fd >= 0 && write(fd, line, strlen(line)) ==
			  (ssize_t)strlen(line);

		if (fd >= 0 && close(fd) == 0 && ok)
			rename(tmp, path);
		unlink(tmp);
		g_free(line);
	}
	g_free(dir);
	g_free(name);
	g_free(path);
	g_free(tmp);
}

int states_plan_score(struct states *st, int plan, const char *tag,
		      const char *prefix)
{
	char *dir;
	GDir *d;
	const char *e;
	int score = 0, exact = 0, whole = 0;

	if (!st || plan < 0 || plan >= STATES_PLANS)
		return 0;
	dir = plan_dir(st, plan);
	d = dir_ok(dir, NULL) == 0 ? g_dir_open(dir, 0, NULL) : NULL;
	while (d && (e = g_dir_read_name(d))) {
		const char *dot = strrchr(e, '.');

		if (*e == '.' || !dot || strncmp(dot, ".g", 2))
			continue;
		if (g_str_has_prefix(e, prefix) && !strcmp(dot, ".g0"))
			score++;
		if (tag && strlen(tag) == (size_t)(dot - e) &&
		    !strncmp(e, tag, strlen(tag))) {
			char *path = g_build_filename(dir, e, NULL);
			char *key = NULL, *state;

			exact++;
			if (g_file_get_contents(path, &key, NULL, NULL)) {
				g_strchomp(key);
				state = g_build_filename(st->dir, key, NULL);
				whole += key_ok(key) && complete(state);
				g_free(state);
			}
			g_free(key);
			g_free(path);
		}
	}
	if (d)
		g_dir_close(d);
	g_free(dir);
	return score + (exact > 0 && whole == exact ? 1000 : 0);
}
