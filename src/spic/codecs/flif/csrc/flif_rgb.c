/* FLIF decoder for 8-bit RGB files: ChannelCompact, YCoCg and Bounds transforms,
 * scanline and interlaced orders. (Encoding RGB is not supported.) */
#include "flif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maniac.h"
#include "predict.h"
#include "transform.h"

#define NPLANES 3
#define MAX_OVERRUN 4
#define MAX_TRAILING 8
#define FLIF_TR_YCOCG 1

/* ------------------------------------------------------------------ colour ranges */

typedef struct {
    int32_t lo[NPLANES], hi[NPLANES];   /* static ranges (after ChannelCompact) */
    int ycocg, par;                      /* YCoCg on top of the static ranges */
    int bounds;                          /* Bounds on top of everything */
    int32_t blo[NPLANES], bhi[NPLANES];
} rgb_ranges;

static int32_t iabs32(int32_t v) { return v < 0 ? -v : v; }

static void ycocg_minmax(int par, int p, const int32_t *pp, int32_t *mn, int32_t *mx)
{
    int32_t y = pp[0];
    if (p == 0) { *mn = 0; *mx = 4 * par - 1; return; }
    if (p == 1) {
        if (y < par - 1) { *mn = -3 - 4 * y; *mx = 3 + 4 * y; }
        else if (y >= 3 * par) { *mn = 4 * (1 + y - 4 * par); *mx = 4 * par - 4 * (1 + y - 3 * par); }
        else { *mn = -4 * par + 1; *mx = 4 * par - 1; }
        return;
    }
    {
        int32_t co = pp[1], comin, comax, a, b;
        ycocg_minmax(par, 1, pp, &comin, &comax);
        if (co < comin || co > comax) { *mn = 8 * par; *mx = -8 * par; return; }
        if (y < par - 1) {
            *mn = -(2 * y + 1);
            *mx = 1 + 2 * y - (iabs32(co) / 2) * 2;
        } else if (y >= 3 * par) {
            *mn = -(2 * (4 * par - 1 - y) - ((1 + iabs32(co)) / 2) * 2);
            *mx = 2 * (4 * par - 1 - y);
        } else {
            a = 2 * par - 1 + (y - par + 1) * 2;
            b = 2 * par + (3 * par - 1 - y) * 2 - ((1 + iabs32(co)) / 2) * 2;
            *mn = -(a < b ? a : b);
            a = -4 * par + (1 + y - 2 * par) * 2;
            b = -2 * par - (y - par) * 2 - 1 + (iabs32(co) / 2) * 2;
            *mx = -(a > b ? a : b);
        }
    }
}

static int32_t range_min(const rgb_ranges *R, int p)
{
    int32_t v = R->ycocg ? (p == 0 ? 0 : -4 * R->par + 1) : R->lo[p];
    return R->bounds && R->blo[p] > v ? R->blo[p] : v;
}

static int32_t range_max(const rgb_ranges *R, int p)
{
    int32_t v = R->ycocg ? 4 * R->par - 1 : R->hi[p];
    return R->bounds && R->bhi[p] < v ? R->bhi[p] : v;
}

/* The valid range of plane p given the earlier planes' values `pp`; clamps the guess. */
static void snap(const rgb_ranges *R, int p, const int32_t *pp, int32_t *mn, int32_t *mx, int32_t *v)
{
    if (!R->ycocg) {
        *mn = range_min(R, p);
        *mx = range_max(R, p);
    } else if (R->bounds && p == 0) {
        *mn = R->blo[0];
        *mx = R->bhi[0];
    } else {
        ycocg_minmax(R->par, p, pp, mn, mx);
        if (*mn > *mx) *mx = *mn;
        if (R->bounds) {
            if (*mn < R->blo[p]) *mn = R->blo[p];
            if (*mx > R->bhi[p]) *mx = R->bhi[p];
            if (*mn > *mx) { *mn = R->blo[p]; *mx = R->bhi[p]; }
        }
    }
    *v = clamp_range(*v, *mn, *mx);
}

/* ------------------------------------------------------------------ decoder state */

typedef struct {
    const flif_header *hdr;
    flif_rac_in rac;
    const flif_chance_table *table;
    flif_chance_table *custom;
    rgb_ranges R;
    flif_palette pal[NPLANES];
    int compact;
    int16_t *px[NPLANES];
    flif_tree trees[NPLANES];
    flif_final_coder coders[NPLANES];
    int has_tree[NPLANES], has_coder[NPLANES];
    char *err;
} rgb_dec;

static int fail(rgb_dec *d, const char *msg)
{
    snprintf(d->err, FLIF_ERR_LEN, "%s", msg);
    return -1;
}

static void release_coders(rgb_dec *d)
{
    int p;
    for (p = 0; p < NPLANES; p++) {
        if (d->has_coder[p]) flif_final_free(&d->coders[p]);
        if (d->has_tree[p]) flif_tree_free(&d->trees[p]);
        d->has_coder[p] = d->has_tree[p] = 0;
    }
}

static int nprops_scan(int p) { return SCAN_NPROPS + p; }
static int nprops_inter(int p) { return p == 0 ? 8 : p == 1 ? 10 : 9; }

static void prop_ranges(const rgb_ranges *R, int p, int interlaced, flif_range *out)
{
    int32_t mn = range_min(R, p), mx = range_max(R, p);
    int i = 0, k, pp;
    for (pp = 0; pp < p; pp++) { out[i].lo = range_min(R, pp); out[i].hi = range_max(R, pp); i++; }
    if (!interlaced) {
        out[i].lo = mn; out[i].hi = mx; i++;
        out[i].lo = 0; out[i].hi = 2; i++;
        for (k = 0; k < 5; k++) { out[i].lo = mn - mx; out[i].hi = mx - mn; i++; }
        return;
    }
    out[i].lo = 0; out[i].hi = 2; i++;
    if (p == 1 || p == 2) {
        out[i].lo = range_min(R, 0) - range_max(R, 0);
        out[i].hi = range_max(R, 0) - range_min(R, 0);
        i++;
    }
    for (k = 0; k < 4; k++) { out[i].lo = mn - mx; out[i].hi = mx - mn; i++; }
    out[i].lo = mn; out[i].hi = mx; i++;
    if (p != 2) for (k = 0; k < 2; k++) { out[i].lo = mn - mx; out[i].hi = mx - mn; i++; }
}

static int open_coder(rgb_dec *d, int p, int interlaced, int read_tree)
{
    flif_range ranges[MANIAC_MAX_PROPS];
    size_t npix = (size_t)d->hdr->width * d->hdr->height;
    size_t max_nodes = npix + 1024 < (1u << 20) ? npix + 1024 : (1u << 20);
    int n = interlaced ? nprops_inter(p) : nprops_scan(p);
    prop_ranges(&d->R, p, interlaced, ranges);
    if (read_tree) {
        int rc = flif_tree_read(&d->rac, &d->trees[p], ranges, n, max_nodes);
        d->has_tree[p] = d->trees[p].nodes != NULL;
        if (rc) return fail(d, rc == -1 ? "corrupt FLIF data: invalid MANIAC tree" : "corrupt FLIF data: MANIAC tree too large");
        if (d->rac.overrun > MAX_OVERRUN) return fail(d, "truncated FLIF data (in MANIAC tree)");
    } else {
        if (!flif_tree_init(&d->trees[p])) return fail(d, "out of memory");
        d->has_tree[p] = 1;
    }
    if (!flif_final_init(&d->coders[p], &d->trees[p], d->table)) return fail(d, "out of memory");
    d->has_coder[p] = 1;
    return 0;
}

static inline int32_t read_value(rgb_dec *d, int p, const int32_t *props, int32_t mn, int32_t mx, int32_t guess)
{
    if (mn == mx) return mn;
    return guess + flif_nz_read(&d->rac, d->table, flif_final_leaf(&d->coders[p], props), mn - guess, mx - guess);
}

/* ------------------------------------------------------------------ scanline order */

static int decode_scanlines(rgb_dec *d)
{
    const uint32_t w = d->hdr->width, h = d->hdr->height;
    int32_t props[MANIAC_MAX_PROPS];
    int p;
    for (p = 0; p < NPLANES; p++)
        if (range_min(&d->R, p) < range_max(&d->R, p) && open_coder(d, p, 0, 1)) return -1;
    for (p = 0; p < NPLANES; p++) {
        int16_t *pl = d->px[p];
        uint32_t r, c;
        int32_t fallback = range_min(&d->R, p);
        if (range_min(&d->R, p) >= range_max(&d->R, p)) {
            for (r = 0; r < w * h; r++) pl[r] = (int16_t)fallback;
            continue;
        }
        for (r = 0; r < h; r++) {
            for (c = 0; c < w; c++) {
                size_t at = (size_t)r * w + c;
                int32_t left, top, topleft, grad, guess, mn, mx, which;
                int i = 0, pp;
                for (pp = 0; pp < p; pp++) props[i++] = d->px[pp][at];
                left = c > 0 ? pl[at - 1] : (r > 0 ? pl[at - w] : fallback);
                top = r > 0 ? pl[at - w] : left;
                topleft = (r > 0 && c > 0) ? pl[at - w - 1] : (r > 0 ? top : left);
                grad = left + top - topleft;
                guess = median3(grad, left, top);
                snap(&d->R, p, props, &mn, &mx, &guess);
                which = guess == grad ? 0 : guess == left ? 1 : guess == top ? 2 : 0;
                props[i++] = guess;
                props[i++] = which;
                props[i++] = (r > 0 && c > 0) ? left - topleft : 0;
                props[i++] = (r > 0 && c > 0) ? topleft - top : 0;
                props[i++] = (r > 0 && c + 1 < w) ? top - pl[at - w + 1] : 0;
                props[i++] = r > 1 ? pl[at - 2 * (size_t)w] - top : 0;
                props[i++] = c > 1 ? pl[at - 2] - left : 0;
                pl[at] = (int16_t)read_value(d, p, props, mn, mx, guess);
            }
            if (d->rac.overrun > MAX_OVERRUN) return fail(d, "truncated FLIF data (ran out of bytes while decoding pixels)");
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ interlaced order */

#define ZAT(r, c) (((size_t)(r) << rs) * w + ((size_t)(c) << cs))

static int decode_zoomlevel(rgb_dec *d, int p, int z, int predictor)
{
    const uint32_t w = d->hdr->width, h = d->hdr->height;
    const int rs = (z + 1) / 2, cs = z / 2;
    const uint32_t rows = 1 + ((h - 1) >> rs), cols = 1 + ((w - 1) >> cs);
    const int16_t *Y = d->px[0];
    int16_t *pl = d->px[p];
    int32_t props[MANIAC_MAX_PROPS];
    const int horizontal = z % 2 == 0;
    uint32_t r, c;
    for (r = horizontal ? 1 : 0; r < rows; r += horizontal ? 2 : 1) {
        for (c = horizontal ? 0 : 1; c < cols; c += horizontal ? 1 : 2) {
            const int bottom_ok = r + 1 < rows, right_ok = c + 1 < cols;
            int32_t top, left, topleft, topright, bottomleft, bottomright, other, avg, grad, median, guess, mn, mx;
            int i = 0;
            if (p > 0) props[i++] = Y[ZAT(r, c)];
            if (p > 1) props[i++] = d->px[1][ZAT(r, c)];
            if (horizontal) {
                top = pl[ZAT(r - 1, c)];
                left = c > 0 ? pl[ZAT(r, c - 1)] : top;
                topleft = c > 0 ? pl[ZAT(r - 1, c - 1)] : top;
                topright = right_ok ? pl[ZAT(r - 1, c + 1)] : top;
                bottomleft = (bottom_ok && c > 0) ? pl[ZAT(r + 1, c - 1)] : left;
                other = bottom_ok ? pl[ZAT(r + 1, c)] : left;                 /* bottom */
                bottomright = (bottom_ok && right_ok) ? pl[ZAT(r + 1, c + 1)] : other;
                avg = (top + other) >> 1;
                grad = left + top - topleft;
                median = median3(avg, grad, left + other - bottomleft);
                props[i++] = median == avg ? 0 : median == grad ? 1 : 2;
                if (p == 1 || p == 2)
                    props[i++] = Y[ZAT(r, c)] - ((Y[ZAT(r - 1, c)] + Y[ZAT(bottom_ok ? r + 1 : r - 1, c)]) >> 1);
                guess = predictor == 0 ? avg : predictor == 1 ? median : median3(top, other, left);
                snap(&d->R, p, props, &mn, &mx, &guess);
                props[i++] = top - other;
                props[i++] = top - ((topleft + topright) >> 1);
                props[i++] = left - ((bottomleft + topleft) >> 1);
                props[i++] = other - ((bottomleft + bottomright) >> 1);
            } else {
                left = pl[ZAT(r, c - 1)];
                top = r > 0 ? pl[ZAT(r - 1, c)] : left;
                topleft = r > 0 ? pl[ZAT(r - 1, c - 1)] : left;
                topright = (r > 0 && right_ok) ? pl[ZAT(r - 1, c + 1)] : top;
                bottomleft = bottom_ok ? pl[ZAT(r + 1, c - 1)] : left;
                other = right_ok ? pl[ZAT(r, c + 1)] : top;                   /* right */
                bottomright = (bottom_ok && right_ok) ? pl[ZAT(r + 1, c + 1)] : other;
                avg = (left + other) >> 1;
                grad = left + top - topleft;
                median = median3(avg, grad, other + top - topright);
                props[i++] = median == avg ? 0 : median == grad ? 1 : 2;
                if (p == 1 || p == 2)
                    props[i++] = Y[ZAT(r, c)] - ((Y[ZAT(r, c - 1)] + Y[ZAT(r, right_ok ? c + 1 : c - 1)]) >> 1);
                guess = predictor == 0 ? avg : predictor == 1 ? median : median3(top, left, other);
                snap(&d->R, p, props, &mn, &mx, &guess);
                props[i++] = left - other;
                props[i++] = left - ((bottomleft + topleft) >> 1);
                props[i++] = top - ((topleft + topright) >> 1);
                props[i++] = other - ((bottomright + topright) >> 1);
            }
            props[i++] = guess;
            if (p != 2) {
                props[i++] = r > 1 ? pl[ZAT(r - 2, c)] - top : 0;
                props[i++] = c > 1 ? pl[ZAT(r, c - 2)] - left : 0;
            }
            pl[ZAT(r, c)] = (int16_t)read_value(d, p, props, mn, mx, guess);
        }
        if (d->rac.overrun > MAX_OVERRUN) return fail(d, "truncated FLIF data (ran out of bytes while decoding pixels)");
    }
    return 0;
}

/* The reference plane/zoomlevel schedule: chroma may lag luma by up to 2 (Co) and 4 (Cg). */
static void schedule(const rgb_ranges *R, int begin, int end, int i, int *plane)
{
    int behind[NPLANES] = {0, 2, 4}, czl[NPLANES], next = 0, p;
    if (range_min(R, 0) >= range_max(R, 0)) { behind[1] = 0; behind[2] = 1; }
    for (p = 0; p < NPLANES; p++) czl[p] = begin + 1;
    while (i >= 0) {
        czl[next]--;
        if (--i < 0) break;
        next = 0;
        for (p = 0; p < NPLANES; p++) if (czl[p] > czl[0] + behind[p]) next = p;
        while (czl[next] <= end) next = (next + 1) % NPLANES;
    }
    *plane = next;
}

static int interlaced_pass(rgb_dec *d, int begin, int end, int *zl)
{
    int default_order = flif_uniform_read(&d->rac, 0, 1), fixed[NPLANES], p, i;
    for (p = 0; p < NPLANES; p++) fixed[p] = flif_uniform_read(&d->rac, -1, MAX_PREDICTOR);
    for (i = 0; i < NPLANES * (begin - end + 1); i++) {
        int z;
        if (default_order) schedule(&d->R, begin, end, i, &p);
        else p = flif_uniform_read(&d->rac, 0, NPLANES - 1);
        z = zl[p];
        if (z < 0) return fail(d, "corrupt FLIF data: invalid plane/zoomlevel order");
        if (range_min(&d->R, p) < range_max(&d->R, p)) {
            int predictor = fixed[p] < 0 ? flif_uniform_read(&d->rac, 0, MAX_PREDICTOR) : fixed[p];
            if (decode_zoomlevel(d, p, z, predictor)) return -1;
        }
        zl[p]--;
    }
    return 0;
}

static int decode_interlaced(rgb_dec *d)
{
    const int zooms = zoom_count(d->hdr->width, d->hdr->height);
    int rough = flif_uniform_read(&d->rac, 0, zooms), zl[NPLANES], p;
    for (p = 0; p < NPLANES; p++) {
        zl[p] = zooms;
        if (range_min(&d->R, p) < range_max(&d->R, p)) {
            if (open_coder(d, p, 1, 0)) return -1;
            d->px[p][0] = (int16_t)flif_uniform_read(&d->rac, range_min(&d->R, p), range_max(&d->R, p));
        } else {
            size_t k, n = (size_t)d->hdr->width * d->hdr->height;
            for (k = 0; k < n; k++) d->px[p][k] = (int16_t)range_min(&d->R, p);
        }
    }
    if (interlaced_pass(d, zooms, rough + 1, zl)) return -1;
    release_coders(d);
    for (p = 0; p < NPLANES; p++)
        if (range_min(&d->R, p) < range_max(&d->R, p) && open_coder(d, p, 1, 1)) return -1;
    for (p = 0; p < NPLANES; p++) zl[p] = rough;
    return interlaced_pass(d, rough, 0, zl);
}

/* ------------------------------------------------------------------ header and output */

static int read_transforms(rgb_dec *d)
{
    flif_ctx ctx;
    int prev = -1, p;
    for (p = 0; p < NPLANES; p++) { d->R.lo[p] = 0; d->R.hi[p] = 255; }
    if (d->hdr->depth_byte != '1') return fail(d, "unsupported FLIF image: only 8-bit RGB is supported");
    if (flif_uniform_read(&d->rac, 0, 1)) {
        int cutoff = flif_uniform_read(&d->rac, 1, 128);
        uint32_t alpha = 0xFFFFFFFFu / (uint32_t)flif_uniform_read(&d->rac, 2, 128);
        if (flif_uniform_read(&d->rac, 0, 1)) return fail(d, "unsupported FLIF feature: custom initial bit chances");
        d->custom = (flif_chance_table *)malloc(sizeof *d->custom);
        if (!d->custom) return fail(d, "out of memory");
        flif_build_table(d->custom, cutoff, alpha);
        d->table = d->custom;
    }
    while (rac_read_bit(&d->rac)) {
        int id = flif_uniform_read(&d->rac, 0, FLIF_MAX_TRANSFORM);
        if (id <= prev) return fail(d, "corrupt FLIF data: transforms out of order");
        prev = id;
        flif_ctx_init(&ctx);
        if (id == FLIF_TR_CHANNEL_COMPACT) {
            for (p = 0; p < NPLANES; p++) {
                flif_plane_range pr = {d->R.lo[p], d->R.hi[p]};
                if (flif_compact_load(&d->rac, &ctx, &pr, &d->pal[p])) return fail(d, "corrupt FLIF data: invalid ChannelCompact palette");
                d->R.lo[p] = pr.lo;
                d->R.hi[p] = pr.hi;
            }
            d->compact = 1;
        } else if (id == FLIF_TR_YCOCG) {
            int32_t mx = d->R.hi[0];
            for (p = 0; p < NPLANES; p++) {
                if (d->R.lo[p] < 0 || d->R.lo[p] == d->R.hi[p]) return fail(d, "corrupt FLIF data: YCoCg on invalid ranges");
                if (d->R.hi[p] > mx) mx = d->R.hi[p];
            }
            d->R.ycocg = 1;
            d->R.par = mx / 4 + 1;
        } else if (id == FLIF_TR_BOUNDS) {
            for (p = 0; p < NPLANES; p++) {
                flif_plane_range pr = {range_min(&d->R, p), range_max(&d->R, p)};
                if (flif_bounds_load(&d->rac, &ctx, &pr)) return fail(d, "corrupt FLIF data: invalid Bounds");
                d->R.blo[p] = pr.lo;
                d->R.bhi[p] = pr.hi;
            }
            d->R.bounds = 1;
        } else {
            snprintf(d->err, FLIF_ERR_LEN, "unsupported FLIF transform %d (RGB decoding handles ChannelCompact, YCoCg, Bounds)", id);
            return -1;
        }
        if (d->rac.overrun > MAX_OVERRUN) return fail(d, "truncated FLIF header");
    }
    return 0;
}

static int32_t clip255(int32_t v, int32_t hi) { return v < 0 ? 0 : (v > hi ? hi : v); }

static int finish(rgb_dec *d, uint8_t *out, size_t len, int require_crc)
{
    const size_t n = (size_t)d->hdr->width * d->hdr->height;
    int16_t *P0 = d->px[0], *P1 = d->px[1], *P2 = d->px[2];
    size_t k;
    int p;
    if (d->R.ycocg) {
        for (k = 0; k < n; k++) {
            int32_t Yv = P0[k], Co = P1[k], Cg = P2[k];
            int32_t G = Yv - ((-Cg) >> 1), B = Yv + ((1 - Cg) >> 1) - (Co >> 1), Rv = Co + B;
            P0[k] = (int16_t)clip255(Rv, d->R.hi[0]);
            P1[k] = (int16_t)clip255(G, d->R.hi[1]);
            P2[k] = (int16_t)clip255(B, d->R.hi[2]);
        }
    }
    if (d->compact) {
        for (p = 0; p < NPLANES; p++)
            for (k = 0; k < n; k++) {
                int32_t v = d->px[p][k];
                d->px[p][k] = (int16_t)(v >= 0 && v < d->pal[p].count ? d->pal[p].values[v] : 0);
            }
    }
    for (k = 0; k < n; k++) {
        out[3 * k] = (uint8_t)P0[k];
        out[3 * k + 1] = (uint8_t)P1[k];
        out[3 * k + 2] = (uint8_t)P2[k];
    }
    if (flif_uniform_read(&d->rac, 0, 1)) {
        /* checksum over the planes as stored by the reference: 8-bit R, 16-bit G and B */
        uint32_t stored = (uint32_t)flif_uniform_read(&d->rac, 0, 0xFFFF) << 16, crc;
        uint8_t *tmp = (uint8_t *)malloc(2 * n);
        stored |= (uint32_t)flif_uniform_read(&d->rac, 0, 0xFFFF);
        if (!tmp) return fail(d, "out of memory");
        for (k = 0; k < n; k++) tmp[k] = (uint8_t)P0[k];
        crc = flif_crc32((d->hdr->width << 16) + d->hdr->height, tmp, n);
        for (p = 1; p < NPLANES; p++) {
            for (k = 0; k < n; k++) {
                tmp[2 * k] = (uint8_t)(d->px[p][k] & 0xFF);
                tmp[2 * k + 1] = (uint8_t)((uint16_t)d->px[p][k] >> 8);
            }
            crc = flif_crc32(crc, tmp, 2 * n);
        }
        free(tmp);
        if (d->rac.overrun > MAX_OVERRUN) return fail(d, "truncated FLIF data (checksum missing)");
        if (crc != stored) return fail(d, "corrupt FLIF data: checksum mismatch");
    } else if (d->rac.overrun > MAX_OVERRUN) {
        return fail(d, "truncated FLIF data");
    } else if (require_crc) {
        return fail(d, FLIF_ERR_NO_CRC);
    }
    if (d->rac.pos + MAX_TRAILING < len) return fail(d, "corrupt FLIF data: unused bytes after the image");
    return 0;
}

int flif_decode_rgb(const uint8_t *data, size_t len, const flif_header *hdr, int require_crc,
                    uint8_t *out, char *err)
{
    rgb_dec d;
    const size_t n = (size_t)hdr->width * hdr->height;
    int p, rc = -1;
    memset(&d, 0, sizeof d);
    d.hdr = hdr;
    d.err = err;
    d.table = flif_default_table();
    if (hdr->channels != 3 || hdr->animated) return fail(&d, "unsupported FLIF image: only RGB stills here");
    for (p = 0; p < NPLANES; p++) {
        d.px[p] = (int16_t *)calloc(n, sizeof(int16_t));
        if (!d.px[p]) { fail(&d, "out of memory"); goto done; }
    }
    rac_in_init(&d.rac, data, len, hdr->data_start);
    if (read_transforms(&d)) goto done;
    if (hdr->interlaced ? decode_interlaced(&d) : decode_scanlines(&d)) goto done;
    rc = finish(&d, out, len, require_crc);
done:
    release_coders(&d);
    for (p = 0; p < NPLANES; p++) free(d.px[p]);
    free(d.custom);
    return rc;
}
