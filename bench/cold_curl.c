/* cold_curl: the C anchor of cold start: a fresh process that loads libcurl + jansson, GETs the url endpoint
 * once and parses the answer.   cold_curl BASE_URL */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char body[65536];
static size_t len;

static size_t on_body(char *data, size_t size, size_t n, void *user) {
    (void)user;
    size_t add = size * n;
    if (len + add >= sizeof body) return 0;
    memcpy(body + len, data, add);
    len += add;
    return add;
}

int main(int argc, char **argv) {
    if (argc != 2 || strlen(argv[1]) > 400) return 2;
    char url[600];
    snprintf(url, sizeof url, "%s/x/intl/passport-login/qrcode/auth/url?s_locale=en_US&platform=web", argv[1]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    long status = 0;
    CURLcode res = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    json_t *root = res == CURLE_OK && status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *data = root ? json_object_get(root, "data") : NULL;
    int ok = json_is_string(json_object_get(data, "qr_url"));
    json_decref(root);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    if (!ok) fprintf(stderr, "cold_curl: no qr_url (curl %d, HTTP %ld)\n", (int)res, status);
    return ok ? 0 : 1;
}
