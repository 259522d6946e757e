/* args.c -- option parsing, usage errors, help lines; see args.h. */
#include "args.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "out.h"

int
optset_add(struct optset *os, const char *name, int tag, unsigned flags)
{
	struct optdef *d;

	if (os->n == os->cap) {
		size_t cap = os->cap ? os->cap * 2 : 32;

		if ((d = realloc(os->defs, cap * sizeof *d)) == NULL)
			return -1;
		os->defs = d;
		os->cap = cap;
	}
	d = &os->defs[os->n];
	if ((d->name = strdup(name)) == NULL)
		return -1;
	d->tag = tag;
	d->flags = flags;
	os->n++;
	return 0;
}

void
optset_free(struct optset *os)
{
	size_t i;

	for (i = 0; i < os->n; i++)
		free(os->defs[i].name);
	free(os->defs);
	memset(os, 0, sizeof *os);
}

void
msg_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cdsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
usage_err(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cdsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, _("Try 'cdsync %s --help'."), verb);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* Words a yes/no option may take as its next argument. */
static int
boolword(const char *s)
{
	static const char *const words[] = { "yes", "no", "y", "n", "1",
					     "0", "true", "false", "có",
					     "không", "co", "khong", NULL };
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	return 0;
}

static const struct optdef *
find(const struct optset *os, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < os->n; i++)
		if (strlen(os->defs[i].name) == len &&
		    strncmp(os->defs[i].name, name, len) == 0)
			return &os->defs[i];
	return NULL;
}

static int
push(struct args *a, const struct optdef *d, const char *value)
{
	struct optval *v;

	if ((v = realloc(a->v, (a->nv + 1) * sizeof *v)) == NULL)
		return -1;
	a->v = v;
	a->v[a->nv].def = d;
	a->v[a->nv].value = value;
	a->nv++;
	return 0;
}

int
args_parse(const char *verb, int argc, char **argv, const struct optset *os,
	   struct args *a)
{
	const struct optdef *d;
	const char *arg, *eq, *value;
	int i, only_pos = 0;
	size_t len;

	memset(a, 0, sizeof *a);
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			a->help = 1;
			return EXIT_OK;
		}
	if ((a->pos = calloc((size_t)argc + 1, sizeof *a->pos)) == NULL)
		goto nomem;
	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (only_pos || strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (!only_pos && strcmp(arg, "--") == 0) {
				only_pos = 1;
				continue;
			}
			a->pos[a->npos++] = argv[i];
			continue;
		}
		arg += 2;
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		if ((d = find(os, arg, len)) == NULL) {
			args_free(a);
			return usage_err(verb, _("unknown option '--%.*s'"),
					 (int)len, arg);
		}
		if (!(d->flags & OPT_MULTI) && args_count(a, d->tag) > 0) {
			args_free(a);
			return usage_err(verb,
					 _("option '--%s' is given more than "
					   "once"),
					 d->name);
		}
		if (d->flags & OPT_FLAG) {
			if (eq != NULL) {
				args_free(a);
				return usage_err(verb,
						 _("option '--%s' takes no "
						   "value"),
						 d->name);
			}
			value = "1";
		} else if (eq != NULL) {
			value = eq + 1;
		} else if (d->flags & OPT_BOOL) {
			if (i + 1 < argc && boolword(argv[i + 1]))
				value = argv[++i];
			else
				value = "yes";
		} else if (i + 1 < argc &&
			   !(strncmp(argv[i + 1], "--", 2) == 0 &&
			     argv[i + 1][2] != '\0')) {
			value = argv[++i];
		} else {
			args_free(a);
			return usage_err(verb,
					 _("option '--%s' needs a value"),
					 d->name);
		}
		if (push(a, d, value) != 0)
			goto nomem;
	}
	return EXIT_OK;
nomem:
	args_free(a);
	msg_err("%s", _("out of memory"));
	return EXIT_FAIL;
}

void
args_free(struct args *a)
{
	free(a->v);
	free(a->pos);
	memset(a, 0, sizeof *a);
}

const char *
args_get(const struct args *a, int tag)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < a->nv; i++)
		if (a->v[i].def->tag == tag)
			v = a->v[i].value;
	return v;
}

size_t
args_count(const struct args *a, int tag)
{
	size_t i, n = 0;

	for (i = 0; i < a->nv; i++)
		if (a->v[i].def->tag == tag)
			n++;
	return n;
}

int
args_positional(const char *verb, const struct args *a, size_t min,
		size_t max, const char *what)
{
	if (a->npos < min)
		return usage_err(verb, _("%s is missing"), what);
	if (a->npos > max)
		return usage_err(verb, _("unexpected argument '%s'"),
				 a->pos[max]);
	return EXIT_OK;
}

/* ==== Help ============================================================= */

#define HELP_COL 30			/* where option texts start */
#define HELP_CMDCOL 14			/* where command texts start */
#define HELP_WIDTH 79			/* wrap column */

static void
spaces(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

/* Writes text from column `col` (where the cursor is), wrapping at
 * HELP_WIDTH to column `indent`; a newline in text starts a new line. */
static void
wrap(FILE *f, const char *text, size_t col, size_t indent)
{
	size_t start = col, n, w;
	const char *p = text;
	char word[512];

	while (*p) {
		if (*p == '\n') {
			fputc('\n', f);
			spaces(f, indent);
			col = start = indent;
			p++;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		n = strcspn(p, " \n");
		if (n >= sizeof word)
			n = sizeof word - 1;
		memcpy(word, p, n);
		word[n] = '\0';
		w = out_width(word);
		if (col > start && col + 1 + w > HELP_WIDTH) {
			fputc('\n', f);
			spaces(f, indent);
			col = indent;
		} else if (col > start) {
			fputc(' ', f);
			col++;
		}
		fputs(word, f);
		col += w;
		p += strcspn(p, " \n");
	}
	fputc('\n', f);
}

static void
item(FILE *f, const char *names, const char *text, size_t at)
{
	size_t col;

	fprintf(f, "  %s", names);
	col = 2 + out_width(names);
	if (col + 2 > at) {
		fputc('\n', f);
		col = 0;
	}
	spaces(f, at - col);
	wrap(f, text, at, at);
}

void
help_opt(FILE *f, const char *names, const char *text)
{
	item(f, names, text, HELP_COL);
}

void
help_cmd(FILE *f, const char *name, const char *text)
{
	item(f, name, text, HELP_CMDCOL);
}

void
help_para(FILE *f, const char *text)
{
	wrap(f, text, 0, 0);
}
