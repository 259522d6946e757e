/* hlc.h -- the hybrid logical clock (SPEC.md "Hybrid logical clock").
 *
 * An HLC is a 64-bit number: the high 48 bits are milliseconds since the
 * Unix epoch, the low 16 a counter.  Every event of a node gets a value
 * greater than every value the node has made or seen, and as close to its
 * wall clock as that allows, so the order of HLCs respects causality even
 * when school PCs' clocks are wrong.  Compared as plain integers.
 */
#ifndef CDS_HLC_H
#define CDS_HLC_H

#include <stdint.h>

typedef struct cds_hlc {
	uint64_t last;		/* greatest value made or seen */
} cds_hlc;

#define CDS_HLC_MS(h) ((h) >> 16)
#define CDS_HLC_COUNT(h) ((h) & 0xffffu)

/* The clock value of a local event at wall time `wall_ms`. */
uint64_t cds_hlc_tick(cds_hlc *c, uint64_t wall_ms);
/*
 * Takes in a value received from another node.  Returns 1 if it lies more
 * than `max_ahead_ms` ahead of wall_ms (the caller flags it; the clock
 * still moves past it, so causality holds), else 0.
 */
int cds_hlc_recv(cds_hlc *c, uint64_t remote, uint64_t wall_ms,
		 uint64_t max_ahead_ms);

#endif
