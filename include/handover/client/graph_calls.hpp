#pragma once
/// @file
/// The list of Graph calls, one line each. `Connection`, `AsyncConnection`, `Client`,
/// `AsyncClient` and both fakes declare one method per line of it, so the interfaces cannot
/// drift apart, and `GraphCallTraits<Request>` names a request's answer type and call name.
///
/// Adding a Graph call touches three files:
///  1. `handover/client/requests.hpp` (WhatsApp: `whatsapp_requests.hpp`): the request struct
///  (plain std types) and, if new, its answer.
///  2. this list: one `X(name, snake_name, Request, Answer)` line.
///  3. `src/client/graph_calls.cpp`: `describe` (method, path, query, body; validation) and
///     `readAnswer` (the typed reader) for the request type.
/// Both engines, both clients and both fakes then have the call. Convenience overloads
/// (`Client::passThreadControl(psid, app)`), the Router's `Context` and the CLI are optional.

#include "handover/client/requests.hpp"
#include "handover/client/whatsapp_requests.hpp"
#include "handover/core/export.hpp"

/// `X(camelName, snake_name, RequestType, AnswerType)` for every call, in documentation order.
/// `AnswerType` is `void` for calls whose answer is only `{"success": true}`.
#define HANDOVER_GRAPH_CALLS(X)                                                                  \
  X(passThreadControl, pass_thread_control, PassThreadControlRequest, void)                      \
  X(takeThreadControl, take_thread_control, TakeThreadControlRequest, TakeThreadControlResponse) \
  X(requestThreadControl, request_thread_control, RequestThreadControlRequest, RequestDelivered) \
  X(releaseThreadControl, release_thread_control, ReleaseThreadControlRequest, void)             \
  X(extendThreadControl, extend_thread_control, ExtendThreadControlRequest, void)                \
  X(getThreadOwner, get_thread_owner, GetThreadOwnerRequest, ThreadOwner)                        \
  X(getSecondaryReceivers, get_secondary_receivers, GetSecondaryReceiversRequest,                \
    SecondaryReceivers)                                                                          \
  X(getMessagingFeatureStatus, get_messaging_feature_status, GetMessagingFeatureStatusRequest,   \
    MessagingFeatureStatus)                                                                      \
  X(sendText, send_text, SendTextRequest, SendResponse)                                          \
  X(sendSenderAction, send_sender_action, SendSenderActionRequest, SendResponse)                 \
  X(createPersona, create_persona, CreatePersonaRequest, Persona)                                \
  X(getPersona, get_persona, GetPersonaRequest, Persona)                                         \
  X(listPersonas, list_personas, ListPersonasRequest, PersonaPage)                               \
  X(deletePersona, delete_persona, DeletePersonaRequest, void)                                   \
  X(waPassThreadControl, wa_pass_thread_control, wa::PassThreadControlRequest,                   \
    wa::ThreadControlResponse)                                                                   \
  X(waTakeThreadControl, wa_take_thread_control, wa::TakeThreadControlRequest,                   \
    wa::ThreadControlResponse)                                                                   \
  X(waReleaseThreadControl, wa_release_thread_control, wa::ReleaseThreadControlRequest,          \
    wa::ThreadControlResponse)                                                                   \
  X(waSendText, wa_send_text, wa::SendTextRequest, wa::SendResponse)

HANDOVER_BEGIN_NAMESPACE

/// For a request type of `HANDOVER_GRAPH_CALLS`: `Answer` (what a success holds) and `name`
/// (the method's name, as the fakes record it).
template <typename Request>
struct GraphCallTraits;

#ifndef HANDOVER_DOXYGEN  // one specialisation per call; documented once above
#define HANDOVER_DETAIL_TRAITS(name_, snake_, Request_, Answer_) \
  template <>                                                    \
  struct GraphCallTraits<Request_> {                             \
    using Answer = Answer_;                                      \
    static constexpr const char* name = #name_;                  \
  };
HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_TRAITS)
#undef HANDOVER_DETAIL_TRAITS
#endif

/// What a success of the call taking `Request` holds.
template <typename Request>
using AnswerOf = typename GraphCallTraits<Request>::Answer;

HANDOVER_END_NAMESPACE
