/* MANIAC: context trees over pixel properties, their coding and their learning. */
#ifndef SPIC_FLIF_MANIAC_H
#define SPIC_FLIF_MANIAC_H

#include <stddef.h>
#include <stdint.h>

#include "symbol.h"

#define MANIAC_MAX_PROPS 12
#define MANIAC_MIN_COUNT 1
#define MANIAC_MAX_COUNT 512

typedef struct {
    int32_t lo, hi;
} flif_range;

/* A tree node: a leaf (property -1) or a test "property > splitval". After `count`
 * uses the node splits: children `child` (test true) and `child + 1` (false). */
typedef struct {
    int8_t property;
    int16_t count;
    int32_t splitval;
    uint32_t child;
    uint32_t leaf;
} flif_node;

typedef struct {
    flif_node *nodes;
    size_t len;
    size_t cap;
} flif_tree;

int flif_tree_init(flif_tree *tree);           /* one leaf; returns 0 on allocation failure */
int flif_tree_add_pair(flif_tree *tree);        /* appends two leaves; returns 0 on failure */
void flif_tree_free(flif_tree *tree);

/* ------------------------------------------------------------------ final coder */

/* Codes values in the leaves of a known tree (decoder, and the encoder's last pass). */
typedef struct {
    flif_tree *tree;
    flif_ctx *leaves;
    size_t nleaves;
    size_t cap;
    const flif_chance_table *table;
} flif_final_coder;

/* Takes over `tree` (node counts are consumed); returns 0 on allocation failure. */
int flif_final_init(flif_final_coder *fc, flif_tree *tree, const flif_chance_table *table);
void flif_final_free(flif_final_coder *fc);

static inline flif_ctx *flif_final_leaf(flif_final_coder *fc, const int32_t *props)
{
    flif_node *nodes = fc->tree->nodes;
    uint32_t pos = 0;
    while (nodes[pos].property != -1) {
        flif_node *n = &nodes[pos];
        if (n->count < 0) {
            pos = props[n->property] > n->splitval ? n->child : n->child + 1;
        } else if (n->count > 0) {
            n->count--;
            break;
        } else {
            uint32_t old_leaf = n->leaf, new_leaf = (uint32_t)fc->nleaves++;
            n->count--;
            fc->leaves[new_leaf] = fc->leaves[old_leaf];
            nodes[n->child].leaf = old_leaf;
            nodes[n->child + 1].leaf = new_leaf;
            return &fc->leaves[props[n->property] > n->splitval ? old_leaf : new_leaf];
        }
    }
    return &fc->leaves[nodes[pos].leaf];
}

/* ------------------------------------------------------------------ tree coding */

/* Reads a tree; returns 0 on success, -1 on invalid data, -2 when it exceeds max_nodes
 * or memory. */
int flif_tree_read(flif_rac_in *rac, flif_tree *tree, const flif_range *ranges, int nprops, size_t max_nodes);
/* Writes a tree (reachable part). Returns 0 on allocation failure. */
int flif_tree_write(flif_rac_out *rac, const flif_tree *tree, const flif_range *ranges, int nprops);

/* ------------------------------------------------------------------ learning */

#define VIRT_PER_LEAF(np) ((size_t)CTX_SIZE * 2 * (size_t)(np))

typedef struct {
    int nprops;
    flif_range ranges[MANIAC_MAX_PROPS];
    flif_tree tree;
    const flif_chance_table *table;
    uint64_t split_threshold;
    size_t nleaves, cap;
    /* per leaf */
    flif_ctx *real;
    uint16_t *virt;           /* per leaf: [slot][prop][above the running mean?] */
    uint64_t *real_size;
    uint64_t *virt_size;      /* nprops per leaf */
    int64_t *prop_sum;        /* nprops per leaf */
    int32_t *count;
    int8_t *best;
} flif_learner;

int flif_learner_init(flif_learner *l, const flif_range *ranges, int nprops, const flif_chance_table *table, uint64_t split_threshold);
void flif_learner_free(flif_learner *l);
/* Feeds one value (in [min, max]) with its properties; returns 0 on allocation failure. */
int flif_learner_add(flif_learner *l, const int32_t *props, int min, int max, int value);
/* Prunes rare subtrees and quantises the split counts; the tree is then ready to be written. */
void flif_learner_simplify(flif_learner *l, int divisor, int min_size);

#endif
