/* A growable output byte buffer. */
#ifndef SPIC_FLIF_BYTEBUF_H
#define SPIC_FLIF_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    int failed; /* set when an allocation failed; further writes are dropped */
} flif_bytebuf;

static inline void bytebuf_put(flif_bytebuf *b, uint8_t byte)
{
    if (b->len == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        uint8_t *grown;
        if (b->failed) return;
        grown = (uint8_t *)realloc(b->data, cap);
        if (!grown) { b->failed = 1; return; }
        b->data = grown;
        b->cap = cap;
    }
    b->data[b->len++] = byte;
}

#endif
