/* fuzz_frames - frames_match() (harness/frames.c) on a capture file. */
#include "frames.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static const unsigned char p1[] = "nicq-frame-0001";
	static const unsigned char p2[46] = { 1 };
	const struct frames_want want[] = {
		{ mac, p1, sizeof(p1) - 1 },
		{ mac, p2, sizeof(p2) },
		{ mac, p1, 0 },
	};
	const char *path = fuzz_file(0, data, size);
	struct frames_count out[3];
	char err[512];

	if (frames_match(path, 0x88b5, want, 3, out, err) == 0)
		for (int i = 0; i < 3; i++)
			FUZZ_CHECK(out[i].seen <= 1);
	return 0;
}
