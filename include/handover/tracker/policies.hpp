#pragma once
/// @file
/// Policies the `ThreadTracker` applies for you. Each is off until set in `Policies`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

/// A thread-control call a policy makes.
enum class PolicyAction {
  kTake,     ///< `take_thread_control` (legacy primary, or the routing default app).
  kRelease,  ///< `release_thread_control`: the thread goes idle.
  kPass,     ///< `pass_thread_control`.
};

/// "take", "release", "pass".
HANDOVER_EXPORT const char* toString(PolicyAction a) noexcept;

/// The action named by `toString`, or nullopt.
HANDOVER_EXPORT std::optional<PolicyAction> policyActionFromString(std::string_view name) noexcept;

/// Take the thread back when the agent who has it went quiet.
///
/// - `kTake` (a bot: legacy Primary Receiver, or the Conversation Routing default app): when
///   another app owns the thread (the Page Inbox included) and nobody but us wrote for
///   `quiet_for` (counted from the last echo not ours, or from when that app got control),
///   call `take_thread_control`.
/// - `kRelease` / `kPass` (an agent app that owns the thread): when our own app sent nothing for
///   `quiet_for`, release the thread (it goes idle) or pass it to `pass_target_app_id` (empty:
///   the default app).
struct IdleTakeBack {
  /// What to do once the agent went quiet (kPass: to `pass_target_app_id`).
  using Action = PolicyAction;
  Action action = Action::kTake;  ///< What to do.
  /// How long the agent must have been silent.
  std::chrono::milliseconds quiet_for{std::chrono::minutes(10)};
  std::string pass_target_app_id;  ///< For kPass; empty: the default app.
  std::string metadata;            ///< Sent with take/pass.
};

/// Answer `request_thread_control` by passing the thread (we must own it).
struct PassOnRequest {
  /// Where to pass; empty: to the app that asked.
  std::string target_app_id;
  /// Honour requests only from these apps; empty: from any app.
  std::vector<std::string> from_app_ids;
  std::string metadata;  ///< Sent with the pass.
};

/// Pause automated replies while a human (or another app) is active in the conversation:
/// `ThreadTracker::autoReply` pauses while another app owns the thread or sent a
/// message less than `quiet_for` ago.
struct PauseWhileHumanActive {
  /// How long after a human's last message the bot stays quiet.
  std::chrono::milliseconds quiet_for{std::chrono::minutes(10)};
};

/// The policies a tracker runs. Unset: off.
struct Policies {
  std::optional<IdleTakeBack> idle_take_back;                     ///< Timer driven.
  std::optional<PassOnRequest> pass_on_request;                   ///< Event driven.
  std::optional<PauseWhileHumanActive> pause_while_human_active;  ///< For `autoReply`.
};

}  // namespace tracker
HANDOVER_END_NAMESPACE
