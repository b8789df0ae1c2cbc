/*
 * partition.c — partition objects: independent copies of the ops and port
 * descriptions of one part of a finalized graph.
 */
#include <stdlib.h>
#include <string.h>

#include "interface/error.h"
#include "interface/objects.h"
#include "schema/registry.h"

static void free_partition(pygraph_partition *partition) {
    if (partition == NULL) return;
    for (size_t i = 0; i < partition->num_ops; ++i) pg_op_record_free(&partition->ops[i]);
    free(partition->ops);
    free(partition->op_ids);
    free(partition->inputs);
    free(partition->outputs);
    free(partition);
}

pygraph_status pg_partition_create(pygraph_partition **partition, const pygraph_graph *graph,
                                   const pg_partitioning *partitioning, size_t p) {
    *partition = NULL;
    const pg_graph_model *model = &graph->model;
    size_t first = partitioning->starts[p], num_ops = partitioning->starts[p + 1] - first;
    size_t num_ports = 0;
    for (size_t i = 0; i < num_ops; ++i) {
        const pg_op_record *op = &model->ops[partitioning->ops[first + i]];
        num_ports += op->num_inputs + op->num_outputs;
    }
    pygraph_partition *created = calloc(1, sizeof *created);
    size_t *tensors = malloc((num_ports ? num_ports : 1) * sizeof *tensors);
    if (created == NULL || tensors == NULL) {
        free(created);
        free(tensors);
        return pygraph_out_of_memory;
    }
    created->id = p;
    created->engine_kind = graph->engine_kind;
    created->supported = 1;
    created->ops = calloc(num_ops ? num_ops : 1, sizeof *created->ops);
    created->op_ids = malloc((num_ops ? num_ops : 1) * sizeof *created->op_ids);
    created->inputs = malloc((num_ports ? num_ports : 1) * sizeof *created->inputs);
    created->outputs = malloc((num_ports ? num_ports : 1) * sizeof *created->outputs);
    int failed = !created->ops || !created->op_ids || !created->inputs || !created->outputs;
    for (size_t i = 0; i < num_ops && !failed; ++i) {
        const pg_op_record *op = &model->ops[partitioning->ops[first + i]];
        failed = pg_op_record_copy(&created->ops[i], op) != pygraph_success;
        if (failed) break;
        created->num_ops = i + 1;
        created->op_ids[i] = op->id;
        created->supported &= op->schema->supported;
    }
    if (failed) {
        free(tensors);
        free_partition(created);
        return pygraph_out_of_memory;
    }
    created->num_inputs = pg_partition_inputs(model, partitioning, p, tensors);
    for (size_t i = 0; i < created->num_inputs; ++i) created->inputs[i] = model->tensors[tensors[i]].desc;
    created->num_outputs = pg_partition_outputs(model, partitioning, p, tensors);
    for (size_t i = 0; i < created->num_outputs; ++i) created->outputs[i] = model->tensors[tensors[i]].desc;
    free(tensors);
    *partition = created;
    return pygraph_success;
}

pygraph_status pygraph_partition_destroy(pygraph_partition *partition) {
    /* No pg_error_clear(): a destroy may run from a garbage collector
     * between a failed call and the read of its message (header). */
    free_partition(partition);
    return pygraph_success;
}

pygraph_status pygraph_partition_get_id(const pygraph_partition *partition, size_t *id) {
    pg_error_clear();
    if (partition == NULL || id == NULL) {
        return pg_error(pygraph_invalid_arguments, "partition_get_id: %s is NULL", partition ? "id" : "partition");
    }
    *id = partition->id;
    return pygraph_success;
}

pygraph_status pygraph_partition_is_supported(const pygraph_partition *partition, int *supported) {
    pg_error_clear();
    if (partition == NULL || supported == NULL) {
        return pg_error(pygraph_invalid_arguments, "partition_is_supported: %s is NULL",
                        partition ? "supported" : "partition");
    }
    *supported = partition->supported;
    return pygraph_success;
}

pygraph_status pygraph_partition_get_ops(const pygraph_partition *partition, size_t *num, const uint64_t **op_ids) {
    pg_error_clear();
    if (op_ids != NULL) *op_ids = NULL;
    if (partition == NULL || num == NULL || op_ids == NULL) {
        return pg_error(pygraph_invalid_arguments, "partition_get_ops: %s is NULL",
                        partition == NULL ? "partition" : num == NULL ? "num" : "op_ids");
    }
    *num = partition->num_ops;
    *op_ids = partition->op_ids;
    return pygraph_success;
}

static pygraph_status get_ports(const pygraph_partition *partition, size_t *num, const pygraph_logical_tensor **ports,
                                int outputs) {
    pg_error_clear();
    if (ports != NULL) *ports = NULL;
    if (partition == NULL || num == NULL || ports == NULL) {
        return pg_error(pygraph_invalid_arguments, "partition_get_%s_ports: %s is NULL", outputs ? "output" : "input",
                        partition == NULL ? "partition" : num == NULL ? "num" : "ports");
    }
    *num = outputs ? partition->num_outputs : partition->num_inputs;
    *ports = outputs ? partition->outputs : partition->inputs;
    return pygraph_success;
}

pygraph_status pygraph_partition_get_input_ports(const pygraph_partition *partition, size_t *num,
                                                 const pygraph_logical_tensor **ports) {
    return get_ports(partition, num, ports, 0);
}

pygraph_status pygraph_partition_get_output_ports(const pygraph_partition *partition, size_t *num,
                                                  const pygraph_logical_tensor **ports) {
    return get_ports(partition, num, ports, 1);
}
