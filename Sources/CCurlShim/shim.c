#include "CCurlShim.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

typedef struct upload {
    const char *data;
    size_t length;
    size_t offset;
    int finished;
} upload;

typedef struct connection {
    CURL *curl;
    char error[CURL_ERROR_SIZE];
} connection;

int nurture_smtp_global_init(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static size_t read_body(char *buffer, size_t size, size_t count, void *userdata) {
    upload *body = (upload *)userdata;
    size_t room = size * count;
    size_t left = body->length - body->offset;
    size_t chunk = left < room ? left : room;
    memcpy(buffer, body->data + body->offset, chunk);
    body->offset += chunk;
    // libcurl has the whole message (it may not ask again once it has the announced
    // size): from here on the final CRLF.CRLF may reach the server at any moment.
    if (body->offset == body->length) body->finished = 1;
    return chunk;
}

void *nurture_smtp_open(const nurture_smtp_config *config) {
    connection *conn = calloc(1, sizeof(connection));
    if (!conn) return NULL;
    conn->curl = curl_easy_init();
    if (!conn->curl) {
        free(conn);
        return NULL;
    }
    CURL *curl = conn->curl;
    curl_easy_setopt(curl, CURLOPT_URL, config->url);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, conn->error);
    // Threads and signals: never let libcurl raise SIGPIPE or use alarm().
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
    if (config->username) curl_easy_setopt(curl, CURLOPT_USERNAME, config->username);
    if (config->password) curl_easy_setopt(curl, CURLOPT_PASSWORD, config->password);
    long ssl = config->starttls == 2 ? (long)CURLUSESSL_ALL : config->starttls == 1 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE;
    curl_easy_setopt(curl, CURLOPT_USE_SSL, ssl);
    if (config->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, config->ca_file);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, config->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, config->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, config->verbose ? 1L : 0L);
    return conn;
}

void nurture_smtp_close(void *handle) {
    connection *conn = (connection *)handle;
    if (!conn) return;
    curl_easy_cleanup(conn->curl);  // sends QUIT on an open connection
    free(conn);
}

void nurture_smtp_send(void *handle, const char *from, const char *recipient, const char *data, size_t length,
                       nurture_smtp_result *result) {
    connection *conn = (connection *)handle;
    memset(result, 0, sizeof(*result));
    conn->error[0] = '\0';
    upload body = {data, length, 0, 0};
    struct curl_slist *recipients = curl_slist_append(NULL, recipient);
    curl_easy_setopt(conn->curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(conn->curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(conn->curl, CURLOPT_READDATA, &body);
    curl_easy_setopt(conn->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);

    CURLcode code = curl_easy_perform(conn->curl);

    long reply = 0;
    curl_easy_getinfo(conn->curl, CURLINFO_RESPONSE_CODE, &reply);
    result->curl_code = (int)code;
    result->smtp_code = reply;
    result->body_sent = body.finished;
    const char *message = conn->error[0] ? conn->error : (code != CURLE_OK ? curl_easy_strerror(code) : "");
    strncpy(result->error, message, sizeof(result->error) - 1);

    // The list must outlive the transfer only; detach it before freeing.
    curl_easy_setopt(conn->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(conn->curl, CURLOPT_READDATA, NULL);
    curl_slist_free_all(recipients);
}
