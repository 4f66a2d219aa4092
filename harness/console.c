/* console.c - see console.h. */
#include "console.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READY_PAT	"NICQ-READY "
#define ERROR_PAT	"NICQ-ERROR "
#define PANIC_PAT	"Kernel panic"
#define NOBOOT_PAT	"No bootable device"
#define READ_CHUNK	(64 * 1024)

/*
 * A streaming matcher for one pattern (Knuth-Morris-Pratt): fed one byte
 * at a time, it says when the pattern ends at that byte.  Linear in the
 * bytes fed, whatever the pattern and the text.
 */
struct kmp {
	char *pat;
	size_t len;
	size_t *fail;		/* fail[i]: longest proper border of pat[0..i] */
	size_t q;		/* bytes of pat matched so far */
};

static void kmp_init(struct kmp *m, const char *pat)
{
	size_t k = 0;

	m->pat = g_strdup(pat);
	m->len = strlen(pat);
	m->fail = g_new0(size_t, m->len ? m->len : 1);
	m->q = 0;
	for (size_t i = 1; i < m->len; i++) {
		while (k > 0 && pat[i] != pat[k])
			k = m->fail[k - 1];
		if (pat[i] == pat[k])
			k++;
		m->fail[i] = k;
	}
}

static void kmp_clear(struct kmp *m)
{
	g_free(m->pat);
	g_free(m->fail);
	memset(m, 0, sizeof(*m));
}

/* Feed c; true when the pattern ends here. */
static bool kmp_step(struct kmp *m, char c)
{
	if (!m->len)
		return false;
	while (m->q > 0 && c != m->pat[m->q])
		m->q = m->fail[m->q - 1];
	if (c == m->pat[m->q])
		m->q++;
	if (m->q == m->len) {
		m->q = m->fail[m->len - 1];
		return true;
	}
	return false;
}

enum capture { CAP_NONE, CAP_READY, CAP_ERROR };

struct console_scan {
	char *path;
	bool have_id;
	dev_t dev;
	ino_t ino;
	off_t off;

	struct kmp ready, error, panic, noboot, marker;
	bool has_marker;

	/* the line being read */
	enum capture cap;
	GString *buf;		/* what the capture kept of it */
	bool over;		/* the capture was cut at its bound */
	bool marker_here;	/* the caller's marker is in this line */

	GString *errors;
	unsigned n_errors, errors_dropped;
	struct console_seen seen;
};

static void seen_clear(struct console_seen *s)
{
	g_free(s->bad);
	g_free(s->hostkey);
	g_free(s->ifaces);
	g_free(s->errors);
	memset(s, 0, sizeof(*s));
}

static void scan_reset(struct console_scan *cs)
{
	cs->ready.q = cs->error.q = cs->panic.q = cs->noboot.q = 0;
	cs->marker.q = 0;
	cs->cap = CAP_NONE;
	g_string_truncate(cs->buf, 0);
	g_string_truncate(cs->errors, 0);
	cs->over = cs->marker_here = false;
	cs->n_errors = cs->errors_dropped = 0;
	cs->off = 0;
	seen_clear(&cs->seen);
}

struct console_scan *console_scan_new(const char *path, const char *marker)
{
	struct console_scan *cs = g_new0(struct console_scan, 1);

	cs->path = g_strdup(path);
	kmp_init(&cs->ready, READY_PAT);
	kmp_init(&cs->error, ERROR_PAT);
	kmp_init(&cs->panic, PANIC_PAT);
	kmp_init(&cs->noboot, NOBOOT_PAT);
	cs->has_marker = marker && *marker && !strchr(marker, '\n');
	kmp_init(&cs->marker, cs->has_marker ? marker : "");
	cs->buf = g_string_sized_new(256);
	cs->errors = g_string_new(NULL);
	return cs;
}

void console_scan_free(struct console_scan *cs)
{
	if (!cs)
		return;
	kmp_clear(&cs->ready);
	kmp_clear(&cs->error);
	kmp_clear(&cs->panic);
	kmp_clear(&cs->noboot);
	kmp_clear(&cs->marker);
	g_string_free(cs->buf, TRUE);
	g_string_free(cs->errors, TRUE);
	seen_clear(&cs->seen);
	g_free(cs->path);
	g_free(cs);
}

const struct console_seen *console_scan_seen(const struct console_scan *cs)
{
	return &cs->seen;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool iface_char(char c)
{
	return g_ascii_isalnum(c) || (c && strchr(".:_-=,@", c));
}

int console_marker_parse(const char *line, size_t len, char **hostkey,
			 char **ifaces, char *err)
{
	const char *p = line, *end = line + len;
	char *key = NULL, *ifs = NULL;
	bool have_ifs = false;

	if (len && end[-1] == '\r')
		end--;
	while (p < end) {
		const char *w, *v;
		size_t n;

		while (p < end && blank(*p))
			p++;
		w = p;
		while (p < end && !blank(*p))
			p++;
		n = (size_t)(p - w);
		if (n >= 15 && !memcmp(w, "hostkey-sha256=", 15)) {
			v = w + 15;
			if (key) {
				err_set(err, "hostkey-sha256= given twice");
				goto fail;
			}
			if (n - 15 != 64) {
				err_set(err, "hostkey-sha256= has %zu "
					"characters, not 64 hex digits",
					n - 15);
				goto fail;
			}
			for (size_t i = 0; i < 64; i++)
				if (!g_ascii_isxdigit(v[i])) {
					err_set(err, "hostkey-sha256= holds "
						"a byte that is not a hex "
						"digit (0x%02x)",
						(unsigned char)v[i]);
					goto fail;
				}
			key = g_strndup(v, 64);
		} else if (n >= 7 && !memcmp(w, "ifaces=", 7)) {
			v = w + 7;
			if (have_ifs) {
				err_set(err, "ifaces= given twice");
				goto fail;
			}
			for (size_t i = 0; i < n - 7; i++)
				if (!iface_char(v[i])) {
					err_set(err, "ifaces= holds an unexpected "
						"byte (0x%02x)",
						(unsigned char)v[i]);
					goto fail;
				}
			have_ifs = true;
			ifs = g_strndup(v, n - 7);
		}
	}
	if (!key) {
		err_set(err, "no hostkey-sha256= in it");
		goto fail;
	}
	*hostkey = key;
	*ifaces = ifs;
	return 0;
fail:
	g_free(key);
	g_free(ifs);
	return -1;
}

static void add_error(struct console_scan *cs)
{
	if (cs->n_errors >= CONSOLE_ERRORS) {
		cs->errors_dropped++;
	} else {
		size_t n = cs->buf->len;

		if (n && cs->buf->str[n - 1] == '\r')
			n--;	/* the console's CRLF */
		if (cs->errors->len)
			g_string_append(cs->errors, "; ");
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)cs->buf->str[i];

			g_string_append_c(cs->errors, c == '\t' ? ' ' :
					  c < 0x20 || c == 0x7f ? '?' : (char)c);
		}
		if (cs->over)
			g_string_append(cs->errors, "...");
		cs->n_errors++;
	}
	g_free(cs->seen.errors);
	if (!cs->n_errors)
		cs->seen.errors = NULL;
	else if (cs->errors_dropped)
		cs->seen.errors = g_strdup_printf("%s; and %u more",
						  cs->errors->str,
						  cs->errors_dropped);
	else
		cs->seen.errors = g_strdup(cs->errors->str);
}

static void finish_ready(struct console_scan *cs)
{
	char why[ERRLEN];

	cs->seen.ready = true;
	if (cs->over)
		err_set(why, "its line is longer than %d bytes",
			CONSOLE_LINE_MAX);
	else if (console_marker_parse(cs->buf->str, cs->buf->len,
				      &cs->seen.hostkey, &cs->seen.ifaces,
				      why) == 0)
		return;
	cs->seen.bad = g_strdup(why);
}

/* The end of a line: what it held is complete. */
static void end_line(struct console_scan *cs)
{
	if (cs->cap == CAP_READY)
		finish_ready(cs);
	else if (cs->cap == CAP_ERROR)
		add_error(cs);
	if (cs->marker_here)
		cs->seen.marker = true;
	cs->cap = CAP_NONE;
	g_string_truncate(cs->buf, 0);
	cs->over = cs->marker_here = false;
}

static void start_capture(struct console_scan *cs, enum capture cap)
{
	if (cs->cap == CAP_ERROR)
		add_error(cs);	/* an error text cut short by the marker */
	cs->cap = cap;
	g_string_truncate(cs->buf, 0);
	cs->over = false;
}

void console_scan_feed(struct console_scan *cs, const void *data, size_t len)
{
	const char *p = data;
	size_t max;

	cs->seen.bytes += len;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (kmp_step(&cs->panic, c))
			cs->seen.panic = true;
		if (kmp_step(&cs->noboot, c) && !cs->seen.ready)
			cs->seen.no_boot = true;
		if (cs->has_marker && kmp_step(&cs->marker, c))
			cs->marker_here = true;
		if (c == '\n') {
			end_line(cs);
			cs->ready.q = cs->error.q = 0;
			continue;
		}
		if (cs->cap != CAP_NONE) {
			max = cs->cap == CAP_READY ? CONSOLE_LINE_MAX :
			      CONSOLE_ERROR_MAX;
			if (cs->buf->len < max)
				g_string_append_c(cs->buf, c);
			else
				cs->over = true;
		}
		if (kmp_step(&cs->ready, c) && !cs->seen.ready &&
		    cs->cap != CAP_READY)
			start_capture(cs, CAP_READY);
		if (kmp_step(&cs->error, c) && !cs->seen.ready &&
		    cs->cap == CAP_NONE)
			start_capture(cs, CAP_ERROR);
	}
}

void console_scan_poll(struct console_scan *cs)
{
	struct stat st;
	size_t done = 0;
	char *chunk;
	int fd;

	fd = file_open(cs->path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	if (cs->have_id && (st.st_dev != cs->dev || st.st_ino != cs->ino ||
			    st.st_size < cs->off))
		scan_reset(cs);	/* a new console */
	cs->have_id = true;
	cs->dev = st.st_dev;
	cs->ino = st.st_ino;
	chunk = g_malloc(READ_CHUNK);
	while (done < CONSOLE_READ_MAX) {
		ssize_t n = pread(fd, chunk, READ_CHUNK, cs->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		console_scan_feed(cs, chunk, (size_t)n);
		cs->off += n;
		done += (size_t)n;
	}
	g_free(chunk);
	close(fd);
}
