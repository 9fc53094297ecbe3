#!/usr/bin/python3
"""Verifies every DKIM-Signature of each message file with dkimpy (Debian's
python3-dkim, Ed25519 through python3-nacl), independently of Nurture's code.
Usage: dkim_verify.py RECORDS.json FILE.eml...   RECORDS maps "selector._domainkey.domain."
to its TXT record. Prints one line per signature, "ok SELECTOR A H" or "FAIL SELECTOR ...",
where H is the signature's h= tag; exits 1 if any fails or a file has none."""
import json
import re
import sys

import dkim

records = json.load(open(sys.argv[1]))


def dns(name, timeout=5):
    key = name.decode() if isinstance(name, bytes) else name
    return records.get(key, "").encode()


failed = False
for path in sys.argv[2:]:
    message = open(path, "rb").read()
    checker = dkim.DKIM(message)
    count = len(re.findall(rb"(?im)^DKIM-Signature:", message.split(b"\r\n\r\n", 1)[0]))
    if count == 0:
        print(f"FAIL {path}: no DKIM-Signature")
        failed = True
    for index in range(count):
        try:
            ok = checker.verify(idx=index, dnsfunc=dns)
        except dkim.ValidationError:
            ok = False
        tags = dkim.util.parse_tag_value(re.sub(rb"\r\n\s+", b"", re.findall(rb"(?ims)^DKIM-Signature:(.*?)\r\n(?=\S)", message)[index]))
        line = f"{tags[b's'].decode()} {tags[b'a'].decode()} {tags[b'h'].decode()}"
        print(("ok " if ok else "FAIL ") + line + ("" if ok else f" {path}"))
        failed = failed or not ok
sys.exit(1 if failed else 0)
