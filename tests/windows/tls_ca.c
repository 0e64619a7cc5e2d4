/* Trust roots on Windows (tests/suites/75-windows.sh, under Wine): an HTTPS fake server whose test CA is not in
 * the Windows ROOT store is refused by default, and accepted when its CA is given as ca_file.
 *   tls_ca.exe BASE_URL CA_FILE [default-trusted]
 * With "default-trusted" (SSL_CERT_FILE set by the caller) the call without ca_file must succeed instead. */
#include "bili_qr.h"

#include <stdio.h>
#include <string.h>

static int start(const char *base, const char *ca_file) {
    char options[2048];
    if (ca_file != NULL) {
        snprintf(options, sizeof options, "{\"base_url\":\"%s\",\"proxy\":\"\",\"timeout_ms\":10000,\"ca_file\":\"%s\"}",
                 base, ca_file);
    } else {
        snprintf(options, sizeof options, "{\"base_url\":\"%s\",\"proxy\":\"\",\"timeout_ms\":10000}", base);
    }
    char *out = NULL;
    int rc = bili_qr_start(options, &out);
    printf("start%s: %s%s%s\n", ca_file ? " with ca_file" : "", bili_qr_status_str(rc), rc < 0 ? ": " : "",
           rc < 0 ? bili_qr_last_error() : "");
    if (rc == BILI_QR_OK && (out == NULL || strstr(out, "\"ticket\":") == NULL)) rc = -100;
    bili_qr_free(out);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 3 || strlen(argv[1]) > 500 || strlen(argv[2]) > 1000) {
        fprintf(stderr, "usage: tls_ca BASE_URL CA_FILE [default-trusted]\n");
        return 2;
    }
    int default_trusted = argc > 3 && strcmp(argv[3], "default-trusted") == 0;
    int failures = 0;
    int rc = start(argv[1], NULL);
    if (default_trusted ? rc != BILI_QR_OK
                        : (rc != BILI_QR_ERR_NETWORK || strstr(bili_qr_last_error(), "certificate") == NULL)) {
        failures++;
    }
    if (start(argv[1], argv[2]) != BILI_QR_OK) failures++;
    printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
