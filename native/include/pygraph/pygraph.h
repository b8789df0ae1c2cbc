/*
 * pygraph.h — the C contract of pygraph.
 *
 * pygraph implements a oneDNN-style graph API for the LeakyReLU operation:
 * build a graph of ops that exchange logical tensors, finalize it, split it
 * into partitions, compile the supported partitions for concrete shapes and
 * execute them on memory.  This header is the whole contract: a C user never
 * needs to open a .c file.
 *
 *   pygraph_engine *eng;       pygraph_engine_create(&eng, pygraph_engine_kind_cpu, 0);
 *   pygraph_graph  *g;         pygraph_graph_create(&g, pygraph_engine_kind_cpu);
 *   pygraph_op     *op;        pygraph_op_create(&op, 0, "LeakyReLU", "relu0");
 *   pygraph_op_set_attr_f32(op, "alpha", 0.01f);
 *   pygraph_op_add_input(op, &src_lt);  pygraph_op_add_output(op, &dst_lt);
 *   pygraph_graph_add_op(g, op);        pygraph_op_destroy(op);   (the graph keeps a copy)
 *   pygraph_graph_finalize(g);
 *   pygraph_graph_get_partition_num(g, pygraph_partition_policy_fusion, &n);
 *   pygraph_graph_get_partitions(g, pygraph_partition_policy_fusion, n, parts);
 *   pygraph_partition_compile(parts[0], &cp, 1, &src_lt, 1, &dst_lt, eng);
 *   pygraph_compiled_partition_execute(cp, stream, 1, &src_t, 1, &dst_t);
 *
 * ---------------------------------------------------------------------------
 * Conventions that hold for every function below unless its comment says
 * otherwise:
 *
 *  - Status.  Every function returns a pygraph_status; pygraph_success (0)
 *    means it did what it says.  Names and values follow oneDNN's
 *    dnnl_status_t.
 *  - Messages.  Every failure also leaves a human-readable message in
 *    pygraph_last_error_message(): it names the op (id, kind, name), the
 *    attribute or port (index and schema name, e.g. "input 0 (src)"), and the
 *    expected versus the given value.  The message is thread-local and valid
 *    until the next pygraph call on the same thread; a successful call leaves
 *    it empty.
 *  - Failure changes nothing.  A call that fails leaves every object and every
 *    output buffer as it was.  Pointer out-parameters (T ** and const T **)
 *    are set to NULL on failure; value out-parameters (size_t *, int *, a
 *    pygraph_logical_tensor *) are left untouched.
 *  - NULL.  pygraph_*_destroy(NULL) is a harmless no-op returning
 *    pygraph_success.  Destroy functions never fail and never change the
 *    thread's message: a binding's garbage collector may run one between a
 *    failed call and the read of that call's message.  Any other NULL pointer argument that the comment does
 *    not allow is pygraph_invalid_arguments.
 *  - Ownership.  Every handle returned through a T ** out-parameter is owned
 *    by the caller and released with the matching pygraph_T_destroy.  Objects
 *    never keep pointers to the caller's memory: ops, graphs and partitions
 *    copy what they are given, so arguments may be freed after the call.
 *    Pointers returned through "const T **" out-parameters point into the
 *    object and stay valid until that object is destroyed.
 *  - Independence of lifetimes.  A partition does not depend on its graph, a
 *    compiled partition does not depend on its partition or engine: each may
 *    outlive its parents.
 *  - Threads.  Ops and graphs are not synchronised: do not mutate one from two
 *    threads at once.  Partitions and compiled partitions are immutable once
 *    created; every function taking them as const may be called from any
 *    number of threads at once, including pygraph_compiled_partition_execute
 *    on one compiled partition.  Different objects are fully independent.
 *  - Ids.  Op ids and logical tensor ids are uint64_t chosen by the caller.
 *    Op ids are unique within a graph; a tensor id names one value of the
 *    graph (one producer, any number of consumers).
 *  - Sizes.  Dims and strides count elements, never bytes.  Every element
 *    count and byte size is computed with overflow checks; a tensor whose
 *    size does not fit in the address space is pygraph_invalid_shape.
 * ---------------------------------------------------------------------------
 */
#ifndef PYGRAPH_PYGRAPH_H
#define PYGRAPH_PYGRAPH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PYGRAPH_API marks the public entry points (default visibility; the rest of
 * the library is built with hidden visibility). */
#ifndef PYGRAPH_API
#if defined(__GNUC__)
#define PYGRAPH_API __attribute__((visibility("default")))
#else
#define PYGRAPH_API
#endif
#endif

/* ========================================================================= */
/* Constants                                                                 */
/* ========================================================================= */

/* Maximum number of dimensions of a logical tensor. */
#define PYGRAPH_MAX_NDIMS 12

/* ndims of a logical tensor whose rank is not known yet. */
#define PYGRAPH_UNKNOWN_NDIMS -1

/* A dim or stride that is not known yet; equals oneDNN's DNNL_GRAPH_UNKNOWN_DIM
 * (INT64_MIN). */
#define PYGRAPH_UNKNOWN_DIM (-0x7fffffffffffffffLL - 1)

/* ========================================================================= */
/* Enumerations (names and values follow oneDNN)                             */
/* ========================================================================= */

/* Status of every call (values of oneDNN's dnnl_status_t). */
typedef enum pygraph_status {
    pygraph_success = 0,           /* the call did what it says */
    pygraph_out_of_memory = 1,     /* an allocation failed; nothing changed */
    pygraph_invalid_arguments = 2, /* an argument is NULL, out of range or inconsistent */
    pygraph_unimplemented = 3,     /* valid request that pygraph does not implement */
    pygraph_last_impl_reached = 4, /* (kept for oneDNN parity; not returned) */
    pygraph_runtime_error = 5,     /* the library failed internally (e.g. a thread did not start) */
    pygraph_not_required = 6,      /* (kept for oneDNN parity; not returned) */
    pygraph_invalid_graph = 7,     /* the graph as a whole is wrong (cycle, state, conflicting tensor) */
    pygraph_invalid_graph_op = 8,  /* an op breaks its schema (attributes, port counts) */
    pygraph_invalid_shape = 9,     /* dims or strides are wrong, incompatible or too large */
    pygraph_invalid_data_type = 10 /* a data type is outside a type constraint or unsupported */
} pygraph_status;

/* Element data types (values of oneDNN's dnnl_data_type_t; 7, oneDNN's f64,
 * has no graph-API meaning and is not used).  Every name loads so that real
 * graph dumps can be read; LeakyReLU computes on f32, bf16 and f16. */
typedef enum pygraph_data_type {
    pygraph_data_type_undef = 0,
    pygraph_data_type_f16 = 1,
    pygraph_data_type_bf16 = 2,
    pygraph_data_type_f32 = 3,
    pygraph_data_type_s32 = 4,
    pygraph_data_type_s8 = 5,
    pygraph_data_type_u8 = 6,
    pygraph_data_type_boolean = 8,
    pygraph_data_type_f8_e5m2 = 9,
    pygraph_data_type_f8_e4m3 = 10,
    pygraph_data_type_s4 = 11,
    pygraph_data_type_u4 = 12
} pygraph_data_type;

/* Layout of a logical tensor (oneDNN's dnnl_graph_layout_type_t).
 * undef: not described yet (matches anything when two descriptions meet);
 * any: the library chooses at compile time (outputs only);
 * strided: described by dims and strides;
 * opaque: a library-private layout (pygraph has none; rejected at compile). */
typedef enum pygraph_layout_type {
    pygraph_layout_type_undef = 0,
    pygraph_layout_type_any = 1,
    pygraph_layout_type_strided = 2,
    pygraph_layout_type_opaque = 3
} pygraph_layout_type;

/* Property of a logical tensor (oneDNN's dnnl_graph_tensor_property_t). */
typedef enum pygraph_property_type {
    pygraph_property_type_undef = 0,
    pygraph_property_type_variable = 1,
    pygraph_property_type_constant = 2
} pygraph_property_type;

/* Engine kinds (oneDNN's dnnl_engine_kind_t).  pygraph runs on the CPU. */
typedef enum pygraph_engine_kind {
    pygraph_engine_kind_any = 0,
    pygraph_engine_kind_cpu = 1,
    pygraph_engine_kind_gpu = 2
} pygraph_engine_kind;

/* Partitioning policies (oneDNN's dnnl_graph_partition_policy_t).
 * fusion: every maximal chain of LeakyReLU ops whose intermediate tensors
 *         feed only the next op of the chain (and are not graph outputs)
 *         becomes one partition, executed in one pass over memory.
 * debug:  one op per partition. */
typedef enum pygraph_partition_policy {
    pygraph_partition_policy_fusion = 1,
    pygraph_partition_policy_debug = 2
} pygraph_partition_policy;

/* ========================================================================= */
/* Library                                                                   */
/* ========================================================================= */

/* The message of the last failed pygraph call on this thread ("" after a
 * successful call other than a destroy).  Caller-chosen strings (op names, kinds, attribute
 * names) are cut to 120 bytes inside messages, at a UTF-8 boundary.  Never NULL.  Thread-local; valid until the next pygraph
 * call on this thread. */
PYGRAPH_API const char *pygraph_last_error_message(void);

/* The library's version, e.g. "0.1.0".  Never NULL; static storage. */
PYGRAPH_API const char *pygraph_version(void);

/* oneDNN's name of a status ("success", "invalid_arguments", ...), or
 * "unknown" for a value outside the enum.  Never NULL; static storage.
 * This function and the three below return no status and leave the last
 * error message alone (the library uses them while writing messages). */
PYGRAPH_API const char *pygraph_status_name(pygraph_status status);

/* oneDNN's name of a data type ("f32", "bf16", "undef", ...), or NULL for a
 * value outside the enum.  Static storage. */
PYGRAPH_API const char *pygraph_data_type_name(pygraph_data_type data_type);

/* Size in bytes of one element of `data_type`; 0 for undef, for values
 * outside the enum and for the sub-byte types s4 and u4. */
PYGRAPH_API size_t pygraph_data_type_size(pygraph_data_type data_type);

/* ========================================================================= */
/* CPU dispatch and threads                                                  */
/* ========================================================================= */

/* The CPU features pygraph detected and may use (checked together with OS
 * support for the register state), as a space-separated list such as
 * "avx2 f16c avx512f avx512dq avx512bw avx512vl avx512_bf16".  Static
 * storage. */
PYGRAPH_API pygraph_status pygraph_get_cpu_features(const char **features);

/* The highest instruction set the kernels use now, from the top:
 * "avx512_bf16" (AVX-512 with DQ and AVX512_BF16, used by the bf16 kernels; the
 * others run their avx512 kernels), "avx512" (F, BW, VL), "avx2" (with
 * F16C) or "scalar".  It is the best one the CPU supports, capped by the environment
 * variable PYGRAPH_MAX_ISA (read once, at the first call that needs it;
 * case-insensitive; an unknown value is ignored) and by
 * pygraph_set_max_cpu_isa() — the lower cap wins.  Static storage. */
PYGRAPH_API pygraph_status pygraph_get_cpu_isa(const char **isa);

/* Caps the instruction set the kernels may use: "scalar", "avx2", "avx512",
 * "avx512_bf16" or "best" (removes this cap; PYGRAPH_MAX_ISA still applies).  Takes effect for every execution that starts after
 * the call, including executions of partitions compiled before it.  Every
 * level gives identical bits; this exists so each path is testable on one
 * machine.  An unknown name is pygraph_invalid_arguments.  Thread-safe. */
PYGRAPH_API pygraph_status pygraph_set_max_cpu_isa(const char *isa);

/* The name of the kernel that executes LeakyReLU on `data_type` now, e.g.
 * "f32_lrelu__avx512". pygraph_invalid_data_type for a type LeakyReLU does
 * not support.  Static storage. */
PYGRAPH_API pygraph_status pygraph_get_kernel_name(pygraph_data_type data_type, const char **name);

/* Number of threads an execution may use (the calling thread included).
 * Defaults to the environment variable PYGRAPH_NUM_THREADS when it is a
 * positive integer, else to the number of CPUs the process may run on.
 * pygraph_set_num_threads(0) restores that default; a negative value is
 * pygraph_invalid_arguments.  Small tensors always run on the calling
 * thread only.  Thread-safe; the result of an execution does not depend on
 * the number of threads, bit for bit. */
PYGRAPH_API pygraph_status pygraph_set_num_threads(int num_threads);
PYGRAPH_API pygraph_status pygraph_get_num_threads(int *num_threads);

/* ========================================================================= */
/* Op schemas                                                                */
/* ========================================================================= */

/* The op kinds the library knows, in a stable order.  `*kinds` points to
 * `*num_kinds` static strings. */
PYGRAPH_API pygraph_status pygraph_schema_list(size_t *num_kinds, const char *const **kinds);

/* The schema of op kind `kind` as the JSON text of schemas/<kind>.json (the
 * single source the C tables are generated from).  Static storage.  An
 * unknown kind is pygraph_invalid_arguments; the message lists the known
 * kinds. */
PYGRAPH_API pygraph_status pygraph_schema_get_json(const char *kind, const char **json);

/* ========================================================================= */
/* Engine and stream                                                         */
/* ========================================================================= */

typedef struct pygraph_engine pygraph_engine;
typedef struct pygraph_stream pygraph_stream;

/* Creates an engine.  Only (pygraph_engine_kind_cpu, 0) exists; any other
 * kind is pygraph_unimplemented and another index pygraph_invalid_arguments. */
PYGRAPH_API pygraph_status pygraph_engine_create(pygraph_engine **engine, pygraph_engine_kind kind, size_t index);
PYGRAPH_API pygraph_status pygraph_engine_destroy(pygraph_engine *engine);
PYGRAPH_API pygraph_status pygraph_engine_get_kind(const pygraph_engine *engine, pygraph_engine_kind *kind);

/* Creates a stream on `engine` (the stream does not depend on the engine
 * afterwards).  Executions are synchronous: when execute returns, the
 * outputs are written; pygraph_stream_wait() returns at once. */
PYGRAPH_API pygraph_status pygraph_stream_create(pygraph_stream **stream, const pygraph_engine *engine);
PYGRAPH_API pygraph_status pygraph_stream_destroy(pygraph_stream *stream);
PYGRAPH_API pygraph_status pygraph_stream_wait(pygraph_stream *stream);

/* ========================================================================= */
/* Logical tensor                                                            */
/* ========================================================================= */

/* Describes a tensor: a plain value struct, as in oneDNN.
 *   id          names the value within a graph;
 *   ndims       0..PYGRAPH_MAX_NDIMS, or PYGRAPH_UNKNOWN_NDIMS;
 *   dims        the first ndims entries; each >= 0 or PYGRAPH_UNKNOWN_DIM;
 *   strides     for layout strided: the first ndims entries, in elements,
 *               any sign (negative and zero strides are legal for inputs),
 *               or PYGRAPH_UNKNOWN_DIM while not known.  A stride of a dim
 *               of extent 0 or 1 is never compared, and a tensor with zero
 *               elements has no stride constraint.
 * Entries past ndims are ignored. */
typedef struct pygraph_logical_tensor {
    uint64_t id;
    int32_t ndims;
    int64_t dims[PYGRAPH_MAX_NDIMS];
    pygraph_data_type data_type;
    pygraph_property_type property;
    pygraph_layout_type layout_type;
    int64_t strides[PYGRAPH_MAX_NDIMS];
} pygraph_logical_tensor;

/* Fills `*lt`.  `dims` may be NULL when ndims is 0 or PYGRAPH_UNKNOWN_NDIMS.
 * For layout strided with every dim known, strides are the dense row-major
 * ones; otherwise they are PYGRAPH_UNKNOWN_DIM.  Checks ndims, dims
 * (>= 0 or unknown), the enums, and that the element count fits. */
PYGRAPH_API pygraph_status pygraph_logical_tensor_init(pygraph_logical_tensor *lt, uint64_t id,
                                                       pygraph_data_type data_type, int32_t ndims,
                                                       const int64_t *dims, pygraph_layout_type layout_type,
                                                       pygraph_property_type property);

/* Fills `*lt` with layout strided and the given strides (elements; NULL
 * when ndims is 0). */
PYGRAPH_API pygraph_status pygraph_logical_tensor_init_with_strides(pygraph_logical_tensor *lt, uint64_t id,
                                                                    pygraph_data_type data_type, int32_t ndims,
                                                                    const int64_t *dims, const int64_t *strides,
                                                                    pygraph_property_type property);

/* Bytes spanned by the elements of a strided tensor with known dims and
 * strides: (highest element offset - lowest element offset + 1) * element
 * size; 0 for a tensor with zero elements.  pygraph_invalid_shape when dims
 * or strides are unknown or the size overflows. */
PYGRAPH_API pygraph_status pygraph_logical_tensor_get_mem_size(const pygraph_logical_tensor *lt, size_t *size);

/* ========================================================================= */
/* Op                                                                        */
/* ========================================================================= */

typedef struct pygraph_op pygraph_op;

/* Creates an op of kind `kind` (a schema name: "LeakyReLU", "Wildcard",
 * "End"; see pygraph_schema_list).  `name` may be NULL (the op is then
 * named "<kind>_<id>").  An unknown kind is pygraph_invalid_arguments with a
 * message listing the known kinds.  Attributes and ports are checked against
 * the schema when the op is added to a graph. */
PYGRAPH_API pygraph_status pygraph_op_create(pygraph_op **op, uint64_t id, const char *kind, const char *name);
PYGRAPH_API pygraph_status pygraph_op_destroy(pygraph_op *op);

/* Appends a copy of `*lt` as the next input (output) port. */
PYGRAPH_API pygraph_status pygraph_op_add_input(pygraph_op *op, const pygraph_logical_tensor *lt);
PYGRAPH_API pygraph_status pygraph_op_add_output(pygraph_op *op, const pygraph_logical_tensor *lt);

/* Sets attribute `name` (replacing an earlier value of any type).  The
 * attribute types are those of oneDNN graph files: f32, s64, bool, string,
 * f32[] and s64[].  Array attributes copy `num` values (`values` may be NULL
 * when num is 0).  Whether the schema defines the attribute with that type
 * is checked by pygraph_graph_add_op. */
PYGRAPH_API pygraph_status pygraph_op_set_attr_f32(pygraph_op *op, const char *name, float value);
PYGRAPH_API pygraph_status pygraph_op_set_attr_s64(pygraph_op *op, const char *name, int64_t value);
PYGRAPH_API pygraph_status pygraph_op_set_attr_bool(pygraph_op *op, const char *name, int value);
PYGRAPH_API pygraph_status pygraph_op_set_attr_string(pygraph_op *op, const char *name, const char *value);
PYGRAPH_API pygraph_status pygraph_op_set_attr_f32s(pygraph_op *op, const char *name, const float *values, size_t num);
PYGRAPH_API pygraph_status pygraph_op_set_attr_s64s(pygraph_op *op, const char *name, const int64_t *values, size_t num);

PYGRAPH_API pygraph_status pygraph_op_get_id(const pygraph_op *op, uint64_t *id);
/* `*kind` and `*name` point into the op. */
PYGRAPH_API pygraph_status pygraph_op_get_kind(const pygraph_op *op, const char **kind);
PYGRAPH_API pygraph_status pygraph_op_get_name(const pygraph_op *op, const char **name);

/* ========================================================================= */
/* Graph                                                                     */
/* ========================================================================= */

typedef struct pygraph_graph pygraph_graph;
typedef struct pygraph_partition pygraph_partition;
typedef struct pygraph_compiled_partition pygraph_compiled_partition;

/* Creates an empty graph for engines of `kind` (cpu). */
PYGRAPH_API pygraph_status pygraph_graph_create(pygraph_graph **graph, pygraph_engine_kind kind);
PYGRAPH_API pygraph_status pygraph_graph_destroy(pygraph_graph *graph);

/* Validates `op` against its schema and the graph, then adds a copy of it.
 * Rejects, naming the op, the attribute or port, and expected vs got:
 *   pygraph_invalid_graph_op   a missing required attribute, an attribute
 *                              of the wrong type, an attribute the schema
 *                              does not define, the wrong number of inputs
 *                              or outputs;
 *   pygraph_invalid_data_type  a data type outside the schema's type
 *                              constraint, or ports bound to one type
 *                              variable (LeakyReLU's src and dst) with
 *                              different types;
 *   pygraph_invalid_graph      a duplicate op id, a tensor id already
 *                              produced by another op, a tensor id whose
 *                              description is incompatible with an earlier
 *                              one (compatible: same data type, same ndims
 *                              unless one is unknown, dims equal wherever
 *                              both are known, layout and property equal
 *                              unless one is undef, strides equal wherever
 *                              both are known), an edge that closes a
 *                              cycle, or a graph already finalized. */
PYGRAPH_API pygraph_status pygraph_graph_add_op(pygraph_graph *graph, const pygraph_op *op);

/* Declares tensor `tensor_id` an output of the graph (as a graph file's
 * output_ports does): a fused chain ends at it.  Before finalize only; the
 * id must be a tensor of the graph by the time of finalize. */
PYGRAPH_API pygraph_status pygraph_graph_mark_output(pygraph_graph *graph, uint64_t tensor_id);

/* Checks the graph as a whole (pygraph_invalid_graph for a cycle or a
 * declared output that is not a tensor of the graph) and freezes it.
 * Idempotent: finalizing a finalized graph succeeds and does nothing. */
PYGRAPH_API pygraph_status pygraph_graph_finalize(pygraph_graph *graph);
PYGRAPH_API pygraph_status pygraph_graph_is_finalized(const pygraph_graph *graph, int *finalized);

/* The number of partitions under `policy`, and the partitions themselves, in
 * topological order (a partition's inputs are produced by earlier partitions
 * or by nobody).  The graph must be finalized (pygraph_invalid_graph, the
 * message says to call finalize, otherwise).  get_partitions fills
 * partitions[0..num-1] with new handles owned by the caller; `num` must equal
 * get_partition_num's answer.  On failure every entry is set to NULL. */
PYGRAPH_API pygraph_status pygraph_graph_get_partition_num(const pygraph_graph *graph, pygraph_partition_policy policy,
                                                           size_t *num);
PYGRAPH_API pygraph_status pygraph_graph_get_partitions(const pygraph_graph *graph, pygraph_partition_policy policy,
                                                        size_t num, pygraph_partition **partitions);

/* ========================================================================= */
/* Partition                                                                 */
/* ========================================================================= */

PYGRAPH_API pygraph_status pygraph_partition_destroy(pygraph_partition *partition);

/* The partition's position in the topological order of its graph. */
PYGRAPH_API pygraph_status pygraph_partition_get_id(const pygraph_partition *partition, size_t *id);

/* *supported = 1 for a partition pygraph can compile (a LeakyReLU chain),
 * 0 for one the host framework must run itself (Wildcard, End, ...). */
PYGRAPH_API pygraph_status pygraph_partition_is_supported(const pygraph_partition *partition, int *supported);

/* The ids of the partition's ops, in execution order. */
PYGRAPH_API pygraph_status pygraph_partition_get_ops(const pygraph_partition *partition, size_t *num,
                                                     const uint64_t **op_ids);

/* The partition's input ports (tensors it consumes and does not produce) and
 * output ports (tensors it produces that leave it), as described in the
 * graph. */
PYGRAPH_API pygraph_status pygraph_partition_get_input_ports(const pygraph_partition *partition, size_t *num,
                                                             const pygraph_logical_tensor **ports);
PYGRAPH_API pygraph_status pygraph_partition_get_output_ports(const pygraph_partition *partition, size_t *num,
                                                              const pygraph_logical_tensor **ports);

/* Compiles a supported partition for concrete shapes.
 * `inputs` and `outputs` describe each of the partition's ports exactly once
 * (matched by id, in any order).  Inputs need known dims and strided layout
 * with known strides; outputs may have unknown ndims/dims and layout any (or
 * strided with unknown strides).  Shape inference fills in output dims
 * (identity for LeakyReLU; a known dim that differs is pygraph_invalid_shape
 * naming both shapes) and an output layout that is not fully known becomes
 * the dense layout in the src's stride order: dims sorted by decreasing
 * |src stride|, ties and extent-1 dims in row-major order.  A description
 * that contradicts the graph's (data type, known dims) is rejected like in
 * add_op (pygraph_invalid_graph).  An input of layout any is
 * pygraph_invalid_arguments; an opaque layout, or an unsupported partition,
 * is pygraph_unimplemented.  Output strides that make elements share
 * memory are pygraph_invalid_shape.  `engine` must be a cpu engine. */
PYGRAPH_API pygraph_status pygraph_partition_compile(const pygraph_partition *partition,
                                                     pygraph_compiled_partition **compiled, size_t num_inputs,
                                                     const pygraph_logical_tensor *inputs, size_t num_outputs,
                                                     const pygraph_logical_tensor *outputs,
                                                     const pygraph_engine *engine);

/* ========================================================================= */
/* Compiled partition and execution                                          */
/* ========================================================================= */

/* A pair of ports that may share memory: executing with the output's data
 * pointer equal to the input's (and the same layout) is in place. */
typedef struct pygraph_inplace_pair {
    uint64_t input_id;
    uint64_t output_id;
} pygraph_inplace_pair;

/* Memory for one port: `desc` describes the memory (data type, dims and
 * strides in elements); `data` is the address of the element at index
 * (0, ..., 0) — with negative strides other elements lie below it.  The
 * caller guarantees that every element the description reaches is valid
 * memory (writable for outputs). */
typedef struct pygraph_tensor {
    pygraph_logical_tensor desc;
    void *data;
} pygraph_tensor;

PYGRAPH_API pygraph_status pygraph_compiled_partition_destroy(pygraph_compiled_partition *compiled);

/* The compiled (concrete) description of port `id`.  An id that is not a
 * port is pygraph_invalid_arguments. */
PYGRAPH_API pygraph_status pygraph_compiled_partition_query_logical_tensor(const pygraph_compiled_partition *compiled,
                                                                           uint64_t id, pygraph_logical_tensor *lt);

/* The ports that may be executed in place (LeakyReLU: (src, dst)). */
PYGRAPH_API pygraph_status pygraph_compiled_partition_get_inplace_ports(const pygraph_compiled_partition *compiled,
                                                                        size_t *num,
                                                                        const pygraph_inplace_pair **pairs);

/* The compiled input and output ports, in the order that
 * pygraph_compiled_partition_execute_buffers takes them. */
PYGRAPH_API pygraph_status pygraph_compiled_partition_get_input_ports(const pygraph_compiled_partition *compiled,
                                                                      size_t *num,
                                                                      const pygraph_logical_tensor **ports);
PYGRAPH_API pygraph_status pygraph_compiled_partition_get_output_ports(const pygraph_compiled_partition *compiled,
                                                                       size_t *num,
                                                                       const pygraph_logical_tensor **ports);

/* Executes on `inputs` and `outputs`, matched to the ports by desc.id (any
 * order).  Before touching any memory it checks, naming the port and
 * expected vs got: every port present exactly once
 * (pygraph_invalid_arguments), data type (pygraph_invalid_data_type), dims
 * and strides equal to the compiled ones (pygraph_invalid_shape; strides of
 * extent-0/1 dims are not compared), non-NULL data unless the tensor has
 * zero elements, and that no output partially overlaps an input or another
 * output (pygraph_invalid_arguments): an output may alias an in-place
 * partner input exactly (same data pointer, same layout).  Synchronous;
 * allocates nothing on the heap; thread-safe on one compiled partition. */
PYGRAPH_API pygraph_status pygraph_compiled_partition_execute(const pygraph_compiled_partition *compiled,
                                                              const pygraph_stream *stream, size_t num_inputs,
                                                              const pygraph_tensor *inputs, size_t num_outputs,
                                                              const pygraph_tensor *outputs);

/* The lean form of execute: `inputs[i]` and `outputs[i]` are the data
 * pointers of the compiled ports in the order of get_input_ports and
 * get_output_ports, each laid out exactly as its compiled port describes
 * (the caller's guarantee, as with a pygraph_tensor whose desc is the
 * compiled port).  Checks counts, NULL data and overlap as execute does. */
PYGRAPH_API pygraph_status pygraph_compiled_partition_execute_buffers(const pygraph_compiled_partition *compiled,
                                                                      const pygraph_stream *stream,
                                                                      size_t num_inputs, void *const *inputs,
                                                                      size_t num_outputs, void *const *outputs);

/* execute_buffers for a compiled partition with one input and one output
 * port (every LeakyReLU chain), without pointer arrays: the cheapest call,
 * for bindings where building an array per call costs more than the work
 * (from Python, about as much as the rest of a 100-element call).  Checks
 * NULL data and overlap as execute does. */
PYGRAPH_API pygraph_status pygraph_compiled_partition_execute_unary(const pygraph_compiled_partition *compiled,
                                                                    const pygraph_stream *stream,
                                                                    const void *input, void *output);

#ifdef __cplusplus
}
#endif

#endif /* PYGRAPH_PYGRAPH_H */
