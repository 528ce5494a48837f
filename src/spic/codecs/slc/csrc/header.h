/* Header writing and the checksum (internal to the codec). */
#ifndef SPIC_SLC_HEADER_H
#define SPIC_SLC_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

/* Writes the header, a zero placeholder for the checksum last; returns its offset.
 * `reference_id` NULL writes an intra header. */
size_t slc_write_header(flif_bytebuf *out, uint32_t width, uint32_t height, const uint32_t *reference_id);

/* CRC-32 of the header bytes before the checksum field, then the labels. */
uint32_t slc_checksum(const uint8_t *header, size_t header_len, const uint8_t *labels, size_t pixels);

#endif
