/* tree.h -- the tree of unions on a date (DOMAIN.md "Real trees change").
 *
 * The org_unit rows never change shape: a unit keeps its id and its
 * records stay attached to it.  The tree of a date D is computed:
 *
 *  1. Start from every org_unit row.  Its parent is org_unit.parent_id;
 *     where that is NULL (a unit set up by its own node, which may not
 *     know its parent's row), the parent its enrolment names in the
 *     catalog this store holds (trust_sheet: every node entry names its
 *     issuer's org code as its parent; ids are derived from codes), else,
 *     for this node's own unit, the parent code it was set up with
 *     (meta 'parent_code').  With them, the units the catalog enrols
 *     that no org unit is (a school or hub enrolled whose records never
 *     reached this store): a node entry of a stored sheet with the role
 *     of a school (level 'grassroots') or a hub ('upper'), enrolled on or
 *     before D (the UTC day of its earliest entry, so that every machine
 *     draws the same tree), under the parent its newest entry names.
 *     They have no records, so they count as unions that did nothing:
 *     they are in the denominators of the shares of unions.  The id of
 *     such a unit is the one its code derives (SPEC.md "Derived ids"),
 *     which its org unit takes when its records arrive.
 *  2. Apply the org_change rows with effective_on <= D in (effective_on,
 *     id) order -- ids are time-ordered, so changes of one day apply in
 *     the order they were recorded:
 *       rename  the unit takes the new name;
 *       move    the unit's parent becomes the new parent (or the unit
 *               that one was merged into);
 *       merge   the unit becomes part of the unit it merges into (or of
 *               the unit that one was merged into): its records count as
 *               that unit's, so do the records of units merged into it
 *               before, and its children move under that unit.
 *  3. A change counts only when, in the tree just before it, the units
 *     it names are in it (rule 1), the unit was not merged already, its
 *     author (org_id) is the national union or above the unit (for a
 *     rename, also the unit itself), and it keeps the tree a tree: the
 *     national union is never moved or merged; a move never puts a unit
 *     under itself, under a unit below it or under a grassroots union;
 *     a merge joins two units of one level, neither being the other's
 *     part nor below it.  Other changes are ignored, each with its
 *     reason (cds_tree_build's callback; cdsync_tree_changes_open).
 *
 * The result lands in a TEMP table that SQL can join (temp tables work
 * on read-only stores too):
 *
 *   temp.cds_tree(id, parent_id, level, name, rep, merged_on, code,
 *                 known)
 *     one row per unit: its parent in the tree of D (NULL for a root;
 *     for a merged unit its parent when it merged), its level
 *     ('national', 'upper', 'grassroots'), its name on D, rep -- the unit
 *     it counts as (itself, or the unit it is part of since a merger) --
 *     the day of that merger, its org code, and known: 1 for an org unit
 *     of the store, 0 for a unit known from the catalog only.  Indexed on
 *     parent_id, on rep and on code.
 *
 * The parents and units from the catalog are kept in temp.cds_treebase
 * and temp.cds_treecat and read again only when the stored sheets change
 * (their number, editions and sizes, kept in temp.cds_treestamp).  A
 * connection that holds only the domain tables (schema/0001) works too:
 * no changes, no catalog.
 * Every call rebuilds the table; a connection is used by one thread at a
 * time.
 */
#ifndef CDS_TREE_H
#define CDS_TREE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* As a date: apply every change (the changes as a whole are judged). */
#define CDS_TREE_ALL "9999-12-31"

/* Why a change does not count; CDS_TREE_APPLIED when it does. */
enum cds_tree_why {
	CDS_TREE_APPLIED = 0,
	CDS_TREE_UNKNOWN = 1,	  /* a unit it names is not in the tree */
	CDS_TREE_MERGED = 2,	  /* the unit was merged before */
	CDS_TREE_ROOT = 3,	  /* the national union moved or merged */
	CDS_TREE_AUTHOR = 4,	  /* its author is not above the unit */
	CDS_TREE_CYCLE = 5,	  /* the unit would be under itself */
	CDS_TREE_GRASSROOTS = 6,  /* moved under a grassroots union */
	CDS_TREE_LEVEL = 7	  /* merged into a unit of another level */
};

#define CDS_TREE_REASONLEN 512

/* One change as the build judged it; given to the callback, valid during
 * the call only. */
struct cds_tree_change {
	uint8_t id[16];			/* the org_change row */
	uint8_t author[16];		/* its org_id */
	uint8_t subject[16];		/* the unit changed */
	uint8_t target[16];		/* the new parent, or the unit merged
					 * into; zero for a rename */
	char effective_on[11];		/* "YYYY-MM-DD" */
	const char *change;		/* "rename", "move" or "merge" */
	const char *name;		/* rename: the new name; else NULL */
	const char *note;		/* or NULL */
	const char *author_code;	/* codes of the units, or "…" and */
	const char *subject_code;	/* the last 8 hex digits of an id */
	const char *target_code;	/* the store does not know; NULL
					 * for a rename */
	int why;			/* enum cds_tree_why */
	char reason[CDS_TREE_REASONLEN]; /* why it is ignored (translated) */
};

/* Called for every change with effective_on <= the date, in order; a
 * non-zero return stops the build and is its result. */
typedef int (*cds_tree_fn)(void *ctx, const struct cds_tree_change *c);

/*
 * Computes the tree of `date` (what cds_date_parse accepts, or
 * CDS_TREE_ALL; NULL: today, local time) into temp.cds_tree, calling fn
 * (when not NULL) for every change it judges.  Returns a cdsync_code:
 *   CDSYNC_OK      the table holds the tree
 *   CDSYNC_EINVAL  the date is not one
 *   CDSYNC_ENOMEM  out of memory
 *   CDSYNC_ERROR   SQLite failed (CDSYNC_EBUSY, _ECORRUPT where it says)
 * or what fn returned.  On failure err[errlen] holds a translated message
 * and the table's content is undefined.  Writes nothing but its temp
 * tables.
 */
int cds_tree_build(sqlite3 *db, const char *date, cds_tree_fn fn, void *ctx,
		   char *err, size_t errlen);

#endif
