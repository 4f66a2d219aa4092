/* fuzz_echo - echo_analyze() (harness/echo.c) on a capture file. */
#include "echo.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	struct echo_report *r = NULL;
	char err[512];

	if (echo_analyze(path, "198.18.0.1", "198.18.0.2", &r, err) == 0) {
		FUZZ_CHECK(r != NULL);
		echo_report_flow(r, 1);
		echo_report_flow(r, 0x1234);
	} else {
		FUZZ_CHECK(r == NULL);
	}
	echo_report_free(r);
	return 0;
}
