/* What the range-coded payload holds: the palette, the motion field (inter) and the pixels. */
#ifndef SPIC_SLC_MODEL_H
#define SPIC_SLC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "coder.h"

#define SLC_BLOCK_LOG 5                 /* motion blocks are 32 x 32 pixels */
#define SLC_MV_RANGE 7                  /* motion components are in -7..7 */
#define SLC_MAX_OVERRUN 8               /* bytes read past the end before giving up */

typedef struct {
    int8_t dx, dy;
} slc_mv;

/* The reference map in the current palette's indices (labels absent from it read as the
 * palette size) with the motion field: pixel (x, y) reads the reference at (x + dx, y + dy)
 * of its block's vector, coordinates clamped to the map. */
typedef struct {
    const uint8_t *idx;
    uint32_t width, height;
    const slc_mv *mvs;     /* blocks in raster order */
    uint32_t blocks_x;
} slc_reference;

/* A coordinate clamped to 0..size-1. */
static inline uint32_t slc_clamp(int64_t v, uint32_t size)
{
    return v < 0 ? 0 : v >= size ? size - 1 : (uint32_t)v;
}

/* Codes the set of labels present (`present[v]` is 0 or 1; filled when decoding).
 * Returns the number of labels, 1..256. */
int slc_code_palette(slc_coder *c, uint8_t present[256]);

/* Codes the motion field of a blocks_x x blocks_y grid (filled when decoding). */
void slc_code_motion(slc_coder *c, slc_mv *mvs, uint32_t blocks_x, uint32_t blocks_y);

/* Chooses the motion field `mvs` (what `ref->mvs` points to) for coding `idx` against
 * the reference: per block, fewest mismatching pixels (the encoder's side). */
void slc_search_motion(const uint8_t *idx, uint32_t width, uint32_t height, const slc_reference *ref, slc_mv *mvs,
                       uint32_t blocks_y);

/* Codes the palette indices `idx` (filled when decoding) of a width x height map with
 * `count` labels, conditioned on `ref` when not NULL. Returns 0, or -1 when decoding ran
 * more than SLC_MAX_OVERRUN bytes past the end of the data, or memory ran out. */
int slc_code_pixels(slc_coder *c, uint8_t *idx, uint32_t width, uint32_t height, int count, const slc_reference *ref);

#endif
