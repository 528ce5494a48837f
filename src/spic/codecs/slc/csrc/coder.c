/* Adaptation rates and the binarised symbol coder. */
#include "coder.h"

uint16_t slc_rate[SLC_COUNT_MAX + 1];

void slc_init_rates(void)
{
    uint32_t n;
    for (n = 0; n <= SLC_COUNT_MAX; n++) slc_rate[n] = (uint16_t)((2u * 131072u + 2u * n + 3u) / (2u * (2u * n + 3u)));
}

static int excluded_in(const int *excluded, int nexcluded, int lo, int hi)
{
    int i, k = 0;
    for (i = 0; i < nexcluded; i++) k += excluded[i] >= lo && excluded[i] < hi;
    return k;
}

int slc_code_symbol(slc_coder *c, slc_bit *nodes, int count, const int *excluded, int nexcluded, int value)
{
    int lo = 0, hi = count, node = 1;
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2, bit;
        if (excluded_in(excluded, nexcluded, lo, mid) == mid - lo) bit = 1;
        else if (excluded_in(excluded, nexcluded, mid, hi) == hi - mid) bit = 0;
        else bit = slc_code(c, &nodes[node], value >= mid);
        if (bit) lo = mid;
        else hi = mid;
        node = 2 * node + bit;
    }
    return lo;
}
