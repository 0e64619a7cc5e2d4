/* cold_lib: a fresh process that loads libbili_qr and completes one bili_qr_start (timed by pollbench cold).
 *   cold_lib BASE_URL */
#include <stdio.h>
#include <string.h>
#include "bili_qr.h"

int main(int argc, char **argv) {
    if (argc != 2 || strlen(argv[1]) > 400) return 2;
    char options[512];
    snprintf(options, sizeof options, "{\"base_url\":\"%s\"}", argv[1]);
    char *out = NULL;
    int rc = bili_qr_start(options, &out);
    if (rc != BILI_QR_OK || !out || !strstr(out, "\"ticket\":")) {
        fprintf(stderr, "cold_lib: bili_qr_start returned %d: %s\n", rc, bili_qr_last_error());
        return 1;
    }
    bili_qr_free(out);
    return 0;
}
