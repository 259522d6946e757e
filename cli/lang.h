/* lang.h -- the language of the cdsync command-line program.
 *
 * Contract: lang_init() is called once, first thing in main(), before any
 * message is made.  It picks English when the first non-empty of
 * LANGUAGE, LC_ALL, LC_MESSAGES, LANG starts with "en", and Vietnamese
 * otherwise (the users are Vietnamese union officers), and binds the
 * gettext domain "cdsync" to $CDSYNC_LOCALEDIR, or to
 * <dir of the program>/../share/locale (the build tree and an installed
 * tree both have that layout).  The library (libcdsync) translates its
 * own messages through the same domain, so both speak one language.
 *
 * Every user-facing string of the CLI is written in English inside _();
 * N_() marks a string for xgettext without translating it where it
 * stands; P_() chooses a singular or a plural by n (English has both,
 * Vietnamese one form).  Not thread-safe (setenv, setlocale).
 */
#ifndef CLI_LANG_H
#define CLI_LANG_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)
#define P_(s, p, n) ngettext(s, p, (unsigned long)(n))

/* Chooses the language and binds the message catalog. */
void lang_init(void);
/* 1 when messages are in English, 0 for Vietnamese. */
int lang_is_english(void);

#endif
