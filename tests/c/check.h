/*
 * The helpers shared by the C test programs of tests/c (test_abi.c, test_abi2.c, test_abi3.c, test_tv.c): the
 * pass/fail counters and CHECK, the fake server's base URL, a JSON string reader and whole-file read/write.
 * Only ABI 1 functions are used here, so the ABI 1 program (test_abi.c) can include it too. Included by its
 * quoted name, it is found beside the program whatever -I the build gives. Every function is static inline: a
 * program that does not use one gets no -Wunused-function error under -Wall -Werror.
 */
#ifndef BILI_QR_TEST_CHECK_H
#define BILI_QR_TEST_CHECK_H

#include "bili_qr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
/* The fake server's base URL (http://127.0.0.1:PORT), from argv[1]. */
static const char *base;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            passed++;                                                                \
        } else {                                                                     \
            failed++;                                                                \
            fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, \
                    #cond, bili_qr_last_error());                                    \
        }                                                                            \
    } while (0)

/* Sets `base` from the command line (argv[1], then `extra` more arguments); 0 with a usage line if they do not
 * match. `usage_tail` names the arguments after the program's name. */
static inline int check_args(int argc, char **argv, int extra, const char *usage_tail) {
    if (argc != 2 + extra) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage_tail);
        return 0;
    }
    base = argv[1];
    return 1;
}

/* Prints the summary line ("[name: ]N passed, M failed") and returns the exit status: 0 when nothing failed.
 * Other suites read the ABI 1 program's line as it is (no name): `^N passed, 0 failed$`. */
static inline int check_report(const char *name) {
    if (name) printf("%s: ", name);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/* Copies the string value of "key" (its first occurrence) in a JSON text (test helper; values have no
 * escapes). 0 when the key is missing or the value does not fit in `size`. */
static inline int json_string(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    const char *start, *end;
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    start = strstr(json, pattern);
    if (!start) return 0;
    start += strlen(pattern);
    end = strchr(start, '"');
    if (!end || (size_t)(end - start) >= size) return 0;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 1;
}

/* Reads a whole file; NULL on failure. The caller frees it with free(). */
static inline char *read_file(const char *path) {
    FILE *f = fopen(path, "r");
    long n;
    char *text;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = n >= 0 ? calloc((size_t)n + 1, 1) : NULL;
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

/* Writes `text` to `path` (replacing it); 1 on success. */
static inline int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fputs(text, f);
    return fclose(f) == 0;
}

/* Starts a login (bili_qr_start) and copies its ticket into `ticket`; 1 on success. `on_qr`, when not NULL, is
 * called with the start's answer and the ticket first (to check what the program expects of them). */
static inline int start_ticket_with(const char *options, char *ticket, size_t size,
                                    void (*on_qr)(const char *qr, const char *ticket)) {
    char *json = NULL;
    int rc = bili_qr_start(options, &json);
    int ok = rc == BILI_QR_OK && json && json_string(json, "ticket", ticket, size);
    if (ok && on_qr) on_qr(json, ticket);
    bili_qr_free(json);
    return ok;
}

static inline int start_ticket(const char *options, char *ticket, size_t size) {
    return start_ticket_with(options, ticket, size, NULL);
}

/* A confirmed login (a scenario of flow c: start, then bili_qr_wait) as its poll object, freed with
 * bili_qr_free; NULL (and a failed check) otherwise. `on_qr` as for start_ticket_with. */
static inline char *login_confirmed(const char *options, void (*on_qr)(const char *qr, const char *ticket)) {
    char ticket[160], *confirmed = NULL;
    int started = start_ticket_with(options, ticket, sizeof ticket, on_qr), rc;
    CHECK(started);
    if (!started) return NULL;
    rc = bili_qr_wait(ticket, options, NULL, NULL, &confirmed);
    CHECK(rc == BILI_QR_OK);
    if (rc == BILI_QR_OK) return confirmed;
    bili_qr_free(confirmed);
    return NULL;
}

#endif
