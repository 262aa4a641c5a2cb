/* watch.c: under construction by its owner; see docs/architecture.md */
#include "log.h"
#include "cmd.h"
int cmd_watch(int argc, char **argv) { (void)argc; (void)argv; log_warnx("watch: not built yet"); return 2; }
