/* Public C API of the FLIF codec for 8-bit single-channel images. */
#ifndef SPIC_FLIF_H
#define SPIC_FLIF_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

#define FLIF_ERR_LEN 160

/* What the main header (first bytes) of a FLIF file declares. */
typedef struct {
    uint32_t width, height;
    int channels;      /* 1, 3 or 4 */
    int interlaced;    /* 0 or 1 */
    int animated;      /* 0 or 1 */
    int depth_byte;    /* '0' (custom), '1' (8-bit) or '2' (16-bit) */
    size_t data_start; /* offset of the range-coded part */
} flif_header;

/* Parses the main header and skips metadata chunks. Returns 0, or -1 with `err` set. */
int flif_read_header(const uint8_t *data, size_t len, flif_header *hdr, char *err);

/* Decodes an 8-bit grayscale file into `out` (width * height bytes). With `require_crc`, a
 * file without the (optional) checksum is refused: its flag follows the pixel data, so it is
 * known only after them, but such pixels are never reported as decoded.
 * Returns 0, or -1 with `err` set (corrupt, truncated, unchecked, unsupported, out of memory). */
int flif_decode_gray(const uint8_t *data, size_t len, const flif_header *hdr, int require_crc,
                     uint8_t *out, char *err);

/* Decodes an 8-bit RGB file into `out` (width * height * 3 bytes, interleaved), `require_crc`
 * as for gray. Handles the ChannelCompact, YCoCg and Bounds transforms. Returns 0, or -1. */
int flif_decode_rgb(const uint8_t *data, size_t len, const flif_header *hdr, int require_crc,
                    uint8_t *out, char *err);

/* The error text for a file without checksum when one is required. */
#define FLIF_ERR_NO_CRC "FLIF data has no checksum, and one is required (corrupt or unchecked file)"

typedef struct {
    int interlaced;          /* 0: scanline order, 1: interlaced */
    int learn_repeats;       /* passes used to learn the MANIAC tree */
    uint64_t split_threshold;/* cost gain (1/5461 bit units) needed to split a leaf */
    int divisor;             /* node-count divisor of the tree simplification */
    int min_size;            /* smallest subtree kept by the simplification */
    int channel_compact;     /* allow the ChannelCompact transform */
} flif_encode_options;

void flif_default_options(flif_encode_options *opts);

/* Encodes an 8-bit grayscale image; appends the file to `out`. Returns 0, or -1 with `err`. */
int flif_encode_gray(const uint8_t *pixels, uint32_t width, uint32_t height,
                     const flif_encode_options *opts, flif_bytebuf *out, char *err);

/* CRC-32 (zlib polynomial) continuing from `crc`. */
uint32_t flif_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif
