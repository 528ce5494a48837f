/* The stretch (logit) and squash (logistic) tables of the mixer. */
#include "mixer.h"

#include <math.h>

int16_t slc_stretch[4096];
uint16_t slc_squash[2 * SLC_LOGIT_LIMIT + 1];

void slc_init_mixer(void)
{
    int i;
    for (i = 0; i < 4096; i++) {
        double v = floor(256.0 * log((i + 0.5) / (4095.5 - i)) + 0.5);
        slc_stretch[i] = (int16_t)(v > SLC_LOGIT_LIMIT ? SLC_LOGIT_LIMIT : v < -SLC_LOGIT_LIMIT ? -SLC_LOGIT_LIMIT : v);
    }
    for (i = 0; i <= 2 * SLC_LOGIT_LIMIT; i++) {
        double v = floor(65536.0 / (1.0 + exp(-(i - SLC_LOGIT_LIMIT) / 256.0)) + 0.5);
        slc_squash[i] = (uint16_t)(v < 1 ? 1 : v > 65535 ? 65535 : v);
    }
}
