/* Range transforms of a single plane: ChannelCompact (0) and Bounds (4). */
#ifndef SPIC_FLIF_TRANSFORM_H
#define SPIC_FLIF_TRANSFORM_H

#include <stdint.h>

#include "rac.h"
#include "symbol.h"

#define FLIF_TR_CHANNEL_COMPACT 0
#define FLIF_TR_BOUNDS 4
#define FLIF_MAX_TRANSFORM 13

typedef struct {
    int32_t lo, hi; /* value range of the plane */
} flif_plane_range;

/* ChannelCompact: the sorted list of used values; pixels become indices into it. */
typedef struct {
    int32_t values[256];
    int count;
} flif_palette;

/* Each transform starts a fresh context (flif_ctx_init) and uses it for all planes in turn.
 * Reads a palette for `range`; on success sets range to 0..count-1. Returns 0 or -1. */
int flif_compact_load(flif_rac_in *rac, flif_ctx *ctx, flif_plane_range *range, flif_palette *pal);
void flif_compact_save(flif_rac_out *rac, flif_ctx *ctx, const flif_plane_range *range, const flif_palette *pal);

/* Reads bounds inside `range` and narrows it. Returns 0 or -1. */
int flif_bounds_load(flif_rac_in *rac, flif_ctx *ctx, flif_plane_range *range);
void flif_bounds_save(flif_rac_out *rac, flif_ctx *ctx, const flif_plane_range *range, int32_t lo, int32_t hi);

#endif
