/* tail.c: under construction by its owner; see docs/architecture.md */
#include "log.h"
#include "cmd.h"
int cmd_tail(int argc, char **argv) { (void)argc; (void)argv; log_warnx("tail: not built yet"); return 2; }
