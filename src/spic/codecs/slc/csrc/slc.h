/* Public C API of SLC, the SPIC label codec: lossless, intra or inter (docs/slc.md). */
#ifndef SPIC_SLC_H
#define SPIC_SLC_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

#define SLC_ERR_LEN 160
#define SLC_VERSION 1
#define SLC_MAX_SIDE (1u << 30)

/* What the plain-byte header declares. */
typedef struct {
    uint32_t width, height;
    int inter;             /* 0: intra, 1: coded against a reference map */
    uint32_t reference_id; /* inter: slc_reference_id() of the reference */
    uint32_t checksum;     /* CRC-32 of the header bytes before it, then the labels */
    size_t checksum_at;    /* offset of the checksum field */
    size_t data_start;     /* offset of the range-coded payload */
} slc_header;

/* Tables shared by every call; call once before anything else (not thread-safe). */
void slc_init(void);

/* Parses the header. Returns 0, or -1 with `err` set. */
int slc_read_header(const uint8_t *data, size_t len, slc_header *hdr, char *err);

/* The identifier an inter map stores for its reference: CRC-32 of the width and height
 * (uint32 little-endian each), then the labels in raster order. */
uint32_t slc_reference_id(const uint8_t *labels, uint32_t width, uint32_t height);

/* Encodes a width x height map; with `reference` (same size) as an inter map whose
 * motion field is searched (`search_motion`) or all zero. Appends to `out`. Returns 0,
 * or -1 with `err` set. */
int slc_encode(const uint8_t *labels, uint32_t width, uint32_t height, const uint8_t *reference, int search_motion,
               flif_bytebuf *out, char *err);

/* Decodes into `out` (width * height bytes). An inter map needs the reference whose
 * identifier the header names (the caller checks it; the checksum catches the rest).
 * Returns 0, or -1 with `err` set (corrupt, truncated, out of memory). */
int slc_decode(const uint8_t *data, size_t len, const slc_header *hdr, const uint8_t *reference, uint8_t *out,
               char *err);

#endif
