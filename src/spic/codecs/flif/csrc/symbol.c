/* Initial chances of a near-zero coder context. */
#include "symbol.h"

static const uint16_t EXP_INIT[9] = {1000, 1200, 1500, 1750, 2000, 2300, 2800, 2400, 2300};
static const uint16_t MANT_INIT[10] = {1900, 1850, 1800, 1750, 1650, 1600, 1600, 2048, 2048, 2048};

void flif_ctx_init(flif_ctx *ctx)
{
    int i;
    ctx->c[CTX_ZERO] = 1000;
    ctx->c[CTX_SIGN] = 2048;
    for (i = 0; i < 9; i++) {
        ctx->c[CTX_EXP + 2 * i] = EXP_INIT[i];
        ctx->c[CTX_EXP + 2 * i + 1] = EXP_INIT[i];
    }
    for (i = 0; i < 10; i++) ctx->c[CTX_MANT + i] = MANT_INIT[i];
}
