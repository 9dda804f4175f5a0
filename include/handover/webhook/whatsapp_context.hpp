#pragma once
/// @file
/// `WhatsAppContext`: one WhatsApp conversation (business number, user) and the Conversation
/// Routing calls on it, with the context-style names of the Messenger `Context`.
///
/// A WhatsApp pass targets a *role*, a Messenger pass an *app id*: the two contexts are distinct
/// types, and a role is a `wa::RoleName`, never a string, so `ctx.passThreadControl("marketing")`
/// does not compile (write `ctx.passThreadControl(wa::Role::kMarketing)`).

#include <optional>
#include <string>
#include <utility>

#include "handover/client/client.hpp"
#include "handover/core/export.hpp"
#include "handover/webhook/call_observer.hpp"
#include "handover/webhook/context.hpp"
#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// Handed to the WhatsApp handlers of a `Router` (`onWhatsAppMessage`, `onControlPassed`...).
///
/// Every call addresses `userId()` on the number `phoneNumberId()`: a phone number or `wa_id`
/// goes in `to`, a business-scoped user id in `recipient` (`wa::User::fromId`); any other id is
/// kInvalidArgument before sending. Errors are the `Client` call's. A context lives for one
/// handler call and references the event: do not keep it.
class HANDOVER_EXPORT WhatsAppContext {
 public:
  /// A context acting through `client` on the conversation of `event`, which must outlive it.
  /// `observer`, when set, learns each thread-control call that succeeded.
  WhatsAppContext(Client client, const Event& event, CallObserver* observer = nullptr)
      : client_(std::move(client)), event_(event), observer_(observer) {}
  /// The WhatsApp view of a `Context` (same client, event and observer).
  explicit WhatsAppContext(Context& ctx)
      : WhatsAppContext(ctx.client(), ctx.event(), ctx.observer()) {}

  /// The event being handled.
  const Event& event() const noexcept { return event_; }
  /// The business number the event came for (`phone_number_id`).
  const std::string& phoneNumberId() const noexcept { return event_.page_id; }
  /// The user: a phone number / `wa_id`, or a business-scoped user id.
  const std::string& userId() const noexcept { return event_.userId(); }
  /// The event came under `value.standby`: another responder owns the thread. A standby
  /// partner must not reply (whatsapp.md §3).
  bool isStandby() const noexcept { return event_.standby; }
  /// The client the calls go through.
  Client& client() noexcept { return client_; }

  /// The user as a call addresses it; nullopt when `userId()` is neither a phone number nor a
  /// business-scoped user id.
  std::optional<wa::User> user() const { return wa::User::fromId(userId()); }

  /// Pass the thread to the responder holding `role` for the thread's entry point. This app
  /// must own the thread.
  Result<wa::ThreadControlResponse> passThreadControl(wa::RoleName role,
                                                      std::string metadata = {}) {
    return pass(std::optional<wa::RoleName>(std::move(role)), std::move(metadata));
  }
  /// Pass without a target: the escalation partner gets the thread.
  Result<wa::ThreadControlResponse> passThreadControlToEscalationPartner(
      std::string metadata = {}) {
    return pass(std::nullopt, std::move(metadata));
  }
  /// Take the thread (only the escalation partner may: `Error::isTakeNotPermitted()`).
  Result<wa::ThreadControlResponse> takeThreadControl(std::string metadata = {}) {
    auto u = addressed();
    if (!u) return std::move(u).error();
    auto r = client_.waTakeThreadControl({phoneNumberId(), std::move(*u), std::move(metadata)});
    if (r) tell([&](CallObserver& o) { o.whatsappTaken(target()); });
    return r;
  }
  /// Release the thread: it becomes idle and Meta sends no webhook.
  Result<wa::ThreadControlResponse> releaseThreadControl(std::string metadata = {}) {
    auto u = addressed();
    if (!u) return std::move(u).error();
    auto r = client_.waReleaseThreadControl({phoneNumberId(), std::move(*u), std::move(metadata)});
    if (r) tell([&](CallObserver& o) { o.whatsappReleased(target()); });
    return r;
  }
  /// Reply with `text` (a Service message). Meta refuses it from a responder that does not own
  /// the thread, except the escalation partner, for whom it is an implicit take. With a tracker
  /// as observer (the `Endpoint` passes its own) a thread it knows another responder owns is
  /// refused here, before any request: `Error::isThreadOwnedElsewhere()`.
  Result<wa::SendResponse> sendText(std::string text) {
    auto u = addressed();
    if (!u) return std::move(u).error();
    if (observer_ != nullptr) {
      if (auto refused = observer_->beforeServiceSend(target())) return *refused;
    }
    return client_.waSendText({phoneNumberId(), std::move(*u), std::move(text)});
  }

 private:
  Result<wa::ThreadControlResponse> pass(std::optional<wa::RoleName> role, std::string metadata) {
    auto u = addressed();
    if (!u) return std::move(u).error();
    const std::optional<wa::RoleName> told = role;
    auto r = client_.waPassThreadControl(
        {phoneNumberId(), std::move(*u), std::move(role), std::move(metadata)});
    if (r) tell([&](CallObserver& o) { o.whatsappPassed(target(), told); });
    return r;
  }
  Result<wa::User> addressed() const {
    if (auto u = user()) return std::move(*u);
    return handover::detail::invalidArgument(
        "the event's user is neither a phone number nor a business-scoped user id");
  }
  CallTarget target() const { return CallTarget{phoneNumberId(), userId(), Platform::kWhatsApp}; }
  template <typename F>
  void tell(F&& notify) const noexcept {
    tellObserver(observer_, std::forward<F>(notify));
  }

  Client client_;
  const Event& event_;
  CallObserver* observer_ = nullptr;
};

}  // namespace webhook
HANDOVER_END_NAMESPACE
