/* Logistic mixing of adaptive bits in integer arithmetic (bit-exact on every platform). */
#ifndef SPIC_SLC_MIXER_H
#define SPIC_SLC_MIXER_H

#include <stdint.h>

#include "coder.h"

#define SLC_MAX_INPUTS 6      /* models plus the bias input */
#define SLC_BIAS_INPUT 256    /* the bias input's stretched value */
#define SLC_WEIGHT_ONE 65536
#define SLC_WEIGHT_LIMIT (16 * SLC_WEIGHT_ONE)
#define SLC_LEARN_SHIFT 15
#define SLC_LOGIT_LIMIT 2047

/* round(256 * ln((i + 0.5) / (4095.5 - i))), clamped to +-2047: logit of a 12-bit probability. */
extern int16_t slc_stretch[4096];
/* round(65536 / (1 + exp(-(d - 2047) / 256))), clamped to 1..65535, for d in 0..4094. */
extern uint16_t slc_squash[2 * SLC_LOGIT_LIMIT + 1];

void slc_init_mixer(void);

/* Floor division by 2^s of a signed value (an arithmetic shift, portable). */
static inline int64_t slc_asr(int64_t v, int s)
{
    return v >= 0 ? v >> s : -((-v + ((int64_t)1 << s) - 1) >> s);
}

/* Mixes the n bits in `models` with `weights` (n + 1 entries, the last for the bias),
 * codes `bit` with the mixed probability, then trains the weights and adapts every bit. */
static inline int slc_mix_code(slc_coder *c, slc_bit *const *models, int n, int32_t *weights, int bit)
{
    int32_t st[SLC_MAX_INPUTS];
    int64_t dot = 0;
    int32_t err, p16;
    int k;
    for (k = 0; k < n; k++) {
        st[k] = slc_stretch[*models[k] >> 20];
        dot += (int64_t)weights[k] * st[k];
    }
    st[n] = SLC_BIAS_INPUT;
    dot += (int64_t)weights[n] * st[n];
    dot = slc_asr(dot, 16);
    if (dot > SLC_LOGIT_LIMIT) dot = SLC_LOGIT_LIMIT;
    if (dot < -SLC_LOGIT_LIMIT) dot = -SLC_LOGIT_LIMIT;
    p16 = slc_squash[dot + SLC_LOGIT_LIMIT];
    bit = slc_code_p16(c, (uint32_t)p16, bit);
    err = (bit << 16) - p16;
    for (k = 0; k <= n; k++) {
        int64_t w = weights[k] + slc_asr((int64_t)err * st[k], SLC_LEARN_SHIFT);
        if (w > SLC_WEIGHT_LIMIT) w = SLC_WEIGHT_LIMIT;
        if (w < -SLC_WEIGHT_LIMIT) w = -SLC_WEIGHT_LIMIT;
        weights[k] = (int32_t)w;
    }
    for (k = 0; k < n; k++) slc_update(models[k], bit);
    return bit;
}

#endif
