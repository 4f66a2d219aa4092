/*
 * test_states.c - the saved-state cache (harness/states.c): keys follow the
 * salt and the image's bytes, a state is seen only once whole, a second run
 * publishing the same state keeps the first, trimming removes the least
 * recently used, and a cache folder that is not ours alone is refused; the
 * plans' records (which states a point used on which address plan); and
 * the SSH identity kept next to it (ssh_ident_load).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "ssh.h"
#include "states.h"
#include "util.h"

static char *tmpdir(void)
{
	char *d = g_strdup("/tmp/nicq-test-states-XXXXXX");

	assert_non_null(g_mkdtemp(d));
	return d;
}

static void put(const char *dir, const char *name, size_t bytes)
{
	char *p = g_build_filename(dir, name, NULL);
	char *buf = g_malloc0(bytes);

	assert_int_equal(file_write(p, buf, bytes, NULL), 0);
	g_free(buf);
	g_free(p);
}

/* A whole state made the way fixture.c makes one. */
static char *make_state(struct states *st, const char *key, size_t bytes)
{
	char err[ERRLEN];
	char *tmp = states_begin(st, key, err), *path;

	assert_non_null(tmp);
	put(tmp, "state.save", bytes);
	put(tmp, "meta.json", 2);
	path = states_commit(st, key, tmp, err);
	g_free(tmp);
	assert_non_null(path);
	return path;
}

static struct states *open_ok(const char *dir, const char *salt_file,
			      const char *salt)
{
	const char *files[] = { salt_file, NULL };
	struct states *st = NULL;
	char err[ERRLEN];

	if (states_open(dir, files, salt, &st, err) < 0)
		fail_msg("states_open: %s", err);
	return st;
}

static void test_keys(void **state)
{
	char *d = tmpdir(), *cache = g_build_filename(d, "c", NULL);
	struct states *a, *b, *c;
	char *ka, *kb, *kc, *ka2;

	(void)state;
	put(d, "kernel", 100);
	a = open_ok(cache, NULL, "qemu 1");
	b = open_ok(cache, NULL, "qemu 2");
	ka = states_key(a, "shape");
	ka2 = states_key(a, "shape");
	kb = states_key(b, "shape");
	assert_string_equal(ka, ka2);		/* stable */
	assert_string_not_equal(ka, kb);	/* salted */
	assert_int_equal(strlen(ka), 16);
	g_free(kb);
	kb = states_key(a, "other shape");
	assert_string_not_equal(ka, kb);
	/* the image's bytes count, not its name */
	{
		char *k = g_build_filename(d, "kernel", NULL);

		c = open_ok(cache, k, "qemu 1");
		kc = states_key(c, "shape");
		assert_string_not_equal(ka, kc);
		states_close(c);
		g_free(kc);
		put(d, "kernel", 101);
		c = open_ok(cache, k, "qemu 1");
		kc = states_key(c, "shape");
		states_close(c);
		c = open_ok(cache, k, "qemu 1");
		g_free(ka2);
		ka2 = states_key(c, "shape");
		assert_string_equal(kc, ka2);
		g_free(k);
	}
	states_close(a);
	states_close(b);
	states_close(c);
	g_free(ka);
	g_free(ka2);
	g_free(kb);
	g_free(kc);
	rm_rf(d, NULL);
	g_free(cache);
	g_free(d);
}

static void test_whole_only(void **state)
{
	char *d = tmpdir();
	struct states *st = open_ok(d, NULL, "s");
	char err[ERRLEN], *tmp, *path, *p;

	(void)state;
	assert_null(states_lookup(st, "k1"));
	/* half made: not there */
	tmp = states_begin(st, "k1", err);
	assert_non_null(tmp);
	put(tmp, "state.save", 10);
	assert_null(states_lookup(st, "k1"));
	states_abandon(st, tmp);
	assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
	g_free(tmp);
	assert_null(states_lookup(st, "k1"));
	/* made whole */
	path = make_state(st, "k1", 10);
	p = states_lookup(st, "k1");
	assert_non_null(p);
	assert_string_equal(p, path);
	g_free(p);
	/* a folder without a meta.json is not a state */
	tmp = g_build_filename(d, "k2", NULL);
	assert_int_equal(mkdir(tmp, 0700), 0);
	put(tmp, "state.save", 10);
	assert_null(states_lookup(st, "k2"));
	g_free(tmp);
	g_free(path);
	states_close(st);
	rm_rf(d, NULL);
	g_free(d);
}

static void test_first_wins(void **state)
{
	char *d = tmpdir();
	struct states *st = open_ok(d, NULL, "s");
	char err[ERRLEN], *t1, *t2, *p1, *p2, *meta, *text = NULL;
	size_t len = 0;

	(void)state;
	t1 = states_begin(st, "k", err);
	t2 = states_begin(st, "k", err);
	assert_string_not_equal(t1, t2);
	put(t1, "state.save", 10);
	put(t1, "meta.json", 1);
	put(t2, "state.save", 10);
	put(t2, "meta.json", 7);
	p1 = states_commit(st, "k", t1, err);
	p2 = states_commit(st, "k", t2, err);
	assert_non_null(p1);
	assert_non_null(p2);
	assert_string_equal(p1, p2);
	assert_false(g_file_test(t2, G_FILE_TEST_EXISTS));
	meta = g_build_filename(p1, "meta.json", NULL);
	assert_int_equal(file_read(meta, &text, &len, NULL), 0);
	assert_int_equal(len, 1);	/* the first one's */
	g_free(text);
	g_free(meta);
	g_free(t1);
	g_free(t2);
	g_free(p1);
	g_free(p2);
	states_close(st);
	rm_rf(d, NULL);
	g_free(d);
}

static void age(const char *path, int seconds_ago)
{
	struct timeval tv[2];

	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= seconds_ago;
	tv[1] = tv[0];
	assert_int_equal(utimes(path, tv), 0);
}

static void test_trim(void **state)
{
	char *d = tmpdir();
	struct states *st = open_ok(d, NULL, "s");
	char *old = make_state(st, "old", 1 << 20);
	char *mid = make_state(st, "mid", 1 << 20);
	char *young = make_state(st, "young", 1 << 20);
	char *p;
	char err[ERRLEN], *stale;

	(void)state;
	age(old, 3000);
	age(mid, 2000);
	/* young was used just now: spared even over the limit */
	/* a lookup counts as a use */
	p = states_lookup(st, "old");
	g_free(p);
	age(mid, 4000);
	/* an unfinished folder of a run that died two hours ago */
	stale = states_begin(st, "dead", err);
	age(stale, 7200);
	states_trim(st, (2u << 20) + (1u << 19), 600);
	assert_false(g_file_test(mid, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(old, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(young, G_FILE_TEST_EXISTS));
	assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
	/* nothing more to remove that was not used in the last 600 s */
	states_trim(st, 0, 600);
	assert_true(g_file_test(old, G_FILE_TEST_EXISTS));
	age(old, 1000);
	states_trim(st, 0, 600);
	assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
	assert_true(g_file_test(young, G_FILE_TEST_EXISTS));
	g_free(old);
	g_free(mid);
	g_free(young);
	g_free(stale);
	states_close(st);
	rm_rf(d, NULL);
	g_free(d);
}

/*
 * A point's record on a plan counts as its own only while every state it
 * used there is whole; its cell's other points count one each; a trim
 * leaves the records; nonsense tags, keys and plans are not recorded.
 */
static void test_plans(void **state)
{
	char *d = tmpdir();
	struct states *st = open_ok(d, NULL, "s");
	const char *a = "0123456789abcdef", *b = "fedcba9876543210";
	char *sa = make_state(st, a, 4096), *sb = make_state(st, b, 4096);
	const char *ping = "virtio-vhost-off+ping";
	const char *stress = "virtio-vhost-off+stress";
	const char *cell = "virtio-vhost-off+";

	(void)state;
	/* nothing known yet */
	for (int p = 0; p < STATES_PLANS; p++)
		assert_int_equal(states_plan_score(st, p, ping, cell), 0);
	states_plan_note(st, 2, ping, 0, a);
	states_plan_note(st, 2, stress, 0, a);
	states_plan_note(st, 2, stress, 1, b);
	states_plan_note(st, 3, "e1000-vhost-off+ping", 0, a);
	/* ping's own states on plan 2, and two points of its cell */
	assert_int_equal(states_plan_score(st, 2, ping, cell), 1002);
	assert_int_equal(states_plan_score(st, 2, stress, cell), 1002);
	assert_int_equal(states_plan_score(st, 2, "virtio-vhost-off+vlan",
					   cell), 2);
	/* another cell's record is not this cell's */
	assert_int_equal(states_plan_score(st, 3, ping, cell), 0);
	assert_int_equal(states_plan_score(st, 1, ping, cell), 0);
	/* a state gone (trimmed): the point's record no longer counts */
	assert_int_equal(rm_rf(sb, NULL), 0);
	assert_int_equal(states_plan_score(st, 2, stress, cell), 2);
	assert_int_equal(states_plan_score(st, 2, ping, cell), 1002);
	/* a trim keeps the records (a dot folder, not a state) */
	states_trim(st, 0, 0);
	assert_false(g_file_test(sa, G_FILE_TEST_EXISTS));
	assert_int_equal(states_plan_score(st, 2, ping, cell), 2);
	/* not recorded: a plan out of range, a tag or key that is no name */
	states_plan_note(st, STATES_PLANS, ping, 0, a);
	states_plan_note(st, -1, ping, 0, a);
	states_plan_note(st, 4, "../x", 0, a);
	states_plan_note(st, 4, ping, 0, "../../etc");
	states_plan_note(st, 4, ping, 0, "0123456789ABCDEF");
	for (int p = 4; p < STATES_PLANS; p++)
		assert_int_equal(states_plan_score(st, p, ping, cell), 0);
	assert_int_equal(states_plan_score(st, STATES_PLANS, ping, cell), 0);
	g_free(sa);
	g_free(sb);
	states_close(st);
	rm_rf(d, NULL);
	g_free(d);
}

static void test_refused(void **state)
{
	char *d = tmpdir();
	char *open_dir = g_build_filename(d, "open", NULL);
	char *link = g_build_filename(d, "link", NULL);
	char *real = g_build_filename(d, "real", NULL);
	struct states *st = NULL;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(mkdir(open_dir, 0777), 0);
	assert_int_equal(chmod(open_dir, 0777), 0);
	assert_int_equal(states_open(open_dir, NULL, "s", &st, err), -1);
	assert_non_null(strstr(err, "not owned by us alone"));
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(states_open(link, NULL, "s", &st, err), -1);
	assert_non_null(strstr(err, "not a folder"));
	assert_null(st);
	rm_rf(d, NULL);
	g_free(open_dir);
	g_free(link);
	g_free(real);
	g_free(d);
}

static void test_ident_kept(void **state)
{
	char *d = tmpdir(), *key = g_build_filename(d, "id", NULL);
	char *link = g_build_filename(d, "id-link", NULL);
	struct ssh_ident *a = NULL, *b = NULL, *c = NULL;
	char err[ERRLEN];
	struct stat st;

	(void)state;
	if (ssh_ident_load(key, &a, err) < 0)
		fail_msg("first load: %s", err);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	if (ssh_ident_load(key, &b, err) < 0)
		fail_msg("second load: %s", err);
	assert_string_equal(ssh_ident_pubkey(a), ssh_ident_pubkey(b));
	/* not through a symlink, not when others may read it */
	assert_int_equal(symlink(key, link), 0);
	assert_int_equal(ssh_ident_load(link, &c, err), -1);
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(ssh_ident_load(key, &c, err), -1);
	assert_non_null(strstr(err, "not a private key of ours alone"));
	assert_null(c);
	ssh_ident_free(a);
	ssh_ident_free(b);
	rm_rf(d, NULL);
	g_free(key);
	g_free(link);
	g_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_whole_only),
		cmocka_unit_test(test_first_wins),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_plans),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_ident_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
