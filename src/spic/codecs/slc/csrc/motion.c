/* The motion field of inter maps: one reference offset per 32 x 32 block. */
#include <stdlib.h>

#include "model.h"

#define MV_VALUES (2 * SLC_MV_RANGE + 1)
#define MV_NODES 32           /* tree nodes for MV_VALUES values */
#define EXPLICIT_PENALTY 24   /* mismatching pixels a vector must save to be sent explicitly */

static int same(slc_mv a, slc_mv b) { return a.dx == b.dx && a.dy == b.dy; }

void slc_code_motion(slc_coder *c, slc_mv *mvs, uint32_t blocks_x, uint32_t blocks_y)
{
    slc_bit is_left[2] = {SLC_BIT_INIT, SLC_BIT_INIT}, is_up = SLC_BIT_INIT;
    slc_bit trees[2][MV_NODES];
    const slc_mv zero = {0, 0};
    uint32_t bx, by;
    int i;
    for (i = 0; i < MV_NODES; i++) trees[0][i] = trees[1][i] = SLC_BIT_INIT;
    for (by = 0; by < blocks_y; by++)
        for (bx = 0; bx < blocks_x; bx++) {
            slc_mv *mv = &mvs[by * blocks_x + bx];
            slc_mv up = by ? mv[-(ptrdiff_t)blocks_x] : zero, left = bx ? mv[-1] : up;
            int agree = bx && by && same(left, up);
            if (slc_code(c, &is_left[agree], same(*mv, left))) {
                *mv = left;
                continue;
            }
            if (bx && by && !agree && slc_code(c, &is_up, same(*mv, up))) {
                *mv = up;
                continue;
            }
            mv->dx = (int8_t)(slc_code_symbol(c, trees[0], MV_VALUES, NULL, 0, mv->dx + SLC_MV_RANGE) - SLC_MV_RANGE);
            mv->dy = (int8_t)(slc_code_symbol(c, trees[1], MV_VALUES, NULL, 0, mv->dy + SLC_MV_RANGE) - SLC_MV_RANGE);
        }
}

/* Pixels of the block at (x0, y0) that differ from the reference under `mv`; stops
 * counting once `limit` is reached. */
static uint32_t mismatches(const uint8_t *idx, uint32_t width, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1,
                           const slc_reference *ref, slc_mv mv, uint32_t limit)
{
    uint32_t x, y, count = 0;
    for (y = y0; y < y1 && count < limit; y++) {
        const uint8_t *row = idx + (size_t)y * width;
        const uint8_t *r = ref->idx + (size_t)slc_clamp((int64_t)y + mv.dy, ref->height) * width;
        for (x = x0; x < x1; x++) count += row[x] != r[slc_clamp((int64_t)x + mv.dx, width)];
    }
    return count;
}

void slc_search_motion(const uint8_t *idx, uint32_t width, uint32_t height, const slc_reference *ref, slc_mv *mvs,
                       uint32_t blocks_y)
{
    const slc_mv zero = {0, 0};
    uint32_t bx, by;
    for (by = 0; by < blocks_y; by++)
        for (bx = 0; bx < ref->blocks_x; bx++) {
            uint32_t x0 = bx << SLC_BLOCK_LOG, y0 = by << SLC_BLOCK_LOG;
            uint32_t x1 = x0 + (1u << SLC_BLOCK_LOG) < width ? x0 + (1u << SLC_BLOCK_LOG) : width;
            uint32_t y1 = y0 + (1u << SLC_BLOCK_LOG) < height ? y0 + (1u << SLC_BLOCK_LOG) : height;
            slc_mv *mv = &mvs[by * ref->blocks_x + bx];
            slc_mv up = by ? mv[-(ptrdiff_t)ref->blocks_x] : zero, left = bx ? mv[-1] : up, best = left;
            uint32_t best_cost = mismatches(idx, width, x0, y0, x1, y1, ref, left, (uint32_t)-1), cost;
            int d, dx, dy;
            if (best_cost && !same(up, left)) {
                cost = mismatches(idx, width, x0, y0, x1, y1, ref, up, best_cost);
                if (cost < best_cost) best = up, best_cost = cost;
            }
            /* explicit vectors by growing distance from (0, 0); ties keep the cheaper one */
            for (d = 0; d <= 2 * SLC_MV_RANGE && best_cost > EXPLICIT_PENALTY; d++)
                for (dy = -SLC_MV_RANGE; dy <= SLC_MV_RANGE; dy++)
                    for (dx = -SLC_MV_RANGE; dx <= SLC_MV_RANGE; dx++) {
                        slc_mv cand;
                        if (abs(dx) + abs(dy) != d) continue;
                        cand.dx = (int8_t)dx;
                        cand.dy = (int8_t)dy;
                        cost = mismatches(idx, width, x0, y0, x1, y1, ref, cand, best_cost - EXPLICIT_PENALTY);
                        if (cost + EXPLICIT_PENALTY < best_cost) best = cand, best_cost = cost + EXPLICIT_PENALTY;
                    }
            *mv = best;
        }
}
