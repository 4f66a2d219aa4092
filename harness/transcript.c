/* transcript.c - see transcript.h. */
#include "transcript.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

struct transcript {
	char *path;
	int fd;
	unsigned seq;
	unsigned lines;		/* lines in the file so far */
	unsigned last;
	int64_t t0;
};

struct transcript *transcript_open(const char *path, char *err)
{
	int fd = file_open(path, O_RDWR | O_CREAT | O_APPEND, 0644);
	struct transcript *t;
	char buf[8192];
	ssize_t n;
	off_t off = 0;

	if (fd < 0) {
		err_set(err, "cannot open transcript '%s': %s", path,
			strerror(errno));
		return NULL;
	}
	t = g_new0(struct transcript, 1);
	t->path = g_strdup(path);
	t->fd = fd;
	t->t0 = mono_ms();
	/* appending: the lines already there come before ours */
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			t->lines += buf[i] == '\n';
		off += n;
	}
	return t;
}

void transcript_free(struct transcript *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	g_free(t->path);
	g_free(t);
}

const char *transcript_path(const struct transcript *t)
{
	return t ? t->path : NULL;
}

unsigned transcript_last(const struct transcript *t)
{
	return t ? t->last : 0;
}

static void put_stream(GString *rec, const char *what, const char *buf,
		       size_t len, size_t cut)
{
	size_t shown = len < TRANSCRIPT_MAX ? len : TRANSCRIPT_MAX;

	if (!buf)
		len = shown = 0;
	if (shown < len)
		g_string_append_printf(rec, "--- %s (%zu bytes, first %zu "
				       "shown)\n", what, len, shown);
	else
		g_string_append_printf(rec, "--- %s (%zu bytes)\n", what, len);
	g_string_append_len(rec, buf ? buf : "", (gssize)shown);
	if (shown && buf[shown - 1] != '\n')
		g_string_append_c(rec, '\n');
	if (shown < len)
		g_string_append_printf(rec, "[... truncated: %zu more bytes]\n",
				       len - shown);
	if (cut)
		g_string_append_printf(rec, "[%s: output truncated at %zu "
				       "bytes: the rest was dropped]\n", what,
				       cut);
}

unsigned transcript_add(struct transcript *t, const struct transcript_rec *r)
{
	GString *rec;
	struct tm tm;
	char wall[32];
	unsigned start, nl = 0;
	size_t off = 0;

	if (!t || t->fd < 0)
		return 0;
	gmtime_r(&r->wall_start.tv_sec, &tm);
	strftime(wall, sizeof(wall), "%Y-%m-%dT%H:%M:%S", &tm);
	rec = g_string_new(NULL);
	g_string_append_printf(rec, "=== #%u +%.3fs %s.%03ldZ %s%s\n",
			       ++t->seq, (double)(r->mono_start - t->t0) /
			       1000.0, wall, r->wall_start.tv_nsec / 1000000,
			       r->where, r->background ? " (background)" : "");
	g_string_append_printf(rec, "$ %s\n", r->cmd);
	g_string_append_printf(rec, "%s, %" G_GINT64_FORMAT " ms%s\n",
			       r->outcome, r->elapsed_ms,
			       r->extra ? r->extra : "");
	put_stream(rec, "stdout", r->out, r->out_len, r->out_cut);
	put_stream(rec, "stderr", r->err, r->err_len, r->err_cut);
	g_string_append_c(rec, '\n');
	start = t->lines + 1;
	for (size_t i = 0; i < rec->len; i++)
		nl += rec->str[i] == '\n';
	while (off < rec->len) {
		ssize_t w = write(t->fd, rec->str + off, rec->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	g_string_free(rec, TRUE);
	if (off == 0)
		return 0;
	t->lines += nl;
	t->last = start;
	return start;
}
