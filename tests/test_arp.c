/*
 * test_arp.c - arp_count() on captures written by the test: the host's
 * requests for an address, the replies for it (from its own NIC and, as
 * in ARP flux, from another), and what must not count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arp.h"
#include "pcapgen.h"
#include "util.h"

#define HOST	"198.18.10.1"
#define X	"198.18.10.10"
#define Y	"198.18.10.12"
#define MAC_X	"52:54:00:18:00:10"

static const uint8_t mac_host[6] = { 0x52, 0x54, 0x00, 0x18, 0x00, 0x01 };
static const uint8_t mac_x[6] = { 0x52, 0x54, 0x00, 0x18, 0x00, 0x10 };
static const uint8_t mac_y[6] = { 0x52, 0x54, 0x00, 0x18, 0x00, 0x11 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* One ARP frame (vid 0: untagged), captured up to cap bytes (0: whole). */
static void arp(struct pcapgen *g, uint16_t op, const uint8_t *sha,
		const char *spa, const uint8_t *tha, const char *tpa, int vid,
		size_t cap)
{
	static struct pcapgen_frame f;
	const struct pcapgen_tag tag = { 0x8100, (uint16_t)vid };
	const struct pcapgen_eth eth = {
		op == 1 ? bcast : tha, sha, &tag, vid ? 1 : 0,
	};
	uint8_t s[4], t[4];

	assert_int_equal(inet_pton(AF_INET, spa, s), 1);
	assert_int_equal(inet_pton(AF_INET, tpa, t), 1);
	pcapgen_eth(&f, &eth, 0x0806);
	pcapgen_append16(&f, 1);
	pcapgen_append16(&f, 0x0800);
	pcapgen_append(&f, "\x06\x04", 2);
	pcapgen_append16(&f, op);
	pcapgen_append(&f, sha, 6);
	pcapgen_append(&f, s, 4);
	pcapgen_append(&f, op == 1 ? (const uint8_t *)"\0\0\0\0\0\0" : tha, 6);
	pcapgen_append(&f, t, 4);
	pcapgen_pad(&f);
	pcapgen_cut(g, &f, cap ? cap : f.len);
}

/*
 * What one tap of a shared segment carries: the host asks for X (twice),
 * X answers, Y's NIC answers for X too (flux), X asks for the host, the
 * host answers; noise that must not count.
 */
static char *write_capture(void)
{
	char *path = NULL, err[PCAPGEN_ERRLEN];
	struct pcapgen g;
	uint8_t ipf[64] = { 0 };
	static struct pcapgen_frame f;
	const struct pcapgen_eth eth = { bcast, mac_host, NULL, 0 };
	uint8_t s[4], d[4];
	struct pcapgen_ip ip = { .src = s, .dst = d, .proto = 17 };

	if (pcapgen_open_tmp(&g, "nicq-arp-", DLT_EN10MB, 65535, &path,
			     err) < 0)
		fail_msg("%s", err);
	arp(&g, 1, mac_host, HOST, NULL, X, 0, 0);	/* who-has X */
	arp(&g, 1, mac_host, HOST, NULL, X, 10, 0);	/* tagged */
	arp(&g, 2, mac_x, X, mac_host, HOST, 0, 0);	/* X is-at mac_x */
	arp(&g, 2, mac_y, X, mac_host, HOST, 0, 0);	/* X is-at mac_y */
	arp(&g, 1, mac_x, X, NULL, HOST, 0, 0);		/* X asks */
	arp(&g, 2, mac_host, HOST, mac_x, X, 0, 0);	/* to X: not for X */
	arp(&g, 1, mac_x, X, NULL, X, 0, 0);		/* gratuitous */
	arp(&g, 1, mac_y, "0.0.0.0", NULL, X, 0, 0);	/* a probe */
	arp(&g, 2, mac_y, Y, mac_host, HOST, 0, 0);	/* Y is-at */
	arp(&g, 2, mac_x, X, mac_host, HOST, 0, 30);	/* cut: not counted */
	/* an IPv4 frame from X: not ARP */
	assert_int_equal(inet_pton(AF_INET, X, s), 1);
	assert_int_equal(inet_pton(AF_INET, HOST, d), 1);
	pcapgen_eth(&f, &eth, 0x0800);
	pcapgen_ipv4(&f, &ip, ipf, sizeof(ipf));
	pcapgen_put(&g, &f);
	assert_int_equal(pcapgen_close(&g), 0);
	return path;
}

static void test_counts(void **state)
{
	char *path = write_capture(), err[ERRLEN] = "";
	struct arp_count c;

	(void)state;
	assert_int_equal(arp_count(path, X, MAC_X, &c, err), 0);
	assert_int_equal(c.frames, 11);
	/* the host's two (one tagged) and the probe; not X's gratuitous */
	assert_int_equal(c.requests, 3);
	/* X is-at from X's NIC and from Y's; not the cut one */
	assert_int_equal(c.replies, 2);
	assert_int_equal(c.replies_mac, 1);
	/* without a MAC, none is counted as from it */
	assert_int_equal(arp_count(path, X, NULL, &c, err), 0);
	assert_int_equal(c.replies, 2);
	assert_int_equal(c.replies_mac, 0);
	/* Y: one reply, nobody asked */
	assert_int_equal(arp_count(path, Y, NULL, &c, err), 0);
	assert_int_equal(c.requests, 0);
	assert_int_equal(c.replies, 1);
	/* the host: X asked for it once, it answered once */
	assert_int_equal(arp_count(path, HOST, NULL, &c, err), 0);
	assert_int_equal(c.requests, 1);
	assert_int_equal(c.replies, 1);
	unlink(path);
	free(path);
}

static void test_errors(void **state)
{
	struct arp_count c = { .frames = 77 };
	char err[ERRLEN], *path = write_capture(), *cut;
	FILE *fp;
	long len;

	(void)state;
	assert_int_equal(arp_count("/nonexistent.pcap", X, NULL, &c, err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(arp_count(path, "bogus", NULL, &c, err), -1);
	assert_non_null(strstr(err, "invalid IPv4 address 'bogus'"));
	assert_int_equal(arp_count(path, NULL, NULL, &c, err), -1);
	assert_int_equal(arp_count(path, X, "52:54:00", &c, err), -1);
	assert_non_null(strstr(err, "invalid MAC address"));
	/* a file cut in the middle of a record */
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	fclose(fp);
	cut = g_strdup_printf("%s.cut", path);
	{
		char *buf;
		gsize n;

		assert_true(g_file_get_contents(path, &buf, &n, NULL));
		assert_true(g_file_set_contents(cut, buf, len - 7, NULL));
		g_free(buf);
	}
	assert_int_equal(arp_count(cut, X, NULL, &c, err), -1);
	assert_non_null(strstr(err, "cannot read"));
	assert_int_equal(c.frames, 77);		/* untouched */
	unlink(cut);
	g_free(cut);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
