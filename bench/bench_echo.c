/*
 * bench_echo.c - time echo_analyze() on a large synthetic capture: N echo
 * exchanges, a share of them fragmented, written with tests/pcapgen.
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
#include "pcapgen.h"
#include "util.h"

static const uint8_t HOST[4] = { 198, 18, 0, 1 };
static const uint8_t GUEST[4] = { 198, 18, 1, 3 };

/* One ping leg, fragmented at MTU 1500, its frames stamped ts ms. */
static void echo(struct pcapgen *g, bool request, uint16_t ident,
		 uint16_t seq, size_t payload, uint16_t ipid, unsigned ts)
{
	static uint8_t icmp[70000];
	const struct pcapgen_eth eth = { 0 };
	const struct pcapgen_ip ip = {
		.src = request ? HOST : GUEST, .dst = request ? GUEST : HOST,
		.proto = 1, .id = ipid,
	};
	size_t len = pcapgen_icmp(icmp, request ? 8 : 0, 0, ident, seq, NULL,
				  payload);

	g->t_us = (int64_t)ts * 1000;
	pcapgen_datagram(g, &eth, &ip, icmp, len, 1500);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/nicq-bench.pcap";
	int n = argc > 2 ? atoi(argv[2]) : 200000, i;
	struct pcapgen g;
	struct echo_report *r = NULL;
	char err[ERRLEN];
	int64_t t0;
	double secs;

	if (pcapgen_open(&g, path, DLT_EN10MB, 65535, err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (i = 0; i < n; i++) {
		size_t size = i % 50 == 0 ? 4096 : 56;	/* 2% fragmented */

		echo(&g, true, (uint16_t)(1 + i / 1000), (uint16_t)i, size,
		     (uint16_t)(2 * i), (unsigned)i);
		echo(&g, false, (uint16_t)(1 + i / 1000), (uint16_t)i, size,
		     (uint16_t)(2 * i + 1), (unsigned)i);
	}
	if (pcapgen_close(&g) < 0) {
		fprintf(stderr, "cannot write %s\n", path);
		return 1;
	}
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
