#pragma once
/// @file
/// One request struct per Graph call and the typed responses. Plain std types only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/core/types.hpp"

HANDOVER_BEGIN_NAMESPACE

// ---------------------------------------------------------------------------------------------
// Thread control
// ---------------------------------------------------------------------------------------------

/// `POST /{page}/pass_thread_control`.
/// Passes the thread to `target_app_id` (empty: the default app). Fails with
/// `Error::isNotThreadOwner()` when this app does not own the thread.
struct PassThreadControlRequest {
  std::string recipient;      ///< PSID or IGSID.
  std::string target_app_id;  ///< Empty: omitted (Conversation Routing: the default app).
  std::string metadata;       ///< Empty: omitted. Do not put personal data here.
};

/// `POST /{page}/take_thread_control`. Conversation Routing: only with a default app (#27).
/// Takes the thread from its owner (or from idle). Under Conversation Routing only allowed with a
/// default app: else `Error::isTakeNotSupportedWithoutDefaultApp()` (#27). Legacy Pages: only
/// the Primary Receiver may take (`isPermissionDenied()` otherwise).
struct TakeThreadControlRequest {
  std::string recipient;  ///< PSID or IGSID.
  std::string metadata;   ///< Empty: omitted. Reaches the previous owner in its webhook.
};

/// `POST /{page}/request_thread_control`. Conversation Routing: only without a default app.
/// Asks the owner to pass the thread. Success means "request delivered", not "control gained"
/// (see `RequestDelivered`). Refused (kApi) under Conversation Routing with a default app, on
/// legacy Pages for all but Secondary Receivers, and where `Error::isHandoverProtocolDisabled()`.
struct RequestThreadControlRequest {
  std::string recipient;  ///< PSID or IGSID.
  std::string metadata;   ///< Empty: omitted. Reaches the owner in `request_thread_control`.
};

/// `POST /{page}/release_thread_control`: the owner gives the thread up; it becomes idle.
/// `Error::isNotThreadOwner()` when not the owner.
struct ReleaseThreadControlRequest {
  std::string recipient;  ///< PSID or IGSID.
};

/// `POST /{page}/extend_thread_control`: the owner keeps control longer (at most 7 days).
/// A duration outside 1 s .. 7 days is kInvalidArgument before sending;
/// `Error::isNotThreadOwner()` when not the owner.
struct ExtendThreadControlRequest {
  std::string recipient;  ///< PSID or IGSID.
  /// Must be within 1 s .. `kMaxExtendDuration`; checked before sending.
  std::chrono::seconds duration{24 * 60 * 60};
};

/// `GET /{page}/thread_owner?recipient=...`.
/// Under Conversation Routing the owner may be hidden: an idle thread, or an owner this app may
/// not see, both give `ThreadOwner::empty()`.
struct GetThreadOwnerRequest {
  std::string recipient;  ///< PSID or IGSID (sent as a plain string, not an object).
};

/// `GET /{page}/secondary_receivers` (legacy Handover Protocol, Primary Receiver only).
/// One page; the Primary Receiver asks. Bad `fields` or a negative `limit`: kInvalidArgument.
struct GetSecondaryReceiversRequest {
  /// Fields to return per app; each non-empty and comma-free (else kInvalidArgument).
  std::vector<std::string> fields{"id", "name"};
  std::optional<Platform> platform;  ///< Only apps of this platform; nullopt: no filter sent.
  std::string after;  ///< Paging cursor from a previous page; empty for the first page.
  int limit = 0;      ///< 0: the server's default; negative: kInvalidArgument.
};

/// `GET /{page}?fields=messaging_feature_status`.
/// Which thread-control model the Page runs (Handover v2, Conversation Routing). kParse when
/// the answer lacks `messaging_feature_status`.
struct GetMessagingFeatureStatusRequest {};

/// `take_thread_control` answered `{"success":true}` (Conversation Routing) or, on some Pages,
/// with the new owner.
struct TakeThreadControlResponse {
  std::optional<std::string> new_owner_app_id;  ///< Set only when the answer named the owner.
  std::optional<EpochSeconds> expiration;       ///< When control expires, when the answer gave one.
};

/// A successful `request_thread_control` means the request was *delivered* to the current
/// owner, not that control was gained: the owner may ignore it (Meta's inbox and AI do).
/// Watch for a `pass_thread_control` webhook or call `getThreadOwner` to learn the outcome.
struct RequestDelivered {};

/// The answer of `thread_owner`. Under Conversation Routing the owner may be hidden.
struct ThreadOwner {
  /// The owning app, when the caller may see it (the owner itself or the default app).
  std::optional<std::string> app_id;
  /// When control expires, when given.
  std::optional<EpochSeconds> expiration;

  /// Nothing was disclosed: the thread is idle, or the caller may not know.
  bool empty() const noexcept { return !app_id && !expiration; }
  /// True when `app_id` is disclosed and equals `id`.
  bool isOwnedBy(std::string_view id) const noexcept { return app_id && *app_id == id; }
};

/// Who owns a thread, from this app's point of view (`Client::threadOwnership`). An enum, not a
/// bool: a `Result<bool>` in an `if` tests "no error", not "mine".
enum class ThreadOwnership {
  kThisApp,      ///< The owner is `ClientOptions::app_id`.
  kAnotherApp,   ///< Another app (a bot, the Page Inbox...) owns it.
  kUndisclosed,  ///< Idle, or an owner Graph does not show this app (Conversation Routing).
};

/// "this_app", "another_app", "undisclosed".
constexpr const char* toString(ThreadOwnership o) noexcept {
  return o == ThreadOwnership::kThisApp      ? "this_app"
         : o == ThreadOwnership::kAnotherApp ? "another_app"
                                             : "undisclosed";
}

/// An app as listed by `secondary_receivers`.
struct AppSummary {
  std::string id;    ///< App id; empty when `id` was not among the requested fields.
  std::string name;  ///< App name; empty when `name` was not among the requested fields.
};

/// One page of `secondary_receivers`.
struct SecondaryReceivers {
  std::vector<AppSummary> apps;  ///< The apps of this page, in the server's order.
  std::string next_cursor;       ///< Non-empty when another page exists: pass it as `after`.
};

/// `messaging_feature_status` of a Page.
struct MessagingFeatureStatus {
  std::string page_id;          ///< The Page's `id` as answered; empty when absent.
  bool hop_v2 = false;          ///< Handover Protocol v2 behaviour.
  bool msgr_multi_app = false;  ///< Conversation Routing enabled for Messenger.
  bool ig_multi_app = false;    ///< Conversation Routing enabled for Instagram.
};

// ---------------------------------------------------------------------------------------------
// Send API
// ---------------------------------------------------------------------------------------------

/// `messaging_type` of the Send API.
enum class MessagingType { kResponse, kUpdate, kMessageTag };

/// Wire name: "RESPONSE", "UPDATE", "MESSAGE_TAG".
HANDOVER_EXPORT const char* toString(MessagingType t) noexcept;

/// The Send API's inline `thread_control` (Conversation Routing only).
struct ThreadControl {
  /// What happens to control once the message is sent.
  enum class Type {
    kPass,     ///< Pass control to `app_id`.
    kRelease,  ///< Release control: the thread becomes idle. `app_id` must be empty.
  };
  Type control_type = Type::kPass;  ///< Sent as `control_type` "pass" or "release".
  std::string app_id;               ///< For kPass; empty means the default app.
};

/// `POST /{page}/messages` with a text message.
/// `Error::isAnotherAppControllingThread()` (10/2018300) when another app owns the thread.
/// kInvalidArgument before sending: empty text, a tag without kMessageTag (or the reverse), a
/// release `thread_control` with an `app_id`.
struct SendTextRequest {
  std::string recipient;  ///< PSID or IGSID.
  std::string text;       ///< The message; must not be empty (kInvalidArgument).
  /// Why the message is sent. kMessageTag requires `tag`; the others forbid it.
  MessagingType messaging_type = MessagingType::kResponse;
  std::string tag;         ///< Required when messaging_type is kMessageTag.
  std::string persona_id;  ///< Empty: none.
  std::string metadata;    ///< Echoed back in `message_echoes`; empty: none.
  /// Pass or release control with this message (Conversation Routing); nullopt: none.
  std::optional<ThreadControl> thread_control;
};

/// Typing indicators and read receipts.
enum class SenderAction { kMarkSeen, kTypingOn, kTypingOff };

/// Wire name: "mark_seen", "typing_on", "typing_off".
HANDOVER_EXPORT const char* toString(SenderAction a) noexcept;

/// `POST /{page}/messages` with a `sender_action`.
/// A typing indicator or read receipt; the answer has no `message_id`.
struct SendSenderActionRequest {
  std::string recipient;                          ///< PSID or IGSID.
  SenderAction action = SenderAction::kTypingOn;  ///< Sent as `sender_action`.
  std::string persona_id;                         ///< Empty: none.
};

/// What the Send API returns.
struct SendResponse {
  std::string recipient_id;  ///< The user's id as the Send API answered it.
  std::string message_id;    ///< Empty for sender actions.
};

// ---------------------------------------------------------------------------------------------
// Personas
// ---------------------------------------------------------------------------------------------

/// `POST /{page}/personas`.
/// An empty name or picture URL is kInvalidArgument.
struct CreatePersonaRequest {
  std::string name;                 ///< Shown as the sender's name; required.
  std::string profile_picture_url;  ///< Public URL of the avatar; required.
};

/// `GET /{persona-id}`.
struct GetPersonaRequest {
  std::string persona_id;  ///< Id returned by `createPersona`; required.
};

/// `GET /{page}/personas`.
/// One page of the Page's personas; pass `next_cursor` as `after` for the next.
struct ListPersonasRequest {
  std::string after;  ///< Paging cursor; empty for the first page.
  int limit = 0;      ///< 0: the server's default; negative: kInvalidArgument.
};

/// `DELETE /{persona-id}`.
struct DeletePersonaRequest {
  std::string persona_id;  ///< Id returned by `createPersona`; required.
};

/// A persona: a named agent identity a message can be sent as (`persona_id`).
struct Persona {
  std::string id;                   ///< Persona id, for `persona_id` of the Send API.
  std::string name;                 ///< Display name.
  std::string profile_picture_url;  ///< Avatar URL.
};

/// One page of `listPersonas`.
struct PersonaPage {
  std::vector<Persona> personas;  ///< The personas of this page.
  std::string next_cursor;        ///< Non-empty when another page exists.
};

HANDOVER_END_NAMESPACE
