/* The plain-byte part of a FLIF file: magic, format, size varints, metadata chunks. */
#include "flif.h"

#include <stdio.h>
#include <string.h>

#define MAX_VARINT_BYTES 5

static int read_varint(const uint8_t *data, size_t len, size_t *pos, uint64_t *value)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < MAX_VARINT_BYTES; i++) {
        uint8_t b;
        if (*pos >= len) return -1;
        b = data[(*pos)++];
        v = (v << 7) | (b & 0x7Fu);
        if (!(b & 0x80u)) { *value = v; return 0; }
    }
    return -1;
}

int flif_read_header(const uint8_t *data, size_t len, flif_header *hdr, char *err)
{
    size_t pos = 6;
    uint64_t w, h;
    int format;
    if (len < 6 || memcmp(data, "FLIF", 4) != 0) {
        snprintf(err, FLIF_ERR_LEN, "not a FLIF file (bad magic)");
        return -1;
    }
    format = data[4];
    if (format < ' ' || format > ' ' + 32 + 15 + 32) {
        snprintf(err, FLIF_ERR_LEN, "unknown FLIF format byte 0x%02x", format);
        return -1;
    }
    format -= ' ';
    hdr->animated = format > 47;
    if (hdr->animated) format -= 32;
    hdr->interlaced = format / 16 == 2;
    if (format / 16 < 1 || format / 16 > 2) {
        snprintf(err, FLIF_ERR_LEN, "unknown FLIF encoding method %d", format / 16);
        return -1;
    }
    hdr->channels = format % 16;
    if (hdr->channels != 1 && hdr->channels != 3 && hdr->channels != 4) {
        snprintf(err, FLIF_ERR_LEN, "invalid FLIF channel count %d", hdr->channels);
        return -1;
    }
    hdr->depth_byte = data[5];
    if (hdr->depth_byte < '0' || hdr->depth_byte > '2') {
        snprintf(err, FLIF_ERR_LEN, "invalid FLIF bit-depth byte 0x%02x", hdr->depth_byte);
        return -1;
    }
    if (read_varint(data, len, &pos, &w) || read_varint(data, len, &pos, &h) || w >= 0xFFFFFFFFu || h >= 0xFFFFFFFFu) {
        snprintf(err, FLIF_ERR_LEN, "truncated or invalid FLIF size fields");
        return -1;
    }
    hdr->width = (uint32_t)w + 1;
    hdr->height = (uint32_t)h + 1;
    if (hdr->width > (1u << 30) || hdr->height > (1u << 30)) {
        snprintf(err, FLIF_ERR_LEN, "FLIF image dimensions %ux%u are too large", hdr->width, hdr->height);
        return -1;
    }
    if (hdr->animated) {
        uint64_t frames;
        if (read_varint(data, len, &pos, &frames)) {
            snprintf(err, FLIF_ERR_LEN, "truncated FLIF frame count");
            return -1;
        }
    }
    /* metadata chunks: 4-letter name, varint length, content; a byte < 32 ends them */
    for (;;) {
        uint64_t clen;
        if (pos >= len) {
            snprintf(err, FLIF_ERR_LEN, "truncated FLIF header");
            return -1;
        }
        if (data[pos] < 32) {
            if (data[pos] != 0) {
                snprintf(err, FLIF_ERR_LEN, "unsupported FLIF version marker %d", data[pos]);
                return -1;
            }
            pos++;
            break;
        }
        if (len - pos < 4 || (memcmp(data + pos, "iCCP", 4) && memcmp(data + pos, "eXif", 4) && memcmp(data + pos, "eXmp", 4))) {
            snprintf(err, FLIF_ERR_LEN, "unknown or truncated FLIF metadata chunk");
            return -1;
        }
        pos += 4;
        if (read_varint(data, len, &pos, &clen) || clen > len - pos) {
            snprintf(err, FLIF_ERR_LEN, "truncated FLIF metadata chunk");
            return -1;
        }
        pos += (size_t)clen;
    }
    hdr->data_start = pos;
    return 0;
}
