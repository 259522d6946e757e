/* cmd_changes.c -- `cdsync changes`: the column-level changes this store
 * has captured, for people debugging sync.
 *
 * Contract: lists the changes with seq > --since (default 0) in log
 * order: seq, kind, short row id, field ("(deleted)" for a delete), value
 * and hybrid logical clock; --json gives the same with the full row and
 * origin node ids.  Read-only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmds.h"
#include "home.h"
#include "lang.h"

void
changes_help(FILE *f)
{
	fprintf(f, "%s cdsync changes [--since %s] [--json]\n\n",
		_("Usage:"), _("SEQ"));
	help_para(f, _("Lists the changes this computer has recorded for "
		       "sync, one field at a time (for checking sync)."));
	fprintf(f, "\n%s\n", _("Options:"));
	help_opt(f, _("--since SEQ"),
		 _("only changes after this sequence number"));
	help_opt(f, "--json", _("print JSON"));
	rec_commonhelp(f);
	fprintf(f, "\n%s\n  cdsync changes --since 100\n", _("Example:"));
}

static void
change_json(struct json *j, const cdsync_change *c)
{
	char hex[33];

	json_obj(j);
	json_key(j, "seq");
	json_int(j, (int64_t)c->seq);
	json_key(j, "kind");
	json_str(j, cdsync_kind_name(c->kind));
	json_key(j, "row");
	out_hex(c->row, hex);
	json_str(j, hex);
	json_key(j, "field");
	json_str(j, c->field);
	json_key(j, "value");
	json_str(j, c->value);
	json_key(j, "hlc");
	json_int(j, (int64_t)c->hlc);
	json_key(j, "origin");
	out_hex(c->origin, hex);
	json_str(j, hex);
	json_obj_end(j);
}

/* An HLC as people read it: its wall-clock part in UTC to the millisecond,
 * and the counter when it is not 0 ("2026-01-20 08:15:02.113 +2"). */
static void
hlctext(uint64_t h, char *buf, size_t n)
{
	time_t secs = (time_t)((h >> 16) / 1000);
	unsigned ms = (unsigned)((h >> 16) % 1000), count = h & 0xffff;
	struct tm tm;
	char day[24];

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		snprintf(buf, n, "%" PRIu64, h);
		return;
	}
	if (count)
		snprintf(buf, n, "%s.%03u +%u", day, ms, count);
	else
		snprintf(buf, n, "%s.%03u", day, ms);
}

int
cmd_changes(int argc, char **argv)
{
	const char *verb = "changes";
	struct optset os = { 0 };
	struct args a = { 0 };
	cdsync *db = NULL;
	cdsync_changes *it = NULL;
	const cdsync_change *c;
	struct table *t = NULL;
	struct json j = { 0 };
	const char *head[6], *cells[6], *since;
	char seq[24], hlc[48], hex[33], shortid[9];
	uint64_t after = 0;
	char *end;
	int ex, rc, json;

	if (optset_add(&os, "since", TAG_SINCE, OPT_VALUE) != 0 ||
	    optset_add(&os, "json", TAG_JSON, OPT_FLAG) != 0) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	}
	if ((ex = args_parse(verb, argc, argv, &os, &a)) != EXIT_OK)
		goto out;
	if (a.help) {
		changes_help(stdout);
		goto out;
	}
	if ((ex = args_positional(verb, &a, 0, 0, "")) != EXIT_OK)
		goto out;
	if ((since = args_get(&a, TAG_SINCE)) != NULL) {
		after = strtoull(since, &end, 10);
		if (*since < '0' || *since > '9' || *end != '\0') {
			ex = usage_err(verb,
				       _("--since '%s': give a sequence "
					 "number (0, 1, 2, ...)"),
				       since);
			goto out;
		}
	}
	if ((ex = home_open(&db)) != EXIT_OK)
		goto out;
	if ((rc = cdsync_changes_open(db, after, &it)) != CDSYNC_OK) {
		ex = lib_err(db, rc);
		goto out;
	}
	json = args_get(&a, TAG_JSON) != NULL;
	head[0] = _("Seq");
	head[1] = _("Kind");
	head[2] = _("Row");
	head[3] = _("Field");
	head[4] = _("Value");
	head[5] = _("Clock (HLC, UTC)");
	if (json) {
		json_init(&j, stdout);
		json_arr(&j);
	} else if ((t = table_new(6, head)) == NULL) {
		msg_err("%s", _("out of memory"));
		ex = EXIT_FAIL;
		goto out;
	} else {
		table_right(t, 0);
	}
	while ((rc = cdsync_changes_next(it, &c)) == CDSYNC_OK) {
		if (json) {
			change_json(&j, c);
			continue;
		}
		snprintf(seq, sizeof seq, "%" PRIu64, c->seq);
		hlctext(c->hlc, hlc, sizeof hlc);
		out_hex(c->row, hex);
		out_shortid(hex, shortid);
		cells[0] = seq;
		cells[1] = cdsync_kind_name(c->kind);
		cells[2] = shortid;
		cells[3] = c->field ? c->field : _("(deleted)");
		cells[4] = c->value;
		cells[5] = hlc;
		if (table_add(t, cells) != 0) {
			msg_err("%s", _("out of memory"));
			ex = EXIT_FAIL;
			break;
		}
	}
	if (ex == EXIT_OK && rc != CDSYNC_DONE)
		ex = lib_err(db, rc);
	if (json) {
		json_arr_end(&j);
		json_done(&j);
	} else if (ex == EXIT_OK) {
		if (table_rows(t) == 0) {
			printf("%s\n", _("No changes."));
		} else {
			table_print(t, stdout);
			printf(_("Total: %zu"), table_rows(t));
			putchar('\n');
		}
	}
out:
	table_free(t);
	cdsync_changes_close(it);
	cdsync_close(db);
	args_free(&a);
	optset_free(&os);
	return ex;
}
