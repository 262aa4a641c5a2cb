/* replay.c: under construction by its owner; see docs/architecture.md */
#include "log.h"
#include "cmd.h"
int cmd_replay(int argc, char **argv) { (void)argc; (void)argv; log_warnx("replay: not built yet"); return 2; }
