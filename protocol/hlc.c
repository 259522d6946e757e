/* hlc.c -- see hlc.h. */
#include "hlc.h"

uint64_t
cds_hlc_tick(cds_hlc *c, uint64_t wall_ms)
{
	uint64_t now = wall_ms << 16;

	c->last = now > c->last ? now : c->last + 1;
	return c->last;
}

int
cds_hlc_recv(cds_hlc *c, uint64_t remote, uint64_t wall_ms,
	     uint64_t max_ahead_ms)
{
	if (remote > c->last)
		c->last = remote;
	return CDS_HLC_MS(remote) > wall_ms + max_ahead_ms;
}
