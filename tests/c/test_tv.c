/*
 * The TV/app token login from C (ABI 3, options "site":"main","flow":"tv"), against the repo's fake server:
 * login → the session object saved to a 0600 file → check → refresh (no confirmation) → check the new token →
 * the old token is retired once the new one was used; a token of another key pair (-663) through the _ex
 * twin; flow "tv" without site "main"; no token or cookie value in any message or in a Cookie header.
 * Usage: test_tv BASE_URL   (BASE_URL = http://127.0.0.1:PORT of bili-qr-fake-server)
 * Built with -Wall -Wextra -Wpedantic -Werror; run plain, under ASan/UBSan, and under valgrind.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void options_for(char *buf, size_t size, const char *scenario, const char *extra) {
    snprintf(buf, size,
             "{\"site\":\"main\",\"flow\":\"tv\",\"base_url\":\"%s/s/%s\",\"api_base_url\":\"%s/s/%s\","
             "\"www_base_url\":\"%s/s/%s\",\"poll_interval_ms\":100,\"timeout_ms\":5000%s}",
             base, scenario, base, scenario, base, scenario, extra);
}

/* Writes a session file as a program should: through bili_qr_session_save (a new file of mode 0600, fsynced
 * and renamed over the old one). */
static int save(const char *path, const char *text) {
    return bili_qr_session_save(path, text) == BILI_QR_OK;
}

/* A confirmed TV login under `scenario` (flow=c): the poll object (free with bili_qr_free), or NULL. */
static char *login(const char *opts) {
    char *qr = NULL, *result = NULL, code[64];
    CHECK(bili_qr_start(opts, &qr) == BILI_QR_OK);
    if (!qr) return NULL;
    CHECK(strstr(qr, "\"qr_type\":\"main_tv\"") != NULL);
    CHECK(json_string(qr, "ticket", code, sizeof code) && strlen(code) == 32);
    bili_qr_free(qr);
    CHECK(bili_qr_poll(code, opts, &result) == BILI_QR_OK);
    return result;
}

static void token_life(void) {
    char opts[1024], sopts[1024], access[128], refresh_tok[128], new_access[128];
    char *confirmed, *saved = NULL, *checked = NULL, *renewed = NULL, *header = NULL, *text;
    struct stat st;
    char path[128];

    snprintf(path, sizeof path, "/tmp/bili_qr_test_tv_%ld.json", (long)getpid());
    options_for(opts, sizeof opts, "id=c-tv-life,flow=c", "");
    /* A session call needs no flow: the session says it is a token session. */
    snprintf(sopts, sizeof sopts, "{\"base_url\":\"%s/s/id=c-tv-life,flow=c\",\"timeout_ms\":5000}", base);
    confirmed = login(opts);
    CHECK(confirmed != NULL);
    if (!confirmed) return;
    CHECK(strstr(confirmed, "\"flow\":\"tv\"") != NULL);
    CHECK(strstr(confirmed, "\"site\":\"main\"") != NULL);
    CHECK(strstr(confirmed, "\"expires_at\":") != NULL);
    CHECK(json_string(confirmed, "access_token", access, sizeof access) && strlen(access) == 32);
    CHECK(json_string(confirmed, "refresh_token", refresh_tok, sizeof refresh_tok) && strlen(refresh_tok) == 32);

    /* Save the JSON form (it carries the token); the Cookie header form does not. */
    CHECK(bili_qr_session_convert(confirmed, "json", &saved) == BILI_QR_OK);
    CHECK(bili_qr_session_convert(confirmed, "header", &header) == BILI_QR_OK);
    CHECK(header && strstr(header, "SESSDATA=") && !strstr(header, access) && !strstr(header, refresh_tok));
    bili_qr_free(header);
    bili_qr_free(confirmed);
    CHECK(saved && save(path, saved));
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    bili_qr_free(saved);
    text = read_file(path);
    CHECK(text != NULL);
    if (!text) return;

    CHECK(bili_qr_check(text, sopts, &checked) == BILI_QR_OK);
    CHECK(checked && strstr(checked, "\"status\":\"valid\"") && strstr(checked, "\"refresh_needed\":false"));
    bili_qr_free(checked);

    CHECK(bili_qr_refresh(text, sopts, &renewed) == BILI_QR_OK);
    CHECK(renewed && strstr(renewed, "\"status\":\"refreshed\""));
    CHECK(renewed && json_string(renewed, "access_token", new_access, sizeof new_access) &&
          strcmp(new_access, access) != 0);
    /* The new session is saved before the old token is retired (the first use of the new one retires it). */
    CHECK(renewed && save(path, renewed));
    checked = NULL;
    CHECK(renewed && bili_qr_check(renewed, sopts, &checked) == BILI_QR_OK);
    bili_qr_free(checked);
    checked = NULL;
    CHECK(bili_qr_check(text, sopts, &checked) == BILI_QR_EXPIRED);
    CHECK(checked && strstr(checked, "\"status\":\"expired\""));
    bili_qr_free(checked);
    bili_qr_free(renewed);
    free(text);
    unlink(path);
}

static void errors(void) {
    char opts[1024], sopts[1024], access[128];
    char *confirmed, *out = (char *)1, *err = (char *)1;
    int rc;

    /* A token issued to the Android pair, checked with the TV pair: -663, named, nothing secret said. */
    options_for(opts, sizeof opts, "id=c-tv-pair,flow=c",
                ",\"app_key\":\"783bbb7264451d82\",\"app_secret\":\"2653583c8873dea268ab9386918b1d65\"");
    snprintf(sopts, sizeof sopts, "{\"base_url\":\"%s/s/id=c-tv-pair,flow=c\"}", base);
    confirmed = login(opts);
    CHECK(confirmed != NULL);
    if (!confirmed) return;
    CHECK(json_string(confirmed, "access_token", access, sizeof access));
    rc = bili_qr_check_ex(confirmed, sopts, &out, &err);
    CHECK(rc == BILI_QR_ERR_API);
    CHECK(out == NULL);
    CHECK(err && strstr(err, "-663") && !strstr(err, access) && !strstr(err, "2653583c8873"));
    bili_qr_free(err);
    bili_qr_free(confirmed);

    /* flow "tv" is for the mainland only. */
    out = (char *)1;
    CHECK(bili_qr_start("{\"flow\":\"tv\"}", &out) == BILI_QR_ERR_ARGUMENT);
    CHECK(out == NULL && strstr(bili_qr_last_error(), "site"));
    CHECK(bili_qr_start("{\"site\":\"main\",\"flow\":\"app\"}", &out) == BILI_QR_ERR_ARGUMENT);
    /* A half key pair is refused before anything is sent, and the secret is not quoted. */
    CHECK(bili_qr_start("{\"site\":\"main\",\"flow\":\"tv\",\"app_secret\":\"0123456789abcdefXYZ\"}", &out) ==
          BILI_QR_ERR_ARGUMENT);
    CHECK(!strstr(bili_qr_last_error(), "0123456789abcdefXYZ"));
}

int main(int argc, char **argv) {
    if (!check_args(argc, argv, 0, "BASE_URL")) return 2;
    token_life();
    errors();
    return check_report("test_tv");
}
