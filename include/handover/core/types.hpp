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
enum class Platform {
  kMessenger,  ///< A Facebook Page (`object` "page").
  kInstagram,  ///< An Instagram professional account (`object` "instagram").
  kWhatsApp,   ///< A WhatsApp Business number (`object` "whatsapp_business_account").
};

/// "messenger" / "instagram" / "whatsapp".
constexpr const char* toString(Platform p) noexcept {
  switch (p) {
    case Platform::kMessenger:
      return "messenger";
    case Platform::kInstagram:
      return "instagram";
    case Platform::kWhatsApp:
      return "whatsapp";
  }
  return "messenger";
}

/// The inbox app id for a platform: the Page Inbox or the Instagram Inbox. Empty for WhatsApp,
/// which has no inbox app to pass to (a WhatsApp pass targets a role: `wa::TargetRole`).
constexpr std::string_view inboxAppId(Platform p) noexcept {
  switch (p) {
    case Platform::kMessenger:
      return kPageInboxAppId;
    case Platform::kInstagram:
      return kInstagramInboxAppId;
    case Platform::kWhatsApp:
      return {};
  }
  return {};
}

HANDOVER_END_NAMESPACE
