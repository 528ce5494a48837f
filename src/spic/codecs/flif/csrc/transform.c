/* ChannelCompact and Bounds transforms (one near-zero context per transform, shared by the planes). */
#include "transform.h"

#include "symbol.h"

int flif_compact_load(flif_rac_in *rac, flif_ctx *ctx, flif_plane_range *range, flif_palette *pal)
{
    const flif_chance_table *t = flif_default_table();
    int32_t min = range->lo, remaining, i;
    if (range->hi - range->lo > 255 || range->hi < range->lo) return -1;
    pal->count = flif_nz_read(rac, t, ctx, 0, range->hi - range->lo) + 1;
    remaining = pal->count - 1;
    for (i = 0; i < pal->count; i++) {
        int32_t top = range->hi - min - remaining;
        if (top < 0) return -1;
        pal->values[i] = min + flif_nz_read(rac, t, ctx, 0, top);
        min = pal->values[i] + 1;
        remaining--;
    }
    range->lo = 0;
    range->hi = pal->count - 1;
    return 0;
}

void flif_compact_save(flif_rac_out *rac, flif_ctx *ctx, const flif_plane_range *range, const flif_palette *pal)
{
    const flif_chance_table *t = flif_default_table();
    int32_t min = range->lo, remaining = pal->count - 1, i;
    flif_nz_write(rac, t, ctx, 0, range->hi - range->lo, pal->count - 1);
    for (i = 0; i < pal->count; i++) {
        flif_nz_write(rac, t, ctx, 0, range->hi - min - remaining, pal->values[i] - min);
        min = pal->values[i] + 1;
        remaining--;
    }
}

int flif_bounds_load(flif_rac_in *rac, flif_ctx *ctx, flif_plane_range *range)
{
    const flif_chance_table *t = flif_default_table();
    int32_t lo, hi;
    if (range->hi - range->lo > CTX_MAX_ABS || range->hi < range->lo) return -1;
    lo = flif_nz_read2(rac, t, ctx, range->lo, range->hi);
    hi = flif_nz_read2(rac, t, ctx, lo, range->hi);
    range->lo = lo;
    range->hi = hi;
    return 0;
}

void flif_bounds_save(flif_rac_out *rac, flif_ctx *ctx, const flif_plane_range *range, int32_t lo, int32_t hi)
{
    const flif_chance_table *t = flif_default_table();
    flif_nz_write2(rac, t, ctx, range->lo, range->hi, lo);
    flif_nz_write2(rac, t, ctx, lo, range->hi, hi);
}
