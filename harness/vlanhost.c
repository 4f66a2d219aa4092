/* vlanhost.c - see vlanhost.h. */
#include "vlanhost.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define ETH_ADDRS 12
#define TAG_LEN 4
#define FRAME_MAX (65536 + TAG_LEN)

ssize_t vlanhost_push(const uint8_t *in, size_t len, int vid, uint8_t *out,
		      size_t cap)
{
	if (len < ETH_ADDRS + 2 || vid < 1 || vid > 4094 ||
	    cap < len + TAG_LEN)
		return -1;
	memcpy(out, in, ETH_ADDRS);
	out[12] = 0x81;
	out[13] = 0x00;
	out[14] = (uint8_t)(vid >> 8);
	out[15] = (uint8_t)vid;
	memcpy(out + ETH_ADDRS + TAG_LEN, in + ETH_ADDRS, len - ETH_ADDRS);
	return (ssize_t)(len + TAG_LEN);
}

ssize_t vlanhost_pop(const uint8_t *in, size_t len, int vid, uint8_t *out,
		     size_t cap)
{
	if (len < ETH_ADDRS + TAG_LEN + 2 || in[12] != 0x81 || in[13] != 0x00 ||
	    (((in[14] & 0x0f) << 8) | in[15]) != vid || cap < len - TAG_LEN)
		return -1;
	memcpy(out, in, ETH_ADDRS);
	memcpy(out + ETH_ADDRS, in + ETH_ADDRS + TAG_LEN,
	       len - ETH_ADDRS - TAG_LEN);
	return (ssize_t)(len - TAG_LEN);
}

int vlanhost_tap(const char *name, char *err)
{
	struct ifreq ifr;
	int fd;

	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		err_set(err, "invalid tap name '%s'", name ? name : "");
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err_set(err, "cannot open '/dev/net/tun': %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err_set(err, "cannot create tap '%s': %s", name,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct vlanhost {
	int host_fd, port_fd;
	int stop[2];		/* a pipe: writing to it ends the thread */
	int vid;
	pthread_t thread;
	bool running;
	atomic_uint_fast64_t tagged, untagged, dropped, errors;
};

/* One frame from `from`, relayed to `to`; false when `from` is gone. */
static bool relay_one(struct vlanhost *v, bool from_host, uint8_t *in,
		      uint8_t *out)
{
	int from = from_host ? v->host_fd : v->port_fd;
	int to = from_host ? v->port_fd : v->host_fd;
	ssize_t n = read(from, in, FRAME_MAX), m;

	if (n == 0)
		return false;
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return true;
		atomic_fetch_add(&v->errors, 1);
		return errno != EBADF && errno != EIO;
	}
	m = from_host ? vlanhost_push(in, (size_t)n, v->vid, out, FRAME_MAX) :
		vlanhost_pop(in, (size_t)n, v->vid, out, FRAME_MAX);
	if (m < 0) {
		atomic_fetch_add(from_host ? &v->errors : &v->dropped, 1);
		return true;
	}
	if (write(to, out, (size_t)m) != m)
		atomic_fetch_add(&v->errors, 1);
	else
		atomic_fetch_add(from_host ? &v->tagged : &v->untagged, 1);
	return true;
}

static void *relay_loop(void *arg)
{
	struct vlanhost *v = arg;
	uint8_t *in = g_malloc(FRAME_MAX), *out = g_malloc(FRAME_MAX);
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = v->stop[0], .events = POLLIN },
			{ .fd = v->host_fd, .events = POLLIN },
			{ .fd = v->port_fd, .events = POLLIN },
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !relay_one(v, true, in, out))
			break;
		if ((p[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !relay_one(v, false, in, out))
			break;
	}
	g_free(in);
	g_free(out);
	return NULL;
}

int vlanhost_start(int host_fd, int port_fd, int vid, struct vlanhost **out,
		   char *err)
{
	struct vlanhost *v = g_new0(struct vlanhost, 1);

	v->host_fd = host_fd;
	v->port_fd = port_fd;
	v->stop[0] = v->stop[1] = -1;
	v->vid = vid;
	if (vid < 1 || vid > 4094) {
		err_set(err, "invalid VLAN id %d (1..4094)", vid);
		goto fail;
	}
	if (pipe2(v->stop, O_CLOEXEC) < 0) {
		err_set(err, "cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&v->thread, NULL, relay_loop, v) != 0) {
		err_set(err, "cannot start the VLAN relay thread");
		goto fail;
	}
	v->running = true;
	*out = v;
	return 0;
fail:
	vlanhost_free(v);
	return -1;
}

void vlanhost_get_stats(struct vlanhost *v, struct vlanhost_stats *st)
{
	st->tagged = atomic_load(&v->tagged);
	st->untagged = atomic_load(&v->untagged);
	st->dropped = atomic_load(&v->dropped);
	st->errors = atomic_load(&v->errors);
}

void vlanhost_free(struct vlanhost *v)
{
	if (!v)
		return;
	if (v->running) {
		ssize_t n;

		do
			n = write(v->stop[1], "x", 1);
		while (n < 0 && errno == EINTR);
		pthread_join(v->thread, NULL);
	}
	if (v->stop[0] >= 0)
		close(v->stop[0]);
	if (v->stop[1] >= 0)
		close(v->stop[1]);
	if (v->host_fd >= 0)
		close(v->host_fd);
	if (v->port_fd >= 0)
		close(v->port_fd);
	g_free(v);
}
