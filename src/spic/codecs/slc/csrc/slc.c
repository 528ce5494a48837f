/* Encoding and decoding of whole maps: header, palette, motion field, pixels, checksum. */
#include "slc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flif.h"
#include "header.h"
#include "mixer.h"
#include "model.h"

void slc_init(void)
{
    slc_init_rates();
    slc_init_mixer();
    flif_crc32(0, NULL, 0); /* builds the CRC table */
}

/* Palette indices of the labels and the inverse table; returns the palette size. */
static int build_index(const uint8_t present[256], uint8_t index[256], uint8_t values[256])
{
    int v, count = 0;
    for (v = 0; v < 256; v++) {
        index[v] = (uint8_t)count; /* for absent labels: the count so far, never used */
        if (present[v]) values[count++] = (uint8_t)v;
    }
    return count;
}

/* An inter map's reference: its palette indices and the motion field. */
typedef struct {
    uint8_t *idx;
    slc_mv *mvs;
    uint32_t blocks_y;
    slc_reference ref;
} inter_state;

static int inter_init(inter_state *s, const uint8_t *reference, uint32_t w, uint32_t h, const uint8_t present[256],
                      const uint8_t index[256], int count)
{
    size_t pixels = (size_t)w * h, i;
    uint8_t map[256];
    int v;
    s->ref.width = w;
    s->ref.height = h;
    s->ref.blocks_x = ((w - 1) >> SLC_BLOCK_LOG) + 1;
    s->blocks_y = ((h - 1) >> SLC_BLOCK_LOG) + 1;
    s->idx = (uint8_t *)malloc(pixels);
    s->mvs = (slc_mv *)calloc((size_t)s->ref.blocks_x * s->blocks_y, sizeof(slc_mv));
    if (!s->idx || !s->mvs) return -1;
    for (v = 0; v < 256; v++) map[v] = present[v] ? index[v] : (uint8_t)count;
    for (i = 0; i < pixels; i++) s->idx[i] = map[reference[i]];
    s->ref.idx = s->idx;
    s->ref.mvs = s->mvs;
    return 0;
}

static void inter_free(inter_state *s)
{
    free(s->idx);
    free(s->mvs);
}

int slc_encode(const uint8_t *labels, uint32_t width, uint32_t height, const uint8_t *reference, int search_motion,
               flif_bytebuf *out, char *err)
{
    size_t pixels = (size_t)width * height, i, checksum_at;
    uint8_t present[256] = {0}, index[256], values[256];
    uint8_t *idx = (uint8_t *)malloc(pixels);
    inter_state inter = {NULL, NULL, 0, {NULL, 0, 0, NULL, 0}};
    uint32_t reference_id = reference ? slc_reference_id(reference, width, height) : 0, crc;
    slc_coder c;
    int count, rc = -1;
    if (!idx) goto done;
    checksum_at = slc_write_header(out, width, height, reference ? &reference_id : NULL);
    for (i = 0; i < pixels; i++) present[labels[i]] = 1;
    count = build_index(present, index, values);
    for (i = 0; i < pixels; i++) idx[i] = index[labels[i]];
    memset(&c, 0, sizeof c);
    rac_out_init(&c.out, out);
    slc_code_palette(&c, present);
    if (reference) {
        if (inter_init(&inter, reference, width, height, present, index, count)) goto done;
        if (search_motion) slc_search_motion(idx, width, height, &inter.ref, inter.mvs, inter.blocks_y);
        slc_code_motion(&c, inter.mvs, inter.ref.blocks_x, inter.blocks_y);
    }
    if (slc_code_pixels(&c, idx, width, height, count, reference ? &inter.ref : NULL)) goto done;
    rac_out_flush(&c.out);
    if (out->failed) goto done;
    crc = slc_checksum(out->data, checksum_at, labels, pixels);
    for (i = 0; i < 4; i++) out->data[checksum_at + i] = (uint8_t)(crc >> (8 * i));
    rc = 0;
done:
    if (rc) snprintf(err, SLC_ERR_LEN, "out of memory while encoding an SLC map");
    inter_free(&inter);
    free(idx);
    return rc;
}

int slc_decode(const uint8_t *data, size_t len, const slc_header *hdr, const uint8_t *reference, uint8_t *out,
               char *err)
{
    size_t pixels = (size_t)hdr->width * hdr->height, i;
    uint8_t present[256], index[256], values[256];
    inter_state inter = {NULL, NULL, 0, {NULL, 0, 0, NULL, 0}};
    slc_coder c;
    int count, rc = -1;
    if (hdr->inter && !reference) {
        snprintf(err, SLC_ERR_LEN, "an inter SLC map needs its reference map");
        return -1;
    }
    memset(&c, 0, sizeof c);
    c.decoding = 1;
    rac_in_init(&c.in, data, len, hdr->data_start);
    count = slc_code_palette(&c, present);
    build_index(present, index, values);
    if (hdr->inter) {
        if (inter_init(&inter, reference, hdr->width, hdr->height, present, index, count)) {
            snprintf(err, SLC_ERR_LEN, "out of memory while decoding an SLC map");
            goto done;
        }
        slc_code_motion(&c, inter.mvs, inter.ref.blocks_x, inter.blocks_y);
    }
    memset(out, 0, pixels);
    if (slc_code_pixels(&c, out, hdr->width, hdr->height, count, hdr->inter ? &inter.ref : NULL)) {
        snprintf(err, SLC_ERR_LEN, c.in.overrun ? "truncated SLC data" : "out of memory while decoding an SLC map");
        goto done;
    }
    if (c.in.overrun || c.in.pos != len) {
        snprintf(err, SLC_ERR_LEN, c.in.overrun ? "truncated SLC data" : "corrupt SLC data (%zu unread bytes)",
                 len - c.in.pos);
        goto done;
    }
    for (i = 0; i < pixels; i++) out[i] = values[out[i]];
    if (slc_checksum(data, hdr->checksum_at, out, pixels) != hdr->checksum) {
        snprintf(err, SLC_ERR_LEN, "corrupt SLC data (checksum mismatch)");
        goto done;
    }
    rc = 0;
done:
    inter_free(&inter);
    return rc;
}
