/*
 * engine.c — engine and stream.  pygraph runs on the CPU, synchronously:
 * a stream only carries its engine kind.
 */
#include <stdlib.h>

#include "interface/error.h"
#include "interface/objects.h"

const char *pg_engine_kind_name(pygraph_engine_kind kind) {
    switch (kind) {
    case pygraph_engine_kind_any: return "any";
    case pygraph_engine_kind_cpu: return "cpu";
    case pygraph_engine_kind_gpu: return "gpu";
    }
    return "(invalid)";
}

pygraph_status pygraph_engine_create(pygraph_engine **engine, pygraph_engine_kind kind, size_t index) {
    pg_error_clear();
    if (engine == NULL) return pg_error(pygraph_invalid_arguments, "engine_create: engine is NULL");
    *engine = NULL;
    if (kind != pygraph_engine_kind_cpu) {
        return pg_error(pygraph_unimplemented, "engine_create: engine kind %d (%s) is not available: pygraph runs on "
                        "the cpu engine only", (int)kind, pg_engine_kind_name(kind));
    }
    if (index != 0) {
        return pg_error(pygraph_invalid_arguments, "engine_create: cpu engine index %zu does not exist, expected 0",
                        index);
    }
    pygraph_engine *created = malloc(sizeof *created);
    if (created == NULL) return pg_error(pygraph_out_of_memory, "engine_create: out of memory");
    created->kind = kind;
    created->index = index;
    *engine = created;
    return pygraph_success;
}

pygraph_status pygraph_engine_destroy(pygraph_engine *engine) {
    /* No pg_error_clear(): a destroy may run from a garbage collector
     * between a failed call and the read of its message (header). */
    free(engine);
    return pygraph_success;
}

pygraph_status pygraph_engine_get_kind(const pygraph_engine *engine, pygraph_engine_kind *kind) {
    pg_error_clear();
    if (engine == NULL || kind == NULL) {
        return pg_error(pygraph_invalid_arguments, "engine_get_kind: %s is NULL", engine ? "kind" : "engine");
    }
    *kind = engine->kind;
    return pygraph_success;
}

pygraph_status pygraph_stream_create(pygraph_stream **stream, const pygraph_engine *engine) {
    pg_error_clear();
    if (stream == NULL) return pg_error(pygraph_invalid_arguments, "stream_create: stream is NULL");
    *stream = NULL;
    if (engine == NULL) return pg_error(pygraph_invalid_arguments, "stream_create: engine is NULL");
    pygraph_stream *created = malloc(sizeof *created);
    if (created == NULL) return pg_error(pygraph_out_of_memory, "stream_create: out of memory");
    created->engine_kind = engine->kind;
    *stream = created;
    return pygraph_success;
}

pygraph_status pygraph_stream_destroy(pygraph_stream *stream) {
    /* No pg_error_clear(): a destroy may run from a garbage collector
     * between a failed call and the read of its message (header). */
    free(stream);
    return pygraph_success;
}

pygraph_status pygraph_stream_wait(pygraph_stream *stream) {
    pg_error_clear();
    if (stream == NULL) return pg_error(pygraph_invalid_arguments, "stream_wait: stream is NULL");
    /* Executions are synchronous: nothing is ever pending. */
    return pygraph_success;
}
