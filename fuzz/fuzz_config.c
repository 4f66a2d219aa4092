/*
 * fuzz_config - a profile key file over the built-in quick profile
 * (profile_load_file, harness/config.c), and the list parsers on the same
 * bytes.
 */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct profile p;
	const char *path = fuzz_file(0, data, size);
	int ints[16], n;
	double d[16];
	char err[512], *s;

	if (profile_builtin("quick", &p, err) < 0)
		abort();
	profile_load_file(path, &p, err);
	s = fuzz_str(data, size);
	if (parse_int_list(s, ints, 16, -1000, 1000, &n, err) == 0) {
		FUZZ_CHECK(n >= 0 && n <= 16);
		for (int i = 0; i < n; i++)
			FUZZ_CHECK(ints[i] >= -1000 && ints[i] <= 1000);
	}
	if (parse_double_list(s, d, 16, 0, 100, &n, err) == 0) {
		FUZZ_CHECK(n >= 0 && n <= 16);
		for (int i = 0; i < n; i++)
			FUZZ_CHECK(d[i] >= 0 && d[i] <= 100);
	}
	free(s);
	return 0;
}
