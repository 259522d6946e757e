/* lang.c -- language choice and gettext binding; see lang.h. */
#include "lang.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int english;			/* messages in English */

/* The first non-empty of the variables gettext and the C library read to
 * choose the language of messages, or NULL. */
static const char *
wanted(void)
{
	static const char *const vars[] = { "LANGUAGE", "LC_ALL",
					    "LC_MESSAGES", "LANG" };
	const char *v;
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0')
			return v;
	return NULL;
}

/* Writes <dir of /proc/self/exe>/../share/locale into buf; 0 on success. */
static int
exedir_locale(char *buf, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len;
	char *slash;
	size_t need;

	len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0)
		return -1;
	exe[len] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	need = strlen(exe) + sizeof "/../share/locale";
	if (need > n)
		return -1;
	snprintf(buf, n, "%s/../share/locale", exe);
	return 0;
}

void
lang_init(void)
{
	char dir[PATH_MAX + 32];
	const char *loc, *want, *env;

	loc = setlocale(LC_ALL, "");
	if (loc == NULL) {
		/* An unknown locale (LANG=vi on a machine without vi_VN):
		 * keep the rest "C" but let messages be UTF-8. */
		setlocale(LC_MESSAGES, "C.UTF-8");
	} else {
		loc = setlocale(LC_MESSAGES, NULL);
		if (loc == NULL || strcmp(loc, "C") == 0 ||
		    strcmp(loc, "POSIX") == 0)
			setlocale(LC_MESSAGES, "C.UTF-8");
	}
	/* Numbers are written by our own code (out.c), and JSON needs a
	 * decimal point whatever the locale says. */
	setlocale(LC_NUMERIC, "C");
	want = wanted();
	english = want != NULL && strncmp(want, "en", 2) == 0;
	/* LANGUAGE wins over the locale in GNU gettext, and is honoured
	 * even under C.UTF-8. */
	setenv("LANGUAGE", english ? "en" : "vi", 1);

	env = getenv("CDSYNC_LOCALEDIR");
	if (env != NULL && *env != '\0')
		bindtextdomain("cdsync", env);
	else if (exedir_locale(dir, sizeof dir) == 0)
		bindtextdomain("cdsync", dir);
	bind_textdomain_codeset("cdsync", "UTF-8");
	textdomain("cdsync");
}

int
lang_is_english(void)
{
	return english;
}
