/*
 * leaky_relu.h — the kernel layer's interface to the rest of the library.
 *
 * The kernels know nothing of graphs: they run a chain of LeakyReLU steps
 * (one alpha per fused op) over one strided n-d array into another.  The
 * interface layer prepares a plan once, at compile time, and runs it at
 * every execution; running allocates nothing on the heap.
 *
 * Semantics — the definition every kernel must reproduce bit for bit (the
 * scalar reference kernel in reference/ is its executable form):
 *
 *   For each element x (of type T in {f32, bf16, f16}) and each alpha of the
 *   chain in order:
 *     if x is NaN:         x keeps its sign and payload, with the quiet bit
 *                          set (f32 |= 0x00400000, bf16 |= 0x0040,
 *                          f16 |= 0x0200);
 *     else if x >= 0:      x unchanged, bit for bit (+0 and -0 included);
 *     else:                r = f32(alpha) * f32(x) computed in f32 (one
 *                          IEEE multiply, no FMA, no double, subnormals
 *                          kept), then rounded once, to nearest-even, to T
 *                          (overflow gives ±inf).  When r is NaN it is
 *                            - alpha quieted if alpha is NaN (narrowed to T
 *                              by keeping the top payload bits and setting
 *                              the quiet bit), or
 *                            - the x86 default NaN 0xFFC00000 (bf16 0xFFC0,
 *                              f16 0xFE00) for -inf * ±0,
 *                          so that every CPU gives the bits x86 gives.
 *     x becomes the result, in T (so a fused chain rounds after every step,
 *     exactly as running the ops one by one).
 */
#ifndef PYGRAPH_KERNELS_LEAKY_RELU_H
#define PYGRAPH_KERNELS_LEAKY_RELU_H

#include <stddef.h>
#include <stdint.h>

#include "pygraph/pygraph.h"

/* A LeakyReLU chain ready to run on memory of one layout. */
typedef struct pg_lrelu_plan {
    pygraph_data_type data_type; /* f32, bf16 or f16 */
    int ndims;                   /* after merging dims that are contiguous in both src and dst */
    int64_t dims[PYGRAPH_MAX_NDIMS];
    int64_t src_strides[PYGRAPH_MAX_NDIMS]; /* elements, any sign */
    int64_t dst_strides[PYGRAPH_MAX_NDIMS]; /* elements */
    int64_t num_elements;
    const float *alphas; /* borrowed: must outlive the plan */
    size_t num_alphas;   /* >= 1 */
} pg_lrelu_plan;

/* Prepares a plan.  The caller has already validated everything: data_type
 * is f32/bf16/f16, 0 <= ndims <= PYGRAPH_MAX_NDIMS, dims >= 0, the element
 * count and byte extents fit, dst does not overlap itself, and src and dst
 * either are the same memory with the same strides (in place) or do not
 * overlap. */
void pg_lrelu_plan_init(pg_lrelu_plan *plan, pygraph_data_type data_type, int ndims, const int64_t *dims,
                        const int64_t *src_strides, const int64_t *dst_strides, const float *alphas,
                        size_t num_alphas);

/* Runs the plan: src and dst are the addresses of element (0, ..., 0).
 * Uses the kernels selected for the current CPU and ISA cap, and the thread
 * pool above the size where threads pay; dense out-of-place calls of the
 * sizes where streaming stores or software prefetch may or may not pay time
 * themselves to find out (stream_trials.h).  Never allocates on the heap;
 * safe to call from many threads at once. */
void pg_lrelu_plan_run(const pg_lrelu_plan *plan, const void *src, void *dst);

#endif /* PYGRAPH_KERNELS_LEAKY_RELU_H */
