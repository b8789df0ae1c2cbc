/*
 * partition.h — splitting a graph into partitions.
 *
 * fusion: supported ops with one input, one output and identity shape
 * inference chain together while each intermediate tensor has exactly one
 * consumer (the next op of the chain) and is not a declared graph output;
 * every other op is a partition of its own.  debug: one op per partition.
 * Partitions come in topological order of the partition graph, ties broken
 * by the order their first op was added, so the result is deterministic.
 */
#ifndef PYGRAPH_PARTITION_PARTITION_H
#define PYGRAPH_PARTITION_PARTITION_H

#include <stddef.h>

#include "partition/graph_model.h"
#include "pygraph/pygraph.h"

typedef struct pg_partitioning {
    size_t num_partitions;
    size_t *ops;          /* op indices grouped by partition, each group in execution order */
    size_t *starts;       /* partition p owns ops[starts[p] .. starts[p + 1]) */
    size_t *partition_of; /* op index -> partition */
} pg_partitioning;

/* Whether an op can join a fused chain (decided by its schema and ports). */
int pg_op_is_chainable(const pg_op_record *op);

/* Partitions an acyclic model.  pygraph_out_of_memory (nothing to free) or
 * pygraph_success. */
pygraph_status pg_partition_model(const pg_graph_model *model, pygraph_partition_policy policy,
                                  pg_partitioning *result);

void pg_partitioning_free(pg_partitioning *partitioning);

/* The tensors (indices into model->tensors) partition `p` consumes and does
 * not produce, in op and port order without repeats (inputs), or produces
 * and lets leave it: consumed outside, not consumed at all, or a declared
 * graph output (outputs).  `tensors` has room for the port count of the
 * partition's ops; returns how many were written. */
size_t pg_partition_inputs(const pg_graph_model *model, const pg_partitioning *partitioning, size_t p,
                           size_t *tensors);
size_t pg_partition_outputs(const pg_graph_model *model, const pg_partitioning *partitioning, size_t p,
                            size_t *tensors);

#endif /* PYGRAPH_PARTITION_PARTITION_H */
