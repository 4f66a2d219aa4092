/* fuzz_netboot - netboot_analyze() (harness/netboot.c) on a capture file. */
#include "fuzz.h"
#include "netboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	struct netboot_report *r = NULL;
	char err[512];

	if (netboot_analyze(path, "52:54:00:00:00:0a", &r, err) == 0) {
		FUZZ_CHECK(r != NULL);
		for (size_t i = 0; i < r->n_tftp; i++) {
			FUZZ_CHECK(r->tftp[i].filename && r->tftp[i].mode);
			FUZZ_CHECK(netboot_tftp_file(r, r->tftp[i].filename));
		}
		FUZZ_CHECK(memchr(r->dhcp.bootfile, 0,
				  sizeof(r->dhcp.bootfile)));
	} else {
		FUZZ_CHECK(r == NULL);
	}
	netboot_report_free(r);
	return 0;
}
