// Part of the World (world.hpp): the Send API, personas, and what the user, a human in the inbox
// and the Page admin do. Each rule cites its protocol.md source tag; [U] marks a choice made where
// the protocol is uncertain or silent.

#include <algorithm>
#include <string>

#include "json_util.hpp"
#include "world.hpp"
#include "world_rules.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

Result<InjectedEvent> World::send(const Caller& c, const SendInput& in) {
  PageState& p = *pageState(c.page_id);
  if (in.recipient.empty()) return invalidParam("param recipient must be non-empty.");
  if (!isValidId(in.recipient)) return noMatchingUser();
  if (!in.text.empty() && !isValidText(in.text)) {
    return invalidParam("param message[text] must be valid UTF-8 of at most " +
                        std::to_string(kMaxTextChars) + " characters");
  }
  if (in.sender_action.empty() && in.text.empty() && in.attachment_json.empty()) {
    return invalidParam("Message cannot be empty, must provide valid attachment or text");
  }
  if (!in.persona_id.empty()) {
    const PersonaRecord* persona = this->persona(in.persona_id);
    if (!persona || persona->page_id != p.cfg.id) return invalidParam("Invalid persona_id");
  }
  Thread& t = thread(p, in.recipient);
  const std::string owner = effectiveOwner(p, t);
  // HOP-v2 exclusive mode / ERR-M: only the owner may send. [U] Sends on an idle thread are
  // accepted from any installed app and do not change control.
  if (!owner.empty() && owner != c.app_id) return anotherAppControls();
  std::string control = in.control_type;
  if (in.has_thread_control) {
    // CCA-IG: Send-API thread_control only with Conversation Routing. [U] wording.
    if (p.cfg.era == Era::kLegacy) {
      return invalidParam("param thread_control is only supported with Conversation Routing");
    }
    if (control.empty()) control = "release";  // CR-M: unset releases "by default" [U]
    if (control != "pass" && control != "release") {
      return invalidParam("param thread_control[control_type] must be one of {pass, release}");
    }
    if (control == "pass") {
      if (auto r = applyPass(p, t, c.app_id, in.recipient, in.control_app_id, "", true); !r) {
        return std::move(r).error();
      }
    } else if (owner != c.app_id) {
      return notOwner();
    }
  }
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  if (!in.sender_action.empty()) return ev;  // sender actions have no echo
  ev.mid = newMid();
  touch(p, t);
  {
    ChatLine line =
        chatLine(ts, c.app_id, in.attachment_json.empty() ? "text" : "attachment", in.text, ev.mid);
    if (const PersonaRecord* persona = this->persona(in.persona_id)) {
      line.persona_name = persona->name;
    }
    line.quick_replies_json = in.quick_replies_json;
    line.attachment_json = in.attachment_json;
    noteChat(t, std::move(line));
  }
  const bool ig = p.cfg.platform == Platform::kInstagram;
  // IGWH: Instagram has no message_echoes field; echoes come with `messages`.
  fanOut(p, t, ig ? "messages" : "message_echoes",
         echoJson(p, in.recipient, c.app_id, ev.mid, ts, in.text, in.attachment_json, in.metadata),
         "", ts);
  if (in.has_thread_control) {
    if (control == "pass") {
      (void)applyPass(p, t, c.app_id, in.recipient, in.control_app_id, "", false);
    } else {
      setOwner(p, t, "", "release");  // CR-M: Send-API release sends no webhook
    }
  }
  return ev;
}

PersonaRecord World::createPersona(const Caller& c, std::string name, std::string picture) {
  PersonaRecord r;
  r.id = std::to_string(5550000000000000ULL + next_persona_++);
  r.page_id = c.page_id;
  r.name = std::move(name);
  r.profile_picture_url = std::move(picture);
  personas_[r.id] = r;
  return r;
}

const PersonaRecord* World::persona(const std::string& id) const {
  auto it = personas_.find(id);
  return it == personas_.end() ? nullptr : &it->second;
}

std::vector<const PersonaRecord*> World::personas(const std::string& page_id) const {
  std::vector<const PersonaRecord*> out;
  for (const auto& [id, r] : personas_) {
    if (r.page_id == page_id) out.push_back(&r);
  }
  return out;
}

bool World::deletePersona(const Caller& c, const std::string& id) {
  auto it = personas_.find(id);
  if (it == personas_.end() || it->second.page_id != c.page_id) return false;
  personas_.erase(it);
  return true;
}

Result<InjectedEvent> World::userMessage(const UserMessage& m) {
  if (NumberState* n = numberState(m.page_id)) return waUserMessage(*n, m, "default");
  PageState* p = pageState(m.page_id);
  if (!p) return unknownObject(m.page_id);
  if (m.user_id.empty()) return handover::detail::invalidArgument("user_id is required");
  if (m.text.empty()) return handover::detail::invalidArgument("text is required");
  if (auto r = checkUserArgument(m.user_id); !r) return std::move(r).error();
  if (auto r = checkTextArgument("text", m.text); !r) return std::move(r).error();
  if (auto r = checkTextArgument("quick_reply_payload", m.quick_reply_payload); !r) {
    return std::move(r).error();
  }
  leadGenArrival(*p, m.user_id);
  Thread& t = thread(*p, m.user_id);
  touch(*p, t);
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  ev.mid = newMid();
  std::string json = head(m.user_id, p->cfg.id, ts) +
                     ",\"message\":{\"mid\":" + escapeJsonString(ev.mid) +
                     ",\"text\":" + escapeJsonString(m.text);
  if (!m.quick_reply_payload.empty()) {
    json += ",\"quick_reply\":{\"payload\":" + escapeJsonString(m.quick_reply_payload) + "}";
  }
  noteChat(t, chatLine(ts, "user", m.quick_reply_payload.empty() ? "text" : "quick_reply", m.text,
                       ev.mid));
  json += "}}";
  fanOut(*p, t, "messages", json, "", ts);
  return ev;
}

Result<InjectedEvent> World::userPostback(const std::string& page_id, const std::string& user,
                                          const std::string& title, const std::string& payload) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (user.empty()) return handover::detail::invalidArgument("user_id is required");
  if (auto r = checkUserArgument(user); !r) return std::move(r).error();
  if (auto r = checkTextArgument("title", title); !r) return std::move(r).error();
  if (auto r = checkTextArgument("payload", payload); !r) return std::move(r).error();
  leadGenArrival(*p, user);
  Thread& t = thread(*p, user);
  touch(*p, t);
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  ev.mid = newMid();
  noteChat(t, chatLine(ts, "user", "postback", title, ev.mid));
  const std::string base = head(user, p->cfg.id, ts) +
                           ",\"postback\":{\"mid\":" + escapeJsonString(ev.mid) +
                           ",\"title\":" + escapeJsonString(title);
  // SB/PB: standby postbacks carry no payload.
  fanOut(*p, t, "messaging_postbacks", base + ",\"payload\":" + escapeJsonString(payload) + "}}",
         base + "}}", ts);
  return ev;
}

Result<InjectedEvent> World::userRead(const std::string& page_id, const std::string& user) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (user.empty()) return handover::detail::invalidArgument("user_id is required");
  if (auto r = checkUserArgument(user); !r) return std::move(r).error();
  Thread& t = thread(*p, user);
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  fanOut(*p, t, "message_reads",
         head(user, p->cfg.id, ts) + ",\"read\":{\"watermark\":" + std::to_string(ts) + "}}", "",
         ts);
  return ev;
}

Result<InjectedEvent> World::inboxReply(const std::string& page_id, const std::string& user,
                                        const std::string& text) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (user.empty()) return handover::detail::invalidArgument("user_id is required");
  if (text.empty()) return handover::detail::invalidArgument("text is required");
  if (auto r = checkUserArgument(user); !r) return std::move(r).error();
  if (auto r = checkTextArgument("text", text); !r) return std::move(r).error();
  const std::string inbox(inboxAppId(p->cfg.platform));
  Thread& t = thread(*p, user);
  const std::string owner = effectiveOwner(*p, t);
  // CR-M: responding in a conversation the inbox does not control makes the inbox take it.
  // [U] The emulator applies the same on legacy pages (a human can always type).
  if (owner != inbox) {
    // The take stamps the expiry it records; a touch after it would move that by the
    // milliseconds in between, and the recorded expiry would not be the one that lapses.
    setOwner(*p, t, inbox, "inbox_reply");
    takeEvent(*p, user, owner, inbox, "");
  } else {
    touch(*p, t);
  }
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  ev.mid = newMid();
  const bool ig = p->cfg.platform == Platform::kInstagram;
  noteChat(t, chatLine(ts, inbox, "text", text, ev.mid));
  // ECHO (v12.0+): inbox replies echo with the inbox's app id.
  fanOut(*p, t, ig ? "messages" : "message_echoes",
         echoJson(*p, user, inbox, ev.mid, ts, text, "", ""), "", ts);
  return ev;
}

Result<void> World::inboxMove(const std::string& page_id, const std::string& user, InboxFolder f) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (user.empty()) return handover::detail::invalidArgument("user_id is required");
  if (auto r = checkUserArgument(user); !r) return std::move(r).error();
  const std::string inbox(inboxAppId(p->cfg.platform));
  Thread& t = thread(*p, user);
  const std::string owner = effectiveOwner(*p, t);
  if (f == InboxFolder::kMain) {
    // CR-M: moving to Main makes the inbox take control; HOP-v1: passing to the inbox moved a
    // thread to Inbox, so the converse is the same state.
    if (owner == inbox) return {};
    setOwner(*p, t, inbox, "inbox_main");
    takeEvent(*p, user, owner, inbox, "");
    return {};
  }
  if (owner != inbox) return {};  // Done on a thread the inbox does not own changes nothing
  std::string next;
  if (p->cfg.era == Era::kLegacy) {
    next = primaryOf(*p);  // HOP-v1: "Done" returns control to the Primary Receiver
  } else if (p->cfg.default_app_id != inbox) {
    next = p->cfg.default_app_id;  // [U] CR: Done hands the thread to the default app
  }
  if (next.empty()) {
    setOwner(*p, t, "", "inbox_done");  // idle; like release, no webhook
    return {};
  }
  setOwner(*p, t, next, "inbox_done");
  passEvents(*p, user, inbox, next, "");
  return {};
}

Result<void> World::setRole(const std::string& page_id, const std::string& app_id, Role role) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (p->cfg.era != Era::kLegacy) {
    return handover::detail::invalidArgument("roles exist only on legacy pages; page " + page_id +
                                             " is routing");
  }
  if (!installed(page_id, app_id))
    return handover::detail::invalidArgument("app " + app_id + " is not on page " + page_id);
  std::vector<std::string> changed;
  if (role == Role::kPrimary) {
    // One Primary Receiver per page: the previous one becomes a Secondary.
    for (auto& [id, r] : p->roles) {
      if (r == Role::kPrimary && id != app_id) {
        r = Role::kSecondary;
        changed.push_back(id);
      }
    }
  }
  if (p->roles[app_id] != role) {
    p->roles[app_id] = role;
    changed.push_back(app_id);
  }
  // A legacy thread nobody holds shows the Primary as its owner: every such view changed.
  if (!changed.empty()) everything_changed_at_ = ++version_;
  // MH: app_roles tells an app its roles on the page; no sender.
  for (const auto& id : changed) {
    const std::int64_t ts = stamp();
    const Role r = p->roles[id];
    std::string roles = r == Role::kPrimary     ? "[\"primary_receiver\"]"
                        : r == Role::kSecondary ? "[\"secondary_receiver\"]"
                                                : "[]";
    std::string json = "{\"recipient\":{\"id\":" + escapeJsonString(page_id) +
                       "},\"timestamp\":" + std::to_string(ts) + ",\"app_roles\":{" +
                       escapeJsonString(id) + ":" + roles + "}}";
    handoverEvent(*p, id, json, ts);
  }
  return {};
}

Result<void> World::setDefaultApp(const std::string& page_id, const std::string& app_id) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (p->cfg.era != Era::kRouting) {
    return handover::detail::invalidArgument("a default app needs Conversation Routing; page " +
                                             page_id + " is legacy");
  }
  if (!app_id.empty() && !installed(page_id, app_id)) {
    return handover::detail::invalidArgument("app " + app_id + " is not on page " + page_id);
  }
  p->cfg.default_app_id = app_id;
  return {};
}

Result<void> World::leadGenPass(const std::string& page_id, const std::string& user,
                                const std::string& target, bool complete) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (auto r = checkUserArgument(user); !r) return std::move(r).error();
  if (!installed(page_id, target)) {
    return handover::detail::invalidArgument("app " + target + " is not installed on page " +
                                             page_id);
  }
  Thread& t = thread(*p, user);
  const std::string lead_gen(kLeadGenAppId);
  setOwner(*p, t, lead_gen, "lead_gen");
  setOwner(*p, t, target, "pass");
  const std::string metadata =
      complete ? "messenger_lead_gen_complete" : "messenger_lead_gen_incomplete";
  const std::string hop =
      "[{\"app_id\":" + lead_gen + ",\"metadata\":" + escapeJsonString(metadata) + "}]";
  passEvents(*p, user, lead_gen, target, metadata, hop);
  return {};
}

void World::leadGenArrival(PageState& p, const std::string& user) {
  if (p.threads.count(user)) return;
  for (const auto& route : lead_gen_) {
    if (route.page_id != p.cfg.id) continue;
    // A route to an app not installed here is refused when the faults are set.
    (void)leadGenPass(p.cfg.id, user, route.target_app_id, route.complete);
    return;
  }
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
