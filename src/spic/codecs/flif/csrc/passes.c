/* Pixel traversals: one function per order, a mode switch per pixel. */
#include "passes.h"

#include "predict.h"

static inline void code_pixel(flif_pass *ps, uint8_t *cell, const int32_t *props, int32_t guess)
{
    const int32_t lo = ps->minv - guess, hi = ps->maxv - guess;
    switch (ps->mode) {
    case PASS_DECODE:
        *cell = (uint8_t)(guess + flif_nz_read(ps->in, ps->table, flif_final_leaf(ps->coder, props), lo, hi));
        break;
    case PASS_ENCODE:
        flif_nz_write(ps->out, ps->table, flif_final_leaf(ps->coder, props), lo, hi, (int)*cell - guess);
        break;
    case PASS_LEARN:
        if (!flif_learner_add(ps->learner, props, lo, hi, (int)*cell - guess)) ps->failed = 1;
        break;
    case PASS_COST: {
        int32_t d = (int32_t)*cell - guess;
        if (d) ps->cost += (uint64_t)flif_ilog2((uint32_t)(d < 0 ? -d : d)) + 1;
        break;
    }
    }
}

static inline int input_exhausted(flif_pass *ps)
{
    if (ps->mode == PASS_DECODE && ps->in->overrun > ps->max_overrun) ps->failed = 1;
    return ps->failed;
}

void flif_scan_pass(flif_pass *ps)
{
    int32_t props[SCAN_NPROPS];
    uint32_t r, c;
    for (r = 0; r < ps->h; r++) {
        uint8_t *row = ps->px + (size_t)r * ps->w;
        for (c = 0; c < ps->w; c++) {
            int32_t guess = scan_predict(ps->px, ps->w, r, c, ps->minv, ps->maxv, props);
            code_pixel(ps, &row[c], props, guess);
        }
        if (input_exhausted(ps)) return;
    }
}

static void zoom_pass(flif_pass *ps, int z, int predictor)
{
    int32_t props[INTER_NPROPS];
    flif_zoom zm;
    uint32_t r, c;
    zoom_init(&zm, ps->px, ps->w, ps->h, z);
    if (z % 2 == 0) {
        for (r = 1; r < zm.rows; r += 2) {
            for (c = 0; c < zm.cols; c++) {
                int32_t guess = inter_predict_h(&zm, r, c, predictor, ps->minv, ps->maxv, props);
                code_pixel(ps, &zm.px[(size_t)r * zm.row_step + (size_t)c * zm.col_step], props, guess);
            }
            if (input_exhausted(ps)) return;
        }
    } else {
        for (r = 0; r < zm.rows; r++) {
            for (c = 1; c < zm.cols; c += 2) {
                int32_t guess = inter_predict_v(&zm, r, c, predictor, ps->minv, ps->maxv, props);
                code_pixel(ps, &zm.px[(size_t)r * zm.row_step + (size_t)c * zm.col_step], props, guess);
            }
            if (input_exhausted(ps)) return;
        }
    }
}

int flif_best_predictor(flif_pass *ps, int z)
{
    flif_pass_mode mode = ps->mode;
    uint64_t best_cost = 0;
    int best = 0, predictor;
    ps->mode = PASS_COST;
    for (predictor = 0; predictor <= MAX_PREDICTOR; predictor++) {
        ps->cost = 0;
        zoom_pass(ps, z, predictor);
        if (predictor == 0 || ps->cost < best_cost) {
            best_cost = ps->cost;
            best = predictor;
        }
    }
    ps->mode = mode;
    return best;
}

void flif_inter_pass(flif_pass *ps, int begin, int end, int fixed_predictor)
{
    int z;
    for (z = begin; z >= end && !ps->failed; z--) {
        int predictor = fixed_predictor;
        if (predictor < 0) {
            if (ps->mode == PASS_DECODE) {
                predictor = flif_uniform_read(ps->in, 0, MAX_PREDICTOR);
            } else {
                predictor = flif_best_predictor(ps, z);
                if (ps->mode == PASS_ENCODE) flif_uniform_write(ps->out, 0, MAX_PREDICTOR, predictor);
            }
        }
        zoom_pass(ps, z, predictor);
    }
}
