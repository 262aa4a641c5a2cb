/*
 * Counters in the Prometheus text format for node_exporter's textfile
 * collector: one file per runner, <dir>/breaker-<runner>.prom, added to by
 * every job's `breaker finish` (read the previous file, add, write a
 * temporary file, rename: the collector never sees half a file). Two jobs
 * of one runner never overlap, but a lock file keeps the read-add-write
 * whole even if they did. docs/events.md, "Metrics".
 */
#ifndef BREAKER_METRICS_H
#define BREAKER_METRICS_H

struct events_job;

#define METRICS_MAX_SERIES	4096	/* series kept per file */

/* 0, or -1 on error (logged; the job is never affected). */
int	metrics_update(const char *dir, const struct events_job *);

#endif
