/* table.c - the list of conformance cases, in the order they run (the
 * Fedora vhost-net plan's order), and the parameters they declare. */
#include <string.h>
#include "case.h"
#include "fixture.h"

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
extern const struct case_desc case_lacp;

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
	&case_lacp,		/* 13, mode 4 with a partner */
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

/* The runner's own parameters, then each case's, each once. */
const struct param *const *param_registry(void)
{
	static const struct param *reg[PROFILE_MAX_PARAMS + 1];
	static const struct param *const runner[] = {
		&param_boot_timeout, &param_guest_memory,
		&param_deadline_scale, NULL,
	};
	static int n = -1;

	if (n >= 0)
		return reg;
	n = 0;
	for (const struct param *const *p = runner; *p; p++)
		reg[n++] = *p;
	for (const struct case_desc *const *c = case_table; *c; c++) {
		for (const struct param *const *p = (*c)->params; p && *p;
		     p++) {
			bool seen = false;

			for (int i = 0; i < n; i++)
				seen |= reg[i] == *p;
			if (!seen && n < PROFILE_MAX_PARAMS)
				reg[n++] = *p;
		}
	}
	reg[n] = NULL;
	return reg;
}
