/* Standard reflected CRC-32 (polynomial 0xEDB88320), as used by FLIF's checksum. */
#include "flif.h"

static uint32_t crc_table[256];
static int crc_ready = 0;

static void crc_init(void)
{
    uint32_t i, j;
    for (i = 0; i < 256; i++) {
        uint32_t c = i;
        for (j = 0; j < 8; j++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        crc_table[i] = c;
    }
    crc_ready = 1;
}

uint32_t flif_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    size_t i;
    if (!crc_ready) crc_init();
    crc = ~crc;
    for (i = 0; i < len; i++) crc = (crc >> 8) ^ crc_table[(crc ^ data[i]) & 0xFFu];
    return ~crc;
}
