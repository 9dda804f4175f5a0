#!/usr/bin/python3
"""The emulator's web inspector in a real browser (Debian's chromium + chromium-driver, driven by
python3-selenium): a person clicks through a handover against the demo's real bot process.

    inspector_test.py HANDOVER_CLI DEMO_BOT SCREENSHOT

Starts `handover emulator` with a routing Page whose default app is the demo bot, starts the bot
(a webhook server on Endpoint), loads /_emulator/ui/ and: sends a message as the user and sees
the bot's reply and the delivery in the inspector; asks for the shop staff and sees the ownership
strip turn to the Page Inbox; replies as the inbox agent and sees the echo delivered; saves a
screenshot; then switches to a WhatsApp number, where the bot is the default entry point's
primary, and sees its reply, its owner strip, the responders and a whatsapp_business_account
delivery. Every wait is bounded; a failure says what was expected and what the page showed.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PAGE = "100000000000002"
BOT = "500000000000001"
AGENT = "500000000000002"
INBOX = "263902037430900"  # Messenger's Page Inbox app id (protocol.md)
NUMBER = "106540352242922"  # a WhatsApp Business number's phone_number_id
WAIT_S = 15


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_line_with(proc, needle, what):
    deadline = time.time() + WAIT_S
    seen = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if needle in line:
            return line.strip()
    raise SystemExit(f"{what} did not print '{needle}'; it printed:\n{''.join(seen)}")


def main(cli, demo_bot, screenshot):
    work = tempfile.mkdtemp(prefix="handover-inspector-")
    bot_port = free_port()
    config = {
        "pages": [{"id": PAGE, "name": "Routing Shop", "platform": "messenger", "era": "routing",
                   "default_app_id": BOT}],
        "whatsapp_numbers": [{"id": NUMBER, "waba_id": "102290129340398",
                              "name": "Shop on WhatsApp", "escalation_partner": AGENT,
                              "entry_points": {"default": {"primary": BOT, "roles": {
                                  "customer_service": AGENT}}}}],
        "apps": [
            {"id": BOT, "name": "Shop Bot", "role": "primary",
             "page_tokens": {PAGE: "bot-routing-page-token", NUMBER: "bot-whatsapp-token"},
             "app_secret": "bot-app-secret",
             "webhook_url": f"http://127.0.0.1:{bot_port}/webhook",
             "subscribed_fields": ["messages", "standby", "messaging_handovers",
                                   "message_echoes", "messaging_postbacks"]},
            {"id": AGENT, "name": "Agent Desk", "role": "secondary",
             "page_tokens": {PAGE: "agent-routing-page-token"}, "app_secret": "agent-app-secret"},
        ],
        "delivery": {"initial_backoff_ms": 50, "max_backoff_ms": 500},
    }
    config_path = os.path.join(work, "world.json")
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    emulator = subprocess.Popen([cli, "emulator", "--config", config_path, "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs = [emulator]
    driver = None
    try:
        url = read_line_with(emulator, "listening on", "handover emulator").split()[-1]
        env = dict(os.environ, HANDOVER_APP_SECRET="bot-app-secret",
                   HANDOVER_PAGE_TOKENS=f"{PAGE}=bot-routing-page-token,"
                                        f"{NUMBER}=bot-whatsapp-token")
        bot = subprocess.Popen([demo_bot, "--app-id", BOT, "--peer-app-id", AGENT,
                                "--port", str(bot_port), "--graph-url", url],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        procs.append(bot)
        read_line_with(bot, "listening on", "demo_bot")

        options = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1600,1000", "--no-first-run", "--disable-extensions"):
            options.add_argument(arg)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, WAIT_S)

        def until(what, check):
            try:
                return wait.until(lambda d: check())
            except TimeoutException:
                driver.save_screenshot(screenshot + ".failed.png")
                body = driver.find_element(By.TAG_NAME, "body").text
                raise SystemExit(f"timed out waiting for: {what}\nthe page showed:\n{body[:3000]}")

        driver.get(url + "/_emulator/ui")  # redirects to /_emulator/ui/
        until("the page list", lambda: driver.find_elements(By.CSS_SELECTOR, "#page-select option"))
        until("a user id to chat as",
              lambda: driver.find_element(By.ID, "user-select").get_attribute("value"))
        user = driver.find_element(By.ID, "user-select").get_attribute("value")
        assert user.isdigit() and len(user) == 16, f"user id {user!r}"

        def say(text):
            box = driver.find_element(By.ID, "chat-input")
            box.send_keys(text)
            driver.find_element(By.ID, "chat-send").click()

        def chat_texts(selector=".msg .bubble"):
            return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#chat-log " + selector)]

        # 1. The user says hello; the bot answers; the inspector shows the delivery and the call.
        say("hello there")
        until("the user's message in the chat", lambda: "hello there" in chat_texts())
        until("the bot's reply in the chat",
              lambda: any("bot: you said: hello there" in t for t in chat_texts()))

        def entries(kind, app=None):
            css = f"#inspector-list .entry[data-kind='{kind}']"
            if app:
                css += f"[data-app='{app}']"
            return driver.find_elements(By.CSS_SELECTOR, css)

        def status(entry):
            return entry.find_element(By.CSS_SELECTOR, ".st").text

        until("a 200 delivery to the bot in the inspector",
              lambda: any(status(e) == "200" for e in entries("delivery", BOT)))
        until("the bot's Send API call in the inspector",
              lambda: any("/messages" in e.text for e in entries("graph", BOT)))
        # Opening a delivery shows its signature and body.
        delivery = entries("delivery", BOT)[-1]
        delivery.click()
        until("the delivery's details", lambda: "X-Hub-Signature-256" in delivery.text)
        assert "sha256=" in delivery.text, delivery.text
        delivery.click()

        # 2. The user asks for the shop staff: the bot passes the thread to the Page Inbox.
        say("can I talk to the staff?")
        until("the owner to become the Page Inbox",
              lambda: driver.find_element(By.ID, "owner-now").text == "Page Inbox")
        until("the ownership strip to end with the inbox",
              lambda: [s.get_attribute("data-owner")
                       for s in driver.find_elements(By.CSS_SELECTOR, "#owner-strip .segment")][-1:]
              == [INBOX])
        segments = driver.find_elements(By.CSS_SELECTOR, "#owner-strip .segment")
        assert len(segments) >= 2, "the strip shows the bot's time and the inbox's"

        # 3. A human replies from the Page Inbox: the person sees it, the bot gets the echo.
        driver.find_element(By.ID, "inbox-input").send_keys("Hi, this is Sam from the shop")
        driver.find_element(By.ID, "inbox-send").click()
        until("the inbox reply in the user's chat",
              lambda: "Hi, this is Sam from the shop" in chat_texts(".msg.from-inbox .bubble"))

        # The inspector polls conversations from its last cursor, not the whole world each time.
        polled = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => n.includes('/_emulator/conversations'));")
        assert polled and all("since=" in n and "since_ms=" in n for n in polled), polled
        assert any("since=0&" not in n for n in polled), f"the cursor never moved: {polled[-3:]}"

        def echo_delivered():
            for e in entries("delivery", BOT):
                detail = e.find_element(By.CSS_SELECTOR, ".detail").get_attribute("textContent")
                if "is_echo" in detail and INBOX in detail and "Sam from the shop" in detail:
                    return status(e) == "200"
            return False

        until("the inbox's echo delivered to the bot", echo_delivered)

        # Filters: only Graph calls, then only failures (none of the bot's calls failed).
        driver.find_element(By.CSS_SELECTOR, "#filter-kind option[value='graph']").click()
        until("only Graph calls listed", lambda: entries("graph") and not entries("delivery"))
        driver.find_element(By.CSS_SELECTOR, "#filter-kind option[value='']").click()

        driver.save_screenshot(screenshot)

        # The clock control: 25 hours later the inbox's control has lapsed, and the strip says so.
        driver.find_element(By.ID, "advance-btn").click()
        until("control to lapse after 25 h",
              lambda: driver.find_element(By.ID, "owner-now").text == "nobody (idle)")
        until("an idle segment after the inbox's",
              lambda: [s.get_attribute("data-owner")
                       for s in driver.find_elements(By.CSS_SELECTOR, "#owner-strip .segment")][-2:]
              == [INBOX, ""])
        # 4. The WhatsApp number: the bot (its default entry point's primary) answers; the
        # strip, the responders and the delivery's envelope say it is WhatsApp.
        driver.find_element(By.CSS_SELECTOR, f"#page-select option[value='{NUMBER}']").click()
        until("the WhatsApp era label",
              lambda: driver.find_element(By.ID, "page-era").text == "WhatsApp Conversation Routing")
        until("the responders",
              lambda: any("escalation partner" in e.text
                          for e in driver.find_elements(By.CSS_SELECTOR, "#roles .responder")))
        until("a user id on the number",
              lambda: driver.find_element(By.ID, "user-select").get_attribute("value"))
        say("hello on whatsapp")
        until("the bot's WhatsApp reply in the chat",
              lambda: any("bot: you said: hello on whatsapp" in t for t in chat_texts()))
        until("the bot to own the WhatsApp thread",
              lambda: driver.find_element(By.ID, "owner-now").get_attribute("data-owner") == BOT)
        until("the strip to show the bot",
              lambda: [s.get_attribute("data-owner")
                       for s in driver.find_elements(By.CSS_SELECTOR, "#owner-strip .segment")][-1:]
              == [BOT])

        def whatsapp_delivered():
            for e in entries("delivery", BOT):
                detail = e.find_element(By.CSS_SELECTOR, ".detail").get_attribute("textContent")
                if "whatsapp_business_account" in detail and "hello on whatsapp" in detail:
                    return status(e) == "200"
            return False

        until("a WhatsApp delivery to the bot", whatsapp_delivered)
        assert not driver.find_element(By.ID, "inbox-form").is_displayed(), "no inbox on WhatsApp"
        driver.save_screenshot(screenshot.replace(".png", "-whatsapp.png"))
        print(f"inspector ok: screenshot {screenshot}")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
