/* fuzz_flow - flow_count() and flow_count_port() (harness/flow.c). */
#include "flow.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	static const int protos[] = { 1, 6, 17 };
	struct flow_count fc;
	char err[512];

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (flow_count(path, "198.18.0.1", "198.18.0.2", protos[i],
			       &fc, err) == 0)
			FUZZ_CHECK(fc.max_ip_len <= 65535 &&
				   fc.ip_bytes <= fc.frames * 65535 &&
				   fc.l4_bytes <= fc.ip_bytes);
	if (flow_count_port(path, "198.18.0.1", "198.18.0.2", 6, 5201, &fc,
			    err) == 0)
		FUZZ_CHECK(fc.l4_bytes <= fc.ip_bytes);
	if (flow_count_port(path, "198.18.0.1", "198.18.0.2", 17, 5201, &fc,
			    err) == 0)
		FUZZ_CHECK(fc.l4_bytes <= fc.ip_bytes);
	return 0;
}
