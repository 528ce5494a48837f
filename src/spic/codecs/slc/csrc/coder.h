/* The binary coder used in both directions: FLIF's 24-bit range coder (rac.h) driven by
 * adaptive 16-bit probabilities with state-count adaptation. */
#ifndef SPIC_SLC_CODER_H
#define SPIC_SLC_CODER_H

#include <stdint.h>

#include "rac.h"

/* An adaptive bit: bits 31..10 hold the probability of a one (22 bits), bits 9..0 the
 * number of updates so far (saturating at SLC_COUNT_MAX). */
typedef uint32_t slc_bit;

#define SLC_BIT_INIT ((uint32_t)1 << 31)
#define SLC_COUNT_MAX 1023u
#define SLC_P_MIN 64u
#define SLC_P_MAX ((1u << 22) - 64u)

/* One coding direction: `decoding` selects `in` or `out`. */
typedef struct {
    int decoding;
    flif_rac_in in;
    flif_rac_out out;
} slc_coder;

/* round(65536 / (n + 1.5)): the adaptation rate after n updates. */
extern uint16_t slc_rate[SLC_COUNT_MAX + 1];

/* Codes a bit whose probability of being one is p16 / 65536 (p16 in 1..65535). */
static inline int slc_code_p16(slc_coder *c, uint32_t p16, int bit)
{
    if (c->decoding) return rac_get(&c->in, (uint32_t)(((uint64_t)c->in.range * p16) >> 16));
    rac_put(&c->out, (uint32_t)(((uint64_t)c->out.range * p16) >> 16), bit);
    return bit;
}

static inline void slc_update(slc_bit *s, int bit)
{
    uint32_t n = *s & SLC_COUNT_MAX;
    uint32_t p = *s >> 10;
    uint32_t r = slc_rate[n];
    if (bit) p += (uint32_t)(((uint64_t)((1u << 22) - p) * r) >> 16);
    else p -= (uint32_t)(((uint64_t)p * r) >> 16);
    if (p < SLC_P_MIN) p = SLC_P_MIN;
    if (p > SLC_P_MAX) p = SLC_P_MAX;
    *s = (p << 10) | (n < SLC_COUNT_MAX ? n + 1 : n);
}

/* Codes `bit` (encoder) or returns the decoded bit (decoder) with `s`, then adapts `s`. */
static inline int slc_code(slc_coder *c, slc_bit *s, int bit)
{
    bit = slc_code_p16(c, *s >> 16, bit);
    slc_update(s, bit);
    return bit;
}

/* An equiprobable bit. */
static inline int slc_code_raw(slc_coder *c, int bit)
{
    if (c->decoding) return rac_read_bit(&c->in);
    rac_write_bit(&c->out, bit);
    return bit;
}

/* Tree nodes needed for up to 256 values. */
#define SLC_TREE_NODES 512

/* Codes `value` in 0..count-1 (count <= 256) with a binary tree of adaptive bits: node 1
 * is the root, a node's children are 2n and 2n + 1, so `nodes` needs 2^(d + 1) entries
 * for a tree of depth d = ceil(log2(count)) (SLC_TREE_NODES for any count).
 * The `nexcluded` distinct values in `excluded` (fewer than count) are never the value:
 * a branch that holds only excluded values is never taken and costs no bit. Returns the
 * value (decoded, or `value` when encoding). */
int slc_code_symbol(slc_coder *c, slc_bit *nodes, int count, const int *excluded, int nexcluded, int value);

void slc_init_rates(void);

#endif
