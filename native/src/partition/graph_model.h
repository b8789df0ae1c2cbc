/*
 * graph_model.h — the graph's internal representation and the analyses on
 * it: which op produces and which ops consume each tensor, reachability
 * (cycle checks) and topological order.
 *
 * Growth is split in two steps so that a failed add changes nothing:
 * pg_graph_model_reserve() does every allocation the next add may need (and
 * may fail), pg_graph_model_commit_op() then cannot fail.
 */
#ifndef PYGRAPH_PARTITION_GRAPH_MODEL_H
#define PYGRAPH_PARTITION_GRAPH_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "pygraph/pygraph.h"
#include "schema/op_record.h"

/* "No index": no producer, end of a list, absent key. */
#define PG_NONE SIZE_MAX

/* Open-addressing map from a 64-bit id to an index. */
typedef struct pg_id_map {
    uint64_t *keys;
    size_t *values; /* PG_NONE marks a free slot */
    size_t capacity; /* 0 or a power of two */
    size_t count;
} pg_id_map;

/* One consuming port of a tensor; a tensor's uses form a list in the order
 * they were added. */
typedef struct pg_use {
    size_t op;
    size_t port;
    size_t next;
} pg_use;

typedef struct pg_tensor {
    /* Everything the graph's descriptions of this id say (they are all
     * compatible): the most complete description. */
    pygraph_logical_tensor desc;
    size_t producer; /* op index, or PG_NONE */
    size_t producer_port;
    size_t first_use, last_use, num_uses;
    int is_marked_output; /* set by finalize for ids given to mark_output */
} pg_tensor;

typedef struct pg_graph_model {
    pg_op_record *ops; /* in the order they were added */
    size_t num_ops, ops_capacity;
    pg_tensor *tensors;
    size_t num_tensors, tensors_capacity;
    pg_use *uses;
    size_t num_uses, uses_capacity;
    pg_id_map op_index;     /* op id -> index in ops */
    pg_id_map tensor_index; /* tensor id -> index in tensors */
} pg_graph_model;

void pg_graph_model_free(pg_graph_model *model);

size_t pg_graph_model_find_op(const pg_graph_model *model, uint64_t op_id);
size_t pg_graph_model_find_tensor(const pg_graph_model *model, uint64_t tensor_id);

/* Makes room for one more op with `new_tensors` tensors not seen before and
 * `new_uses` input ports.  0 on success, -1 when out of memory (the model
 * means the same as before). */
int pg_graph_model_reserve(pg_graph_model *model, size_t new_tensors, size_t new_uses);

/* Appends `record` (the model takes over what it owns) after a successful
 * reserve.  `merged` holds, for each port (inputs, then outputs), the
 * tensor's description after this op.  Cannot fail. */
void pg_graph_model_commit_op(pg_graph_model *model, pg_op_record *record, const pygraph_logical_tensor *merged);

/* Would adding `candidate` close a cycle?  Returns 1 and the ports involved
 * (an output of the candidate that reaches one of its inputs through the
 * existing ops, or is one of them), 0 when not, -1 when out of memory. */
int pg_graph_model_closes_cycle(const pg_graph_model *model, const pg_op_record *candidate, size_t *output_port,
                                size_t *input_port);

/* Orders the ops so that producers come before consumers, ties broken by the
 * order ops were added.  Fills order[0..n-1] and returns n; n < num_ops means
 * the graph has a cycle.  Returns PG_NONE when out of memory. */
size_t pg_graph_model_topological_order(const pg_graph_model *model, size_t *order);

/* ---- a binary min-heap of indices (shared by the orderings) ---- */
typedef struct pg_min_heap {
    size_t *items;
    size_t count;
    const size_t *keys; /* item i is ordered by keys[i] */
} pg_min_heap;

void pg_min_heap_push(pg_min_heap *heap, size_t item);
size_t pg_min_heap_pop(pg_min_heap *heap);

#endif /* PYGRAPH_PARTITION_GRAPH_MODEL_H */
