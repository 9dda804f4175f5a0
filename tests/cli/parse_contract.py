#!/usr/bin/env python3
"""The `handover parse` contract (README, "handover parse output"), written a second time from
its documentation in a few lines of Python, independently of the C++ code it checks.

    parse_contract.py BODY.json           print the contract lines for BODY.json
    parse_contract.py --check DIR         every DIR/*.json against DIR/*.parse.jsonl

It models valid events only: a fixture whose events the parser reports as errors
(malformed_events) has a hand-written golden file and is skipped by --check.
"""
import json
import pathlib
import sys

KINDS = ["message", "read", "delivery", "postback", "pass_thread_control",
         "take_thread_control", "request_thread_control", "app_roles", "reaction",
         "referral", "optin", "message_edit"]
ENVELOPE = ("sender", "recipient", "timestamp")
HAND_WRITTEN = {"malformed_events", "whatsapp_malformed"}


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def ids_as_strings(value, key=None):
    """Integers under a key named `id` or `*_id` become their decimal text."""
    if isinstance(value, dict):
        return {k: ids_as_strings(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [ids_as_strings(v, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and key is not None and \
            (key == "id" or (key.endswith("_id") and len(key) > 3)) and value >= 0:
        return str(value)
    return value


def party(p):
    if not isinstance(p, dict):
        return None
    if p.get("id") is not None:
        return str(p["id"])
    if p.get("user_ref") is not None:
        return str(p["user_ref"])
    return None


def kind_of(event):
    for k in event:
        if k in KINDS:
            if k == "message" and event[k].get("is_echo") is True:
                return "echo", k
            return k, k
    return "unknown", None


# --- WhatsApp (object "whatsapp_business_account"): the table in examples/cli.md -------------

def wa_id(obj, *keys):
    """The first of `keys` holding a non-empty string or a non-negative integer, as text."""
    if not isinstance(obj, dict):
        return None
    for k in keys:
        v = obj.get(k)
        if isinstance(v, str) and v:
            return v
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            return str(v)
    return None


def wa_millis(v):
    """Seconds as 1 to 12 ASCII digits (a string, or an integer in that range), else 0."""
    if isinstance(v, str) and 1 <= len(v) <= 12 and all("0" <= c <= "9" for c in v):
        return int(v) * 1000
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 999_999_999_999:
        return v * 1000
    return 0


def wa_number(value, entry_id, first, second):
    return (wa_id(value.get(first), "phone_number_id") or
            wa_id(value.get(second), "phone_number_id") or entry_id)


def wa_lines(doc):
    out = []

    def line(kind, standby, page, sender, recipient, timestamp, data):
        out.append(json.dumps({
            "kind": kind, "standby": standby, "platform": "whatsapp", "page_id": page,
            "sender_id": sender, "recipient_id": recipient, "timestamp": timestamp,
            "data": ids_as_strings(data)}, ensure_ascii=False, separators=(",", ":")))

    def arrays(holder, standby, page):
        for key, items in holder.items():
            if key == "standby" and not standby and isinstance(items, dict):
                arrays(items, True, page)
                continue
            if key == "contacts" or not isinstance(items, list):
                continue
            for item in items:
                ts = wa_millis(item.get("timestamp"))
                if key == "messages":
                    line("message", standby, page, wa_id(item, "from", "from_user_id", "user_id"),
                         page, ts, item)
                elif key == "message_echoes":
                    line("echo", standby, page, page,
                         wa_id(item.get("message"), "to", "recipient"), ts, item)
                elif key == "statuses":
                    line("status", standby, page, page,
                         wa_id(item, "recipient_id", "recipient_user_id"), ts, item)
                else:
                    line("unknown", standby, page, None, None, ts, item)

    for entry in doc["entry"]:
        entry_id = "" if entry.get("id") is None else str(entry["id"])
        for change in entry.get("changes", []):
            if "value" not in change:
                continue
            field, value = change.get("field", ""), change["value"]
            if field == "messaging_handovers":
                page = wa_number(value, entry_id, "recipient", "metadata")
                kind = value.get("type")
                own = value.get(kind) if isinstance(kind, str) else None
                known = kind in ("control_passed", "control_taken") and isinstance(own, dict)
                line(kind if known else "unknown", False, page,
                     wa_id(value.get("sender"), "phone_number", "wa_id", "user_id"), page,
                     wa_millis(value.get("timestamp")), own if isinstance(own, dict) else value)
            elif field in ("messages", "standby"):
                arrays(value, False, wa_number(value, entry_id, "metadata", "recipient"))
            elif isinstance(value, dict):  # a value that is no object is an event error
                line("unknown", False, wa_number(value, entry_id, "metadata", "recipient"),
                     None, None, 0, value)
    return out


def lines(body):
    doc = json.loads(body, object_pairs_hook=no_duplicates)
    if doc.get("object") == "whatsapp_business_account":
        return wa_lines(doc)
    platform = "instagram" if doc.get("object") == "instagram" else "messenger"
    out = []
    for entry in doc["entry"]:
        if not isinstance(entry, dict):
            continue
        page = entry.get("id")
        for key, items in entry.items():
            if key not in ("messaging", "standby") or not isinstance(items, list):
                continue
            for event in items:
                kind, wire_key = kind_of(event)
                if wire_key is None:
                    data = {k: v for k, v in event.items() if k not in ENVELOPE}
                else:
                    data = event[wire_key]
                line = {
                    "kind": kind,
                    "standby": key == "standby",
                    "platform": platform,
                    "page_id": "" if page is None else str(page),
                    "sender_id": party(event.get("sender")),
                    "recipient_id": party(event.get("recipient")),
                    "timestamp": event.get("timestamp") or 0,
                    "data": ids_as_strings(data, None if wire_key is None else wire_key),
                }
                out.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        folder = pathlib.Path(argv[2])
        bad = 0
        checked = 0
        for body in sorted(folder.glob("*.json")):
            if body.stem in HAND_WRITTEN:
                continue
            golden = body.with_name(body.stem + ".parse.jsonl")
            want = "".join(line + "\n" for line in lines(body.read_bytes()))
            have = golden.read_text(encoding="utf-8") if golden.exists() else None
            checked += 1
            if have != want:
                bad += 1
                print(f"{golden.name}: differs from the contract as documented", file=sys.stderr)
                print(want, file=sys.stderr)
        print(f"parse contract: {checked - bad} passed, {bad} failed")
        return 1 if bad or checked == 0 else 0
    if len(argv) == 2:
        for line in lines(pathlib.Path(argv[1]).read_bytes()):
            print(line)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
