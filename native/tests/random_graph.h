/*
 * random_graph.h — random op graphs (deterministic from a seed) for the
 * property tests of partitioning and execution.
 *
 * A graph mixes LeakyReLU chains, branches, Wildcards with 0..3 inputs and
 * 0..2 outputs, End ops and declared outputs.  Ops are generated in a
 * topological order (inputs are graph inputs or tensors produced earlier),
 * then added to the pygraph graph in a shuffled order, with shuffled op ids,
 * so that nothing can depend on the order of add_op calls.  All tensors
 * share one data type and the shape [length].
 */
#ifndef PYGRAPH_TESTS_RANDOM_GRAPH_H
#define PYGRAPH_TESTS_RANDOM_GRAPH_H

#include "test_util.h"

enum { RG_LEAKY_RELU, RG_WILDCARD, RG_END };
#define RG_MAX_OPS 40
#define RG_MAX_TENSORS (RG_MAX_OPS * 2 + RG_MAX_OPS * 3 + 1)
#define RG_TENSOR_BASE 1000u /* tensor ids are RG_TENSOR_BASE + index */

typedef struct rg_op {
    uint64_t id;
    int kind;
    float alpha;
    size_t num_inputs, num_outputs;
    size_t inputs[3], outputs[2]; /* tensor indices */
} rg_op;

typedef struct rg_graph {
    pygraph_data_type data_type;
    int64_t length;
    size_t num_ops;
    rg_op ops[RG_MAX_OPS];
    size_t num_tensors;
    int producer[RG_MAX_TENSORS]; /* op index, or -1 for a graph input */
    int marked[RG_MAX_TENSORS];   /* declared with pygraph_graph_mark_output */
} rg_graph;

static inline uint64_t rg_tensor_id(size_t index) { return RG_TENSOR_BASE + index; }

static inline size_t rg_new_tensor(rg_graph *g, int producer) {
    size_t index = g->num_tensors++;
    REQUIRE(index < RG_MAX_TENSORS);
    g->producer[index] = producer;
    g->marked[index] = 0;
    return index;
}

/* An input for a new op: mostly the newest produced tensor (long chains),
 * sometimes any earlier tensor (branches), sometimes a fresh graph input. */
static inline size_t rg_pick_input(rg_graph *g, uint64_t *seed, size_t newest) {
    uint64_t r = tu_random(seed) % 10;
    if (g->num_tensors == 0 || r < 2) return rg_new_tensor(g, -1);
    if (r < 7 && newest != SIZE_MAX) return newest;
    return (size_t)(tu_random(seed) % g->num_tensors);
}

static inline void rg_generate(rg_graph *g, uint64_t *seed, size_t num_ops) {
    static const pygraph_data_type types[3] = {pygraph_data_type_f32, pygraph_data_type_bf16, pygraph_data_type_f16};
    static const float alphas[] = {0.01f, -0.5f, 2.0f, 0.0f, -3.0f, 0.125f, 1e-20f, 7.5f};
    REQUIRE(num_ops <= RG_MAX_OPS);
    memset(g, 0, sizeof *g);
    g->data_type = types[tu_random(seed) % 3];
    g->length = 1 + (int64_t)(tu_random(seed) % 67);
    size_t newest = SIZE_MAX;
    for (size_t i = 0; i < num_ops; i++) {
        rg_op *op = &g->ops[i];
        uint64_t r = tu_random(seed) % 10;
        op->kind = r < 7 ? RG_LEAKY_RELU : r < 9 ? RG_WILDCARD : RG_END;
        op->alpha = alphas[tu_random(seed) % (sizeof alphas / sizeof alphas[0])];
        if (op->kind == RG_LEAKY_RELU) {
            op->num_inputs = 1;
            op->num_outputs = 1;
        } else if (op->kind == RG_WILDCARD) {
            op->num_inputs = (size_t)(tu_random(seed) % 4);
            op->num_outputs = (size_t)(tu_random(seed) % 3);
        } else {
            op->num_inputs = 1;
            op->num_outputs = 0;
        }
        for (size_t k = 0; k < op->num_inputs; k++) op->inputs[k] = rg_pick_input(g, seed, newest);
        for (size_t k = 0; k < op->num_outputs; k++) op->outputs[k] = newest = rg_new_tensor(g, (int)i);
    }
    g->num_ops = num_ops;
    /* Op ids: a shuffled set, unrelated to the generation order. */
    uint64_t ids[RG_MAX_OPS];
    for (size_t i = 0; i < num_ops; i++) ids[i] = 10 + 3 * i;
    for (size_t i = num_ops; i > 1; i--) {
        size_t j = (size_t)(tu_random(seed) % i);
        uint64_t t = ids[i - 1];
        ids[i - 1] = ids[j];
        ids[j] = t;
    }
    for (size_t i = 0; i < num_ops; i++) g->ops[i].id = ids[i];
    /* A few produced tensors declared as graph outputs. */
    for (size_t t = 0; t < g->num_tensors; t++) {
        if (g->producer[t] >= 0 && tu_random(seed) % 8 == 0) g->marked[t] = 1;
    }
}

static inline pygraph_logical_tensor rg_lt(const rg_graph *g, size_t tensor) {
    return tu_lt(rg_tensor_id(tensor), g->data_type, 1, &g->length, pygraph_layout_type_strided);
}

/* Builds and finalizes the pygraph graph, adding ops in a shuffled order. */
static inline pygraph_graph *rg_build(const rg_graph *g, uint64_t *seed) {
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    size_t order[RG_MAX_OPS];
    for (size_t i = 0; i < g->num_ops; i++) order[i] = i;
    for (size_t i = g->num_ops; i > 1; i--) {
        size_t j = (size_t)(tu_random(seed) % i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    static const char *const kind_names[3] = {"LeakyReLU", "Wildcard", "End"};
    for (size_t n = 0; n < g->num_ops; n++) {
        const rg_op *op = &g->ops[order[n]];
        pygraph_op *handle = NULL;
        REQUIRE_OK(pygraph_op_create(&handle, op->id, kind_names[op->kind], NULL));
        if (op->kind == RG_LEAKY_RELU) REQUIRE_OK(pygraph_op_set_attr_f32(handle, "alpha", op->alpha));
        for (size_t k = 0; k < op->num_inputs; k++) {
            pygraph_logical_tensor lt = rg_lt(g, op->inputs[k]);
            REQUIRE_OK(pygraph_op_add_input(handle, &lt));
        }
        for (size_t k = 0; k < op->num_outputs; k++) {
            pygraph_logical_tensor lt = rg_lt(g, op->outputs[k]);
            REQUIRE_OK(pygraph_op_add_output(handle, &lt));
        }
        REQUIRE_OK(pygraph_graph_add_op(graph, handle));
        REQUIRE_OK(pygraph_op_destroy(handle));
    }
    for (size_t t = 0; t < g->num_tensors; t++) {
        if (g->marked[t]) REQUIRE_OK(pygraph_graph_mark_output(graph, rg_tensor_id(t)));
    }
    REQUIRE_OK(pygraph_graph_finalize(graph));
    return graph;
}

static inline int rg_op_index(const rg_graph *g, uint64_t op_id) {
    for (size_t i = 0; i < g->num_ops; i++) {
        if (g->ops[i].id == op_id) return (int)i;
    }
    return -1;
}

/* Number of input slots (over all ops) that read `tensor`. */
static inline size_t rg_use_count(const rg_graph *g, size_t tensor) {
    size_t uses = 0;
    for (size_t i = 0; i < g->num_ops; i++) {
        for (size_t k = 0; k < g->ops[i].num_inputs; k++) uses += g->ops[i].inputs[k] == tensor;
    }
    return uses;
}

#endif /* PYGRAPH_TESTS_RANDOM_GRAPH_H */
