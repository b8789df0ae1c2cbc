/*
 * compiled_partition.c — compile a LeakyReLU chain for concrete shapes, and
 * execute it.
 *
 * Compile does all the work that does not depend on the data pointers:
 * shape inference, the output layout, overflow checks, the kernel plan and
 * each port's byte range.  Execute then only compares descriptions, checks
 * pointers for overlap and runs the plan: no allocation, no locks, so any
 * number of threads may execute one compiled partition at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interface/error.h"
#include "interface/objects.h"
#include "schema/registry.h"

/* ------------------------------------------------------------------------ */
/* Compile                                                                  */
/* ------------------------------------------------------------------------ */

static int64_t magnitude(int64_t value) {
    return value < 0 ? -value : value;
}

/* Dense strides that keep the dims in the order of src's strides: dims of
 * extent != 1 sorted by decreasing |src stride| (ties: lower index first);
 * each extent-1 dim goes just before the first sorted dim with a higher
 * index (so a row-major src gives a row-major dst).  0, or -1 on overflow. */
static int dense_strides_in_src_order(int32_t ndims, const int64_t *dims, const int64_t *src_strides,
                                      int64_t *strides) {
    int32_t sorted[PYGRAPH_MAX_NDIMS], order[PYGRAPH_MAX_NDIMS];
    int32_t num_sorted = 0, num_ordered = 0;
    for (int32_t d = 0; d < ndims; ++d) {
        if (dims[d] == 1) continue;
        int32_t at = num_sorted++;
        while (at > 0 && magnitude(src_strides[sorted[at - 1]]) < magnitude(src_strides[d])) {
            sorted[at] = sorted[at - 1];
            --at;
        }
        sorted[at] = d;
    }
    int placed[PYGRAPH_MAX_NDIMS] = {0};
    for (int32_t k = 0; k <= num_sorted; ++k) {
        for (int32_t u = 0; u < ndims; ++u) {
            if (dims[u] == 1 && !placed[u] && (k == num_sorted || u < sorted[k])) {
                placed[u] = 1;
                order[num_ordered++] = u;
            }
        }
        if (k < num_sorted) order[num_ordered++] = sorted[k];
    }
    int64_t stride = 1;
    for (int32_t k = ndims - 1; k >= 0; --k) {
        int32_t d = order[k];
        strides[d] = stride;
        int64_t extent = dims[d] > 1 ? dims[d] : 1;
        if (stride > INT64_MAX / extent) return -1;
        stride *= extent;
    }
    return 0;
}

/* Whether distinct indices of a tensor with these (overflow-checked) dims
 * and strides can reach the same element: sorted by |stride|, each stride
 * must step over everything the inner dims span.  Dims of extent 0 or 1 do
 * not count (and zero elements never overlap). */
static int overlaps_itself(int32_t ndims, const int64_t *dims, const int64_t *strides) {
    int32_t sorted[PYGRAPH_MAX_NDIMS], count = 0;
    for (int32_t d = 0; d < ndims; ++d) {
        if (dims[d] == 0) return 0;
        if (dims[d] == 1) continue;
        int32_t at = count++;
        while (at > 0 && magnitude(strides[sorted[at - 1]]) > magnitude(strides[d])) {
            sorted[at] = sorted[at - 1];
            --at;
        }
        sorted[at] = d;
    }
    int64_t span = 1; /* elements covered by the dims so far, inclusive */
    for (int32_t k = 0; k < count; ++k) {
        int32_t d = sorted[k];
        if (magnitude(strides[d]) < span) return 1;
        span += (dims[d] - 1) * magnitude(strides[d]);
    }
    return 0;
}

/* Describes where a port of the partition lives, for messages:
 * `partition 0, op 1 (LeakyReLU "a") input 0 (src), tensor 5`. */
typedef struct port_context {
    char text[384];
} port_context;

static void describe_port(port_context *context, size_t partition_id, const pg_op_record *op, int is_output,
                          uint64_t tensor_id) {
    snprintf(context->text, sizeof context->text, "partition %zu, " PG_OP_FMT " %s 0 (%s), tensor %" PRIu64,
             partition_id, PG_OP_ARGS(op), is_output ? "output" : "input",
             is_output ? pg_schema_output_name(op->schema, 0) : pg_schema_input_name(op->schema, 0), tensor_id);
}

static void format_ids(char *buf, size_t size, const pygraph_logical_tensor *ports, size_t num) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < num && used < size; ++i) {
        int n = snprintf(buf + used, size - used, "%s%" PRIu64, i ? ", " : "", ports[i].id);
        if (n < 0) return;
        used += (size_t)n;
    }
    if (num == 0) snprintf(buf, size, "none");
}

/* Finds, for each of the partition's ports, the one given description with
 * its id: every port exactly once, nothing else. */
static pygraph_status match_ports(const pygraph_partition *partition, int outputs, size_t num_given,
                                  const pygraph_logical_tensor *given, const pygraph_logical_tensor **matched) {
    const char *direction = outputs ? "output" : "input";
    size_t num_ports = outputs ? partition->num_outputs : partition->num_inputs;
    const pygraph_logical_tensor *ports = outputs ? partition->outputs : partition->inputs;
    char input_ids[256], output_ids[256];
    format_ids(input_ids, sizeof input_ids, partition->inputs, partition->num_inputs);
    format_ids(output_ids, sizeof output_ids, partition->outputs, partition->num_outputs);
    for (size_t i = 0; i < num_given; ++i) {
        int is_port = 0;
        for (size_t p = 0; p < num_ports && !is_port; ++p) is_port = ports[p].id == given[i].id;
        if (!is_port) {
            return pg_error(pygraph_invalid_arguments, "compile: partition %zu: %ss[%zu] is tensor %" PRIu64 ", which "
                            "is not an %s port of the partition (input ports: %s; output ports: %s)", partition->id,
                            direction, i, given[i].id, direction, input_ids, output_ids);
        }
        for (size_t j = 0; j < i; ++j) {
            if (given[j].id == given[i].id) {
                return pg_error(pygraph_invalid_arguments, "compile: partition %zu: tensor %" PRIu64 " is given twice "
                                "(%ss[%zu] and %ss[%zu]; %zu %s descriptions for %zu %s ports): describe each port "
                                "once", partition->id, given[i].id, direction, j, direction, i, num_given, direction,
                                num_ports, direction);
            }
        }
    }
    for (size_t p = 0; p < num_ports; ++p) {
        matched[p] = NULL;
        for (size_t i = 0; i < num_given && matched[p] == NULL; ++i) {
            if (given[i].id == ports[p].id) matched[p] = &given[i];
        }
        if (matched[p] == NULL) {
            return pg_error(pygraph_invalid_arguments, "compile: partition %zu: %s port tensor %" PRIu64 " is not "
                            "described (input ports: %s; output ports: %s)", partition->id, direction, ports[p].id,
                            input_ids, output_ids);
        }
    }
    return pygraph_success;
}

/* A description in the graph with a known rank and a known dim that
 * disagrees with the concrete src shape. */
static pygraph_status check_graph_shape(const pygraph_logical_tensor *desc, const pygraph_logical_tensor *src,
                                        const char *where, pygraph_status failure) {
    if (desc->ndims < 0) return pygraph_success;
    int same = desc->ndims == src->ndims;
    for (int32_t d = 0; same && d < desc->ndims; ++d) {
        same = desc->dims[d] == PYGRAPH_UNKNOWN_DIM || desc->dims[d] == src->dims[d];
    }
    if (same) return pygraph_success;
    char shape[160], src_shape[160];
    pg_format_dims(shape, sizeof shape, desc->ndims, desc->dims);
    pg_format_dims(src_shape, sizeof src_shape, src->ndims, src->dims);
    return pg_error(failure, "compile: %s: shape %s does not match src shape %s", where, shape, src_shape);
}

static pygraph_status compile_input(const pygraph_partition *partition, const pygraph_logical_tensor *given,
                                    pygraph_logical_tensor *input, pg_byte_range *range, int64_t *num_elements) {
    const pg_op_record *first = &partition->ops[0];
    const pygraph_logical_tensor *port = &partition->inputs[0];
    port_context where;
    describe_port(&where, partition->id, first, 0, given->id);
    pygraph_status status = pg_lt_check(given, where.text);
    if (status != pygraph_success) return status;
    /* A description that contradicts the graph's is refused as add_op
     * refuses two incompatible descriptions of one id. */
    if (given->data_type != port->data_type) {
        return pg_error(pygraph_invalid_graph, "compile: %s: data type is %s here but %s in the graph", where.text,
                        pygraph_data_type_name(given->data_type), pygraph_data_type_name(port->data_type));
    }
    if (!pg_lt_dims_known(given)) {
        char shape[160];
        pg_format_dims(shape, sizeof shape, given->ndims, given->dims);
        return pg_error(pygraph_invalid_shape, "compile: %s: an input needs a known shape, got %s", where.text, shape);
    }
    if (given->layout_type == pygraph_layout_type_opaque) {
        return pg_error(pygraph_unimplemented, "compile: %s: layout opaque is not implemented: pygraph has no opaque "
                        "layouts, use strided", where.text);
    }
    if (given->layout_type != pygraph_layout_type_strided) {
        return pg_error(pygraph_invalid_arguments, "compile: %s: an input needs layout strided, got %s", where.text,
                        given->layout_type == pygraph_layout_type_any ? "any (which only outputs may have)" : "undef");
    }
    *input = *given;
    if (pg_num_elements(input->ndims, input->dims, num_elements) != 0) {
        char shape[160];
        pg_format_dims(shape, sizeof shape, given->ndims, given->dims);
        return pg_error(pygraph_invalid_shape, "compile: %s: the element count of shape %s overflows", where.text,
                        shape);
    }
    for (int32_t d = 0; d < given->ndims; ++d) {
        if (given->strides[d] != PYGRAPH_UNKNOWN_DIM) continue;
        /* The stride of an extent-0/1 dim never locates an element, and a
         * tensor without elements has no stride constraint. */
        if (given->dims[d] <= 1 || *num_elements == 0) {
            input->strides[d] = 0;
            continue;
        }
        return pg_error(pygraph_invalid_arguments, "compile: %s: stride of dim %" PRId32 " is unknown: an input "
                        "needs known strides", where.text, d);
    }
    char graph_where[sizeof where.text + 32];
    snprintf(graph_where, sizeof graph_where, "%s as described in the graph", where.text);
    status = check_graph_shape(port, given, graph_where, pygraph_invalid_graph);
    if (status != pygraph_success) return status;
    if (pg_byte_range_of(input->ndims, input->dims, input->strides, pygraph_data_type_size(input->data_type),
                         range) != 0) {
        return pg_error(pygraph_invalid_shape, "compile: %s: the tensor's size overflows", where.text);
    }
    return pygraph_success;
}

static pygraph_status compile_output(const pygraph_partition *partition, const pygraph_logical_tensor *given,
                                     const pygraph_logical_tensor *src, pygraph_logical_tensor *output,
                                     pg_byte_range *range) {
    const pg_op_record *last = &partition->ops[partition->num_ops - 1];
    const pygraph_logical_tensor *port = &partition->outputs[0];
    port_context where;
    describe_port(&where, partition->id, last, 1, given->id);
    pygraph_status status = pg_lt_check(given, where.text);
    if (status != pygraph_success) return status;
    if (given->data_type != port->data_type) {
        return pg_error(pygraph_invalid_graph, "compile: %s: data type is %s here but %s in the graph", where.text,
                        pygraph_data_type_name(given->data_type), pygraph_data_type_name(port->data_type));
    }
    if (given->layout_type == pygraph_layout_type_opaque) {
        return pg_error(pygraph_unimplemented, "compile: %s: layout opaque is not implemented: pygraph has no opaque "
                        "layouts, use strided or any", where.text);
    }
    /* A fully described output must make sense on its own first. */
    pg_byte_range own_range;
    int64_t own_count;
    if (pg_lt_dims_known(given) && pg_num_elements(given->ndims, given->dims, &own_count) != 0) {
        char shape[160];
        pg_format_dims(shape, sizeof shape, given->ndims, given->dims);
        return pg_error(pygraph_invalid_shape, "compile: %s: the element count of shape %s overflows", where.text,
                        shape);
    }
    if (pg_lt_dims_known(given) && given->layout_type == pygraph_layout_type_strided &&
        pg_byte_range_of(given->ndims, given->dims, given->strides, pygraph_data_type_size(given->data_type),
                         &own_range) != 0) {
        int strides_known = 1;
        for (int32_t d = 0; d < given->ndims; ++d) {
            strides_known &= given->dims[d] <= 1 || given->strides[d] != PYGRAPH_UNKNOWN_DIM;
        }
        if (strides_known) {
            return pg_error(pygraph_invalid_shape, "compile: %s: the tensor's byte size overflows", where.text);
        }
    }
    /* Shape inference (identity): the dst has src's shape. */
    if (given->ndims >= 0) {
        int same = given->ndims == src->ndims;
        for (int32_t d = 0; same && d < given->ndims; ++d) {
            same = given->dims[d] == PYGRAPH_UNKNOWN_DIM || given->dims[d] == src->dims[d];
        }
        if (!same) {
            char shape[160], src_shape[160];
            pg_format_dims(shape, sizeof shape, given->ndims, given->dims);
            pg_format_dims(src_shape, sizeof src_shape, src->ndims, src->dims);
            return pg_error(pygraph_invalid_shape, "compile: %s: dst shape %s does not match src shape %s",
                            where.text, shape, src_shape);
        }
    }
    *output = *given;
    output->ndims = src->ndims;
    memcpy(output->dims, src->dims, sizeof output->dims);
    int strides_known = given->layout_type == pygraph_layout_type_strided && given->ndims >= 0;
    for (int32_t d = 0; strides_known && d < src->ndims; ++d) {
        strides_known = given->strides[d] != PYGRAPH_UNKNOWN_DIM || src->dims[d] <= 1;
    }
    if (strides_known) {
        for (int32_t d = 0; d < src->ndims; ++d) {
            if (given->strides[d] == PYGRAPH_UNKNOWN_DIM) output->strides[d] = 0;
        }
    } else {
        for (int d = 0; d < PYGRAPH_MAX_NDIMS; ++d) output->strides[d] = PYGRAPH_UNKNOWN_DIM;
        if (dense_strides_in_src_order(src->ndims, src->dims, src->strides, output->strides) != 0) {
            return pg_error(pygraph_invalid_shape, "compile: %s: the dense layout's strides overflow", where.text);
        }
    }
    output->layout_type = pygraph_layout_type_strided;
    if (output->property == pygraph_property_type_undef) output->property = port->property;
    if (pg_byte_range_of(output->ndims, output->dims, output->strides, pygraph_data_type_size(output->data_type),
                         range) != 0) {
        return pg_error(pygraph_invalid_shape, "compile: %s: the tensor's size overflows", where.text);
    }
    if (overlaps_itself(output->ndims, output->dims, output->strides)) {
        char shape[160], strides[160];
        pg_format_dims(shape, sizeof shape, output->ndims, output->dims);
        pg_format_dims(strides, sizeof strides, output->ndims, output->strides);
        return pg_error(pygraph_invalid_shape, "compile: %s: strides %s make elements of shape %s share memory: an "
                        "output must not overlap itself", where.text, strides, shape);
    }
    return pygraph_success;
}

/* The alpha of every op of the chain, in execution order.  Kernel selection
 * by kind lives here: the only compiled kind is LeakyReLU. */
static pygraph_status collect_alphas(const pygraph_partition *partition, float *alphas) {
    for (size_t i = 0; i < partition->num_ops; ++i) {
        const pg_op_record *op = &partition->ops[i];
        const pg_attr *alpha = pg_op_record_find_attr(op, "alpha");
        if (strcmp(op->schema->kind, "LeakyReLU") != 0 || alpha == NULL || alpha->value.type != pg_attr_f32) {
            return pg_error(pygraph_unimplemented, "compile: partition %zu: " PG_OP_FMT " has no kernel in pygraph",
                            partition->id, PG_OP_ARGS(op));
        }
        alphas[i] = alpha->value.as.f32;
    }
    return pygraph_success;
}

/* Whether every op of the chain lets its output share its input's memory. */
static int chain_is_inplace(const pygraph_partition *partition) {
    for (size_t i = 0; i < partition->num_ops; ++i) {
        const pg_schema *schema = partition->ops[i].schema;
        int found = 0;
        for (size_t k = 0; k < schema->num_inplace && !found; ++k) {
            found = schema->inplace[k].input == 0 && schema->inplace[k].output == 0;
        }
        if (!found) return 0;
    }
    return 1;
}

static int same_layout(const pygraph_logical_tensor *a, const pygraph_logical_tensor *b) {
    if (a->ndims != b->ndims) return 0;
    for (int32_t d = 0; d < a->ndims; ++d) {
        if (a->dims[d] != b->dims[d]) return 0;
        if (a->dims[d] > 1 && a->strides[d] != b->strides[d]) return 0;
    }
    return 1;
}

pygraph_status pygraph_partition_compile(const pygraph_partition *partition, pygraph_compiled_partition **compiled,
                                         size_t num_inputs, const pygraph_logical_tensor *inputs, size_t num_outputs,
                                         const pygraph_logical_tensor *outputs, const pygraph_engine *engine) {
    pg_error_clear();
    if (compiled == NULL) return pg_error(pygraph_invalid_arguments, "compile: compiled is NULL");
    *compiled = NULL;
    if (partition == NULL || engine == NULL) {
        return pg_error(pygraph_invalid_arguments, "compile: %s is NULL", partition ? "engine" : "partition");
    }
    if ((inputs == NULL && num_inputs > 0) || (outputs == NULL && num_outputs > 0)) {
        return pg_error(pygraph_invalid_arguments, "compile: partition %zu: %s is NULL but num_%s is %zu",
                        partition->id, inputs == NULL && num_inputs > 0 ? "inputs" : "outputs",
                        inputs == NULL && num_inputs > 0 ? "inputs" : "outputs",
                        inputs == NULL && num_inputs > 0 ? num_inputs : num_outputs);
    }
    if (engine->kind != partition->engine_kind) {
        return pg_error(pygraph_invalid_arguments, "compile: partition %zu: engine kind %d, expected the graph's "
                        "engine kind %d (cpu)", partition->id, (int)engine->kind, (int)partition->engine_kind);
    }
    const pg_op_record *first = &partition->ops[0];
    if (!partition->supported) {
        return pg_error(pygraph_unimplemented, "compile: partition %zu (%s op %" PRIu64 " \"%" PG_ECHO_FMT "\") is not "
                        "supported by pygraph: the host framework must run it", partition->id, first->schema->kind,
                        first->id, PG_ECHO_ARGS(first->name));
    }
    /* A supported partition is a chain of one-input, one-output ops. */
    if (partition->num_inputs != 1 || partition->num_outputs != 1) {
        return pg_error(pygraph_unimplemented, "compile: partition %zu has %zu inputs and %zu outputs: pygraph "
                        "compiles chains with one input and one output", partition->id, partition->num_inputs,
                        partition->num_outputs);
    }
    const pygraph_logical_tensor *given_input, *given_output;
    pygraph_status status = match_ports(partition, 0, num_inputs, inputs, &given_input);
    if (status == pygraph_success) status = match_ports(partition, 1, num_outputs, outputs, &given_output);
    if (status != pygraph_success) return status;

    pygraph_logical_tensor input, output;
    pg_byte_range input_range, output_range;
    int64_t num_elements = 0;
    status = compile_input(partition, given_input, &input, &input_range, &num_elements);
    if (status == pygraph_success) status = compile_output(partition, given_output, &input, &output, &output_range);
    if (status != pygraph_success) return status;
    /* Every description of the chain's tensors in the graph must agree with
     * the inferred shape. */
    for (size_t i = 0; i < partition->num_ops; ++i) {
        const pg_op_record *op = &partition->ops[i];
        for (int is_output = 0; is_output <= 1; ++is_output) {
            port_context where;
            describe_port(&where, partition->id, op, is_output, is_output ? op->outputs[0].id : op->inputs[0].id);
            strncat(where.text, " as described in the graph", sizeof where.text - strlen(where.text) - 1);
            status = check_graph_shape(is_output ? &op->outputs[0] : &op->inputs[0], &input, where.text,
                                       pygraph_invalid_shape);
            if (status != pygraph_success) return status;
        }
    }

    pygraph_compiled_partition *created = calloc(1, sizeof *created);
    float *alphas = malloc(partition->num_ops * sizeof *alphas);
    if (created == NULL || alphas == NULL) {
        free(created);
        free(alphas);
        return pg_error(pygraph_out_of_memory, "compile: partition %zu: out of memory", partition->id);
    }
    status = collect_alphas(partition, alphas);
    if (status != pygraph_success) {
        free(created);
        free(alphas);
        return status;
    }
    created->input = input;
    created->output = output;
    created->input_range = input_range;
    created->output_range = output_range;
    created->num_elements = num_elements;
    created->same_layout = same_layout(&input, &output);
    created->inplace.input_id = input.id;
    created->inplace.output_id = output.id;
    created->has_inplace = chain_is_inplace(partition);
    created->input_name = pg_schema_input_name(partition->ops[0].schema, 0);
    created->output_name = pg_schema_output_name(partition->ops[partition->num_ops - 1].schema, 0);
    snprintf(created->input_label, sizeof created->input_label, "input 0 (%s)", created->input_name);
    snprintf(created->output_label, sizeof created->output_label, "output 0 (%s)", created->output_name);
    created->alphas = alphas;
    created->num_alphas = partition->num_ops;
    pg_lrelu_plan_init(&created->plan, input.data_type, input.ndims, input.dims, input.strides, output.strides,
                       created->alphas, created->num_alphas);
    *compiled = created;
    return pygraph_success;
}

/* ------------------------------------------------------------------------ */
/* Compiled partition                                                       */
/* ------------------------------------------------------------------------ */

pygraph_status pygraph_compiled_partition_destroy(pygraph_compiled_partition *compiled) {
    /* No pg_error_clear(): a destroy may run from a garbage collector
     * between a failed call and the read of its message (header). */
    if (compiled != NULL) {
        free(compiled->alphas);
        free(compiled);
    }
    return pygraph_success;
}

pygraph_status pygraph_compiled_partition_query_logical_tensor(const pygraph_compiled_partition *compiled,
                                                               uint64_t id, pygraph_logical_tensor *lt) {
    pg_error_clear();
    if (compiled == NULL || lt == NULL) {
        return pg_error(pygraph_invalid_arguments, "query_logical_tensor: %s is NULL", compiled ? "lt" : "compiled");
    }
    if (id == compiled->input.id) {
        *lt = compiled->input;
    } else if (id == compiled->output.id) {
        *lt = compiled->output;
    } else {
        return pg_error(pygraph_invalid_arguments, "query_logical_tensor: tensor %" PRIu64 " is not a port of the "
                        "compiled partition (input: %" PRIu64 ", output: %" PRIu64 ")", id, compiled->input.id,
                        compiled->output.id);
    }
    return pygraph_success;
}

pygraph_status pygraph_compiled_partition_get_inplace_ports(const pygraph_compiled_partition *compiled, size_t *num,
                                                            const pygraph_inplace_pair **pairs) {
    pg_error_clear();
    if (pairs != NULL) *pairs = NULL;
    if (compiled == NULL || num == NULL || pairs == NULL) {
        return pg_error(pygraph_invalid_arguments, "get_inplace_ports: %s is NULL",
                        compiled == NULL ? "compiled" : num == NULL ? "num" : "pairs");
    }
    *num = compiled->has_inplace ? 1 : 0;
    *pairs = &compiled->inplace;
    return pygraph_success;
}

pygraph_status pygraph_compiled_partition_get_input_ports(const pygraph_compiled_partition *compiled, size_t *num,
                                                          const pygraph_logical_tensor **ports) {
    pg_error_clear();
    if (ports != NULL) *ports = NULL;
    if (compiled == NULL || num == NULL || ports == NULL) {
        return pg_error(pygraph_invalid_arguments, "compiled_partition_get_input_ports: %s is NULL",
                        compiled == NULL ? "compiled" : num == NULL ? "num" : "ports");
    }
    *num = 1;
    *ports = &compiled->input;
    return pygraph_success;
}

pygraph_status pygraph_compiled_partition_get_output_ports(const pygraph_compiled_partition *compiled, size_t *num,
                                                           const pygraph_logical_tensor **ports) {
    pg_error_clear();
    if (ports != NULL) *ports = NULL;
    if (compiled == NULL || num == NULL || ports == NULL) {
        return pg_error(pygraph_invalid_arguments, "compiled_partition_get_output_ports: %s is NULL",
                        compiled == NULL ? "compiled" : num == NULL ? "num" : "ports");
    }
    *num = 1;
    *ports = &compiled->output;
    return pygraph_success;
}

/* ------------------------------------------------------------------------ */
/* Execute                                                                  */
/* ------------------------------------------------------------------------ */

/* Whether [a + range_a) and [b + range_b) share a byte.  Addresses are
 * compared as integers (the memory belongs to the caller). */
static int ranges_intersect(const void *a, pg_byte_range range_a, const void *b, pg_byte_range range_b) {
    if (range_a.lowest == range_a.highest || range_b.lowest == range_b.highest) return 0;
    uintptr_t a_low = (uintptr_t)a + (uintptr_t)range_a.lowest, a_high = (uintptr_t)a + (uintptr_t)range_a.highest;
    uintptr_t b_low = (uintptr_t)b + (uintptr_t)range_b.lowest, b_high = (uintptr_t)b + (uintptr_t)range_b.highest;
    return a_low < b_high && b_low < a_high;
}

/* Checks the data pointers (non-NULL unless empty, no partial overlap) and
 * runs the plan. */
static pygraph_status run(const pygraph_compiled_partition *compiled, const void *src, void *dst,
                          const char *caller) {
    if (compiled->num_elements > 0 && (src == NULL || dst == NULL)) {
        return pg_error(pygraph_invalid_arguments, "%s: %s (%s, tensor %" PRIu64 ") has NULL data but %" PRId64
                        " elements", caller, src == NULL ? "input 0" : "output 0",
                        src == NULL ? compiled->input_name : compiled->output_name,
                        src == NULL ? compiled->input.id : compiled->output.id, compiled->num_elements);
    }
    if (compiled->num_elements == 0) return pygraph_success;
    int exact_alias = src == dst && compiled->same_layout && compiled->has_inplace;
    if (!exact_alias && ranges_intersect(dst, compiled->output_range, src, compiled->input_range)) {
        return pg_error(pygraph_invalid_arguments, "%s: output 0 (%s, tensor %" PRIu64 ") partially overlaps input 0 "
                        "(%s, tensor %" PRIu64 "): only exact in-place aliasing is allowed (same data pointer and "
                        "same layout)", caller, compiled->output_name, compiled->output.id, compiled->input_name,
                        compiled->input.id);
    }
    pg_lrelu_plan_run(&compiled->plan, src, dst);
    return pygraph_success;
}

/* Compares a tensor's description with the compiled port. */
static pygraph_status check_tensor(const pygraph_logical_tensor *desc, const pygraph_logical_tensor *port,
                                   int64_t num_elements, const char *label) {
    if (desc->data_type != port->data_type) {
        const char *got = pygraph_data_type_name(desc->data_type);
        return pg_error(pygraph_invalid_data_type, "execute: %s (tensor %" PRIu64 "): data type is %s, compiled for %s",
                        label, port->id, got ? got : "(invalid)", pygraph_data_type_name(port->data_type));
    }
    int same = desc->ndims == port->ndims;
    for (int32_t d = 0; same && d < port->ndims; ++d) same = desc->dims[d] == port->dims[d];
    if (!same) {
        char shape[160], expected[160];
        if (desc->ndims >= -1 && desc->ndims <= PYGRAPH_MAX_NDIMS) {
            pg_format_dims(shape, sizeof shape, desc->ndims, desc->dims);
        } else {
            snprintf(shape, sizeof shape, "(ndims %" PRId32 ")", desc->ndims);
        }
        pg_format_dims(expected, sizeof expected, port->ndims, port->dims);
        return pg_error(pygraph_invalid_shape, "execute: %s (tensor %" PRIu64 "): shape is %s, compiled for %s", label,
                        port->id, shape, expected);
    }
    if (num_elements == 0) return pygraph_success;
    for (int32_t d = 0; d < port->ndims; ++d) {
        if (port->dims[d] > 1 && desc->strides[d] != port->strides[d]) {
            char strides[160], expected[160];
            pg_format_dims(strides, sizeof strides, desc->ndims, desc->strides);
            pg_format_dims(expected, sizeof expected, port->ndims, port->strides);
            return pg_error(pygraph_invalid_shape, "execute: %s (tensor %" PRIu64 "): strides are %s, compiled for %s "
                            "(dim %" PRId32 " differs)", label, port->id, strides, expected, d);
        }
    }
    return pygraph_success;
}

/* The one tensor among `tensors` whose desc.id is `id`. */
static pygraph_status find_tensor(size_t num, const pygraph_tensor *tensors, uint64_t id, const char *direction,
                                  const char *label, const pygraph_tensor **found) {
    *found = NULL;
    for (size_t i = 0; i < num; ++i) {
        if (tensors[i].desc.id != id) continue;
        if (*found != NULL) {
            return pg_error(pygraph_invalid_arguments, "execute: %s (tensor %" PRIu64 ") is given twice among the "
                            "%ss: give each port exactly once", label, id, direction);
        }
        *found = &tensors[i];
    }
    if (*found == NULL) {
        for (size_t i = 0; i < num; ++i) {
            if (tensors[i].desc.id != id) {
                return pg_error(pygraph_invalid_arguments, "execute: %ss[%zu] is tensor %" PRIu64 ", which is not an "
                                "%s port; expected %s (tensor %" PRIu64 ")", direction, i, tensors[i].desc.id,
                                direction, label, id);
            }
        }
        return pg_error(pygraph_invalid_arguments, "execute: %s (tensor %" PRIu64 ") is missing", label, id);
    }
    return pygraph_success;
}

static pygraph_status check_call(const pygraph_compiled_partition *compiled, const pygraph_stream *stream,
                                 size_t num_inputs, const void *inputs, size_t num_outputs, const void *outputs,
                                 const char *caller) {
    if (compiled == NULL || stream == NULL) {
        return pg_error(pygraph_invalid_arguments, "%s: %s is NULL", caller, compiled ? "stream" : "compiled");
    }
    if (num_inputs != 1 || num_outputs != 1) {
        return pg_error(pygraph_invalid_arguments, "%s: expected 1 input (tensor %" PRIu64 ") and 1 output (tensor %"
                        PRIu64 "), got %zu and %zu", caller, compiled->input.id, compiled->output.id, num_inputs,
                        num_outputs);
    }
    if (inputs == NULL || outputs == NULL) {
        return pg_error(pygraph_invalid_arguments, "%s: %s is NULL", caller, inputs ? "outputs" : "inputs");
    }
    return pygraph_success;
}

pygraph_status pygraph_compiled_partition_execute(const pygraph_compiled_partition *compiled,
                                                  const pygraph_stream *stream, size_t num_inputs,
                                                  const pygraph_tensor *inputs, size_t num_outputs,
                                                  const pygraph_tensor *outputs) {
    pg_error_clear();
    pygraph_status status = check_call(compiled, stream, num_inputs, inputs, num_outputs, outputs, "execute");
    if (status != pygraph_success) return status;
    const char *input_label = compiled->input_label, *output_label = compiled->output_label;
    const pygraph_tensor *src, *dst;
    status = find_tensor(num_inputs, inputs, compiled->input.id, "input", input_label, &src);
    if (status == pygraph_success) {
        status = find_tensor(num_outputs, outputs, compiled->output.id, "output", output_label, &dst);
    }
    if (status == pygraph_success) {
        status = check_tensor(&src->desc, &compiled->input, compiled->num_elements, input_label);
    }
    if (status == pygraph_success) {
        status = check_tensor(&dst->desc, &compiled->output, compiled->num_elements, output_label);
    }
    if (status != pygraph_success) return status;
    return run(compiled, src->data, dst->data, "execute");
}

pygraph_status pygraph_compiled_partition_execute_buffers(const pygraph_compiled_partition *compiled,
                                                          const pygraph_stream *stream, size_t num_inputs,
                                                          void *const *inputs, size_t num_outputs,
                                                          void *const *outputs) {
    pg_error_clear();
    pygraph_status status =
        check_call(compiled, stream, num_inputs, inputs, num_outputs, outputs, "execute_buffers");
    if (status != pygraph_success) return status;
    return run(compiled, inputs[0], outputs[0], "execute_buffers");
}

pygraph_status pygraph_compiled_partition_execute_unary(const pygraph_compiled_partition *compiled,
                                                        const pygraph_stream *stream, const void *input,
                                                        void *output) {
    pg_error_clear();
    if (compiled == NULL || stream == NULL) {
        return pg_error(pygraph_invalid_arguments, "execute_unary: %s is NULL", compiled ? "stream" : "compiled");
    }
    return run(compiled, input, output, "execute_unary");
}
