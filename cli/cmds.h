/* cmds.h -- the commands beyond the generic record verbs.
 *
 * Each takes the words after its noun (argv[0] is the verb, or for init,
 * kpi and changes the first option), prints its own messages and returns
 * an exit code (args.h).  The activity functions are hooks of the
 * activity kind's spec (records.h).
 */
#ifndef CLI_CMDS_H
#define CLI_CMDS_H

#include "records.h"

int cmd_init(int argc, char **argv);		/* cmd_init.c */
int cmd_kpi(int argc, char **argv);		/* cmd_kpi.c */
int cmd_changes(int argc, char **argv);		/* cmd_changes.c */
/* cmd_sync.c: moving data on files. */
int cmd_keys(int argc, char **argv);
int cmd_peer(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_conflicts(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_receipt(int argc, char **argv);
void status_help(FILE *f);
void receipt_help(FILE *f);
void keys_help(FILE *f);
void peer_help(FILE *f);
void export_help(FILE *f);
void bundles_import_help(FILE *f);
void bundle_help(FILE *f);
void conflicts_help(FILE *f);
/* cmd_trust.c: enrolment and the catalog. */
int cmd_enrol(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
void enrol_help(FILE *f);
void catalog_help(FILE *f);
/* cmd_pair.c: pairing client devices. */
int cmd_pair(int argc, char **argv);
void pair_help(FILE *f);
/* cmd_lan.c: sync now (a device with its node, a node with its hub). */
int cmd_sync(int argc, char **argv);
void sync_help(FILE *f);
/* cmd_audit.c: an auditor's check of a folder of files. */
int cmd_audit(int argc, char **argv);
void audit_help(FILE *f);
/* cmd_snapshot.c: signed rollup snapshots. */
int cmd_snapshot(int argc, char **argv);
void snapshot_help(FILE *f);
/* cmd_rollup.c: the nightly rollup, now. */
int cmd_rollup(int argc, char **argv);
void rollup_help(FILE *f);
/* One line to f: when the last rollup ran and what changed since (for
 * the commands that read figures from it); nothing without a rollup. */
void rollup_said(cdsync *db, FILE *f);
/* `keys passphrase` and `keys rotate` (argv[0] is the verb). */
int cmd_keys_secret(int argc, char **argv);
void keys_secret_help(FILE *f);

/* cmd_member.c: import, leave, uncared, then the generic verbs. */
int cmd_member(const struct kindspec *ks, int argc, char **argv);
/* cmd_legal.c: update, then the generic verbs ("open" adds). */
int cmd_legal(const struct kindspec *ks, int argc, char **argv);

/* cmd_activity.c: beneficiaries. */
int activity_opts(struct optset *os, int adding);
void activity_help(FILE *f, int adding);
int activity_after_write(cdsync *db, const cdsync_rec *rec,
			 const struct args *a, const char *verb, int adding,
			 char *note, size_t notelen);
int activity_show(cdsync *db, const cdsync_rec *rec, struct json *j);

/* Help shared by main.c: the usage of init, kpi and changes. */
void init_help(FILE *f);
void kpi_help(FILE *f);
void changes_help(FILE *f);

#endif
