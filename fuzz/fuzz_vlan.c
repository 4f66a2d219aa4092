/* fuzz_vlan - vlan_analyze() (harness/vlan.c) on a capture file. */
#include "fuzz.h"
#include "vlan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	struct vlan_report *r = NULL;
	char err[512];

	if (vlan_analyze(path, "198.18.0.1", "198.18.0.2", &r, err) == 0) {
		FUZZ_CHECK(r != NULL);
		vlan_report_vid(r, -1);
		vlan_report_vid(r, 10);
		vlan_report_vid(r, 4095);
	} else {
		FUZZ_CHECK(r == NULL);
	}
	vlan_report_free(r);
	return 0;
}
