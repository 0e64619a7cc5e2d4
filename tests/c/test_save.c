/*
 * ABI 3 from C: bili_qr_session_save, the library's one atomic 0600 writer of a session file (a real login from
 * the fake server saved in each form, an existing 0644 file replaced by a new 0600 one even under a umask that
 * takes the owner's write bit, no temporary file left, what is not a session and unwritable paths refused with
 * the old file untouched, NULL and non-UTF-8 arguments), and a bili_qr_cancel that comes before its wait starts.
 * Usage: test_save BASE_URL   (BASE_URL = http://127.0.0.1:PORT of bili-qr-fake-server)
 * Built with -Wall -Wextra -Wpedantic -Werror; run plain, under ASan/UBSan, and under valgrind.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* How many entries a directory holds (besides . and ..). */
static int entries(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    }
    closedir(d);
    return n;
}

static int same_file_text(const char *path, const char *text) {
    char *back = read_file(path);
    int same = back && strcmp(back, text) == 0;
    free(back);
    return same;
}

static void test_save(void) {
    char options[512], ticket[160], dir[] = "/tmp/bili_qr_c_save.XXXXXX", path[512], missing[512];
    char *qr = NULL, *confirmed = NULL, *netscape = NULL, *json = NULL, *err = NULL, *sessdata_pos, *broken;
    char value[512] = "";
    const char *formats[2] = {"netscape", "json"};
    char **outs[2];
    struct stat st;
    ino_t old_inode;
    mode_t old_umask;
    FILE *f;
    int rc, i;

    snprintf(options, sizeof options, "{\"base_url\":\"%s/s/id=c-save,flow=c\",\"poll_interval_ms\":100}", base);
    CHECK(bili_qr_start(options, &qr) == BILI_QR_OK);
    CHECK(qr && json_string(qr, "ticket", ticket, sizeof ticket));
    bili_qr_free(qr);
    CHECK(bili_qr_wait(ticket, options, NULL, NULL, &confirmed) == BILI_QR_OK);
    if (!confirmed) return;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/cookies.txt", dir);
    snprintf(missing, sizeof missing, "%s/missing/cookies.txt", dir);

    /* An existing file readable by others; a umask that would take the owner's write bit (0400). */
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("old\n", f);
        fclose(f);
    }
    CHECK(chmod(path, 0644) == 0);
    CHECK(stat(path, &st) == 0);
    old_inode = st.st_ino;
    old_umask = umask(0277);
    outs[0] = &netscape;
    outs[1] = &json;
    for (i = 0; i < 2; i++) {
        CHECK(bili_qr_session_convert(confirmed, formats[i], outs[i]) == BILI_QR_OK);
        rc = bili_qr_session_save(path, *outs[i]);
        CHECK(rc == BILI_QR_OK);
        CHECK(strcmp(bili_qr_last_error(), "") == 0);
        CHECK(same_file_text(path, *outs[i])); /* byte for byte */
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
        CHECK(st.st_ino != old_inode); /* a new file renamed over the old one, not rewritten in place */
        old_inode = st.st_ino;         /* the file this save replaced is gone: its number may be reused */
        CHECK(entries(dir) == 1);      /* no temporary file left */
    }
    umask(old_umask);

    /* Not a session: refused, the file untouched (the message quotes no cookie value). */
    CHECK(bili_qr_session_save(path, "") == BILI_QR_ERR_ARGUMENT);
    CHECK(bili_qr_session_save(path, "{\"cookies\":[]}") == BILI_QR_ERR_ARGUMENT);
    CHECK(bili_qr_session_save(path, "bili_jct=abc") == BILI_QR_ERR_ARGUMENT);
    sessdata_pos = strstr(json, "\"SESSDATA\"");
    CHECK(sessdata_pos && json_string(sessdata_pos, "value", value, sizeof value));
    /* The JSON cut short: broken, refused, and the message does not quote the SESSDATA it holds. */
    broken = malloc(strlen(json));
    CHECK(broken != NULL);
    if (broken) {
        memcpy(broken, json, strlen(json) - 1);
        broken[strlen(json) - 1] = '\0';
        CHECK(bili_qr_session_save(path, broken) == BILI_QR_ERR_ARGUMENT);
        CHECK(value[0] && strstr(bili_qr_last_error(), value) == NULL);
        free(broken);
    }
    CHECK(same_file_text(path, json));

    /* Paths: a missing directory, a directory; the _ex twin hands out the message. */
    rc = bili_qr_session_save_ex(missing, netscape, &err);
    CHECK(rc == BILI_QR_ERR_ARGUMENT);
    CHECK(err && strstr(err, "does not exist") && strstr(err, "missing"));
    CHECK(err && strcmp(err, bili_qr_last_error()) == 0);
    bili_qr_free(err);
    err = (char *)1;
    rc = bili_qr_session_save_ex(dir, netscape, &err);
    CHECK(rc == BILI_QR_ERR_ARGUMENT && err && strstr(err, "is a directory"));
    bili_qr_free(err);
    err = (char *)1;
    CHECK(bili_qr_session_save_ex(path, json, &err) == BILI_QR_OK && err == NULL);
    CHECK(entries(dir) == 1);

    /* NULL and non-UTF-8 arguments. */
    CHECK(bili_qr_session_save(NULL, json) == BILI_QR_ERR_ARGUMENT);
    CHECK(strstr(bili_qr_last_error(), "path is NULL") != NULL);
    CHECK(bili_qr_session_save(path, NULL) == BILI_QR_ERR_ARGUMENT);
    CHECK(strstr(bili_qr_last_error(), "session is NULL") != NULL);
    CHECK(bili_qr_session_save("\xff\xfe", json) == BILI_QR_ERR_ARGUMENT);
    CHECK(strstr(bili_qr_last_error(), "not valid UTF-8") != NULL);
    CHECK(same_file_text(path, json));

    CHECK(unlink(path) == 0);
    CHECK(rmdir(dir) == 0);
    bili_qr_free(netscape);
    bili_qr_free(json);
    bili_qr_free(confirmed);
}

/* A cancel before any wait runs on the ticket: nothing signalled, and the next wait on it ends at once. */
static void test_cancel_before_wait(void) {
    char options[512], ticket[160];
    char *qr = NULL, *out = (char *)1;
    snprintf(options, sizeof options,
             "{\"base_url\":\"%s/s/id=c-cancel-early,flow=w\",\"poll_interval_ms\":60000}", base);
    CHECK(bili_qr_start(options, &qr) == BILI_QR_OK);
    CHECK(qr && json_string(qr, "ticket", ticket, sizeof ticket));
    bili_qr_free(qr);
    CHECK(bili_qr_cancel(ticket) == 0);
    CHECK(bili_qr_wait(ticket, options, NULL, NULL, &out) == BILI_QR_ERR_CANCELLED);
    CHECK(out == NULL);
}

int main(int argc, char **argv) {
    if (!check_args(argc, argv, 0, "BASE_URL")) return 2;
    test_save();
    test_cancel_before_wait();
    return check_report("test_save");
}
