/* Chance-update tables (exponential moving average on a 12-bit probability grid). */
#include "chance.h"

#include <math.h>
#include <string.h>

uint16_t flif_cost4k[4097];
static flif_chance_table default_table;
static int tables_ready = 0;

void flif_build_table(flif_chance_table *table, int cutoff, uint32_t alpha)
{
    const int64_t one = (int64_t)1 << 32;
    const int64_t half = one / 2;
    const unsigned size = 4096;
    const unsigned max_p = size - (unsigned)cutoff;
    uint16_t *to_zero = table->next[0];
    uint16_t *to_one = table->next[1];
    int64_t p = half;
    unsigned last = 0;
    unsigned i;

    memset(table, 0, sizeof *table);
    /* walk the chain of states reached by coding only ones, starting at 1/2 */
    for (i = 0; i < size / 2; i++) {
        unsigned p8 = (unsigned)(((uint64_t)size * (uint64_t)p + (uint64_t)half) >> 32);
        if (p8 <= last) p8 = last + 1;
        if (last && last < size && p8 <= max_p) to_one[last] = (uint16_t)p8;
        p += ((one - p) * (int64_t)alpha + half) >> 32;
        last = p8;
    }
    /* fill the remaining states with one update step each */
    for (i = size - max_p; i <= max_p; i++) {
        unsigned p8;
        if (to_one[i]) continue;
        p = ((int64_t)i * one + size / 2) / size;
        p += ((one - p) * (int64_t)alpha + half) >> 32;
        p8 = (unsigned)(((uint64_t)size * (uint64_t)p + (uint64_t)half) >> 32);
        if (p8 <= i) p8 = i + 1;
        if (p8 > max_p) p8 = max_p;
        to_one[i] = (uint16_t)p8;
    }
    /* a zero moves the chance symmetrically */
    for (i = 1; i < size; i++) to_zero[i] = (uint16_t)(size - to_one[size - i]);
}

void flif_init_tables(void)
{
    int i;
    if (tables_ready) return;
    flif_build_table(&default_table, 2, 0xFFFFFFFFu / 19);
    flif_cost4k[0] = 0;
    for (i = 1; i <= 4096; i++) {
        double bits = log2(4096.0 / (double)i);
        flif_cost4k[i] = (uint16_t)floor(bits * (65535.0 / 12.0) + 0.5);
    }
    tables_ready = 1;
}

const flif_chance_table *flif_default_table(void)
{
    flif_init_tables();
    return &default_table;
}
