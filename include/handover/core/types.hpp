#pragma once
/// @file
/// Vocabulary types shared by the client, the webhook parser and the emulator.
///
/// Ids (PSID, IGSID, Page, app, persona) are exact decimal strings everywhere: some exceed 2^53
/// and JSON carries them as numbers or strings, so they never pass through a double.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE

/// The Page Inbox app: pass control here to hand a Messenger thread to human agents.
inline constexpr std::string_view kPageInboxAppId = "263902037430900";
/// The Instagram Inbox app: pass control here to hand an Instagram thread to human agents.
inline constexpr std::string_view kInstagramInboxAppId = "1217981644879628";
/// Meta's Messenger Lead-Gen app, which passes threads on with `messenger_lead_gen_*` metadata.
inline constexpr std::string_view kLeadGenAppId = "413038776280800";

/// A point in time as Meta's JSON carries it: milliseconds since the Unix epoch (UTC). The
/// default value (the epoch itself) stands for "absent" or "never".
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;
/// A point in time in whole seconds since the Unix epoch: the Graph API's `expiration`.
using EpochSeconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

/// `t` as Meta's JSON writes it: milliseconds since the epoch.
constexpr std::int64_t epochMillis(Timestamp t) noexcept {
  return t.time_since_epoch().count();
}
/// The `Timestamp` of a JSON epoch-milliseconds value.
constexpr Timestamp fromEpochMillis(std::int64_t ms) noexcept {
  return Timestamp{std::chrono::milliseconds{ms}};
}

/// Longest control extension `extend_thread_control` accepts: 7 days.
inline constexpr std::chrono::seconds kMaxExtendDuration = std::chrono::hours(7 * 24);

/// Which messaging product a conversation lives on.
enum class Platform { kMessenger, kInstagram };

/// "messenger" / "instagram".
constexpr const char* toString(Platform p) noexcept {
  return p == Platform::kInstagram ? "instagram" : "messenger";
}

/// The inbox app id for a platform: the Page Inbox or the Instagram Inbox.
constexpr std::string_view inboxAppId(Platform p) noexcept {
  return p == Platform::kInstagram ? kInstagramInboxAppId : kPageInboxAppId;
}

HANDOVER_END_NAMESPACE
