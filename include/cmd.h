/* The subcommands. Each returns the process exit code. */
#ifndef BREAKER_CMD_H
#define BREAKER_CMD_H

int	cmd_watch(int, char **);	/* watch.c: the pipeline, foreground */
int	cmd_start(int, char **);	/* daemon.c: from the started hook */
int	cmd_finish(int, char **);	/* daemon.c: from the completed hook */
int	cmd_status(int, char **);	/* daemon.c */
int	cmd_replay(int, char **);	/* replay.c: offline driver */
int	cmd_check(int, char **);	/* check.c: validate policy files */
int	cmd_tail(int, char **);		/* tail.c: the tailer, for debugging */
int	cmd_demo(int, char **);		/* demo.c: the #26929 story */
int	cmd_doctor(int, char **);	/* doctor.c: check a runner's setup */

#endif
