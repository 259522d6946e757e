/* args.h -- option parsing for the verbs, usage errors and help lines.
 *
 * The options of a verb are built at run time (most come from the fields
 * of a record kind), so this is a small parser of its own rather than
 * getopt_long with a static table.  Accepted forms: "--name value",
 * "--name=value", a yes/no option alone ("--innovative" = yes) or with a
 * yes/no word after it, a flag alone ("--json"), "--" to end the options;
 * anything else not starting with "--" is a positional argument.
 * "--help" or "-h" anywhere asks for help and stops all other checks.
 *
 * Messages go to stderr prefixed "cdsync: ".  A usage error also says how
 * to get help ("Try 'cdsync activity add --help'.") and means exit code 2.
 * The strings given to optset_add are copied; args point into argv.
 */
#ifndef CLI_ARGS_H
#define CLI_ARGS_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes of the program. */
#define EXIT_OK 0
#define EXIT_FAIL 1			/* the library refused or failed */
#define EXIT_USAGE 2			/* the command line is wrong */

#define OPT_VALUE 0x1			/* takes a value */
#define OPT_FLAG 0x2			/* takes no value */
#define OPT_BOOL 0x4			/* a yes/no value, "yes" if omitted */
#define OPT_MULTI 0x8			/* may be given more than once */

struct optdef {
	char *name;			/* without "--": "held-on" */
	int tag;			/* the caller's number for it */
	unsigned flags;			/* OPT_* */
};

struct optset {
	struct optdef *defs;		/* the options */
	size_t n, cap;
};

struct optval {
	const struct optdef *def;	/* which option */
	const char *value;		/* its value; "1" for flags */
};

struct args {
	struct optval *v;		/* options in command-line order */
	size_t nv;
	char **pos;			/* positional arguments */
	size_t npos;
	int help;			/* --help was given */
};

/* Adds an option; 0, or -1 when out of memory. */
int optset_add(struct optset *os, const char *name, int tag, unsigned flags);
void optset_free(struct optset *os);

/*
 * Parses argv[0..argc) (the words after the verb) for the verb named
 * `verb` ("activity add").  Returns EXIT_OK with *a filled (free it with
 * args_free), or EXIT_USAGE after printing what is wrong (an unknown
 * option, a missing value, an option given twice), or EXIT_FAIL when out
 * of memory.
 */
int args_parse(const char *verb, int argc, char **argv,
	       const struct optset *os, struct args *a);
void args_free(struct args *a);
/* The last value given for tag, or NULL. */
const char *args_get(const struct args *a, int tag);
/* How many times tag was given. */
size_t args_count(const struct args *a, int tag);

/* "cdsync: <message>\n" on stderr. */
void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message, then the help hint of `verb`.  Returns
 * EXIT_USAGE. */
int usage_err(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* EXIT_USAGE when the verb got more positional arguments than `max`, or
 * fewer than `min` (naming `what` is missing, e.g. "the member"). */
int args_positional(const char *verb, const struct args *a, size_t min,
		    size_t max, const char *what);

/* One line of help: the option names, then the text, wrapped at 79
 * columns and indented. */
void help_opt(FILE *f, const char *names, const char *text);
/* The same for a command or verb name, with a narrower first column. */
void help_cmd(FILE *f, const char *name, const char *text);
/* A paragraph wrapped at 79 columns, then a newline. */
void help_para(FILE *f, const char *text);

#endif
