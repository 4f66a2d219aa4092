/* table.c - the list of conformance cases, in the order they run. */
#include <string.h>
#include "case.h"

extern const struct case_desc case_ping;
extern const struct case_desc case_jumbo;
extern const struct case_desc case_promisc;
extern const struct case_desc case_vlan;
extern const struct case_desc case_multicast;
extern const struct case_desc case_offload;
extern const struct case_desc case_multinic;
extern const struct case_desc case_pxe;

const struct case_desc *const case_table[] = {
	&case_ping,
	&case_jumbo,
	&case_promisc,
	&case_vlan,
	&case_multicast,
	&case_offload,
	&case_multinic,
	&case_pxe,
	NULL
};

const struct case_desc *case_find(const char *name)
{
	const struct case_desc *const *c;

	for (c = case_table; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}
