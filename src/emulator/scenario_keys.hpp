#pragma once
// The scenario format's keys, per step: the one list the parser (which refuses any other key)
// and the test of README's scenario reference read.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "handover/emulator/scenario.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

inline constexpr std::array<std::string_view, 8> kScenarioTopKeys{
    "name", "config", "world", "page_id", "user_id", "within_ms", "steps", "comment"};

/// One step kind: its key, the field a plain string stands for, and the keys its object takes.
struct StepKeys {
  std::string_view name;
  StepKind kind;
  std::string_view short_form;  ///< "" when the step has no string form.
  std::vector<std::string_view> keys;
};

inline const std::vector<StepKeys>& allStepKeys() {
  static const std::vector<StepKeys> steps{
      {"user_says",
       StepKind::kUserSays,
       "text",
       {"text", "quick_reply_payload", "page_id", "user_id"}},
      {"user_taps", StepKind::kUserTaps, "payload", {"payload", "title", "page_id", "user_id"}},
      {"inbox_replies", StepKind::kInboxReplies, "text", {"text", "page_id", "user_id"}},
      {"inbox_moves", StepKind::kInboxMoves, "folder", {"folder", "page_id", "user_id"}},
      {"advance", StepKind::kAdvance, "by", {"by"}},
      {"wait", StepKind::kWait, "by", {"by"}},
      {"lead_gen_pass",
       StepKind::kLeadGenPass,
       "",
       {"target_app_id", "complete", "page_id", "user_id"}},
      {"expect_owner", StepKind::kExpectOwner, "", {"app_id", "within_ms", "page_id", "user_id"}},
      {"expect_received",
       StepKind::kExpectReceived,
       "",
       {"app_id", "event", "metadata", "channel", "within_ms", "page_id", "user_id"}},
      {"expect_sent",
       StepKind::kExpectSent,
       "",
       {"app_id", "contains", "after_step", "within_ms", "page_id", "user_id"}},
      {"expect_no_message",
       StepKind::kExpectNoMessage,
       "",
       {"app_id", "after_step", "for_ms", "page_id", "user_id"}},
  };
  return steps;
}

inline const StepKeys* stepKeys(std::string_view name) {
  for (const auto& s : allStepKeys()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

inline std::string stepNames() {
  std::string out;
  for (const auto& s : allStepKeys()) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

/// The event keys `expect_received` matches: the wire's payload keys, and "echo" for a
/// `message` with `is_echo`; on WhatsApp numbers the handover `type` and "message", "echo",
/// "status" for the items of `messages`, `message_echoes`, `statuses`.
inline constexpr std::array<std::string_view, 15> kEventNames{"message",
                                                              "echo",
                                                              "postback",
                                                              "read",
                                                              "delivery",
                                                              "reaction",
                                                              "pass_thread_control",
                                                              "take_thread_control",
                                                              "request_thread_control",
                                                              "app_roles",
                                                              "referral",
                                                              "optin",
                                                              "control_passed",
                                                              "control_taken",
                                                              "status"};

inline bool isEventName(std::string_view name) {
  for (auto n : kEventNames) {
    if (n == name) return true;
  }
  return false;
}

inline std::string eventNames() {
  std::string out;
  for (auto n : kEventNames) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
