#include "handover/webhook/events.hpp"

#include <cstdint>
#include <string>
#include <variant>

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

const char* toString(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::kMessage:
      return "message";
    case EventKind::kEcho:
      return "echo";
    case EventKind::kRead:
      return "read";
    case EventKind::kDelivery:
      return "delivery";
    case EventKind::kPostback:
      return "postback";
    case EventKind::kPassThreadControl:
      return "pass_thread_control";
    case EventKind::kTakeThreadControl:
      return "take_thread_control";
    case EventKind::kRequestThreadControl:
      return "request_thread_control";
    case EventKind::kAppRoles:
      return "app_roles";
    case EventKind::kReaction:
      return "reaction";
    case EventKind::kReferral:
      return "referral";
    case EventKind::kOptin:
      return "optin";
    case EventKind::kMessageEdit:
      return "message_edit";
    case EventKind::kControlPassed:
      return "control_passed";
    case EventKind::kControlTaken:
      return "control_taken";
    case EventKind::kWhatsAppMessage:
      return "whatsapp_message";
    case EventKind::kWhatsAppEcho:
      return "whatsapp_echo";
    case EventKind::kWhatsAppStatus:
      return "whatsapp_status";
    case EventKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* toString(ReactionAction action) noexcept {
  switch (action) {
    case ReactionAction::kReact:
      return "react";
    case ReactionAction::kUnreact:
      return "unreact";
    case ReactionAction::kOther:
      break;
  }
  return "other";
}

namespace {

void append(std::string& key, std::string_view part) {
  key.push_back('|');
  key.append(part);
}

// The fields that tell one event of a kind from another when it has no mid. One overload per
// payload alternative and no generic one: a new alternative fails to compile here until its
// redelivery identity is decided.
struct IdentityFields {
  std::string& key;
  void operator()(const Message&) const {}   // keyed by mid (above); a mid-less one by user+time
  void operator()(const Echo&) const {}      // likewise
  void operator()(const Postback&) const {}  // likewise
  void operator()(const PassThreadControl& p) const {
    append(key, p.previous_owner_app_id.value_or(""));
    append(key, p.new_owner_app_id.value_or(""));
  }
  void operator()(const TakeThreadControl& t) const {
    append(key, t.previous_owner_app_id.value_or(""));
    append(key, t.new_owner_app_id.value_or(""));
  }
  void operator()(const RequestThreadControl& r) const { append(key, r.requested_owner_app_id); }
  void operator()(const Read& rd) const {
    append(key, rd.watermark ? std::to_string(epochMillis(*rd.watermark)) : rd.mid);
  }
  void operator()(const Delivery& d) const {
    append(key, d.watermark ? std::to_string(epochMillis(*d.watermark)) : "");
    for (const auto& id : d.mids) append(key, id);
  }
  void operator()(const AppRoles& a) const {
    for (const auto& app : a.apps) {
      append(key, app.app_id);
      for (const auto& role : app.roles) append(key, role);
    }
  }
  void operator()(const Reaction& re) const {
    // A user may react, unreact and react again to one message: each is its own event.
    append(key, re.mid);
    append(key, toString(re.action));
    append(key, re.reaction);
  }
  void operator()(const Referral& ref) const {
    append(key, ref.source);
    append(key, ref.ref);
    append(key, ref.ad_id);
  }
  void operator()(const Optin& o) const {
    append(key, o.type);
    append(key, o.ref);
    append(key, o.user_ref);
    append(key, o.payload);
  }
  void operator()(const MessageEdit& ed) const {
    append(key, ed.mid);
    append(key, std::to_string(ed.edit_count));
  }
  // WhatsApp handovers: number, user, type and timestamp (above) say it all (whatsapp.md §3).
  void operator()(const ControlPassed&) const {}
  void operator()(const ControlTaken&) const {}
  void operator()(const WhatsAppMessage&) const {}  // keyed by wamid (above)
  void operator()(const WhatsAppEcho&) const {}     // likewise
  void operator()(const WhatsAppStatus& st) const { append(key, st.status); }
  void operator()(const Unknown& u) const {
    // Raw bytes of a redelivery are identical; an FNV-1a digest keeps the key short.
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : u.raw_json) h = (h ^ c) * 1099511628211ULL;
    append(key, std::to_string(h));
  }
};

}  // namespace

std::string dedupKey(const Event& event) {
  // WhatsApp sends a standby partner copies it calls duplicates (whatsapp.md §3): a copy must
  // not take the key of the owner's own delivery of the same message.
  std::string key = event.standby && event.platform == Platform::kWhatsApp ? "standby:" : "";
  key += toString(event.kind());
  append(key, event.page_id);
  std::string_view mid;
  if (const auto* m = event.get<Message>()) mid = m->mid;
  if (const auto* e = event.get<Echo>()) mid = e->mid;
  if (const auto* p = event.get<Postback>()) mid = p->mid;
  if (const auto* wm = event.get<WhatsAppMessage>()) mid = wm->id;
  if (const auto* we = event.get<WhatsAppEcho>()) mid = we->id;
  if (const auto* ws = event.get<WhatsAppStatus>(); ws != nullptr && !ws->id.empty()) {
    append(key, ws->id);
    append(key, ws->status);  // one message is sent, delivered and read: three events
    return key;
  }
  if (!mid.empty()) {
    append(key, mid);
    return key;
  }
  // No mid: the same event redelivered has the same user, timestamp and fields.
  append(key, event.userId());
  append(key, std::to_string(epochMillis(event.timestamp)));
  std::visit(IdentityFields{key}, event.payload);
  return key;
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
