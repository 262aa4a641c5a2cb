/* The subcommands. Each returns the process exit code. */
#ifndef BREAKER_CMD_H
#define BREAKER_CMD_H

int	cmd_watch(int, char **);	/* watch.c: the pipeline, foreground */
int	cmd_start(int, char **);	/* cmd_start.c: the started hook */
int	cmd_finish(int, char **);	/* cmd_finish.c: the completed hook */
int	cmd_status(int, char **);	/* cmd_status.c: ask the daemon */
int	cmd_replay(int, char **);	/* cmd_replay.c: offline driver */
int	cmd_check(int, char **);	/* check.c: validate policy files */
int	cmd_tail(int, char **);		/* cmd_tail.c: the tailer, debugging */
int	cmd_demo(int, char **);		/* demo.c: the #26929 story */
int	cmd_doctor(int, char **);	/* doctor.c: check a runner's setup */

#endif
