/*
 * The C ABI exercised from C, against the repo's fake passport server.
 * Usage: test_abi BASE_URL   (BASE_URL = http://127.0.0.1:PORT of bili-qr-fake-server)
 * Built with -Wall -Wextra -Wpedantic -Werror; run plain, under ASan/UBSan, and under valgrind.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Options JSON for a scenario of the fake server. */
static void options_with_interval(char *buf, size_t size, const char *scenario, int interval_ms) {
    snprintf(buf, size, "{\"base_url\":\"%s/s/%s\",\"poll_interval_ms\":%d}", base, scenario, interval_ms);
}

static void options_for(char *buf, size_t size, const char *scenario) {
    options_with_interval(buf, size, scenario, 100);
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static void test_static_functions(void) {
    char expected[32];
    CHECK(bili_qr_abi_version() == BILI_QR_ABI_VERSION);
    snprintf(expected, sizeof expected, "%d.%d.%d", BILI_QR_VERSION_MAJOR, BILI_QR_VERSION_MINOR,
             BILI_QR_VERSION_PATCH);
    CHECK(strcmp(bili_qr_version(), expected) == 0);
    CHECK(strcmp(bili_qr_status_str(BILI_QR_WAITING), "waiting for the scan") == 0);
    CHECK(strcmp(bili_qr_status_str(12345), "unknown status") == 0);
    CHECK(bili_qr_last_error() != NULL);
    bili_qr_free(NULL);
}

static void test_arguments(void) {
    char *out = (char *)&out; /* dangling on purpose: must be reset to NULL */
    char bad_utf8[] = {'a', (char)0xff, 'b', 0};
    CHECK(bili_qr_start(NULL, NULL) == BILI_QR_ERR_ARGUMENT);
    CHECK(strstr(bili_qr_last_error(), "out_json") != NULL);
    CHECK(bili_qr_poll(bad_utf8, NULL, &out) == BILI_QR_ERR_ARGUMENT && out == NULL);
    CHECK(strstr(bili_qr_last_error(), "UTF-8") != NULL);
    out = (char *)&out;
    CHECK(bili_qr_poll(NULL, NULL, &out) == BILI_QR_ERR_ARGUMENT && out == NULL);
    CHECK(bili_qr_poll("has space", NULL, &out) == BILI_QR_ERR_ARGUMENT);
    CHECK(bili_qr_start("{\"timeout_ms\":0}", &out) == BILI_QR_ERR_ARGUMENT && out == NULL);
    CHECK(strstr(bili_qr_last_error(), "timeout_ms") != NULL);
    CHECK(bili_qr_start("{\"nope\":1}", &out) == BILI_QR_ERR_ARGUMENT);
    CHECK(strstr(bili_qr_last_error(), "nope") != NULL);
    CHECK(bili_qr_start("{\"base_url\":\"http://example.com\"}", &out) == BILI_QR_ERR_ARGUMENT);
    CHECK(bili_qr_wait("abc", NULL, NULL, NULL, NULL) == BILI_QR_ERR_ARGUMENT);
    CHECK(bili_qr_cancel(NULL) == BILI_QR_ERR_ARGUMENT);
    CHECK(bili_qr_render(NULL, "utf8", &out) == BILI_QR_ERR_ARGUMENT);
    CHECK(bili_qr_render("x", "png", &out) == BILI_QR_ERR_ARGUMENT && out == NULL);
    /* status_str and free leave the last error alone */
    (void)bili_qr_status_str(0);
    bili_qr_free(NULL);
    CHECK(strstr(bili_qr_last_error(), "format") != NULL);
}

static void test_login_by_polling(void) {
    char options[512], ticket[160], url[512];
    char *json = NULL;
    options_for(options, sizeof options, "id=c-poll,flow=wsc");
    CHECK(bili_qr_start(options, &json) == BILI_QR_OK);
    CHECK(json && strstr(json, "\"qr_type\":\"qrcode_login\"") != NULL);
    CHECK(strcmp(bili_qr_last_error(), "") == 0);
    CHECK(json && json_string(json, "ticket", ticket, sizeof ticket));
    CHECK(json && json_string(json, "qr_url", url, sizeof url) && strstr(url, ticket) != NULL);
    bili_qr_free(json);

    CHECK(bili_qr_poll(url, options, &json) == BILI_QR_WAITING); /* the qr_url works as a ticket */
    CHECK(json && strstr(json, "\"status\":\"waiting\"") && strstr(json, "10018101"));
    bili_qr_free(json);
    CHECK(bili_qr_poll(ticket, options, &json) == BILI_QR_SCANNED);
    bili_qr_free(json);
    CHECK(bili_qr_poll(ticket, options, &json) == BILI_QR_OK);
    CHECK(json && strstr(json, "\"status\":\"confirmed\"") && strstr(json, "\"mid\":1709658507"));
    CHECK(json && strstr(json, "\"cookie_header\":\"SESSDATA=") != NULL);
    CHECK(json && strstr(json, "\"name\":\"bili_jct\"") && strstr(json, "\"name\":\"DedeUserID\""));
    CHECK(json && strstr(json, "buvid3") == NULL && strstr(json, "ad_track") == NULL);
    bili_qr_free(json);
    CHECK(bili_qr_poll(ticket, options, &json) == BILI_QR_EXPIRED); /* spent */
    bili_qr_free(json);
}

struct progress_log {
    int waiting, scanned, cancel_after;
};

static int on_progress(int status, const char *event_json, void *user_data) {
    struct progress_log *log = (struct progress_log *)user_data;
    if (status == BILI_QR_WAITING && strstr(event_json, "\"status\":\"waiting\"")) log->waiting++;
    if (status == BILI_QR_SCANNED && strstr(event_json, "\"status\":\"scanned\"")) log->scanned++;
    return log->cancel_after > 0 && log->waiting + log->scanned >= log->cancel_after;
}

static void test_wait(void) {
    char options[512], ticket[160];
    char *json = (char *)&json;
    struct progress_log log = {0, 0, 0};
    options_for(options, sizeof options, "id=c-wait,flow=wwsc");
    CHECK(start_ticket(options, ticket, sizeof ticket));
    CHECK(bili_qr_wait(ticket, options, on_progress, &log, &json) == BILI_QR_OK);
    CHECK(log.waiting == 2 && log.scanned == 1);
    CHECK(json && strstr(json, "SESSDATA") != NULL);
    bili_qr_free(json);

    options_for(options, sizeof options, "id=c-wait-exp,flow=we");
    CHECK(start_ticket(options, ticket, sizeof ticket));
    CHECK(bili_qr_wait(ticket, options, NULL, NULL, &json) == BILI_QR_EXPIRED);
    CHECK(json && strstr(json, "\"status\":\"expired\""));
    bili_qr_free(json);

    options_for(options, sizeof options, "id=c-wait-cb,flow=w");
    CHECK(start_ticket(options, ticket, sizeof ticket));
    log.cancel_after = 2;
    log.waiting = log.scanned = 0;
    CHECK(bili_qr_wait(ticket, options, on_progress, &log, &json) == BILI_QR_ERR_CANCELLED);
    CHECK(json == NULL && log.waiting == 2);

    options_for(options, sizeof options, "id=c-wait-412,fault=412");
    CHECK(bili_qr_wait("abcdef0123456789", options, NULL, NULL, &json) == BILI_QR_ERR_HTTP);
    CHECK(strstr(bili_qr_last_error(), "412") != NULL);
    CHECK(strstr(bili_qr_last_error(), "abcdef0123456789") == NULL);
}

struct waiter {
    const char *ticket, *options;
    int rc;
    int polled; /* set by the wait's first progress event: from then on it is running */
};

static int on_first_poll(int status, const char *event_json, void *user_data) {
    (void)status;
    (void)event_json;
    __atomic_store_n(&((struct waiter *)user_data)->polled, 1, __ATOMIC_RELEASE);
    return 0;
}

static void *wait_thread(void *arg) {
    struct waiter *w = (struct waiter *)arg;
    char *json = NULL;
    w->rc = bili_qr_wait(w->ticket, w->options, on_first_poll, w, &json);
    bili_qr_free(json);
    return NULL;
}

static void test_cancel(void) {
    char options[512];
    struct waiter w;
    pthread_t thread;
    int signalled = 0, tries;
    options_with_interval(options, sizeof options, "id=c-cancel,flow=w", 60000);
    w.ticket = "c0ffee00c0ffee00";
    w.options = options;
    w.rc = 99;
    w.polled = 0;
    CHECK(pthread_create(&thread, NULL, wait_thread, &w) == 0);
    /* Once its first poll has answered, the wait is running and sleeps 60 s until the next: one cancel
     * signals it. (A cancel before the wait starts would be kept for it and signal nothing, so the cancel
     * waits for the first poll; bounded: 30 s.) */
    for (tries = 0; tries < 1500 && !__atomic_load_n(&w.polled, __ATOMIC_ACQUIRE); tries++) sleep_ms(20);
    CHECK(__atomic_load_n(&w.polled, __ATOMIC_ACQUIRE) == 1);
    signalled = bili_qr_cancel("c0ffee00c0ffee00");
    pthread_join(thread, NULL);
    CHECK(signalled == 1);
    CHECK(w.rc == BILI_QR_ERR_CANCELLED);
    CHECK(bili_qr_cancel("nobody-waits-here") == 0);
}

static void test_render(void) {
    char *out = NULL;
    size_t n, rows = 0;
    const char *p;
    CHECK(bili_qr_render("https://www.bilibili.tv/h5/en/qrcode/login?ticket=abc", "matrix", &out) ==
          BILI_QR_OK);
    CHECK(out != NULL);
    if (out) {
        n = strcspn(out, "\n");
        for (p = out; *p; p++) rows += *p == '\n';
        CHECK(n >= 21 && rows == n && strncmp(out, "1111111", 7) == 0);
    }
    bili_qr_free(out);
    CHECK(bili_qr_render("hello", "svg", &out) == BILI_QR_OK && out && strstr(out, "<svg"));
    bili_qr_free(out);
    CHECK(bili_qr_render("hello", "utf8", &out) == BILI_QR_OK && out && strstr(out, "\xe2\x96\x88"));
    bili_qr_free(out);
}

struct poller {
    char options[512];
    int ok;
};

static void *poll_thread(void *arg) {
    struct poller *p = (struct poller *)arg;
    char ticket[160];
    char *json = NULL;
    int i;
    p->ok = start_ticket(p->options, ticket, sizeof ticket);
    for (i = 0; i < 3 && p->ok; i++) {
        int rc = bili_qr_poll(ticket, p->options, &json);
        p->ok = rc == (i == 0 ? BILI_QR_WAITING : i == 1 ? BILI_QR_SCANNED : BILI_QR_OK);
        bili_qr_free(json);
        json = NULL;
    }
    return NULL;
}

static void test_threads(void) {
    struct poller pollers[8];
    pthread_t threads[8];
    int i;
    for (i = 0; i < 8; i++) {
        char scenario[64];
        snprintf(scenario, sizeof scenario, "id=c-thread-%d,flow=wsc", i);
        options_for(pollers[i].options, sizeof pollers[i].options, scenario);
        CHECK(pthread_create(&threads[i], NULL, poll_thread, &pollers[i]) == 0);
    }
    for (i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        CHECK(pollers[i].ok);
    }
}

int main(int argc, char **argv) {
    if (!check_args(argc, argv, 0, "BASE_URL")) return 2;
    test_static_functions();
    test_arguments();
    test_login_by_polling();
    test_wait();
    test_cancel();
    test_render();
    test_threads();
    return check_report(NULL);
}
