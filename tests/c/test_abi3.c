/*
 * ABI 3 from C, against the repo's fake server: a mainland (bilibili.com) login, saved as a cookies.txt file,
 * checked, refreshed (the new session saved before the old one is retired), confirmed, checked again (the old
 * session has ended), logged out and checked expired; the errors of a refresh (86095 through the _ex twin, on
 * another thread; an intl session) with no refresh token or cookie value in any message.
 * Usage: test_abi3 BASE_URL REFRESH_PUBLIC_KEY_PEM_FILE
 *   (BASE_URL = http://127.0.0.1:PORT of bili-qr-fake-server, the file from its --refresh-public-key-out)
 * Built with -Wall -Wextra -Wpedantic -Werror; run plain, under ASan/UBSan, and under valgrind.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char key_json[2048]; /* the PEM as a JSON string body (newlines escaped) */

/* Mainland options for a scenario: every base URL on the fake server, and its RSA test key. */
static void options_for(char *buf, size_t size, const char *scenario) {
    snprintf(buf, size,
             "{\"site\":\"main\",\"base_url\":\"%s/s/%s\",\"api_base_url\":\"%s/s/%s\",\"www_base_url\":\"%s/s/%s\","
             "\"refresh_public_key\":\"%s\",\"poll_interval_ms\":100,\"timeout_ms\":5000}",
             base, scenario, base, scenario, base, scenario, key_json);
}

/* The value of cookie `name` in a session or poll object: the "value" after {"name":"<name>". */
static int cookie_value(const char *json, const char *name, char *out, size_t size) {
    char pattern[64];
    const char *at;
    snprintf(pattern, sizeof pattern, "{\"name\":\"%s\",", name);
    at = strstr(json, pattern);
    return at && json_string(at, "value", out, size);
}

/* What a mainland start answers: a 32-character qrcode_key as the ticket, on site "main". */
static void check_main_qr(const char *qr, const char *key) {
    CHECK(strlen(key) == 32 && strstr(qr, "\"site\":\"main\"") && strstr(qr, "qrcode_key="));
}

/* A confirmed mainland login (scenario flow c) as its poll object; NULL on failure. */
static char *login(const char *options) {
    return login_confirmed(options, check_main_qr);
}

/* Calls a session function (check, logout, refresh, refresh_confirm) and checks its code and that its answer
 * holds `want`. */
static void expect(int (*fn)(const char *, const char *, char **), const char *session, const char *options,
                   int want_rc, const char *want) {
    char *out = NULL;
    int rc = fn(session, options, &out);
    CHECK(rc == want_rc && out && strstr(out, want));
    bili_qr_free(out);
}

static void test_version(void) {
    CHECK(BILI_QR_ABI_VERSION >= 3);
    CHECK(bili_qr_abi_version() >= BILI_QR_ABI_VERSION);
}

static void test_session_life(void) {
    char options[4096], token[128], new_token[128], old_sess[512], new_sess[512], new_jct[128];
    char *confirmed, *file = NULL, *saved, *out = NULL, *refreshed = NULL, *done = NULL;
    const char *path = "test_abi3_cookies.txt";
    int rc;
    options_for(options, sizeof options, "id=c3-life,flow=c");
    confirmed = login(options);
    if (!confirmed) return;
    CHECK(strstr(confirmed, "\"status\":\"confirmed\"") && strstr(confirmed, "\"site\":\"main\""));
    CHECK(json_string(confirmed, "refresh_token", token, sizeof token) && strlen(token) == 32);
    CHECK(cookie_value(confirmed, "SESSDATA", old_sess, sizeof old_sess));
    CHECK(strstr(confirmed, "\"warnings\":[]") != NULL);

    /* Saved as a cookies.txt (which carries the refresh token as ac_time_value) and read back. */
    rc = bili_qr_session_convert(confirmed, "netscape", &file);
    CHECK(rc == BILI_QR_OK && file && strstr(file, "\tac_time_value\t") && strstr(file, token));
    CHECK(file && write_file(path, file));
    saved = read_file(path);
    CHECK(saved != NULL);
    if (!saved) goto end;

    /* Check: valid, who it is, and whether it wants a refresh. */
    rc = bili_qr_check(saved, options, &out);
    CHECK(rc == BILI_QR_OK && out && strstr(out, "\"status\":\"valid\"") && strstr(out, "\"refresh_needed\":false"));
    bili_qr_free(out);
    out = NULL;

    /* Refresh: the new session comes first; save it, then retire the old one. */
    rc = bili_qr_refresh(saved, options, &refreshed);
    CHECK(rc == BILI_QR_OK && refreshed && strstr(refreshed, "\"status\":\"refreshed\""));
    if (!refreshed) goto end;
    CHECK(json_string(refreshed, "refresh_token", new_token, sizeof new_token) && strcmp(new_token, token) != 0);
    CHECK(strstr(refreshed, "\"previous_refresh_token\":\"") && strstr(refreshed, token));
    CHECK(cookie_value(refreshed, "SESSDATA", new_sess, sizeof new_sess) && strcmp(new_sess, old_sess) != 0);
    CHECK(cookie_value(refreshed, "bili_jct", new_jct, sizeof new_jct));
    bili_qr_free(file);
    file = NULL;
    rc = bili_qr_session_convert(refreshed, "netscape", &file);
    CHECK(rc == BILI_QR_OK && file && write_file(path, file));
    /* Both sessions work until the confirmation. */
    rc = bili_qr_check(saved, options, &out);
    CHECK(rc == BILI_QR_OK);
    bili_qr_free(out);
    out = NULL;

    rc = bili_qr_refresh_confirm(refreshed, options, &done);
    CHECK(rc == BILI_QR_OK && done && strstr(done, "\"status\":\"confirmed\"") &&
          !strstr(done, "previous_refresh_token") && strstr(done, new_token));
    if (!done) goto end;

    /* The old session has ended; the new one is valid. */
    expect(bili_qr_check, saved, options, BILI_QR_EXPIRED, "\"status\":\"expired\"");
    expect(bili_qr_check, done, options, BILI_QR_OK, "\"status\":\"valid\"");

    /* Logout, then the session is expired. */
    expect(bili_qr_logout, done, options, BILI_QR_OK, "\"status\":\"logged_out\"");
    expect(bili_qr_check, done, options, BILI_QR_EXPIRED, "\"status\":\"expired\"");

end:
    remove(path);
    free(saved);
    bili_qr_free(done);
    bili_qr_free(refreshed);
    bili_qr_free(file);
    bili_qr_free(confirmed);
}

/* A refresh refused with 86095, on another thread with the _ex twin. */
struct refused {
    const char *session, *options;
    int rc;
    char *out, *err;
};

static void *refresh_thread(void *arg) {
    struct refused *r = arg;
    r->rc = bili_qr_refresh_ex(r->session, r->options, &r->out, &r->err);
    return NULL;
}

static void test_refresh_errors(void) {
    char options[4096], token[128], sess[512], intl[512];
    char *confirmed, *out = NULL, *err = NULL;
    struct refused r = {0};
    pthread_t t;
    int rc;
    options_for(options, sizeof options, "id=c3-86095,flow=c,refresh86095=1");
    confirmed = login(options);
    if (!confirmed) return;
    CHECK(json_string(confirmed, "refresh_token", token, sizeof token));
    CHECK(cookie_value(confirmed, "SESSDATA", sess, sizeof sess));
    r.session = confirmed;
    r.options = options;
    CHECK(pthread_create(&t, NULL, refresh_thread, &r) == 0 && pthread_join(t, NULL) == 0);
    CHECK(r.rc == BILI_QR_ERR_API && r.out == NULL && r.err && strstr(r.err, "86095"));
    CHECK(r.err && !strstr(r.err, token) && !strstr(r.err, sess));
    bili_qr_free(r.err);
    /* The old session still works. */
    rc = bili_qr_check(confirmed, options, &out);
    CHECK(rc == BILI_QR_OK);
    bili_qr_free(out);
    out = NULL;

    /* An intl session: no refresh flow is known for bilibili.tv. */
    snprintf(intl, sizeof intl, "{\"base_url\":\"%s\"}", base);
    rc = bili_qr_refresh_ex("SESSDATA=abc; bili_jct=def; DedeUserID=1", intl, &out, &err);
    CHECK(rc == BILI_QR_ERR_ARGUMENT && out == NULL && err && strstr(err, "bilibili.tv"));
    bili_qr_free(err);
    err = NULL;
    /* NULL arguments. */
    CHECK(bili_qr_refresh(NULL, NULL, &out) == BILI_QR_ERR_ARGUMENT && out == NULL);
    CHECK(bili_qr_refresh_confirm(confirmed, options, NULL) == BILI_QR_ERR_ARGUMENT);
    /* Nothing to confirm. */
    rc = bili_qr_refresh_confirm_ex(confirmed, options, &out, &err);
    CHECK(rc == BILI_QR_ERR_ARGUMENT && err && strstr(err, "previous_refresh_token") && !strstr(err, token));
    bili_qr_free(err);
    bili_qr_free(confirmed);
}

int main(int argc, char **argv) {
    char *pem;
    size_t i, j = 0;
    if (!check_args(argc, argv, 1, "BASE_URL REFRESH_PUBLIC_KEY_PEM_FILE")) return 2;
    pem = read_file(argv[2]);
    if (!pem) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 2;
    }
    for (i = 0; pem[i] && j + 3 < sizeof key_json; i++) {
        if (pem[i] == '\n') {
            key_json[j++] = '\\';
            key_json[j++] = 'n';
        } else if (pem[i] != '\r') {
            key_json[j++] = pem[i];
        }
    }
    key_json[j] = '\0';
    free(pem);

    test_version();
    test_session_life();
    test_refresh_errors();
    return check_report("test_abi3");
}
