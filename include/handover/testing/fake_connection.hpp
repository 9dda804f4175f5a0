#pragma once
/// @file
/// `FakeConnection`: a `Connection` whose every call runs a callable the test sets, so code
/// using `Client` can be tested without HTTP at all. No test framework needed.
///
/// @code
///   auto fake = std::make_shared<handover::testing::FakeConnection>();
///   fake->on_get_thread_owner = [](const handover::GetThreadOwnerRequest&) {
///     return handover::Result<handover::ThreadOwner>(handover::ThreadOwner{"42", {}});
///   };
///   handover::Client client(fake);
///   assert(client.getThreadOwner("123")->isOwnedBy("42"));
///   assert(fake->callCount("getThreadOwner") == 1);
/// @endcode

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "handover/connection.hpp"

namespace handover::testing {

/// Each call runs its `on_*` callable; an unset one answers with a kTransport error naming the
/// call. Every call's name is recorded in order.
///
/// Thread-safety: set the callables before sharing the fake; calls may then come from any
/// number of threads (the callables themselves must tolerate that).
class FakeConnection : public Connection {
 public:
  /// The callable behind one call: receives the request as the client built it.
  template <typename Request, typename Response>
  using Handler = std::function<Result<Response>(const Request&)>;

  /// Runs on every `passThreadControl` call.
  Handler<PassThreadControlRequest, void> on_pass_thread_control;
  /// Runs on every `takeThreadControl` call.
  Handler<TakeThreadControlRequest, TakeThreadControlResponse> on_take_thread_control;
  /// Runs on every `requestThreadControl` call.
  Handler<RequestThreadControlRequest, RequestDelivered> on_request_thread_control;
  /// Runs on every `releaseThreadControl` call.
  Handler<ReleaseThreadControlRequest, void> on_release_thread_control;
  /// Runs on every `extendThreadControl` call.
  Handler<ExtendThreadControlRequest, void> on_extend_thread_control;
  /// Runs on every `getThreadOwner` call.
  Handler<GetThreadOwnerRequest, ThreadOwner> on_get_thread_owner;
  /// Runs on every `getSecondaryReceivers` call.
  Handler<GetSecondaryReceiversRequest, SecondaryReceivers> on_get_secondary_receivers;
  /// Runs on every `getMessagingFeatureStatus` call.
  Handler<GetMessagingFeatureStatusRequest, MessagingFeatureStatus> on_get_messaging_feature_status;
  /// Runs on every `sendText` call.
  Handler<SendTextRequest, SendResponse> on_send_text;
  /// Runs on every `sendSenderAction` call.
  Handler<SendSenderActionRequest, SendResponse> on_send_sender_action;
  /// Runs on every `createPersona` call.
  Handler<CreatePersonaRequest, Persona> on_create_persona;
  /// Runs on every `getPersona` call.
  Handler<GetPersonaRequest, Persona> on_get_persona;
  /// Runs on every `listPersonas` call.
  Handler<ListPersonasRequest, PersonaPage> on_list_personas;
  /// Runs on every `deletePersona` call.
  Handler<DeletePersonaRequest, void> on_delete_persona;

  /// What `options()` returns (set `app_id` for `Client::isThreadOwner`).
  ClientOptions fake_options;

  /// A fake with default options (empty `app_id`) and no handlers set.
  FakeConnection() = default;
  /// A fake whose `options()` returns `options`; no handlers set.
  explicit FakeConnection(ClientOptions options) : fake_options(std::move(options)) {}

  /// Records "passThreadControl", then runs `on_pass_thread_control`.
  Result<void> passThreadControl(const PassThreadControlRequest& r) override {
    return run("passThreadControl", on_pass_thread_control, r);
  }
  /// Records "takeThreadControl", then runs `on_take_thread_control`.
  Result<TakeThreadControlResponse> takeThreadControl(const TakeThreadControlRequest& r) override {
    return run("takeThreadControl", on_take_thread_control, r);
  }
  /// Records "requestThreadControl", then runs `on_request_thread_control`.
  Result<RequestDelivered> requestThreadControl(const RequestThreadControlRequest& r) override {
    return run("requestThreadControl", on_request_thread_control, r);
  }
  /// Records "releaseThreadControl", then runs `on_release_thread_control`.
  Result<void> releaseThreadControl(const ReleaseThreadControlRequest& r) override {
    return run("releaseThreadControl", on_release_thread_control, r);
  }
  /// Records "extendThreadControl", then runs `on_extend_thread_control`.
  Result<void> extendThreadControl(const ExtendThreadControlRequest& r) override {
    return run("extendThreadControl", on_extend_thread_control, r);
  }
  /// Records "getThreadOwner", then runs `on_get_thread_owner`.
  Result<ThreadOwner> getThreadOwner(const GetThreadOwnerRequest& r) override {
    return run("getThreadOwner", on_get_thread_owner, r);
  }
  /// Records "getSecondaryReceivers", then runs `on_get_secondary_receivers`.
  Result<SecondaryReceivers> getSecondaryReceivers(const GetSecondaryReceiversRequest& r) override {
    return run("getSecondaryReceivers", on_get_secondary_receivers, r);
  }
  /// Records "getMessagingFeatureStatus", then runs `on_get_messaging_feature_status`.
  Result<MessagingFeatureStatus> getMessagingFeatureStatus(
      const GetMessagingFeatureStatusRequest& r) override {
    return run("getMessagingFeatureStatus", on_get_messaging_feature_status, r);
  }
  /// Records "sendText", then runs `on_send_text`.
  Result<SendResponse> sendText(const SendTextRequest& r) override {
    return run("sendText", on_send_text, r);
  }
  /// Records "sendSenderAction", then runs `on_send_sender_action`.
  Result<SendResponse> sendSenderAction(const SendSenderActionRequest& r) override {
    return run("sendSenderAction", on_send_sender_action, r);
  }
  /// Records "createPersona", then runs `on_create_persona`.
  Result<Persona> createPersona(const CreatePersonaRequest& r) override {
    return run("createPersona", on_create_persona, r);
  }
  /// Records "getPersona", then runs `on_get_persona`.
  Result<Persona> getPersona(const GetPersonaRequest& r) override {
    return run("getPersona", on_get_persona, r);
  }
  /// Records "listPersonas", then runs `on_list_personas`.
  Result<PersonaPage> listPersonas(const ListPersonasRequest& r) override {
    return run("listPersonas", on_list_personas, r);
  }
  /// Records "deletePersona", then runs `on_delete_persona`.
  Result<void> deletePersona(const DeletePersonaRequest& r) override {
    return run("deletePersona", on_delete_persona, r);
  }

  /// Returns `fake_options`.
  const ClientOptions& options() const override { return fake_options; }

  /// Names of the calls made so far, in order ("passThreadControl", ...).
  std::vector<std::string> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  /// How many times the call named `name` was made.
  std::size_t callCount(std::string_view name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<std::size_t>(std::count(calls_.begin(), calls_.end(), name));
  }

 private:
  template <typename Request, typename Response>
  Result<Response> run(const char* name, const Handler<Request, Response>& handler,
                       const Request& request) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.emplace_back(name);
    }
    if (handler) return handler(request);
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message = std::string("FakeConnection: no handler set for ") + name;
    return e;
  }

  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
};

}  // namespace handover::testing
