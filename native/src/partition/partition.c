/*
 * partition.c — chain fusion and partition ports.  No op kind is named
 * here: what may chain is read from the schema tables.
 */
#include "partition/partition.h"

#include <stdlib.h>
#include <string.h>

#include "schema/registry.h"

int pg_op_is_chainable(const pg_op_record *op) {
    const pg_schema *schema = op->schema;
    return schema->supported && schema->shape_inference == pg_shape_inference_identity && op->num_inputs == 1 &&
           op->num_outputs == 1;
}

void pg_partitioning_free(pg_partitioning *partitioning) {
    free(partitioning->ops);
    free(partitioning->starts);
    free(partitioning->partition_of);
    memset(partitioning, 0, sizeof *partitioning);
}

/* The op that continues op's chain, or PG_NONE. */
static size_t chain_successor(const pg_graph_model *model, size_t op) {
    const pg_op_record *record = &model->ops[op];
    if (!pg_op_is_chainable(record)) return PG_NONE;
    const pg_tensor *tensor = &model->tensors[pg_graph_model_find_tensor(model, record->outputs[0].id)];
    if (tensor->num_uses != 1 || tensor->is_marked_output) return PG_NONE;
    size_t next = model->uses[tensor->first_use].op;
    return pg_op_is_chainable(&model->ops[next]) ? next : PG_NONE;
}

pygraph_status pg_partition_model(const pg_graph_model *model, pygraph_partition_policy policy,
                                  pg_partitioning *result) {
    memset(result, 0, sizeof *result);
    size_t n = model->num_ops;
    size_t *successor = malloc((n ? n : 1) * sizeof(size_t));
    unsigned char *has_predecessor = calloc(n ? n : 1, 1);
    size_t *chain_ops = malloc((n ? n : 1) * sizeof(size_t));   /* ops grouped by chain */
    size_t *chain_start = malloc((n + 1) * sizeof(size_t));
    size_t *chain_key = malloc((n ? n : 1) * sizeof(size_t));   /* first-added op of each chain */
    size_t *pending = calloc(n ? n : 1, sizeof(size_t));        /* inputs from unfinished partitions */
    pg_min_heap heap = {.items = malloc((n ? n : 1) * sizeof(size_t)), .keys = chain_key};
    result->ops = malloc((n ? n : 1) * sizeof(size_t));
    result->starts = malloc((n + 1) * sizeof(size_t));
    result->partition_of = malloc((n ? n : 1) * sizeof(size_t));
    size_t *chain_of = result->partition_of; /* first by chain, renumbered at the end */
    if (!successor || !has_predecessor || !chain_ops || !chain_start || !chain_key || !pending || !heap.items ||
        !result->ops || !result->starts || !result->partition_of) {
        free(successor);
        free(has_predecessor);
        free(chain_ops);
        free(chain_start);
        free(chain_key);
        free(pending);
        free(heap.items);
        pg_partitioning_free(result);
        return pygraph_out_of_memory;
    }

    for (size_t op = 0; op < n; ++op) {
        successor[op] = policy == pygraph_partition_policy_fusion ? chain_successor(model, op) : PG_NONE;
        if (successor[op] != PG_NONE) has_predecessor[successor[op]] = 1;
    }
    /* Chains start at ops nobody continues; walking the successors visits
     * every op exactly once because the graph is acyclic. */
    size_t num_chains = 0, placed = 0;
    for (size_t head = 0; head < n; ++head) {
        if (has_predecessor[head]) continue;
        chain_start[num_chains] = placed;
        chain_key[num_chains] = head;
        for (size_t op = head; op != PG_NONE; op = successor[op]) {
            chain_ops[placed++] = op;
            chain_of[op] = num_chains;
            if (op < chain_key[num_chains]) chain_key[num_chains] = op;
        }
        num_chains++;
    }
    chain_start[num_chains] = placed;

    /* Kahn's algorithm over the chains; one pending count per consumed
     * port whose producer sits in another chain. */
    for (size_t op = 0; op < n; ++op) {
        const pg_op_record *record = &model->ops[op];
        for (size_t p = 0; p < record->num_inputs; ++p) {
            size_t producer = model->tensors[pg_graph_model_find_tensor(model, record->inputs[p].id)].producer;
            if (producer != PG_NONE && chain_of[producer] != chain_of[op]) pending[chain_of[op]]++;
        }
    }
    for (size_t c = 0; c < num_chains; ++c) {
        if (pending[c] == 0) pg_min_heap_push(&heap, c);
    }
    size_t *rank = successor; /* reused: chain -> position in the order */
    size_t filled = 0;
    while (heap.count > 0) {
        size_t c = pg_min_heap_pop(&heap);
        rank[c] = result->num_partitions;
        result->starts[result->num_partitions++] = filled;
        for (size_t i = chain_start[c]; i < chain_start[c + 1]; ++i) {
            size_t op = chain_ops[i];
            result->ops[filled++] = op;
            const pg_op_record *record = &model->ops[op];
            for (size_t p = 0; p < record->num_outputs; ++p) {
                const pg_tensor *tensor = &model->tensors[pg_graph_model_find_tensor(model, record->outputs[p].id)];
                for (size_t u = tensor->first_use; u != PG_NONE; u = model->uses[u].next) {
                    size_t consumer_chain = chain_of[model->uses[u].op];
                    if (consumer_chain != c && --pending[consumer_chain] == 0) {
                        pg_min_heap_push(&heap, consumer_chain);
                    }
                }
            }
        }
    }
    result->starts[result->num_partitions] = filled;
    if (filled == n) {
        for (size_t op = 0; op < n; ++op) chain_of[op] = rank[chain_of[op]];
    }

    free(successor);
    free(has_predecessor);
    free(chain_ops);
    free(chain_start);
    free(chain_key);
    free(pending);
    free(heap.items);
    /* The caller partitions finalized (acyclic) graphs only; a shortfall
     * would mean a cycle slipped through. */
    if (filled != n) {
        pg_partitioning_free(result);
        return pygraph_invalid_graph;
    }
    return pygraph_success;
}

size_t pg_partition_inputs(const pg_graph_model *model, const pg_partitioning *partitioning, size_t p,
                           size_t *tensors) {
    size_t count = 0;
    for (size_t i = partitioning->starts[p]; i < partitioning->starts[p + 1]; ++i) {
        const pg_op_record *record = &model->ops[partitioning->ops[i]];
        for (size_t port = 0; port < record->num_inputs; ++port) {
            size_t t = pg_graph_model_find_tensor(model, record->inputs[port].id);
            size_t producer = model->tensors[t].producer;
            if (producer != PG_NONE && partitioning->partition_of[producer] == p) continue;
            int seen = 0;
            for (size_t k = 0; k < count && !seen; ++k) seen = tensors[k] == t;
            if (!seen) tensors[count++] = t;
        }
    }
    return count;
}

size_t pg_partition_outputs(const pg_graph_model *model, const pg_partitioning *partitioning, size_t p,
                            size_t *tensors) {
    size_t count = 0;
    for (size_t i = partitioning->starts[p]; i < partitioning->starts[p + 1]; ++i) {
        const pg_op_record *record = &model->ops[partitioning->ops[i]];
        for (size_t port = 0; port < record->num_outputs; ++port) {
            size_t t = pg_graph_model_find_tensor(model, record->outputs[port].id);
            const pg_tensor *tensor = &model->tensors[t];
            int leaves = tensor->num_uses == 0 || tensor->is_marked_output;
            for (size_t u = tensor->first_use; u != PG_NONE && !leaves; u = model->uses[u].next) {
                leaves = partitioning->partition_of[model->uses[u].op] != p;
            }
            if (leaves) tensors[count++] = t;
        }
    }
    return count;
}
