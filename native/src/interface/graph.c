/*
 * graph.c — building, checking and partitioning a graph.
 *
 * add_op validates everything (the op's logical tensors, its schema, its
 * place in the graph) before it changes anything, then makes every
 * allocation the addition needs, then commits with steps that cannot fail:
 * a failed add leaves the graph exactly as it was.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interface/error.h"
#include "interface/objects.h"
#include "schema/registry.h"

pygraph_status pygraph_graph_create(pygraph_graph **graph, pygraph_engine_kind kind) {
    pg_error_clear();
    if (graph == NULL) return pg_error(pygraph_invalid_arguments, "graph_create: graph is NULL");
    *graph = NULL;
    if (kind != pygraph_engine_kind_cpu) {
        return pg_error(pygraph_unimplemented, "graph_create: engine kind %d (%s) is not available: pygraph runs on "
                        "the cpu engine only", (int)kind, pg_engine_kind_name(kind));
    }
    pygraph_graph *created = calloc(1, sizeof *created);
    if (created == NULL) return pg_error(pygraph_out_of_memory, "graph_create: out of memory");
    created->engine_kind = kind;
    *graph = created;
    return pygraph_success;
}

pygraph_status pygraph_graph_destroy(pygraph_graph *graph) {
    /* No pg_error_clear(): a destroy may run from a garbage collector
     * between a failed call and the read of its message (header). */
    if (graph != NULL) {
        pg_graph_model_free(&graph->model);
        free(graph->marked_outputs);
        free(graph);
    }
    return pygraph_success;
}

/* Port k of the op, counting inputs then outputs. */
static const pygraph_logical_tensor *port_desc(const pg_op_record *op, size_t k) {
    return k < op->num_inputs ? &op->inputs[k] : &op->outputs[k - op->num_inputs];
}

/* `input 0 (src)` / `output 0 (dst)` for port k. */
static void port_label(char *buf, size_t size, const pg_op_record *op, size_t k) {
    if (k < op->num_inputs) {
        snprintf(buf, size, "input %zu (%s)", k, pg_schema_input_name(op->schema, k));
    } else {
        size_t o = k - op->num_inputs;
        snprintf(buf, size, "output %zu (%s)", o, pg_schema_output_name(op->schema, o));
    }
}

static pygraph_status check_ports_well_formed(const pg_op_record *op) {
    for (size_t k = 0; k < op->num_inputs + op->num_outputs; ++k) {
        char label[96], context[512];
        port_label(label, sizeof label, op, k);
        snprintf(context, sizeof context, PG_OP_FMT " %s", PG_OP_ARGS(op), label);
        pygraph_status status = pg_lt_check(port_desc(op, k), context);
        if (status != pygraph_success) return status;
    }
    return pygraph_success;
}

static pygraph_status check_place_in_graph(const pygraph_graph *graph, const pg_op_record *op) {
    const pg_graph_model *model = &graph->model;
    size_t same_id = pg_graph_model_find_op(model, op->id);
    if (same_id != PG_NONE) {
        const pg_op_record *other = &model->ops[same_id];
        return pg_error(pygraph_invalid_graph, PG_OP_FMT ": op id %" PRIu64 " is already used by " PG_OP_FMT
                        " in this graph: op ids must be unique", PG_OP_ARGS(op), op->id, PG_OP_ARGS(other));
    }
    for (size_t o = 0; o < op->num_outputs; ++o) {
        uint64_t id = op->outputs[o].id;
        for (size_t earlier = 0; earlier < o; ++earlier) {
            if (op->outputs[earlier].id == id) {
                return pg_error(pygraph_invalid_graph, PG_OP_FMT ": output %zu (%s) and output %zu (%s) are both "
                                "tensor %" PRIu64 ": a tensor has one producer", PG_OP_ARGS(op), earlier,
                                pg_schema_output_name(op->schema, earlier), o, pg_schema_output_name(op->schema, o),
                                id);
            }
        }
        size_t t = pg_graph_model_find_tensor(model, id);
        if (t != PG_NONE && model->tensors[t].producer != PG_NONE) {
            const pg_op_record *producer = &model->ops[model->tensors[t].producer];
            size_t port = model->tensors[t].producer_port;
            return pg_error(pygraph_invalid_graph, PG_OP_FMT ": output %zu (%s) is tensor %" PRIu64 ", which "
                            PG_OP_FMT " already produces as output %zu (%s): a tensor has one producer",
                            PG_OP_ARGS(op), o, pg_schema_output_name(op->schema, o), id, PG_OP_ARGS(producer), port,
                            pg_schema_output_name(producer->schema, port));
        }
    }
    size_t output_port, input_port;
    int cycle = pg_graph_model_closes_cycle(model, op, &output_port, &input_port);
    if (cycle < 0) {
        return pg_error(pygraph_out_of_memory, PG_OP_FMT ": out of memory checking for cycles", PG_OP_ARGS(op));
    }
    if (cycle) {
        int self_loop = op->outputs[output_port].id == op->inputs[input_port].id;
        return pg_error(pygraph_invalid_graph, PG_OP_FMT ": output %zu (%s, tensor %" PRIu64 ") %s input %zu (%s, "
                        "tensor %" PRIu64 "): adding the op would close a cycle", PG_OP_ARGS(op), output_port,
                        pg_schema_output_name(op->schema, output_port), op->outputs[output_port].id,
                        self_loop ? "is also its" : "feeds back into its", input_port,
                        pg_schema_input_name(op->schema, input_port), op->inputs[input_port].id);
    }
    return pygraph_success;
}

/* Checks every port's description against what the graph (and the op's
 * earlier ports) already say about that tensor id, and fills merged[k]
 * with the description of port k's tensor once the op is added.  Counts
 * the tensor ids the graph has not seen. */
static pygraph_status merge_descriptions(const pg_graph_model *model, const pg_op_record *op,
                                         pygraph_logical_tensor *merged, size_t *new_tensors) {
    size_t num_ports = op->num_inputs + op->num_outputs;
    *new_tensors = 0;
    for (size_t k = 0; k < num_ports; ++k) {
        const pygraph_logical_tensor *desc = port_desc(op, k);
        const pygraph_logical_tensor *before = NULL;
        for (size_t j = k; j-- > 0 && before == NULL;) {
            if (port_desc(op, j)->id == desc->id) before = &merged[j];
        }
        if (before == NULL) {
            size_t t = pg_graph_model_find_tensor(model, desc->id);
            if (t != PG_NONE) {
                before = &model->tensors[t].desc;
            } else {
                ++*new_tensors;
            }
        }
        merged[k] = *desc;
        if (before == NULL) continue;
        char why[400];
        if (!pg_lt_compatible(desc, before, why, sizeof why)) {
            char label[96];
            port_label(label, sizeof label, op, k);
            return pg_error(pygraph_invalid_graph, PG_OP_FMT " %s: tensor %" PRIu64 " contradicts an earlier "
                            "description of the same id: %s", PG_OP_ARGS(op), label, desc->id, why);
        }
        merged[k] = *before;
        pg_lt_merge(&merged[k], desc);
    }
    /* Ports that share an id all take the final merged description. */
    for (size_t k = 0; k < num_ports; ++k) {
        for (size_t j = num_ports; j-- > k + 1;) {
            if (port_desc(op, j)->id == port_desc(op, k)->id) {
                merged[k] = merged[j];
                break;
            }
        }
    }
    return pygraph_success;
}

pygraph_status pygraph_graph_add_op(pygraph_graph *graph, const pygraph_op *op) {
    pg_error_clear();
    if (graph == NULL || op == NULL) {
        return pg_error(pygraph_invalid_arguments, "graph_add_op: %s is NULL", graph ? "op" : "graph");
    }
    const pg_op_record *record = &op->record;
    if (graph->finalized) {
        return pg_error(pygraph_invalid_graph, PG_OP_FMT ": the graph is already finalized: add every op before "
                        "calling finalize()", PG_OP_ARGS(record));
    }
    pygraph_status status = check_ports_well_formed(record);
    if (status == pygraph_success) status = pg_schema_validate_op(record);
    if (status == pygraph_success) status = check_place_in_graph(graph, record);
    if (status != pygraph_success) return status;

    size_t num_ports = record->num_inputs + record->num_outputs;
    pygraph_logical_tensor *merged = malloc((num_ports ? num_ports : 1) * sizeof *merged);
    if (merged == NULL) return pg_error(pygraph_out_of_memory, PG_OP_FMT ": out of memory", PG_OP_ARGS(record));
    size_t new_tensors = 0;
    status = merge_descriptions(&graph->model, record, merged, &new_tensors);
    if (status != pygraph_success) {
        free(merged);
        return status;
    }
    pg_op_record copy;
    if (pg_op_record_copy(&copy, record) != pygraph_success) {
        free(merged);
        return pg_error(pygraph_out_of_memory, PG_OP_FMT ": out of memory copying the op", PG_OP_ARGS(record));
    }
    if (pg_graph_model_reserve(&graph->model, new_tensors, record->num_inputs) != 0) {
        pg_op_record_free(&copy);
        free(merged);
        return pg_error(pygraph_out_of_memory, PG_OP_FMT ": out of memory adding the op", PG_OP_ARGS(record));
    }
    pg_graph_model_commit_op(&graph->model, &copy, merged);
    free(merged);
    return pygraph_success;
}

pygraph_status pygraph_graph_mark_output(pygraph_graph *graph, uint64_t tensor_id) {
    pg_error_clear();
    if (graph == NULL) return pg_error(pygraph_invalid_arguments, "graph_mark_output: graph is NULL");
    if (graph->finalized) {
        return pg_error(pygraph_invalid_graph, "graph_mark_output: tensor %" PRIu64 ": the graph is already "
                        "finalized: declare outputs before calling finalize()", tensor_id);
    }
    for (size_t i = 0; i < graph->num_marked_outputs; ++i) {
        if (graph->marked_outputs[i] == tensor_id) return pygraph_success;
    }
    if (graph->num_marked_outputs == graph->marked_outputs_capacity) {
        size_t capacity = graph->marked_outputs_capacity ? 2 * graph->marked_outputs_capacity : 8;
        uint64_t *resized = capacity <= SIZE_MAX / sizeof *resized
                                ? realloc(graph->marked_outputs, capacity * sizeof *resized)
                                : NULL;
        if (resized == NULL) {
            return pg_error(pygraph_out_of_memory, "graph_mark_output: tensor %" PRIu64 ": out of memory", tensor_id);
        }
        graph->marked_outputs = resized;
        graph->marked_outputs_capacity = capacity;
    }
    graph->marked_outputs[graph->num_marked_outputs++] = tensor_id;
    return pygraph_success;
}

pygraph_status pygraph_graph_finalize(pygraph_graph *graph) {
    pg_error_clear();
    if (graph == NULL) return pg_error(pygraph_invalid_arguments, "graph_finalize: graph is NULL");
    if (graph->finalized) return pygraph_success;
    pg_graph_model *model = &graph->model;
    for (size_t i = 0; i < graph->num_marked_outputs; ++i) {
        if (pg_graph_model_find_tensor(model, graph->marked_outputs[i]) == PG_NONE) {
            return pg_error(pygraph_invalid_graph, "graph_finalize: tensor %" PRIu64 " was declared an output "
                            "(mark_output) but no op of the graph produces or consumes it",
                            graph->marked_outputs[i]);
        }
    }
    /* add_op already refuses every edge that closes a cycle; this keeps the
     * partitioner's precondition checked in one obvious place. */
    size_t *order = malloc((model->num_ops ? model->num_ops : 1) * sizeof *order);
    if (order == NULL) return pg_error(pygraph_out_of_memory, "graph_finalize: out of memory");
    size_t ordered = pg_graph_model_topological_order(model, order);
    free(order);
    if (ordered == PG_NONE) return pg_error(pygraph_out_of_memory, "graph_finalize: out of memory");
    if (ordered != model->num_ops) {
        return pg_error(pygraph_invalid_graph, "graph_finalize: the graph has a cycle (%zu of its %zu ops lie on or "
                        "after one)", model->num_ops - ordered, model->num_ops);
    }
    for (size_t i = 0; i < graph->num_marked_outputs; ++i) {
        model->tensors[pg_graph_model_find_tensor(model, graph->marked_outputs[i])].is_marked_output = 1;
    }
    graph->finalized = 1;
    return pygraph_success;
}

pygraph_status pygraph_graph_is_finalized(const pygraph_graph *graph, int *finalized) {
    pg_error_clear();
    if (graph == NULL || finalized == NULL) {
        return pg_error(pygraph_invalid_arguments, "graph_is_finalized: %s is NULL", graph ? "finalized" : "graph");
    }
    *finalized = graph->finalized;
    return pygraph_success;
}

static pygraph_status partition_graph(const pygraph_graph *graph, pygraph_partition_policy policy,
                                      pg_partitioning *partitioning, const char *caller) {
    if (policy != pygraph_partition_policy_fusion && policy != pygraph_partition_policy_debug) {
        return pg_error(pygraph_invalid_arguments, "%s: partition policy %d does not exist, expected fusion (%d) or "
                        "debug (%d)", caller, (int)policy, (int)pygraph_partition_policy_fusion,
                        (int)pygraph_partition_policy_debug);
    }
    if (!graph->finalized) {
        return pg_error(pygraph_invalid_graph, "%s: the graph is not finalized: call finalize() before asking for "
                        "partitions", caller);
    }
    pygraph_status status = pg_partition_model(&graph->model, policy, partitioning);
    if (status == pygraph_out_of_memory) return pg_error(status, "%s: out of memory", caller);
    if (status != pygraph_success) return pg_error(status, "%s: the graph has a cycle", caller);
    return pygraph_success;
}

pygraph_status pygraph_graph_get_partition_num(const pygraph_graph *graph, pygraph_partition_policy policy,
                                               size_t *num) {
    pg_error_clear();
    if (graph == NULL || num == NULL) {
        return pg_error(pygraph_invalid_arguments, "graph_get_partition_num: %s is NULL", graph ? "num" : "graph");
    }
    pg_partitioning partitioning;
    pygraph_status status = partition_graph(graph, policy, &partitioning, "graph_get_partition_num");
    if (status != pygraph_success) return status;
    *num = partitioning.num_partitions;
    pg_partitioning_free(&partitioning);
    return pygraph_success;
}

pygraph_status pygraph_graph_get_partitions(const pygraph_graph *graph, pygraph_partition_policy policy, size_t num,
                                            pygraph_partition **partitions) {
    pg_error_clear();
    if (partitions == NULL) return pg_error(pygraph_invalid_arguments, "graph_get_partitions: partitions is NULL");
    /* The caller's array holds `num` entries, which failure sets to NULL;
     * a num no array of pointers can have is clearly not its length. */
    int num_is_length = num <= SIZE_MAX / sizeof *partitions;
    pg_partitioning partitioning;
    pygraph_status status = graph == NULL
                                ? pg_error(pygraph_invalid_arguments, "graph_get_partitions: graph is NULL")
                                : partition_graph(graph, policy, &partitioning, "graph_get_partitions");
    if (status != pygraph_success) {
        for (size_t i = 0; i < num && num_is_length; ++i) partitions[i] = NULL;
        return status;
    }
    if (num != partitioning.num_partitions) {
        size_t expected = partitioning.num_partitions;
        for (size_t i = 0; i < num && (num_is_length || i < expected); ++i) partitions[i] = NULL;
        pg_partitioning_free(&partitioning);
        return pg_error(pygraph_invalid_arguments, "graph_get_partitions: num is %zu but the graph has %zu partitions "
                        "under this policy (see get_partition_num)", num, expected);
    }
    for (size_t p = 0; p < num; ++p) {
        status = pg_partition_create(&partitions[p], graph, &partitioning, p);
        if (status != pygraph_success) {
            for (size_t q = 0; q < p; ++q) {
                pygraph_partition_destroy(partitions[q]);
                partitions[q] = NULL;
            }
            break;
        }
    }
    pg_partitioning_free(&partitioning);
    if (status != pygraph_success) return pg_error(status, "graph_get_partitions: out of memory");
    return pygraph_success;
}
