/*
 * library.c — version, status names, data type names and sizes.
 *
 * These queries return no status and leave the last error message alone
 * (the library itself calls them while formatting messages).
 */
#include <stddef.h>

#include "interface/pygraph_version.h"
#include "pygraph/pygraph.h"

const char *pygraph_version(void) {
    return PYGRAPH_VERSION_STRING;
}

const char *pygraph_status_name(pygraph_status status) {
    switch (status) {
    case pygraph_success: return "success";
    case pygraph_out_of_memory: return "out_of_memory";
    case pygraph_invalid_arguments: return "invalid_arguments";
    case pygraph_unimplemented: return "unimplemented";
    case pygraph_last_impl_reached: return "last_impl_reached";
    case pygraph_runtime_error: return "runtime_error";
    case pygraph_not_required: return "not_required";
    case pygraph_invalid_graph: return "invalid_graph";
    case pygraph_invalid_graph_op: return "invalid_graph_op";
    case pygraph_invalid_shape: return "invalid_shape";
    case pygraph_invalid_data_type: return "invalid_data_type";
    }
    return "unknown";
}

const char *pygraph_data_type_name(pygraph_data_type data_type) {
    switch (data_type) {
    case pygraph_data_type_undef: return "undef";
    case pygraph_data_type_f16: return "f16";
    case pygraph_data_type_bf16: return "bf16";
    case pygraph_data_type_f32: return "f32";
    case pygraph_data_type_s32: return "s32";
    case pygraph_data_type_s8: return "s8";
    case pygraph_data_type_u8: return "u8";
    case pygraph_data_type_boolean: return "boolean";
    case pygraph_data_type_f8_e5m2: return "f8_e5m2";
    case pygraph_data_type_f8_e4m3: return "f8_e4m3";
    case pygraph_data_type_s4: return "s4";
    case pygraph_data_type_u4: return "u4";
    }
    return NULL;
}

size_t pygraph_data_type_size(pygraph_data_type data_type) {
    switch (data_type) {
    case pygraph_data_type_f32:
    case pygraph_data_type_s32: return 4;
    case pygraph_data_type_f16:
    case pygraph_data_type_bf16: return 2;
    case pygraph_data_type_s8:
    case pygraph_data_type_u8:
    case pygraph_data_type_boolean:
    case pygraph_data_type_f8_e5m2:
    case pygraph_data_type_f8_e4m3: return 1;
    case pygraph_data_type_undef:
    case pygraph_data_type_s4:
    case pygraph_data_type_u4: return 0;
    }
    return 0;
}
