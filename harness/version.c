/* version.c - see version.h. */
#include "version.h"

#ifndef NICQ_VERSION
#define NICQ_VERSION "unknown"
#endif

const char *nicq_version(void)
{
	return NICQ_VERSION;
}
