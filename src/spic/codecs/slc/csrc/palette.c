/* The palette: which of the 256 label values occur in the map. */
#include "model.h"

int slc_code_palette(slc_coder *c, uint8_t present[256])
{
    slc_bit after[2] = {SLC_BIT_INIT, SLC_BIT_INIT}; /* context: was the previous value present? */
    int count = 0, found = 0, previous = 0, coded = 0, v, i;
    if (!c->decoding)
        for (v = 0; v < 256; v++) count += present[v];
    for (i = 7; i >= 0; i--) coded |= slc_code_raw(c, ((count - 1) >> i) & 1) << i;
    count = coded + 1;
    for (v = 0; v < 256; v++) {
        int bit;
        if (found == count) bit = 0;
        else if (256 - v == count - found) bit = 1;
        else bit = slc_code(c, &after[previous], present[v]);
        present[v] = (uint8_t)bit;
        found += bit;
        previous = bit;
    }
    return count;
}
