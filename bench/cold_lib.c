/* cold_lib: a fresh process that loads libbili_qr and completes one bili_qr_start (timed by pollbench cold).
 *   cold_lib BASE_URL [CA_FILE]     (CA_FILE: the ca_file option, for an HTTPS fake server's test CA) */
#include <stdio.h>
#include <string.h>
#include "bili_qr.h"

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || strlen(argv[1]) > 400 || (argc == 3 && strlen(argv[2]) > 400)) return 2;
    char options[1024];
    if (argc == 3) {
        snprintf(options, sizeof options, "{\"base_url\":\"%s\",\"ca_file\":\"%s\"}", argv[1], argv[2]);
    } else {
        snprintf(options, sizeof options, "{\"base_url\":\"%s\"}", argv[1]);
    }
    char *out = NULL;
    int rc = bili_qr_start(options, &out);
    if (rc != BILI_QR_OK || !out || !strstr(out, "\"ticket\":")) {
        fprintf(stderr, "cold_lib: bili_qr_start returned %d: %s\n", rc, bili_qr_last_error());
        return 1;
    }
    bili_qr_free(out);
    return 0;
}
