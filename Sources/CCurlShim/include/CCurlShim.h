#ifndef NURTURE_CCURLSHIM_H
#define NURTURE_CCURLSHIM_H

#include <stddef.h>

// All of Nurture's libcurl use sits behind these few functions: curl_easy_setopt is
// variadic, which Swift cannot call, and keeping the C in one place keeps it reviewable.

/// How to reach the SMTP server. Strings are copied by libcurl; NULL means unset.
typedef struct nurture_smtp_config {
    const char *url;           // smtp://host:port or smtps://host:port (may carry user:pass@)
    const char *username;      // overrides the URL's user when set
    const char *password;
    long starttls;             // 0 off, 1 optional, 2 required (ignored for smtps://)
    const char *ca_file;       // extra CA bundle (a private or test CA)
    long connect_timeout_ms;
    long timeout_ms;           // for one whole message
    int verbose;               // libcurl's protocol trace on stderr
} nurture_smtp_config;

/// How far one send got in the SMTP conversation (RFC 5321 §3), from what libcurl
/// wrote and read: the stage of the last command sent.
typedef enum nurture_smtp_stage {
    NURTURE_SMTP_CONNECT = 0,  // nothing read from the server yet
    NURTURE_SMTP_GREETING,     // the server spoke; no command sent yet
    NURTURE_SMTP_EHLO,         // EHLO or HELO
    NURTURE_SMTP_STARTTLS,
    NURTURE_SMTP_AUTH,
    NURTURE_SMTP_MAIL,
    NURTURE_SMTP_RCPT,
    NURTURE_SMTP_DATA,         // DATA sent, waiting for 354
    NURTURE_SMTP_BODY,         // part of the body written
    NURTURE_SMTP_DOT,          // the whole body written: the final "." may have reached the server
} nurture_smtp_stage;

/// What one send came to.
typedef struct nurture_smtp_result {
    int curl_code;             // CURLcode
    long smtp_code;            // the last SMTP reply code read in this send (0 when none)
    int stage;                 // nurture_smtp_stage
    int dot_unread;            // a write failed: the final dot cannot have been read
    char reply_text[200];      // the last reply line read ("554 5.7.1 go away")
    char error[256];           // libcurl's error buffer (CURL_ERROR_SIZE)
    char cause[128];           // the system's reason for a failed connection ("Connection refused"), or ""
} nurture_smtp_result;

/// Once per process, before any thread uses libcurl.
int nurture_smtp_global_init(void);

/// A connection handle (a CURL easy handle): reused across sends, so the SMTP
/// connection stays open between messages. Not thread-safe: one thread at a time.
void *nurture_smtp_open(const nurture_smtp_config *config);
void nurture_smtp_close(void *handle);

/// Sends one message on `handle` and waits for its outcome on the calling thread.
/// Returns 0, or -1 when the send could not start (out of memory).
int nurture_smtp_send(void *handle, const char *from, const char *recipient, const char *data, size_t length,
                      nurture_smtp_result *result);

/// What one HTTP request came to.
typedef struct nurture_http_result {
    int curl_code;             // CURLcode (0: an answer came back)
    long status;               // the HTTP status (0 when none)
    char error[256];           // libcurl's error buffer
} nurture_http_result;

/// POSTs `body` to `url` (http or https only, no redirects followed) with `headers`, a
/// NULL-terminated list of "Name: value" lines, waiting at most `timeout_ms` in all.
void nurture_http_post(const char *url, const char *const *headers, const char *body, size_t length, long timeout_ms,
                       nurture_http_result *result);

/// A mailbox connection (IMAP or POP3, with or without TLS), kept open across requests.
/// `url` names the mailbox (imaps://user@host/INBOX); NULL strings are unset.
void *nurture_mailbox_open(const char *username, const char *password, const char *ca_file, long timeout_ms);
void nurture_mailbox_close(void *handle);

/// One request on the mailbox connection: `url` (the mailbox, or one message of it) and,
/// when set, `command` sent as it is (IMAP "UID SEARCH ...", "UID STORE ...", POP3 "DELE",
/// with `no_body` set for a command whose answer is one line). What the server answers (a
/// message, or the untagged lines of a command) goes to a buffer the caller frees with
/// free(); `error` gets libcurl's words on failure. Returns the CURLcode.
int nurture_mailbox_request(void *handle, const char *url, const char *command, int no_body, char **answer,
                            size_t *length, char *error, size_t error_size);

#endif
