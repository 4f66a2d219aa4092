/*
 * bench_echo.c - time echo_analyze() on a large synthetic capture: N echo
 * exchanges, a share of them fragmented, written with pcap_dump.
 */
#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "echo.h"
#include "util.h"

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)(p[0] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void frame(pcap_dumper_t *d, uint32_t src, uint32_t dst, uint16_t id,
		  uint16_t off8, int mf, const uint8_t *l4, size_t l4len,
		  unsigned ts)
{
	uint8_t buf[1600] = { 0 };
	struct pcap_pkthdr h;
	uint8_t *ip = buf + 14;
	uint16_t fo = (uint16_t)(off8 | (mf ? 0x2000 : 0));

	buf[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4len) >> 8);
	ip[3] = (uint8_t)(20 + l4len);
	ip[4] = (uint8_t)(id >> 8);
	ip[5] = (uint8_t)id;
	ip[6] = (uint8_t)(fo >> 8);
	ip[7] = (uint8_t)fo;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	{
		uint16_t c = csum(ip, 20);

		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	memcpy(ip + 20, l4, l4len);
	h.ts.tv_sec = ts / 1000;
	h.ts.tv_usec = (ts % 1000) * 1000;
	h.caplen = h.len = (bpf_u_int32)(34 + l4len);
	pcap_dump((u_char *)d, &h, buf);
}

static void echo(pcap_dumper_t *d, uint32_t src, uint32_t dst, int type,
		 uint16_t ident, uint16_t seq, size_t payload, uint16_t ipid,
		 unsigned ts)
{
	static uint8_t icmp[70000];
	size_t total = 8 + payload, off = 0;
	uint16_t c;

	memset(icmp, 0, total);
	icmp[0] = (uint8_t)type;
	icmp[4] = (uint8_t)(ident >> 8);
	icmp[5] = (uint8_t)ident;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	c = csum(icmp, total);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	while (off < total) {
		size_t n = total - off > 1480 ? 1480 : total - off;

		frame(d, src, dst, ipid, (uint16_t)(off / 8), off + n < total,
		      icmp + off, n, ts);
		off += n;
	}
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/nicq-bench.pcap";
	int n = argc > 2 ? atoi(argv[2]) : 200000, i;
	uint32_t host = htonl(0xc6120001), guest = htonl(0xc6120103);
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);
	struct echo_report *r = NULL;
	char err[ERRLEN];
	int64_t t0;
	double secs;

	if (!d) {
		fprintf(stderr, "cannot write %s\n", path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		size_t size = i % 50 == 0 ? 4096 : 56;	/* 2% fragmented */

		echo(d, host, guest, 8, (uint16_t)(1 + i / 1000),
		     (uint16_t)i, size, (uint16_t)(2 * i), (unsigned)i);
		echo(d, guest, host, 0, (uint16_t)(1 + i / 1000),
		     (uint16_t)i, size, (uint16_t)(2 * i + 1), (unsigned)i);
	}
	pcap_dump_close(d);
	pcap_close(p);
	t0 = mono_ms();
	if (echo_analyze(path, "198.18.0.1", "198.18.1.3", &r, err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	secs = (double)(mono_ms() - t0) / 1000.0;
	printf("%u frames, %zu flows in %.3f s: %.0f frames/s\n", r->frames,
	       r->n_flows, secs, secs > 0 ? r->frames / secs : 0.0);
	echo_report_free(r);
	unlink(path);
	return 0;
}
