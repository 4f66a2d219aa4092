/* common.c - what several cases share: the management topology, pings. */
#include "case.h"
#include "echo.h"
#include "util.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

const struct topology topo_with_mgmt = {
	.n_segments = 2,
	.n_guests = 1,
	.guests = { { .n_nics = 2, .nics = {
		{ MODEL_OF_CELL, 0, 0, false },
		{ MODEL_MGMT, 1, 0, false },
	} } },
};

char *case_field(const char *out, const char *key)
{
	const char *p = out ? strstr(out, key) : NULL;

	if (!p)
		return NULL;
	p += strlen(key);
	return g_strndup(p, strcspn(p, " \t\r\n"));
}

uint16_t case_ping_host(struct case_ctx *ctx, const struct nic_under_test *nic,
		   int count, int size)
{
	uint16_t ident = (uint16_t)g_random_int_range(1, 0xffff);
	char id[16], cnt[16], sz[16];
	char *argv[] = { "ping", "-n", "-q", "-e", id, "-c", cnt, "-s", sz,
			 "-i", "0.1", "-W", "2", (char *)nic->ip, NULL };
	struct proc_result r;

	snprintf(id, sizeof(id), "%u", ident);
	snprintf(cnt, sizeof(cnt), "%d", count);
	snprintf(sz, sizeof(sz), "%d", size);
	if (case_host_run(ctx, argv, count * 100 + 20000, &r) == 0)
		proc_result_clear(&r);
	return ident;
}

int case_wait_answer(struct case_ctx *ctx, const struct nic_under_test *nic,
		     int timeout_s)
{
	char *argv[] = { "ping", "-n", "-q", "-c", "1", "-W", "1",
			 (char *)nic->ip, NULL };
	gint64 end = g_get_monotonic_time() + (gint64)timeout_s * 1000000;
	struct proc_result r;

	while (!interrupted()) {
		int st = -1;

		if (case_host_run(ctx, argv, 5000, &r) == 0) {
			st = r.status;
			proc_result_clear(&r);
		}
		if (st == 0)
			return 0;
		if (g_get_monotonic_time() > end)
			break;
		g_usleep(500000);
	}
	case_fail(ctx, "%s (%s) did not answer a ping within %d s", nic->ip,
		  nic_model_libvirt(nic->model), timeout_s);
	return -1;
}

unsigned case_ping_judge(struct case_ctx *ctx,
			 const struct nic_under_test *nic, uint16_t ident,
			 int count, const char *label)
{
	struct echo_report *rep = NULL;
	const struct echo_flow *f;
	char err[ERRLEN];
	unsigned req, rep_n;

	if (echo_analyze(nic->pcap, nic->host_ip, nic->ip, &rep, err) < 0) {
		case_fail(ctx, "%s: %s", label, err);
		return 0;
	}
	f = echo_report_flow(rep, ident);
	req = f ? f->requests : 0;
	rep_n = f ? f->replies : 0;
	echo_report_free(rep);
	diag_str(ctx->diag, label, "%u requests, %u replies on %s", req, rep_n,
		 nic->tap);
	if (req != (unsigned)count || rep_n != (unsigned)count)
		case_fail(ctx, "%s: %u of %d echo requests on %s, %u replies",
			  label, req, count, nic->tap, rep_n);
	return rep_n;
}
