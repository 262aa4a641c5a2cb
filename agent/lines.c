/* lines.c: under construction by its owner; see docs/architecture.md */
#include "log.h"
