/*
 * `breaker replay DIR...`: a what-if over downloaded runs. Each run folder
 * (the layouts `gh aw logs` and `gh run download` write: agent-stdio.log,
 * the firewall's logs, the runner's per-step logs, aw_info.json and run
 * metadata) goes through replay.c's driver — the one pipeline — and is
 * reduced to one line: would it have been cut, by which rule, did the run
 * succeed anyway (a false-stop suspect), and how much runner time the cut
 * would have saved. docs/replay.md, "Replay over history".
 */
#ifndef BREAKER_HISTORY_H
#define BREAKER_HISTORY_H

#include <stddef.h>

struct policy;

struct history_options {
	int	json;
	int	jobs;		/* worker processes; 1 = in this process */
};

/*
 * Replay every run found under `dirs` and print one line per run and the
 * totals. Returns 0 when no run would have been cut, 1 when one would, 2
 * when no run could be found or read.
 */
int	history_replay(const struct policy *, char *const *dirs, size_t ndirs,
	    const struct history_options *);

#endif
