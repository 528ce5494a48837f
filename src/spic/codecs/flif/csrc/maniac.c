/* MANIAC trees: storage, coding of the tree itself, and tree learning for the encoder. */
#include "maniac.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ storage */

static int tree_reserve(flif_tree *tree, size_t extra)
{
    if (tree->len + extra > tree->cap) {
        size_t cap = tree->cap ? tree->cap * 2 : 64;
        flif_node *grown;
        while (cap < tree->len + extra) cap *= 2;
        grown = (flif_node *)realloc(tree->nodes, cap * sizeof *grown);
        if (!grown) return 0;
        tree->nodes = grown;
        tree->cap = cap;
    }
    return 1;
}

static void node_clear(flif_node *n)
{
    n->property = -1;
    n->count = 0;
    n->splitval = 0;
    n->child = 0;
    n->leaf = 0;
}

int flif_tree_init(flif_tree *tree)
{
    tree->nodes = NULL;
    tree->len = tree->cap = 0;
    if (!tree_reserve(tree, 1)) return 0;
    node_clear(&tree->nodes[0]);
    tree->len = 1;
    return 1;
}

int flif_tree_add_pair(flif_tree *tree)
{
    if (!tree_reserve(tree, 2)) return 0;
    node_clear(&tree->nodes[tree->len]);
    node_clear(&tree->nodes[tree->len + 1]);
    tree->len += 2;
    return 1;
}

void flif_tree_free(flif_tree *tree)
{
    free(tree->nodes);
    tree->nodes = NULL;
    tree->len = tree->cap = 0;
}

/* ------------------------------------------------------------------ final coder */

int flif_final_init(flif_final_coder *fc, flif_tree *tree, const flif_chance_table *table)
{
    fc->tree = tree;
    fc->table = table;
    fc->cap = tree->len + 1;
    fc->nleaves = 1;
    fc->leaves = (flif_ctx *)malloc(fc->cap * sizeof *fc->leaves);
    if (!fc->leaves) return 0;
    flif_ctx_init(&fc->leaves[0]);
    tree->nodes[0].leaf = 0;
    return 1;
}

void flif_final_free(flif_final_coder *fc)
{
    free(fc->leaves);
    fc->leaves = NULL;
}

/* ------------------------------------------------------------------ tree coding */

typedef struct {
    uint32_t node;
    int phase;
    int32_t oldlo, oldhi;
} read_frame;

int flif_tree_read(flif_rac_in *rac, flif_tree *tree, const flif_range *root_ranges, int nprops, size_t max_nodes)
{
    const flif_chance_table *t = flif_default_table();
    flif_ctx ctx[3];
    flif_range ranges[MANIAC_MAX_PROPS];
    read_frame *stack = NULL;
    size_t depth = 0, stack_cap = 0;
    int result = 0, i;

    if (nprops > MANIAC_MAX_PROPS) return -1;
    for (i = 0; i < 3; i++) flif_ctx_init(&ctx[i]);
    memcpy(ranges, root_ranges, (size_t)nprops * sizeof *ranges);
    if (!flif_tree_init(tree)) return -2;

    stack_cap = 64;
    stack = (read_frame *)malloc(stack_cap * sizeof *stack);
    if (!stack) return -2;
    stack[0].node = 0;
    stack[0].phase = 0;
    depth = 1;
    while (depth) {
        read_frame *f = &stack[depth - 1];
        flif_node *n = &tree->nodes[f->node];
        int p = n->property;
        if (f->phase == 0) {
            int32_t lo, hi, count, split;
            p = flif_nz_read2(rac, t, &ctx[0], 0, nprops) - 1;
            n->property = (int8_t)p;
            if (p == -1) { depth--; continue; }
            lo = ranges[p].lo;
            hi = ranges[p].hi;
            if (lo >= hi) { result = -1; break; }
            count = flif_nz_read2(rac, t, &ctx[1], MANIAC_MIN_COUNT, MANIAC_MAX_COUNT);
            split = flif_nz_read2(rac, t, &ctx[2], lo, hi - 1);
            if (tree->len + 2 > max_nodes) { result = -2; break; }
            if (!flif_tree_add_pair(tree)) { result = -2; break; }
            n = &tree->nodes[f->node];
            n->count = (int16_t)count;
            n->splitval = split;
            n->child = (uint32_t)(tree->len - 2);
            f->oldlo = lo;
            f->oldhi = hi;
            f->phase = 1;
            ranges[p].lo = split + 1;           /* first child: property > split */
        } else if (f->phase == 1) {
            ranges[p].lo = f->oldlo;
            ranges[p].hi = n->splitval;         /* second child: property <= split */
            f->phase = 2;
        } else {
            ranges[p].hi = f->oldhi;
            depth--;
            continue;
        }
        if (depth == stack_cap) {
            read_frame *grown = (read_frame *)realloc(stack, 2 * stack_cap * sizeof *stack);
            if (!grown) { result = -2; break; }
            stack = grown;
            stack_cap *= 2;
        }
        f = &stack[depth - 1];
        stack[depth].node = f->phase == 1 ? tree->nodes[f->node].child : tree->nodes[f->node].child + 1;
        stack[depth].phase = 0;
        depth++;
    }
    free(stack);
    return result;
}

static void write_subtree(flif_rac_out *rac, const flif_chance_table *t, flif_ctx *ctx, const flif_tree *tree,
                          uint32_t pos, flif_range *ranges, int nprops)
{
    const flif_node *n = &tree->nodes[pos];
    int p = n->property;
    flif_nz_write2(rac, t, &ctx[0], 0, nprops, p + 1);
    if (p != -1) {
        int32_t lo = ranges[p].lo, hi = ranges[p].hi;
        flif_nz_write2(rac, t, &ctx[1], MANIAC_MIN_COUNT, MANIAC_MAX_COUNT, n->count);
        flif_nz_write2(rac, t, &ctx[2], lo, hi - 1, n->splitval);
        ranges[p].lo = n->splitval + 1;
        write_subtree(rac, t, ctx, tree, n->child, ranges, nprops);
        ranges[p].lo = lo;
        ranges[p].hi = n->splitval;
        write_subtree(rac, t, ctx, tree, n->child + 1, ranges, nprops);
        ranges[p].hi = hi;
    }
}

int flif_tree_write(flif_rac_out *rac, const flif_tree *tree, const flif_range *root_ranges, int nprops)
{
    flif_ctx ctx[3];
    flif_range ranges[MANIAC_MAX_PROPS];
    int i;
    for (i = 0; i < 3; i++) flif_ctx_init(&ctx[i]);
    memcpy(ranges, root_ranges, (size_t)nprops * sizeof *ranges);
    write_subtree(rac, flif_default_table(), ctx, tree, 0, ranges, nprops);
    return !rac->out->failed;
}

/* ------------------------------------------------------------------ learning */

static int learner_grow(flif_learner *l)
{
    size_t cap = l->cap ? 2 * l->cap : 16, np = (size_t)l->nprops;
#define GROW(field, n) do { void *g = realloc(l->field, cap * (n) * sizeof *l->field); if (!g) return 0; l->field = g; } while (0)
    GROW(real, 1);
    GROW(virt, VIRT_PER_LEAF(np));
    GROW(real_size, 1);
    GROW(virt_size, np);
    GROW(prop_sum, np);
    GROW(count, 1);
    GROW(best, 1);
#undef GROW
    l->cap = cap;
    return 1;
}

static void leaf_reset_counters(flif_learner *l, size_t leaf)
{
    size_t np = (size_t)l->nprops;
    l->best[leaf] = -1;
    l->real_size[leaf] = 0;
    l->count[leaf] = 0;
    memset(&l->prop_sum[leaf * np], 0, np * sizeof *l->prop_sum);
    memset(&l->virt_size[leaf * np], 0, np * sizeof *l->virt_size);
}

static void leaf_copy(flif_learner *l, size_t dst, size_t src)
{
    size_t np = (size_t)l->nprops;
    l->real[dst] = l->real[src];
    memcpy(&l->virt[dst * VIRT_PER_LEAF(np)], &l->virt[src * VIRT_PER_LEAF(np)], VIRT_PER_LEAF(np) * sizeof *l->virt);
    l->real_size[dst] = l->real_size[src];
    memcpy(&l->virt_size[dst * np], &l->virt_size[src * np], np * sizeof *l->virt_size);
    memcpy(&l->prop_sum[dst * np], &l->prop_sum[src * np], np * sizeof *l->prop_sum);
    l->count[dst] = l->count[src];
    l->best[dst] = l->best[src];
}

int flif_learner_init(flif_learner *l, const flif_range *ranges, int nprops, const flif_chance_table *table, uint64_t split_threshold)
{
    int i;
    memset(l, 0, sizeof *l);
    l->nprops = nprops;
    memcpy(l->ranges, ranges, (size_t)nprops * sizeof *ranges);
    l->table = table;
    l->split_threshold = split_threshold;
    if (!flif_tree_init(&l->tree) || !learner_grow(l)) return 0;
    l->nleaves = 1;
    flif_ctx_init(&l->real[0]);
    {
        flif_ctx init;
        int slot;
        flif_ctx_init(&init);
        for (slot = 0; slot < CTX_SIZE; slot++)
            for (i = 0; i < 2 * nprops; i++) l->virt[(size_t)slot * 2 * (size_t)nprops + (size_t)i] = init.c[slot];
    }
    leaf_reset_counters(l, 0);
    return 1;
}

void flif_learner_free(flif_learner *l)
{
    flif_tree_free(&l->tree);
    free(l->real); free(l->virt); free(l->real_size); free(l->virt_size);
    free(l->prop_sum); free(l->count); free(l->best);
    memset(l, 0, sizeof *l);
}

static inline int32_t div_down(int64_t sum, int32_t count)
{
    if (sum >= 0) return (int32_t)(sum / count);
    return (int32_t)-((-sum + count - 1) / count);
}

/* The value range of property `prop` at node `target` (walking down from the root). */
static flif_range range_at(const flif_learner *l, const int32_t *props, uint32_t target, int prop)
{
    flif_range r = l->ranges[prop];
    uint32_t pos = 0;
    while (pos != target) {
        const flif_node *n = &l->tree.nodes[pos];
        if (props[n->property] > n->splitval) {
            if (n->property == prop) r.lo = n->splitval + 1;
            pos = n->child;
        } else {
            if (n->property == prop) r.hi = n->splitval;
            pos = n->child + 1;
        }
    }
    return r;
}

/* Finds the leaf for `props`, splitting it first when a virtual context clearly wins.
 * Returns the leaf index, or -1 on allocation failure. */
static long learner_find_leaf(flif_learner *l, const int32_t *props)
{
    size_t np = (size_t)l->nprops, leaf, new_leaf;
    uint32_t pos = 0, new_inner;
    flif_range cur;
    int32_t split;
    flif_node *n;
    int b;
    while (l->tree.nodes[pos].property != -1) {
        const flif_node *nd = &l->tree.nodes[pos];
        pos = props[nd->property] > nd->splitval ? nd->child : nd->child + 1;
    }
    leaf = l->tree.nodes[pos].leaf;
    b = l->best[leaf];
    if (b < 0 || l->real_size[leaf] <= l->virt_size[leaf * np + (size_t)b] + l->split_threshold) return (long)leaf;
    cur = range_at(l, props, pos, b);
    if (cur.lo >= cur.hi) return (long)leaf;

    split = div_down(l->prop_sum[leaf * np + (size_t)b], l->count[leaf]);
    if (split >= cur.hi) split = cur.hi - 1;
    if (split < cur.lo) split = cur.lo;
    if (l->nleaves == l->cap && !learner_grow(l)) return -1;
    new_inner = (uint32_t)l->tree.len;
    if (!flif_tree_add_pair(&l->tree)) return -1;
    n = &l->tree.nodes[pos];
    n->property = (int8_t)b;
    n->splitval = split;
    n->count = (int16_t)(l->count[leaf] < INT16_MAX ? l->count[leaf] : INT16_MAX);
    n->child = new_inner;
    leaf_reset_counters(l, leaf);
    new_leaf = l->nleaves++;
    leaf_copy(l, new_leaf, leaf);
    l->tree.nodes[new_inner].leaf = (uint32_t)leaf;
    l->tree.nodes[new_inner + 1].leaf = (uint32_t)new_leaf;
    return (long)(props[b] > split ? leaf : new_leaf);
}

int flif_learner_add(flif_learner *l, const int32_t *props, int min, int max, int value)
{
    const flif_chance_table *t = l->table;
    size_t np = (size_t)l->nprops, j;
    long found = learner_find_leaf(l, props);
    flif_decision d[24];
    uint8_t above[MANIAC_MAX_PROPS];
    uint64_t *vsize;
    int64_t *psum;
    uint16_t *virt;
    size_t leaf;
    int n, i;

    if (found < 0) return 0;
    leaf = (size_t)found;
    l->count[leaf]++;
    psum = &l->prop_sum[leaf * np];
    for (j = 0; j < np; j++) {
        psum[j] += props[j];
        /* props > floor(sum / count)  <=>  sum < props * count */
        above[j] = psum[j] < (int64_t)props[j] * l->count[leaf];
    }
    n = flif_nz_decisions(min, max, value, d);
    vsize = &l->virt_size[leaf * np];
    virt = &l->virt[leaf * VIRT_PER_LEAF(np)];
    for (i = 0; i < n; i++) {
        int slot = d[i].slot, bit = d[i].bit, best = -1;
        uint16_t *ch = &l->real[leaf].c[slot];
        uint16_t *vs = &virt[(size_t)slot * 2 * np];
        uint64_t best_size;
        l->real_size[leaf] += flif_cost4k[bit ? *ch : 4096 - *ch];
        *ch = t->next[bit][*ch];
        best_size = l->real_size[leaf];
        for (j = 0; j < np; j++) {
            uint16_t *vch = &vs[2 * j + above[j]];
            vsize[j] += flif_cost4k[bit ? *vch : 4096 - *vch];
            *vch = t->next[bit][*vch];
            if (vsize[j] < best_size) {
                best_size = vsize[j];
                best = (int)j;
            }
        }
        l->best[leaf] = (int8_t)best;
    }
    return 1;
}

static long long simplify_node(flif_learner *l, uint32_t pos, int divisor, int min_size)
{
    flif_node *n = &l->tree.nodes[pos];
    long long size;
    int count;
    if (n->property == -1) {
        int32_t c = l->count[n->leaf];
        return c == 0 ? -100 : c;
    }
    size = simplify_node(l, n->child, divisor, min_size) + simplify_node(l, n->child + 1, divisor, min_size);
    count = n->count / divisor;
    if (count > MANIAC_MAX_COUNT) count = MANIAC_MAX_COUNT;
    if (count < MANIAC_MIN_COUNT) count = MANIAC_MIN_COUNT;
    if (count > 0xF) count &= 0xFFF8;
    n->count = (int16_t)count;
    if (size < min_size) n->property = -1;
    return size;
}

void flif_learner_simplify(flif_learner *l, int divisor, int min_size)
{
    simplify_node(l, 0, divisor, min_size);
}
