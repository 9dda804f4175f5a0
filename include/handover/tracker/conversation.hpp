#pragma once
/// @file
/// What the tracker knows about one conversation (page, user), and the deltas it merges in.
///
/// Every field is merged by time, never blindly overwritten: webhook deliveries may arrive out
/// of order or twice, and several servers may write the same conversation at once, so the
/// newest knowledge wins whatever order the writes land in.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/core/types.hpp"
#include "handover/tracker/policies.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace tracker {

/// One conversation: a Page (or IG account) and a user (PSID, IGSID or user_ref).
struct ConversationKey {
  std::string page_id;  ///< `entry.id`: the Page or IG account.
  std::string user_id;  ///< PSID, IGSID or chat-plugin user_ref.
  /// Same page and same user.
  bool operator==(const ConversationKey& o) const noexcept {
    return page_id == o.page_id && user_id == o.user_id;
  }
};

/// What is known about the thread's owner.
enum class Ownership {
  kUnknown,  ///< Nothing learned yet.
  kIdle,     ///< No app owns the thread (released, expired, or `thread_owner` disclosed none).
  kApp,      ///< An app owns it: `OwnerInfo::app_id`, or an app we cannot name (empty id).
};

/// Where the owner was learned.
enum class OwnerSource {
  kNone,     ///< Never learned.
  kWebhook,  ///< A handover event or an echo.
  kOwnCall,  ///< The result of our own pass/take/release/extend call.
  kGraph,    ///< A `thread_owner` answer.
};

/// "unknown", "idle" or "app".
HANDOVER_EXPORT const char* toString(Ownership o) noexcept;
/// "none", "webhook", "own_call" or "graph".
HANDOVER_EXPORT const char* toString(OwnerSource s) noexcept;

/// The owner as last learned.
struct OwnerInfo {
  Ownership ownership = Ownership::kUnknown;  ///< Unknown, idle, or an app.
  /// The owning app when `ownership` is kApp; empty when the owner is hidden from us.
  std::string app_id;
  OwnerSource source = OwnerSource::kNone;  ///< Where it was learned.
  Timestamp learned_at{};  ///< When it was true: the event's timestamp or our call time.
  std::optional<Timestamp> expires_at;  ///< When control expires, when known.

  /// True when the app `id` owns the thread.
  bool isApp(const std::string& id) const noexcept {
    return ownership == Ownership::kApp && app_id == id;
  }
};

/// A `request_thread_control` not yet answered by a change of owner.
struct PendingRequest {
  std::string app_id;    ///< The requesting app.
  std::string metadata;  ///< The request's `metadata`.
  Timestamp at{};        ///< The event's timestamp.
};

/// The outcome of the last action a policy took on the conversation.
struct ActionRecord {
  PolicyAction action = PolicyAction::kTake;  ///< The call made.
  std::string target_app_id;                  ///< For "pass": the target (empty: the default app).
  Timestamp at{};                             ///< When it was done.
  bool ok = false;                            ///< The call succeeded.
  std::string error;                          ///< `Error::toString()` when it failed.
};

/// Everything known about one conversation. A time at the epoch means never.
struct ConversationState {
  ConversationKey key;  ///< The conversation.
  /// The platform its events came on (the tracker picks the client with it); kMessenger until
  /// an event says otherwise.
  Platform platform = Platform::kMessenger;
  OwnerInfo owner;                ///< The owner as last learned.
  Timestamp last_user_message{};  ///< Messages and postbacks from the user.
  Timestamp last_own_message{};   ///< Echoes of messages this app sent.
  /// Echoes whose `app_id` is not ours: a human in the Page Inbox, another app, or (no
  /// `app_id`, old API versions) a human we cannot tell apart.
  Timestamp last_other_message{};
  std::string last_other_app_id;  ///< Who sent the latest such echo; empty when not said.
  /// Requests made since the last change of owner, oldest first.
  std::vector<PendingRequest> pending_requests;
  std::optional<ActionRecord> last_action;  ///< The last policy action, when any.

  /// True when no app owns the thread at `now`: released, or control expired. WhatsApp: also
  /// 24 h after the later of the user's last message and the last change of owner, when Meta
  /// makes the thread idle without a webhook (whatsapp.md §2, §8).
  bool idleAt(Timestamp now) const noexcept {
    if (owner.ownership == Ownership::kIdle) return true;
    if (owner.ownership != Ownership::kApp) return false;
    if (owner.expires_at && *owner.expires_at <= now) return true;
    if (platform != Platform::kWhatsApp) return false;
    return now >= std::max(last_user_message, owner.learned_at) + kWhatsAppIdleAfter;
  }

  /// How long a WhatsApp thread stays owned without a user message or a change of owner.
  static constexpr std::chrono::hours kWhatsAppIdleAfter{24};
};

/// A delta to merge into a conversation. Unset fields leave the stored ones alone.
struct Observation {
  /// The platform of the event observed; replaces the stored one.
  std::optional<Platform> platform;
  /// Replaces the stored owner when its `learned_at` is not older than the stored one.
  std::optional<OwnerInfo> owner;
  /// With `owner`: the owner changed, so requests made before it are answered and dropped.
  bool clear_requests = false;
  std::optional<Timestamp> user_message;   ///< Kept when newer.
  std::optional<Timestamp> own_message;    ///< Kept when newer.
  std::optional<Timestamp> other_message;  ///< Kept when newer, with `other_app_id`.
  std::string other_app_id;                ///< The echo's `app_id` (empty: not said).
  std::optional<PendingRequest> request;   ///< Added (one per app, the newest kept).
  /// A delivery under `standby[]` at this time: an app other than `self_app_id` owns the
  /// thread. Unless the stored owner is already another app, or newer, the owner becomes
  /// an unnamed other app.
  std::optional<Timestamp> standby_at;
  std::string self_app_id;             ///< With `standby_at`: this app's id.
  std::optional<ActionRecord> action;  ///< Replaces the last action record.
};

/// Merges `obs` into `state` with the rules above (what every `Store` implements).
HANDOVER_EXPORT void merge(ConversationState& state, const Observation& obs);

}  // namespace tracker
HANDOVER_END_NAMESPACE
