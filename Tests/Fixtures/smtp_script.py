#!/usr/bin/python3
"""A scripted SMTP server for Nurture's failure tests: it answers each stage of the
conversation (RFC 5321 §3) with the code it is told, so a test can fail the greeting,
EHLO, MAIL, RCPT, DATA or the final dot, drop the connection in the middle of the
body, or stop answering. Standard library only.

  --greeting 554         the reply to connecting (default 220)
  --ehlo 550             the reply to EHLO and HELO (default 250)
  --mail 451             the reply to MAIL FROM (default 250)
  --rcpt 552             the reply to every RCPT TO (default 250)
  --data 554             the reply to DATA (default 354)
  --final 451,250        the replies to the final dot in turn (then 250)
  --drop-in-body         close the connection after the first line of the body
  --hang-after-dot       never answer the final dot (the client times out)
  --reset-after-dot      queue the message, then reset the connection (RST) instead of
                         answering the final dot, as a load balancer or SO_LINGER 0 does
  --dot-delay-ms 20      wait this long before answering each final dot (a slow server)
  --first-session-dot-delay-ms 1000
                         the same for the first connection only ("slow-dot" and
                         "slow-dot answered" are logged around each wait)

Every step of every session is appended to DIR/log, one line each ("connect",
"EHLO", "MAIL", "RCPT <addr>", "DATA", "dot", "drop", "hang", "accepted <addr>"), and
each message it accepts is saved as DIR/N.eml. Prints "READY <port>" once it listens on 127.0.0.1.
"""
import argparse, asyncio, os, signal, socket, struct


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Script:
    def __init__(self, args):
        self.args = args
        self.final = [int(c) for c in args.final.split(",")] if args.final else []
        self.accepted = 0
        self.sessions = 0

    def log(self, line):
        with open(os.path.join(self.args.out, "log"), "a") as f:
            f.write(line + "\n")

    async def session(self, reader, writer):
        args = self.args
        self.sessions += 1
        session = self.sessions
        self.log("connect")
        recipient = ""

        async def reply(code, text="ok"):
            writer.write(f"{code} {text}\r\n".encode())
            await writer.drain()

        try:
            # RFC 5321 §3.1: after a 554 greeting the server still answers, until QUIT.
            await reply(args.greeting, "scripted ESMTP" if args.greeting < 400 else "go away")
            while True:
                line = await reader.readline()
                if not line:
                    return
                command = line.decode(errors="replace").strip()
                verb = command.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.log("EHLO")
                    if args.ehlo == 250 and verb == "EHLO":
                        writer.write(b"250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                        await writer.drain()
                    else:
                        await reply(args.ehlo, "greeting refused" if args.ehlo >= 400 else "hello")
                elif verb == "MAIL":
                    self.log("MAIL")
                    await reply(args.mail, "sender refused" if args.mail >= 400 else "ok")
                elif verb == "RCPT":
                    address = command.split(":", 1)[-1].strip().strip("<>")
                    recipient = address
                    self.log(f"RCPT {address}")
                    await reply(args.rcpt, "mailbox full" if args.rcpt == 552 else ("refused" if args.rcpt >= 400 else "ok"))
                elif verb == "DATA":
                    self.log("DATA")
                    await reply(args.data, "end with <CRLF>.<CRLF>" if args.data == 354 else "no")
                    if args.data != 354:
                        continue
                    body = []
                    first = True
                    while True:
                        chunk = await reader.readline()
                        if not chunk:
                            return
                        if first and args.drop_in_body:
                            # An abortive close (RST), as when a server dies with unread data.
                            self.log("drop")
                            sock = writer.get_extra_info("socket")
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                            writer.transport.abort()
                            return
                        first = False
                        if chunk == b".\r\n":
                            break
                        body.append(chunk)
                    self.log("dot")
                    if args.hang_after_dot:
                        self.log("hang")
                        await asyncio.sleep(3600)
                        return
                    if args.reset_after_dot:
                        self.accepted += 1
                        with open(os.path.join(args.out, f"{self.accepted}.eml"), "wb") as f:
                            f.write(b"".join(body))
                        self.log(f"accepted {recipient}")
                        self.log("reset")
                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        writer.transport.abort()
                        return
                    if args.dot_delay_ms:
                        await asyncio.sleep(args.dot_delay_ms / 1000)
                    if session == 1 and args.first_session_dot_delay_ms:
                        self.log("slow-dot")
                        await asyncio.sleep(args.first_session_dot_delay_ms / 1000)
                        self.log("slow-dot answered")
                    code = self.final.pop(0) if self.final else 250
                    if code == 250:
                        self.accepted += 1
                        with open(os.path.join(args.out, f"{self.accepted}.eml"), "wb") as f:
                            f.write(b"".join(body))
                        self.log(f"accepted {recipient}")
                    await reply(code, "queued" if code == 250 else "not now")
                elif verb == "QUIT":
                    await reply(221, "bye")
                    writer.close()
                    return
                elif verb in ("RSET", "NOOP"):
                    await reply(250)
                else:
                    await reply(502, "not implemented")
        except (ConnectionError, asyncio.CancelledError):
            return


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    for name, default in [("greeting", 220), ("ehlo", 250), ("mail", 250), ("rcpt", 250), ("data", 354)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--final", default="")
    parser.add_argument("--drop-in-body", action="store_true")
    parser.add_argument("--hang-after-dot", action="store_true")
    parser.add_argument("--reset-after-dot", action="store_true")
    parser.add_argument("--dot-delay-ms", type=int, default=0)
    parser.add_argument("--first-session-dot-delay-ms", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    script = Script(args)
    port = free_port()
    server = await asyncio.start_server(script.session, "127.0.0.1", port)
    print(f"READY {port}", flush=True)
    # The test runner may start us with SIGTERM blocked; the mask is inherited.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: os._exit(0))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
