#pragma once
/// @file
/// Typed webhook events: what `handover::webhook::parse` returns.
///
/// Ids (PSID, IGSID, Page, IG account, app) are exact decimal strings: Meta sends them as JSON
/// strings or numbers, some beyond 2^53, and they never pass through a double.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>
#include "handover/core/export.hpp"

#include "handover/core/types.hpp"
#include "handover/core/whatsapp.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

/// Which alternative an `Event` holds.
enum class EventKind {
  kMessage,               ///< A user's message: text, attachments, quick reply.
  kEcho,                  ///< A message the Page sent (`is_echo`), by an app or a human.
  kRead,                  ///< `read`: the user read up to a watermark (IG: a message id).
  kDelivery,              ///< `delivery`: messages delivered to the user.
  kPostback,              ///< `postback`: a button tap.
  kPassThreadControl,     ///< `pass_thread_control`: control was passed (to us, or around us).
  kTakeThreadControl,     ///< `take_thread_control`: another app took control from us.
  kRequestThreadControl,  ///< `request_thread_control`: another app asks us for control.
  kAppRoles,              ///< `app_roles`: legacy Handover Protocol role change (no sender).
  kReaction,              ///< `reaction` (field `message_reactions`): a reaction to a message.
  kReferral,              ///< `referral` (`messaging_referrals`): an m.me link, ad or plugin.
  kOptin,                 ///< `optin` (`messaging_optins`): plugin opt-in, notification opt-in.
  kMessageEdit,           ///< `message_edit` (`message_edits`): the user edited a message.
  kControlPassed,         ///< WhatsApp `messaging_handovers` `control_passed`.
  kControlTaken,          ///< WhatsApp `messaging_handovers` `control_taken`.
  kWhatsAppMessage,       ///< WhatsApp `messages[]`: a user's message, of any `type`.
  kWhatsAppEcho,          ///< WhatsApp `standby.message_echoes[]`: another responder's send.
  kWhatsAppStatus,        ///< WhatsApp `statuses[]`: sent, delivered, read, failed.
  kUnknown,               ///< Anything else; its raw JSON is kept.
};

/// Stable lowercase name: "message", "echo", "read", "delivery", "postback",
/// "pass_thread_control", "take_thread_control", "request_thread_control", "app_roles",
/// "reaction", "referral", "optin", "message_edit", "control_passed", "control_taken",
/// "whatsapp_message", "whatsapp_echo", "whatsapp_status", "unknown".
HANDOVER_EXPORT const char* toString(EventKind kind) noexcept;

/// A `sender` or `recipient`: an `id`, or a chat-plugin `user_ref`.
struct Participant {
  std::string id;        ///< PSID, IGSID, Page id or IG account id; empty when absent.
  std::string user_ref;  ///< Chat-plugin user reference; empty when absent.
  /// Neither an id nor a user_ref: the participant was absent (`app_roles`).
  bool empty() const noexcept { return id.empty() && user_ref.empty(); }
};

/// One attachment of a message or echo.
struct Attachment {
  std::string type;  ///< "image", "video", "audio", "file", "template", "fallback", "reel"...
  std::string url;   ///< `payload.url` when present.
  /// The `payload` value as raw JSON text (templates, stickers, products...); empty when absent.
  std::string payload_json;
};

/// A message from the user (`message` without `is_echo`).
struct Message {
  std::string mid;                                 ///< Message id; the key for dedup and replies.
  std::string text;                                ///< Empty for attachment-only messages.
  std::optional<std::string> quick_reply_payload;  ///< Set when a quick reply was tapped.
  std::string reply_to_mid;                        ///< `reply_to.mid`; empty when absent.
  std::vector<Attachment> attachments;             ///< In the order sent; empty for plain text.
  bool is_deleted = false;                         ///< Instagram: the user unsent the message.
  bool is_unsupported = false;  ///< Instagram: a message type the API cannot show.
};

/// A message the Page sent (`message.is_echo`). `sender` is the Page, `recipient` the user.
struct Echo {
  std::string mid;   ///< Id of the message the Page sent.
  std::string text;  ///< Empty for attachment-only messages.
  /// The app that sent it. The Page Inbox id (263902037430900) when a human typed it in the
  /// inbox (Graph v12+); absent on old API versions.
  std::optional<std::string> app_id;
  std::string metadata;                 ///< The Send API's `metadata`, when the sender set one.
  std::vector<Attachment> attachments;  ///< In the order sent.

  /// True when this echo is of a message sent by the app `my_app_id`; false for a human, the
  /// inbox, another app, or an echo without `app_id`.
  bool isFromApp(std::string_view my_app_id) const noexcept {
    return app_id && !my_app_id.empty() && *app_id == my_app_id;
  }
};

/// `read`: Messenger gives a watermark, Instagram (`messaging_seen`) a message id.
struct Read {
  std::optional<Timestamp> watermark;  ///< Everything before it was read.
  std::string mid;                     ///< Instagram: the message that was seen.
};

/// `delivery`.
struct Delivery {
  std::vector<std::string> mids;       ///< May be empty: Meta omits `mids` at times.
  std::optional<Timestamp> watermark;  ///< Everything before it was delivered.
};

/// `referral`: of a postback, or an event of its own (`messaging_referrals`) when a user who
/// already has a thread follows an m.me link, an ad or a chat plugin into it. Route on `ref`.
struct Referral {
  std::string ref;          ///< The `ref` parameter of the link or ad; empty when none.
  std::string source;       ///< "SHORTLINK", "ADS", "CUSTOMER_CHAT_PLUGIN"...
  std::string type;         ///< "OPEN_THREAD"...
  std::string ad_id;        ///< The ad's id when `source` is "ADS"; empty otherwise.
  std::string referer_uri;  ///< Chat plugin: the page the user came from; empty otherwise.
};

/// `postback`. On standby Meta sends no `payload`: only the app that sent the button gets it.
struct Postback {
  std::string mid;                     ///< Id of the postback message; may be empty.
  std::string title;                   ///< The tapped button's title.
  std::optional<std::string> payload;  ///< The button's payload; nullopt on standby copies.
  std::optional<Referral> referral;    ///< Set when the tap came through an ad or m.me link.
};

/// `pass_thread_control`: control went from `previous_owner_app_id` to `new_owner_app_id`.
struct PassThreadControl {
  /// Null when passed from an idle thread; absent on old API versions. Both map to nullopt.
  std::optional<std::string> previous_owner_app_id;
  std::optional<std::string> new_owner_app_id;  ///< Absent on old API versions.
  std::string metadata;  ///< What the passing app sent as `metadata`; empty when none.
};

/// `take_thread_control`: `new_owner_app_id` took the thread from `previous_owner_app_id`.
struct TakeThreadControl {
  /// The app that lost control; nullopt when null or absent.
  std::optional<std::string> previous_owner_app_id;
  std::optional<std::string> new_owner_app_id;  ///< The taker; absent on old API versions.
  std::string metadata;  ///< What the taking app sent as `metadata`; empty when none.
};

/// `request_thread_control`: `requested_owner_app_id` asks the owner (us) to pass control.
struct RequestThreadControl {
  std::string requested_owner_app_id;  ///< The app asking; a string even when sent as a number.
  std::string metadata;                ///< What the requester sent as `metadata`; empty when none.
};

/// One app's roles in an `app_roles` event.
struct AppRole {
  std::string app_id;              ///< The app whose roles are listed.
  std::vector<std::string> roles;  ///< "primary_receiver", "secondary_receiver".
};

/// `app_roles` (legacy Handover Protocol): the event has no sender.
struct AppRoles {
  std::vector<AppRole> apps;  ///< One item per app key of the `app_roles` object.
};

/// `reaction.action`.
enum class ReactionAction {
  kReact,    ///< "react": a reaction was added.
  kUnreact,  ///< "unreact": the user took it back.
  kOther,    ///< A value this version does not know.
};

/// "react", "unreact" or "other".
HANDOVER_EXPORT const char* toString(ReactionAction action) noexcept;

/// `reaction` (`message_reactions`): the user reacted to a message (often an agent's).
struct Reaction {
  std::string mid;                                 ///< The message reacted to.
  ReactionAction action = ReactionAction::kReact;  ///< Added or taken back.
  std::string reaction;  ///< "love", "like", "smile", "wow", "sad", "angry", "other"...
  std::string emoji;     ///< The emoji itself, UTF-8; empty when absent.
};

/// `optin` (`messaging_optins`): the checkbox or "Send to Messenger" plugin (`ref`, and
/// `user_ref` when there is no PSID yet), or an opt-in to recurring notification messages.
struct Optin {
  std::string type;      ///< e.g. "notification_messages"; empty for plugin opt-ins.
  std::string ref;       ///< The plugin's `data-ref`; empty when none.
  std::string user_ref;  ///< Checkbox plugin: the user's reference (no PSID yet).
  std::string payload;   ///< Notification opt-in: the payload the app set.
  std::string title;     ///< Notification opt-in: the title shown to the user.
  /// Notification opt-in: the token to send notification messages with; treat as a secret.
  std::string notification_messages_token;
};

/// `message_edit` (`message_edits`): the user edited a message they had sent.
struct MessageEdit {
  std::string mid;              ///< The edited message.
  std::string text;             ///< Its new text.
  std::int64_t edit_count = 0;  ///< `num_edit`: how many times it has been edited.
};

// --- WhatsApp (platform kWhatsApp; whatsapp.md §3, §4) -----------------------------------

/// The fields of a WhatsApp handover (`control_passed` / `control_taken`). Every one may be
/// missing: live payloads seen in 2026 carried roles, or only the previous app, or neither.
struct WhatsAppHandover {
  std::optional<wa::RoleName> previous_owner_role;   ///< The role that had the thread.
  std::optional<wa::RoleName> new_owner_role;        ///< The role that has it now.
  std::optional<std::string> previous_owner_app_id;  ///< The app that had it, when sent.
  /// e.g. "meta_business_agent"; absent on `control_taken`.
  std::optional<std::string> previous_owner_app_role;
  std::string metadata;  ///< As the passing or taking app sent it; empty when none.
  /// When `metadata` is itself JSON text holding `{"reason": ...}` (seen live:
  /// "MARKETING_MESSAGE", "NO_ACTIVE_CONTROLLER"...), that reason.
  std::optional<std::string> reason;
  std::string conversation_context_json;  ///< `conversation_context` as raw JSON; empty if none.
  std::string raw_json;                   ///< The whole `control_*` object, as received.
};

/// WhatsApp `control_passed`: the thread was passed, to this app or around it.
struct ControlPassed : WhatsAppHandover {};
/// WhatsApp `control_taken`: the escalation partner took the thread (explicitly, or by sending a
/// Service message).
struct ControlTaken : WhatsAppHandover {};

/// A WhatsApp user's message (`messages[]`, or a standby copy). `Event::sender` is the user.
struct WhatsAppMessage {
  std::string id;        ///< The `wamid.`; the key for dedup and replies.
  std::string type;      ///< "text", "image", "interactive", "button", "reaction"...
  std::string text;      ///< `text.body` for type "text"; empty otherwise.
  std::string raw_json;  ///< The message object as received (every type's own fields).
  std::string conversation_context_json;  ///< `conversation_context` raw; empty if none.
};

/// A message another responder sent on the number (`standby.message_echoes[]`).
/// `Event::recipient` is the user. Template echoes carry a sibling `template` in `raw_json`.
struct WhatsAppEcho {
  std::string id;        ///< The `wamid.` of the message sent.
  std::string type;      ///< `message.type`: "text", "template"...
  std::string text;      ///< `message.text.body` for type "text"; empty otherwise.
  std::string raw_json;  ///< The echo object as received.
};

/// A status of a message the business sent (`statuses[]`). `Event::recipient` is the user.
struct WhatsAppStatus {
  std::string id;        ///< The `wamid.` the status is about.
  std::string status;    ///< "sent", "delivered", "read", "failed"...
  std::string raw_json;  ///< The status object as received (`errors`, `pricing`...).
};

/// An event of a kind this version does not model. Parsing never fails on a new kind.
struct Unknown {
  /// The event's first key other than `sender`, `recipient`, `timestamp` (e.g.
  /// "account_linking", "policy_enforcement"), as written in the body; empty when none.
  /// WhatsApp: the unknown `field`, handover `type`, or the array an unknown item came in.
  std::string type;
  /// The whole event object, byte for byte as received. WhatsApp: the unknown field's `value`,
  /// the handover type's object (else the `value`), or the item.
  std::string raw_json;
};

/// The payload alternatives, in `EventKind` order.
using EventPayload = std::variant<Message, Echo, Read, Delivery, Postback, PassThreadControl,
                                  TakeThreadControl, RequestThreadControl, AppRoles, Reaction,
                                  Referral, Optin, MessageEdit, ControlPassed, ControlTaken,
                                  WhatsAppMessage, WhatsAppEcho, WhatsAppStatus, Unknown>;
static_assert(std::variant_size_v<EventPayload> ==
                  static_cast<std::size_t>(EventKind::kUnknown) + 1,
              "EventPayload lists one alternative per EventKind, in the same order");
static_assert(
    std::is_same_v<
        std::variant_alternative_t<static_cast<std::size_t>(EventKind::kUnknown), EventPayload>,
        Unknown>,
    "EventKind::kUnknown names the Unknown alternative");

/// Where a piece of the body lies: byte offset and length.
struct BodySpan {
  std::size_t offset = 0;  ///< First byte, from the start of the body.
  std::size_t size = 0;    ///< Number of bytes.
};

/// One event of one `entry`, tagged with where it came from.
struct Event {
  Platform platform = Platform::kMessenger;  ///< From the body's `object`.
  /// `entry.id`: the Page or IG account. WhatsApp: the business number's `phone_number_id`.
  std::string page_id;
  Timestamp entry_time{};  ///< `entry.time`.
  bool standby = false;    ///< Came under `standby[]`: this app does not own the thread.
  Participant sender;      ///< Empty for `app_roles`.
  Participant recipient;   ///< The Page for inbound events; the user for echoes.
  Timestamp timestamp{};   ///< The event's `timestamp`; the epoch when absent.
  EventPayload payload;    ///< The typed body; `kind()` says which alternative it holds.
  /// The event's object (`{"sender":...}`) in the body it was parsed from: log or re-read the
  /// exact wire bytes of one event without keeping a copy of each. WhatsApp: the object the
  /// event was read from (the item, the `control_*` object, or an unknown field's `value`).
  BodySpan span;

  /// Which alternative `payload` holds.
  EventKind kind() const noexcept { return static_cast<EventKind>(payload.index()); }

  /// The user of the conversation: the recipient of an echo or a WhatsApp status, the sender
  /// otherwise (an `id`, else a `user_ref`). Empty for `app_roles`.
  const std::string& userId() const noexcept {
    const EventKind k = kind();
    const bool to_user =
        k == EventKind::kEcho || k == EventKind::kWhatsAppEcho || k == EventKind::kWhatsAppStatus;
    const Participant& p = to_user ? recipient : sender;
    return p.id.empty() ? p.user_ref : p.id;
  }

  /// The payload as a `T` (e.g. `Message`), or nullptr when it holds another kind.
  template <typename T>
  const T* get() const noexcept {
    return std::get_if<T>(&payload);
  }
  /// The payload as a `T` (e.g. `Message`), or nullptr when it holds another kind.
  template <typename T>
  T* get() noexcept {
    return std::get_if<T>(&payload);
  }
};

/// One event that could not be read (a field of the wrong JSON type, say), reported instead of
/// being dropped silently; the other events of the body are still returned.
struct EventError {
  std::size_t entry_index = 0;             ///< Index in `entry[]`.
  std::optional<std::size_t> event_index;  ///< Index in `messaging[]`/`standby[]`; none: entry.
  bool standby = false;    ///< The event was under `standby[]` rather than `messaging[]`.
  std::size_t offset = 0;  ///< Byte offset of the offending value in the body.
  std::string message;     ///< What was wrong, e.g. which field had which JSON type.
  /// WhatsApp: where the item lies, e.g. "entry[0].changes[1].value.standby.statuses[0]";
  /// empty for Messenger and Instagram, whose place the indexes above say.
  std::string path;
};

/// An `entry[].changes[]` item: the App Dashboard's "Test" button sends these. WhatsApp bodies
/// carry their events here; `parse` reads them into `Batch::events` and keeps no `Change`.
struct Change {
  std::string page_id;           ///< `entry.id` of the entry that carried it.
  std::string field;             ///< e.g. "messages".
  std::string value_json;        ///< The `value`, as raw JSON text.
  BodySpan value_span;           ///< Where `value_json` lies in the body.
  std::size_t entry_index = 0;   ///< Index in `entry[]`.
  std::size_t change_index = 0;  ///< Index in the entry's `changes[]`.
};

/// Everything one webhook POST carried, in document order.
struct Batch {
  /// "page", "instagram", "whatsapp_business_account", or whatever Meta sent.
  std::string object;
  /// kInstagram when `object` is "instagram", kWhatsApp for "whatsapp_business_account".
  Platform platform = Platform::kMessenger;
  std::vector<Event> events;       ///< Every readable event, in document order.
  std::vector<EventError> errors;  ///< Events that could not be read; never dropped.
  std::vector<Change> changes;     ///< Dashboard test items (`entry[].changes[]`).

  /// The body is a dashboard test payload (`changes[]` only, no events).
  bool isDashboardTest() const noexcept { return !changes.empty() && events.empty(); }
};

/// A key that is the same for two deliveries of the same event (deliveries are at-least-once):
/// the `mid` for messages, echoes and postbacks that have one, otherwise the kind, page, user,
/// timestamp and the event's distinguishing fields. Standby and messaging copies share a key.
/// WhatsApp: the `wamid` for messages, echoes and statuses (with the status), a standby copy
/// keyed apart from the owner's delivery (`standby:` first); handovers by number, user, type
/// and timestamp.
HANDOVER_EXPORT std::string dedupKey(const Event& event);

}  // namespace webhook
HANDOVER_END_NAMESPACE
