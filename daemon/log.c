/* log.c -- see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile enum cdsd_level level = CDSD_INFO;

void
cdsd_log_level(enum cdsd_level l)
{
	level = l;
}

void
cdsd_log(enum cdsd_level l, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info ", "warn ",
					     "error" };
	char line[2048];
	struct tm tm;
	time_t t;
	va_list ap;
	int n, m;

	if (l < level)
		return;
	t = time(NULL);
	gmtime_r(&t, &tm);
	n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	n += snprintf(line + n, sizeof line - (size_t)n, "%s ", names[l]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n = n + m < (int)sizeof line - 1 ? n + m : (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;		/* nowhere else to say it */
}
