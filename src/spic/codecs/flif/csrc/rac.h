/* The 24-bit binary range coder of FLIF (decoder and encoder). */
#ifndef SPIC_FLIF_RAC_H
#define SPIC_FLIF_RAC_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

#define RAC_MIN_RANGE (1u << 16)
#define RAC_BASE_RANGE (1u << 24)

/* Scales the 12-bit probability b12 of a one to the current range (rounded). */
static inline uint32_t rac_scale12(uint32_t range, uint32_t b12)
{
    return ((((range & 0xFFFu) * b12) + 0x800u) >> 12) + (range >> 12) * b12;
}

/* ---------------------------------------------------------------- decoder */

typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
    size_t overrun; /* bytes requested past the end (read as zero) */
    uint32_t range;
    uint32_t low;
} flif_rac_in;

static inline uint32_t rac_in_byte(flif_rac_in *r)
{
    if (r->pos < r->len) return r->data[r->pos++];
    r->overrun++;
    return 0;
}

static inline void rac_in_init(flif_rac_in *r, const uint8_t *data, size_t len, size_t pos)
{
    int i;
    r->data = data;
    r->len = len;
    r->pos = pos;
    r->overrun = 0;
    r->range = RAC_BASE_RANGE;
    r->low = 0;
    for (i = 0; i < 3; i++) r->low = (r->low << 8) | rac_in_byte(r);
}

/* Decodes one bit whose probability of being one is chance/range. */
static inline int rac_get(flif_rac_in *r, uint32_t chance)
{
    int bit;
    if (r->low >= r->range - chance) {
        r->low -= r->range - chance;
        r->range = chance;
        bit = 1;
    } else {
        r->range -= chance;
        bit = 0;
    }
    while (r->range <= RAC_MIN_RANGE) {
        r->low = (r->low << 8) | rac_in_byte(r);
        r->range <<= 8;
    }
    return bit;
}

static inline int rac_read12(flif_rac_in *r, uint32_t b12)
{
    return rac_get(r, rac_scale12(r->range, b12));
}

static inline int rac_read_bit(flif_rac_in *r)
{
    return rac_get(r, r->range >> 1);
}

/* ---------------------------------------------------------------- encoder */

typedef struct {
    flif_bytebuf *out;
    uint32_t range;
    uint32_t low;     /* 24-bit window plus one carry bit */
    int have_cache;   /* whether `cache` holds a byte not yet written */
    uint8_t cache;    /* last byte, still subject to a carry */
    size_t pending;   /* 0xFF bytes after the cache, still subject to a carry */
} flif_rac_out;

static inline void rac_out_init(flif_rac_out *r, flif_bytebuf *out)
{
    r->out = out;
    r->range = RAC_BASE_RANGE;
    r->low = 0;
    r->have_cache = 0;
    r->cache = 0;
    r->pending = 0;
}

/* Moves the top byte of the window out, resolving carries. */
static inline void rac_out_shift(flif_rac_out *r)
{
    uint32_t top = r->low >> 16; /* 9 bits: carry + byte */
    if (top < 0xFF || top > 0xFF) {
        uint32_t carry = top >> 8;
        if (r->have_cache) bytebuf_put(r->out, (uint8_t)(r->cache + carry));
        for (; r->pending; r->pending--) bytebuf_put(r->out, (uint8_t)(0xFF + carry));
        r->cache = (uint8_t)(top & 0xFF);
        r->have_cache = 1;
    } else {
        r->pending++;
    }
    r->low = (r->low & 0xFFFFu) << 8;
}

static inline void rac_put(flif_rac_out *r, uint32_t chance, int bit)
{
    if (bit) {
        r->low += r->range - chance;
        r->range = chance;
    } else {
        r->range -= chance;
    }
    while (r->range <= RAC_MIN_RANGE) {
        rac_out_shift(r);
        r->range <<= 8;
    }
}

static inline void rac_write12(flif_rac_out *r, uint32_t b12, int bit)
{
    rac_put(r, rac_scale12(r->range, b12), bit);
}

static inline void rac_write_bit(flif_rac_out *r, int bit)
{
    rac_put(r, r->range >> 1, bit);
}

/* Writes the whole window so that a decoder never reads past the end. */
static inline void rac_out_flush(flif_rac_out *r)
{
    int i;
    for (i = 0; i < 4; i++) rac_out_shift(r);
}

#endif
