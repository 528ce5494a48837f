/* The pixel model: per pixel, binary decisions "is it candidate i?" over the distinct
 * labels of W, N, (the reference), NE and NW, then the label itself when none matches.
 * Each decision mixes context models built from label equalities around the pixel. */
#include <stdlib.h>

#include "mixer.h"
#include "model.h"

#define SLOTS 5         /* candidates per pixel */
#define CLASSES 16      /* label indices 15 and above share class contexts */
#define WEIGHT_SETS 128 /* 64 intra + 64 inter */

enum { M_TEMPLATE, M_CLASS, M_WIDE, M_REF, M_REF_CLASS, MODELS };

typedef struct {
    slc_bit fast[4][2];                         /* uniform neighbourhood: [run][inter] */
    slc_bit template_[SLOTS][4][512];           /* [slot][run][template mask] */
    slc_bit class_[SLOTS][CLASSES][CLASSES][16];/* [slot][candidate][other][mask & 15] */
    slc_bit wide[SLOTS][1 << 13];               /* [slot][wide mask] */
    slc_bit ref[SLOTS][1 << 12];                /* [slot][reference mask] */
    slc_bit ref_class[SLOTS][CLASSES][1 << 8];  /* [slot][candidate][reference class mask] */
    slc_bit first;                              /* inter: first pixel equals the reference */
    slc_bit label[CLASSES + 1][SLC_TREE_NODES]; /* no candidate matched: [class of W] */
    int32_t weights[SLOTS][WEIGHT_SETS][SLC_MAX_INPUTS];
} pixel_model;

/* The causal neighbours of a pixel, replicated across the image edges. */
typedef struct {
    int W, N, NW, NE, WW, NN, NNE, NEE, NWW, NNW, NEEE, NNEE, WWW;
} neighbours;

static void model_init(pixel_model *m)
{
    size_t i, bits = offsetof(pixel_model, weights) / sizeof(slc_bit);
    slc_bit *b = (slc_bit *)m;
    int s, k, j;
    for (i = 0; i < bits; i++) b[i] = SLC_BIT_INIT;
    for (s = 0; s < SLOTS; s++)
        for (k = 0; k < WEIGHT_SETS; k++) {
            int inputs = k < WEIGHT_SETS / 2 ? 3 : MODELS;
            for (j = 0; j < SLC_MAX_INPUTS; j++) m->weights[s][k][j] = j < inputs ? SLC_WEIGHT_ONE / inputs : 0;
        }
}

static void fetch(neighbours *n, const uint8_t *row, uint32_t x, uint32_t y, uint32_t w)
{
    if (y == 0) {
        n->W = row[x - 1];
        n->WW = x > 1 ? row[x - 2] : n->W;
        n->WWW = x > 2 ? row[x - 3] : n->WW;
        n->N = n->NW = n->NE = n->NN = n->NNE = n->NEE = n->NWW = n->NNW = n->NEEE = n->NNEE = n->W;
        return;
    }
    {
        const uint8_t *up = row - w, *up2 = y > 1 ? up - w : up;
        n->N = up[x];
        n->NW = x ? up[x - 1] : n->N;
        n->NWW = x > 1 ? up[x - 2] : n->NW;
        n->NE = x + 1 < w ? up[x + 1] : n->N;
        n->NEE = x + 2 < w ? up[x + 2] : n->NE;
        n->NEEE = x + 3 < w ? up[x + 3] : n->NEE;
        n->W = x ? row[x - 1] : n->N;
        n->WW = x > 1 ? row[x - 2] : n->W;
        n->WWW = x > 2 ? row[x - 3] : n->WW;
        n->NN = up2[x];
        n->NNW = x ? up2[x - 1] : n->NN;
        n->NNE = x + 1 < w ? up2[x + 1] : n->NN;
        n->NNEE = x + 2 < w ? up2[x + 2] : n->NNE;
    }
}

static inline uint32_t template_mask(const neighbours *n, int v)
{
    return (uint32_t)(n->N == v) | (uint32_t)(n->NW == v) << 1 | (uint32_t)(n->NE == v) << 2 |
           (uint32_t)(n->WW == v) << 3 | (uint32_t)(n->NN == v) << 4 | (uint32_t)(n->NNE == v) << 5 |
           (uint32_t)(n->NEE == v) << 6 | (uint32_t)(n->NWW == v) << 7 | (uint32_t)(n->NNW == v) << 8;
}

static inline int class_of(int v) { return v < CLASSES - 1 ? v : CLASSES - 1; }

static inline int run_class(uint32_t run) { return run < 2 ? 0 : run < 4 ? 1 : run < 16 ? 2 : 3; }

static inline int add_candidate(int *cand, int count, int v)
{
    int i;
    for (i = 0; i < count; i++)
        if (cand[i] == v) return count;
    cand[count] = v;
    return count + 1;
}

/* The reference taps of a pixel: R and its W, N, E, S, NE neighbours. */
typedef struct {
    int R, RW, RN, RE, RS, RNE;
} ref_taps;

/* Codes one pixel that has neighbours (not the first); returns its index. */
static int code_pixel(slc_coder *c, pixel_model *m, const neighbours *n, const ref_taps *r, uint32_t run, int count,
                      int value)
{
    int cand[SLOTS], ncand = 1, i;
    cand[0] = n->W;
    ncand = add_candidate(cand, ncand, n->N);
    if (r && r->R < count) ncand = add_candidate(cand, ncand, r->R);
    ncand = add_candidate(cand, ncand, n->NE);
    ncand = add_candidate(cand, ncand, n->NW);
    for (i = 0; i < ncand; i++) {
        int v = cand[i], other = v == n->W ? n->N : n->W, set, inputs = 3;
        uint32_t mask, wide;
        slc_bit *models[MODELS];
        if (i == count - 1) return v; /* every label is a candidate: the last one is implied */
        mask = template_mask(n, v);
        if (i == 0 && mask == 511 && (!r || (r->R == v && r->RE == v))) {
            if (slc_code(c, &m->fast[run_class(run)][r != NULL], value == v)) return v;
            continue;
        }
        wide = mask | (uint32_t)(n->NEEE == v) << 9 | (uint32_t)(n->NNEE == v) << 10 | (uint32_t)(n->WWW == v) << 11 |
               (uint32_t)(run >= 4) << 12;
        models[M_TEMPLATE] = &m->template_[i][run_class(run)][mask];
        models[M_CLASS] = &m->class_[i][class_of(v)][class_of(other)][mask & 15];
        models[M_WIDE] = &m->wide[i][wide];
        set = (int)(mask & 63);
        if (r) {
            uint32_t same_w = (uint32_t)(r->RW == n->W), same_n = (uint32_t)(r->RN == n->N);
            uint32_t rmask = (uint32_t)(r->R == v) | same_w << 1 | same_n << 2 | (uint32_t)(r->R == n->W) << 3 |
                             (uint32_t)(r->R == n->N) << 4 | (uint32_t)(r->RE == v) << 5 | (uint32_t)(r->RS == v) << 6 |
                             (uint32_t)(r->RNE == n->NE) << 7 | (mask & 15) << 8;
            uint32_t cmask = (uint32_t)(r->R == v) | same_w << 1 | same_n << 2 | (uint32_t)(r->RE == v) << 3 |
                             (mask & 15) << 4;
            models[M_REF] = &m->ref[i][rmask];
            models[M_REF_CLASS] = &m->ref_class[i][class_of(v)][cmask];
            set = WEIGHT_SETS / 2 + (int)((mask & 15) | (uint32_t)(r->R == v) << 4 | (same_w & same_n) << 5);
            inputs = MODELS;
        }
        if (slc_mix_code(c, models, inputs, m->weights[i][set], value == v)) return v;
    }
    return slc_code_symbol(c, m->label[class_of(n->W)], count, cand, ncand, value);
}

/* Codes the first pixel: against the reference when there is one, else as a label. */
static int code_first(slc_coder *c, pixel_model *m, const ref_taps *r, int count, int value)
{
    int cand = r ? r->R : count;
    if (cand < count && count > 1) {
        if (slc_code(c, &m->first, value == cand)) return cand;
        return slc_code_symbol(c, m->label[CLASSES], count, &cand, 1, value);
    }
    return slc_code_symbol(c, m->label[CLASSES], count, &cand, 0, value);
}

static void read_taps(ref_taps *t, const slc_reference *ref, uint32_t x, uint32_t y)
{
    slc_mv mv = ref->mvs[(y >> SLC_BLOCK_LOG) * ref->blocks_x + (x >> SLC_BLOCK_LOG)];
    int64_t rx = (int64_t)x + mv.dx, ry = (int64_t)y + mv.dy;
    uint32_t xc = slc_clamp(rx, ref->width), xw = slc_clamp(rx - 1, ref->width), xe = slc_clamp(rx + 1, ref->width);
    const uint8_t *row = ref->idx + (size_t)slc_clamp(ry, ref->height) * ref->width;
    const uint8_t *north = ref->idx + (size_t)slc_clamp(ry - 1, ref->height) * ref->width;
    const uint8_t *south = ref->idx + (size_t)slc_clamp(ry + 1, ref->height) * ref->width;
    t->R = row[xc];
    t->RW = row[xw];
    t->RE = row[xe];
    t->RN = north[xc];
    t->RS = south[xc];
    t->RNE = north[xe];
}

int slc_code_pixels(slc_coder *c, uint8_t *idx, uint32_t width, uint32_t height, int count, const slc_reference *ref)
{
    pixel_model *m = (pixel_model *)malloc(sizeof *m);
    uint32_t x, y;
    if (!m) return -1;
    model_init(m);
    for (y = 0; y < height; y++) {
        uint8_t *row = idx + (size_t)y * width;
        uint32_t run = 0;
        if (c->decoding && c->in.overrun > SLC_MAX_OVERRUN) {
            free(m);
            return -1;
        }
        for (x = 0; x < width; x++) {
            ref_taps taps;
            int v;
            if (ref) read_taps(&taps, ref, x, y);
            if (x == 0 && y == 0) {
                v = code_first(c, m, ref ? &taps : NULL, count, row[0]);
            } else {
                neighbours n;
                fetch(&n, row, x, y, width);
                v = code_pixel(c, m, &n, ref ? &taps : NULL, run, count, row[x]);
            }
            run = x && v == row[x - 1] ? run + 1 : 1;
            row[x] = (uint8_t)v;
        }
    }
    free(m);
    return 0;
}
