"""Loads a page in headless Chromium at a given window width, as a phone or a desktop
would, and reports what a person would see: the layout's widths (is there horizontal
scrolling?), the DOM after parsing, the title, and a full-page screenshot.

Talks to Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: fd 3
for commands, fd 4 for answers, NUL-terminated JSON), so the page itself needs no
script and keeps its strict policy. Only the standard library.

usage: page_probe.py URL WIDTH SCREENSHOT.png  -> prints one JSON object on stdout
(scrollWidth, clientWidth, scrollHeight, title, widest: elements past the right edge, html)
"""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

url, width, screenshot = sys.argv[1], int(sys.argv[2]), sys.argv[3]
profile = tempfile.mkdtemp(prefix="nurture-probe-")
to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()
# The child must see the pipe ends as fds 3 and 4 (set after fork, so close_fds is off).
def child_fds():
    # Moved above 3 and 4 first: a pipe end may itself be fd 3 or 4.
    commands, answers = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
    os.dup2(commands, 3)
    os.dup2(answers, 4)

chrome = subprocess.Popen(
    ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
     "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=child_fds, close_fds=False)
os.close(to_chrome_r)
os.close(from_chrome_w)
buffer = b""
next_id = 0
deadline = time.time() + 60


def send(method, params=None, session=None):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_chrome_w, json.dumps(message).encode() + b"\0")
    return next_id


def receive():
    global buffer
    while b"\0" not in buffer:
        if time.time() > deadline:
            raise SystemExit("chromium did not answer in time")
        chunk = os.read(from_chrome_r, 1 << 20)
        if not chunk:
            raise SystemExit("chromium closed the pipe")
        buffer += chunk
    raw, buffer = buffer.split(b"\0", 1)
    return json.loads(raw)


def call(method, params=None, session=None):
    wanted = send(method, params, session)
    while True:
        message = receive()
        if message.get("id") == wanted:
            if "error" in message:
                raise SystemExit(f"{method}: {message['error']}")
            return message["result"]


def wait_for(event, session):
    while True:
        message = receive()
        if message.get("method") == event and message.get("sessionId") == session:
            return message


try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", session=session)
    call("Emulation.setDeviceMetricsOverride",
         {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600}, session=session)
    call("Page.navigate", {"url": url}, session=session)
    wait_for("Page.loadEventFired", session)
    expression = """JSON.stringify({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        scrollHeight: document.documentElement.scrollHeight,
        title: document.title,
        widest: Array.from(document.querySelectorAll('body *')).filter(e => !e.closest('thead') && e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .slice(0, 5).map(e => e.tagName + (e.className && e.className.baseVal === undefined ? '.' + e.className : '')),
        html: document.documentElement.outerHTML})"""
    result = call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
    facts = json.loads(result["result"]["value"])
    # The whole page, and for a person to look at, slices of at most 1,600 pixels
    # (NAME-1.png, NAME-2.png…) when it is taller.
    shot = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
    with open(screenshot, "wb") as file:
        file.write(base64.b64decode(shot["data"]))
    slice_height = 1600
    if facts["scrollHeight"] > slice_height:
        for index, top in enumerate(range(0, facts["scrollHeight"], slice_height)):
            clip = {"x": 0, "y": top, "width": width, "height": min(slice_height, facts["scrollHeight"] - top), "scale": 1}
            part = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}, session=session)
            with open(screenshot.removesuffix(".png") + f"-{index + 1}.png", "wb") as file:
                file.write(base64.b64decode(part["data"]))
    print(json.dumps(facts))
finally:
    try:
        send("Browser.close")
    except OSError:
        pass
    try:
        chrome.wait(timeout=10)
    except subprocess.TimeoutExpired:
        chrome.kill()
    shutil.rmtree(profile, ignore_errors=True)
