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
class Connection {
 public:
  virtual ~Connection() = default;

  virtual Result<void> passThreadControl(const PassThreadControlRequest& request) = 0;
  virtual Result<TakeThreadControlResponse> takeThreadControl(
      const TakeThreadControlRequest& request) = 0;
  virtual Result<RequestDelivered> requestThreadControl(
      const RequestThreadControlRequest& request) = 0;
  virtual Result<void> releaseThreadControl(const ReleaseThreadControlRequest& request) = 0;
  virtual Result<void> extendThreadControl(const ExtendThreadControlRequest& request) = 0;
  virtual Result<ThreadOwner> getThreadOwner(const GetThreadOwnerRequest& request) = 0;
  virtual Result<SecondaryReceivers> getSecondaryReceivers(
      const GetSecondaryReceiversRequest& request) = 0;
  virtual Result<MessagingFeatureStatus> getMessagingFeatureStatus(
      const GetMessagingFeatureStatusRequest& request) = 0;
  virtual Result<SendResponse> sendText(const SendTextRequest& request) = 0;
  virtual Result<SendResponse> sendSenderAction(const SendSenderActionRequest& request) = 0;
  virtual Result<Persona> createPersona(const CreatePersonaRequest& request) = 0;
  virtual Result<Persona> getPersona(const GetPersonaRequest& request) = 0;
  virtual Result<PersonaPage> listPersonas(const ListPersonasRequest& request) = 0;
  virtual Result<void> deletePersona(const DeletePersonaRequest& request) = 0;

  /// The options this connection was made with (tokens included: do not print).
  virtual const ClientOptions& options() const = 0;
};

/// The Graph API connection: request building, `appsecret_proof`, retries, deadline.
std::shared_ptr<Connection> makeConnection(ClientOptions options);

}  // namespace handover
