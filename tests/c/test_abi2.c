/*
 * ABI 2 from C, against the repo's fake passport server: a login saved with bili_qr_session_convert,
 * checked, logged out and checked again; a renewed session; the _ex twins called on a second thread, with
 * the message read on the main one.
 * Usage: test_abi2 BASE_URL   (BASE_URL = http://127.0.0.1:PORT of bili-qr-fake-server)
 * Built with -Wall -Wextra -Wpedantic -Werror; run plain, under ASan/UBSan, and under valgrind.
 * (tests/c/test_abi.c is the ABI 1 program, kept unchanged: a v1 caller runs against this library.)
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options for a scenario, with api_base_url on the fake server too. */
static void options_for(char *buf, size_t size, const char *scenario) {
    snprintf(buf, size,
             "{\"base_url\":\"%s/s/%s\",\"api_base_url\":\"%s/s/%s\",\"poll_interval_ms\":100,\"timeout_ms\":5000}",
             base, scenario, base, scenario);
}

/* Writes `text` to a file and reads it back (the round trip of a saved session). */
static char *save_and_load(const char *path, const char *text) {
    char *back = write_file(path, text) ? read_file(path) : NULL;
    remove(path);
    return back;
}

static void test_versions(void) {
    CHECK(BILI_QR_ABI_VERSION >= 2);
    CHECK(bili_qr_abi_version() >= BILI_QR_ABI_VERSION);
    CHECK(BILI_QR_VERSION_MAJOR == 0 && BILI_QR_VERSION_MINOR == 2);
}

static void test_login_save_check_logout_check(void) {
    char options[512], *confirmed, *netscape = NULL, *loaded, *session = NULL, *out = NULL, *err = NULL;
    int rc;
    options_for(options, sizeof options, "id=c2-cycle,flow=c,name=Carol");
    confirmed = login_confirmed(options, NULL);
    if (!confirmed) return;

    /* Save as cookies.txt, load it back, and convert it to the session object. */
    rc = bili_qr_session_convert(confirmed, "netscape", &netscape);
    CHECK(rc == BILI_QR_OK && netscape && strncmp(netscape, "# Netscape HTTP Cookie File\n", 28) == 0);
    loaded = netscape ? save_and_load("test_abi2_cookies.txt", netscape) : NULL;
    CHECK(loaded != NULL);
    rc = bili_qr_session_convert(loaded ? loaded : "", "json", &session);
    CHECK(rc == BILI_QR_OK && session && strstr(session, "\"cookie_header\":\"SESSDATA="));

    /* The saved session is valid; the answer says who it is. */
    rc = bili_qr_check(loaded, options, &out);
    CHECK(rc == BILI_QR_OK);
    CHECK(out && strstr(out, "\"status\":\"valid\"") && strstr(out, "\"name\":\"Carol\"") &&
          strstr(out, "\"renewed\":false"));
    bili_qr_free(out);
    out = NULL;

    /* Log out (the _ex twin, no error), then the session is expired, and a second logout says so. */
    rc = bili_qr_logout_ex(session, options, &out, &err);
    CHECK(rc == BILI_QR_OK && err == NULL && out && strstr(out, "\"status\":\"logged_out\""));
    bili_qr_free(out);
    out = NULL;
    rc = bili_qr_check_ex(session, options, &out, &err);
    CHECK(rc == BILI_QR_EXPIRED && err == NULL && out && strstr(out, "\"status\":\"expired\""));
    bili_qr_free(out);
    out = NULL;
    rc = bili_qr_logout(confirmed, options, &out);
    CHECK(rc == BILI_QR_EXPIRED && out && strstr(out, "-101"));
    bili_qr_free(out);

    bili_qr_free(session);
    free(loaded);
    bili_qr_free(netscape);
    bili_qr_free(confirmed);
}

static void test_renewed_session(void) {
    char options[512], *confirmed, *out = NULL, *again = NULL;
    int rc;
    options_for(options, sizeof options, "id=c2-renew,flow=c,renew=1");
    confirmed = login_confirmed(options, NULL);
    if (!confirmed) return;
    rc = bili_qr_check(confirmed, options, &out);
    CHECK(rc == BILI_QR_OK && out && strstr(out, "\"renewed\":true"));
    /* The old cookies are spent; the object handed out is the session to keep. */
    rc = bili_qr_check(confirmed, options, &again);
    CHECK(rc == BILI_QR_EXPIRED);
    bili_qr_free(again);
    again = NULL;
    rc = bili_qr_check(out ? out : "", options, &again);
    CHECK(rc == BILI_QR_OK);
    bili_qr_free(again);
    bili_qr_free(out);
    bili_qr_free(confirmed);
}

static void test_bad_sessions(void) {
    static const char *bad[] = {"", "   ", "{\"cookies\":", "bili_jct=abcdef0123456789; DedeUserID=1",
                                "\x01\x02garbage\x7f", "[1,2,3]"};
    char options[512], *out = (char *)1, *err = (char *)1;
    size_t i;
    options_for(options, sizeof options, "id=c2-bad,flow=c");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = bili_qr_check_ex(bad[i], options, &out, &err);
        CHECK(rc == BILI_QR_ERR_ARGUMENT && out == NULL && err != NULL);
        CHECK(err && strcmp(err, bili_qr_last_error()) == 0);
        CHECK(err && strstr(err, "abcdef0123456789") == NULL);
        bili_qr_free(err);
        err = (char *)1;
    }
    CHECK(bili_qr_session_convert("SESSDATA=x", "xml", &out) == BILI_QR_ERR_ARGUMENT && out == NULL);
    CHECK(bili_qr_logout("SESSDATA=abc", options, &out) == BILI_QR_ERR_ARGUMENT);
    CHECK(strstr(bili_qr_last_error(), "bili_jct") != NULL);
}

/* The _ex twins on a worker thread; the messages are read on the main thread. */
struct job {
    char options[512];
    int start_rc, poll_rc, render_rc;
    char *start_err, *poll_err, *render_err;
};

static void *worker(void *arg) {
    struct job *j = arg;
    char *out = NULL;
    j->start_rc = bili_qr_start_ex(j->options, &out, &j->start_err);
    bili_qr_free(out);
    j->poll_rc = bili_qr_poll_ex("no spaces allowed", NULL, &out, &j->poll_err);
    j->render_rc = bili_qr_render_ex("x", "png", &out, &j->render_err);
    return NULL;
}

static void test_ex_from_a_second_thread(void) {
    struct job j;
    pthread_t t;
    char *out = NULL;
    memset(&j, 0, sizeof j);
    snprintf(j.options, sizeof j.options, "{\"base_url\":\"%s/s/id=c2-412,fault=412\"}", base);
    /* A success on this thread: its last error is "". */
    CHECK(bili_qr_render("x", "matrix", &out) == BILI_QR_OK);
    bili_qr_free(out);
    CHECK(pthread_create(&t, NULL, worker, &j) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(j.start_rc == BILI_QR_ERR_HTTP && j.start_err && strstr(j.start_err, "412") &&
          strstr(j.start_err, "slow down"));
    CHECK(j.poll_rc == BILI_QR_ERR_ARGUMENT && j.poll_err && strstr(j.poll_err, "ticket"));
    CHECK(j.render_rc == BILI_QR_ERR_ARGUMENT && j.render_err && strstr(j.render_err, "format"));
    /* The worker's errors did not touch this thread's last error. */
    CHECK(strcmp(bili_qr_last_error(), "") == 0);
    bili_qr_free(j.start_err);
    bili_qr_free(j.poll_err);
    bili_qr_free(j.render_err);
}

int main(int argc, char **argv) {
    if (!check_args(argc, argv, 0, "BASE_URL")) return 2;
    test_versions();
    test_login_save_check_logout_check();
    test_renewed_session();
    test_bad_sessions();
    test_ex_from_a_second_thread();
    return check_report(NULL);
}
