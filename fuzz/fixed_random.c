/* getrandom(2) for the fuzz check only (tests/fuzz.sh check preloads it): the same bytes in every run, so that
 * std's HashMap keys (and any other random choice in the process) are the same on every run, and the hash
 * tables' probing -- which the coverage instrumentation sees -- is a function of the input alone. Each thread
 * has its own sequence (std draws its hash keys once per thread), so the bytes do not depend on which thread
 * asks first. Never used outside the fuzz check. */
#include <stddef.h>
#include <sys/types.h>

ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
    static __thread unsigned long long state = 0x243f6a8885a308d3ULL;
    unsigned char *out = buf;
    (void)flags;
    for (size_t i = 0; i < len; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        out[i] = (unsigned char)(state >> 56);
    }
    return (ssize_t)len;
}
