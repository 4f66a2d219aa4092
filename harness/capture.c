/* capture.c - see capture.h. */
#include "capture.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct capture {
	pcap_t *p;
	pcap_dumper_t *d;
	pthread_t thread;
	atomic_bool stop, hold;
	uint64_t frames;
	char *ifname;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct capture *c = (struct capture *)user;

	pcap_dump((u_char *)c->d, h, bytes);
	c->frames++;
}

static void *capture_loop(void *arg)
{
	struct capture *c = arg;
	int fd = pcap_get_selectable_fd(c->p);

	while (!atomic_load(&c->stop)) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		if (atomic_load(&c->hold)) {
			poll(NULL, 0, 10);
			continue;
		}
		if (poll(&pf, 1, 50) > 0)
			pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
	}
	/* drain what the kernel still holds */
	while (pcap_dispatch(c->p, -1, on_packet, (u_char *)c) > 0)
		;
	return NULL;
}

/* CAPTURE_BUFFER_BYTES, or NICQ_CAPTURE_BUFFER's bytes (a test hook). */
static int capture_buffer(void)
{
	const char *v = getenv("NICQ_CAPTURE_BUFFER");
	char *end;
	long n;

	if (!v || !*v)
		return CAPTURE_BUFFER_BYTES;
	n = strtol(v, &end, 10);
	if (*end || n < 4096 || n > (1L << 30))
		return CAPTURE_BUFFER_BYTES;
	return (int)n;
}

void capture_hold(struct capture *c, bool hold)
{
	if (c)
		atomic_store(&c->hold, hold);
}

int capture_start(const char *ifname, const char *path, int snaplen,
		  struct capture **out, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = g_new0(struct capture, 1);

	c->ifname = g_strdup(ifname);
	c->p = pcap_create(ifname, ebuf);
	if (!c->p) {
		err_set(err, "cannot capture on '%s': %s", ifname, ebuf);
		goto fail;
	}
	pcap_set_snaplen(c->p, snaplen > 0 ? snaplen : 65535);
	pcap_set_promisc(c->p, 1);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_buffer_size(c->p, capture_buffer());
	pcap_set_timeout(c->p, 50);
	if (pcap_activate(c->p) < 0) {
		err_set(err, "cannot capture on '%s': %s", ifname,
			pcap_geterr(c->p));
		goto fail;
	}
	if (pcap_setnonblock(c->p, 1, ebuf) < 0) {
		err_set(err, "cannot capture on '%s': %s", ifname, ebuf);
		goto fail;
	}
	{
		/* never through a symlink (util.h file_fopen) */
		FILE *f = file_fopen(path, "w");

		if (!f) {
			err_set(err, "cannot write '%s': %s", path,
				strerror(errno));
			goto fail;
		}
		c->d = pcap_dump_fopen(c->p, f);
		if (!c->d) {
			err_set(err, "cannot write '%s': %s", path,
				pcap_geterr(c->p));
			fclose(f);
			goto fail;
		}
	}
	if (pthread_create(&c->thread, NULL, capture_loop, c) != 0) {
		err_set(err, "cannot start capture thread for '%s'", ifname);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	if (c->d)
		pcap_dump_close(c->d);
	if (c->p)
		pcap_close(c->p);
	g_free(c->ifname);
	g_free(c);
	return -1;
}

int capture_stop(struct capture *c, struct capture_stats *st, char *err)
{
	struct pcap_stat ps;
	int rc = 0;

	if (!c)
		return 0;
	atomic_store(&c->hold, false);
	atomic_store(&c->stop, true);
	pthread_join(c->thread, NULL);
	if (st) {
		memset(st, 0, sizeof(*st));
		st->frames = c->frames;
		if (pcap_stats(c->p, &ps) == 0) {
			st->kernel_dropped = ps.ps_drop;
			st->if_dropped = ps.ps_ifdrop;
		}
	}
	if (pcap_dump_flush(c->d) < 0) {
		err_set(err, "cannot flush capture of '%s'", c->ifname);
		rc = -1;
	}
	pcap_dump_close(c->d);
	pcap_close(c->p);
	g_free(c->ifname);
	g_free(c);
	return rc;
}

int capture_inject(const char *ifname, const void *frame, size_t len,
		   char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(ifname, ebuf);
	int rc = 0;

	if (!p) {
		err_set(err, "cannot open '%s': %s", ifname, ebuf);
		return -1;
	}
	if (pcap_activate(p) < 0) {
		err_set(err, "cannot open '%s': %s", ifname, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	errno = 0;
	if (pcap_inject(p, frame, len) != (int)len) {
		if (errno == ENOBUFS) {
			rc = 1;	/* dropped on egress (qdisc or netfilter) */
		} else {
			err_set(err, "cannot send on '%s': %s", ifname,
				pcap_geterr(p));
			rc = -1;
		}
	}
	pcap_close(p);
	return rc;
}
