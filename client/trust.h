/* trust.h -- enrolment and the signed catalog, inside the library (the
 * public side is in cdsync.h "Trust").
 *
 * cds_trust_root makes the national root's first sheet (it certifies the
 * root itself) and trusts its key; cdsync_node_init calls it, inside its
 * transaction, for a national node.  cds_trust_export writes into an
 * export folder, as catalog-CODE.cdsa, the sheets of this node and of the
 * nodes below it, so that they travel up with the bundles (nothing when
 * the node certifies nobody).
 */
#ifndef CDS_TRUST_H
#define CDS_TRUST_H

#include "store.h"

#define CDS_KPI_VERSION 1		/* of the KPIs of DOMAIN.md in kpi.c */

int cds_trust_root(cdsync *db);
int cds_trust_export(cdsync *db, const char *dir, int *wrote);
/* 1 when the catalog this node has certifies `hub` (with a key it has
 * not revoked) as the parent of `node` -- the union whose sheet
 * certifies it -- else 0.  Loads and checks the catalog: for rare
 * paths. */
int cds_trust_parent(cdsync *db, const uint8_t hub[16],
		     const uint8_t node[16]);
/* Copies into the scratch store sc, from db's verified catalog, the
 * sheets the tree of some units needs: each sheet that holds an entry of
 * one of `units` (org ids) or `nodes` (node ids), each sheet the units'
 * nodes issue (the units below them), and the sheets up the chain to the
 * root.  A recount of one district's snapshot copies a few sheets, not a
 * national catalog of 60,000 entries.  The nx sheets xs[i] (xlen[i]
 * bytes: those a snapshot carries) take the place of db's editions of
 * their issuers and must chain, with db's sheets above them, to db's
 * root (CDSYNC_EBADSIG naming the fault); a sheet of db's that they do
 * not vouch for is left out.  Nothing without a catalog and xs.  sc
 * NULL: only checks that xs chain. */
int cds_catalog_copy_some(cdsync *db, cdsync *sc, const uint8_t (*units)[16],
			  size_t nunits, const uint8_t (*nodes)[16],
			  size_t nnodes, const uint8_t *const *xs,
			  const size_t *xlen, size_t nx);
/* Frees what cdsync_catalog_at keeps between calls (cdsync_close). */
void cds_catcache_free(cdsync *db);

#endif
