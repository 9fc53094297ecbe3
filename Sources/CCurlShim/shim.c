#include "CCurlShim.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct upload {
    const char *data;
    size_t length;
    size_t offset;
} upload;

/// What the debug callback learns of one send.
typedef struct progress {
    int stage;
    int quitting;  // QUIT was written: its 221 says nothing about the message
    long reply;
    char reply_text[200];
    size_t body_written;
} progress;

typedef struct connection {
    CURL *curl;
    char error[CURL_ERROR_SIZE];
    int verbose;
    progress progress;
} connection;

static int starts_with_verb(const char *line, size_t size, const char *verb) {
    size_t length = strlen(verb);
    return size >= length && strncasecmp(line, verb, length) == 0;
}

/// libcurl's trace, read to know the stage: the commands it writes, the reply codes it
/// reads, the body bytes it actually wrote to the socket (not merely read from us).
static int trace(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata) {
    (void)handle;
    connection *conn = (connection *)userdata;
    progress *p = &conn->progress;
    switch (type) {
    case CURLINFO_HEADER_IN:
        if (p->stage == NURTURE_SMTP_CONNECT) p->stage = NURTURE_SMTP_GREETING;
        if (!p->quitting && size >= 3 && data[0] >= '1' && data[0] <= '5' && data[1] >= '0' && data[1] <= '9' && data[2] >= '0' && data[2] <= '9')
        {
            p->reply = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
            // The reply's text, for people ("554 5.7.1 go away"), without its line end.
            size_t length = size < sizeof(p->reply_text) - 1 ? size : sizeof(p->reply_text) - 1;
            while (length > 0 && (data[length - 1] == '\r' || data[length - 1] == '\n')) length--;
            memcpy(p->reply_text, data, length);
            p->reply_text[length] = '\0';
        }
        break;
    case CURLINFO_HEADER_OUT:
        if (starts_with_verb(data, size, "EHLO") || starts_with_verb(data, size, "HELO")) p->stage = NURTURE_SMTP_EHLO;
        else if (starts_with_verb(data, size, "STARTTLS")) p->stage = NURTURE_SMTP_STARTTLS;
        else if (starts_with_verb(data, size, "AUTH")) p->stage = NURTURE_SMTP_AUTH;
        else if (starts_with_verb(data, size, "MAIL")) p->stage = NURTURE_SMTP_MAIL;
        else if (starts_with_verb(data, size, "RCPT")) p->stage = NURTURE_SMTP_RCPT;
        else if (starts_with_verb(data, size, "DATA")) p->stage = NURTURE_SMTP_DATA;
        else if (starts_with_verb(data, size, "QUIT")) p->quitting = 1;
        // Anything else (an AUTH continuation) leaves the stage as it is.
        break;
    case CURLINFO_DATA_OUT:
        p->stage = NURTURE_SMTP_BODY;
        p->body_written += size;
        break;
    default:
        break;
    }
    if (conn->verbose && (type == CURLINFO_TEXT || type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT)) {
        const char *mark = type == CURLINFO_TEXT ? "*" : type == CURLINFO_HEADER_IN ? "<" : ">";
        fprintf(stderr, "%s %.*s", mark, (int)size, data);
    }
    return 0;
}

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
    // Also bounds each reply outside a transfer, such as QUIT's when a connection that
    // stopped answering is closed (libcurl's default would wait two minutes).
    long response_seconds = (config->timeout_ms + 999) / 1000;
    curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, response_seconds > 0 ? response_seconds : 1L);
    // The trace is how the stage is known, so it is always on; it reaches stderr only
    // when asked for.
    conn->verbose = config->verbose;
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, trace);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, conn);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    return conn;
}

void nurture_smtp_close(void *handle) {
    connection *conn = (connection *)handle;
    if (!conn) return;
    // QUIT is a courtesy: a second is enough for a healthy server's 221.
    curl_easy_setopt(conn->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, 1L);
    curl_easy_cleanup(conn->curl);  // sends QUIT on an open connection
    free(conn);
}

/// Fills `result` from a finished transfer on `conn` of a body of `length` bytes.
static void finish_result(connection *conn, CURLcode code, size_t length, nurture_smtp_result *result) {
    memset(result, 0, sizeof(*result));
    progress *p = &conn->progress;
    if (p->stage == NURTURE_SMTP_BODY && p->body_written >= length) p->stage = NURTURE_SMTP_DOT;
    result->curl_code = (int)code;
    result->smtp_code = p->reply;
    result->stage = p->stage;
    memcpy(result->reply_text, p->reply_text, sizeof(result->reply_text));
    const char *message = conn->error[0] ? conn->error : (code != CURLE_OK ? curl_easy_strerror(code) : "");
    strncpy(result->error, message, sizeof(result->error) - 1);
    long os_errno = 0;
    curl_easy_getinfo(conn->curl, CURLINFO_OS_ERRNO, &os_errno);
    // libcurl's text says "Couldn't connect"; the system says why (refused, unreachable).
    if (code != CURLE_OK && os_errno != 0) strncpy(result->cause, strerror((int)os_errno), sizeof(result->cause) - 1);
    // The final dot surely never arrived when a write failed (libcurl also says
    // CURLE_SEND_ERROR for refused commands, hence the reply check). A reset while we
    // wait for the reply proves nothing: a load balancer, or a server closing with
    // SO_LINGER 0 after it queued the message, resets too (issue 41.10), so once the
    // whole body and the dot were written a lost reply is unknown (RFC 1047).
    int write_failed = code == CURLE_SEND_ERROR && p->reply < 400;
    result->dot_unread = write_failed;
}

/// Sets a handle up for one message; `body` and `recipients` must outlive the transfer.
static void arm(connection *conn, const char *from, struct curl_slist *recipients, upload *body) {
    conn->error[0] = '\0';
    memset(&conn->progress, 0, sizeof(conn->progress));
    curl_easy_setopt(conn->curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(conn->curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(conn->curl, CURLOPT_READDATA, body);
    curl_easy_setopt(conn->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body->length);
}

/// Detaches what `arm` set, once the transfer is over.
static void disarm(connection *conn) {
    curl_easy_setopt(conn->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(conn->curl, CURLOPT_READDATA, NULL);
}

int nurture_smtp_send(void *handle, const char *from, const char *recipient, const char *data, size_t length,
                      nurture_smtp_result *result) {
    connection *conn = (connection *)handle;
    struct curl_slist *recipients = curl_slist_append(NULL, recipient);
    if (!recipients) return -1;
    upload body = {data, length, 0};
    arm(conn, from, recipients, &body);
    CURLcode code = curl_easy_perform(conn->curl);
    finish_result(conn, code, length, result);
    disarm(conn);
    curl_slist_free_all(recipients);
    return 0;
}

static size_t discard(char *buffer, size_t size, size_t count, void *userdata) {
    (void)buffer;
    (void)userdata;
    return size * count;
}

void nurture_http_post(const char *url, const char *const *headers, const char *body, size_t length, long timeout_ms,
                       nurture_http_result *result) {
    memset(result, 0, sizeof(*result));
    CURL *curl = curl_easy_init();
    if (!curl) {
        result->curl_code = CURLE_FAILED_INIT;
        snprintf(result->error, sizeof(result->error), "libcurl could not start");
        return;
    }
    struct curl_slist *list = NULL;
    for (const char *const *header = headers; header && *header; header++) list = curl_slist_append(list, *header);
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    // Only the web: a webhook URL from a settings file must not reach file:// or gopher://.
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    result->curl_code = (int)curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result->status);
    snprintf(result->error, sizeof(result->error), "%s", error[0] ? error : curl_easy_strerror((CURLcode)result->curl_code));
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
}

typedef struct growing {
    char *data;
    size_t length;
    size_t capacity;
} growing;

/// A mailbox answer larger than this is refused: no bounce or reply needs 64 MiB.
static const size_t nurture_mailbox_limit = 64u << 20;

static size_t collect(char *buffer, size_t size, size_t count, void *userdata) {
    growing *out = (growing *)userdata;
    size_t bytes = size * count;
    if (out->length + bytes > nurture_mailbox_limit) return 0;
    if (out->length + bytes + 1 > out->capacity) {
        size_t capacity = out->capacity ? out->capacity : 16384;
        while (capacity < out->length + bytes + 1) capacity *= 2;
        char *grown = realloc(out->data, capacity);
        if (!grown) return 0;
        out->data = grown;
        out->capacity = capacity;
    }
    memcpy(out->data + out->length, buffer, bytes);
    out->length += bytes;
    out->data[out->length] = '\0';
    return bytes;
}

void *nurture_mailbox_open(const char *username, const char *password, const char *ca_file, long timeout_ms) {
    CURL *curl = curl_easy_init();
    if (!curl) return NULL;
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    // Only mail protocols: a mailbox URL from a settings file must not reach anything else.
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "imap,imaps,pop3,pop3s");
    if (username) curl_easy_setopt(curl, CURLOPT_USERNAME, username);
    if (password) curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
    if (ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    // imap:// and pop3:// upgrade with STARTTLS when the server offers it.
    curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    return curl;
}

void nurture_mailbox_close(void *handle) {
    if (handle) curl_easy_cleanup((CURL *)handle);
}

int nurture_mailbox_request(void *handle, const char *url, const char *command, int no_body, char **answer,
                            size_t *length, char *error, size_t error_size) {
    CURL *curl = (CURL *)handle;
    growing out = {0};
    char buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, command);
    curl_easy_setopt(curl, CURLOPT_NOBODY, no_body ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, buffer);
    CURLcode code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    if (error && error_size) snprintf(error, error_size, "%s", buffer[0] ? buffer : curl_easy_strerror(code));
    *answer = out.data;
    *length = out.length;
    return (int)code;
}
