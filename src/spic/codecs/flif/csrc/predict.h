/* Pixel predictors and MANIAC context properties of a single 8-bit plane. */
#ifndef SPIC_FLIF_PREDICT_H
#define SPIC_FLIF_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "maniac.h"

#define SCAN_NPROPS 7
#define INTER_NPROPS 8
#define MAX_PREDICTOR 2

static inline int32_t median3(int32_t a, int32_t b, int32_t c)
{
    if (a < b) {
        if (b < c) return b;
        return a < c ? c : a;
    }
    if (a < c) return a;
    return b < c ? c : b;
}

static inline int32_t clamp_range(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Property ranges, non-interlaced: guess, which predictor, five neighbour differences. */
static inline void scan_prop_ranges(int32_t minv, int32_t maxv, flif_range *r)
{
    int i;
    r[0].lo = minv; r[0].hi = maxv;
    r[1].lo = 0; r[1].hi = 2;
    for (i = 2; i < SCAN_NPROPS; i++) { r[i].lo = minv - maxv; r[i].hi = maxv - minv; }
}

/* Property ranges, interlaced: which, four differences, guess, two differences. */
static inline void inter_prop_ranges(int32_t minv, int32_t maxv, flif_range *r)
{
    int i;
    for (i = 0; i < INTER_NPROPS; i++) { r[i].lo = minv - maxv; r[i].hi = maxv - minv; }
    r[0].lo = 0; r[0].hi = 2;
    r[5].lo = minv; r[5].hi = maxv;
}

/* Non-interlaced (scanline) prediction of pixel (r, c); fills 7 properties. */
static inline int32_t scan_predict(const uint8_t *px, size_t w, uint32_t r, uint32_t c,
                                   int32_t minv, int32_t maxv, int32_t *props)
{
    const uint8_t *row = px + (size_t)r * w;
    const uint8_t *up = row - w;
    int32_t left, top, topleft, grad, guess, which;
    if (r > 0 && c > 0) {
        left = row[c - 1];
        top = up[c];
        topleft = up[c - 1];
    } else if (r > 0) {
        left = top = topleft = up[c];
    } else {
        left = top = topleft = c > 0 ? row[c - 1] : minv;
    }
    grad = left + top - topleft;
    guess = clamp_range(median3(grad, left, top), minv, maxv);
    which = guess == grad ? 0 : guess == left ? 1 : guess == top ? 2 : 0;
    props[0] = guess;
    props[1] = which;
    props[2] = left - topleft;
    props[3] = topleft - top;
    props[4] = (r > 0 && c + 1 < w) ? top - up[c + 1] : 0;
    props[5] = r > 1 ? (int32_t)(up - w)[c] - top : 0;
    props[6] = c > 1 ? (int32_t)row[c - 2] - left : 0;
    return guess;
}

/* One zoomlevel of the interlaced (Adam-infinity) order: rows every 2^rs, columns every 2^cs. */
typedef struct {
    uint8_t *px;
    size_t w;
    size_t row_step; /* w << rs */
    size_t col_step; /* 1 << cs */
    uint32_t rows, cols;
} flif_zoom;

static inline void zoom_init(flif_zoom *zm, uint8_t *px, uint32_t w, uint32_t h, int z)
{
    int rs = (z + 1) / 2, cs = z / 2;
    zm->px = px;
    zm->w = w;
    zm->row_step = (size_t)w << rs;
    zm->col_step = (size_t)1 << cs;
    zm->rows = 1 + ((h - 1) >> rs);
    zm->cols = 1 + ((w - 1) >> cs);
}

static inline int zoom_count(uint32_t w, uint32_t h)
{
    int z = 0;
    while (((uint64_t)1 << ((z + 1) / 2)) < h || ((uint64_t)1 << (z / 2)) < w) z++;
    return z;
}

#define ZPX(zm, r, c) ((int32_t)(zm)->px[(size_t)(r) * (zm)->row_step + (size_t)(c) * (zm)->col_step])

/* Prediction for an odd row of an even zoomlevel (the rows above and below are known). */
static inline int32_t inter_predict_h(const flif_zoom *zm, uint32_t r, uint32_t c, int predictor,
                                      int32_t minv, int32_t maxv, int32_t *props)
{
    const int bottom_ok = r + 1 < zm->rows, right_ok = c + 1 < zm->cols;
    int32_t top = ZPX(zm, r - 1, c);
    int32_t left = c > 0 ? ZPX(zm, r, c - 1) : top;
    int32_t topleft = c > 0 ? ZPX(zm, r - 1, c - 1) : top;
    int32_t topright = right_ok ? ZPX(zm, r - 1, c + 1) : top;
    int32_t bottomleft = (bottom_ok && c > 0) ? ZPX(zm, r + 1, c - 1) : left;
    int32_t bottom = bottom_ok ? ZPX(zm, r + 1, c) : left;
    int32_t bottomright = (bottom_ok && right_ok) ? ZPX(zm, r + 1, c + 1) : bottom;
    int32_t avg = (top + bottom) >> 1;
    int32_t grad = left + top - topleft;
    int32_t median = median3(avg, grad, left + bottom - bottomleft);
    int32_t guess = predictor == 0 ? avg : predictor == 1 ? median : median3(top, bottom, left);
    guess = clamp_range(guess, minv, maxv);
    props[0] = median == avg ? 0 : median == grad ? 1 : 2;
    props[1] = top - bottom;
    props[2] = top - ((topleft + topright) >> 1);
    props[3] = left - ((bottomleft + topleft) >> 1);
    props[4] = bottom - ((bottomleft + bottomright) >> 1);
    props[5] = guess;
    props[6] = r > 1 ? ZPX(zm, r - 2, c) - top : 0;
    props[7] = c > 1 ? ZPX(zm, r, c - 2) - left : 0;
    return guess;
}

/* Prediction for an odd column of an odd zoomlevel (the columns left and right are known). */
static inline int32_t inter_predict_v(const flif_zoom *zm, uint32_t r, uint32_t c, int predictor,
                                      int32_t minv, int32_t maxv, int32_t *props)
{
    const int bottom_ok = r + 1 < zm->rows, right_ok = c + 1 < zm->cols;
    int32_t left = ZPX(zm, r, c - 1);
    int32_t top = r > 0 ? ZPX(zm, r - 1, c) : left;
    int32_t topleft = r > 0 ? ZPX(zm, r - 1, c - 1) : left;
    int32_t topright = (r > 0 && right_ok) ? ZPX(zm, r - 1, c + 1) : top;
    int32_t bottomleft = bottom_ok ? ZPX(zm, r + 1, c - 1) : left;
    int32_t right = right_ok ? ZPX(zm, r, c + 1) : top;
    int32_t bottomright = (bottom_ok && right_ok) ? ZPX(zm, r + 1, c + 1) : right;
    int32_t avg = (left + right) >> 1;
    int32_t grad = left + top - topleft;
    int32_t median = median3(avg, grad, right + top - topright);
    int32_t guess = predictor == 0 ? avg : predictor == 1 ? median : median3(top, left, right);
    guess = clamp_range(guess, minv, maxv);
    props[0] = median == avg ? 0 : median == grad ? 1 : 2;
    props[1] = left - right;
    props[2] = left - ((bottomleft + topleft) >> 1);
    props[3] = top - ((topleft + topright) >> 1);
    props[4] = right - ((bottomright + topright) >> 1);
    props[5] = guess;
    props[6] = r > 1 ? ZPX(zm, r - 2, c) - top : 0;
    props[7] = c > 1 ? ZPX(zm, r, c - 2) - left : 0;
    return guess;
}

#endif
