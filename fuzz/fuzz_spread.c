/*
 * fuzz_spread - spread_analyze() (harness/spread.c) over two captures: the
 * input split at its first 2-byte offset (the first file's length).
 */
#include "fuzz.h"
#include "spread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *paths[2];
	struct spread_report r;
	size_t cut;
	char err[512];

	if (size < 2)
		return 0;
	cut = (size_t)(data[0] << 8 | data[1]);
	data += 2;
	size -= 2;
	if (cut > size)
		cut = size;
	paths[0] = fuzz_file(0, data, size);	/* the whole rest */
	paths[1] = fuzz_file(1, data + cut, size - cut);
	if (spread_analyze(paths, 2, "198.18.0.1", "198.18.0.2", 0x1234, &r,
			   err) == 0) {
		FUZZ_CHECK(r.n == 2);
		FUZZ_CHECK(r.taps_with_replies <= 2);
		FUZZ_CHECK(r.per[0].sole_replies + r.per[1].sole_replies <=
			   r.replies + r.unmatched);
	}
	return 0;
}
