// Part of World (world.hpp): WhatsApp Conversation Routing on a business number. Each rule cites
// whatsapp.md; where Meta publishes no error code the emulator answers a documented placeholder
// (README of the emulator, "WhatsApp numbers").

#include <string>
#include <utility>

#include "handover/core/whatsapp.hpp"
#include "whatsapp_config.hpp"
#include "world_rules.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {
namespace {

// Placeholders: Meta publishes no code for these (whatsapp.md §6, R1). Code 100 as Graph's
// invalid-parameter family; subcodes out of Meta's ranges so nobody mistakes them for real ones.
constexpr int kPlaceholderNoRoleHolder = 9990001;
constexpr int kPlaceholderServiceSendByNonOwner = 9990002;

Error waNotOwner() {
  // [U] whatsapp.md §2: "Meta rejects it if the thread is idle, if the caller does not own it".
  // The Instagram not-the-owner shape, so `Error::isNotThreadOwner()` holds on both channels.
  return graphError(100, 2534037, "(#100) The action is invalid since it's not the thread owner.");
}

std::string seconds(std::int64_t ms) {
  return std::to_string(ms / 1000);
}

}  // namespace

const WhatsAppNumberConfig* World::number(const std::string& id) const {
  const NumberState* n = numberState(id);
  return n != nullptr ? &n->cfg : nullptr;
}

World::NumberState* World::numberState(const std::string& id) {
  const auto it = numbers_.find(id);
  return it == numbers_.end() ? nullptr : &it->second;
}
const World::NumberState* World::numberState(const std::string& id) const {
  const auto it = numbers_.find(id);
  return it == numbers_.end() ? nullptr : &it->second;
}

World::WaThread& World::waThread(NumberState& n, const std::string& user) {
  WaThread& t = n.threads[user];
  // §2: "The thread goes idle after 24 h of user inactivity, with no webhook"; counted from the
  // later of the user's last message and the last transition (§8).
  const std::int64_t since = std::max(t.last_user_ms, t.last_transition_ms);
  if (!t.owner.empty() && now_ms_() - since >= kWaIdleMs) {
    t.owner.clear();
    t.last_transition_ms = since + kWaIdleMs;
    noteHistory(t, {since + kWaIdleMs, "", "idle", std::nullopt});
  }
  return t;
}

std::string World::waOwnerNow(const NumberState& n, const std::string& user) const {
  const auto it = n.threads.find(user);
  if (it == n.threads.end()) return {};
  const WaThread& t = it->second;
  const std::int64_t since = std::max(t.last_user_ms, t.last_transition_ms);
  return now_ms_() - since >= kWaIdleMs ? std::string() : t.owner;
}

void World::waSetOwner(NumberState& n, WaThread& t, const std::string& app_id, const char* cause) {
  (void)n;
  t.owner = app_id;
  t.last_transition_ms = now_ms_();
  noteHistory(t, {now_ms_(), app_id, cause, std::nullopt});
}

// The role `app` holds for the thread's entry point ("escalation" for the partner), or "".
std::string World::waRoleOf(const NumberState& n, const WaThread& t, const std::string& app) const {
  const auto ep = n.cfg.entry_points.find(t.entry_point);
  if (ep != n.cfg.entry_points.end()) {
    for (const auto& [role, holder] : ep->second.roles) {
      if (holder == app) return role;
    }
  }
  return app == n.cfg.escalation_partner ? "escalation" : std::string();
}

std::string World::waMetadataJson(const NumberState& n) const {
  return "{\"display_phone_number\":" + escapeJsonString(n.cfg.display_phone_number) +
         ",\"phone_number_id\":" + escapeJsonString(n.cfg.id) + "}";
}

void World::waEmit(const NumberState& n, const std::string& app_id, const char* field,
                   std::string value_json, std::int64_t ts) {
  if (!subscribed(app_id, field)) return;
  Outgoing o;
  o.app_id = app_id;
  o.page_id = n.cfg.waba_id;
  o.whatsapp = true;
  o.field = field;
  o.timestamp = ts;
  o.event_json = std::move(value_json);
  outbox_.push_back(std::move(o));
}

// §3: `messaging_handovers` has no `value.metadata`; the number is in `recipient`, the user in
// `sender.phone_number`; `control_taken` has no `previous_owner_app_role`.
void World::waHandoverEvent(const NumberState& n, const std::string& app_id,
                            const std::string& user, const char* type, const std::string& previous,
                            const std::string& role_from, const std::string& role_to,
                            const std::string& metadata) {
  const std::int64_t ts = stamp();
  std::string control = "{";
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    if (control.size() > 1) control += ",";
    control += "\"" + std::string(key) + "\":" + escapeJsonString(value);
  };
  add("previous_owner_app_id", previous);
  add("previous_owner_role", role_from);
  add("new_owner_role", role_to);
  add("metadata", metadata);
  control += "}";
  std::string value =
      "{\"messaging_product\":\"whatsapp\",\"sender\":{\"phone_number\":" + escapeJsonString(user) +
      "},\"recipient\":{\"phone_number_id\":" + escapeJsonString(n.cfg.id) +
      ",\"display_phone_number\":" + escapeJsonString(n.cfg.display_phone_number) +
      "},\"type\":\"" + type + "\",\"timestamp\":\"" + seconds(ts) + "\",\"" + type +
      "\":" + control + "}";
  waEmit(n, app_id, "messaging_handovers", std::move(value), ts);
}

// §3 standby: apps with standby visibility get copies under `value.standby`; never the owner.
void World::waCopyToStandby(const NumberState& n, const std::string& except,
                            const std::string& items, std::int64_t ts) {
  for (const auto& app : n.cfg.standby) {
    if (app == except) continue;
    waEmit(n, app, "standby",
           "{\"messaging_product\":\"whatsapp\",\"metadata\":" + waMetadataJson(n) +
               ",\"standby\":{" + items + "}}",
           ts);
  }
}

// §1: "an inbound message in an idle thread goes to the primary of its entry point"; §2: CTWA
// clicks re-route the thread (a message through another entry point goes to that one's primary).
Result<InjectedEvent> World::waUserMessage(const UserMessage& m, const std::string& entry_point) {
  NumberState* n = numberState(m.page_id);
  if (n == nullptr) return unknownObject(m.page_id);
  return waUserMessage(*n, m, entry_point);
}

Result<InjectedEvent> World::waUserMessage(NumberState& n, const UserMessage& m,
                                           const std::string& entry_point_name) {
  if (m.user_id.empty()) return handover::detail::invalidArgument("user_id is required");
  if (m.text.empty()) return handover::detail::invalidArgument("text is required");
  if (auto r = checkUserArgument(m.user_id); !r) return std::move(r).error();
  if (auto r = checkTextArgument("text", m.text); !r) return std::move(r).error();
  const std::string entry_point = entry_point_name.empty() ? "default" : entry_point_name;
  const auto ep = n.cfg.entry_points.find(entry_point);
  if (ep == n.cfg.entry_points.end()) {
    return handover::detail::invalidArgument("number " + n.cfg.id + " has no entry point \"" +
                                             entry_point + "\"");
  }
  WaThread& t = waThread(n, m.user_id);
  const bool reroute = entry_point != t.entry_point && entry_point != "default";
  if (t.owner.empty() || reroute) {
    t.entry_point = entry_point;
    waSetOwner(n, t, ep->second.primary, reroute ? "reroute" : "inbound");
  }
  const std::int64_t ts = stamp();
  t.last_user_ms = ts;
  const std::string wamid = "wamid." + newMid();
  const std::string contacts = "\"contacts\":[{\"profile\":{\"name\":\"User " + m.user_id +
                               "\"},\"wa_id\":" + escapeJsonString(m.user_id) + "}]";
  const std::string message =
      "\"messages\":[{\"from\":" + escapeJsonString(m.user_id) +
      ",\"id\":" + escapeJsonString(wamid) + ",\"timestamp\":\"" + seconds(ts) +
      "\",\"type\":\"text\",\"text\":{\"body\":" + escapeJsonString(m.text) + "}}]";
  waEmit(n, t.owner, "messages",
         "{\"messaging_product\":\"whatsapp\",\"metadata\":" + waMetadataJson(n) + "," + contacts +
             "," + message + "}",
         ts);
  waCopyToStandby(n, t.owner, contacts + "," + message, ts);
  ChatLine line = chatLine(ts, "user", "text", m.text, wamid);
  noteChat(t, std::move(line));
  return InjectedEvent{wamid, fromEpochMillis(ts)};
}

Result<std::string> World::waThreadControl(const Caller& c, const WaControlInput& in) {
  NumberState* n = numberState(c.page_id);
  if (n == nullptr) return unknownObject(c.page_id);
  if (in.user.empty()) return invalidParam("Param to or recipient is required");
  if (in.target_role && in.action != "pass") {
    return invalidParam("control_pass is only allowed with action pass");
  }
  WaThread& t = waThread(*n, in.user);
  const std::string request_id = "emu_request_" + std::to_string(next_request_++);
  if (in.action == "pass") {
    auto r = waPass(*n, t, c, in);
    if (!r) return r;
    return request_id;
  }
  if (in.action == "take") {
    // §2: "only the escalation partner may take, whoever owns the thread"; else (#100) 2494191.
    if (c.app_id != n->cfg.escalation_partner) {
      return graphError(100, wa::kTakeNotPermittedCode,
                        "(#100) Take thread control is not permitted for this app.");
    }
    if (t.owner == c.app_id) return request_id;  // [U] taking one's own thread: no change
    const std::string previous = t.owner;
    const std::string role_from = previous.empty() ? "" : waRoleOf(*n, t, previous);
    waSetOwner(*n, t, c.app_id, "take");
    // §2: "The previous owner gets control_taken".
    if (!previous.empty()) {
      waHandoverEvent(*n, previous, in.user, "control_taken", c.app_id, role_from, "escalation",
                      in.metadata);
    }
    return request_id;
  }
  if (in.action == "release") {
    // §2: "the thread goes idle and no webhook is sent. Releasing an idle thread succeeds;
    // releasing someone else's thread is rejected."
    if (t.owner.empty()) return request_id;
    if (t.owner != c.app_id) return waNotOwner();
    waSetOwner(*n, t, "", "release");
    return request_id;
  }
  return invalidParam("Param action must be one of pass, release, take");
}

// §2 pass: the caller must own the thread; untargeted goes to the escalation partner, targeted
// to the role's holder for the thread's entry point; refused when the target already owns it.
Result<std::string> World::waPass(NumberState& n, WaThread& t, const Caller& c,
                                  const WaControlInput& in) {
  if (t.owner.empty() || t.owner != c.app_id) return waNotOwner();
  std::string target;
  std::string role_to;
  if (in.target_role) {
    const auto& roles = n.cfg.entry_points.at(t.entry_point).roles;
    const auto it = roles.find(*in.target_role);
    if (it == roles.end()) {
      return graphError(100, kPlaceholderNoRoleHolder,
                        "(#100) No responder holds the role " + *in.target_role +
                            " for this conversation's entry point (emulator placeholder code).");
    }
    target = it->second;
    role_to = *in.target_role;
  } else {
    if (n.cfg.escalation_partner.empty()) {
      return graphError(100, kPlaceholderNoRoleHolder,
                        "(#100) This number has no escalation partner to pass to (emulator "
                        "placeholder code).");
    }
    target = n.cfg.escalation_partner;
    role_to = "escalation";
  }
  if (target == t.owner) return invalidParam("The target already controls this thread.");
  const std::string role_from = waRoleOf(n, t, c.app_id);
  waSetOwner(n, t, target, "pass");
  waHandoverEvent(n, target, in.user, "control_passed", c.app_id, role_from, role_to, in.metadata);
  return std::string("ok");
}

// §3a: a Service (non-template) send by the owner goes out; by the escalation partner on a
// thread it does not own it is an implicit take (the previous owner gets control_taken); by any
// other non-owner it is refused (placeholder code, §6 R1). Templates need no ownership.
Result<std::string> World::waSend(const Caller& c, const WaSendInput& in) {
  NumberState* n = numberState(c.page_id);
  if (n == nullptr) return unknownObject(c.page_id);
  if (in.user.empty()) return invalidParam("Param to or recipient is required");
  if (in.type == "text" && in.text.empty()) return invalidParam("Param text.body is required");
  WaThread& t = waThread(*n, in.user);
  if (in.type != "template" && t.owner != c.app_id) {
    if (c.app_id != n->cfg.escalation_partner) {
      return graphError(100, kPlaceholderServiceSendByNonOwner,
                        "(#100) Another responder controls this conversation; a Service message "
                        "needs control (emulator placeholder code).");
    }
    const std::string previous = t.owner;
    const std::string role_from = previous.empty() ? "" : waRoleOf(*n, t, previous);
    waSetOwner(*n, t, c.app_id, "implicit_take");
    if (!previous.empty()) {
      waHandoverEvent(*n, previous, in.user, "control_taken", c.app_id, role_from, "escalation",
                      "");
    }
  }
  const std::int64_t ts = stamp();
  const std::string wamid = "wamid." + newMid();
  const std::string to_key = wa::isPhoneUserId(in.user) ? "to" : "recipient";
  std::string message =
      "{\"" + to_key + "\":" + escapeJsonString(in.user) + ",\"type\":" + escapeJsonString(in.type);
  if (in.type == "text") message += ",\"text\":{\"body\":" + escapeJsonString(in.text) + "}";
  message += "}";
  const std::string echo = "\"message_echoes\":[{\"id\":" + escapeJsonString(wamid) +
                           ",\"timestamp\":\"" + seconds(ts) + "\",\"message\":" + message + "}]";
  waCopyToStandby(*n, c.app_id, echo, ts);
  // The sender learns its message went out (`statuses`, as Cloud API numbers do).
  waEmit(*n, c.app_id, "messages",
         "{\"messaging_product\":\"whatsapp\",\"metadata\":" + waMetadataJson(*n) +
             ",\"statuses\":[{\"id\":" + escapeJsonString(wamid) +
             ",\"status\":\"sent\",\"timestamp\":\"" + seconds(ts) +
             "\",\"recipient_id\":" + escapeJsonString(in.user) + "}]}",
         ts);
  ChatLine line = chatLine(ts, c.app_id, in.type == "text" ? "text" : in.type, in.text, wamid);
  noteChat(t, std::move(line));
  return wamid;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
