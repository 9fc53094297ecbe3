/* The ceiling of the library Nurture builds on: one pre-built message sent N times
 * through libcurl's multi interface, over C connections that are reused (each easy
 * handle is re-added after its transfer, keeping its connection open).
 *
 *   curl-bare URL MESSAGE-FILE N CONNECTIONS
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { const char *data; size_t length, offset; } body;

static size_t read_body(char *buffer, size_t size, size_t count, void *userdata) {
    body *b = userdata;
    size_t n = b->length - b->offset < size * count ? b->length - b->offset : size * count;
    memcpy(buffer, b->data + b->offset, n);
    b->offset += n;
    return n;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s URL FILE N CONNECTIONS\n", argv[0]); return 2; }
    const char *url = argv[1];
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 2; }
    fseek(f, 0, SEEK_END); long length = ftell(f); fseek(f, 0, SEEK_SET);
    char *data = malloc(length); fread(data, 1, length, f); fclose(f);
    long total = atol(argv[3]); int width = atoi(argv[4]);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    CURL **handles = calloc(width, sizeof(CURL *));
    body *bodies = calloc(width, sizeof(body));
    struct curl_slist *rcpt = curl_slist_append(NULL, "<bench@example.com>");
    long started = 0, done = 0, failed = 0;
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < width && started < total; i++, started++) {
        CURL *h = curl_easy_init();
        handles[i] = h;
        bodies[i] = (body){data, (size_t)length, 0};
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_MAIL_FROM, "<sender@example.com>");
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(h, CURLOPT_READDATA, &bodies[i]);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
        curl_easy_setopt(h, CURLOPT_PRIVATE, &bodies[i]);
        curl_multi_add_handle(multi, h);
    }
    int running = 1;
    while (done < total) {
        int readded = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *msg; int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *h = msg->easy_handle;
            if (msg->data.result != CURLE_OK) failed++;
            done++;
            curl_multi_remove_handle(multi, h);
            if (started < total) {
                body *b; curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&b);
                b->offset = 0;
                started++;
                readded = 1;
                curl_multi_add_handle(multi, h);  /* same handle: its connection is reused */
            }
        }
        /* A re-added handle needs curl_multi_perform to start, not a wait for its socket. */
        if (done < total && !readded) curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%ld %.3f %ld\n", done, seconds, failed);
    return failed ? 1 : 0;
}
