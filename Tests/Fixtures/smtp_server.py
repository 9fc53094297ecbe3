#!/usr/bin/python3
"""A real SMTP server for Nurture's tests (Debian's python3-aiosmtpd).

Records every message it accepts as DIR/N.eml plus DIR/N.json, a summary made with
Python's own `email` package (the reference parser the tests check against), and
answers with chosen codes on cue:

  --reject-rcpt ADDR=550     refuse RCPT TO for ADDR with that code
  --data-codes 451,250       answer DATA's final dot with these codes in turn (then 250)
  --drop-after-data ADDR     read the whole message for ADDR, then close without a reply
  --starttls CERT KEY        offer STARTTLS with this certificate, and require it
  --slow-down N              answer the first N messages' final dot with 421 "rate limit"

Prints "READY <port>" once it listens on 127.0.0.1.
"""
import argparse, asyncio, signal, email, email.policy, json, os, socket, ssl, sys, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summarize(raw: bytes, mail_from, rcpt_tos):
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append({
            "type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "encoding": part.get("Content-Transfer-Encoding"),
            "text": part.get_content(),
        })
    return {
        "mail_from": mail_from,
        "rcpt_tos": rcpt_tos,
        "subject": str(message["Subject"]),
        "from": str(message["From"]),
        "to": str(message["To"]),
        "content_type": message.get_content_type(),
        "header_names": [name for name, _ in message.items()],
        "headers": {name: str(value) for name, value in message.items()},
        "parts": parts,
        "max_line": max(len(line) for line in raw.split(b"\r\n")),
        "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
        "ascii_headers": all(byte < 128 for byte in header_block),
        "defects": [str(d) for d in message.defects],
    }


class Recorder:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.lock = threading.Lock()
        self.rejects = dict(item.split("=", 1) for item in args.reject_rcpt)
        self.data_codes = [int(c) for c in args.data_codes.split(",")] if args.data_codes else []
        self.slow_down = args.slow_down

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rejects:
            return f"{self.rejects[address]} 5.1.1 <{address}>: recipient rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r in self.args.drop_after_data for r in envelope.rcpt_tos):
            # The message arrived whole; the reply is lost (RFC 1047).
            server.transport.close()
            return "250 never seen"
        with self.lock:
            if self.slow_down > 0:
                self.slow_down -= 1
                return "421 4.7.0 rate limit exceeded, slow down"
            if self.data_codes:
                code = self.data_codes.pop(0)
                if code != 250:
                    return f"{code} 4.3.0 try again later"
            self.count += 1
            number = self.count
        raw = envelope.original_content or envelope.content
        with open(os.path.join(self.args.out, f"{number}.eml"), "wb") as f:
            f.write(raw)
        with open(os.path.join(self.args.out, f"{number}.json"), "w") as f:
            json.dump(summarize(raw, envelope.mail_from, envelope.rcpt_tos), f)
        return "250 OK: queued"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--reject-rcpt", action="append", default=[])
    parser.add_argument("--data-codes", default="")
    parser.add_argument("--drop-after-data", action="append", default=[])
    parser.add_argument("--starttls", nargs=2)
    parser.add_argument("--slow-down", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    port = free_port()
    options = {}
    if args.starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.starttls)
        options = {"tls_context": context, "require_starttls": True}
    controller = Controller(Recorder(args), hostname="127.0.0.1", port=port, decode_data=False,
                            server_hostname="localhost", **options)
    controller.start()
    print(f"READY {port}", flush=True)
    # Exit at once on SIGTERM (stopping the controller from a handler can hang). The
    # test runner may start us from a thread that blocks signals, and the mask is
    # inherited: unblock it.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    while True:
        signal.pause()  # until the test sends SIGTERM


if __name__ == "__main__":
    main()
