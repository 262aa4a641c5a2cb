/* daemon.c: under construction by its owner; see docs/architecture.md */
#include "log.h"
#include "cmd.h"
int cmd_start(int argc, char **argv) { (void)argc; (void)argv; log_warnx("start: not built yet"); return 0; }
int cmd_finish(int argc, char **argv) { (void)argc; (void)argv; log_warnx("finish: not built yet"); return 0; }
int cmd_status(int argc, char **argv) { (void)argc; (void)argv; log_warnx("status: not built yet"); return 2; }
