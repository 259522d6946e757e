/* log.h -- cdsyncd's log: one line a message on stderr (systemd's journal
 * takes it from there), "2026-12-01T19:10:00Z info  <message>", at or
 * above the level set.  Messages are translated by the caller (_()).
 * Safe to call from the HTTP thread: each line is written with one
 * write(2). */
#ifndef CDSD_LOG_H
#define CDSD_LOG_H

#include "config.h"

void cdsd_log_level(enum cdsd_level level);
void cdsd_log(enum cdsd_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
