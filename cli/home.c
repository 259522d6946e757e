/* home.c -- the node's home directory and store; see home.h. */
#include "home.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "lang.h"

static const char *home_opt;		/* --home DIR, or NULL */

void
home_set(const char *dir)
{
	home_opt = dir;
}

/* The home directory into buf; 0 or -1 (message printed). */
static int
home_dir(char *buf, size_t n)
{
	const char *h;
	int len;

	if (home_opt != NULL && *home_opt != '\0')
		len = snprintf(buf, n, "%s", home_opt);
	else if ((h = getenv("CDSYNC_HOME")) != NULL && *h != '\0')
		len = snprintf(buf, n, "%s", h);
	else if ((h = getenv("HOME")) != NULL && *h != '\0')
		len = snprintf(buf, n, "%s/.cdsync", h);
	else {
		msg_err("%s", _("cannot tell where to keep the data: give "
				"--home DIR or set CDSYNC_HOME"));
		return -1;
	}
	if (len < 0 || (size_t)len >= n) {
		msg_err("%s", _("the home directory's path is too long"));
		return -1;
	}
	/* "dir/" and "dir" are the same place. */
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	return 0;
}

int
home_store_path(char *buf, size_t n)
{
	char dir[PATH_MAX];
	int len;

	if (home_dir(dir, sizeof dir) != 0)
		return -1;
	len = snprintf(buf, n, "%s/store.db", dir);
	if (len < 0 || (size_t)len >= n) {
		msg_err("%s", _("the home directory's path is too long"));
		return -1;
	}
	return 0;
}

int
lib_err(cdsync *db, int rc)
{
	const char *m = db ? cdsync_errmsg(db) : NULL;

	if (m == NULL || *m == '\0')
		m = cdsync_strerror(rc);
	msg_err("%s", m);
	return EXIT_FAIL;
}

/* ==== The passphrase ================================================= */

/* Reads a line from the terminal with the echo off; 0, or -1 when there
 * is no terminal or nothing was typed. */
static int
ask_tty(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	size_t len;
	int ok;

	if (tty == NULL)
		return -1;
	if (tcgetattr(fileno(tty), &old) != 0) {
		fclose(tty);
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fprintf(tty, "%s", prompt);
	fflush(tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	ok = fgets(buf, (int)n, tty) != NULL;
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (!ok)
		return -1;
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return len > 0 ? 0 : -1;
}

static int
from_env(const char *name, char *buf, size_t n)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		return -1;
	snprintf(buf, n, "%s", v);
	return 0;
}

/* The library's callback: asks only when the keys are needed. */
static int
ask_pass(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	if (from_env("CDSYNC_PASSPHRASE", buf, n) == 0)
		return 0;
	if (ask_tty(_("Passphrase of this node's keys: "), buf, n) == 0)
		return 0;
	msg_err("%s", _("this command needs the passphrase of this node's "
			"keys: type it on a terminal, or set "
			"CDSYNC_PASSPHRASE"));
	return -1;
}

int
home_new_passphrase(int at_init, char *buf, size_t n)
{
	char again[1024];

	if (from_env("CDSYNC_NEW_PASSPHRASE", buf, n) == 0 ||
	    (at_init && from_env("CDSYNC_PASSPHRASE", buf, n) == 0))
		return 0;
	if (ask_tty(_("New passphrase for this node's keys (at least 8 "
		      "characters): "), buf, n) != 0) {
		msg_err("%s", at_init
			? _("a passphrase is needed to protect this node's "
			    "keys: type it on a terminal, or set "
			    "CDSYNC_PASSPHRASE")
			: _("a new passphrase is needed: type it on a "
			    "terminal, or set CDSYNC_NEW_PASSPHRASE"));
		return -1;
	}
	if (ask_tty(_("The same passphrase again: "), again, sizeof again) !=
		    0 ||
	    strcmp(buf, again) != 0) {
		memset(again, 0, sizeof again);
		msg_err("%s", _("the two passphrases are not the same; "
				"nothing was changed"));
		return -1;
	}
	memset(again, 0, sizeof again);
	return 0;
}

/* ==== The store ======================================================= */

int
home_open(cdsync **db)
{
	char path[PATH_MAX + 16];
	struct stat st;
	int rc;

	*db = NULL;
	if (home_store_path(path, sizeof path) != 0)
		return EXIT_FAIL;
	if (stat(path, &st) != 0) {
		msg_err(_("there is no cdsync store at %s yet"), path);
		fprintf(stderr, "%s\n",
			_("Set this computer up first, for example:\n"
			  "  cdsync init --role school --org CODE --name "
			  "\"NAME OF THE UNION\"\n"
			  "or give the right place with --home DIR."));
		return EXIT_FAIL;
	}
	if ((rc = cdsync_open(path, 0, db)) != CDSYNC_OK) {
		lib_err(*db, rc);
		cdsync_close(*db);
		*db = NULL;
		return EXIT_FAIL;
	}
	cdsync_passphrase_cb(*db, ask_pass, NULL);
	return EXIT_OK;
}

/* mkdir -p: parents 0755, the last one 0700. */
static int
makedirs(char *dir)
{
	char *p;
	struct stat st;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) != 0) {
		if (errno != EEXIST)
			return -1;
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	}
	return 0;
}

int
home_create(cdsync **db)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int rc;

	*db = NULL;
	if (home_dir(dir, sizeof dir) != 0)
		return EXIT_FAIL;
	if (makedirs(dir) != 0) {
		msg_err(_("cannot make the directory %s: %s"), dir,
			strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(path, sizeof path, "%s/store.db", dir);
	if ((rc = cdsync_open(path, CDSYNC_OPEN_CREATE, db)) != CDSYNC_OK) {
		lib_err(*db, rc);
		cdsync_close(*db);
		*db = NULL;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

void
home_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}
