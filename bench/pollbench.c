/* pollbench: per-poll latency of bili_qr_poll beside libcurl + jansson (the C anchor) and a raw keep-alive
 * socket client (the floor), against the fake passport server on loopback. See BENCHMARKS.md.
 *
 *   pollbench lib|curl|raw BASE_URL [--polls N] [--warmup N] [--threads T] [--mem]
 *   pollbench cold PROGRAM [ARGS...] --runs N     (spawn PROGRAM N times, wall time of each)
 *   pollbench stats ORIGIN                       (print the fake server's /__stats body)
 *
 * Prints one JSON line of results on stdout. BASE_URL is what the library gets as base_url, e.g.
 * http://127.0.0.1:PORT/s/flow=w,id=bench (a scenario whose tickets always answer "waiting").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bili_qr.h"

extern char **environ;

#define TICKET "4478b3e64d05ce26638f4d715ebe0a91"
/* The request every client sends: the headers the library sends for a poll with default options (its browser
 * identity, src/transport/identity.rs), so that the server does the same work for each row and the rows differ
 * by the client alone. The anchors send them as any client of the real service presenting the same browser
 * would; curl adds Host and decodes what Accept-Encoding allows. */
static const char *const IDENTITY[] = {
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/144.0.0.0 Safari/537.36",
    "sec-ch-ua: \"Not(A:Brand\";v=\"8\", \"Chromium\";v=\"144\", \"Google Chrome\";v=\"144\"",
    "sec-ch-ua-mobile: ?0",
    "sec-ch-ua-platform: \"Windows\"",
    "Accept: application/json, text/plain, */*",
    "Accept-Language: en-US,en;q=0.9",
    "Referer: https://www.bilibili.tv/",
    "Origin: https://www.bilibili.tv",
    "sec-fetch-site: same-site",
    "sec-fetch-mode: cors",
    "sec-fetch-dest: empty",
    "Accept-Encoding: gzip, deflate",
    "priority: u=1, i",
};
#define N_IDENTITY (sizeof IDENTITY / sizeof IDENTITY[0])
#define FETCH_PATH "/x/intl/passport-login/qrcode/auth/fetch?s_locale=en_US&platform=web&ticket=" TICKET

static void die(const char *what) {
    fprintf(stderr, "pollbench: %s\n", what);
    exit(2);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t percentile(uint64_t *sorted, size_t n, double p) {
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

/* ---- URL pieces ---------------------------------------------------------------------------------------- */
static char g_base[512];   /* http://127.0.0.1:PORT/s/scenario */
static char g_host[64];    /* 127.0.0.1 */
static int g_port;
static char g_prefix[256]; /* /s/scenario (may be empty) */
static char g_options[700];
static char g_fetch_url[1024];

static void parse_base(const char *base) {
    if (strlen(base) >= sizeof g_base || strncmp(base, "http://", 7) != 0) die("BASE_URL must be http://HOST:PORT[/prefix]");
    strcpy(g_base, base);
    const char *h = base + 7, *colon = strchr(h, ':');
    if (!colon || (size_t)(colon - h) >= sizeof g_host) die("BASE_URL needs an explicit port");
    memcpy(g_host, h, (size_t)(colon - h));
    g_port = atoi(colon + 1);
    const char *slash = strchr(colon, '/');
    snprintf(g_prefix, sizeof g_prefix, "%s", slash ? slash : "");
    size_t pl = strlen(g_prefix);
    if (pl && g_prefix[pl - 1] == '/') g_prefix[pl - 1] = 0;
    snprintf(g_options, sizeof g_options, "{\"base_url\":\"%s\"}", base);
    snprintf(g_fetch_url, sizeof g_fetch_url, "http://%s:%d%s" FETCH_PATH, g_host, g_port, g_prefix);
}

/* ---- the three clients ---------------------------------------------------------------------------------- */
typedef struct client client;
typedef int (*poll_fn)(client *);

struct client {
    /* curl */
    CURL *curl;
    struct curl_slist *headers;
    char *buf;
    size_t len, cap;
    /* raw */
    int fd;
    char req[1024];
    size_t req_len;
    char rbuf[8192];
};

static int poll_lib(client *c) {
    (void)c;
    char *out = NULL;
    int rc = bili_qr_poll(TICKET, g_options, &out);
    if (rc != BILI_QR_WAITING || !out) {
        fprintf(stderr, "pollbench: bili_qr_poll returned %d: %s\n", rc, bili_qr_last_error());
        exit(3);
    }
    bili_qr_free(out);
    return rc;
}

static size_t on_body(char *data, size_t size, size_t n, void *user) {
    client *c = user;
    size_t add = size * n;
    if (c->len + add + 1 > c->cap) {
        c->cap = (c->len + add + 1) * 2;
        c->buf = realloc(c->buf, c->cap);
        if (!c->buf) die("out of memory");
    }
    memcpy(c->buf + c->len, data, add);
    c->len += add;
    c->buf[c->len] = 0;
    return add;
}

static void curl_setup(client *c) {
    c->curl = curl_easy_init();
    if (!c->curl) die("curl_easy_init failed");
    c->headers = NULL;
    for (size_t i = 0; i < N_IDENTITY; i++) c->headers = curl_slist_append(c->headers, IDENTITY[i]);
    curl_easy_setopt(c->curl, CURLOPT_URL, g_fetch_url);
    /* "": curl decodes every coding it supports; the Accept-Encoding line above is what it sends. */
    curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_PROXY, ""); /* like the library on loopback: no proxy */
}

static int poll_curl(client *c) {
    c->len = 0;
    CURLcode res = curl_easy_perform(c->curl);
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (res != CURLE_OK || status != 200) {
        fprintf(stderr, "pollbench: curl: %s, HTTP %ld\n", curl_easy_strerror(res), status);
        exit(3);
    }
    json_error_t err;
    json_t *root = json_loadb(c->buf, c->len, 0, &err);
    json_t *code = root ? json_object_get(root, "code") : NULL;
    json_t *msg = root ? json_object_get(root, "message") : NULL;
    if (!json_is_integer(code) || !json_is_string(msg) || json_integer_value(code) != 10018101) {
        fprintf(stderr, "pollbench: curl: unexpected body\n");
        exit(3);
    }
    json_decref(root);
    return 1;
}

static int tcp_connect(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket failed");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
    if (inet_pton(AF_INET, g_host, &sa.sin_addr) != 1) die("BASE_URL host must be an IPv4 address");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect failed");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void raw_setup(client *c) {
    c->fd = tcp_connect();
    int n = snprintf(c->req, sizeof c->req, "GET %s" FETCH_PATH " HTTP/1.1\r\nHost: %s:%d\r\n", g_prefix,
                     g_host, g_port);
    if (n <= 0 || (size_t)n >= sizeof c->req) die("request too long");
    size_t len = (size_t)n;
    for (size_t i = 0; i <= N_IDENTITY; i++) {
        const char *line = i < N_IDENTITY ? IDENTITY[i] : "";
        n = snprintf(c->req + len, sizeof c->req - len, "%s\r\n", line);
        if (n <= 0 || (size_t)n >= sizeof c->req - len) die("request too long");
        len += (size_t)n;
    }
    c->req_len = len;
}

/* Sends the request, reads the head, then Content-Length bytes of body. Keep-alive, one connection. */
static int poll_raw(client *c) {
    if (write(c->fd, c->req, c->req_len) != (ssize_t)c->req_len) die("raw: write failed");
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have + 1 >= sizeof c->rbuf) die("raw: head too large");
        ssize_t r = read(c->fd, c->rbuf + have, sizeof c->rbuf - 1 - have);
        if (r <= 0) die("raw: connection closed");
        have += (size_t)r;
        c->rbuf[have] = 0;
        end = strstr(c->rbuf, "\r\n\r\n");
    }
    const char *cl = strcasestr(c->rbuf, "\r\ncontent-length:");
    if (!cl || cl > end) die("raw: no Content-Length");
    size_t body = strtoul(cl + 17, NULL, 10);
    size_t total = (size_t)(end + 4 - c->rbuf) + body;
    if (total >= sizeof c->rbuf) die("raw: answer too large");
    while (have < total) {
        ssize_t r = read(c->fd, c->rbuf + have, total - have);
        if (r <= 0) die("raw: connection closed in body");
        have += (size_t)r;
    }
    if (strncmp(c->rbuf, "HTTP/1.1 200", 12) != 0) die("raw: not 200");
    return 1;
}

/* ---- control API of the fake server (raw, Connection: close) ------------------------------------------- */
static void control(const char *method, const char *path, char *out, size_t cap) {
    int fd = tcp_connect();
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                     method, path, g_host);
    if (write(fd, req, (size_t)n) != n) die("control: write failed");
    size_t have = 0;
    ssize_t r;
    while (have + 1 < cap && (r = read(fd, out + have, cap - 1 - have)) > 0) have += (size_t)r;
    out[have] = 0;
    close(fd);
}

static long server_connections(void) {
    char buf[2048];
    control("GET", "/__stats", buf, sizeof buf);
    const char *p = strstr(buf, "\"connections\":");
    return p ? strtol(p + 14, NULL, 10) : -1;
}

/* ---- measurement ------------------------------------------------------------------------------------- */
typedef struct {
    poll_fn fn;
    const char *mode;
    long polls, warmup;
    uint64_t *lat;
    pthread_barrier_t *barrier;
} job;

static void client_init(client *c, const char *mode) {
    memset(c, 0, sizeof *c);
    c->fd = -1;
    if (!strcmp(mode, "curl")) curl_setup(c);
    if (!strcmp(mode, "raw")) raw_setup(c);
}

static void client_done(client *c) {
    if (c->curl) curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    free(c->buf);
    if (c->fd >= 0) close(c->fd);
}

static void *run_job(void *arg) {
    job *j = arg;
    client c;
    client_init(&c, j->mode);
    for (long i = 0; i < j->warmup; i++) j->fn(&c);
    pthread_barrier_wait(j->barrier);
    for (long i = 0; i < j->polls; i++) {
        uint64_t t0 = now_ns();
        j->fn(&c);
        j->lat[i] = now_ns() - t0;
    }
    client_done(&c);
    return NULL;
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) die("cannot read /proc/self/statm");
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int bench(const char *mode, long polls, long warmup, int threads, int mem) {
    poll_fn fn = !strcmp(mode, "lib") ? poll_lib : !strcmp(mode, "curl") ? poll_curl : !strcmp(mode, "raw") ? poll_raw : NULL;
    if (!fn) die("mode must be lib, curl or raw");
    if (threads < 1 || threads > 64) die("threads must be 1 to 64");

    char ignored[512];
    control("POST", "/__reset", ignored, sizeof ignored);

    if (mem) {
        /* Resident memory after 1,000 polls, then after `polls` polls (same thread, same process). */
        client c;
        client_init(&c, mode);
        for (long i = 0; i < 1000; i++) fn(&c);
        long rss_1k = rss_kib();
        for (long i = 1000; i < polls; i++) fn(&c);
        long rss_n = rss_kib();
        client_done(&c);
        printf("{\"mode\":\"%s\",\"mem\":true,\"polls\":%ld,\"rss_1k_kib\":%ld,\"rss_n_kib\":%ld,"
               "\"connections\":%ld}\n",
               mode, polls, rss_1k, rss_n, server_connections());
        return 0;
    }

    pthread_t tid[64];
    job jobs[64];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
    uint64_t *lat = calloc((size_t)polls * (size_t)threads, sizeof *lat);
    if (!lat) die("out of memory");
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){fn, mode, polls, warmup, lat + (size_t)t * (size_t)polls, &barrier};
        if (pthread_create(&tid[t], NULL, run_job, &jobs[t]) != 0) die("pthread_create failed");
    }
    pthread_barrier_wait(&barrier);
    uint64_t t0 = now_ns();
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    uint64_t wall = now_ns() - t0;
    long conns = server_connections();

    size_t n = (size_t)polls * (size_t)threads;
    qsort(lat, n, sizeof *lat, cmp_u64);
    printf("{\"mode\":\"%s\",\"threads\":%d,\"polls\":%zu,\"median_ns\":%llu,\"p99_ns\":%llu,"
           "\"polls_per_s\":%.1f,\"connections\":%ld}\n",
           mode, threads, n, (unsigned long long)percentile(lat, n, 0.5),
           (unsigned long long)percentile(lat, n, 0.99), (double)n * 1e9 / (double)wall, conns);
    free(lat);
    pthread_barrier_destroy(&barrier);
    return 0;
}

/* fork/exec argv `runs` times; prints the median and min wall time of one run (exit status must be 0). */
static int cold(char **argv, long runs) {
    uint64_t *t = calloc((size_t)runs, sizeof *t);
    if (!t) die("out of memory");
    for (long i = 0; i < runs; i++) {
        uint64_t t0 = now_ns();
        /* posix_spawn, not fork: the child does not copy this process's page tables (it has libcurl and its
         * many libraries mapped), which is the harness's cost, not the program's. */
        pid_t pid;
        if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) die("posix_spawn failed");
        int st = 0;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "pollbench: cold: %s failed (status %d)\n", argv[0], st);
            exit(3);
        }
        t[i] = now_ns() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_u64);
    printf("{\"mode\":\"cold\",\"program\":\"%s\",\"runs\":%ld,\"median_ns\":%llu,\"min_ns\":%llu}\n", argv[0], runs,
           (unsigned long long)percentile(t, (size_t)runs, 0.5), (unsigned long long)t[0]);
    free(t);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: pollbench lib|curl|raw BASE_URL [--polls N] [--warmup N] [--threads T] [--mem]\n"
                        "       pollbench cold PROGRAM [ARGS...] --runs N\n"
                        "       pollbench stats ORIGIN\n");
        return 2;
    }
    if (bili_qr_abi_version() != BILI_QR_ABI_VERSION) die("libbili_qr has another ABI version");
    if (!strcmp(argv[1], "cold")) {
        long runs = 20;
        if (argc >= 5 && !strcmp(argv[argc - 2], "--runs")) {
            runs = atol(argv[argc - 1]);
            argv[argc - 2] = NULL;
        }
        if (runs < 1) die("--runs must be >= 1");
        return cold(argv + 2, runs);
    }
    parse_base(argv[2]);
    if (!strcmp(argv[1], "stats")) {
        printf("%ld\n", server_connections());
        return 0;
    }
    long polls = 2000, warmup = 200;
    int threads = 1, mem = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--polls") && i + 1 < argc) polls = atol(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atol(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mem")) mem = 1;
        else die("unknown argument");
    }
    if (polls < 1 || warmup < 0) die("--polls must be >= 1, --warmup >= 0");
    if (mem && polls < 1000) die("--mem needs --polls >= 1000");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = bench(argv[1], polls, warmup, threads, mem);
    curl_global_cleanup();
    return rc;
}
