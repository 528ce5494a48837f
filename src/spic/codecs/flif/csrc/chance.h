/* Adaptive 12-bit bit-chance tables and cost estimates for the FLIF range coder. */
#ifndef SPIC_FLIF_CHANCE_H
#define SPIC_FLIF_CHANCE_H

#include <stdint.h>

/* next[bit][chance]: the 12-bit chance after coding `bit` with `chance`. */
typedef struct {
    uint16_t next[2][4096];
} flif_chance_table;

/* Builds the update table for a cutoff and an alpha (0xFFFFFFFF / divisor). */
void flif_build_table(flif_chance_table *table, int cutoff, uint32_t alpha);

/* The default table (cutoff 2, alpha 0xFFFFFFFF / 19); built once. */
const flif_chance_table *flif_default_table(void);

/* Cost in 1/5461.25 bit units of coding a bit whose probability is x/4096 (x in 1..4096). */
extern uint16_t flif_cost4k[4097];

/* Initialises the shared tables (idempotent). */
void flif_init_tables(void);

#endif
