#pragma once
// The parser's state machine: a RapidJSON SAX handler over a small frame stack. Every container
// we model gets a frame context (parse_keys.hpp); anything else is skipped by counting nesting.
// Raw JSON (Unknown events, attachment payloads, dashboard `changes` values) is sliced out of the
// body by byte offsets, so nothing is re-serialised. Its members live in three files:
//   sax_structure.cpp  containers: entering and leaving objects and arrays, duplicate keys
//   sax_scalars.cpp    scalars: what each value means in the context it appears in
//   sax_events.cpp     entries and events (begin, finish, typed payload) and errors
//
// Adding a new event kind (checklist; see also include/handover/webhook/events.hpp). The
// compiler names the places marked (*) until they handle the kind: a switch over EventKind with
// no default (-Wswitch -Werror), or a visitor with one overload per payload alternative.
//   1. events.hpp: its struct, an EventPayload alternative and an EventKind value (in the same
//      order: a static_assert checks the count); events.cpp: toString (*), its redelivery
//      identity in dedupKey's IdentityFields (*).
//   2. parse_keys.hpp: its key in kEventKeys (a Field), a Ctx, and its own keys' table and mask.
//   3. sax_events.cpp: preparePayload (and needsSender when it may come without a sender);
//      sax_structure.cpp: the payload keys of the kEvent context, enter its Ctx;
//      sax_scalars.cpp: read its fields; payloadCtx.
//   4. src/tracker/event_observation.cpp: user activity or not (*).
//   5. src/cli/event_lines.cpp: its wire key (*); tests/cli/parse_contract.py learns it too.
//   6. router.hpp: an `on...` registration; a fixture with its `.parse.jsonl` (the one golden
//      rendering, checked against the CLI and tests/cli/parse_contract.py).

#include <rapidjson/reader.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handover/webhook/parser.hpp"
#include "parse_keys.hpp"
#include "parse_numbers.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

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
inline constexpr std::size_t kFewItems = 4;

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
  // `keep_events` false: validation only (webhook::validate). The same state machine makes the
  // same decisions, but every event is read into one scratch event that is reset for the next,
  // so the body's events are never kept; `events()` counts those a parse would return.
  SaxHandler(std::string_view body, const char* copy, Stream& is, const ParseOptions& options,
             bool recursive, std::vector<KeyRef>& other_keys, Batch& batch, bool keep_events)
      : body_(body),
        copy_(copy),
        is_(is),
        max_depth_(options.max_depth),
        batch_(batch),
        keep_events_(keep_events),
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
  // The events a parse returns (batch_.events.size() when they are kept).
  std::size_t events() const { return events_; }

 private:
  static constexpr std::size_t kFrames = 16;

  bool duplicateKey(const char* s, std::size_t n) {
    return fatalError("duplicate key `" + std::string(s, n) + "`",
                      static_cast<std::size_t>(s - copy_) - 1);
  }

  // The unmodelled keys of the object that just ended (`from`..end of other_keys_) are
  // distinct: pairwise for the few an object has, sorted when a body sends many. The error
  // names the first repeated key in document order.
  bool distinctKeys(std::size_t from);

  // Events, event errors and `changes` items of one body are bounded (ParseOptions::max_events).
  bool roomForItem(std::size_t at) {
    if (events_ + batch_.errors.size() + batch_.changes.size() < max_items_) {
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

  bool start(VType t);

  bool end();

  bool scalar(VType t, const char* s, std::size_t n);

  static Ctx payloadCtx(Field f);

  static ReactionAction reactionAction(std::string_view v);

  // --- entries and events --------------------------------------------------------------------

  void beginEntry();

  void finishEntry();

  // The event is built in place at the end of `batch_.events`: no copy, no move (validation
  // reuses the one scratch event there).
  bool beginEvent(std::size_t at);

  void preparePayload(Field f);

  void setHandover(std::optional<std::string>* prev, std::optional<std::string>* next,
                   std::string* requested, std::string* metadata) {
    prev_owner_ = prev;
    new_owner_ = next;
    requested_ = requested;
    handover_metadata_ = metadata;
  }

  // Kinds Meta always sends with a sender: without one the event has no conversation.
  static bool needsSender(Field payload);

  void finishEvent(std::size_t at);

  // --- errors ----------------------------------------------------------------------------------

  bool typeError(const std::string& what, VType got, std::size_t at);

  // A problem inside an event spoils that event; inside an entry (outside events), the entry;
  // in the envelope, the body.
  bool fail(std::string message, std::size_t at);

  // Records the error and skips `levels` open containers (the rest of the event).
  bool eventError(std::string message, std::size_t at, std::size_t levels = 0);

  bool entryError(std::string message, std::size_t at, std::size_t levels = 0);

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
  const bool keep_events_;
  std::size_t events_ = 0;  // events read and not dropped: batch_.events.size() when kept

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
  Change* capture_ = nullptr;
  std::size_t change_item_ = 0;  // items of the current `changes` array so far  // the `changes`
                                 // item whose `value` is being skipped and kept

  std::size_t value_start_ = 0;  // offset of the scalar being handled

  bool fatal_ = false;
  std::string fatal_message_;
  std::size_t fatal_offset_ = 0;
};

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
