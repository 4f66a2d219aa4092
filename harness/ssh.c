/*
 * ssh.c - see ssh.h.
 *
 * Once logged in, every connection is non-blocking for good, and all of an
 * sshc's connections sit in one ssh_event: every wait is ssh_event_dopoll()
 * with a slice of the caller's deadline, so no libssh call can block on a
 * dead guest.  Channel output is taken by callbacks into the owning job's
 * buffers as packets arrive, whichever job is being waited for; that keeps
 * every channel's window open, so background jobs progress while a
 * foreground command runs.
 *
 * Connections and the dropbear race.  Dropbear 2022.83 up to 2024.85 (the
 * guests run Debian's 2022.83) closes every session channel that has no
 * command yet whenever a child of the same connection exits; if our exec
 * request is already on its way, dropbear runs the command on the closed
 * channel and dies on a failed assertion when it prints, taking the whole
 * connection along (mkj/dropbear#173, #321; fixed by PR #326).  So a
 * connection must see no child exit while it sets up a channel:
 *  - foreground commands share the main connection, one at a time, and a
 *    command killed at its deadline keeps its channel ("dying") until the
 *    server has reaped it and closed the channel, before the next command
 *    opens one there;
 *  - each background job gets a connection of its own.
 * A channel the server closes before our exec request left is reopened.
 */
#include "ssh.h"
#include "transcript.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_SLICE_MS	100	/* longest wait between interrupted() checks */
#define WRITE_CHUNK	(256 * 1024)
#define CMD_SHOWN	80	/* characters of a command in error messages */
#define DYING_GRACE_MS	2000	/* wait for a killed command's channel close */
#define LAUNCH_TRIES	8	/* channels opened for one command, at most */

struct ssh_ident {
	ssh_key key;
	char *pub;
};

/* One SSH connection (TCP + transport + login) of an sshc. */
struct conn {
	struct sshc *s;
	ssh_session sess;
	bool dead;
	char deaderr[ERRLEN];
	GList *dying;		/* struct dying *: killed, awaiting close */
};

/* A killed command's channel, kept until the server closes it. */
struct dying {
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;
	bool closed;
	int64_t since;
};

struct sshc {
	ssh_event ev;		/* polls every connection below */
	struct conn *main;	/* foreground commands */
	char *host;
	int port;
	char *pin;
	const struct ssh_ident *id;
	struct transcript *transcript;	/* not owned */
	int64_t t0;		/* mono_ms() when logged in */
	unsigned seq;		/* commands run so far */
	GList *jobs;		/* background jobs not yet freed */
};

enum job_state { J_OPENING, J_EXEC, J_RUNNING, J_DONE };

struct sshc_job {
	struct sshc *s;		/* NULL once detached by sshc_free() */
	struct conn *c;		/* s->main, or the job's own connection */
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;
	enum job_state state;
	bool exec_sent;
	char *cmd;
	unsigned seq;
	bool background, collected;

	const unsigned char *in;
	size_t in_len, in_off;
	bool in_stop, eof_sent;

	GString *out, *errout;
	size_t out_cut, err_cut;	/* SSH_OUTPUT_MAX once over it */
	bool got_eof, got_close, has_status;
	int status;
	char *signame;		/* exit-signal name, if any */
	bool timed_out, interrupted;
	int retries;		/* channels the server closed before exec */

	int64_t t_start, t_end;
	struct timespec wall_start;
};

/* ---- identity ---- */

int ssh_ident_new(struct ssh_ident **out, char *err)
{
	struct ssh_ident *id = g_new0(struct ssh_ident, 1);
	char *b64 = NULL;

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &id->key) != SSH_OK) {
		err_set(err, "cannot generate an ed25519 key");
		goto fail;
	}
	if (ssh_pki_export_pubkey_base64(id->key, &b64) != SSH_OK) {
		err_set(err, "cannot export the ed25519 public key");
		goto fail;
	}
	id->pub = g_strdup_printf("ssh-ed25519 %s", b64);
	ssh_string_free_char(b64);
	*out = id;
	return 0;
fail:
	ssh_ident_free(id);
	return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int ident_pub(struct ssh_ident *id, char *err)
{
	char *b64 = NULL;

	if (ssh_pki_export_pubkey_base64(id->key, &b64) != SSH_OK) {
		err_set(err, "cannot export the ed25519 public key");
		return -1;
	}
	id->pub = g_strdup_printf("ssh-ed25519 %s", b64);
	ssh_string_free_char(b64);
	return 0;
}

int ssh_ident_load(const char *path, struct ssh_ident **out, char *err)
{
	struct ssh_ident *id;
	char *text = NULL, *tmp;
	struct stat st;
	size_t len;
	bool cut;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid() || (st.st_mode & 077) ||
		    st.st_size > 16384) {
			close(fd);
			err_set(err, "'%s' is not a private key of ours alone "
				"(mode 0600, owner %u)", path,
				(unsigned)geteuid());
			return -1;
		}
		close(fd);
		if (file_read_max(path, 16384, &text, &len, &cut, err) < 0)
			return -1;
		id = g_new0(struct ssh_ident, 1);
		if (ssh_pki_import_privkey_base64(text, NULL, NULL, NULL,
						  &id->key) != SSH_OK ||
		    ssh_key_type(id->key) != SSH_KEYTYPE_ED25519) {
			err_set(err, "'%s' is not an ed25519 private key",
				path);
			g_free(text);
			ssh_ident_free(id);
			return -1;
		}
		g_free(text);
		if (ident_pub(id, err) < 0) {
			ssh_ident_free(id);
			return -1;
		}
		*out = id;
		return 0;
	}
	if (errno != ENOENT) {
		err_set(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (ssh_ident_new(&id, err) < 0)
		return -1;
	if (ssh_pki_export_privkey_base64(id->key, NULL, NULL, NULL,
					  &text) != SSH_OK) {
		err_set(err, "cannot export the ed25519 private key");
		ssh_ident_free(id);
		return -1;
	}
	tmp = g_strdup_printf("%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 || write_all(fd, text, strlen(text)) < 0 ||
	    close(fd) < 0 || link(tmp, path) < 0) {
		/* another run wrote one at the same time: use that one */
		bool raced = errno == EEXIST;

		if (fd >= 0)
			unlink(tmp);
		ssh_string_free_char(text);
		g_free(tmp);
		ssh_ident_free(id);
		if (raced)
			return ssh_ident_load(path, out, err);
		err_set(err, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	unlink(tmp);
	ssh_string_free_char(text);
	g_free(tmp);
	*out = id;
	return 0;
}

const char *ssh_ident_pubkey(const struct ssh_ident *id)
{
	return id->pub;
}

void ssh_ident_free(struct ssh_ident *id)
{
	if (!id)
		return;
	ssh_key_free(id->key);
	g_free(id->pub);
	g_free(id);
}

/* ---- connections ---- */

static int slice(int64_t deadline)
{
	int64_t left = deadline_left(deadline);

	return left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS;
}

/* One round of the event loop: wait for any socket at most one slice. */
static void pump(struct sshc *s, int64_t deadline)
{
	if (ssh_event_dopoll(s->ev, slice(deadline)) == SSH_ERROR)
		poll(NULL, 0, 10);	/* don't spin if polling itself fails */
}

/* 0 while the connection is up; else -1 with the reason in err. */
static int alive(struct conn *c, char *err)
{
	if (!c->dead && ssh_is_connected(c->sess) &&
	    !(ssh_get_status(c->sess) & (SSH_CLOSED | SSH_CLOSED_ERROR)))
		return 0;
	if (!c->dead) {
		c->dead = true;
		snprintf(c->deaderr, sizeof(c->deaderr),
			 "connection to %s:%d lost: %s", c->s->host, c->s->port,
			 ssh_get_error(c->sess));
	}
	err_set(err, "%s", c->deaderr);
	return -1;
}

static bool pin_valid(const char *pin)
{
	size_t i;

	for (i = 0; pin[i]; i++)
		if (!g_ascii_isxdigit(pin[i]))
			return false;
	return i == 64;
}

static ssh_session session_new(const char *host, int port, char *err)
{
	ssh_session sess = ssh_new();
	bool no = false;
	int yes = 1;

	if (!sess) {
		err_set(err, "cannot allocate an SSH session");
		return NULL;
	}
	if (ssh_options_set(sess, SSH_OPTIONS_HOST, host) < 0 ||
	    ssh_options_set(sess, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(sess, SSH_OPTIONS_USER, "root") < 0 ||
	    ssh_options_set(sess, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(sess, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") < 0 ||
	    ssh_options_set(sess, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
			    "/dev/null") < 0 ||
	    ssh_options_set(sess, SSH_OPTIONS_HOSTKEYS, "ssh-ed25519") < 0 ||
	    ssh_options_set(sess, SSH_OPTIONS_NODELAY, &yes) < 0) {
		err_set(err, "cannot set SSH options for %s: %s", host,
			ssh_get_error(sess));
		ssh_free(sess);
		return NULL;
	}
	ssh_set_blocking(sess, 0);
	return sess;
}

static void session_drop(struct sshc *s, ssh_session *sess)
{
	if (!*sess)
		return;
	ssh_event_remove_session(s->ev, *sess);
	ssh_disconnect(*sess);
	ssh_free(*sess);
	*sess = NULL;
}

static int check_hostkey(struct sshc *s, ssh_session sess, char *err)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *got;
	int rc = -1;

	if (ssh_get_server_publickey(sess, &key) != SSH_OK) {
		err_set(err, "cannot get the host key of %s: %s", s->host,
			ssh_get_error(sess));
		return -1;
	}
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
				   &hlen) != 0) {
		err_set(err, "cannot hash the host key of %s", s->host);
		ssh_key_free(key);
		return -1;
	}
	got = hex_encode(hash, hlen);
	if (g_ascii_strcasecmp(got, s->pin) == 0)
		rc = 0;
	else
		err_set(err, "host key mismatch for %s: expected sha256 %s, got %s",
			s->host, s->pin, got);
	g_free(got);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return rc;
}

enum { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_FATAL };

/* One TCP connect + handshake + host key check + login into *out. */
static int attempt(struct sshc *s, int64_t deadline, ssh_session *out,
		   char *err)
{
	ssh_session sess;
	bool added = false;
	int rc;

	sess = session_new(s->host, s->port, err);
	if (!sess)
		return ATTEMPT_FATAL;
	rc = ssh_connect(sess);
	while (rc == SSH_AGAIN) {
		if (!added) {
			if (ssh_event_add_session(s->ev, sess) != SSH_OK) {
				err_set(err, "cannot poll the SSH session");
				goto fatal;
			}
			added = true;
		}
		if (interrupted() || deadline_left(deadline) == 0) {
			err_set(err, "handshake not finished");
			goto retry;	/* the caller reports it */
		}
		pump(s, deadline);
		rc = ssh_connect(sess);
	}
	if (rc != SSH_OK) {
		err_set(err, "%s", ssh_get_error(sess));
		goto retry;
	}
	if (!added && ssh_event_add_session(s->ev, sess) != SSH_OK) {
		err_set(err, "cannot poll the SSH session");
		goto fatal;
	}
	if (check_hostkey(s, sess, err) < 0)
		goto fatal;
	for (;;) {
		rc = ssh_userauth_publickey(sess, NULL, s->id->key);
		if (rc != SSH_AUTH_AGAIN)
			break;
		if (interrupted()) {
			err_set(err, "interrupted while logging in to %s",
				s->host);
			goto fatal;
		}
		if (deadline_left(deadline) == 0) {
			err_set(err, "timed out logging in to %s:%d", s->host,
				s->port);
			goto fatal;
		}
		pump(s, deadline);
	}
	if (rc == SSH_AUTH_SUCCESS) {
		*out = sess;
		return ATTEMPT_OK;
	}
	if (rc == SSH_AUTH_DENIED)
		err_set(err, "cannot log in to %s:%d as root: public key refused",
			s->host, s->port);
	else if (rc == SSH_AUTH_PARTIAL)
		err_set(err, "cannot log in to %s:%d as root: server wants more than a public key",
			s->host, s->port);
	else
		err_set(err, "cannot log in to %s:%d as root: %s", s->host,
			s->port, ssh_get_error(sess));
fatal:
	session_drop(s, &sess);
	return ATTEMPT_FATAL;
retry:
	session_drop(s, &sess);
	return ATTEMPT_RETRY;
}

/*
 * Open a logged-in connection, retrying failed attempts with a short
 * backoff until deadline (timeout_ms only words the message).
 */
static int conn_open(struct sshc *s, int64_t deadline, int timeout_ms,
		     struct conn **out, char *err)
{
	char why[ERRLEN] = "timed out";
	int backoff = 50, tries = 0, rc;
	ssh_session sess = NULL;
	struct conn *c;

	for (;;) {
		if (interrupted()) {
			err_set(err, "interrupted while connecting to %s:%d",
				s->host, s->port);
			return -1;
		}
		if (deadline_left(deadline) == 0) {
			err_set(err, "cannot connect to %s:%d within %d ms (%d attempts): %s",
				s->host, s->port, timeout_ms, tries, why);
			return -1;
		}
		tries++;
		rc = attempt(s, deadline, &sess, why);
		if (rc == ATTEMPT_OK)
			break;
		if (rc == ATTEMPT_FATAL) {
			err_set(err, "%s", why);
			return -1;
		}
		/* Nothing to wait on while the port is closed: back off. */
		{
			int64_t until = mono_ms() + backoff;

			if (until > deadline)
				until = deadline;
			while (!interrupted() && deadline_left(until) > 0)
				poll(NULL, 0, slice(until));
		}
		if (backoff < 1000)
			backoff *= 2;
	}
	c = g_new0(struct conn, 1);
	c->s = s;
	c->sess = sess;
	*out = c;
	return 0;
}

static void dying_free(struct dying *d)
{
	ssh_remove_channel_callbacks(d->ch, &d->cb);
	ssh_channel_free(d->ch);	/* sends our close if still due */
	g_free(d);
}

/* Free the dying channels the server has closed (all of them if force). */
static void conn_reap(struct conn *c, bool force)
{
	GList *l = c->dying, *next;

	for (; l; l = next) {
		struct dying *d = l->data;

		next = l->next;
		if (!d->closed && !force)
			continue;
		dying_free(d);
		c->dying = g_list_delete_link(c->dying, l);
	}
}

static void conn_close(struct conn *c)
{
	if (!c)
		return;
	conn_reap(c, true);
	session_drop(c->s, &c->sess);
	g_free(c);
}

int sshc_connect(const char *host, int port, const char *hostkey_sha256,
		 const struct ssh_ident *id, int timeout_ms,
		 struct sshc **out, char *err)
{
	int64_t deadline = mono_ms() + timeout_ms;
	struct sshc *s;

	if (!pin_valid(hostkey_sha256)) {
		err_set(err, "invalid host key pin '%s': want 64 hex digits",
			hostkey_sha256);
		return -1;
	}
	s = g_new0(struct sshc, 1);
	s->host = g_strdup(host);
	s->port = port;
	s->pin = g_strdup(hostkey_sha256);
	s->id = id;
	s->ev = ssh_event_new();
	if (!s->ev) {
		err_set(err, "cannot allocate an SSH event loop");
		goto fail;
	}
	if (conn_open(s, deadline, timeout_ms, &s->main, err) < 0)
		goto fail;
	s->t0 = mono_ms();
	*out = s;
	return 0;
fail:
	sshc_free(s);
	return -1;
}

void sshc_set_transcript(struct sshc *s, struct transcript *t)
{
	s->transcript = t;
}

/* ---- transcript ---- */

static const struct {
	const char *name;
	int num;
} signals[] = {
	{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },
	{ "FPE", SIGFPE }, { "HUP", SIGHUP }, { "ILL", SIGILL },
	{ "INT", SIGINT }, { "KILL", SIGKILL }, { "PIPE", SIGPIPE },
	{ "QUIT", SIGQUIT }, { "SEGV", SIGSEGV }, { "TERM", SIGTERM },
	{ "TRAP", SIGTRAP }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "SYS", SIGSYS },
};

static int signal_number(const char *name)
{
	size_t i;

	if (g_str_has_prefix(name, "SIG"))
		name += 3;
	for (i = 0; i < G_N_ELEMENTS(signals); i++)
		if (!strcmp(signals[i].name, name))
			return signals[i].num;
	return 0;
}

/*
 * Append one record for j.  outcome overrides the usual "exit N" line
 * (transport failures, abandoned jobs).  A transcript that cannot be written
 * must not fail the command (transcript.h).
 */
static void transcript_record(struct sshc_job *j, const char *outcome)
{
	struct sshc *s = j->s;
	struct transcript_rec r = { 0 };
	GString *extra;
	char *where, *oc = NULL;
	int64_t end = j->t_end ? j->t_end : mono_ms();

	if (!s || !s->transcript)
		return;
	if (outcome)
		oc = g_strdup(outcome);
	else if (j->timed_out)
		oc = g_strdup("TIMED OUT, killed");
	else if (j->interrupted)
		oc = g_strdup("INTERRUPTED, killed");
	else if (!j->has_status)
		oc = g_strdup("no exit status (channel closed)");
	else if (j->signame)
		oc = g_strdup_printf("killed by signal %s (status %d)",
				     j->signame, j->status);
	else
		oc = g_strdup_printf("exit %d", j->status);
	extra = g_string_new(NULL);
	if (j->retries)
		g_string_append_printf(extra, ", channel reopened %d times",
				       j->retries);
	if (j->in_off == j->in_len)
		g_string_append_printf(extra, ", stdin %zu bytes", j->in_len);
	else
		g_string_append_printf(extra, ", stdin %zu of %zu bytes sent",
				       j->in_off, j->in_len);
	where = g_strdup_printf("root@%s:%d", s->host, s->port);
	r.where = where;
	r.background = j->background;
	r.cmd = j->cmd;
	r.wall_start = j->wall_start;
	r.mono_start = j->t_start;
	r.outcome = oc;
	r.elapsed_ms = end - j->t_start;
	r.extra = extra->str;
	r.out = j->out->str;
	r.out_len = j->out->len;
	r.err = j->errout->str;
	r.err_len = j->errout->len;
	r.out_cut = j->out_cut;
	r.err_cut = j->err_cut;
	transcript_add(s->transcript, &r);
	g_string_free(extra, TRUE);
	g_free(where);
	g_free(oc);
}

/* ---- channel callbacks ---- */

static int on_data(ssh_session sess, ssh_channel ch, void *data, uint32_t len,
		   int is_stderr, void *ud)
{
	struct sshc_job *j = ud;
	GString *buf = is_stderr ? j->errout : j->out;
	size_t keep = buf->len < SSH_OUTPUT_MAX ? SSH_OUTPUT_MAX - buf->len : 0;

	(void)sess;
	(void)ch;
	if (len > keep)
		*(is_stderr ? &j->err_cut : &j->out_cut) = SSH_OUTPUT_MAX;
	/* past the cap the data is dropped, but taken: the window stays open */
	g_string_append_len(buf, data, (gssize)MIN((size_t)len, keep));
	return (int)len;
}

static void on_eof(ssh_session sess, ssh_channel ch, void *ud)
{
	struct sshc_job *j = ud;

	(void)sess;
	(void)ch;
	j->got_eof = true;
}

static void on_close(ssh_session sess, ssh_channel ch, void *ud)
{
	struct sshc_job *j = ud;

	(void)sess;
	(void)ch;
	j->got_close = true;
	if (!j->t_end)
		j->t_end = mono_ms();
}

static void on_exit_status(ssh_session sess, ssh_channel ch, int status,
			   void *ud)
{
	struct sshc_job *j = ud;

	(void)sess;
	(void)ch;
	j->has_status = true;
	j->status = status;
	j->t_end = mono_ms();
}

static void on_exit_signal(ssh_session sess, ssh_channel ch,
			   const char *sig, int core, const char *errmsg,
			   const char *lang, void *ud)
{
	struct sshc_job *j = ud;
	int n = signal_number(sig);

	(void)sess;
	(void)ch;
	(void)core;
	(void)errmsg;
	(void)lang;
	g_free(j->signame);
	j->signame = g_strdup(sig);
	j->has_status = true;
	j->status = n ? 128 + n : -1;
	j->t_end = mono_ms();
}

static int on_dying_data(ssh_session sess, ssh_channel ch, void *data,
			 uint32_t len, int is_stderr, void *ud)
{
	(void)sess;
	(void)ch;
	(void)data;
	(void)is_stderr;
	(void)ud;
	return (int)len;	/* dropped, but the window stays open */
}

static void on_dying_close(ssh_session sess, ssh_channel ch, void *ud)
{
	struct dying *d = ud;

	(void)sess;
	(void)ch;
	d->closed = true;
}

/* ---- jobs ---- */

/* A fresh channel for j, with our callbacks; state back to J_OPENING. */
static int job_channel(struct sshc_job *j, char *err)
{
	j->ch = ssh_channel_new(j->c->sess);
	if (!j->ch) {
		err_set(err, "cannot allocate an SSH channel: %s",
			ssh_get_error(j->c->sess));
		return -1;
	}
	j->got_eof = j->got_close = j->exec_sent = false;
	j->state = J_OPENING;
	j->t_end = 0;
	ssh_callbacks_init(&j->cb);
	j->cb.userdata = j;
	j->cb.channel_data_function = on_data;
	j->cb.channel_eof_function = on_eof;
	j->cb.channel_close_function = on_close;
	j->cb.channel_exit_status_function = on_exit_status;
	j->cb.channel_exit_signal_function = on_exit_signal;
	ssh_set_channel_callbacks(j->ch, &j->cb);
	return 0;
}

static struct sshc_job *job_new(struct sshc *s, const char *cmd,
				const void *in, size_t in_len)
{
	struct sshc_job *j = g_new0(struct sshc_job, 1);

	j->s = s;
	j->cmd = g_strdup(cmd);
	j->seq = ++s->seq;
	j->in = in;
	j->in_len = in ? in_len : 0;
	j->out = g_string_new(NULL);
	j->errout = g_string_new(NULL);
	j->status = -1;
	j->t_start = mono_ms();
	clock_gettime(CLOCK_REALTIME, &j->wall_start);
	return j;
}

static bool job_finished(const struct sshc_job *j)
{
	return j->got_close || (j->got_eof && j->has_status);
}

/*
 * Let go of j's channel.  A command that may still run (exec sent, no end
 * seen) is sent SIGKILL and EOF; on the main connection its channel then
 * stays "dying" until the server closes it, so that its exit cannot race a
 * later command's channel setup (see the top of this file).  A background
 * job's connection goes away with it anyway.  With our callbacks removed,
 * libssh no longer touches j.
 */
static void job_release(struct sshc_job *j)
{
	struct conn *c = j->c;
	bool running;

	if (!j->ch)
		return;
	running = (j->state == J_EXEC || j->state == J_RUNNING) &&
		  !job_finished(j);
	ssh_remove_channel_callbacks(j->ch, &j->cb);
	if (running && !c->dead && ssh_channel_is_open(j->ch)) {
		ssh_channel_request_send_signal(j->ch, "KILL");
		if (!j->eof_sent)
			ssh_channel_send_eof(j->ch);
		if (!j->background) {
			struct dying *d = g_new0(struct dying, 1);

			d->ch = j->ch;
			d->since = mono_ms();
			ssh_callbacks_init(&d->cb);
			d->cb.userdata = d;
			d->cb.channel_data_function = on_dying_data;
			d->cb.channel_close_function = on_dying_close;
			ssh_set_channel_callbacks(d->ch, &d->cb);
			c->dying = g_list_append(c->dying, d);
			j->ch = NULL;	/* transferred */
		}
	}
	if (j->ch) {
		if (!c->dead && ssh_channel_is_open(j->ch))
			ssh_channel_close(j->ch);
		ssh_channel_free(j->ch);
		j->ch = NULL;
	}
	if (!j->t_end)
		j->t_end = mono_ms();
	j->state = J_DONE;
}

/* Release j's channel and, for a background job, its connection. */
static void job_detach(struct sshc_job *j)
{
	if (!j->c)
		return;
	job_release(j);
	if (j->background)
		conn_close(j->c);
	j->c = NULL;
}

static void job_destroy(struct sshc_job *j)
{
	job_detach(j);
	g_string_free(j->out, TRUE);
	g_string_free(j->errout, TRUE);
	g_free(j->signame);
	g_free(j->cmd);
	g_free(j);
}

/* 1 when the deadline passed or a signal came (flags set), else 0. */
static int cut_short(struct sshc_job *j, int64_t deadline)
{
	if (interrupted())
		j->interrupted = true;
	else if (deadline_left(deadline) == 0)
		j->timed_out = true;
	else
		return 0;
	return 1;
}

/*
 * Wait until the connection's killed commands are reaped (their channels
 * closed), at most DYING_GRACE_MS after each was killed; past that, give
 * up on them.  0, 1 when cut short, -1 when the connection is lost.
 */
static int conn_settle(struct sshc_job *j, int64_t deadline, char *err)
{
	struct conn *c = j->c;

	for (;;) {
		GList *l;
		bool waiting = false;

		conn_reap(c, false);
		for (l = c->dying; l; l = l->next) {
			struct dying *d = l->data;

			if (mono_ms() - d->since < DYING_GRACE_MS)
				waiting = true;
		}
		if (!waiting) {
			conn_reap(c, true);
			return 0;
		}
		if (alive(c, err) < 0)
			return -1;
		if (cut_short(j, deadline))
			return 1;
		pump(c->s, deadline);
	}
}

/*
 * Open the channel and start the command.  0: running; 1: cut short
 * (timed_out/interrupted set); -1: transport failure or refusal.  A channel
 * the server closed before our exec request went out is reopened (the
 * command cannot have run); once the request is out, it is not.
 */
static int job_launch(struct sshc_job *j, int64_t deadline, char *err)
{
	struct sshc *s = j->s;
	int rc, tries = 1;

	rc = conn_settle(j, deadline, err);
	if (rc != 0)
		return rc;
	if (job_channel(j, err) < 0)
		return -1;
	for (;;) {
		rc = SSH_AGAIN;
		if (j->state == J_OPENING) {
			rc = ssh_channel_open_session(j->ch);
			if (rc == SSH_OK)
				j->state = J_EXEC;
		}
		if (j->state == J_EXEC) {
			rc = ssh_channel_request_exec(j->ch, j->cmd);
			if (rc == SSH_OK) {
				j->state = J_RUNNING;
				return 0;
			}
			if (rc == SSH_AGAIN)
				j->exec_sent = true;
		}
		if (j->got_close && !j->exec_sent && tries < LAUNCH_TRIES &&
		    alive(j->c, NULL) == 0 && !cut_short(j, deadline)) {
			job_release(j);
			if (job_channel(j, err) < 0)
				return -1;
			tries++;
			j->retries++;
			continue;
		}
		if (rc == SSH_ERROR || j->got_close)
			break;
		if (alive(j->c, err) < 0)
			return -1;
		if (cut_short(j, deadline))
			return 1;
		pump(s, deadline);
	}
	if (alive(j->c, err) < 0)
		return -1;
	if (cut_short(j, deadline))
		return 1;
	err_set(err, "cannot run '%.*s%s' on %s: %s", CMD_SHOWN, j->cmd,
		strlen(j->cmd) > CMD_SHOWN ? "..." : "", s->host,
		j->got_close ? "the server closed the channel" :
		ssh_get_error(j->c->sess));
	return -1;
}

/* Write as much stdin as the channel window takes now; EOF at the end. */
static void job_feed(struct sshc_job *j)
{
	while (!j->in_stop && j->in_off < j->in_len) {
		size_t n = j->in_len - j->in_off;
		int w;

		if (n > WRITE_CHUNK)
			n = WRITE_CHUNK;
		w = ssh_channel_write(j->ch, j->in + j->in_off, (uint32_t)n);
		if (w < 0) {
			/* The command closed its channel; a dead connection
			 * is noticed by the caller. */
			j->in_stop = true;
			break;
		}
		if (w == 0)
			break;
		j->in_off += (size_t)w;
	}
	if (!j->eof_sent && (j->in_stop || j->in_off == j->in_len)) {
		if (ssh_channel_is_open(j->ch))
			ssh_channel_send_eof(j->ch);
		j->eof_sent = true;
	}
}

/*
 * Feed stdin and wait for the command's end.  0: finished; 1: cut short;
 * -1: transport failure.
 */
static int job_collect(struct sshc_job *j, int64_t deadline, char *err)
{
	for (;;) {
		job_feed(j);
		if (job_finished(j)) {
			if (!j->t_end)
				j->t_end = mono_ms();
			return 0;
		}
		if (alive(j->c, err) < 0)
			return -1;
		if (cut_short(j, deadline))
			return 1;
		pump(j->s, deadline);
	}
}

/*
 * Finish j after launch/collect returned rc: release the channel (killing
 * the command if it was cut short), write the transcript, fill res.
 * Returns 0, or -1 on failure.
 */
static int job_finish(struct sshc_job *j, int rc, struct proc_result *res,
		      const char *err)
{
	char *outcome;

	job_detach(j);
	if (rc < 0) {
		outcome = g_strdup_printf("FAILED: %s", err);
		transcript_record(j, outcome);
		g_free(outcome);
		return -1;
	}
	transcript_record(j, NULL);
	memset(res, 0, sizeof(*res));
	res->status = j->has_status ? j->status : -1;
	res->timed_out = j->timed_out;
	res->interrupted = j->interrupted;
	res->elapsed_ms = j->t_end - j->t_start;
	res->out_cut = j->out_cut;
	res->err_cut = j->err_cut;
	/* Hand the buffers over whole: binary output may hold NULs. */
	res->out = g_string_free(j->out, FALSE);
	res->errout = g_string_free(j->errout, FALSE);
	j->out = g_string_new(NULL);
	j->errout = g_string_new(NULL);
	return 0;
}

int sshc_run(struct sshc *s, const char *cmd, const void *in, size_t in_len,
	     int timeout_ms, struct proc_result *res, char *err)
{
	int64_t deadline = mono_ms() + timeout_ms;
	struct sshc_job *j;
	int rc;

	/* res is always valid to clear, even when the call fails */
	memset(res, 0, sizeof(*res));
	if (alive(s->main, err) < 0)
		return -1;
	j = job_new(s, cmd, in, in_len);
	j->c = s->main;
	rc = job_launch(j, deadline, err);
	if (rc == 0)
		rc = job_collect(j, deadline, err);
	rc = job_finish(j, rc, res, err);
	job_destroy(j);
	return rc;
}

int sshc_start(struct sshc *s, const char *cmd, int timeout_ms,
	       struct sshc_job **out, char *err)
{
	int64_t deadline = mono_ms() + timeout_ms;
	char why[ERRLEN];
	struct sshc_job *j;
	int rc;

	if (alive(s->main, err) < 0)
		return -1;
	j = job_new(s, cmd, NULL, 0);
	j->background = true;
	if (conn_open(s, deadline, timeout_ms, &j->c, why) < 0) {
		err_set(err, "cannot start '%.*s%s': %s", CMD_SHOWN, cmd,
			strlen(cmd) > CMD_SHOWN ? "..." : "", why);
		transcript_record(j, "FAILED to start");
		job_destroy(j);
		return -1;
	}
	rc = job_launch(j, deadline, err);
	if (rc != 0) {
		if (rc > 0)
			err_set(err, "%s starting '%.*s%s' on %s",
				j->interrupted ? "interrupted" : "timed out",
				CMD_SHOWN, cmd,
				strlen(cmd) > CMD_SHOWN ? "..." : "", s->host);
		job_detach(j);
		transcript_record(j, "FAILED to start");
		job_destroy(j);
		return -1;
	}
	job_feed(j);		/* empty stdin: just the EOF */
	s->jobs = g_list_prepend(s->jobs, j);
	*out = j;
	return 0;
}

int sshc_job_wait(struct sshc_job *j, int timeout_ms, struct proc_result *res,
		  char *err)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!j->s) {
		err_set(err, "cannot wait for '%.*s': its session is closed",
			CMD_SHOWN, j->cmd);
		return -1;
	}
	if (j->collected) {
		err_set(err, "cannot wait for '%.*s': already collected",
			CMD_SHOWN, j->cmd);
		return -1;
	}
	j->collected = true;
	rc = job_collect(j, deadline, err);
	return job_finish(j, rc, res, err);
}

void sshc_job_free(struct sshc_job *j)
{
	if (!j)
		return;
	if (j->s) {
		if (!j->collected) {
			job_detach(j);
			transcript_record(j, "freed without waiting, killed");
		}
		j->s->jobs = g_list_remove(j->s->jobs, j);
	}
	job_destroy(j);
}

void sshc_free(struct sshc *s)
{
	GList *l;

	if (!s)
		return;
	for (l = s->jobs; l; l = l->next) {
		struct sshc_job *j = l->data;

		if (!j->collected) {
			job_detach(j);
			transcript_record(j, "session closed without waiting, killed");
		}
		j->s = NULL;
	}
	g_list_free(s->jobs);
	conn_close(s->main);
	ssh_event_free(s->ev);
	g_free(s->pin);
	g_free(s->host);
	g_free(s);
}
