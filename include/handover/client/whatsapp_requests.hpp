#pragma once
/// @file
/// The WhatsApp Cloud API calls of Conversation Routing: one request struct per call and the
/// typed answers (whatsapp.md §2, §3a). Plain std types only.
///
/// Every call names the business number (`phone_number_id`) itself: one client, with one
/// System User token, may act for several numbers and for Pages. Thread control is not
/// idempotent: a `thread_control` POST is never retried once it may have reached the server,
/// whatever `RetryOptions::retry_non_idempotent` says.

#include <optional>
#include <string>

#include "handover/core/export.hpp"
#include "handover/core/whatsapp.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace wa {

/// `POST /{phone_number_id}/thread_control` with `action` "pass". The caller must own the
/// thread. Untargeted (no `target_role`): the escalation partner gets it. Meta refuses (kApi) a
/// pass on an idle thread, by a non-owner, to a target that is not enabled or already owns it.
struct PassThreadControlRequest {
  std::string phone_number_id;  ///< The business number; digits (kInvalidArgument otherwise).
  User user;                    ///< `to` or `recipient`.
  /// Sent as `control_pass.target_role`; nullopt: untargeted, to the escalation partner.
  std::optional<RoleName> target_role;
  /// Empty: omitted. At most 2000 code points (kInvalidArgument before sending); reaches the
  /// new owner in `control_passed`.
  std::string metadata;
};

/// `POST /{phone_number_id}/thread_control` with `action` "take". Only the escalation partner
/// may take (`Error::isTakeNotPermitted()` otherwise); the previous owner gets `control_taken`.
struct TakeThreadControlRequest {
  std::string phone_number_id;  ///< The business number; digits.
  User user;                    ///< `to` or `recipient`.
  std::string metadata;         ///< Empty: omitted; at most 2000 code points.
};

/// `POST /{phone_number_id}/thread_control` with `action` "release": the thread becomes idle
/// and **no webhook** is sent. Releasing an idle thread succeeds; another's is refused.
struct ReleaseThreadControlRequest {
  std::string phone_number_id;  ///< The business number; digits.
  User user;                    ///< `to` or `recipient`.
  std::string metadata;         ///< Empty: omitted; at most 2000 code points.
};

/// The answer of a `thread_control` call: `{"messaging_product":"whatsapp","request_id":S?}`.
struct ThreadControlResponse {
  /// Present when Meta returns it (added in September 2026).
  std::optional<std::string> request_id;
};

/// `POST /{phone_number_id}/messages` with a text message (`type` "text"). A Service message:
/// by the escalation partner on a thread it does not own, an implicit take; by another
/// responder that does not own the thread, refused by Meta (code unpublished).
struct SendTextRequest {
  std::string phone_number_id;  ///< The business number; digits.
  User user;                    ///< `to` or `recipient`.
  std::string text;             ///< `text.body`; must not be empty.
  bool preview_url = false;     ///< `text.preview_url`: render a link preview.
};

/// The answer of `messages`.
struct SendResponse {
  std::string message_id;  ///< `messages[0].id` (a `wamid.`).
  std::string wa_id;       ///< `contacts[0].wa_id`, when answered.
};

}  // namespace wa
HANDOVER_END_NAMESPACE
