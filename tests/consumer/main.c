/* A C program using the installed bili_qr C API: logs in through the QR flow.
 * Usage: consumer_c BASE_URL   (e.g. http://127.0.0.1:PORT/s/flow=wsc for the fake server)
 * Exit status 0 only when the login was confirmed with a SESSDATA cookie. */
#include <bili_qr.h>

#include <stdio.h>
#include <string.h>

static int on_progress(int status, const char *event_json, void *user_data) {
    (void)event_json;
    (void)user_data;
    puts(status == BILI_QR_SCANNED ? "scanned, confirm in the app" : "waiting for a scan");
    return 0; /* non-zero would cancel */
}

/* Copies the string value of "key" out of the library's flat start object. A real program would use a JSON
 * parser; the start object is {"ticket":"...","qr_url":"...","qr_type":"..."} with URL-safe values. */
static int json_string(const char *json, const char *key, char *out, size_t cap) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    if (p == NULL) return -1;
    p += strlen(pat);
    const char *end = strchr(p, '"');
    if (end == NULL || (size_t)(end - p) >= cap) return -1;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2 || strpbrk(argv[1], "\"\\") != NULL) {
        fprintf(stderr, "usage: %s BASE_URL\n", argv[0]);
        return 2;
    }
    if (bili_qr_abi_version() != BILI_QR_ABI_VERSION) {
        fprintf(stderr, "libbili_qr implements ABI %d, this program needs %d\n", bili_qr_abi_version(),
                BILI_QR_ABI_VERSION);
        return 1;
    }
    char options[1024];
    snprintf(options, sizeof options, "{\"base_url\":\"%s\",\"poll_interval_ms\":100,\"wait_timeout_ms\":20000}",
             argv[1]);

    char *started = NULL;
    int st = bili_qr_start(options, &started);
    if (st != BILI_QR_OK) {
        fprintf(stderr, "start: %s (%s)\n", bili_qr_status_str(st), bili_qr_last_error());
        return 1;
    }
    char ticket[160];
    int ok = json_string(started, "ticket", ticket, sizeof ticket);
    bili_qr_free(started);
    if (ok != 0) {
        fprintf(stderr, "start: no ticket in the answer\n");
        return 1;
    }
    printf("bili_qr %s: ticket %.6s...\n", bili_qr_version(), ticket);

    char *login = NULL;
    st = bili_qr_wait(ticket, options, on_progress, NULL, &login);
    if (st != BILI_QR_OK) {
        fprintf(stderr, "wait: %s (%s)\n", bili_qr_status_str(st), bili_qr_last_error());
        bili_qr_free(login); /* holds the expired object when st == BILI_QR_EXPIRED */
        return 1;
    }
    int has_sessdata = strstr(login, "\"name\":\"SESSDATA\"") != NULL && strstr(login, "\"cookie_header\":\"SESSDATA=") != NULL;
    bili_qr_free(login); /* zeroes the cookies before releasing them */
    if (!has_sessdata) {
        fprintf(stderr, "login confirmed but no SESSDATA cookie\n");
        return 1;
    }
    puts("logged in with a SESSDATA cookie");
    return 0;
}
