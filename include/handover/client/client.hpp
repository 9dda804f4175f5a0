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
#include "handover/core/export.hpp"

#include "handover/client/connection.hpp"

HANDOVER_BEGIN_NAMESPACE

/// Blocking Graph API client: thread control, the Send API and personas.
///
/// Each call returns when it succeeds, fails, or `ClientOptions::deadline` expires. Retries
/// follow `ClientOptions::retry`: GETs on any retryable error, POSTs only when the request was
/// never sent (unless `RetryOptions::retry_non_idempotent`).
///
/// Errors every call may return:
/// - kInvalidArgument: empty `recipient`/id, a missing `ClientOptions` field; nothing was sent.
/// - kTransport / kTimeout: no response (kTimeout also when the deadline expired).
/// - kHttp: a non-2xx status without a Graph error body (proxy page, 502...).
/// - kApi: a Graph error; branch with `Error::isRateLimited()`, `isInvalidToken()` (190),
///   `isPermissionDenied()`... Also a 2xx `{"success":false}`.
/// - kParse: a 2xx body of an unexpected shape.
///
/// Thread-safety: a `Client` and its copies may be used from any number of threads at once.
/// Copies are cheap and share one `Connection`.
class HANDOVER_EXPORT Client {
 public:
  /// A client over the Graph API connection made from `options`.
  explicit Client(ClientOptions options) : connection_(makeConnection(std::move(options))) {}
  /// A client over any connection (a fake in tests, a decorator...).
  explicit Client(std::shared_ptr<Connection> connection) : connection_(std::move(connection)) {}

  // --- one method per Graph call, taking its request struct --------------------------------

  /// @name Graph calls (one per line of HANDOVER_GRAPH_CALLS)
  /// @{
#define HANDOVER_DETAIL_METHOD(name_, snake_, Request_, Answer_) \
  Result<Answer_> name_(const Request_& r) {                     \
    return connection_->name_(r);                                \
  }
  /// One method per line of `HANDOVER_GRAPH_CALLS` (handover/client/graph_calls.hpp), e.g.
  /// `Result<void> passThreadControl(const PassThreadControlRequest&)`. Each request struct's
  /// documentation (handover/client/requests.hpp) says what the call does and the errors it adds to
  /// the ones above.
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_METHOD)
#undef HANDOVER_DETAIL_METHOD
  /// @}

  // --- convenience overloads ---------------------------------------------------------------

  /// Pass to `target_app_id` (empty: the default app under Conversation Routing).
  Result<void> passThreadControl(std::string recipient, std::string target_app_id,
                                 std::string metadata = {}) {
    return passThreadControl(PassThreadControlRequest{
        std::move(recipient), std::move(target_app_id), std::move(metadata)});
  }
  /// Pass to the Page Inbox (263902037430900) so a human answers on Messenger.
  Result<void> passThreadControlToPageInbox(std::string recipient, std::string metadata = {}) {
    return passThreadControl(std::move(recipient), std::string(kPageInboxAppId),
                             std::move(metadata));
  }
  /// Pass to the Instagram Inbox (1217981644879628) so a human answers on Instagram.
  Result<void> passThreadControlToInstagramInbox(std::string recipient, std::string metadata = {}) {
    return passThreadControl(std::move(recipient), std::string(kInstagramInboxAppId),
                             std::move(metadata));
  }
  /// `takeThreadControl` for `recipient` (PSID or IGSID), with optional `metadata`.
  Result<TakeThreadControlResponse> takeThreadControl(std::string recipient,
                                                      std::string metadata = {}) {
    return takeThreadControl(TakeThreadControlRequest{std::move(recipient), std::move(metadata)});
  }
  /// `requestThreadControl` for `recipient`: success means delivered, not granted.
  Result<RequestDelivered> requestThreadControl(std::string recipient, std::string metadata = {}) {
    return requestThreadControl(
        RequestThreadControlRequest{std::move(recipient), std::move(metadata)});
  }
  /// `releaseThreadControl` for `recipient`.
  Result<void> releaseThreadControl(std::string recipient) {
    return releaseThreadControl(ReleaseThreadControlRequest{std::move(recipient)});
  }
  /// `extendThreadControl` for `recipient` by `duration` (1 s .. 7 days).
  Result<void> extendThreadControl(std::string recipient, std::chrono::seconds duration) {
    return extendThreadControl(ExtendThreadControlRequest{std::move(recipient), duration});
  }
  /// `getThreadOwner` for `recipient`.
  Result<ThreadOwner> getThreadOwner(std::string recipient) {
    return getThreadOwner(GetThreadOwnerRequest{std::move(recipient)});
  }
  /// Whether this client's `app_id` option owns the thread, another app does, or Graph does not
  /// say. kInvalidArgument when no `app_id` is configured. Test the value, not the result:
  /// `if (r && *r == ThreadOwnership::kThisApp)`.
  Result<ThreadOwnership> threadOwnership(std::string recipient) {
    const std::string& me = connection_->options().app_id;
    if (me.empty())
      return handover::detail::invalidArgument("threadOwnership needs ClientOptions::app_id");
    auto owner = getThreadOwner(std::move(recipient));
    if (!owner) return std::move(owner).error();
    if (!owner->app_id) return ThreadOwnership::kUndisclosed;
    return owner->isOwnedBy(me) ? ThreadOwnership::kThisApp : ThreadOwnership::kAnotherApp;
  }

  // --- Send API and personas ---------------------------------------------------------------

  /// Sends `text` to `recipient` as a `RESPONSE` message.
  Result<SendResponse> sendText(std::string recipient, std::string text) {
    SendTextRequest r;
    r.recipient = std::move(recipient);
    r.text = std::move(text);
    return sendText(r);
  }
  /// The first page of the Page's personas; pass `next_cursor` as `after` for the next.
  Result<PersonaPage> listPersonas() {
    return listPersonas(ListPersonasRequest{});
  }
  /// The first page of the Page's Secondary Receivers, with `id` and `name`.
  Result<SecondaryReceivers> getSecondaryReceivers() {
    return getSecondaryReceivers(GetSecondaryReceiversRequest{});
  }
  /// Which thread-control model the Page runs.
  Result<MessagingFeatureStatus> getMessagingFeatureStatus() {
    return getMessagingFeatureStatus(GetMessagingFeatureStatusRequest{});
  }

  /// The connection's options (tokens included: do not print).
  const ClientOptions& options() const {
    return connection_->options();
  }
  /// The connection this client and its copies share.
  const std::shared_ptr<Connection>& connection() const noexcept {
    return connection_;
  }

 private:
  std::shared_ptr<Connection> connection_;
};

HANDOVER_END_NAMESPACE
