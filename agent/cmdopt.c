/*
 * What the commands share on their command lines (cmdopt.h).
 */
#include <stdlib.h>

#include "cmdopt.h"

const char *
cmdopt_env(const char *name)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}
