/* table.c - the list of conformance cases, in the order they run. */
#include <string.h>
#include "case.h"

extern const struct case_desc case_ping;

const struct case_desc *const case_table[] = {
	&case_ping,
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
