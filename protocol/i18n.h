/* i18n.h -- translated text inside the libraries.
 *
 * Messages are written in English in the source and looked up in the
 * gettext domain "cdsync" (po/vi.po holds Vietnamese).  The libraries never
 * choose a language: the program linking them does (cli/lang.c picks
 * Vietnamese unless LANG/LANGUAGE/LC_* ask for English).  N_() marks a
 * string for extraction without translating it where it stands; P_()
 * chooses between a singular and a plural by n.
 */
#ifndef CDS_I18N_H
#define CDS_I18N_H

#include <libintl.h>

#define CDS_DOMAIN "cdsync"
#define _(s) dgettext(CDS_DOMAIN, s)
#define N_(s) (s)
#define P_(s, p, n) dngettext(CDS_DOMAIN, s, p, (unsigned long)(n))

#endif
