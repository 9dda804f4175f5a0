// One SAX pass over the body (RapidJSON Reader, recursive with the depth bounded by the
// handler, numbers as raw text so ids stay exact, in situ over a per-thread copy of the body),
// after input checks over the raw bytes (UTF-8, lone surrogates: input_checks.hpp). The layers:
// input_checks (bytes), parse_keys (key lookup), parse_numbers (integers), sax_handler (the
// state machine); this file owns the per-thread buffers and the entry point.

#include "handover/webhook/parser.hpp"

#include "input_checks.hpp"
#include "parse_error.hpp"
#include "sax_handler.hpp"
#include "whatsapp_changes.hpp"

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

using namespace detail;  // the parser's own layers

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

constexpr std::string_view kWhatsAppObject = "whatsapp_business_account";

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
  return bodyError(std::move(message), at);
}

// The one pass both entry points share: the same checks in the same order, so `validate`
// refuses exactly the bodies `parse` refuses. `keep_events` false reads every event into one
// scratch event instead of keeping it. Returns the handler's event count.
Result<std::size_t> run(std::string_view body, const ParseOptions& options, bool keep_events,
                        Batch& batch) {
  if (body.size() > options.max_body_bytes) {
    return bodyError("body of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
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
    return bodyError("invalid UTF-8", *bad);
  }
  if (const auto bad = detail::firstLoneLowSurrogate(body)) {
    return bodyError("a low surrogate escape (\\uDC00-\\uDFFF) without a high one before it", *bad);
  }
  std::memcpy(copy, body.data(), body.size());
  std::memset(copy + body.size(), 0, kPadding);

  // A real event takes 150+ bytes of JSON: one allocation up front instead of regrowing
  // (bounded by the body size and by max_events).
  if (keep_events) batch.events.reserve(std::min(body.size() / 160 + 1, options.max_events));
  Stream is(copy);
  const bool recursive = options.max_depth <= kMaxRecursiveDepth;
  SaxHandler handler(body, copy, is, options, recursive, state.other_keys, batch, keep_events);
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
  if (handler.fatal()) return bodyError(handler.fatalMessage(), handler.fatalOffset());
  if (!ok) return syntaxError(ok, body);
  for (std::size_t at = is.Tell(); at < body.size(); ++at) {
    if (!isJsonSpace(body[at])) {
      return bodyError("bytes after the JSON value (a body is exactly one value)", at);
    }
  }
  if (!handler.sawEntry()) return bodyError("no `entry` array", 0);
  if (batch.object != kWhatsAppObject) return handler.events();
  // A WhatsApp body's events are its `changes` values, read by their own layer.
  const std::size_t before = batch.events.size();
  if (auto e = readWhatsAppChanges(batch, options.max_events)) return *std::move(e);
  return handler.events() + (batch.events.size() - before);
}

Platform platformOf(const std::string& object) {
  if (object == "instagram") return Platform::kInstagram;
  if (object == kWhatsAppObject) return Platform::kWhatsApp;
  return Platform::kMessenger;
}

}  // namespace

Result<Batch> parse(std::string_view body, const ParseOptions& options) {
  Batch batch;
  auto read = run(body, options, true, batch);
  if (!read) return read.error();
  batch.platform = platformOf(batch.object);
  for (Event& e : batch.events) e.platform = batch.platform;
  return batch;
}

Result<BodySummary> validate(std::string_view body, const ParseOptions& options) {
  Batch scratch;
  auto read = run(body, options, false, scratch);
  if (!read) return read.error();
  BodySummary summary;
  summary.events = *read;
  summary.event_errors = scratch.errors.size();
  summary.changes = scratch.changes.size();
  return summary;
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
