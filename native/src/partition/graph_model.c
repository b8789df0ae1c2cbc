/*
 * graph_model.c — tensor index, reachability and topological order over
 * the ops of a graph.  Costs stay linear in the graph for the usual case
 * (ops added in execution order) so graphs of 10^4 ops build quickly.
 */
#include "partition/graph_model.h"

#include <stdlib.h>
#include <string.h>

/* ---- id map ---- */

static size_t hash_id(uint64_t id) {
    /* splitmix64's finaliser: ids are often small consecutive integers. */
    id ^= id >> 30;
    id *= 0xbf58476d1ce4e5b9ULL;
    id ^= id >> 27;
    id *= 0x94d049bb133111ebULL;
    id ^= id >> 31;
    return (size_t)id;
}

static size_t map_get(const pg_id_map *map, uint64_t key) {
    if (map->capacity == 0) return PG_NONE;
    size_t mask = map->capacity - 1;
    for (size_t slot = hash_id(key) & mask;; slot = (slot + 1) & mask) {
        if (map->values[slot] == PG_NONE) return PG_NONE;
        if (map->keys[slot] == key) return map->values[slot];
    }
}

/* Inserts a key that is absent; the map has room (reserved). */
static void map_put(pg_id_map *map, uint64_t key, size_t value) {
    size_t mask = map->capacity - 1;
    size_t slot = hash_id(key) & mask;
    while (map->values[slot] != PG_NONE) slot = (slot + 1) & mask;
    map->keys[slot] = key;
    map->values[slot] = value;
    map->count++;
}

/* Room for `extra` more keys at a load factor of at most 1/2. */
static int map_reserve(pg_id_map *map, size_t extra) {
    if (extra > SIZE_MAX / 4 - map->count) return -1;
    size_t needed = 2 * (map->count + extra);
    if (needed <= map->capacity) return 0;
    size_t capacity = map->capacity ? map->capacity : 16;
    while (capacity < needed) capacity *= 2;
    pg_id_map bigger = {
        .keys = malloc(capacity * sizeof(uint64_t)),
        .values = malloc(capacity * sizeof(size_t)),
        .capacity = capacity,
    };
    if (bigger.keys == NULL || bigger.values == NULL) {
        free(bigger.keys);
        free(bigger.values);
        return -1;
    }
    for (size_t i = 0; i < capacity; ++i) bigger.values[i] = PG_NONE;
    for (size_t i = 0; i < map->capacity; ++i) {
        if (map->values[i] != PG_NONE) map_put(&bigger, map->keys[i], map->values[i]);
    }
    free(map->keys);
    free(map->values);
    *map = bigger;
    return 0;
}

static void map_free(pg_id_map *map) {
    free(map->keys);
    free(map->values);
    memset(map, 0, sizeof *map);
}

/* ---- model ---- */

void pg_graph_model_free(pg_graph_model *model) {
    for (size_t i = 0; i < model->num_ops; ++i) pg_op_record_free(&model->ops[i]);
    free(model->ops);
    free(model->tensors);
    free(model->uses);
    map_free(&model->op_index);
    map_free(&model->tensor_index);
    memset(model, 0, sizeof *model);
}

size_t pg_graph_model_find_op(const pg_graph_model *model, uint64_t op_id) {
    return map_get(&model->op_index, op_id);
}

size_t pg_graph_model_find_tensor(const pg_graph_model *model, uint64_t tensor_id) {
    return map_get(&model->tensor_index, tensor_id);
}

static int reserve_array(void **items, size_t *capacity, size_t needed, size_t item_size) {
    if (needed <= *capacity) return 0;
    size_t new_capacity = *capacity ? *capacity : 8;
    while (new_capacity < needed) {
        if (new_capacity > SIZE_MAX / 2) return -1;
        new_capacity *= 2;
    }
    if (new_capacity > SIZE_MAX / item_size) return -1;
    void *resized = realloc(*items, new_capacity * item_size);
    if (resized == NULL) return -1;
    *items = resized;
    *capacity = new_capacity;
    return 0;
}

int pg_graph_model_reserve(pg_graph_model *model, size_t new_tensors, size_t new_uses) {
    if (new_tensors > SIZE_MAX / 2 - model->num_tensors || new_uses > SIZE_MAX / 2 - model->num_uses) return -1;
    if (reserve_array((void **)&model->ops, &model->ops_capacity, model->num_ops + 1, sizeof *model->ops) != 0 ||
        reserve_array((void **)&model->tensors, &model->tensors_capacity, model->num_tensors + new_tensors,
                      sizeof *model->tensors) != 0 ||
        reserve_array((void **)&model->uses, &model->uses_capacity, model->num_uses + new_uses,
                      sizeof *model->uses) != 0 ||
        map_reserve(&model->op_index, 1) != 0 || map_reserve(&model->tensor_index, new_tensors) != 0) {
        return -1;
    }
    return 0;
}

/* The tensor entry of `desc->id`, created when new (room reserved). */
static size_t tensor_entry(pg_graph_model *model, const pygraph_logical_tensor *desc) {
    size_t index = map_get(&model->tensor_index, desc->id);
    if (index != PG_NONE) return index;
    index = model->num_tensors++;
    pg_tensor *tensor = &model->tensors[index];
    memset(tensor, 0, sizeof *tensor);
    tensor->desc = *desc;
    tensor->producer = tensor->producer_port = PG_NONE;
    tensor->first_use = tensor->last_use = PG_NONE;
    map_put(&model->tensor_index, desc->id, index);
    return index;
}

void pg_graph_model_commit_op(pg_graph_model *model, pg_op_record *record, const pygraph_logical_tensor *merged) {
    size_t op = model->num_ops++;
    model->ops[op] = *record;
    memset(record, 0, sizeof *record);
    map_put(&model->op_index, model->ops[op].id, op);
    const pg_op_record *added = &model->ops[op];
    for (size_t port = 0; port < added->num_inputs; ++port) {
        size_t t = tensor_entry(model, &merged[port]);
        pg_tensor *tensor = &model->tensors[t];
        tensor->desc = merged[port];
        size_t use = model->num_uses++;
        model->uses[use] = (pg_use){.op = op, .port = port, .next = PG_NONE};
        if (tensor->last_use == PG_NONE) {
            tensor->first_use = use;
        } else {
            model->uses[tensor->last_use].next = use;
        }
        tensor->last_use = use;
        tensor->num_uses++;
    }
    for (size_t port = 0; port < added->num_outputs; ++port) {
        const pygraph_logical_tensor *desc = &merged[added->num_inputs + port];
        size_t t = tensor_entry(model, desc);
        model->tensors[t].desc = *desc;
        model->tensors[t].producer = op;
        model->tensors[t].producer_port = port;
    }
}

int pg_graph_model_closes_cycle(const pg_graph_model *model, const pg_op_record *candidate, size_t *output_port,
                                size_t *input_port) {
    /* An output that is also an input is a self-loop. */
    for (size_t o = 0; o < candidate->num_outputs; ++o) {
        for (size_t i = 0; i < candidate->num_inputs; ++i) {
            if (candidate->outputs[o].id == candidate->inputs[i].id) {
                *output_port = o;
                *input_port = i;
                return 1;
            }
        }
    }
    if (model->num_ops == 0 || candidate->num_inputs == 0) return 0;
    /* Only an output that existing ops already consume can lead back: when
     * ops are added in execution order there is none, and no search. */
    int has_consumed_output = 0;
    for (size_t o = 0; o < candidate->num_outputs && !has_consumed_output; ++o) {
        size_t t = map_get(&model->tensor_index, candidate->outputs[o].id);
        has_consumed_output = t != PG_NONE && model->tensors[t].num_uses > 0;
    }
    if (!has_consumed_output) return 0;
    /* target[op] = 1 + the candidate input port that op produces. */
    size_t *target = calloc(model->num_ops, sizeof *target);
    unsigned char *visited = calloc(model->num_ops, 1);
    size_t *stack = malloc(model->num_ops * sizeof *stack);
    if (target == NULL || visited == NULL || stack == NULL) {
        free(target);
        free(visited);
        free(stack);
        return -1;
    }
    int found = 0;
    int any_target = 0;
    for (size_t i = 0; i < candidate->num_inputs; ++i) {
        size_t t = map_get(&model->tensor_index, candidate->inputs[i].id);
        if (t != PG_NONE && model->tensors[t].producer != PG_NONE && target[model->tensors[t].producer] == 0) {
            target[model->tensors[t].producer] = i + 1;
            any_target = 1;
        }
    }
    for (size_t o = 0; any_target && o < candidate->num_outputs && !found; ++o) {
        size_t t = map_get(&model->tensor_index, candidate->outputs[o].id);
        if (t == PG_NONE) continue;
        size_t depth = 0;
        for (size_t u = model->tensors[t].first_use; u != PG_NONE; u = model->uses[u].next) {
            size_t op = model->uses[u].op;
            if (!visited[op]) {
                visited[op] = 1;
                stack[depth++] = op;
            }
        }
        while (depth > 0 && !found) {
            size_t op = stack[--depth];
            if (target[op] != 0) {
                *output_port = o;
                *input_port = target[op] - 1;
                found = 1;
                break;
            }
            const pg_op_record *record = &model->ops[op];
            for (size_t p = 0; p < record->num_outputs; ++p) {
                size_t produced = map_get(&model->tensor_index, record->outputs[p].id);
                for (size_t u = model->tensors[produced].first_use; u != PG_NONE; u = model->uses[u].next) {
                    size_t next = model->uses[u].op;
                    if (!visited[next]) {
                        visited[next] = 1;
                        stack[depth++] = next;
                    }
                }
            }
        }
    }
    free(target);
    free(visited);
    free(stack);
    return found;
}

/* ---- min-heap ---- */

static int heap_less(const pg_min_heap *heap, size_t a, size_t b) {
    size_t key_a = heap->keys[heap->items[a]], key_b = heap->keys[heap->items[b]];
    return key_a < key_b || (key_a == key_b && heap->items[a] < heap->items[b]);
}

static void heap_swap(pg_min_heap *heap, size_t a, size_t b) {
    size_t tmp = heap->items[a];
    heap->items[a] = heap->items[b];
    heap->items[b] = tmp;
}

void pg_min_heap_push(pg_min_heap *heap, size_t item) {
    size_t at = heap->count++;
    heap->items[at] = item;
    while (at > 0 && heap_less(heap, at, (at - 1) / 2)) {
        heap_swap(heap, at, (at - 1) / 2);
        at = (at - 1) / 2;
    }
}

size_t pg_min_heap_pop(pg_min_heap *heap) {
    size_t top = heap->items[0];
    heap->items[0] = heap->items[--heap->count];
    size_t at = 0;
    for (;;) {
        size_t smallest = at, left = 2 * at + 1, right = left + 1;
        if (left < heap->count && heap_less(heap, left, smallest)) smallest = left;
        if (right < heap->count && heap_less(heap, right, smallest)) smallest = right;
        if (smallest == at) break;
        heap_swap(heap, at, smallest);
        at = smallest;
    }
    return top;
}

size_t pg_graph_model_topological_order(const pg_graph_model *model, size_t *order) {
    size_t n = model->num_ops;
    if (n == 0) return 0;
    size_t *pending = calloc(n, sizeof *pending); /* inputs whose producer has not run */
    size_t *keys = malloc(n * sizeof *keys);
    pg_min_heap heap = {.items = malloc(n * sizeof(size_t)), .keys = keys};
    if (pending == NULL || keys == NULL || heap.items == NULL) {
        free(pending);
        free(keys);
        free(heap.items);
        return PG_NONE;
    }
    for (size_t op = 0; op < n; ++op) {
        keys[op] = op;
        const pg_op_record *record = &model->ops[op];
        for (size_t p = 0; p < record->num_inputs; ++p) {
            size_t t = map_get(&model->tensor_index, record->inputs[p].id);
            if (model->tensors[t].producer != PG_NONE) pending[op]++;
        }
    }
    for (size_t op = 0; op < n; ++op) {
        if (pending[op] == 0) pg_min_heap_push(&heap, op);
    }
    size_t ordered = 0;
    while (heap.count > 0) {
        size_t op = pg_min_heap_pop(&heap);
        order[ordered++] = op;
        const pg_op_record *record = &model->ops[op];
        for (size_t p = 0; p < record->num_outputs; ++p) {
            size_t t = map_get(&model->tensor_index, record->outputs[p].id);
            for (size_t u = model->tensors[t].first_use; u != PG_NONE; u = model->uses[u].next) {
                if (--pending[model->uses[u].op] == 0) pg_min_heap_push(&heap, model->uses[u].op);
            }
        }
    }
    free(pending);
    free(keys);
    free(heap.items);
    return ordered;
}
