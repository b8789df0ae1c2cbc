/*
 * logical_tensor.c — the logical tensor value struct: initialisers, size
 * queries, and the checks the graph, compile and execute share.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "interface/error.h"
#include "interface/objects.h"

static int data_type_valid(pygraph_data_type data_type) {
    return pygraph_data_type_name(data_type) != NULL;
}

static int layout_valid(pygraph_layout_type layout) {
    return layout >= pygraph_layout_type_undef && layout <= pygraph_layout_type_opaque;
}

static int property_valid(pygraph_property_type property) {
    return property >= pygraph_property_type_undef && property <= pygraph_property_type_constant;
}

pygraph_status pg_lt_check(const pygraph_logical_tensor *lt, const char *context) {
    if (!data_type_valid(lt->data_type)) {
        return pg_error(pygraph_invalid_arguments, "%s: tensor %" PRIu64 " has data type value %d, which is not a "
                        "pygraph_data_type", context, lt->id, (int)lt->data_type);
    }
    if (!layout_valid(lt->layout_type)) {
        return pg_error(pygraph_invalid_arguments, "%s: tensor %" PRIu64 " has layout type value %d, expected "
                        "undef, any, strided or opaque", context, lt->id, (int)lt->layout_type);
    }
    if (!property_valid(lt->property)) {
        return pg_error(pygraph_invalid_arguments, "%s: tensor %" PRIu64 " has property value %d, expected undef, "
                        "variable or constant", context, lt->id, (int)lt->property);
    }
    if (lt->ndims < PYGRAPH_UNKNOWN_NDIMS || lt->ndims > PYGRAPH_MAX_NDIMS) {
        return pg_error(pygraph_invalid_shape, "%s: tensor %" PRIu64 " has ndims %" PRId32 ", expected -1 "
                        "(unknown) to %d", context, lt->id, lt->ndims, PYGRAPH_MAX_NDIMS);
    }
    for (int32_t d = 0; d < lt->ndims; ++d) {
        if (lt->dims[d] < 0 && lt->dims[d] != PYGRAPH_UNKNOWN_DIM) {
            return pg_error(pygraph_invalid_shape, "%s: tensor %" PRIu64 " has dim %" PRId32 " = %" PRId64
                            ", expected >= 0 or unknown", context, lt->id, d, lt->dims[d]);
        }
    }
    return pygraph_success;
}

int pg_lt_dims_known(const pygraph_logical_tensor *lt) {
    if (lt->ndims < 0) return 0;
    for (int32_t d = 0; d < lt->ndims; ++d) {
        if (lt->dims[d] == PYGRAPH_UNKNOWN_DIM) return 0;
    }
    return 1;
}

void pg_format_dims(char *buf, size_t size, int32_t ndims, const int64_t *dims) {
    if (size == 0) return;
    if (ndims < 0) {
        snprintf(buf, size, "(unknown rank)");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int32_t d = 0; d <= ndims && used < size; ++d) {
        int n;
        if (d == ndims) {
            n = snprintf(buf + used, size - used, "]");
        } else if (dims[d] == PYGRAPH_UNKNOWN_DIM) {
            n = snprintf(buf + used, size - used, "%s?", d ? ", " : "[");
        } else {
            n = snprintf(buf + used, size - used, "%s%" PRId64, d ? ", " : "[", dims[d]);
        }
        if (n < 0) return;
        used += (size_t)n;
    }
    if (ndims == 0) snprintf(buf, size, "[]");
}

static const char *layout_name(pygraph_layout_type layout) {
    static const char *const names[] = {"undef", "any", "strided", "opaque"};
    return layout_valid(layout) ? names[layout] : "(invalid)";
}

static const char *property_name(pygraph_property_type property) {
    static const char *const names[] = {"undef", "variable", "constant"};
    return property_valid(property) ? names[property] : "(invalid)";
}

int pg_lt_compatible(const pygraph_logical_tensor *here, const pygraph_logical_tensor *before, char *why,
                     size_t why_size) {
    if (here->data_type != before->data_type) {
        snprintf(why, why_size, "data type %s here but %s before", pygraph_data_type_name(here->data_type),
                 pygraph_data_type_name(before->data_type));
        return 0;
    }
    if (here->ndims >= 0 && before->ndims >= 0) {
        int same = here->ndims == before->ndims;
        for (int32_t d = 0; same && d < here->ndims; ++d) {
            same = here->dims[d] == PYGRAPH_UNKNOWN_DIM || before->dims[d] == PYGRAPH_UNKNOWN_DIM ||
                   here->dims[d] == before->dims[d];
        }
        if (!same) {
            char shape_here[160], shape_before[160];
            pg_format_dims(shape_here, sizeof shape_here, here->ndims, here->dims);
            pg_format_dims(shape_before, sizeof shape_before, before->ndims, before->dims);
            snprintf(why, why_size, "shape %s here but %s before", shape_here, shape_before);
            return 0;
        }
    }
    if (here->layout_type != before->layout_type && here->layout_type != pygraph_layout_type_undef &&
        before->layout_type != pygraph_layout_type_undef) {
        snprintf(why, why_size, "layout %s here but %s before", layout_name(here->layout_type),
                 layout_name(before->layout_type));
        return 0;
    }
    if (here->property != before->property && here->property != pygraph_property_type_undef &&
        before->property != pygraph_property_type_undef) {
        snprintf(why, why_size, "property %s here but %s before", property_name(here->property),
                 property_name(before->property));
        return 0;
    }
    if (here->layout_type == pygraph_layout_type_strided && before->layout_type == pygraph_layout_type_strided &&
        here->ndims >= 0 && here->ndims == before->ndims) {
        for (int32_t d = 0; d < here->ndims; ++d) {
            int64_t extent = here->dims[d] != PYGRAPH_UNKNOWN_DIM ? here->dims[d] : before->dims[d];
            /* A stride of an extent-0/1 dim (or of a dim whose extent is
             * still unknown) never decides where an element lies. */
            if (extent == PYGRAPH_UNKNOWN_DIM || extent <= 1) continue;
            if (here->strides[d] == PYGRAPH_UNKNOWN_DIM || before->strides[d] == PYGRAPH_UNKNOWN_DIM) continue;
            if (here->strides[d] != before->strides[d]) {
                char strides_here[160], strides_before[160];
                pg_format_dims(strides_here, sizeof strides_here, here->ndims, here->strides);
                pg_format_dims(strides_before, sizeof strides_before, before->ndims, before->strides);
                snprintf(why, why_size, "strides %s here but %s before (dim %" PRId32 " differs)", strides_here,
                         strides_before, d);
                return 0;
            }
        }
    }
    return 1;
}

void pg_lt_merge(pygraph_logical_tensor *merged, const pygraph_logical_tensor *more) {
    if (merged->ndims < 0 && more->ndims >= 0) {
        merged->ndims = more->ndims;
        for (int32_t d = 0; d < more->ndims; ++d) {
            merged->dims[d] = more->dims[d];
            merged->strides[d] = PYGRAPH_UNKNOWN_DIM;
        }
    } else if (merged->ndims >= 0 && merged->ndims == more->ndims) {
        for (int32_t d = 0; d < merged->ndims; ++d) {
            if (merged->dims[d] == PYGRAPH_UNKNOWN_DIM) merged->dims[d] = more->dims[d];
        }
    }
    if (merged->property == pygraph_property_type_undef) merged->property = more->property;
    if (more->layout_type == pygraph_layout_type_strided && merged->ndims == more->ndims) {
        if (merged->layout_type != pygraph_layout_type_strided) {
            for (int32_t d = 0; d < merged->ndims; ++d) merged->strides[d] = PYGRAPH_UNKNOWN_DIM;
        }
        for (int32_t d = 0; d < merged->ndims; ++d) {
            if (merged->strides[d] == PYGRAPH_UNKNOWN_DIM) merged->strides[d] = more->strides[d];
        }
    }
    if (merged->layout_type == pygraph_layout_type_undef) merged->layout_type = more->layout_type;
}

int pg_num_elements(int32_t ndims, const int64_t *dims, int64_t *count) {
    int64_t product = 1;
    for (int32_t d = 0; d < ndims; ++d) {
        if (dims[d] == 0) {
            *count = 0;
            return 0;
        }
    }
    for (int32_t d = 0; d < ndims; ++d) {
        if (dims[d] < 0 || product > INT64_MAX / dims[d]) return -1;
        product *= dims[d];
    }
    *count = product;
    return 0;
}

int pg_byte_range_of(int32_t ndims, const int64_t *dims, const int64_t *strides, size_t element_size,
                     pg_byte_range *range) {
    int64_t count;
    if (pg_num_elements(ndims, dims, &count) != 0) return -1;
    range->lowest = range->highest = 0;
    if (count == 0) return 0;
    if (element_size == 0 || element_size > (size_t)INT64_MAX) return -1;
    /* Offsets in elements first, then bytes; every step is checked. */
    int64_t lowest = 0, highest = 0;
    for (int32_t d = 0; d < ndims; ++d) {
        int64_t steps = dims[d] - 1;
        if (steps == 0) continue;
        int64_t stride = strides[d];
        if (stride == PYGRAPH_UNKNOWN_DIM) return -1;
        int64_t magnitude = stride < 0 ? -stride : stride;
        if (magnitude != 0 && steps > INT64_MAX / magnitude) return -1;
        int64_t reach = steps * magnitude;
        if (stride < 0) {
            if (lowest < -INT64_MAX + reach) return -1;
            lowest -= reach;
        } else {
            if (highest > INT64_MAX - reach) return -1;
            highest += reach;
        }
    }
    /* The whole span (highest - lowest + 1 elements) must fit in bytes;
     * then both ends do too. */
    int64_t size = (int64_t)element_size;
    if (highest > INT64_MAX - 1 + lowest) return -1;
    if (highest - lowest + 1 > INT64_MAX / size) return -1;
    range->lowest = lowest * size;
    range->highest = (highest + 1) * size;
    return 0;
}

static pygraph_status init_checked(pygraph_logical_tensor *lt, uint64_t id, pygraph_data_type data_type,
                                   int32_t ndims, const int64_t *dims, pygraph_layout_type layout_type,
                                   const int64_t *strides, pygraph_property_type property) {
    if (lt == NULL) return pg_error(pygraph_invalid_arguments, "logical tensor: lt is NULL");
    if (ndims > 0 && dims == NULL) {
        return pg_error(pygraph_invalid_arguments, "logical tensor %" PRIu64 ": dims is NULL but ndims is %" PRId32,
                        id, ndims);
    }
    pygraph_logical_tensor value;
    memset(&value, 0, sizeof value);
    value.id = id;
    value.data_type = data_type;
    value.ndims = ndims;
    value.layout_type = layout_type;
    value.property = property;
    for (int d = 0; d < PYGRAPH_MAX_NDIMS; ++d) value.strides[d] = PYGRAPH_UNKNOWN_DIM;
    if (ndims > 0 && ndims <= PYGRAPH_MAX_NDIMS) memcpy(value.dims, dims, (size_t)ndims * sizeof *dims);
    char context[64];
    snprintf(context, sizeof context, "logical tensor %" PRIu64, id);
    pygraph_status status = pg_lt_check(&value, context);
    if (status != pygraph_success) return status;
    int64_t count;
    if (pg_lt_dims_known(&value) && pg_num_elements(ndims, value.dims, &count) != 0) {
        char shape[160];
        pg_format_dims(shape, sizeof shape, ndims, value.dims);
        return pg_error(pygraph_invalid_shape, "logical tensor %" PRIu64 ": the element count of shape %s "
                        "overflows", id, shape);
    }
    if (strides != NULL) {
        if (ndims > 0) memcpy(value.strides, strides, (size_t)ndims * sizeof *strides);
    } else if (layout_type == pygraph_layout_type_strided && pg_lt_dims_known(&value)) {
        /* Dense row-major; an extent-0 dim counts as 1 so strides stay
         * meaningful (as NumPy and PyTorch do). */
        int64_t stride = 1;
        for (int32_t d = ndims - 1; d >= 0; --d) {
            value.strides[d] = stride;
            int64_t extent = value.dims[d] > 1 ? value.dims[d] : 1;
            if (stride > INT64_MAX / extent) {
                char shape[160];
                pg_format_dims(shape, sizeof shape, ndims, value.dims);
                return pg_error(pygraph_invalid_shape, "logical tensor %" PRIu64 ": the dense strides of shape %s "
                                "overflow", id, shape);
            }
            stride *= extent;
        }
    }
    *lt = value;
    return pygraph_success;
}

pygraph_status pygraph_logical_tensor_init(pygraph_logical_tensor *lt, uint64_t id, pygraph_data_type data_type,
                                           int32_t ndims, const int64_t *dims, pygraph_layout_type layout_type,
                                           pygraph_property_type property) {
    pg_error_clear();
    return init_checked(lt, id, data_type, ndims, dims, layout_type, NULL, property);
}

pygraph_status pygraph_logical_tensor_init_with_strides(pygraph_logical_tensor *lt, uint64_t id,
                                                        pygraph_data_type data_type, int32_t ndims,
                                                        const int64_t *dims, const int64_t *strides,
                                                        pygraph_property_type property) {
    pg_error_clear();
    if (ndims > 0 && strides == NULL) {
        return pg_error(pygraph_invalid_arguments,
                        "logical tensor %" PRIu64 ": strides is NULL but ndims is %" PRId32, id, ndims);
    }
    if (ndims < 0) {
        return pg_error(pygraph_invalid_shape, "logical tensor %" PRIu64 ": strides need a known rank, got ndims %"
                        PRId32, id, ndims);
    }
    return init_checked(lt, id, data_type, ndims, dims, pygraph_layout_type_strided, strides, property);
}

pygraph_status pygraph_logical_tensor_get_mem_size(const pygraph_logical_tensor *lt, size_t *size) {
    pg_error_clear();
    if (lt == NULL || size == NULL) {
        return pg_error(pygraph_invalid_arguments, "logical tensor get_mem_size: %s is NULL", lt ? "size" : "lt");
    }
    pygraph_status status = pg_lt_check(lt, "logical tensor get_mem_size");
    if (status != pygraph_success) return status;
    if (lt->layout_type != pygraph_layout_type_strided) {
        return pg_error(pygraph_invalid_shape, "logical tensor %" PRIu64 ": the memory size needs layout strided, "
                        "got %s", lt->id, layout_name(lt->layout_type));
    }
    if (!pg_lt_dims_known(lt)) {
        char shape[160];
        pg_format_dims(shape, sizeof shape, lt->ndims, lt->dims);
        return pg_error(pygraph_invalid_shape, "logical tensor %" PRIu64 ": the memory size needs known dims, got "
                        "shape %s", lt->id, shape);
    }
    size_t element_size = pygraph_data_type_size(lt->data_type);
    if (element_size == 0) {
        return pg_error(pygraph_invalid_data_type, "logical tensor %" PRIu64 ": data type %s has no byte size",
                        lt->id, pygraph_data_type_name(lt->data_type));
    }
    int64_t count;
    if (pg_num_elements(lt->ndims, lt->dims, &count) == 0 && count > 0) {
        for (int32_t d = 0; d < lt->ndims; ++d) {
            if (lt->dims[d] > 1 && lt->strides[d] == PYGRAPH_UNKNOWN_DIM) {
                return pg_error(pygraph_invalid_shape, "logical tensor %" PRIu64 ": stride of dim %" PRId32
                                " is unknown", lt->id, d);
            }
        }
    }
    pg_byte_range range;
    if (pg_byte_range_of(lt->ndims, lt->dims, lt->strides, element_size, &range) != 0 ||
        (uint64_t)(range.highest - range.lowest) > (uint64_t)SIZE_MAX) {
        return pg_error(pygraph_invalid_shape, "logical tensor %" PRIu64 ": the memory size overflows", lt->id);
    }
    *size = (size_t)(range.highest - range.lowest);
    return pygraph_success;
}
