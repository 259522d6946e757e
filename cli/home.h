/* home.h -- where this node's files live, and opening its store.
 *
 * The home directory is, in order: --home DIR (set with home_set), then
 * $CDSYNC_HOME, then $HOME/.cdsync.  The store is <home>/store.db.
 * home_create() makes the directory (mode 0700: the store holds personal
 * data) and a new store for `cdsync init`; home_open() opens an existing
 * store for every other verb and, when there is none, says so and how to
 * make one.  Both print their own messages and return an exit code.
 */
#ifndef CLI_HOME_H
#define CLI_HOME_H

#include <cdsync/cdsync.h>

/* Remembers --home DIR (the string must outlive the program's run). */
void home_set(const char *dir);
/* The store's path into buf; 0, or -1 (message printed) when no home
 * can be found or the path is too long. */
int home_store_path(char *buf, size_t n);

/* Opens the existing store: EXIT_OK with *db, or EXIT_FAIL (message
 * printed, *db NULL). */
int home_open(cdsync **db);
/* Creates the home directory and the store (for init). */
int home_create(cdsync **db);

/*
 * The passphrase that guards this node's secret keys: $CDSYNC_PASSPHRASE
 * when set (for scripts and the daemon), else asked on the terminal with
 * the echo off.  home_open() gives the library a callback that asks only
 * when a command needs the keys (sealing, opening, signing).
 * home_new_passphrase() gets a new one for init and for a change:
 * $CDSYNC_NEW_PASSPHRASE, else $CDSYNC_PASSPHRASE (at init), else asked
 * twice on the terminal.  Both return 0, or -1 after printing why.
 */
int home_new_passphrase(int at_init, char *buf, size_t n);

/* Reports a failure of the library on db ("cdsync: <errmsg>"), and
 * returns EXIT_FAIL. */
int lib_err(cdsync *db, int rc);

/* Today's date, "YYYY-MM-DD", local time. */
void home_today(char out[11]);

#endif
