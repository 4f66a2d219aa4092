/* httpd.c - see httpd.h. */
#include "httpd.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_MAX		8192	/* request line and headers */
#define HDR_MS		10000	/* to receive them */
#define IDLE_MS		60000	/* give up on a client that takes nothing */
#define CHUNK		65536

struct route {
	char *file;		/* one of file and data */
	GBytes *data;
};

struct conn {
	struct httpd *h;
	int fd;
	GThread *thread;
	atomic_bool done;
};

struct httpd {
	int lfd;
	int stopfd;		/* eventfd, readable once httpd_stop() began */
	int port;
	GThread *acceptor;
	GPtrArray *conns;	/* only the acceptor, then httpd_stop() */
	bool peer_only;		/* serve peer alone (httpd_start_from) */
	struct in_addr peer;
	atomic_uint_fast64_t rate;
	GMutex lock;		/* routes, log, st */
	GHashTable *routes;
	char *log;
	struct httpd_stats st;
};

/* What a request gets. */
struct answer {
	int status;
	int fd;			/* file body, or */
	GBytes *data;		/* memory body */
	uint64_t size, off, len;
};

/*
 * Wait for ev on fd (fd < 0: just wait).  1 when ready, 0 on timeout,
 * -1 once httpd_stop() began.
 */
static int wait_fd(struct httpd *h, int fd, short ev, int64_t ms)
{
	struct pollfd pf[2] = { { .fd = h->stopfd, .events = POLLIN },
				{ .fd = fd, .events = ev } };
	int n;

	do
		n = poll(pf, 2, ms < 0 ? -1 : (int)MIN(ms, INT32_MAX));
	while (n < 0 && errno == EINTR);
	if (n < 0 || pf[0].revents)
		return -1;
	return n > 0;
}

/* 0 with a whole header in buf, 1 when it does not fit, -1 no request. */
static int read_request(struct httpd *h, int fd, char *buf, size_t size)
{
	int64_t deadline = mono_ms() + HDR_MS;
	size_t len = 0;
	ssize_t n;

	while (len < size - 1) {
		if (wait_fd(h, fd, POLLIN, deadline_left(deadline)) <= 0)
			return -1;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return 0;
	}
	return 1;
}

int httpd_parse_request(char *buf, char **method, char **path, char **range)
{
	char *line, *next, *sp1, *sp2, *v;

	if (!strstr(buf, "\r\n\r\n"))
		return -1;
	line = strstr(buf, "\r\n");
	*line = '\0';
	sp1 = strchr(buf, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp2 || sp1[1] != '/' ||
	    (strcmp(sp2 + 1, "HTTP/1.1") && strcmp(sp2 + 1, "HTTP/1.0")))
		return -1;
	*sp1 = *sp2 = '\0';
	*method = buf;
	*path = sp1 + 1;
	(*path)[strcspn(*path, "?")] = '\0';
	for (line += 2; strncmp(line, "\r\n", 2); line = next + 2) {
		next = strstr(line, "\r\n");
		*next = '\0';
		if (g_ascii_strncasecmp(line, "Range:", 6))
			continue;
		for (v = line + 6; *v == ' ' || *v == '\t'; v++)
			;
		*range = g_strchomp(v);
	}
	return 0;
}

int httpd_parse_range(const char *v, uint64_t size, uint64_t *off,
		      uint64_t *len)
{
	uint64_t a, b = UINT64_MAX;
	char *end;

	if (strncmp(v, "bytes=", 6))
		return -1;
	v += 6;
	if (!g_ascii_isdigit(*v))
		return -1;
	a = g_ascii_strtoull(v, &end, 10);
	if (*end++ != '-')
		return -1;
	if (*end) {
		if (!g_ascii_isdigit(*end))
			return -1;
		b = g_ascii_strtoull(end, &end, 10);
		if (*end || b < a)
			return -1;
	}
	if (a >= size)
		return 1;
	*off = a;
	*len = MIN(b, size - 1) - a + 1;
	return 0;
}

static void resolve(struct httpd *h, const char *method, const char *path,
		    const char *range, struct answer *a)
{
	struct route *rt;
	char *file = NULL;
	struct stat st;

	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		a->status = 405;
		return;
	}
	g_mutex_lock(&h->lock);
	rt = g_hash_table_lookup(h->routes, path);
	if (rt) {
		file = g_strdup(rt->file);
		a->data = rt->data ? g_bytes_ref(rt->data) : NULL;
	}
	g_mutex_unlock(&h->lock);
	a->status = 404;
	if (file) {
		a->status = 500;
		a->fd = file_open(file, O_RDONLY, 0);
		if (a->fd >= 0 && fstat(a->fd, &st) == 0) {
			a->size = (uint64_t)st.st_size;
			a->status = 200;
		}
		g_free(file);
	} else if (a->data) {
		a->size = g_bytes_get_size(a->data);
		a->status = 200;
	}
	if (a->status != 200)
		return;
	a->len = a->size;
	if (range) {
		int rc = httpd_parse_range(range, a->size, &a->off,
					   &a->len);

		a->status = rc < 0 ? 400 : rc > 0 ? 416 : 206;
	}
}

/* Send len bytes, counting them in *sent when not NULL. */
static bool send_all(struct httpd *h, int fd, const char *p, size_t len,
		     uint64_t *sent)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(h, fd, POLLOUT, IDLE_MS) <= 0)
				return false;
			continue;
		}
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
		if (sent) {
			*sent += (uint64_t)n;
			g_mutex_lock(&h->lock);
			h->st.bytes_sent += (uint64_t)n;
			g_mutex_unlock(&h->lock);
		}
	}
	return true;
}

/*
 * The body in chunks.  Under a rate each chunk is a tenth of a second's
 * worth and waits until the previous ones are paid for.
 */
static bool send_body(struct httpd *h, int fd, struct answer *a,
		      uint64_t *sent)
{
	char *buf = a->data ? NULL : g_malloc(CHUNK);
	const char *mem = a->data ? g_bytes_get_data(a->data, NULL) : NULL;
	uint64_t off = a->off, left = a->len, rate;
	int64_t due = 0, now;
	size_t n;
	ssize_t r;

	while (left > 0) {
		n = (size_t)MIN(left, CHUNK);
		rate = atomic_load(&h->rate);
		if (rate) {
			n = (size_t)MIN(n, MAX(rate / 10, 1));
			now = g_get_monotonic_time();
			if (due > now &&
			    wait_fd(h, -1, 0, (due - now + 999) / 1000) < 0)
				break;
			due = MAX(due, now) +
			      (int64_t)(n * G_USEC_PER_SEC / rate);
		}
		if (buf) {
			r = pread(a->fd, buf, n, (off_t)off);
			if (r <= 0)	/* file shrank under us */
				break;
			n = (size_t)r;
		}
		if (!send_all(h, fd, buf ? buf : mem + off, n, sent))
			break;
		off += n;
		left -= n;
	}
	g_free(buf);
	return left == 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 416: return "Range Not Satisfiable";
	case 500: return "Internal Server Error";
	default: return "Bad Request";
	}
}

/* Headers, then the body unless head; false when cut short. */
static bool respond(struct httpd *h, int fd, struct answer *a, bool head,
		    uint64_t *sent)
{
	bool body = a->status == 200 || a->status == 206;
	char *msg = body ? NULL : g_strdup_printf("%d %s\n", a->status,
						 reason(a->status));
	GString *s = g_string_new(NULL);
	bool ok;

	g_string_printf(s, "HTTP/1.1 %d %s\r\nContent-Length: %" PRIu64
			"\r\nContent-Type: %s\r\nAccept-Ranges: bytes\r\n",
			a->status, reason(a->status),
			body ? a->len : (uint64_t)strlen(msg),
			body ? "application/octet-stream" : "text/plain");
	if (a->status == 206)
		g_string_append_printf(s, "Content-Range: bytes %" PRIu64 "-%"
				       PRIu64 "/%" PRIu64 "\r\n", a->off,
				       a->off + a->len - 1, a->size);
	if (a->status == 416)
		g_string_append_printf(s, "Content-Range: bytes */%" PRIu64
				       "\r\n", a->size);
	g_string_append(s, "Connection: close\r\n\r\n");
	ok = send_all(h, fd, s->str, s->len, NULL);
	if (ok && !head)
		ok = body ? send_body(h, fd, a, sent) :
			    send_all(h, fd, msg, strlen(msg), sent);
	g_string_free(s, TRUE);
	g_free(msg);
	return ok;
}

static gpointer conn_main(gpointer arg)
{
	struct conn *c = arg;
	struct httpd *h = c->h;
	char buf[HDR_MAX], *method = "-", *path = "-", *range = NULL;
	char *log[3];		/* escaped method, path, range */
	struct answer a = { .status = 400, .fd = -1 };
	uint64_t sent = 0;
	bool ok;
	int rc, i;

	rc = read_request(h, c->fd, buf, sizeof(buf));
	if (rc < 0)
		goto out;	/* no request: nothing to count */
	if (rc == 0 &&
	    httpd_parse_request(buf, &method, &path, &range) == 0)
		resolve(h, method, path, range, &a);
	ok = respond(h, c->fd, &a, !strcmp(method, "HEAD"), &sent);
	log[0] = g_strescape(method, NULL);
	log[1] = g_strescape(path, NULL);
	log[2] = g_strescape(range ? range : "-", NULL);
	g_mutex_lock(&h->lock);
	h->st.requests++;
	h->st.range_requests += range != NULL;
	if (ok)
		h->st.completed++;
	else
		h->st.aborted++;
	if (h->log)
		file_appendf(h->log, NULL, "%s %s range=%s %d sent=%" PRIu64
			     " %s\n", log[0], log[1], log[2], a.status, sent,
			     ok ? "complete" : "aborted");
	g_mutex_unlock(&h->lock);
	for (i = 0; i < 3; i++)
		g_free(log[i]);
	shutdown(c->fd, SHUT_WR);
out:
	if (a.fd >= 0)
		close(a.fd);
	if (a.data)
		g_bytes_unref(a.data);
	close(c->fd);
	atomic_store(&c->done, true);
	return NULL;
}

/* Join finished connection threads, or all of them. */
static void reap(struct httpd *h, bool all)
{
	struct conn *c;
	guint i;

	for (i = h->conns->len; i-- > 0;) {
		c = g_ptr_array_index(h->conns, i);
		if (!all && !atomic_load(&c->done))
			continue;
		g_thread_join(c->thread);
		g_free(c);
		g_ptr_array_remove_index_fast(h->conns, i);
	}
}

/* A client turned away: closed at once, counted, and in the log. */
static void turn_away(struct httpd *h, int fd, const struct sockaddr_in *from,
		      const char *why)
{
	char ip[INET_ADDRSTRLEN] = "?";

	close(fd);
	inet_ntop(AF_INET, &from->sin_addr, ip, sizeof(ip));
	g_mutex_lock(&h->lock);
	h->st.refused++;
	if (h->log)
		file_appendf(h->log, NULL, "refused %s:%u: %s\n", ip,
			     ntohs(from->sin_port), why);
	g_mutex_unlock(&h->lock);
}

static gpointer accept_main(gpointer arg)
{
	struct httpd *h = arg;
	struct conn *c;
	int fd, one = 1;

	while (wait_fd(h, h->lfd, POLLIN, -1) >= 0) {
		struct sockaddr_in from = { 0 };
		socklen_t flen = sizeof(from);

		reap(h, false);
		fd = accept4(h->lfd, (struct sockaddr *)&from, &flen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)	/* e.g. EMFILE */
				wait_fd(h, -1, 0, 100);
			continue;
		}
		if (h->peer_only && from.sin_addr.s_addr != h->peer.s_addr) {
			turn_away(h, fd, &from, "not the guest");
			continue;
		}
		if (h->conns->len >= HTTPD_MAX_CONNS) {
			turn_away(h, fd, &from, "too many connections");
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = g_new0(struct conn, 1);
		c->h = h;
		c->fd = fd;
		c->thread = g_thread_try_new("httpd-conn", conn_main, c, NULL);
		if (!c->thread) {
			close(fd);
			g_free(c);
			continue;
		}
		g_ptr_array_add(h->conns, c);
	}
	return NULL;
}

static void route_free(gpointer p)
{
	struct route *rt = p;

	g_free(rt->file);
	if (rt->data)
		g_bytes_unref(rt->data);
	g_free(rt);
}

int httpd_start(const char *bind_ip, int port, struct httpd **out, char *err)
{
	return httpd_start_from(bind_ip, NULL, port, out, err);
}

int httpd_start_from(const char *bind_ip, const char *peer_ip, int port,
		     struct httpd **out, char *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct httpd *h = g_new0(struct httpd, 1);
	const char *ip = bind_ip ? bind_ip : "0.0.0.0";
	int one = 1;

	h->lfd = h->stopfd = -1;
	g_mutex_init(&h->lock);
	h->routes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  route_free);
	h->conns = g_ptr_array_new();
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || port < 0 ||
	    port > 65535) {
		err_set(err, "invalid listen address '%s:%d'", ip, port);
		goto fail;
	}
	sa.sin_port = htons((uint16_t)port);
	if (peer_ip) {
		if (inet_pton(AF_INET, peer_ip, &h->peer) != 1) {
			err_set(err, "invalid peer address '%s'", peer_ip);
			goto fail;
		}
		h->peer_only = true;
	}
	h->stopfd = eventfd(0, EFD_CLOEXEC);
	if (h->stopfd < 0) {
		err_set(err, "cannot create eventfd: %s", strerror(errno));
		goto fail;
	}
	h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0 ||
	    setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(h->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(h->lfd, 64) < 0 ||
	    getsockname(h->lfd, (struct sockaddr *)&sa, &salen) < 0) {
		err_set(err, "cannot listen on %s:%d: %s", ip, port,
			strerror(errno));
		goto fail;
	}
	h->port = ntohs(sa.sin_port);
	h->acceptor = g_thread_try_new("httpd", accept_main, h, NULL);
	if (!h->acceptor) {
		err_set(err, "cannot start the httpd thread");
		goto fail;
	}
	*out = h;
	return 0;
fail:
	httpd_stop(h);
	return -1;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

static int add_route(struct httpd *h, const char *url_path,
		     struct route *rt, char *err)
{
	if (url_path[0] != '/') {
		err_set(err, "invalid URL path '%s': must start with '/'",
			url_path);
		route_free(rt);
		return -1;
	}
	g_mutex_lock(&h->lock);
	g_hash_table_replace(h->routes, g_strdup(url_path), rt);
	g_mutex_unlock(&h->lock);
	return 0;
}

int httpd_add_file(struct httpd *h, const char *url_path,
		   const char *file_path, char *err)
{
	struct route *rt;
	struct stat st;
	int fd = file_open(file_path, O_RDONLY, 0);

	if (fd < 0 || fstat(fd, &st) < 0) {
		err_set(err, "cannot open '%s': %s", file_path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		err_set(err, "cannot serve '%s': not a regular file",
			file_path);
		return -1;
	}
	rt = g_new0(struct route, 1);
	rt->file = g_strdup(file_path);
	return add_route(h, url_path, rt, err);
}

int httpd_add_data(struct httpd *h, const char *url_path, const void *data,
		   size_t len, char *err)
{
	struct route *rt = g_new0(struct route, 1);

	rt->data = g_bytes_new(data, len);
	return add_route(h, url_path, rt, err);
}

void httpd_set_rate(struct httpd *h, uint64_t bytes_per_s)
{
	atomic_store(&h->rate, bytes_per_s);
}

int httpd_set_log(struct httpd *h, const char *path, char *err)
{
	if (path && file_appendf(path, err, "%s", "") < 0)
		return -1;
	g_mutex_lock(&h->lock);
	g_free(h->log);
	h->log = g_strdup(path);
	g_mutex_unlock(&h->lock);
	return 0;
}

void httpd_stats(const struct httpd *h, struct httpd_stats *st)
{
	GMutex *lock = (GMutex *)&h->lock;

	g_mutex_lock(lock);
	*st = h->st;
	g_mutex_unlock(lock);
}

void httpd_stop(struct httpd *h)
{
	uint64_t one = 1;

	if (!h)
		return;
	if (h->stopfd >= 0 && write(h->stopfd, &one, sizeof(one)) < 0) {
		/* cannot happen: the counter is far from overflow */
	}
	if (h->acceptor)
		g_thread_join(h->acceptor);
	reap(h, true);
	g_ptr_array_free(h->conns, TRUE);
	if (h->lfd >= 0)
		close(h->lfd);
	if (h->stopfd >= 0)
		close(h->stopfd);
	g_hash_table_destroy(h->routes);
	g_free(h->log);
	g_mutex_clear(&h->lock);
	g_free(h);
}
