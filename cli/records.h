/* records.h -- the generic verbs for every record kind: add, list, show,
 * edit, delete, driven by cdsync_kind_field_info().
 *
 * Contract: each field of a kind (except id and org_id) is an option
 * "--<name with '_' as '-'>", plus friendly aliases from the kind's spec
 * ("--date" for held_on).  Values go to cdsync_rec_set() as typed (it
 * reads dd/mm/yyyy, "1.234.567", yes/no, 2025-2026); references go
 * through cdsync_resolve() (a member code, a short id, a full id).
 * A yes/no option alone means yes.  Every verb prints its own messages
 * and returns an exit code (args.h): 0 done, 1 the library refused or
 * failed (its message shown), 2 the command line is wrong.
 *
 * Output: human lists are tables of a few chosen fields with the short id
 * (last 8 hex digits) first and a total at the end; dates dd/mm/yyyy,
 * money "1.234.567 đ", choices by their translated label.  JSON (--json)
 * gives every field by its English name: ids, references, text, dates
 * ("YYYY-MM-DD"), choices and school years as strings, whole numbers and
 * money as numbers, yes/no as true/false, null for NULL.
 *
 * Lists show this node's own union only (records of child unions that a
 * hub holds are for the reports).
 */
#ifndef CLI_RECORDS_H
#define CLI_RECORDS_H

#include <stdio.h>

#include <cdsync/cdsync.h>

#include "args.h"
#include "out.h"

/* Option tags shared by the verbs; a field option's tag is TAG_FIELD plus
 * the field's index. */
enum {
	TAG_JSON = 1,
	TAG_PERIOD,
	TAG_ALL,
	TAG_KIND,
	TAG_OPEN,
	TAG_HOME,
	TAG_BENEFIT,
	TAG_BENEFIT_ALL,
	TAG_UNBENEFIT,
	TAG_FORM,
	TAG_ON,
	TAG_STATUS,
	TAG_DATE,
	TAG_NOTE,
	TAG_SKIP_BAD,
	TAG_DRY_RUN,
	TAG_ROLE,
	TAG_ORG,
	TAG_NAME,
	TAG_PARENT,
	TAG_AS_OF,
	TAG_SINCE,
	TAG_FIELD = 100
};

struct alias {
	const char *opt;		/* "date" */
	const char *field;		/* "held_on" */
};

struct verbdoc {
	const char *name;		/* "import" */
	const char *doc;		/* N_("Read members from a file") */
};

struct kindspec {
	const char *cmd;		/* the noun typed: "activity" */
	cdsync_kind kind;		/* its record kind */
	const char *what;		/* N_("activity"), for messages */
	const char *const *cols;	/* fields shown by list */
	const char *const *summary;	/* fields of the one-line summary */
	const struct alias *aliases;	/* friendly option names */
	const char *start, *end;	/* fields bounding a row in time (for
					 * --period), or NULL */
	const char *add_verb;		/* "add" ("open" for legal cases) */
	const char *add_example;	/* N_(): a command line */
	const char *edit_example;	/* N_(): a command line */
	const struct verbdoc *verbs;	/* verbs of the kind beyond the
					 * generic ones, or NULL */
	/* Runs a verb of the noun; NULL: records_verb. */
	int (*run)(const struct kindspec *ks, int argc, char **argv);
	/* Hooks of kinds that do more (activity: beneficiaries). */
	int (*extra_opts)(struct optset *os, int adding);
	void (*extra_help)(FILE *f, int adding);
	/* Called inside the transaction of add/edit, after the row is
	 * written; returns an exit code (non-zero rolls everything back)
	 * and may leave a line in note[notelen] to print once committed.
	 * Options added by extra_opts count as changes for edit. */
	int (*after_write)(cdsync *db, const cdsync_rec *rec,
			   const struct args *a, const char *verb, int adding,
			   char *note, size_t notelen);
	/* Adds to show: to j when not NULL, else as text to stdout. */
	int (*show_extra)(cdsync *db, const cdsync_rec *rec, struct json *j);
};

/* The spec of a noun ("activity", "legal", ...), or NULL. */
const struct kindspec *records_find(const char *cmd);
/* The spec of a record kind, or NULL. */
const struct kindspec *records_of_kind(cdsync_kind kind);
/* Each noun in turn (index from 0), NULL past the last. */
const struct kindspec *records_at(size_t i);

/* Runs `cdsync <noun> <verb> ...`: argv[0] is the verb.  Handles the
 * generic verbs (add or the kind's add_verb, list, show, edit, delete)
 * and the noun's help. */
int records_verb(const struct kindspec *ks, int argc, char **argv);
/* The help of a noun: its verbs. */
void records_noun_help(const struct kindspec *ks, FILE *f);

/* ==== Building blocks for the nouns that do more ==================== */

/* "activity add" into buf. */
const char *rec_verbname(const struct kindspec *ks, const char *verb,
			 char *buf, size_t n);
/* Adds the field options of the kind to os. */
int rec_fieldopts(const struct kindspec *ks, struct optset *os);
/* Prints the help of the field options. */
void rec_fieldhelp(const struct kindspec *ks, FILE *f);
/* Prints the lines every verb's help ends with (--home, --help). */
void rec_commonhelp(FILE *f);
/* Sets the fields given as options on r; *nset counts them.  Returns an
 * exit code, with the message printed. */
int rec_fill(cdsync *db, const struct kindspec *ks, cdsync_rec *r,
	     const struct args *a, const char *verb, size_t *nset);
/* Resolves what the user typed for option `opt` ("--member") to a row
 * id; an exit code, message printed. */
int rec_resolve(cdsync *db, cdsync_kind kind, const char *opt,
		const char *ref, uint8_t id[16]);
/* The display form of a field's canonical value into buf ("" for NULL):
 * dates dd/mm/yyyy, money with "đ", choices by label, references by the
 * name of the row they point to (with its short id when `withid`). */
void rec_display(cdsync *db, const cdsync_field_info *fi, const char *canon,
		 int withid, char *buf, size_t n);
/* The one-line summary of a record into buf. */
void rec_summary(cdsync *db, const struct kindspec *ks, const cdsync_rec *r,
		 char *buf, size_t n);
/* The short id of a record (last 8 hex digits). */
void rec_shortid(const cdsync_rec *r, char out[9]);
/* A record as a JSON object. */
void rec_json(struct json *j, const cdsync_rec *r);

/* What a list keeps of the rows of a cursor. */
struct rowfilter {
	const char *org;		/* org_id hex to keep, or NULL: any */
	const char *from, *to;		/* window "YYYY-MM-DD", or NULL */
	const char *today;		/* keep current members, or NULL */
	const char *kind;		/* keep rows whose "kind" is this */
};

/* Prints the rows of cur (closing it) as a table with a total line, or
 * as a JSON array.  An exit code. */
int rec_print_rows(cdsync *db, const struct kindspec *ks, cdsync_cursor *cur,
		   const struct rowfilter *flt, int json);
/* Checks a --period value for verb: EXIT_OK with its window
 * ("YYYY-MM-DD"), or a usage error naming the accepted forms. */
/* The reason of a record's last error, without the library's leading
 * "field: " (the CLI names the option itself). */
const char *rec_reason(const cdsync_rec *r);
int rec_period(const char *verb, const char *period, char from[11],
	       char to[11]);
/* Checks a date typed for option opt ("--as-of") that is not a field of
 * the record at hand: EXIT_OK with its ISO form, or EXIT_USAGE with the
 * option, the value and the reason printed. */
int rec_check_date(const char *opt, const char *value, char iso[11]);
/* This node's org unit id as hex; an exit code. */
int rec_own_org(cdsync *db, char hex[33]);

#endif
