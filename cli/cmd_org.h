/* cmd_org.h -- `cdsync org`: changes to the tree of unions (cmd_org.c).
 *
 * Contract: cmd_org takes the words after "org" (argv[0] is the verb:
 * rename, move, merge, list, changes), prints its own messages and
 * returns an exit code (args.h): 0 done, 1 the library refused (its
 * message shown, nothing recorded), 2 the command line is wrong.
 */
#ifndef CLI_CMD_ORG_H
#define CLI_CMD_ORG_H

#include <stdio.h>

int cmd_org(int argc, char **argv);
/* The help of the noun: its verbs. */
void org_help(FILE *f);

#endif
