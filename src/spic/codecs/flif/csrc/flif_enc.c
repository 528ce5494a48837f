/* FLIF encoder for 8-bit grayscale images: transforms, tree learning, pixel coding. */
#include "flif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maniac.h"
#include "passes.h"
#include "predict.h"
#include "transform.h"

/* Rough zoomlevels are coded before the tree is learned (as the reference encoder does). */
#define NOLEARN_ZOOMS 12

void flif_default_options(flif_encode_options *opts)
{
    opts->interlaced = 0;
    opts->learn_repeats = 4;
    opts->split_threshold = 5461u * 8u * 12u;
    opts->divisor = 30;
    opts->min_size = 50;
    opts->channel_compact = 1;
}

static void put_varint(flif_bytebuf *out, uint32_t v)
{
    uint8_t tmp[5];
    int n = 0;
    do { tmp[n++] = (uint8_t)(v & 0x7F); v >>= 7; } while (v);
    while (n-- > 1) bytebuf_put(out, (uint8_t)(tmp[n] | 0x80));
    bytebuf_put(out, tmp[0]);
}

/* Builds the ChannelCompact palette; returns whether compaction pays off. Like the
 * reference encoder, fewer than 10 values get midpoints between gaps as extra entries. */
static int build_palette(const uint8_t *px, size_t npix, flif_palette *pal)
{
    uint8_t used[256] = {0};
    int nused = 0, v, prev = 0;
    size_t i;
    for (i = 0; i < npix; i++) used[px[i]] = 1;
    for (v = 0; v < 256; v++) nused += used[v];
    pal->count = 0;
    for (v = 0; v < 256; v++) {
        if (!used[v]) continue;
        if (nused < 10 && v > prev + 1) pal->values[pal->count++] = (prev + v) / 2;
        pal->values[pal->count++] = v;
        prev = v;
    }
    return nused < 10 || nused * 10 <= 9 * 255;
}

typedef struct {
    flif_learner learner;
    int has_learner;
    flif_final_coder coder;
    int has_coder;
    flif_tree rough_tree;
    int has_rough;
} enc_state;

static void state_free(enc_state *s)
{
    if (s->has_coder) flif_final_free(&s->coder);
    if (s->has_learner) flif_learner_free(&s->learner);
    if (s->has_rough) flif_tree_free(&s->rough_tree);
}

/* Learns a tree over the given zoomlevels (or scanlines when begin < 0), writes it, and
 * codes the pixels with it. */
static int learn_and_code(flif_pass *ps, enc_state *s, const flif_encode_options *opts,
                          const flif_range *ranges, int nprops, int begin, int predictor, char *err)
{
    int rep;
    if (!flif_learner_init(&s->learner, ranges, nprops, ps->table, opts->split_threshold)) goto oom;
    s->has_learner = 1;
    ps->mode = PASS_LEARN;
    ps->learner = &s->learner;
    for (rep = 0; rep < opts->learn_repeats; rep++) {
        if (begin < 0) flif_scan_pass(ps);
        else flif_inter_pass(ps, begin, 0, predictor);
        if (ps->failed) goto oom;
    }
    flif_learner_simplify(&s->learner, opts->divisor, opts->min_size);
    if (!flif_tree_write(ps->out, &s->learner.tree, ranges, nprops)) goto oom;
    if (!flif_final_init(&s->coder, &s->learner.tree, ps->table)) goto oom;
    s->has_coder = 1;
    ps->mode = PASS_ENCODE;
    ps->coder = &s->coder;
    if (begin < 0) {
        flif_scan_pass(ps);
    } else {
        flif_uniform_write(ps->out, 0, 1, 1);
        flif_uniform_write(ps->out, -1, MAX_PREDICTOR, predictor);
        flif_inter_pass(ps, begin, 0, predictor);
    }
    return 0;
oom:
    snprintf(err, FLIF_ERR_LEN, "out of memory while encoding FLIF");
    return -1;
}

/* Picks the interlaced predictor as the reference does: best at zoomlevel 1, kept only
 * if zoomlevel 0 agrees, otherwise the plain average (0). */
static int choose_predictor(flif_pass *ps)
{
    int p1 = flif_best_predictor(ps, 1);
    if (p1 > 0 && flif_best_predictor(ps, 0) != p1) return 0;
    return p1;
}

static int encode_planes(flif_pass *ps, const flif_encode_options *opts, char *err)
{
    enc_state s;
    flif_range ranges[MANIAC_MAX_PROPS];
    int rc;
    memset(&s, 0, sizeof s);
    if (!opts->interlaced) {
        scan_prop_ranges(ps->minv, ps->maxv, ranges);
        rc = learn_and_code(ps, &s, opts, ranges, SCAN_NPROPS, -1, 0, err);
    } else {
        int zooms = zoom_count(ps->w, ps->h);
        int rough = zooms - NOLEARN_ZOOMS - 1 < 0 ? 0 : zooms - NOLEARN_ZOOMS - 1;
        int predictor = choose_predictor(ps);
        inter_prop_ranges(ps->minv, ps->maxv, ranges);
        flif_uniform_write(ps->out, 0, zooms, rough);
        if (!flif_tree_init(&s.rough_tree)) { rc = -1; snprintf(err, FLIF_ERR_LEN, "out of memory"); goto done; }
        s.has_rough = 1;
        if (!flif_final_init(&s.coder, &s.rough_tree, ps->table)) { rc = -1; snprintf(err, FLIF_ERR_LEN, "out of memory"); goto done; }
        s.has_coder = 1;
        ps->mode = PASS_ENCODE;
        ps->coder = &s.coder;
        flif_uniform_write(ps->out, ps->minv, ps->maxv, ps->px[0]);
        flif_uniform_write(ps->out, 0, 1, 1);
        flif_uniform_write(ps->out, -1, MAX_PREDICTOR, predictor);
        flif_inter_pass(ps, zooms, rough + 1, predictor);
        flif_final_free(&s.coder);
        s.has_coder = 0;
        rc = learn_and_code(ps, &s, opts, ranges, INTER_NPROPS, rough, predictor, err);
    }
done:
    state_free(&s);
    return rc;
}

int flif_encode_gray(const uint8_t *pixels, uint32_t width, uint32_t height,
                     const flif_encode_options *opts, flif_bytebuf *out, char *err)
{
    const size_t npix = (size_t)width * height;
    flif_plane_range range = {0, 255};
    flif_palette pal;
    flif_ctx ctx;
    flif_rac_out rac;
    flif_pass ps;
    uint32_t checksum;
    uint8_t *px;
    size_t i;
    int lo = 255, hi = 0, rc = 0;

    if (width == 0 || height == 0 || width > (1u << 30) || height > (1u << 30)) {
        snprintf(err, FLIF_ERR_LEN, "image size %ux%u is not encodable", width, height);
        return -1;
    }
    px = (uint8_t *)malloc(npix);
    if (!px) { snprintf(err, FLIF_ERR_LEN, "out of memory"); return -1; }
    memcpy(px, pixels, npix);
    checksum = flif_crc32((width << 16) + height, pixels, npix);

    /* main header */
    bytebuf_put(out, 'F'); bytebuf_put(out, 'L'); bytebuf_put(out, 'I'); bytebuf_put(out, 'F');
    bytebuf_put(out, (uint8_t)(' ' + 16 * (opts->interlaced ? 2 : 1) + 1));
    bytebuf_put(out, '1');
    put_varint(out, width - 1);
    put_varint(out, height - 1);
    bytebuf_put(out, 0);

    /* second header: default chance parameters, then the transforms */
    rac_out_init(&rac, out);
    flif_uniform_write(&rac, 0, 1, 0);
    if (opts->channel_compact && build_palette(px, npix, &pal)) {
        uint8_t index[256];
        int k;
        rac_write_bit(&rac, 1);
        flif_uniform_write(&rac, 0, FLIF_MAX_TRANSFORM, FLIF_TR_CHANNEL_COMPACT);
        flif_ctx_init(&ctx);
        flif_compact_save(&rac, &ctx, &range, &pal);
        for (k = 0; k < pal.count; k++) index[pal.values[k]] = (uint8_t)k;
        for (i = 0; i < npix; i++) px[i] = index[px[i]];
        range.lo = 0;
        range.hi = pal.count - 1;
    } else {
        for (i = 0; i < npix; i++) {
            if (px[i] < lo) lo = px[i];
            if (px[i] > hi) hi = px[i];
        }
        if (lo > range.lo || hi < range.hi) {
            rac_write_bit(&rac, 1);
            flif_uniform_write(&rac, 0, FLIF_MAX_TRANSFORM, FLIF_TR_BOUNDS);
            flif_ctx_init(&ctx);
            flif_bounds_save(&rac, &ctx, &range, lo, hi);
            range.lo = lo;
            range.hi = hi;
        }
    }
    rac_write_bit(&rac, 0);

    if (range.lo < range.hi) {
        memset(&ps, 0, sizeof ps);
        ps.px = px;
        ps.w = width;
        ps.h = height;
        ps.minv = range.lo;
        ps.maxv = range.hi;
        ps.table = flif_default_table();
        ps.out = &rac;
        rc = encode_planes(&ps, opts, err);
    }
    if (rc == 0) {
        flif_uniform_write(&rac, 0, 1, 1);
        flif_uniform_write(&rac, 0, 0xFFFF, (int)(checksum >> 16));
        flif_uniform_write(&rac, 0, 0xFFFF, (int)(checksum & 0xFFFF));
        rac_out_flush(&rac);
        if (out->failed) { snprintf(err, FLIF_ERR_LEN, "out of memory"); rc = -1; }
    }
    free(px);
    return rc;
}
