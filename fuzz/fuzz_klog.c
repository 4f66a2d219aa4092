/* fuzz_klog - klog_scan() (harness/klog.c) on a kernel log or console. */
#include "fuzz.h"
#include "klog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *hits = NULL;
	unsigned prev = 0;
	char err[512];

	FUZZ_CHECK(klog_scan((const char *)data, size, &hits, err) == 0);
	for (guint i = 0; i < hits->len; i++) {
		const struct klog_hit *h = g_ptr_array_index(hits, i);

		FUZZ_CHECK(h->line >= 1 && h->line >= prev);
		FUZZ_CHECK(h->kind && h->text);
		prev = h->line;
	}
	klog_hits_free(hits);
	return 0;
}
