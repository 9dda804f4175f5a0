#pragma once
/// @file
/// `Connection`: the interface behind `Client`, one virtual per Graph call. The production one
/// speaks HTTP through an `HttpTransport`; `testing::FakeConnection` lets users script results.

#include <memory>

#include "handover/options.hpp"
#include "handover/requests.hpp"
#include "handover/result.hpp"

namespace handover {

/// One method per call. Implementations are safe to call from many threads at once.
///
/// Each method returns the call's typed answer or an `Error`; `Client` documents the errors a
/// user meets. Implementations must never put a token, app secret or `appsecret_proof` in an
/// error.
class Connection {
 public:
  virtual ~Connection() = default;

  /// `POST pass_thread_control`; see `Client::passThreadControl`.
  virtual Result<void> passThreadControl(const PassThreadControlRequest& request) = 0;
  /// `POST take_thread_control`; see `Client::takeThreadControl`.
  virtual Result<TakeThreadControlResponse> takeThreadControl(
      const TakeThreadControlRequest& request) = 0;
  /// `POST request_thread_control`; success means delivered, not granted.
  virtual Result<RequestDelivered> requestThreadControl(
      const RequestThreadControlRequest& request) = 0;
  /// `POST release_thread_control`; see `Client::releaseThreadControl`.
  virtual Result<void> releaseThreadControl(const ReleaseThreadControlRequest& request) = 0;
  /// `POST extend_thread_control`; an out-of-range duration is kInvalidArgument, never sent.
  virtual Result<void> extendThreadControl(const ExtendThreadControlRequest& request) = 0;
  /// `GET thread_owner`; the owner may be undisclosed (`ThreadOwner::empty()`).
  virtual Result<ThreadOwner> getThreadOwner(const GetThreadOwnerRequest& request) = 0;
  /// `GET secondary_receivers`, one page (legacy Handover Protocol).
  virtual Result<SecondaryReceivers> getSecondaryReceivers(
      const GetSecondaryReceiversRequest& request) = 0;
  /// `GET /{page}?fields=messaging_feature_status`.
  virtual Result<MessagingFeatureStatus> getMessagingFeatureStatus(
      const GetMessagingFeatureStatusRequest& request) = 0;
  /// `POST messages` with a text message; see `Client::sendText`.
  virtual Result<SendResponse> sendText(const SendTextRequest& request) = 0;
  /// `POST messages` with a `sender_action`; `message_id` of the answer is empty.
  virtual Result<SendResponse> sendSenderAction(const SendSenderActionRequest& request) = 0;
  /// `POST personas`; the answer holds the new id and the requested name and picture.
  virtual Result<Persona> createPersona(const CreatePersonaRequest& request) = 0;
  /// `GET /{persona-id}`.
  virtual Result<Persona> getPersona(const GetPersonaRequest& request) = 0;
  /// `GET personas`, one page.
  virtual Result<PersonaPage> listPersonas(const ListPersonasRequest& request) = 0;
  /// `DELETE /{persona-id}`.
  virtual Result<void> deletePersona(const DeletePersonaRequest& request) = 0;

  /// The options this connection was made with (tokens included: do not print).
  virtual const ClientOptions& options() const = 0;
};

/// The Graph API connection: request building, `appsecret_proof`, retries, deadline.
///
/// Never fails itself: missing options (`access_token`, `page_id`...) surface as
/// kInvalidArgument on each call. `options.transport` empty means `CurlTransport::shared()`.
std::shared_ptr<Connection> makeConnection(ClientOptions options);

}  // namespace handover
