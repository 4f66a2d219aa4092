/* klog.c - see klog.h. */
#include "klog.h"
#include "util.h"

#include <string.h>

/*
 * Rules in priority order.  Each is tried at every message start in the
 * line, so '^' anchors to a message start and an unanchored pattern matches
 * anywhere.
 */
static const struct {
	const char *kind;
	const char *pattern;
} rules[] = {
	{ "panic", "^Kernel panic - not syncing" },
	{ "soft-lockup", "^(?:watchdog: )?BUG: soft lockup" },
	{ "hard-lockup", "Watchdog detected hard LOCKUP" },
	{ "hung-task", "^INFO: task .+ blocked for more than \\d+ seconds" },
	{ "rcu-stall",
	  "^(?:rcu: )?INFO: rcu_\\w+ (?:self-)?detected stalls?\\b" },
	{ "gpf", "^general protection fault" },
	{ "oops", "^(?:(?:Internal error: )?Oops\\b"
		  "|[^\\[\\]]{1,120}: [0-9a-f]{4,8} \\[#\\d+\\])" },
	{ "bug", "^(?:BUG: |kernel BUG at |Unable to handle kernel )" },
	{ "ubsan", "^UBSAN: " },
	/*
	 * Lockdep's reports (kernel/locking/lockdep.c, lockdep_rcu_suspicious)
	 * before "warning", which would take some of them; pre-4.9 kernels
	 * bracketed the title: "[ INFO: possible recursive locking detected ]".
	 */
	{ "lockdep",
	  "^(?:WARNING|\\[ INFO): (?:possible (?:circular locking "
	  "dependency|recursive locking|irq lock inversion dependency)"
	  " detected|inconsistent lock state|bad unlock balance detected!"
	  "|held lock freed!|lock held when returning to user space!"
	  "|suspicious RCU usage|Nested lock was not taken"
	  "|\\S+-safe -> \\S+-unsafe lock order detected)"
	  "|^INFO: trying to register non-static key"
	  "|^DEBUG_LOCKS_WARN_ON\\(" },
	{ "warning", "^WARNING: (?:CPU: |at |possible )" },
	{ "cut-here", "^-+\\[ cut here \\]-+" },
	{ "call-trace", "^Call Trace:" },
	{ "netdev-watchdog", "NETDEV WATCHDOG: " },
	{ "tx-hang", "Detected (?:Tx|Hardware) Unit Hang|TX timeout on queue" },
	/*
	 * A device that cannot go away: something still holds a reference
	 * (a driver's unload that leaks one hangs here for ever; with
	 * CONFIG_NET_DEV_REFCNT_TRACKER the tracker names the holder).
	 */
	{ "netdev-refcount",
	  "unregister_netdevice: waiting for .+ to become free"
	  "|^ref_tracker: netdev@\\S+ has \\d+/\\d+ users at" },
	/*
	 * virtio_ring's BAD_RING(): "<dev>: <vq name>:<what>", the queue
	 * marked broken (split and packed rings, from 2.6.24 on), and
	 * virtio_net's complaints about what the device handed it.
	 */
	{ "virtio-ring",
	  ":id \\d+ (?:is not a head!|out of range|has invalid length)"
	  "|:used len \\d+ is larger than"
	  "|: bad gso: type: \\d+|Unexpected TXQ \\(\\d+\\) queue failure" },
	{ "csum-fault", ": hw csum failure" },
	{ "alloc-failure", "page allocation failure: order:" },
	{ "oom", "invoked oom-killer: |^Out of memory: " },
	{ "hardware-error", "\\[Hardware Error\\]" },
	{ "nmi", "NMI received for unknown reason"
		 "|^NMI: (?:PCI system error|IOCK error)" },
};

#define N_RULES G_N_ELEMENTS(rules)

/*
 * Prefixes stripped from the start of a line, repeatedly: a syslog level; a
 * bracket of time-like characters with a digit inside (printk time, caller
 * id, dmesg -T), which leaves "[Firmware Bug]" and "[drm:foo]" alone; dmesg
 * -x facility:level; and a syslog or journal "... host kernel: ".
 */
#define PREFIX_RE \
	"^(?:<\\d{1,3}>" \
	"|\\[[A-Za-z0-9 :.,+-]*\\d[A-Za-z0-9 :.,+-]*\\]" \
	"|[a-z]+ *:[a-z]+ *: " \
	"|(?:\\S+ +){1,4}kernel: )[ \\t]*"

/* A printk time stamp (and caller id) anywhere: a message starts after it. */
#define STAMP_RE "\\[ *\\d+\\.\\d{6}\\](?:\\[ *[TC]\\d+\\])? *"

struct scanner {
	GRegex *prefix, *stamp;
	GRegex *rule[N_RULES];
};

static void scanner_clear(struct scanner *s)
{
	size_t i;

	if (s->prefix)
		g_regex_unref(s->prefix);
	if (s->stamp)
		g_regex_unref(s->stamp);
	for (i = 0; i < N_RULES; i++)
		if (s->rule[i])
			g_regex_unref(s->rule[i]);
	memset(s, 0, sizeof(*s));
}

static GRegex *compile(const char *pattern, char *err)
{
	GError *gerr = NULL;
	GRegex *re;

	/* RAW: match bytes, so invalid UTF-8 on a console cannot hide a hit. */
	re = g_regex_new(pattern, G_REGEX_RAW, 0, &gerr);
	if (!re) {
		err_set(err, "cannot compile pattern '%s': %s", pattern,
			gerr->message);
		g_error_free(gerr);
	}
	return re;
}

static int scanner_init(struct scanner *s, char *err)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->prefix = compile(PREFIX_RE, err);
	s->stamp = compile(STAMP_RE, err);
	if (!s->prefix || !s->stamp)
		goto fail;
	for (i = 0; i < N_RULES; i++) {
		s->rule[i] = compile(rules[i].pattern, err);
		if (!s->rule[i])
			goto fail;
	}
	return 0;
fail:
	scanner_clear(s);
	return -1;
}

/* Offset of the message in line after stripping prefixes. */
static size_t strip_prefixes(const struct scanner *s, const char *line)
{
	size_t off = 0;

	for (;;) {
		GMatchInfo *mi = NULL;
		int end = 0;
		bool more = false;

		if (g_regex_match(s->prefix, line + off, 0, &mi) &&
		    g_match_info_fetch_pos(mi, 0, NULL, &end) && end > 0) {
			off += (size_t)end;
			more = true;
		}
		g_match_info_free(mi);
		if (!more)
			return off;
	}
}

static void hit_free(gpointer p)
{
	struct klog_hit *h = p;

	if (!h)
		return;
	g_free(h->text);
	g_free(h);
}

/*
 * Match one line (NUL-terminated, no line end).  Returns the rule index and
 * sets *msg to where the message starts, or returns -1.
 *
 * The line is cut into messages at its time stamps, and each rule is
 * matched against each message alone (its own start and length), so the
 * work is rules x line length however many stamps a line holds: a guest
 * that prints megabytes without a newline cannot make this quadratic.
 * Rules keep their priority: the first rule that matches any message wins,
 * at its first message.
 */
static int scan_line(const struct scanner *s, const char *line, size_t len,
		     size_t *msg)
{
	GArray *starts = g_array_new(FALSE, FALSE, sizeof(size_t));
	GMatchInfo *mi = NULL;
	size_t first = strip_prefixes(s, line), i;
	int found = -1;
	guint j;

	g_array_append_val(starts, first);
	g_regex_match_full(s->stamp, line + first, (gssize)(len - first), 0, 0,
			   &mi, NULL);
	while (g_match_info_matches(mi)) {
		int end;

		if (g_match_info_fetch_pos(mi, 0, NULL, &end)) {
			size_t at = first + (size_t)end;

			g_array_append_val(starts, at);
		}
		g_match_info_next(mi, NULL);
	}
	g_match_info_free(mi);

	for (i = 0; i < N_RULES && found < 0; i++) {
		for (j = 0; j < starts->len; j++) {
			size_t at = g_array_index(starts, size_t, j);
			size_t end = j + 1 < starts->len ?
				     g_array_index(starts, size_t, j + 1) : len;

			if (end > at &&
			    g_regex_match_full(s->rule[i], line + at,
					       (gssize)(end - at), 0, 0, NULL,
					       NULL)) {
				found = (int)i;
				*msg = at;
				break;
			}
		}
	}
	g_array_free(starts, TRUE);
	return found;
}

int klog_scan(const char *text, size_t len, GPtrArray **hits, char *err)
{
	struct scanner s;
	GPtrArray *out;
	GString *line;
	size_t pos = 0;
	unsigned lineno = 0;

	if (scanner_init(&s, err) < 0)
		return -1;
	out = g_ptr_array_new_with_free_func(hit_free);
	line = g_string_new(NULL);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		size_t msg = 0, k;
		int r;

		lineno++;
		g_string_truncate(line, 0);
		g_string_append_len(line, text + pos, (gssize)n);
		pos += n + (nl ? 1 : 0);
		while (line->len && line->str[line->len - 1] == '\r')
			g_string_truncate(line, line->len - 1);
		for (k = 0; k < line->len; k++)
			if (line->str[k] == '\0')
				line->str[k] = ' ';
		r = scan_line(&s, line->str, line->len, &msg);
		if (r >= 0) {
			struct klog_hit *h = g_new0(struct klog_hit, 1);

			h->line = lineno;
			h->kind = rules[r].kind;
			h->text = g_strdup(line->str + msg);
			g_ptr_array_add(out, h);
		}
	}
	g_string_free(line, TRUE);
	scanner_clear(&s);
	*hits = out;
	return 0;
}

int klog_scan_file(const char *path, GPtrArray **hits, char *err)
{
	char *buf;
	size_t len;
	int rc;

	if (file_read(path, &buf, &len, err) < 0)
		return -1;
	rc = klog_scan(buf, len, hits, err);
	g_free(buf);
	return rc;
}

void klog_hits_free(GPtrArray *hits)
{
	if (hits)
		g_ptr_array_unref(hits);
}

/* Whether lines [from, to] (1-based) of text hold both needles. */
static bool lines_hold(const char *text, size_t len, unsigned from,
		       unsigned to, const char *a, const char *b)
{
	const char *p = text, *end = text + len, *s = NULL, *e;
	unsigned line = 1;
	bool fa = false, fb = false;

	while (p < end && line < from) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return false;
		p = nl + 1;
		line++;
	}
	s = p;
	while (p < end && line <= to) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
		line++;
	}
	e = p;
	fa = g_strstr_len(s, e - s, a) != NULL;
	fb = g_strstr_len(s, e - s, b) != NULL;
	return fa && fb;
}

/* The 1-based number of the first line holding needle; 0 if none. */
static unsigned first_line_with(const char *text, size_t len,
				const char *needle)
{
	const char *p = text, *end = text + len;
	unsigned line = 1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (g_strstr_len(p, e - p, needle))
			return line;
		p = e + 1;
		line++;
	}
	return 0;
}

/*
 * virtio_net's "Unexpected TXQ (N) queue failure: -5" after the
 * hibernation image was written: the kernel then shuts its devices down
 * for power-off, breaking each virtio device's queues (-EIO), and a frame
 * sent meanwhile fails so (CI-like run ci-23: virtio suspend, between "PM:
 * Image saving done" and "reboot: Power down").  Any other queue failure,
 * and this one anywhere else, stays a hit.
 */
static GPtrArray *known_poweroff_txq(const char *text, size_t len,
				     GPtrArray *hits)
{
	unsigned saved = first_line_with(text, len, "PM: Image saving done");
	GPtrArray *out = NULL;
	guint i = 0;

	if (!saved)
		return NULL;
	while (i < hits->len) {
		struct klog_hit *h = hits->pdata[i];
		const char *f = strstr(h->text, "Unexpected TXQ (");

		if (h->line <= saved || strcmp(h->kind, "virtio-ring") || !f ||
		    !g_str_has_suffix(f, ") queue failure: -5")) {
			i++;
			continue;
		}
		if (!out)
			out = g_ptr_array_new_with_free_func(hit_free);
		g_ptr_array_add(out, h);
		hits->pdata[i] = NULL;
		g_ptr_array_remove_index(hits, i);
	}
	return out;
}

const char *klog_known(const char *text, size_t len, GPtrArray *hits,
		       GPtrArray **known)
{
	static const char why[] =
		"Debian's 6.1 guest kernel warns in ktime_get_seconds() when "
		"random.c's crng_reseed_interval() runs in syscore_resume with "
		"an uptime under 120 s (a defect of the guest kernel, not of "
		"the NIC)";
	static const char why_txq[] =
		"virtio_net could not send after the hibernation image was "
		"written: the kernel breaks virtio devices' queues (-EIO) as "
		"it shuts them down for power-off (the guest kernel's "
		"power-off, not the NIC)";
	GPtrArray *out = NULL;
	guint i = 0;

	*known = NULL;
	while (i < hits->len) {
		struct klog_hit *h = hits->pdata[i];
		guint j, trace = 0;

		if (strcmp(h->kind, "warning") ||
		    !strstr(h->text, "kernel/time/timekeeping.c") ||
		    !strstr(h->text, "ktime_get_seconds")) {
			i++;
			continue;
		}
		/* its call trace: the next call-trace hit within 40 lines */
		for (j = i + 1; j < hits->len; j++) {
			struct klog_hit *t = hits->pdata[j];

			if (t->line > h->line + 40)
				break;
			if (!strcmp(t->kind, "call-trace")) {
				trace = j;
				break;
			}
			if (strcmp(t->kind, "cut-here"))
				break;	/* something else in between */
		}
		if (!trace || !lines_hold(text, len, ((struct klog_hit *)
				hits->pdata[trace])->line, ((struct klog_hit *)
				hits->pdata[trace])->line + 40,
				"crng_make_state", "syscore_resume")) {
			i++;
			continue;
		}
		if (!out)
			out = g_ptr_array_new_with_free_func(hit_free);
		/* the cut-here right before it belongs to the incident */
		if (i > 0 && !strcmp(((struct klog_hit *)hits->pdata[i - 1])->kind,
				     "cut-here") &&
		    ((struct klog_hit *)hits->pdata[i - 1])->line + 2 >=
		    h->line)
			i--;
		for (j = i; j <= trace; j++)
			g_ptr_array_add(out, hits->pdata[j]);
		for (j = i; j <= trace; j++)
			hits->pdata[j] = NULL;
		g_ptr_array_remove_range(hits, i, trace - i + 1);
	}
	if (out) {
		*known = out;
		return why;
	}
	*known = known_poweroff_txq(text, len, hits);
	return *known ? why_txq : NULL;
}
