/*
 * states.h - saved guest states kept across runs.
 *
 * A guest of one shape (harness/fixture.c: everything of its spec the guest
 * can see) boots once, is saved, and every point of that shape starts from
 * the saved state.  This cache keeps those states between runs, so a
 * developer's second run of a case, and every control make check runs after
 * the matrix, restores in a second instead of booting for ten.
 *
 * A state is a folder <dir>/<key>/ holding state.save (libvirt's save image)
 * and meta.json (the readiness marker's data).  The key is the SHA-256 of
 * the shape and of a salt: what else decides what a saved state holds (the
 * guest image's bytes, the QEMU binary, libvirt's version).  A state is
 * made in a private folder and renamed into place whole, so runs that share
 * the cache never see half a state, and two that make one at once keep the
 * first.  Using a state touches its folder; states_trim() removes the least
 * recently used beyond a size.
 *
 * The folder holds guest memory and is read by root's QEMU: it is made 0700,
 * and a cache folder that is a symlink, not ours, or writable by anyone else
 * is refused (the run then boots every guest).
 */
#ifndef NICQ_STATES_H
#define NICQ_STATES_H

#include <glib.h>
#include <stdint.h>

struct states;

/*
 * Open (create) the cache at dir.  salt_files: files whose bytes decide a
 * state (the guest's kernel and initramfs), NULL-terminated; salt: more
 * (QEMU binary, libvirt version).
 */
int states_open(const char *dir, const char *const *salt_files,
		const char *salt, struct states **out, char *err);
void states_close(struct states *st);

const char *states_dir(const struct states *st);

/* The key of a shape (its description, as fixture.c writes it). */
char *states_key(const struct states *st, const char *shape);

/*
 * The folder of state key if it is complete (g_free()), touched as used;
 * NULL if there is none.
 */
char *states_lookup(struct states *st, const char *key);

/* A private folder to make state key in (g_free()); NULL on error. */
char *states_begin(struct states *st, const char *key, char *err);

/*
 * Publish the folder states_begin() gave as state key.  If another run
 * published key first, tmp is removed and theirs is used.  Returns the
 * state's folder (g_free()), NULL on error (tmp removed).
 */
char *states_commit(struct states *st, const char *key, char *tmp,
		    char *err);

/* Remove an unfinished folder from states_begin(). */
void states_abandon(struct states *st, char *tmp);

/*
 * Remove the least recently used states until the cache holds at most
 * max_bytes, sparing those used in the last keep_s seconds; and unfinished
 * folders older than an hour.  Returns the bytes left.
 */
uint64_t states_trim(struct states *st, uint64_t max_bytes, int keep_s);

/*
 * Address plans.  A point's guests get the addresses, MACs and names of
 * the plan the runner gives it (fixture.c: case_octet, case_ident), so a
 * saved state belongs to one plan; points at once in one run never share
 * a plan.  The cache remembers which states each point used on a plan
 * (tag: "<cell>+<case>", e.g. "virtio-vhost-off+ping"), so that a run can
 * start a point on a plan where they are: a developer's second run, and
 * make check's controls after the matrix, restore instead of booting.
 * Kept in <dir>/.plans/<plan>/, one file per tag and guest, holding the
 * state's key; states_trim() leaves them (a stale one only costs a boot).
 */
#define STATES_PLANS 8

/* Point tag used state key for its guest gi on plan; best effort. */
void states_plan_note(struct states *st, int plan, const char *tag, int gi,
		      const char *key);

/*
 * How well plan suits a point tagged tag: 1000 when every state the tag
 * last used on plan is still whole here, plus the number of tags starting
 * with prefix (its cell's points) that ran on plan.  0: nothing known.
 */
int states_plan_score(struct states *st, int plan, const char *tag,
		      const char *prefix);

#endif
