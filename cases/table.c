/* table.c - the list of conformance cases, in the order they run (the
 * Fedora vhost-net plan's order). */
#include <string.h>
#include "case.h"

extern const struct case_desc case_transfer;
extern const struct case_desc case_ping;
extern const struct case_desc case_jumbo;
extern const struct case_desc case_promisc;
extern const struct case_desc case_vlan;
extern const struct case_desc case_multicast;
extern const struct case_desc case_offload;
extern const struct case_desc case_reload;
extern const struct case_desc case_stress;
extern const struct case_desc case_suspend;
extern const struct case_desc case_multinic;
extern const struct case_desc case_bonding;
extern const struct case_desc case_pxe;

const struct case_desc *const case_table[] = {
	&case_transfer,		/* plan case 1 */
	&case_ping,		/* 2 */
	&case_jumbo,		/* 3 */
	&case_promisc,		/* 4 */
	&case_pxe,		/* 5 */
	&case_vlan,		/* 6 */
	&case_multicast,	/* 7 */
	&case_offload,		/* 8 */
	&case_reload,		/* 9 */
	&case_suspend,		/* 10 */
	&case_stress,		/* 11 */
	&case_multinic,		/* 12 */
	&case_bonding,		/* 13 */
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
