/* archon-auth: picks the Argon2 block filler at run time. opt.c is compiled twice (AVX2 and the
 * x86-64 baseline SSE2) under the names below; the binary then runs on any x86-64 and uses AVX2
 * where the CPU has it (the AVX-512 path measured slower than AVX2 on the bench machine). */
#include "core.h"

#if defined(__x86_64__)
void archon_argon2_fill_segment_avx2(const argon2_instance_t *instance, argon2_position_t position);
void archon_argon2_fill_segment_sse2(const argon2_instance_t *instance, argon2_position_t position);

typedef void (*fill_segment_fn)(const argon2_instance_t *, argon2_position_t);

static fill_segment_fn choose(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? archon_argon2_fill_segment_avx2 : archon_argon2_fill_segment_sse2;
}

void fill_segment(const argon2_instance_t *instance, argon2_position_t position) {
    /* Benign race: every thread computes the same pointer. */
    static fill_segment_fn chosen = 0;
    fill_segment_fn fn = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (!fn) {
        fn = choose();
        __atomic_store_n(&chosen, fn, __ATOMIC_RELAXED);
    }
    fn(instance, position);
}

const char *archon_argon2_fill_name(void) {
    return choose() == archon_argon2_fill_segment_avx2 ? "avx2" : "sse2";
}
#else
const char *archon_argon2_fill_name(void) { return "portable"; }
#endif
