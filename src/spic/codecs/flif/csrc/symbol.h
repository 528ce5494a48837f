/* FLIF's integer coders: the adaptive "near-zero" coder and the uniform coder. */
#ifndef SPIC_FLIF_SYMBOL_H
#define SPIC_FLIF_SYMBOL_H

#include <stdint.h>

#include "chance.h"
#include "rac.h"

/* Layout of one context: zero flag, sign, exponent bits (2 per level), mantissa bits.
 * Ten-bit magnitudes are enough for 8-bit planes (residuals, tree values, palettes). */
#define CTX_ZERO 0
#define CTX_SIGN 1
#define CTX_EXP 2
#define CTX_MANT 20
#define CTX_SIZE 30
#define CTX_MAX_ABS 1023 /* largest magnitude a context can code */

typedef struct {
    uint16_t c[CTX_SIZE];
} flif_ctx;

void flif_ctx_init(flif_ctx *ctx);

static inline int flif_ilog2(uint32_t x)
{
#if defined(__GNUC__)
    return 31 - __builtin_clz(x);
#else
    int n = 0;
    while (x >>= 1) n++;
    return n;
#endif
}

/* One coded decision of the near-zero coder: context slot and bit. */
typedef struct {
    uint8_t slot;
    uint8_t bit;
} flif_decision;

/* Decisions that code `value` in [min, max] (min <= 0 <= max, max - min <= 2 * CTX_MAX_ABS).
 * Returns how many were written to `out` (at most 2 + 9 + 9). */
static inline int flif_nz_decisions(int min, int max, int value, flif_decision *out)
{
    int n = 0, sign, a, e, amax, emax, i, have, pos;
    if (min == max) return 0;
    if (value == 0) {
        out[n].slot = CTX_ZERO; out[n++].bit = 1;
        return n;
    }
    out[n].slot = CTX_ZERO; out[n++].bit = 0;
    sign = value > 0;
    if (min < 0 && max > 0) { out[n].slot = CTX_SIGN; out[n++].bit = (uint8_t)sign; }
    a = sign ? value : -value;
    amax = sign ? max : -min;
    e = flif_ilog2((uint32_t)a);
    emax = flif_ilog2((uint32_t)amax);
    for (i = 0; i < emax; i++) {
        out[n].slot = (uint8_t)(CTX_EXP + (i << 1) + sign);
        out[n++].bit = (uint8_t)(i == e);
        if (i == e) break;
    }
    have = 1 << e;
    for (pos = e; pos > 0;) {
        int bit, minabs1;
        pos--;
        minabs1 = have | (1 << pos);
        if (minabs1 > amax) continue;
        bit = (a >> pos) & 1;
        out[n].slot = (uint8_t)(CTX_MANT + pos);
        out[n++].bit = (uint8_t)bit;
        if (bit) have = minabs1;
    }
    return n;
}

static inline int ctx_read(flif_rac_in *rac, const flif_chance_table *t, uint16_t *chance)
{
    int bit = rac_read12(rac, *chance);
    *chance = t->next[bit][*chance];
    return bit;
}

/* Decodes a value in [min, max] (min <= 0 <= max) with the near-zero coder. */
static inline int flif_nz_read(flif_rac_in *rac, const flif_chance_table *t, flif_ctx *ctx, int min, int max)
{
    int sign, amax, emax, e, have, pos;
    if (min == max) return min;
    if (ctx_read(rac, t, &ctx->c[CTX_ZERO])) return 0;
    if (min < 0) sign = max > 0 ? ctx_read(rac, t, &ctx->c[CTX_SIGN]) : 0;
    else sign = 1;
    amax = sign ? max : -min;
    emax = flif_ilog2((uint32_t)amax);
    for (e = 0; e < emax; e++)
        if (ctx_read(rac, t, &ctx->c[CTX_EXP + (e << 1) + sign])) break;
    have = 1 << e;
    for (pos = e; pos > 0;) {
        int minabs1;
        pos--;
        minabs1 = have | (1 << pos);
        if (minabs1 > amax) continue;
        if (ctx_read(rac, t, &ctx->c[CTX_MANT + pos])) have = minabs1;
    }
    return sign ? have : -have;
}

/* Encodes a value in [min, max] (min <= 0 <= max) with the near-zero coder. */
static inline void flif_nz_write(flif_rac_out *rac, const flif_chance_table *t, flif_ctx *ctx, int min, int max, int value)
{
    flif_decision d[24];
    int n = flif_nz_decisions(min, max, value, d), i;
    for (i = 0; i < n; i++) {
        uint16_t *ch = &ctx->c[d[i].slot];
        rac_write12(rac, *ch, d[i].bit);
        *ch = t->next[d[i].bit][*ch];
    }
}

/* "int2" variants shift ranges that exclude zero so that zero is always codable. */
static inline int flif_nz_read2(flif_rac_in *rac, const flif_chance_table *t, flif_ctx *ctx, int min, int max)
{
    if (min > 0) return flif_nz_read(rac, t, ctx, 0, max - min) + min;
    if (max < 0) return flif_nz_read(rac, t, ctx, min - max, 0) + max;
    return flif_nz_read(rac, t, ctx, min, max);
}

static inline void flif_nz_write2(flif_rac_out *rac, const flif_chance_table *t, flif_ctx *ctx, int min, int max, int value)
{
    if (min > 0) flif_nz_write(rac, t, ctx, 0, max - min, value - min);
    else if (max < 0) flif_nz_write(rac, t, ctx, min - max, 0, value - max);
    else flif_nz_write(rac, t, ctx, min, max, value);
}

/* Uniform coder: binary search with equiprobable bits. */
static inline int flif_uniform_read(flif_rac_in *rac, int min, int max)
{
    while (max > min) {
        int med = (max - min) / 2;
        if (rac_read_bit(rac)) min = min + med + 1;
        else max = min + med;
    }
    return min;
}

static inline void flif_uniform_write(flif_rac_out *rac, int min, int max, int value)
{
    while (max > min) {
        int med = (max - min) / 2;
        int bit = value > min + med;
        rac_write_bit(rac, bit);
        if (bit) min = min + med + 1;
        else max = min + med;
    }
}

#endif
