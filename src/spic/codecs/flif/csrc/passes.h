/* Pixel traversals (scanline and interlaced) shared by decoding, encoding and learning. */
#ifndef SPIC_FLIF_PASSES_H
#define SPIC_FLIF_PASSES_H

#include <stdint.h>

#include "maniac.h"
#include "rac.h"

typedef enum {
    PASS_DECODE,   /* read values through a final coder */
    PASS_ENCODE,   /* write values through a final coder */
    PASS_LEARN,    /* feed values to a tree learner */
    PASS_COST      /* only estimate residual magnitudes (predictor choice) */
} flif_pass_mode;

typedef struct {
    flif_pass_mode mode;
    uint8_t *px;
    uint32_t w, h;
    int32_t minv, maxv;
    const flif_chance_table *table;
    flif_rac_in *in;
    flif_rac_out *out;
    flif_final_coder *coder;
    flif_learner *learner;
    uint64_t cost;
    int failed;           /* allocation failure (learning) or truncated input (decoding) */
    size_t max_overrun;   /* decoding: abort once the input is exhausted by more than this */
} flif_pass;

void flif_scan_pass(flif_pass *ps);

/* Codes zoomlevels begin..end (inclusive, descending). With `fixed_predictor` >= 0 every
 * zoomlevel uses it; otherwise the decoder reads one per zoomlevel and the encoder picks one. */
void flif_inter_pass(flif_pass *ps, int begin, int end, int fixed_predictor);

/* The encoder's predictor choice for zoomlevel z (smallest estimated residual cost). */
int flif_best_predictor(flif_pass *ps, int z);

#endif
