/* xfer.c - see xfer.h. */
#include "xfer.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

struct xfer {
	bool sender;
	int fd;			/* connected socket, or -1 */
	int lfd;		/* listening socket (receiver), or -1 */
	int port;
	struct sockaddr_in addr;
	uint64_t bytes, seed;
	int64_t deadline;
	int stall_ms;		/* 0: no limit */
	int64_t progress_at;	/* last time bytes moved (or start) */
	bool peer_only;		/* receiver: accept peer alone */
	uint64_t backlog_at;	/* receiver: hold reading once after this
				 * many bytes (0: never) */
	struct in_addr peer;
	uint64_t moved;		/* bytes so far, read by xfer_progress() */
	GThread *thread;
	struct xfer_result res;
};

void xfer_fill(uint64_t *s, unsigned char *buf, size_t len)
{
	uint64_t x = *s;
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v;

		/* xorshift64*: fast, full period, not compressible */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		v = x * 0x2545F4914F6CDD1DULL;
		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
	*s = x;
}

static int parse_addr(const char *ip, int port, struct sockaddr_in *sa,
		      char *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1) {
		err_set(err, "bad IPv4 address '%s'", ip);
		return -1;
	}
	return 0;
}

/* Wait for fd to be ready for events; 1 ready, 0 deadline/interrupt. */
static int wait_fd(struct xfer *x, int fd, short events)
{
	for (;;) {
		int64_t left = x->deadline - mono_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int n;

		if (left <= 0) {
			snprintf(x->res.err, sizeof(x->res.err), "deadline "
				 "passed after %llu of %llu bytes",
				 (unsigned long long)x->res.bytes,
				 (unsigned long long)x->bytes);
			return 0;
		}
		if (x->stall_ms && x->fd >= 0 &&
		    mono_ms() - x->progress_at > x->stall_ms) {
			x->res.stalled = true;
			snprintf(x->res.err, sizeof(x->res.err), "stalled: "
				 "nothing moved for %d s after %llu of %llu "
				 "bytes", x->stall_ms / 1000,
				 (unsigned long long)x->res.bytes,
				 (unsigned long long)x->bytes);
			return 0;
		}
		if (interrupted()) {
			snprintf(x->res.err, sizeof(x->res.err), "interrupted");
			return 0;
		}
		n = poll(&p, 1, left < 200 ? (int)left : 200);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR) {
			snprintf(x->res.err, sizeof(x->res.err), "poll: %s",
				 strerror(errno));
			return 0;
		}
	}
}

static int do_connect(struct xfer *x)
{
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
				SOCK_NONBLOCK, 0);
		int e = 0;
		socklen_t el = sizeof(e);

		if (fd < 0) {
			snprintf(x->res.err, sizeof(x->res.err), "socket: %s",
				 strerror(errno));
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&x->addr,
			    sizeof(x->addr)) == 0) {
			x->fd = fd;
			x->progress_at = mono_ms();
			return 0;
		}
		if (errno == EINPROGRESS) {
			if (!wait_fd(x, fd, POLLOUT)) {
				close(fd);
				return -1;
			}
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
			if (!e) {
				x->fd = fd;
				x->progress_at = mono_ms();
				return 0;
			}
		} else {
			e = errno;
		}
		close(fd);
		/* the listener may not be up yet: try again shortly */
		if (mono_ms() + 200 >= x->deadline || interrupted()) {
			snprintf(x->res.err, sizeof(x->res.err), "cannot "
				 "connect to %s:%d: %s",
				 inet_ntoa(x->addr.sin_addr), x->port,
				 strerror(e));
			return -1;
		}
		usleep(200000);
	}
}

/* The generator's state for a seed (0 would stay 0). */
static uint64_t seed_state(uint64_t seed)
{
	return seed ? seed : 0x9E3779B97F4A7C15ULL;
}

void xfer_prefix_sha256(uint64_t seed, uint64_t n, char out[65])
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	unsigned char *buf = g_malloc(CHUNK);
	uint64_t s = seed_state(seed), done = 0;

	/* in the sender's chunks: xfer_fill is a prefix of itself, so the
	 * last, shorter chunk is the start of the sender's */
	while (done < n) {
		size_t k = n - done < CHUNK ? (size_t)(n - done) : CHUNK;

		xfer_fill(&s, buf, k);
		g_checksum_update(sum, buf, k);
		done += k;
	}
	g_strlcpy(out, g_checksum_get_string(sum), 65);
	g_checksum_free(sum);
	g_free(buf);
}

static void run_send(struct xfer *x, GChecksum *sum, unsigned char *buf)
{
	uint64_t s = seed_state(x->seed);

	if (do_connect(x) < 0)
		return;
	while (x->res.bytes < x->bytes) {
		size_t n = x->bytes - x->res.bytes < CHUNK ?
			   (size_t)(x->bytes - x->res.bytes) : CHUNK;
		size_t off = 0;

		xfer_fill(&s, buf, n);
		while (off < n) {
			ssize_t w;

			if (!wait_fd(x, x->fd, POLLOUT))
				return;
			w = send(x->fd, buf + off, n - off, MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (w < 0) {
				snprintf(x->res.err, sizeof(x->res.err),
					 "send after %llu bytes: %s",
					 (unsigned long long)(x->res.bytes +
							      off),
					 strerror(errno));
				g_checksum_update(sum, buf, off);
				x->res.bytes += off;
				return;
			}
			off += (size_t)w;
			x->progress_at = mono_ms();
			__atomic_store_n(&x->moved, x->res.bytes + off,
					 __ATOMIC_RELAXED);
		}
		g_checksum_update(sum, buf, n);
		x->res.bytes += n;
	}
	x->res.ok = true;
}

/* Note a refused client in x->res (its address, the first few). */
static void refused(struct xfer *x, const struct sockaddr_in *from)
{
	char ip[INET_ADDRSTRLEN] = "?";
	size_t n = strlen(x->res.refused_from);

	inet_ntop(AF_INET, &from->sin_addr, ip, sizeof(ip));
	if (x->res.refused < XFER_REFUSED_NAMED)
		snprintf(x->res.refused_from + n,
			 sizeof(x->res.refused_from) - n, "%s%s:%u",
			 n ? " " : "", ip, ntohs(from->sin_port));
	x->res.refused++;
}

/*
 * Stop reading until the socket's unread data has not grown for 150 ms
 * (at most 3 s, the deadline and an interruption permitting): the
 * sender's data then waits behind a shut window.
 */
static void hold_backlog(struct xfer *x)
{
	int64_t t0 = mono_ms(), steady_since = t0;
	int q = 0, last = -1;

	while (mono_ms() - t0 < 3000 && mono_ms() < x->deadline &&
	       !interrupted()) {
		if (ioctl(x->fd, FIONREAD, &q) < 0)
			break;
		if (q != last) {
			last = q;
			steady_since = mono_ms();
		} else if (q > 0 && mono_ms() - steady_since >= 150) {
			break;
		}
		g_usleep(25000);
	}
	x->res.backlog_bytes = q > 0 ? (uint64_t)q : 0;
	x->res.backlog_ms = (int)(mono_ms() - t0);
	x->progress_at = mono_ms();
}

static void run_recv(struct xfer *x, GChecksum *sum, unsigned char *buf)
{
	/*
	 * The first connection from the peer (the guest) is the transfer;
	 * any other client is closed at once and noted, so a stray one can
	 * neither take the transfer's place nor stall it.
	 */
	for (;;) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);

		if (!wait_fd(x, x->lfd, POLLIN))
			return;
		x->fd = accept4(x->lfd, (struct sockaddr *)&from, &flen,
				SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (x->fd < 0 && (errno == EAGAIN || errno == EINTR ||
				  errno == ECONNABORTED))
			continue;
		if (x->fd < 0)
			break;
		if (!x->peer_only || (from.sin_family == AF_INET &&
				      from.sin_addr.s_addr ==
				      x->peer.s_addr))
			break;
		refused(x, &from);
		close(x->fd);
		x->fd = -1;
	}
	x->progress_at = mono_ms();
	if (x->fd < 0) {
		snprintf(x->res.err, sizeof(x->res.err), "accept: %s",
			 strerror(errno));
		return;
	}
	for (;;) {
		ssize_t r;

		if (!wait_fd(x, x->fd, POLLIN))
			return;
		r = recv(x->fd, buf, CHUNK, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0) {
			snprintf(x->res.err, sizeof(x->res.err), "recv after "
				 "%llu bytes: %s",
				 (unsigned long long)x->res.bytes,
				 strerror(errno));
			return;
		}
		if (r == 0)
			break;
		g_checksum_update(sum, buf, (size_t)r);
		x->res.bytes += (uint64_t)r;
		x->progress_at = mono_ms();
		if (x->backlog_at && x->res.bytes >= x->backlog_at &&
		    x->res.bytes < x->bytes) {
			x->backlog_at = 0;
			hold_backlog(x);
		}
		__atomic_store_n(&x->moved, x->res.bytes, __ATOMIC_RELAXED);
		/* all announced bytes are in: the receiver closes */
		if (x->res.bytes >= x->bytes)
			break;
	}
	if (x->res.bytes != x->bytes)
		snprintf(x->res.err, sizeof(x->res.err), "%s after %llu of "
			 "%llu bytes", x->res.bytes < x->bytes ?
			 "connection closed" : "too much data",
			 (unsigned long long)x->res.bytes,
			 (unsigned long long)x->bytes);
	else
		x->res.ok = true;
}

static gpointer xfer_thread(gpointer p)
{
	struct xfer *x = p;
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	unsigned char *buf = g_malloc(CHUNK);
	int64_t t0 = mono_ms();

	if (x->sender)
		run_send(x, sum, buf);
	else
		run_recv(x, sum, buf);
	x->res.seconds = (mono_ms() - t0) / 1000.0;
	g_strlcpy(x->res.sha256, g_checksum_get_string(sum),
		  sizeof(x->res.sha256));
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
	}
	g_checksum_free(sum);
	g_free(buf);
	return NULL;
}

static struct xfer *xfer_new(bool sender, uint64_t bytes, int timeout_ms,
			     int stall_ms)
{
	struct xfer *x = g_new0(struct xfer, 1);

	x->stall_ms = stall_ms;
	x->sender = sender;
	x->fd = x->lfd = -1;
	x->bytes = bytes;
	x->deadline = mono_ms() + timeout_ms;
	return x;
}

int xfer_send_start(const char *ip, int port, uint64_t bytes, uint64_t seed,
		    int timeout_ms, int stall_ms, struct xfer **out, char *err)
{
	struct xfer *x = xfer_new(true, bytes, timeout_ms, stall_ms);

	if (parse_addr(ip, port, &x->addr, err) < 0) {
		g_free(x);
		return -1;
	}
	x->port = port;
	x->seed = seed;
	x->thread = g_thread_new("xfer-send", xfer_thread, x);
	*out = x;
	return 0;
}

int xfer_recv_start(const char *bind_ip, int port, uint64_t bytes,
		    int timeout_ms, int stall_ms, struct xfer **out, char *err)
{
	return xfer_recv_start_from(bind_ip, NULL, port, bytes, timeout_ms,
				    stall_ms, out, err);
}

int xfer_recv_start_from(const char *bind_ip, const char *peer_ip, int port,
			 uint64_t bytes, int timeout_ms, int stall_ms,
			 struct xfer **out, char *err)
{
	return xfer_recv_start_backlog(bind_ip, peer_ip, port, bytes, 0,
				       timeout_ms, stall_ms, out, err);
}

int xfer_recv_start_backlog(const char *bind_ip, const char *peer_ip,
			    int port, uint64_t bytes, uint64_t backlog_at,
			    int timeout_ms, int stall_ms, struct xfer **out,
			    char *err)
{
	struct xfer *x = xfer_new(false, bytes, timeout_ms, stall_ms);
	socklen_t len = sizeof(x->addr);
	int one = 1;

	if (parse_addr(bind_ip, port, &x->addr, err) < 0)
		goto fail;
	if (peer_ip) {
		if (inet_pton(AF_INET, peer_ip, &x->peer) != 1) {
			err_set(err, "bad IPv4 address '%s'", peer_ip);
			goto fail;
		}
		x->peer_only = true;
	}
	x->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0);
	if (x->lfd < 0) {
		err_set(err, "socket: %s", strerror(errno));
		goto fail;
	}
	setsockopt(x->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(x->lfd, (struct sockaddr *)&x->addr, sizeof(x->addr)) < 0 ||
	    listen(x->lfd, 8) < 0 ||
	    getsockname(x->lfd, (struct sockaddr *)&x->addr, &len) < 0) {
		err_set(err, "cannot listen on %s:%d: %s", bind_ip, port,
			strerror(errno));
		goto fail;
	}
	x->port = ntohs(x->addr.sin_port);
	x->backlog_at = backlog_at;
	x->thread = g_thread_new("xfer-recv", xfer_thread, x);
	*out = x;
	return 0;
fail:
	if (x->lfd >= 0)
		close(x->lfd);
	g_free(x);
	return -1;
}

uint64_t xfer_progress(const struct xfer *x)
{
	return x ? __atomic_load_n(&x->moved, __ATOMIC_RELAXED) : 0;
}

int xfer_port(const struct xfer *x)
{
	return x && !x->sender ? x->port : 0;
}

void xfer_finish(struct xfer *x, struct xfer_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!x) {
		g_strlcpy(res->err, "no transfer", sizeof(res->err));
		return;
	}
	g_thread_join(x->thread);
	*res = x->res;
	if (x->lfd >= 0)
		close(x->lfd);
	g_free(x);
}
