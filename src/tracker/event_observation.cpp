#include "event_observation.hpp"

#include <utility>

HANDOVER_BEGIN_NAMESPACE
namespace tracker::detail {

OwnerInfo ownerOf(Ownership o, std::string app_id, OwnerSource source, Timestamp at) {
  OwnerInfo info;
  info.ownership = o;
  info.app_id = std::move(app_id);
  info.source = source;
  info.learned_at = at;
  return info;
}

std::optional<EventObservation> observationOf(const webhook::Event& e,
                                              const std::string& self_app_id, Timestamp now) {
  using webhook::EventKind;
  const std::string& user = e.userId();
  if (e.page_id.empty() || user.empty()) return std::nullopt;  // app_roles: no conversation
  const ConversationKey key{e.page_id, user};
  const Timestamp ts =
      e.timestamp != Timestamp{} ? e.timestamp : (e.entry_time != Timestamp{} ? e.entry_time : now);
  const std::string& me = self_app_id;
  Observation obs;
  obs.platform = e.platform;
  bool moves_timer = true;
  const webhook::RequestThreadControl* request = nullptr;
  switch (e.kind()) {
    case EventKind::kMessage:
    case EventKind::kPostback:
    // The user acting in the thread in other ways: following a link or ad into it, reacting to
    // a reply, editing a message. Each is as much "the user is here" as a message.
    case EventKind::kReferral:
    case EventKind::kReaction:
    case EventKind::kMessageEdit:
    case EventKind::kWhatsAppMessage:
      obs.user_message = ts;
      // On standby another app owns the thread: worth knowing without a Graph call.
      moves_timer = e.standby;
      if (e.standby) {
        obs.standby_at = ts;
        obs.self_app_id = me;
      }
      break;
    case EventKind::kEcho: {
      const auto& echo = *e.get<webhook::Echo>();
      if (echo.isFromApp(me)) {
        obs.own_message = ts;
      } else {
        obs.other_message = ts;
        obs.other_app_id = echo.app_id.value_or("");
        // Only the owner sends (and the inbox takes control when a human replies there), so a
        // named sender is the owner as of this echo.
        if (echo.app_id)
          obs.owner = ownerOf(Ownership::kApp, *echo.app_id, OwnerSource::kWebhook, ts);
      }
      break;
    }
    case EventKind::kPassThreadControl: {
      const auto& p = *e.get<webhook::PassThreadControl>();
      // Old API versions omit the new owner; then only the new owner (us) got the event.
      obs.owner =
          ownerOf(Ownership::kApp, p.new_owner_app_id.value_or(me), OwnerSource::kWebhook, ts);
      obs.clear_requests = true;
      break;
    }
    case EventKind::kTakeThreadControl: {
      const auto& t = *e.get<webhook::TakeThreadControl>();
      // Sent to the app that lost control: the owner is someone else, named or not.
      obs.owner =
          ownerOf(Ownership::kApp, t.new_owner_app_id.value_or(""), OwnerSource::kWebhook, ts);
      obs.clear_requests = true;
      break;
    }
    // WhatsApp names roles, not apps: `control_passed` reaches the new owner (this app) and
    // `control_taken` the previous one, so the owner is this app or another (whatsapp.md §2).
    case EventKind::kControlPassed:
      obs.owner = ownerOf(Ownership::kApp, me, OwnerSource::kWebhook, ts);
      obs.clear_requests = true;
      break;
    case EventKind::kControlTaken:
      obs.owner = ownerOf(Ownership::kApp, "", OwnerSource::kWebhook, ts);
      obs.clear_requests = true;
      break;
    // Another responder sent on the number; an echo carries no sender app, so it proves no
    // owner on its own (whatsapp.md §3).
    case EventKind::kWhatsAppEcho:
      obs.other_message = ts;
      break;
    case EventKind::kRequestThreadControl: {
      request = e.get<webhook::RequestThreadControl>();
      obs.request = PendingRequest{request->requested_owner_app_id, request->metadata, ts};
      moves_timer = false;
      break;
    }
    // No activity in the thread: reads and deliveries are receipts, app_roles and opt-ins are
    // about the Page, and an unknown kind proves nothing. Listed, not defaulted: a new kind
    // must be placed here or above, and -Wswitch names this switch until it is.
    case EventKind::kRead:
    case EventKind::kDelivery:
    case EventKind::kAppRoles:
    case EventKind::kOptin:
    case EventKind::kWhatsAppStatus:
    case EventKind::kUnknown:
      return std::nullopt;
  }
  EventObservation out;
  out.key = key;
  out.observation = std::move(obs);
  out.moves_timer = moves_timer;
  if (request != nullptr) out.request = *request;
  return out;
}

}  // namespace tracker::detail
HANDOVER_END_NAMESPACE
