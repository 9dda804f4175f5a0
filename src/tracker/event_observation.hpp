#pragma once
// What one webhook event tells the tracker about its conversation: a pure function of the event,
// this app's id and the time, so the rules (which events are user activity, who owns the thread
// after a pass or a take, what an echo says) are tested without a store or a client.

#include <cstdint>
#include <optional>
#include <string>

#include "handover/tracker/conversation.hpp"
#include "handover/webhook/events.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker::detail {

/// An `OwnerInfo` learned at `at` from `source`.
OwnerInfo ownerOf(Ownership o, std::string app_id, OwnerSource source, Timestamp at);

/// The conversation an event belongs to and what it says about it.
struct EventObservation {
  ConversationKey key;
  Observation observation;
  /// False when the event must not move the idle take-back timer (a request, or a user message
  /// while we own the thread).
  bool moves_timer = true;
  /// The request, for `request_thread_control` (a copy: the result outlives the event).
  std::optional<webhook::RequestThreadControl> request;
};

/// nullopt when the event says nothing about a thread: no page or user (`app_roles`), or a kind
/// that is no activity in it (reads, deliveries, opt-ins, unknown). `now` stands in for a
/// missing timestamp; `self_app_id` is this app (may be empty).
std::optional<EventObservation> observationOf(const webhook::Event& e,
                                              const std::string& self_app_id, Timestamp now);

}  // namespace tracker::detail
HANDOVER_END_NAMESPACE
