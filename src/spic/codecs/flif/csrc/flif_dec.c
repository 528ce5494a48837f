/* FLIF decoder for 8-bit grayscale files (scanline and interlaced). */
#include "flif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maniac.h"
#include "passes.h"
#include "predict.h"
#include "transform.h"

/* Reading at most this many bytes past the end is normal range-coder look-ahead. */
#define MAX_OVERRUN 4
/* Files may carry a few bytes of range-coder padding after the last decision. */
#define MAX_TRAILING 8

typedef struct {
    flif_tree tree;
    flif_final_coder coder;
    int has_tree, has_coder;
} coder_slot;

static void slot_free(coder_slot *s)
{
    if (s->has_coder) flif_final_free(&s->coder);
    if (s->has_tree) flif_tree_free(&s->tree);
    s->has_coder = s->has_tree = 0;
}

/* Prepares a final coder, reading its tree from the stream when `read_tree` is set. */
static int slot_open(coder_slot *s, flif_rac_in *rac, const flif_chance_table *table, const flif_range *ranges,
                     int nprops, int read_tree, size_t max_nodes, char *err)
{
    memset(s, 0, sizeof *s);
    if (read_tree) {
        int rc = flif_tree_read(rac, &s->tree, ranges, nprops, max_nodes);
        s->has_tree = s->tree.nodes != NULL;
        if (rc == -1) { snprintf(err, FLIF_ERR_LEN, "corrupt FLIF data: invalid MANIAC tree"); return -1; }
        if (rc == -2) { snprintf(err, FLIF_ERR_LEN, "corrupt FLIF data: MANIAC tree too large"); return -1; }
        if (rac->overrun > MAX_OVERRUN) { snprintf(err, FLIF_ERR_LEN, "truncated FLIF data (in MANIAC tree)"); return -1; }
    } else if (!flif_tree_init(&s->tree)) {
        snprintf(err, FLIF_ERR_LEN, "out of memory");
        return -1;
    } else {
        s->has_tree = 1;
    }
    if (!flif_final_init(&s->coder, &s->tree, table)) { snprintf(err, FLIF_ERR_LEN, "out of memory"); return -1; }
    s->has_coder = 1;
    return 0;
}

typedef struct {
    flif_plane_range range;
    flif_palette palettes[2];
    int npalettes;
    int cutoff;
    uint32_t alpha;
} dec_setup;

/* Second header: bit depth, chance parameters, transforms. */
static int read_second_header(flif_rac_in *rac, const flif_header *hdr, dec_setup *st, char *err)
{
    int prev = -1;
    flif_ctx ctx;
    st->range.lo = 0;
    st->range.hi = 255;
    st->npalettes = 0;
    st->cutoff = 2;
    st->alpha = 0xFFFFFFFFu / 19;
    if (hdr->depth_byte == '0') {
        int bits = flif_uniform_read(rac, 1, 16);
        if (bits > 8) { snprintf(err, FLIF_ERR_LEN, "unsupported FLIF bit depth %d (only up to 8)", bits); return -1; }
        st->range.hi = (1 << bits) - 1;
    }
    if (flif_uniform_read(rac, 0, 1)) {
        st->cutoff = flif_uniform_read(rac, 1, 128);
        st->alpha = 0xFFFFFFFFu / (uint32_t)flif_uniform_read(rac, 2, 128);
        if (flif_uniform_read(rac, 0, 1)) {
            snprintf(err, FLIF_ERR_LEN, "unsupported FLIF feature: custom initial bit chances");
            return -1;
        }
    }
    while (rac_read_bit(rac)) {
        int id = flif_uniform_read(rac, 0, FLIF_MAX_TRANSFORM);
        if (id <= prev) { snprintf(err, FLIF_ERR_LEN, "corrupt FLIF data: transforms out of order"); return -1; }
        prev = id;
        flif_ctx_init(&ctx);
        if (id == FLIF_TR_CHANNEL_COMPACT) {
            if (flif_compact_load(rac, &ctx, &st->range, &st->palettes[st->npalettes++])) {
                snprintf(err, FLIF_ERR_LEN, "corrupt FLIF data: invalid ChannelCompact palette");
                return -1;
            }
        } else if (id == FLIF_TR_BOUNDS) {
            if (flif_bounds_load(rac, &ctx, &st->range)) {
                snprintf(err, FLIF_ERR_LEN, "corrupt FLIF data: invalid Bounds");
                return -1;
            }
        } else {
            snprintf(err, FLIF_ERR_LEN, "unsupported FLIF transform %d for grayscale images", id);
            return -1;
        }
        if (rac->overrun > MAX_OVERRUN) { snprintf(err, FLIF_ERR_LEN, "truncated FLIF header"); return -1; }
    }
    return 0;
}

static int decode_planes(flif_rac_in *rac, const flif_header *hdr, const dec_setup *st, uint8_t *px, char *err)
{
    flif_chance_table *custom = NULL;
    const flif_chance_table *table = flif_default_table();
    const size_t npix = (size_t)hdr->width * hdr->height;
    /* a tree needs far fewer nodes than pixels; the cap bounds memory on forged input */
    const size_t max_nodes = npix + 1024 < (1u << 20) ? npix + 1024 : (1u << 20);
    flif_range ranges[MANIAC_MAX_PROPS];
    coder_slot slot;
    flif_pass ps;
    int rc = -1;

    memset(&slot, 0, sizeof slot);
    if (st->range.lo >= st->range.hi) {
        memset(px, st->range.lo, npix);
        return 0;
    }
    if (st->cutoff != 2 || st->alpha != 0xFFFFFFFFu / 19) {
        custom = (flif_chance_table *)malloc(sizeof *custom);
        if (!custom) { snprintf(err, FLIF_ERR_LEN, "out of memory"); return -1; }
        flif_build_table(custom, st->cutoff, st->alpha);
        table = custom;
    }
    memset(&ps, 0, sizeof ps);
    ps.mode = PASS_DECODE;
    ps.px = px;
    ps.w = hdr->width;
    ps.h = hdr->height;
    ps.minv = st->range.lo;
    ps.maxv = st->range.hi;
    ps.table = table;
    ps.in = rac;
    ps.max_overrun = MAX_OVERRUN;

    if (!hdr->interlaced) {
        scan_prop_ranges(ps.minv, ps.maxv, ranges);
        if (slot_open(&slot, rac, table, ranges, SCAN_NPROPS, 1, max_nodes, err)) goto done;
        ps.coder = &slot.coder;
        flif_scan_pass(&ps);
    } else {
        int zooms = zoom_count(hdr->width, hdr->height), rough, predictor;
        inter_prop_ranges(ps.minv, ps.maxv, ranges);
        rough = flif_uniform_read(rac, 0, zooms);
        /* rough zoomlevels: no tree yet, one context */
        if (slot_open(&slot, rac, table, ranges, INTER_NPROPS, 0, max_nodes, err)) goto done;
        ps.coder = &slot.coder;
        px[0] = (uint8_t)flif_uniform_read(rac, ps.minv, ps.maxv);
        flif_uniform_read(rac, 0, 1); /* default plane order: only one plane here */
        predictor = flif_uniform_read(rac, -1, MAX_PREDICTOR);
        flif_inter_pass(&ps, zooms, rough + 1, predictor);
        slot_free(&slot);
        if (ps.failed) goto truncated;
        /* remaining zoomlevels with the learned tree */
        if (slot_open(&slot, rac, table, ranges, INTER_NPROPS, 1, max_nodes, err)) goto done;
        ps.coder = &slot.coder;
        flif_uniform_read(rac, 0, 1);
        predictor = flif_uniform_read(rac, -1, MAX_PREDICTOR);
        flif_inter_pass(&ps, rough, 0, predictor);
    }
    if (ps.failed) goto truncated;
    rc = 0;
    goto done;
truncated:
    snprintf(err, FLIF_ERR_LEN, "truncated FLIF data (ran out of bytes while decoding pixels)");
done:
    slot_free(&slot);
    free(custom);
    return rc;
}

int flif_decode_gray(const uint8_t *data, size_t len, const flif_header *hdr, int require_crc,
                     uint8_t *out, char *err)
{
    flif_rac_in rac;
    dec_setup st;
    size_t npix = (size_t)hdr->width * hdr->height, i, p;

    if (hdr->channels != 1 || hdr->animated || hdr->depth_byte == '2') {
        snprintf(err, FLIF_ERR_LEN, "unsupported FLIF image: only 8-bit grayscale stills are supported");
        return -1;
    }
    rac_in_init(&rac, data, len, hdr->data_start);
    if (read_second_header(&rac, hdr, &st, err)) return -1;
    if (decode_planes(&rac, hdr, &st, out, err)) return -1;
    /* undo the transforms: palettes map indices back to values (Bounds changes nothing) */
    for (p = (size_t)st.npalettes; p-- > 0;) {
        const flif_palette *pal = &st.palettes[p];
        for (i = 0; i < npix; i++) {
            if (out[i] >= pal->count) {
                snprintf(err, FLIF_ERR_LEN, "corrupt FLIF data: palette index out of range");
                return -1;
            }
            out[i] = (uint8_t)pal->values[out[i]];
        }
    }
    if (flif_uniform_read(&rac, 0, 1)) {
        uint32_t stored = (uint32_t)flif_uniform_read(&rac, 0, 0xFFFF) << 16;
        uint32_t actual = flif_crc32((hdr->width << 16) + hdr->height, out, npix);
        stored |= (uint32_t)flif_uniform_read(&rac, 0, 0xFFFF);
        if (rac.overrun > MAX_OVERRUN) {
            snprintf(err, FLIF_ERR_LEN, "truncated FLIF data (checksum missing)");
            return -1;
        }
        if (stored != actual) {
            snprintf(err, FLIF_ERR_LEN, "corrupt FLIF data: checksum mismatch (stored %08x, decoded %08x)", stored, actual);
            return -1;
        }
    } else if (rac.overrun > MAX_OVERRUN) {
        snprintf(err, FLIF_ERR_LEN, "truncated FLIF data");
        return -1;
    } else if (require_crc) {
        snprintf(err, FLIF_ERR_LEN, FLIF_ERR_NO_CRC);
        return -1;
    }
    /* the range coder ends within a few bytes of the file end; much earlier means the
     * stream was corrupted (possibly into "no checksum") */
    if (rac.pos + MAX_TRAILING < len) {
        snprintf(err, FLIF_ERR_LEN, "corrupt FLIF data: %zu unused bytes after the image", len - rac.pos);
        return -1;
    }
    return 0;
}
