/*
 * test_dispatch.c — CPU dispatch and threads as the environment sets them.
 *
 * meson runs this program with PYGRAPH_MAX_ISA=avx2 and
 * PYGRAPH_NUM_THREADS=3 (see meson.build): the environment caps the
 * instruction set for the whole process, on top of pygraph_set_max_cpu_isa,
 * and sets the default thread count that pygraph_set_num_threads(0)
 * restores.
 */
#include "test_util.h"

static int isa_rank(const char *isa) {
    if (strcmp(isa, "scalar") == 0) return 0;
    if (strcmp(isa, "avx2") == 0) return 1;
    if (strcmp(isa, "avx512") == 0) return 2;
    if (strcmp(isa, "avx512_bf16") == 0) return 3;
    return -1;
}

static void check_kernels_within(const char *isa) {
    const pygraph_data_type types[3] = {pygraph_data_type_f32, pygraph_data_type_bf16, pygraph_data_type_f16};
    for (int t = 0; t < 3; t++) {
        const char *name = NULL;
        REQUIRE_OK(pygraph_get_kernel_name(types[t], &name));
        if (!CHECK(strstr(name, "avx512") == NULL)) fprintf(stderr, "  isa %s selected %s\n", isa, name);
        if (isa_rank(isa) == 0 && !CHECK(strstr(name, "avx") == NULL)) {
            fprintf(stderr, "  isa %s selected %s\n", isa, name);
        }
    }
}

int main(void) {
    const char *env_isa = getenv("PYGRAPH_MAX_ISA");
    const char *env_threads = getenv("PYGRAPH_NUM_THREADS");
    if (env_isa == NULL || strcmp(env_isa, "avx2") != 0 || env_threads == NULL || strcmp(env_threads, "3") != 0) {
        fprintf(stderr, "test_dispatch: run me with PYGRAPH_MAX_ISA=avx2 PYGRAPH_NUM_THREADS=3 (meson test does)\n");
        return 1;
    }

    const char *features = NULL;
    REQUIRE_OK(pygraph_get_cpu_features(&features));
    REQUIRE(features != NULL);

    /* The environment caps the level at avx2 from the start ... */
    const char *isa = NULL;
    REQUIRE_OK(pygraph_get_cpu_isa(&isa));
    CHECK(isa_rank(isa) == 0 || isa_rank(isa) == 1);
    const char *initial = isa;
    check_kernels_within(isa);
    /* ... asking for avx512 or "best" does not lift it ... */
    CHECK_OK(pygraph_set_max_cpu_isa("avx512"));
    CHECK_OK(pygraph_get_cpu_isa(&isa));
    CHECK(strcmp(isa, initial) == 0);
    check_kernels_within(isa);
    CHECK_OK(pygraph_set_max_cpu_isa("best"));
    CHECK_OK(pygraph_get_cpu_isa(&isa));
    CHECK(strcmp(isa, initial) == 0);
    /* ... and the API can lower it further. */
    CHECK_OK(pygraph_set_max_cpu_isa("scalar"));
    CHECK_OK(pygraph_get_cpu_isa(&isa));
    CHECK(strcmp(isa, "scalar") == 0);
    check_kernels_within(isa);
    CHECK_OK(pygraph_set_max_cpu_isa("best"));
    CHECK_OK(pygraph_get_cpu_isa(&isa));
    CHECK(strcmp(isa, initial) == 0);

    /* Threads: the environment's value is the default. */
    int threads = 0;
    CHECK_OK(pygraph_get_num_threads(&threads));
    CHECK(threads == 3);
    CHECK_OK(pygraph_set_num_threads(5));
    CHECK_OK(pygraph_get_num_threads(&threads));
    CHECK(threads == 5);
    CHECK_OK(pygraph_set_num_threads(0));
    CHECK_OK(pygraph_get_num_threads(&threads));
    CHECK(threads == 3);
    return tu_finish("test_dispatch");
}
