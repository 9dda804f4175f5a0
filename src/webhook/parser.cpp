// One SAX pass over the body (RapidJSON Reader, recursive with the depth bounded by the
// handler, numbers as raw text so ids stay exact, in situ over a per-thread copy of the body),
// after input checks over the raw bytes (UTF-8, lone surrogates: input_checks.hpp). The handler is
// a state machine over a small frame stack: every container we model gets a frame context; anything
// else is skipped by counting nesting. Raw JSON (Unknown events, attachment payloads, dashboard
// `changes` values) is sliced out of the input by byte offsets, so nothing is re-serialised.

#include "handover/webhook/parser.hpp"

#include "input_checks.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

HANDOVER_BEGIN_NAMESPACE
namespace webhook {
namespace {

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

const char* typeName(VType t) {
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

constexpr std::array<KeyName, 2> kEnvelopeKeys{
    {{"object", Field::kObject}, {"entry", Field::kEntry}}};
constexpr std::array<KeyName, 5> kEntryKeys{{{"id", Field::kId},
                                             {"time", Field::kTime},
                                             {"messaging", Field::kMessaging},
                                             {"standby", Field::kStandby},
                                             {"changes", Field::kChanges}}};
constexpr std::array<KeyName, 15> kEventKeys{{{"sender", Field::kSender},
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
constexpr std::array<KeyName, 2> kParticipantKeys{
    {{"id", Field::kId}, {"user_ref", Field::kUserRef}}};
constexpr std::array<KeyName, 10> kMessageKeys{{{"mid", Field::kMid},
                                                {"text", Field::kText},
                                                {"is_echo", Field::kIsEcho},
                                                {"app_id", Field::kAppId},
                                                {"metadata", Field::kMetadata},
                                                {"quick_reply", Field::kQuickReply},
                                                {"reply_to", Field::kReplyTo},
                                                {"attachments", Field::kAttachments},
                                                {"is_deleted", Field::kIsDeleted},
                                                {"is_unsupported", Field::kIsUnsupported}}};
constexpr std::array<KeyName, 1> kPayloadKey{{{"payload", Field::kPayload}}};
constexpr std::array<KeyName, 1> kMidKey{{{"mid", Field::kMid}}};
constexpr std::array<KeyName, 2> kAttachmentKeys{
    {{"type", Field::kType}, {"payload", Field::kPayload}}};
constexpr std::array<KeyName, 1> kUrlKey{{{"url", Field::kUrl}}};
constexpr std::array<KeyName, 2> kReadKeys{
    {{"watermark", Field::kWatermark}, {"mid", Field::kMid}}};
constexpr std::array<KeyName, 2> kDeliveryKeys{
    {{"mids", Field::kMids}, {"watermark", Field::kWatermark}}};
constexpr std::array<KeyName, 4> kPostbackKeys{{{"mid", Field::kMid},
                                                {"title", Field::kTitle},
                                                {"payload", Field::kPayload},
                                                {"referral", Field::kReferral}}};
constexpr std::array<KeyName, 5> kReferralKeys{{{"ref", Field::kRef},
                                                {"source", Field::kSource},
                                                {"type", Field::kType},
                                                {"ad_id", Field::kAdId},
                                                {"referer_uri", Field::kRefererUri}}};
constexpr std::array<KeyName, 4> kReactionKeys{{{"mid", Field::kMid},
                                                {"action", Field::kAction},
                                                {"reaction", Field::kReaction},
                                                {"emoji", Field::kEmoji}}};
constexpr std::array<KeyName, 6> kOptinKeys{
    {{"type", Field::kType},
     {"ref", Field::kRef},
     {"user_ref", Field::kUserRef},
     {"payload", Field::kPayload},
     {"title", Field::kTitle},
     {"notification_messages_token", Field::kNotificationToken}}};
constexpr std::array<KeyName, 3> kMessageEditKeys{
    {{"mid", Field::kMid}, {"text", Field::kText}, {"num_edit", Field::kNumEdit}}};
constexpr std::array<KeyName, 4> kHandoverKeys{{{"previous_owner_app_id", Field::kPreviousOwner},
                                                {"new_owner_app_id", Field::kNewOwner},
                                                {"requested_owner_app_id", Field::kRequestedOwner},
                                                {"metadata", Field::kMetadata}}};
constexpr std::array<KeyName, 2> kChangeKeys{{{"field", Field::kField}, {"value", Field::kValue}}};

// --- key dispatch ----------------------------------------------------------------------------
// Every modelled key names one `Field` whatever the object it appears in, so a key is found with
// one perfect-hash probe and one compare, then kept only if its object allows it (a bit mask
// per context). Comparing against each candidate in turn mispredicted branches on every key,
// which cost more than the parse itself.

constexpr std::size_t kKeySlots = 128;
constexpr std::size_t kMaxKey = 32;  // longer keys are never modelled ones

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

constexpr std::array<KeySlot, kKeySlots> kKeySlotTable = makeKeySlots();

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

constexpr auto kContextMasks = makeMasks();

// Masks keeping the first n bytes of each of the four words, for n = 0..kMaxKey.
constexpr std::array<KeyWords, kMaxKey + 1> makeLengthMasks() {
  std::array<KeyWords, kMaxKey + 1> m{};
  for (std::size_t n = 0; n <= kMaxKey; ++n) {
    for (std::size_t i = 0; i < n; ++i) m[n].w[i / 8] |= std::uint64_t{0xff} << (8 * (i % 8));
  }
  return m;
}
constexpr auto kLengthMasks = makeLengthMasks();

inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// The field the key at `s` (n bytes, kMaxKey readable) names if `mask` allows it, else kNone.
inline Field findKey(const char* s, std::size_t n, std::uint64_t mask) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (n > kMaxKey) return Field::kNone;
  const KeyWords& m = kLengthMasks[n];
  const std::uint64_t w0 = load64(s) & m.w[0];
  const KeySlot& slot = kKeySlotTable[keyHash(w0, n)];
  const std::uint64_t diff = (w0 ^ slot.words.w[0]) | ((load64(s + 8) & m.w[1]) ^ slot.words.w[1]) |
                             ((load64(s + 16) & m.w[2]) ^ slot.words.w[2]) |
                             ((load64(s + 24) & m.w[3]) ^ slot.words.w[3]);
  // An empty slot has no words and no length: only an empty key could match it, as kNone.
  if ((diff | (slot.name.size() ^ n)) != 0) return Field::kNone;
#else
  if (n > kMaxKey) return Field::kNone;
  const KeySlot& slot = kKeySlotTable[keyHash(wordsOf(std::string_view(s, n)).w[0], n)];
  if (slot.name != std::string_view(s, n)) return Field::kNone;
#endif
  const auto bit = static_cast<int>(slot.field);
  return ((mask >> bit) & 1u) != 0 ? slot.field : Field::kNone;
}

// "`name`" of a modelled key, for error messages.
std::string fieldName(Field f) {
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

bool allDigits(const char* s, std::size_t n) {
  if (n == 0) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
// Eight ASCII digits, first in the lowest byte, to their value (SWAR: a handful of multiplies
// instead of a loop with a branch per digit); false if a byte is not a digit.
inline bool eightDigits(std::uint64_t w, std::uint64_t& out) noexcept {
  // A digit byte is 0x3N with N+6 still below 0x10. A carry out of a byte needs a byte >= 0xFA,
  // which already fails its own test.
  constexpr std::uint64_t kHigh = 0xF0F0F0F0F0F0F0F0ULL;
  if (((w & kHigh) | (((w + 0x0606060606060606ULL) & kHigh) >> 4)) != 0x3333333333333333ULL) {
    return false;
  }
  w -= 0x3030303030303030ULL;
  w = w * 10 + (w >> 8);
  w = (((w & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
       (((w >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >>
      32;
  out = w & 0xFFFFFFFFULL;
  return true;
}

// k (1..8) digits at p, which has 8 readable bytes: placed last in the word, '0's before.
inline bool fewDigits(const char* p, std::size_t k, std::uint64_t& out) noexcept {
  std::uint64_t w = load64(p);
  if (k < 8) w = (w << (8 * (8 - k))) | (0x3030303030303030ULL >> (8 * k));
  return eightDigits(w, out);
}

constexpr std::uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
#endif

// `s` is a number in the parse buffer: 16 bytes from it are readable.
bool toInt64(const char* s, std::size_t n, std::int64_t& out) {
  const bool negative = n > 0 && s[0] == '-';
  if (negative) {
    ++s;
    --n;
  }
  if (n == 0) return false;
  std::uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (n <= 16) {  // epoch milliseconds have 13 digits; 16 never overflow
    std::uint64_t hi = 0, lo = 0;
    if (n <= 8) {
      if (!fewDigits(s, n, v)) return false;
    } else {
      if (!fewDigits(s, 8, hi) || !fewDigits(s + 8, n - 8, lo)) return false;
      v = hi * kPow10[n - 8] + lo;
    }
    out = negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
    return true;
  }
#endif
  // 18 digits never overflow; only longer numbers pay for the exact check.
  const std::size_t fast = n < 18 ? n : 18;
  for (std::size_t i = 0; i < fast; ++i) {
    const auto d = static_cast<std::uint64_t>(static_cast<unsigned char>(s[i]) - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  const std::uint64_t limit =
      negative ? std::uint64_t{1} << 63 : static_cast<std::uint64_t>(INT64_MAX);
  for (std::size_t i = fast; i < n; ++i) {
    const auto d = static_cast<std::uint64_t>(static_cast<unsigned char>(s[i]) - '0');
    if (d > 9 || v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  out = negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  return true;
}

// Most destinations are still empty: appending then skips assign's overlap and resize logic.
inline void setString(std::string& dst, const char* s, std::size_t n) {
  if (dst.empty()) {
    if (n > 15) {
      dst = std::string(s, n);
    } else {
      dst.append(s, n);
    }
  } else {
    dst.assign(s, n);
  }
}

// Lists in events (mids, attachments, app roles) hold a few items: room for kFewItems at the
// first one means one block per list, not one per doubling.
constexpr std::size_t kFewItems = 4;

template <typename T>
std::vector<T>& firstOfFew(std::vector<T>& v) {
  if (v.capacity() == 0) v.reserve(kFewItems);
  return v;
}

// The echo-only fields of `message`: whether it is an echo is known only at its end, so the
// message is read as a `Message` and turned into an `Echo` then.
struct EchoScratch {
  bool is_echo = false, has_app_id = false;
  std::string app_id, metadata;
};

// The body is parsed in situ, in a copy: RapidJSON then decodes strings in place and hands
// them over where they lie instead of copying them to its own stack first, and reads numbers
// without copying them twice. Offsets in the copy are those of the body; raw JSON is always
// sliced from the body, which is never written.
using Stream = rapidjson::InsituStringStream;

// A key we do not model, kept (in the in-situ copy, which later strings never overwrite)
// until its object ends, to check that no key repeats.
struct KeyRef {
  const char* s;
  std::size_t n;
  std::string_view view() const { return {s, n}; }
};

class SaxHandler {
 public:
  SaxHandler(std::string_view body, const char* copy, Stream& is, const ParseOptions& options,
             bool recursive, std::vector<KeyRef>& other_keys, Batch& batch)
      : body_(body),
        copy_(copy),
        is_(is),
        max_depth_(options.max_depth),
        batch_(batch),
        recursive_(recursive),
        max_items_(options.max_events),
        other_keys_(other_keys) {
    other_keys_.clear();
  }

  // --- RapidJSON SAX interface ---------------------------------------------------------------
  // Where a scalar starts in the body: strings and numbers from their pointer into the copy
  // (RapidJSON works on a local copy of the stream meanwhile, so Tell() is stale there); the
  // literals from the stream, which is just past them.
  bool Null() {
    value_start_ = is_.Tell() - 4;
    return scalar(VType::kNull, nullptr, 0);
  }
  bool Bool(bool b) {
    bool_value_ = b;
    value_start_ = is_.Tell() - (b ? 4 : 5);
    return scalar(VType::kBool, nullptr, 0);
  }
  bool Int(int) { return unexpectedNumber(); }
  bool Uint(unsigned) { return unexpectedNumber(); }
  bool Int64(std::int64_t) { return unexpectedNumber(); }
  bool Uint64(std::uint64_t) { return unexpectedNumber(); }
  bool Double(double) { return unexpectedNumber(); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    value_start_ = static_cast<std::size_t>(s - copy_);
    return scalar(VType::kNumber, s, n);
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    value_start_ = static_cast<std::size_t>(s - copy_) - 1;  // the opening quote
    return scalar(VType::kString, s, n);
  }
  bool StartObject() { return start(VType::kObject); }
  bool StartArray() { return start(VType::kArray); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (skip_ > 0) return true;
    const Ctx c = ctx_[depth_];
    if (c == Ctx::kAppRoles) {
      pending_ = Field::kRoleApp;
      role_app_.assign(s, n);
      other_keys_.push_back({s, n});
      return true;
    }
    pending_ = findKey(s, n, kContextMasks[static_cast<std::size_t>(c)]);
    if (pending_ == Field::kNone) {
      // Checked for duplicates when the object ends (rare: Meta's objects are mostly modelled).
      other_keys_.push_back({s, n});
      if (c == Ctx::kEvent && unknown_key_start_ == 0) {
        // An offset, not a copy: the name is only needed if the event ends up Unknown.
        unknown_key_start_ = static_cast<std::size_t>(s - copy_);
      }
      return true;
    }
    // A second `mid` (or `entry`, `sender`...) would let two readers of one body disagree.
    const std::uint64_t bit = std::uint64_t{1} << static_cast<int>(pending_);
    if ((seen_[depth_] & bit) != 0) return duplicateKey(s, n);
    seen_[depth_] |= bit;
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return end(); }
  bool EndArray(rapidjson::SizeType) { return end(); }

  // --- results ---------------------------------------------------------------------------------
  bool fatal() const { return fatal_; }
  const std::string& fatalMessage() const { return fatal_message_; }
  std::size_t fatalOffset() const { return fatal_offset_; }
  bool sawEntry() const { return saw_entry_; }

 private:
  static constexpr std::size_t kFrames = 16;

  bool duplicateKey(const char* s, std::size_t n) {
    return fatalError("duplicate key `" + std::string(s, n) + "`",
                      static_cast<std::size_t>(s - copy_) - 1);
  }

  // The unmodelled keys of the object that just ended (`from`..end of other_keys_) are
  // distinct: pairwise for the few an object has, sorted when a body sends many. The error
  // names the first repeated key in document order.
  bool distinctKeys(std::size_t from) {
    const std::size_t count = other_keys_.size() - from;
    if (count < 2) return true;
    const char* first_repeat = nullptr;
    std::size_t repeat_size = 0;
    auto note = [&](const KeyRef& k) {
      if (first_repeat == nullptr || k.s < first_repeat) {
        first_repeat = k.s;
        repeat_size = k.n;
      }
    };
    if (count <= 16) {
      for (std::size_t i = from + 1; i < other_keys_.size(); ++i) {
        for (std::size_t j = from; j < i; ++j) {
          if (other_keys_[i].view() == other_keys_[j].view()) note(other_keys_[i]);
        }
      }
    } else {
      std::vector<KeyRef> sorted(other_keys_.begin() + static_cast<std::ptrdiff_t>(from),
                                 other_keys_.end());
      std::sort(sorted.begin(), sorted.end(), [](const KeyRef& a, const KeyRef& b) {
        return a.view() != b.view() ? a.view() < b.view() : a.s < b.s;
      });
      for (std::size_t i = 1; i < sorted.size(); ++i) {
        if (sorted[i].view() == sorted[i - 1].view()) note(sorted[i]);
      }
    }
    return first_repeat == nullptr || duplicateKey(first_repeat, repeat_size);
  }

  // Events, event errors and `changes` items of one body are bounded (ParseOptions::max_events).
  bool roomForItem(std::size_t at) {
    if (batch_.events.size() + batch_.errors.size() + batch_.changes.size() < max_items_) {
      return true;
    }
    return fatalError("more than " + std::to_string(max_items_) + " events in one body", at);
  }

  bool unexpectedNumber() { return fail("number not delivered as text", is_.Tell()); }

  // Where the bracket being handled stands: RapidJSON's recursive mode has consumed it before
  // calling the handler, its iterative mode has not.
  std::size_t bracketAt() const { return is_.Tell() - (recursive_ ? 1 : 0); }

  std::size_t scalarStart() const { return value_start_; }

  // One past the end of the scalar just read, in the body (only raw `changes` values need it).
  std::size_t scalarEnd(VType t, std::size_t n) const {
    if (t == VType::kString) return stringEnd(value_start_ + 1) + 1;
    if (t == VType::kNumber) return value_start_ + n;
    return is_.Tell();
  }

  // The closing quote of the string whose text starts at `from` (escapes as written).
  std::size_t stringEnd(std::size_t from) const {
    std::size_t p = from;
    while (p < body_.size() && body_[p] != '"') p += body_[p] == '\\' ? 2 : 1;
    return p;
  }

  bool start(VType t) {
    if (depth_ >= max_depth_) {
      fatal_ = true;
      fatal_message_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
      fatal_offset_ = bracketAt();
      return false;
    }
    ++depth_;
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    const Field f = pending_;
    pending_ = Field::kNone;
    const std::size_t at = bracketAt();  // the '{' or '['
    const Ctx parent = ctx_[depth_ - 1];
    auto enter = [&](Ctx c) {
      if (depth_ >= kFrames) return fail("nesting beyond the webhook schema", at);
      ctx_[depth_] = c;
      seen_[depth_] = 0;
      other_begin_[depth_] = other_keys_.size();
      return true;
    };
    auto skipThis = [&] {
      skip_ = 1;
      return true;
    };
    auto wrongType = [&](const std::string& what) { return typeError(what, t, at); };

    switch (parent) {
      case Ctx::kRoot:
        if (t != VType::kObject) return fatalError("the body must be a JSON object", at);
        return enter(Ctx::kEnvelope);
      case Ctx::kEnvelope:
        if (f == Field::kEntry) {
          if (t != VType::kArray) return fatalError("`entry` must be an array", at);
          saw_entry_ = true;
          return enter(Ctx::kEntries);
        }
        if (f == Field::kObject) return fatalError("`object` must be a string", at);
        return skipThis();
      case Ctx::kEntries:
        beginEntry();
        if (t != VType::kObject) {
          if (!roomForItem(at)) return false;
          entryError("an entry must be an object", at);
          return skipThis();
        }
        entry_depth_ = depth_;
        entry_open_ = true;
        return enter(Ctx::kEntry);
      case Ctx::kEntry:
        switch (f) {
          case Field::kMessaging:
          case Field::kStandby:
            if (t != VType::kArray) return wrongType("`messaging`/`standby`");
            standby_ = f == Field::kStandby;
            event_index_ = 0;
            return enter(Ctx::kEvents);
          case Field::kChanges:
            if (t != VType::kArray) return wrongType("`changes`");
            return enter(Ctx::kChanges);
          case Field::kId:
            return wrongType("`entry.id`");
          case Field::kTime:
            return wrongType("`entry.time`");
          default:
            return skipThis();
        }
      case Ctx::kEvents:
        if (!beginEvent(at)) return false;
        if (t != VType::kObject) {
          eventError("an event must be an object", at);
          return skipThis();
        }
        event_depth_ = depth_;
        event_open_ = true;
        return enter(Ctx::kEvent);
      case Ctx::kEvent:
        switch (f) {
          case Field::kSender:
          case Field::kRecipient:
            if (t != VType::kObject) return wrongType(fieldName(f));
            if (f == Field::kSender) has_sender_ = true;
            participant_ = f == Field::kSender ? &ev_->sender : &ev_->recipient;
            return enter(Ctx::kParticipant);
          case Field::kMessage:
          case Field::kRead:
          case Field::kDelivery:
          case Field::kPostback:
          case Field::kPass:
          case Field::kTake:
          case Field::kRequest:
          case Field::kAppRoles:
          case Field::kReaction:
          case Field::kReferral:
          case Field::kOptin:
          case Field::kMessageEdit:
            if (payload_ != Field::kNone) {
              // Which one counts would depend on the reader: refuse the event instead.
              return fail("an event carries both " + fieldName(payload_) + " and " + fieldName(f),
                          at);
            }
            if (t != VType::kObject) return wrongType(fieldName(f));
            payload_ = f;
            preparePayload(f);
            return enter(payloadCtx(f));
          case Field::kTimestamp:
            return wrongType("`timestamp`");
          default:
            return skipThis();
        }
      case Ctx::kMessage:
        switch (f) {
          case Field::kQuickReply:
            if (t != VType::kObject) return wrongType("`quick_reply`");
            return enter(Ctx::kQuickReply);
          case Field::kReplyTo:
            if (t != VType::kObject) return wrongType("`reply_to`");
            return enter(Ctx::kReplyTo);
          case Field::kAttachments:
            if (t != VType::kArray) return wrongType("`attachments`");
            return enter(Ctx::kAttachments);
          case Field::kNone:
            return skipThis();
          default:
            return wrongType(fieldName(f));
        }
      case Ctx::kAttachments:
        if (t != VType::kObject) return wrongType("an attachment");
        firstOfFew(msg_->attachments).emplace_back();
        return enter(Ctx::kAttachment);
      case Ctx::kAttachment:
        if (f == Field::kPayload) {
          if (t != VType::kObject) return wrongType("`attachment.payload`");
          raw_start_ = at;
          return enter(Ctx::kAttachmentPayload);
        }
        if (f == Field::kType) return wrongType("`attachment.type`");
        return skipThis();
      case Ctx::kDelivery:
        if (f == Field::kMids) {
          if (t != VType::kArray) return wrongType("`mids`");
          return enter(Ctx::kMids);
        }
        if (f == Field::kWatermark) return wrongType("`watermark`");
        return skipThis();
      case Ctx::kPostback:
        if (f == Field::kReferral) {
          if (t != VType::kObject) return wrongType("`referral`");
          referral_ = &postback_->referral.emplace();
          return enter(Ctx::kReferral);
        }
        if (f != Field::kNone) return wrongType(fieldName(f));
        return skipThis();
      case Ctx::kAppRoles:
        if (t != VType::kArray) return wrongType("an `app_roles` value");
        firstOfFew(roles_->apps).push_back(AppRole{std::move(role_app_), {}});
        role_app_.clear();
        return enter(Ctx::kRoles);
      case Ctx::kChanges:
        if (t != VType::kObject) return skipThis();  // test payloads only; nothing to lose
        if (!roomForItem(at)) return false;
        batch_.changes.emplace_back();
        return enter(Ctx::kChange);
      case Ctx::kChange:
        if (f == Field::kValue) {
          raw_start_ = at;
          capture_ = &batch_.changes.back().value_json;
        }
        return skipThis();
      case Ctx::kMids:
      case Ctx::kRoles:
        return wrongType("an array item");
      default:
        if (f != Field::kNone) return wrongType(fieldName(f));
        return skipThis();
    }
  }

  bool end() {
    const std::size_t at = bracketAt();  // the '}' or ']'
    --depth_;
    if (skip_ > 0) {
      if (--skip_ == 0 && capture_ != nullptr) {
        capture_->assign(body_.data() + raw_start_, at + 1 - raw_start_);
        capture_ = nullptr;
      }
      return true;
    }
    pending_ = Field::kNone;
    const std::size_t keys_from = other_begin_[depth_ + 1];
    if (!distinctKeys(keys_from)) return false;
    other_keys_.resize(keys_from);
    switch (ctx_[depth_ + 1]) {
      case Ctx::kEntry:
        finishEntry();
        break;
      case Ctx::kEvent:
        finishEvent(at);
        break;
      case Ctx::kAttachmentPayload:
        msg_->attachments.back().payload_json.assign(body_.data() + raw_start_,
                                                     at + 1 - raw_start_);
        break;
      default:
        break;
    }
    return true;
  }

  bool scalar(VType t, const char* s, std::size_t n) {
    if (skip_ > 0) return true;
    const Field f = pending_;
    pending_ = Field::kNone;
    const Ctx c = ctx_[depth_];
    auto str = [&](std::string& dst, const char* what) {
      if (t == VType::kNull) return true;
      if (t != VType::kString) return typeError(what, t, scalarStart());
      setString(dst, s, n);
      return true;
    };
    auto optStr = [&](std::optional<std::string>& dst, const char* what) {
      if (t == VType::kNull) return true;
      if (t != VType::kString) return typeError(what, t, scalarStart());
      dst.emplace(s, n);
      return true;
    };
    // An id: a JSON string, or a non-negative integer kept as its exact decimal text.
    auto id = [&](std::string& dst, const char* what) {
      if (t == VType::kNull) return true;
      if (t == VType::kString || (t == VType::kNumber && allDigits(s, n))) {
        setString(dst, s, n);
        return true;
      }
      return typeError(what, t, scalarStart());
    };
    auto optId = [&](std::optional<std::string>& dst, const char* what) {
      if (t == VType::kNull) return true;
      dst.emplace();
      return id(*dst, what);
    };
    auto i64 = [&](std::int64_t& dst, const char* what) {
      if (t == VType::kNull) return true;
      if (t != VType::kNumber || !toInt64(s, n, dst)) {
        return typeError(what, t, scalarStart());
      }
      return true;
    };
    auto time = [&](Timestamp& dst, const char* what) {
      if (t == VType::kNull) return true;
      std::int64_t v = 0;
      if (!i64(v, what)) return false;
      dst = fromEpochMillis(v);
      return true;
    };
    auto optTime = [&](std::optional<Timestamp>& dst, const char* what) {
      if (t == VType::kNull) return true;
      Timestamp v{};
      if (!time(v, what)) return false;
      dst = v;
      return true;
    };
    auto boolean = [&](bool& dst, const char* what) {
      if (t == VType::kNull) return true;
      if (t != VType::kBool) return typeError(what, t, scalarStart());
      dst = bool_value_;
      return true;
    };

    switch (c) {
      case Ctx::kRoot: {
        std::size_t at = 0;
        while (at < body_.size() &&
               (body_[at] == ' ' || body_[at] == '\t' || body_[at] == '\n' || body_[at] == '\r')) {
          ++at;
        }
        return fatalError("the body must be a JSON object", at);
      }
      case Ctx::kEnvelope:
        if (f == Field::kObject) {
          if (t != VType::kString) return fatalError("`object` must be a string", scalarStart());
          batch_.object.assign(s, n);
        } else if (f == Field::kEntry) {
          return fatalError("`entry` must be an array", scalarStart());
        }
        return true;
      case Ctx::kEntries:
        beginEntry();
        if (!roomForItem(scalarStart())) return false;
        return entryError("an entry must be an object", scalarStart());
      case Ctx::kEntry:
        switch (f) {
          case Field::kId:
            return id(entry_id_, "`entry.id`");
          case Field::kTime:
            return time(entry_time_, "`entry.time`");
          case Field::kMessaging:
          case Field::kStandby:
            return t == VType::kNull || typeError("`messaging`/`standby`", t, scalarStart());
          default:  // `changes` and unknown entry keys: nothing to keep from a scalar
            return true;
        }
      case Ctx::kEvents: {
        const std::size_t at = scalarStart();
        if (!beginEvent(at)) return false;
        return eventError("an event must be an object", at);
      }
      case Ctx::kEvent:
        switch (f) {
          case Field::kTimestamp:
            return time(ev_->timestamp, "`timestamp`");
          case Field::kNone:
            return true;
          default:
            // `sender: null` and friends: treat as absent; any other scalar is wrong.
            return t == VType::kNull || typeError("an event field", t, scalarStart());
        }
      case Ctx::kParticipant:
        if (f == Field::kId) return id(participant_->id, "`id`");
        if (f == Field::kUserRef) return id(participant_->user_ref, "`user_ref`");
        return true;
      case Ctx::kMessage:
        switch (f) {
          case Field::kMid:
            return str(msg_->mid, "`mid`");
          case Field::kText:
            return str(msg_->text, "`text`");
          case Field::kIsEcho:
            return boolean(echo_.is_echo, "`is_echo`");
          case Field::kAppId:
            echo_.has_app_id = t != VType::kNull;
            return id(echo_.app_id, "`app_id`");
          case Field::kMetadata:
            return str(echo_.metadata, "`metadata`");
          case Field::kIsDeleted:
            return boolean(msg_->is_deleted, "`is_deleted`");
          case Field::kIsUnsupported:
            return boolean(msg_->is_unsupported, "`is_unsupported`");
          case Field::kNone:
            return true;
          default:
            return t == VType::kNull || typeError("a `message` field", t, scalarStart());
        }
      case Ctx::kQuickReply:
        return f != Field::kPayload || optStr(msg_->quick_reply_payload, "`quick_reply.payload`");
      case Ctx::kReplyTo:
        return f != Field::kMid || str(msg_->reply_to_mid, "`reply_to.mid`");
      case Ctx::kAttachments:
        return typeError("an attachment", t, scalarStart());
      case Ctx::kAttachment:
        if (f == Field::kType) return str(msg_->attachments.back().type, "`attachment.type`");
        return true;
      case Ctx::kAttachmentPayload:
        if (f == Field::kUrl) return str(msg_->attachments.back().url, "`payload.url`");
        return true;
      case Ctx::kRead:
        if (f == Field::kWatermark) return optTime(read_->watermark, "`watermark`");
        if (f == Field::kMid) return str(read_->mid, "`mid`");
        return true;
      case Ctx::kDelivery:
        if (f == Field::kWatermark) return optTime(delivery_->watermark, "`watermark`");
        if (f == Field::kMids) return t == VType::kNull || typeError("`mids`", t, scalarStart());
        return true;
      case Ctx::kMids:
        if (t != VType::kString) return typeError("a `mids` item", t, scalarStart());
        firstOfFew(delivery_->mids).emplace_back(s, n);
        return true;
      case Ctx::kPostback:
        switch (f) {
          case Field::kMid:
            return str(postback_->mid, "`mid`");
          case Field::kTitle:
            return str(postback_->title, "`title`");
          case Field::kPayload:
            return optStr(postback_->payload, "`payload`");
          case Field::kReferral:
            return t == VType::kNull || typeError("`referral`", t, scalarStart());
          default:
            return true;
        }
      case Ctx::kReferral:
        switch (f) {
          case Field::kRef:
            return str(referral_->ref, "`ref`");
          case Field::kSource:
            return str(referral_->source, "`source`");
          case Field::kType:
            return str(referral_->type, "`type`");
          case Field::kAdId:
            return id(referral_->ad_id, "`ad_id`");
          case Field::kRefererUri:
            return str(referral_->referer_uri, "`referer_uri`");
          default:
            return true;
        }
      case Ctx::kReaction:
        switch (f) {
          case Field::kMid:
            return str(reaction_->mid, "`mid`");
          case Field::kReaction:
            return str(reaction_->reaction, "`reaction`");
          case Field::kEmoji:
            return str(reaction_->emoji, "`emoji`");
          case Field::kAction:
            if (t != VType::kString) return typeError("`action`", t, scalarStart());
            reaction_->action = reactionAction(std::string_view(s, n));
            return true;
          default:
            return true;
        }
      case Ctx::kOptin:
        switch (f) {
          case Field::kType:
            return str(optin_->type, "`type`");
          case Field::kRef:
            return str(optin_->ref, "`ref`");
          case Field::kUserRef:
            return id(optin_->user_ref, "`user_ref`");
          case Field::kPayload:
            return str(optin_->payload, "`payload`");
          case Field::kTitle:
            return str(optin_->title, "`title`");
          case Field::kNotificationToken:
            return str(optin_->notification_messages_token, "`notification_messages_token`");
          default:
            return true;
        }
      case Ctx::kMessageEdit:
        switch (f) {
          case Field::kMid:
            return str(edit_->mid, "`mid`");
          case Field::kText:
            return str(edit_->text, "`text`");
          case Field::kNumEdit:
            return i64(edit_->edit_count, "`num_edit`");
          default:
            return true;
        }
      case Ctx::kHandover:
        switch (f) {
          case Field::kPreviousOwner:
            return prev_owner_ == nullptr || optId(*prev_owner_, "`previous_owner_app_id`");
          case Field::kNewOwner:
            return new_owner_ == nullptr || optId(*new_owner_, "`new_owner_app_id`");
          case Field::kRequestedOwner:
            return requested_ == nullptr || id(*requested_, "`requested_owner_app_id`");
          case Field::kMetadata:
            return str(*handover_metadata_, "`metadata`");
          default:
            return true;
        }
      case Ctx::kAppRoles:
        return typeError("an `app_roles` value", t, scalarStart());
      case Ctx::kRoles:
        if (t != VType::kString) return typeError("a role", t, scalarStart());
        firstOfFew(roles_->apps.back().roles).emplace_back(s, n);
        return true;
      case Ctx::kChanges:
        return true;
      case Ctx::kChange:
        if (f == Field::kField) return str(batch_.changes.back().field, "`field`");
        if (f == Field::kValue) {
          const std::size_t from = scalarStart();
          batch_.changes.back().value_json.assign(body_.data() + from, scalarEnd(t, n) - from);
        }
        return true;
    }
    return true;
  }

  static Ctx payloadCtx(Field f) {
    switch (f) {
      case Field::kMessage:
        return Ctx::kMessage;
      case Field::kRead:
        return Ctx::kRead;
      case Field::kDelivery:
        return Ctx::kDelivery;
      case Field::kPostback:
        return Ctx::kPostback;
      case Field::kAppRoles:
        return Ctx::kAppRoles;
      case Field::kReaction:
        return Ctx::kReaction;
      case Field::kReferral:
        return Ctx::kReferral;
      case Field::kOptin:
        return Ctx::kOptin;
      case Field::kMessageEdit:
        return Ctx::kMessageEdit;
      default:
        return Ctx::kHandover;
    }
  }

  static ReactionAction reactionAction(std::string_view v) {
    if (v == "react") return ReactionAction::kReact;
    if (v == "unreact") return ReactionAction::kUnreact;
    return ReactionAction::kOther;
  }

  // --- entries and events --------------------------------------------------------------------

  void beginEntry() {
    entry_first_event_ = batch_.events.size();
    entry_first_change_ = batch_.changes.size();
    entry_id_.clear();
    entry_time_ = Timestamp{};
  }

  void finishEntry() {
    for (std::size_t i = entry_first_event_; i < batch_.events.size(); ++i) {
      batch_.events[i].page_id = entry_id_;
      batch_.events[i].entry_time = entry_time_;
    }
    for (std::size_t i = entry_first_change_; i < batch_.changes.size(); ++i) {
      batch_.changes[i].page_id = entry_id_;
    }
    ++entry_index_;
    entry_open_ = false;
  }

  // The event is built in place at the end of `batch_.events`: no copy, no move.
  bool beginEvent(std::size_t at) {
    if (!roomForItem(at)) return false;
    ev_ = &batch_.events.emplace_back();
    ev_->standby = standby_;
    event_start_ = at;
    unknown_key_start_ = 0;
    payload_ = Field::kNone;
    has_sender_ = false;
    return true;
  }

  void preparePayload(Field f) {
    EventPayload& p = ev_->payload;
    switch (f) {
      case Field::kMessage:
        // A new event already holds an empty Message (the variant's first alternative).
        msg_ = std::get_if<Message>(&p);
        if (msg_ == nullptr) msg_ = &p.emplace<Message>();
        echo_.is_echo = echo_.has_app_id = false;
        echo_.app_id.clear();
        echo_.metadata.clear();
        break;
      case Field::kRead:
        read_ = &p.emplace<Read>();
        break;
      case Field::kDelivery:
        delivery_ = &p.emplace<Delivery>();
        break;
      case Field::kPostback:
        postback_ = &p.emplace<Postback>();
        break;
      case Field::kAppRoles:
        roles_ = &p.emplace<AppRoles>();
        break;
      case Field::kReaction:
        reaction_ = &p.emplace<Reaction>();
        break;
      case Field::kReferral:
        referral_ = &p.emplace<Referral>();
        break;
      case Field::kOptin:
        optin_ = &p.emplace<Optin>();
        break;
      case Field::kMessageEdit:
        edit_ = &p.emplace<MessageEdit>();
        break;
      case Field::kPass: {
        auto& pass = p.emplace<PassThreadControl>();
        setHandover(&pass.previous_owner_app_id, &pass.new_owner_app_id, nullptr, &pass.metadata);
        break;
      }
      case Field::kTake: {
        auto& take = p.emplace<TakeThreadControl>();
        setHandover(&take.previous_owner_app_id, &take.new_owner_app_id, nullptr, &take.metadata);
        break;
      }
      default: {
        auto& req = p.emplace<RequestThreadControl>();
        setHandover(nullptr, nullptr, &req.requested_owner_app_id, &req.metadata);
        break;
      }
    }
  }

  void setHandover(std::optional<std::string>* prev, std::optional<std::string>* next,
                   std::string* requested, std::string* metadata) {
    prev_owner_ = prev;
    new_owner_ = next;
    requested_ = requested;
    handover_metadata_ = metadata;
  }

  // Kinds Meta always sends with a sender: without one the event has no conversation.
  static bool needsSender(Field payload) {
    return payload != Field::kNone && payload != Field::kAppRoles && payload != Field::kOptin;
  }

  void finishEvent(std::size_t at) {
    ev_->span = BodySpan{event_start_, at + 1 - event_start_};
    if (has_sender_ && ev_->sender.empty()) {
      eventError("`sender` has neither `id` nor `user_ref`", event_start_);
      return;
    }
    if (!has_sender_ && needsSender(payload_)) {
      eventError("the event has no `sender`", event_start_);
      return;
    }
    if (payload_ == Field::kNone) {
      const std::size_t key_end = unknown_key_start_ == 0 ? 0 : stringEnd(unknown_key_start_);
      ev_->payload.emplace<Unknown>(
          Unknown{std::string(body_.data() + unknown_key_start_, key_end - unknown_key_start_),
                  std::string(body_.data() + event_start_, at + 1 - event_start_)});
    } else if (payload_ == Field::kMessage && echo_.is_echo) {
      Echo e;
      e.mid = std::move(msg_->mid);
      e.text = std::move(msg_->text);
      if (echo_.has_app_id) e.app_id = std::move(echo_.app_id);
      e.metadata = std::move(echo_.metadata);
      e.attachments = std::move(msg_->attachments);
      ev_->payload = std::move(e);
    }
    ++event_index_;
    event_open_ = false;
  }

  // --- errors ----------------------------------------------------------------------------------

  bool typeError(const std::string& what, VType got, std::size_t at) {
    std::string msg = what + " has the wrong JSON type (" + typeName(got) + ")";
    return fail(std::move(msg), at);
  }

  // A problem inside an event spoils that event; inside an entry (outside events), the entry;
  // in the envelope, the body.
  bool fail(std::string message, std::size_t at) {
    if (event_open_) return eventError(std::move(message), at, depth_ - event_depth_ + 1);
    if (entry_open_) return entryError(std::move(message), at, depth_ - entry_depth_ + 1);
    return fatalError(std::move(message), at);
  }

  // Records the error and skips `levels` open containers (the rest of the event).
  bool eventError(std::string message, std::size_t at, std::size_t levels = 0) {
    batch_.events.pop_back();  // every eventError follows a beginEvent
    EventError e;
    e.entry_index = entry_index_;
    e.event_index = event_index_;
    e.standby = standby_;
    e.offset = at;
    e.message = std::move(message);
    batch_.errors.push_back(std::move(e));
    ++event_index_;
    event_open_ = false;
    skip_ = levels;
    return true;
  }

  bool entryError(std::string message, std::size_t at, std::size_t levels = 0) {
    const std::size_t dropped = batch_.events.size() - entry_first_event_;
    batch_.events.resize(entry_first_event_);
    batch_.changes.resize(entry_first_change_);
    EventError e;
    e.entry_index = entry_index_;
    e.offset = at;
    e.message = std::move(message) + "; the entry is skipped";
    if (dropped > 0) e.message += " (" + std::to_string(dropped) + " events already read)";
    batch_.errors.push_back(std::move(e));
    ++entry_index_;
    entry_open_ = false;
    skip_ = levels;
    return true;
  }

  bool fatalError(std::string message, std::size_t at) {
    fatal_ = true;
    fatal_message_ = std::move(message);
    fatal_offset_ = at;
    return false;
  }

  std::string_view body_;
  const char* copy_;  // the in-situ copy of body_: same offsets
  Stream& is_;
  std::size_t max_depth_;
  Batch& batch_;

  bool recursive_;
  std::size_t max_items_;
  std::vector<KeyRef>& other_keys_;  // kept by the thread: no allocation per body

  std::array<Ctx, kFrames> ctx_{};             // ctx_[d]: the container open at depth d (0: root)
  std::array<std::uint64_t, kFrames> seen_{};  // modelled keys already met at depth d
  std::array<std::size_t, kFrames> other_begin_{};  // its first unmodelled key in other_keys_

  std::size_t depth_ = 0;
  std::size_t skip_ = 0;  // open containers being skipped
  Field pending_ = Field::kNone;
  bool bool_value_ = false;

  bool saw_entry_ = false, entry_open_ = false, event_open_ = false;
  std::size_t entry_index_ = 0, entry_depth_ = 0, entry_first_event_ = 0, entry_first_change_ = 0;
  std::string entry_id_;
  Timestamp entry_time_{};

  bool standby_ = false;
  std::size_t event_index_ = 0, event_depth_ = 0, event_start_ = 0;
  std::size_t unknown_key_start_ = 0;  // 0: no unmodelled key yet (a key never starts there)
  Event* ev_ = nullptr;                // the event being read: batch_.events.back()
  Field payload_ = Field::kNone;
  Participant* participant_ = nullptr;
  Message* msg_ = nullptr;
  EchoScratch echo_;
  Read* read_ = nullptr;
  Delivery* delivery_ = nullptr;
  Postback* postback_ = nullptr;
  AppRoles* roles_ = nullptr;
  Reaction* reaction_ = nullptr;
  Referral* referral_ = nullptr;
  Optin* optin_ = nullptr;
  MessageEdit* edit_ = nullptr;
  bool has_sender_ = false;
  std::optional<std::string>*prev_owner_ = nullptr, *new_owner_ = nullptr;
  std::string *requested_ = nullptr, *handover_metadata_ = nullptr;
  std::string role_app_;

  std::size_t raw_start_ = 0;
  std::string* capture_ = nullptr;

  std::size_t value_start_ = 0;  // offset of the scalar being handled

  bool fatal_ = false;
  std::string fatal_message_;
  std::size_t fatal_offset_ = 0;
};

Error parseError(std::string message, std::size_t offset) {
  Error e;
  e.category = ErrorCategory::kParse;
  e.message = "webhook body: " + std::move(message);
  e.offset = offset;
  return e;
}

// Zero bytes after the copied body: the NUL RapidJSON stops at, and slack for the word-wide
// reads of keys and numbers.
constexpr std::size_t kPadding = 32;
static_assert(kPadding >= kMaxKey && kPadding >= 16,
              "findKey reads kMaxKey bytes from any key, toInt64 16 from any number");
// A thread keeps its copy buffer only up to this size, so one huge body does not pin memory.
constexpr std::size_t kKeptBuffer = std::size_t{64} * 1024;
// Nor its Reader's state stack (a few bytes per nesting level) when a caller allows deep bodies.
constexpr std::size_t kKeptReaderDepth = 1024;
// Up to this max_depth RapidJSON parses recursively: a few hundred bytes of stack per level
// (more under sanitizers), well within any thread's stack. Deeper limits parse iteratively.
constexpr std::size_t kMaxRecursiveDepth = 256;

struct ThreadState {
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;
  rapidjson::Reader reader;  // keeps its (small) state stack between bodies
  std::vector<KeyRef> other_keys;
};

bool isJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// RapidJSON's message, with what a reader of a broken body wants first: where it ended, or
// that a NUL byte (which no JSON text contains) stopped it.
Error syntaxError(const rapidjson::ParseResult& r, std::string_view body) {
  const std::size_t at = std::min(r.Offset(), body.size());
  std::string message = rapidjson::GetParseError_En(r.Code());
  if (at == body.size()) {
    message = "the body ended before its JSON value did (" + message + ")";
  } else if (body[at] == '\0') {
    message = "a NUL byte where JSON text was expected";
  }
  return parseError(std::move(message), at);
}

}  // namespace

Result<Batch> parse(std::string_view body, const ParseOptions& options) {
  if (body.size() > options.max_body_bytes) {
    return parseError("body of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                          std::to_string(options.max_body_bytes),
                      options.max_body_bytes);
  }
  thread_local ThreadState state;
  std::unique_ptr<char[]> big;  // bodies above kKeptBuffer get their own, freed on return
  char* copy = nullptr;
  const std::size_t need = body.size() + kPadding;
  if (need <= kKeptBuffer) {
    if (state.capacity < need) {
      state.buffer.reset(new char[kKeptBuffer]);
      state.capacity = kKeptBuffer;
    }
    copy = state.buffer.get();
  } else {
    big.reset(new char[need]);
    copy = big.get();
  }
  // Input checks RapidJSON is not asked to make (see input_checks.hpp).
  if (const auto bad = detail::firstInvalidUtf8(body)) {
    return parseError("invalid UTF-8", *bad);
  }
  if (const auto bad = detail::firstLoneLowSurrogate(body)) {
    return parseError("a low surrogate escape (\\uDC00-\\uDFFF) without a high one before it",
                      *bad);
  }
  std::memcpy(copy, body.data(), body.size());
  std::memset(copy + body.size(), 0, kPadding);

  Batch batch;
  // A real event takes 150+ bytes of JSON: one allocation up front instead of regrowing
  // (bounded by the body size and by max_events).
  batch.events.reserve(std::min(body.size() / 160 + 1, options.max_events));
  Stream is(copy);
  const bool recursive = options.max_depth <= kMaxRecursiveDepth;
  SaxHandler handler(body, copy, is, options, recursive, state.other_keys, batch);
  // Stop after the value, so that whatever follows (a NUL byte included) is checked below.
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseStopWhenDoneFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::ParseResult ok;
  if (recursive) {
    // The handler refuses to open a level beyond max_depth, which bounds RapidJSON's recursion
    // as well as its iterative mode would, at a fifth less time per byte.
    ok = state.reader.Parse<kFlags>(is, handler);
  } else {
    rapidjson::Reader own_reader;  // allocates nothing unless used
    rapidjson::Reader& reader = options.max_depth <= kKeptReaderDepth ? state.reader : own_reader;
    ok = reader.Parse<kFlags | rapidjson::kParseIterativeFlag>(is, handler);
  }
  if (handler.fatal()) return parseError(handler.fatalMessage(), handler.fatalOffset());
  if (!ok) return syntaxError(ok, body);
  for (std::size_t at = is.Tell(); at < body.size(); ++at) {
    if (!isJsonSpace(body[at])) {
      return parseError("bytes after the JSON value (a body is exactly one value)", at);
    }
  }
  if (!handler.sawEntry()) return parseError("no `entry` array", 0);
  batch.platform = batch.object == "instagram" ? Platform::kInstagram : Platform::kMessenger;
  for (Event& e : batch.events) e.platform = batch.platform;
  return batch;
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
