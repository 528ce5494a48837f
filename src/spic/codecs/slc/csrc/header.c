/* The plain-byte header: magic, version, mode, size varints, reference id, checksum. */
#include <stdio.h>
#include <string.h>

#include "flif.h"
#include "header.h"
#include "slc.h"

#define MAX_VARINT_BYTES 5

static const uint8_t MAGIC[3] = {'S', 'L', 'C'};

/* An unsigned LEB128 value of at most 5 bytes that fits 32 bits. */
static int read_varint(const uint8_t *data, size_t len, size_t *pos, uint32_t *value)
{
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < MAX_VARINT_BYTES && *pos + i < len; i++) {
        v |= (uint64_t)(data[*pos + i] & 0x7Fu) << (7 * i);
        if (data[*pos + i] < 0x80u) {
            *pos += i + 1;
            *value = (uint32_t)v;
            return v > 0xFFFFFFFFu ? -1 : 0;
        }
    }
    return -1;
}

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int slc_read_header(const uint8_t *data, size_t len, slc_header *hdr, char *err)
{
    size_t pos = 5;
    if (len < 5 || memcmp(data, MAGIC, 3) != 0) {
        snprintf(err, SLC_ERR_LEN, "not an SLC map (bad magic)");
        return -1;
    }
    if (data[3] != SLC_VERSION) {
        snprintf(err, SLC_ERR_LEN, "unsupported SLC version %d (this decoder reads %d)", data[3], SLC_VERSION);
        return -1;
    }
    if (data[4] > 1) {
        snprintf(err, SLC_ERR_LEN, "unknown SLC mode %d", data[4]);
        return -1;
    }
    hdr->inter = data[4];
    if (read_varint(data, len, &pos, &hdr->width) || read_varint(data, len, &pos, &hdr->height)) {
        snprintf(err, SLC_ERR_LEN, "truncated or invalid SLC size fields");
        return -1;
    }
    if (hdr->width == 0 || hdr->height == 0 || hdr->width > SLC_MAX_SIDE || hdr->height > SLC_MAX_SIDE) {
        snprintf(err, SLC_ERR_LEN, "invalid SLC map size %ux%u", hdr->width, hdr->height);
        return -1;
    }
    if (len - pos < (hdr->inter ? 8u : 4u)) {
        snprintf(err, SLC_ERR_LEN, "truncated SLC header");
        return -1;
    }
    hdr->reference_id = 0;
    if (hdr->inter) {
        hdr->reference_id = read_u32(data + pos);
        pos += 4;
    }
    hdr->checksum_at = pos;
    hdr->checksum = read_u32(data + pos);
    hdr->data_start = pos + 4;
    return 0;
}

static void put_varint(flif_bytebuf *out, uint32_t v)
{
    while (v >= 0x80u) {
        bytebuf_put(out, (uint8_t)(v | 0x80u));
        v >>= 7;
    }
    bytebuf_put(out, (uint8_t)v);
}

static void put_u32(flif_bytebuf *out, uint32_t v)
{
    int i;
    for (i = 0; i < 4; i++) bytebuf_put(out, (uint8_t)(v >> (8 * i)));
}

/* Writes the header and returns the checksum's offset in `out` (filled in later). */
size_t slc_write_header(flif_bytebuf *out, uint32_t width, uint32_t height, const uint32_t *reference_id)
{
    size_t at;
    int i;
    for (i = 0; i < 3; i++) bytebuf_put(out, MAGIC[i]);
    bytebuf_put(out, SLC_VERSION);
    bytebuf_put(out, reference_id ? 1 : 0);
    put_varint(out, width);
    put_varint(out, height);
    if (reference_id) put_u32(out, *reference_id);
    at = out->len;
    put_u32(out, 0);
    return at;
}

uint32_t slc_reference_id(const uint8_t *labels, uint32_t width, uint32_t height)
{
    uint8_t size[8];
    int i;
    for (i = 0; i < 4; i++) {
        size[i] = (uint8_t)(width >> (8 * i));
        size[4 + i] = (uint8_t)(height >> (8 * i));
    }
    return flif_crc32(flif_crc32(0, size, 8), labels, (size_t)width * height);
}

uint32_t slc_checksum(const uint8_t *header, size_t header_len, const uint8_t *labels, size_t pixels)
{
    return flif_crc32(flif_crc32(0, header, header_len), labels, pixels);
}
