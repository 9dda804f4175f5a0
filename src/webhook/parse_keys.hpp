#pragma once
// The parser's key layer: the contexts (objects) the state machine models, the keys (`Field`)
// each of them reads, and the lookup of a key's bytes. Every modelled key names one `Field`
// whatever the object it appears in, so a key costs one perfect-hash probe, one word-wise
// compare and a mask test; the tables are checked collision-free at compile time.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "little_endian.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

enum class Ctx : std::uint8_t {
  kRoot,
  kEnvelope,
  kEntries,
  kEntry,
  kEvents,
  kEvent,
  kParticipant,
  kMessage,
  kQuickReply,
  kReplyTo,
  kAttachments,
  kAttachment,
  kAttachmentPayload,
  kRead,
  kDelivery,
  kMids,
  kPostback,
  kReferral,
  kHandover,
  kAppRoles,
  kRoles,
  kReaction,
  kOptin,
  kMessageEdit,
  kChanges,
  kChange,
};

enum class Field : std::uint8_t {
  kNone,  // unknown key: its value is skipped
  kObject,
  kEntry,
  kId,
  kTime,
  kMessaging,
  kStandby,
  kChanges,
  kSender,
  kRecipient,
  kTimestamp,
  kMessage,
  kRead,
  kDelivery,
  kPostback,
  kPass,
  kTake,
  kRequest,
  kAppRoles,
  kUserRef,
  kMid,
  kText,
  kIsEcho,
  kAppId,
  kMetadata,
  kQuickReply,
  kReplyTo,
  kAttachments,
  kIsDeleted,
  kIsUnsupported,
  kPayload,
  kType,
  kUrl,
  kWatermark,
  kMids,
  kTitle,
  kReferral,
  kRef,
  kSource,
  kPreviousOwner,
  kNewOwner,
  kRequestedOwner,
  kRoleApp,  // a key of `app_roles`: an app id
  kField,
  kValue,
  kReaction,
  kAction,
  kEmoji,
  kOptin,
  kMessageEdit,
  kNumEdit,
  kAdId,
  kRefererUri,
  kNotificationToken,
};

enum class VType : std::uint8_t { kNull, kBool, kNumber, kString, kObject, kArray };

inline const char* typeName(VType t) {
  switch (t) {
    case VType::kNull:
      return "null";
    case VType::kBool:
      return "a boolean";
    case VType::kNumber:
      return "a number";
    case VType::kString:
      return "a string";
    case VType::kObject:
      return "an object";
    case VType::kArray:
      return "an array";
  }
  return "?";
}

struct KeyName {
  std::string_view name;
  Field field;
};

inline constexpr std::array<KeyName, 2> kEnvelopeKeys{
    {{"object", Field::kObject}, {"entry", Field::kEntry}}};
inline constexpr std::array<KeyName, 5> kEntryKeys{{{"id", Field::kId},
                                                    {"time", Field::kTime},
                                                    {"messaging", Field::kMessaging},
                                                    {"standby", Field::kStandby},
                                                    {"changes", Field::kChanges}}};
inline constexpr std::array<KeyName, 15> kEventKeys{{{"sender", Field::kSender},
                                                     {"recipient", Field::kRecipient},
                                                     {"timestamp", Field::kTimestamp},
                                                     {"message", Field::kMessage},
                                                     {"read", Field::kRead},
                                                     {"delivery", Field::kDelivery},
                                                     {"postback", Field::kPostback},
                                                     {"pass_thread_control", Field::kPass},
                                                     {"take_thread_control", Field::kTake},
                                                     {"request_thread_control", Field::kRequest},
                                                     {"app_roles", Field::kAppRoles},
                                                     {"reaction", Field::kReaction},
                                                     {"referral", Field::kReferral},
                                                     {"optin", Field::kOptin},
                                                     {"message_edit", Field::kMessageEdit}}};
inline constexpr std::array<KeyName, 2> kParticipantKeys{
    {{"id", Field::kId}, {"user_ref", Field::kUserRef}}};
inline constexpr std::array<KeyName, 10> kMessageKeys{{{"mid", Field::kMid},
                                                       {"text", Field::kText},
                                                       {"is_echo", Field::kIsEcho},
                                                       {"app_id", Field::kAppId},
                                                       {"metadata", Field::kMetadata},
                                                       {"quick_reply", Field::kQuickReply},
                                                       {"reply_to", Field::kReplyTo},
                                                       {"attachments", Field::kAttachments},
                                                       {"is_deleted", Field::kIsDeleted},
                                                       {"is_unsupported", Field::kIsUnsupported}}};
inline constexpr std::array<KeyName, 1> kPayloadKey{{{"payload", Field::kPayload}}};
inline constexpr std::array<KeyName, 1> kMidKey{{{"mid", Field::kMid}}};
inline constexpr std::array<KeyName, 2> kAttachmentKeys{
    {{"type", Field::kType}, {"payload", Field::kPayload}}};
inline constexpr std::array<KeyName, 1> kUrlKey{{{"url", Field::kUrl}}};
inline constexpr std::array<KeyName, 2> kReadKeys{
    {{"watermark", Field::kWatermark}, {"mid", Field::kMid}}};
inline constexpr std::array<KeyName, 2> kDeliveryKeys{
    {{"mids", Field::kMids}, {"watermark", Field::kWatermark}}};
inline constexpr std::array<KeyName, 4> kPostbackKeys{{{"mid", Field::kMid},
                                                       {"title", Field::kTitle},
                                                       {"payload", Field::kPayload},
                                                       {"referral", Field::kReferral}}};
inline constexpr std::array<KeyName, 5> kReferralKeys{{{"ref", Field::kRef},
                                                       {"source", Field::kSource},
                                                       {"type", Field::kType},
                                                       {"ad_id", Field::kAdId},
                                                       {"referer_uri", Field::kRefererUri}}};
inline constexpr std::array<KeyName, 4> kReactionKeys{{{"mid", Field::kMid},
                                                       {"action", Field::kAction},
                                                       {"reaction", Field::kReaction},
                                                       {"emoji", Field::kEmoji}}};
inline constexpr std::array<KeyName, 6> kOptinKeys{
    {{"type", Field::kType},
     {"ref", Field::kRef},
     {"user_ref", Field::kUserRef},
     {"payload", Field::kPayload},
     {"title", Field::kTitle},
     {"notification_messages_token", Field::kNotificationToken}}};
inline constexpr std::array<KeyName, 3> kMessageEditKeys{
    {{"mid", Field::kMid}, {"text", Field::kText}, {"num_edit", Field::kNumEdit}}};
inline constexpr std::array<KeyName, 4> kHandoverKeys{
    {{"previous_owner_app_id", Field::kPreviousOwner},
     {"new_owner_app_id", Field::kNewOwner},
     {"requested_owner_app_id", Field::kRequestedOwner},
     {"metadata", Field::kMetadata}}};
inline constexpr std::array<KeyName, 2> kChangeKeys{
    {{"field", Field::kField}, {"value", Field::kValue}}};

// --- key dispatch ----------------------------------------------------------------------------
// Every modelled key names one `Field` whatever the object it appears in, so a key is found with
// one perfect-hash probe and one compare, then kept only if its object allows it (a bit mask
// per context). Comparing against each candidate in turn mispredicted branches on every key,
// which cost more than the parse itself.

inline constexpr std::size_t kKeySlots = 128;
inline constexpr std::size_t kMaxKey = 32;  // longer keys are never modelled ones

// A key's bytes as four little-endian words, zero past its end. The parser hands keys over in
// a buffer with at least kMaxKey readable bytes after any key, so a key is read a word at a
// time and its tail masked off: no call to memcmp, one branch per key.
struct KeyWords {
  std::uint64_t w[4] = {0, 0, 0, 0};
};

constexpr KeyWords wordsOf(std::string_view k) noexcept {
  KeyWords kw;
  for (std::size_t i = 0; i < k.size() && i < kMaxKey; ++i) {
    kw.w[i / 8] |= std::uint64_t{static_cast<unsigned char>(k[i])} << (8 * (i % 8));
  }
  return kw;
}

// Multiplicative hash of the first word and the length; the multiplier was searched for to
// be collision-free over the names in the tables above (checked at compile time below).
constexpr std::size_t keyHash(std::uint64_t w0, std::size_t n) noexcept {
  return static_cast<std::size_t>(((w0 + n) * 0xc04579bf7f7755ddULL) >> 57);
}

struct KeySlot {
  KeyWords words;
  std::string_view name;
  Field field = Field::kNone;
  bool collision = false;
};

template <std::size_t N>
constexpr void addKeys(std::array<KeySlot, kKeySlots>& slots, const std::array<KeyName, N>& table) {
  for (const auto& k : table) {
    const KeyWords kw = wordsOf(k.name);
    KeySlot& slot = slots[keyHash(kw.w[0], k.name.size())];
    if (!slot.name.empty() && slot.name != k.name) slot.collision = true;
    slot.words = kw;
    slot.name = k.name;
    slot.field = k.field;
  }
}

constexpr std::array<KeySlot, kKeySlots> makeKeySlots() {
  std::array<KeySlot, kKeySlots> slots{};
  addKeys(slots, kEnvelopeKeys);
  addKeys(slots, kEntryKeys);
  addKeys(slots, kEventKeys);
  addKeys(slots, kParticipantKeys);
  addKeys(slots, kMessageKeys);
  addKeys(slots, kPayloadKey);
  addKeys(slots, kMidKey);
  addKeys(slots, kAttachmentKeys);
  addKeys(slots, kUrlKey);
  addKeys(slots, kReadKeys);
  addKeys(slots, kDeliveryKeys);
  addKeys(slots, kPostbackKeys);
  addKeys(slots, kReferralKeys);
  addKeys(slots, kHandoverKeys);
  addKeys(slots, kChangeKeys);
  addKeys(slots, kReactionKeys);
  addKeys(slots, kOptinKeys);
  addKeys(slots, kMessageEditKeys);
  return slots;
}

inline constexpr std::array<KeySlot, kKeySlots> kKeySlotTable = makeKeySlots();

constexpr bool collisionFree() {
  for (const auto& slot : kKeySlotTable) {
    if (slot.collision) return false;
  }
  return true;
}
static_assert(collisionFree(), "keyHash collides: pick new constants");
static_assert(static_cast<int>(Field::kNotificationToken) < 64, "field masks are 64-bit");

template <std::size_t N>
constexpr std::uint64_t maskOf(const std::array<KeyName, N>& table) {
  std::uint64_t m = 0;
  for (const auto& k : table) m |= std::uint64_t{1} << static_cast<int>(k.field);
  return m;
}

// Which fields each context models; zero where keys are not looked up.
constexpr std::array<std::uint64_t, static_cast<std::size_t>(Ctx::kChange) + 1> makeMasks() {
  std::array<std::uint64_t, static_cast<std::size_t>(Ctx::kChange) + 1> m{};
  m[static_cast<std::size_t>(Ctx::kEnvelope)] = maskOf(kEnvelopeKeys);
  m[static_cast<std::size_t>(Ctx::kEntry)] = maskOf(kEntryKeys);
  m[static_cast<std::size_t>(Ctx::kEvent)] = maskOf(kEventKeys);
  m[static_cast<std::size_t>(Ctx::kParticipant)] = maskOf(kParticipantKeys);
  m[static_cast<std::size_t>(Ctx::kMessage)] = maskOf(kMessageKeys);
  m[static_cast<std::size_t>(Ctx::kQuickReply)] = maskOf(kPayloadKey);
  m[static_cast<std::size_t>(Ctx::kReplyTo)] = maskOf(kMidKey);
  m[static_cast<std::size_t>(Ctx::kAttachment)] = maskOf(kAttachmentKeys);
  m[static_cast<std::size_t>(Ctx::kAttachmentPayload)] = maskOf(kUrlKey);
  m[static_cast<std::size_t>(Ctx::kRead)] = maskOf(kReadKeys);
  m[static_cast<std::size_t>(Ctx::kDelivery)] = maskOf(kDeliveryKeys);
  m[static_cast<std::size_t>(Ctx::kPostback)] = maskOf(kPostbackKeys);
  m[static_cast<std::size_t>(Ctx::kReferral)] = maskOf(kReferralKeys);
  m[static_cast<std::size_t>(Ctx::kHandover)] = maskOf(kHandoverKeys);
  m[static_cast<std::size_t>(Ctx::kChange)] = maskOf(kChangeKeys);
  m[static_cast<std::size_t>(Ctx::kReaction)] = maskOf(kReactionKeys);
  m[static_cast<std::size_t>(Ctx::kOptin)] = maskOf(kOptinKeys);
  m[static_cast<std::size_t>(Ctx::kMessageEdit)] = maskOf(kMessageEditKeys);
  return m;
}

inline constexpr auto kContextMasks = makeMasks();

// Masks keeping the first n bytes of each of the four words, for n = 0..kMaxKey.
constexpr std::array<KeyWords, kMaxKey + 1> makeLengthMasks() {
  std::array<KeyWords, kMaxKey + 1> m{};
  for (std::size_t n = 0; n <= kMaxKey; ++n) {
    for (std::size_t i = 0; i < n; ++i) m[n].w[i / 8] |= std::uint64_t{0xff} << (8 * (i % 8));
  }
  return m;
}
inline constexpr auto kLengthMasks = makeLengthMasks();

/// The field the key at `s` (n bytes, kMaxKey readable) names if `mask` allows it, else kNone.
inline Field findKey(const char* s, std::size_t n, std::uint64_t mask) noexcept {
  if (n > kMaxKey) return Field::kNone;
  const KeyWords& m = kLengthMasks[n];
  const std::uint64_t w0 = loadLittleEndian64(s) & m.w[0];
  const KeySlot& slot = kKeySlotTable[keyHash(w0, n)];
  const std::uint64_t diff = (w0 ^ slot.words.w[0]) |
                             ((loadLittleEndian64(s + 8) & m.w[1]) ^ slot.words.w[1]) |
                             ((loadLittleEndian64(s + 16) & m.w[2]) ^ slot.words.w[2]) |
                             ((loadLittleEndian64(s + 24) & m.w[3]) ^ slot.words.w[3]);
  // An empty slot has no words and no length: only an empty key could match it, as kNone.
  if ((diff | (slot.name.size() ^ n)) != 0) return Field::kNone;
  const auto bit = static_cast<int>(slot.field);
  return ((mask >> bit) & 1u) != 0 ? slot.field : Field::kNone;
}

// "`name`" of a modelled key, for error messages.
inline std::string fieldName(Field f) {
  auto find = [f](const auto& table) -> std::string_view {
    for (const auto& k : table) {
      if (k.field == f) return k.name;
    }
    return {};
  };
  std::string_view name;
  for (std::string_view n :
       {find(kEnvelopeKeys), find(kEntryKeys), find(kEventKeys), find(kMessageKeys),
        find(kReadKeys), find(kDeliveryKeys), find(kPostbackKeys), find(kReferralKeys),
        find(kHandoverKeys), find(kUrlKey), find(kChangeKeys), find(kParticipantKeys),
        find(kReactionKeys), find(kOptinKeys), find(kMessageEditKeys)}) {
    if (name.empty()) name = n;
  }
  if (name.empty()) return "a field";
  return "`" + std::string(name) + "`";
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
