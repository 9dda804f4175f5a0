#pragma once
/// @file
/// `Client`: the typed thread-control client. A cheap-to-copy value over a shared `Connection`.
///
/// @code
///   handover::ClientOptions opts;
///   opts.access_token = std::getenv("PAGE_TOKEN");
///   handover::Client client(opts);
///   auto r = client.passThreadControlToPageInbox("6543210987654321", "escalate:billing");
///   if (!r) std::cerr << r.error().toString() << "\n";
/// @endcode
///
/// Thread-safety: a `Client` and its copies may be used from any number of threads at once.

#include <memory>
#include <string>
#include <utility>

#include "handover/connection.hpp"

namespace handover {

class Client {
 public:
  /// A client over the Graph API connection made from `options`.
  explicit Client(ClientOptions options) : connection_(makeConnection(std::move(options))) {}
  /// A client over any connection (a fake in tests, a decorator...).
  explicit Client(std::shared_ptr<Connection> connection) : connection_(std::move(connection)) {}

  // --- thread control, one request struct per call ---------------------------------------

  Result<void> passThreadControl(const PassThreadControlRequest& r) {
    return connection_->passThreadControl(r);
  }
  Result<TakeThreadControlResponse> takeThreadControl(const TakeThreadControlRequest& r) {
    return connection_->takeThreadControl(r);
  }
  /// Success means "request delivered", not "control gained" (see `RequestDelivered`).
  Result<RequestDelivered> requestThreadControl(const RequestThreadControlRequest& r) {
    return connection_->requestThreadControl(r);
  }
  Result<void> releaseThreadControl(const ReleaseThreadControlRequest& r) {
    return connection_->releaseThreadControl(r);
  }
  Result<void> extendThreadControl(const ExtendThreadControlRequest& r) {
    return connection_->extendThreadControl(r);
  }
  Result<ThreadOwner> getThreadOwner(const GetThreadOwnerRequest& r) {
    return connection_->getThreadOwner(r);
  }
  Result<SecondaryReceivers> getSecondaryReceivers(const GetSecondaryReceiversRequest& r = {}) {
    return connection_->getSecondaryReceivers(r);
  }
  Result<MessagingFeatureStatus> getMessagingFeatureStatus(
      const GetMessagingFeatureStatusRequest& r = {}) {
    return connection_->getMessagingFeatureStatus(r);
  }

  // --- convenience overloads ---------------------------------------------------------------

  /// Pass to `target_app_id` (empty: the default app under Conversation Routing).
  Result<void> passThreadControl(std::string recipient, std::string target_app_id,
                                 std::string metadata = {}) {
    return passThreadControl(PassThreadControlRequest{std::move(recipient),
                                                      std::move(target_app_id),
                                                      std::move(metadata)});
  }
  /// Pass to the Page Inbox (263902037430900) so a human answers on Messenger.
  Result<void> passThreadControlToPageInbox(std::string recipient, std::string metadata = {}) {
    return passThreadControl(std::move(recipient), std::string(kPageInboxAppId),
                             std::move(metadata));
  }
  /// Pass to the Instagram Inbox (1217981644879628) so a human answers on Instagram.
  Result<void> passThreadControlToInstagramInbox(std::string recipient,
                                                 std::string metadata = {}) {
    return passThreadControl(std::move(recipient), std::string(kInstagramInboxAppId),
                             std::move(metadata));
  }
  Result<TakeThreadControlResponse> takeThreadControl(std::string recipient,
                                                      std::string metadata = {}) {
    return takeThreadControl(TakeThreadControlRequest{std::move(recipient), std::move(metadata)});
  }
  Result<RequestDelivered> requestThreadControl(std::string recipient,
                                                std::string metadata = {}) {
    return requestThreadControl(
        RequestThreadControlRequest{std::move(recipient), std::move(metadata)});
  }
  Result<void> releaseThreadControl(std::string recipient) {
    return releaseThreadControl(ReleaseThreadControlRequest{std::move(recipient)});
  }
  Result<void> extendThreadControl(std::string recipient, std::chrono::seconds duration) {
    return extendThreadControl(ExtendThreadControlRequest{std::move(recipient), duration});
  }
  Result<ThreadOwner> getThreadOwner(std::string recipient) {
    return getThreadOwner(GetThreadOwnerRequest{std::move(recipient)});
  }
  /// True when the thread owner is disclosed and is this client's `app_id` option.
  /// An invalid-argument error when no `app_id` is configured.
  Result<bool> isThreadOwner(std::string recipient) {
    const std::string& me = connection_->options().app_id;
    if (me.empty()) return invalidArgument("isThreadOwner needs ClientOptions::app_id");
    auto owner = getThreadOwner(std::move(recipient));
    if (!owner) return std::move(owner).error();
    return owner->isOwnedBy(me);
  }

  // --- Send API and personas ---------------------------------------------------------------

  Result<SendResponse> sendText(const SendTextRequest& r) { return connection_->sendText(r); }
  Result<SendResponse> sendText(std::string recipient, std::string text) {
    SendTextRequest r;
    r.recipient = std::move(recipient);
    r.text = std::move(text);
    return sendText(r);
  }
  Result<SendResponse> sendSenderAction(const SendSenderActionRequest& r) {
    return connection_->sendSenderAction(r);
  }
  Result<Persona> createPersona(const CreatePersonaRequest& r) {
    return connection_->createPersona(r);
  }
  Result<Persona> getPersona(const GetPersonaRequest& r) { return connection_->getPersona(r); }
  Result<PersonaPage> listPersonas(const ListPersonasRequest& r = {}) {
    return connection_->listPersonas(r);
  }
  Result<void> deletePersona(const DeletePersonaRequest& r) {
    return connection_->deletePersona(r);
  }

  const ClientOptions& options() const { return connection_->options(); }
  const std::shared_ptr<Connection>& connection() const noexcept { return connection_; }

 private:
  std::shared_ptr<Connection> connection_;
};

}  // namespace handover
