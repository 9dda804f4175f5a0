#pragma once
/// @file
/// `Context`: one conversation (page, user, platform) and the thread-control calls on it.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include "handover/core/export.hpp"

#include "handover/client/client.hpp"
#include "handover/webhook/call_observer.hpp"
#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// Handed to every handler: the event's conversation and a `Client` to act on it.
///
/// The client is used as configured: its `page_id` option (often "me" with a Page token) names
/// the Page the calls address, not the event's `page_id`. Instagram entries carry the IG account
/// id, while calls go through the linked Page, so rewriting would be wrong there. Apps serving
/// several Pages give `Router::dispatch` a `ClientResolver` that returns the right client per
/// entry.
///
/// Every call addresses `userId()` and returns the `Client` call's result and errors. A
/// `Context` lives for one handler call and references the event: do not keep it. On a
/// WhatsApp event the calls here (Messenger's) answer kInvalidArgument without sending: use
/// `WhatsAppContext` (handover/webhook/whatsapp_context.hpp), which the WhatsApp registrations
/// of `Router` hand to their handlers.
class HANDOVER_EXPORT Context {
 public:
  /// A context acting through `client` on the conversation of `event`, which must outlive it.
  /// `observer`, when set, learns each thread-control call that succeeded (the endpoint
  /// passes its tracker, so a pass made here moves the tracker as one made through it does).
  Context(Client client, const Event& event, CallObserver* observer = nullptr)
      : client_(std::move(client)), event_(event), observer_(observer) {}

  /// The event being handled.
  const Event& event() const noexcept { return event_; }
  /// `entry.id`: the Page or IG account the event came for.
  const std::string& pageId() const noexcept { return event_.page_id; }
  /// The user (PSID, IGSID or user_ref); the recipient for echoes. Empty for `app_roles`.
  const std::string& userId() const noexcept { return event_.userId(); }
  /// Messenger or Instagram, from the webhook's `object`.
  Platform platform() const noexcept { return event_.platform; }
  /// The event came under `standby[]`: this app does not own the thread.
  bool isStandby() const noexcept { return event_.standby; }
  /// The client the calls go through, for calls this class does not wrap.
  Client& client() noexcept { return client_; }
  /// The observer the calls are told to (may be null).
  CallObserver* observer() const noexcept { return observer_; }
  /// This app's id, from the client's `ClientOptions::app_id` (may be empty).
  const std::string& appId() const { return client_.options().app_id; }

  /// An echo of a message this app sent (echo `app_id` == the configured app id). False for
  /// echoes of humans (Page Inbox), other apps, and for non-echo events.
  bool isOwnEcho() const {
    const Echo* e = event_.get<Echo>();
    return e != nullptr && e->isFromApp(appId());
  }

  /// Pass the thread to `app_id` (empty: the default app under Conversation Routing).
  Result<void> passThreadControl(std::string app_id, std::string metadata = {}) {
    if (auto e = messengerOnly()) return *e;
    auto r = client_.passThreadControl(userId(), app_id, std::move(metadata));
    if (r) tell([&](CallObserver& o) { o.passed(target(), app_id); });
    return r;
  }
  /// Pass to the human inbox of this conversation's platform: the Page Inbox for Messenger,
  /// the Instagram Inbox for Instagram (`inboxAppId(platform())`). What a handler serving both
  /// platforms wants.
  Result<void> passThreadControlToInbox(std::string metadata = {}) {
    return passThreadControl(std::string(inboxAppId(platform())), std::move(metadata));
  }
  /// Pass to the Page Inbox (263902037430900), whatever the platform, as
  /// `Client::passThreadControlToPageInbox` does.
  Result<void> passThreadControlToPageInbox(std::string metadata = {}) {
    return passThreadControl(std::string(kPageInboxAppId), std::move(metadata));
  }
  /// Pass to the Instagram Inbox (1217981644879628), whatever the platform.
  Result<void> passThreadControlToInstagramInbox(std::string metadata = {}) {
    return passThreadControl(std::string(kInstagramInboxAppId), std::move(metadata));
  }
  /// Take the thread (#27 under Conversation Routing without a default app).
  Result<TakeThreadControlResponse> takeThreadControl(std::string metadata = {}) {
    if (auto e = messengerOnly()) return *e;
    auto r = client_.takeThreadControl(userId(), std::move(metadata));
    if (r) tell([&](CallObserver& o) { o.taken(target(), *r); });
    return r;
  }
  /// Success means "request delivered", not "control gained".
  Result<RequestDelivered> requestThreadControl(std::string metadata = {}) {
    if (auto e = messengerOnly()) return *e;
    return client_.requestThreadControl(userId(), std::move(metadata));
  }
  /// Give the thread up (it becomes idle); fails when this app is not the owner.
  Result<void> releaseThreadControl() {
    if (auto e = messengerOnly()) return *e;
    auto r = client_.releaseThreadControl(userId());
    if (r) tell([&](CallObserver& o) { o.released(target()); });
    return r;
  }
  /// Keep control `duration` longer (1 s .. 7 days); fails when this app is not the owner.
  Result<void> extendThreadControl(std::chrono::seconds duration) {
    if (auto e = messengerOnly()) return *e;
    auto r = client_.extendThreadControl(userId(), duration);
    if (r) tell([&](CallObserver& o) { o.extended(target(), duration); });
    return r;
  }
  /// The thread's owner as `thread_owner` discloses it (may be empty).
  Result<ThreadOwner> getThreadOwner() {
    if (auto e = messengerOnly()) return *e;
    return client_.getThreadOwner(userId());
  }
  /// `Client::threadOwnership` for this conversation's user.
  Result<ThreadOwnership> threadOwnership() {
    if (auto e = messengerOnly()) return *e;
    return client_.threadOwnership(userId());
  }
  /// Reply with `text` (messaging type RESPONSE); 10/2018300 when another app owns the thread.
  Result<SendResponse> sendText(std::string text) {
    if (auto e = messengerOnly()) return *e;
    return client_.sendText(userId(), std::move(text));
  }

 private:
  CallTarget target() const { return CallTarget{pageId(), userId(), platform()}; }
  std::optional<Error> messengerOnly() const {
    if (platform() != Platform::kWhatsApp) return std::nullopt;
    return handover::detail::invalidArgument(
        "a WhatsApp conversation: Messenger calls do not apply; use webhook::WhatsAppContext");
  }
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
