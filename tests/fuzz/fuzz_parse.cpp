// libFuzzer target for handover::webhook::parse: any bytes must give a batch or a typed error,
// never a crash, a leak or undefined behaviour; and a few invariants must hold.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "handover/webhook/parser.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Decoded strings must be UTF-8 whatever escapes the body used (a lone \udc00 once came out as
// ED B0 80). Written here again, plainly, rather than calling the parser's own check.
bool validUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80         ? 1
                      : (c >> 5) == 6  ? 2
                      : (c >> 4) == 14 ? 3
                      : (c >> 3) == 30 ? 4
                                       : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    const std::uint32_t min = len == 1 ? 0 : len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace handover;
  using namespace handover::webhook;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // The defaults; a shallow depth; and caps small enough for the fuzzer's inputs to cross
  // them (it rarely grows an input near the default 1 MiB).
  ParseOptions defaults;
  ParseOptions shallow;
  shallow.max_depth = 6;
  ParseOptions small;
  small.max_body_bytes = 512;
  small.max_events = 3;
  for (const ParseOptions& options : {defaults, shallow, small}) {
    auto r = parse(body, options);
    // validate decides what parse decides (the endpoint's 400 or 200), with the same counts.
    auto v = validate(body, options);
    check(bool(v) == bool(r));
    if (!r) check(v.error().message == r.error().message && v.error().offset == r.error().offset);
    if (r) {
      check(v->events == r->events.size() && v->event_errors == r->errors.size() &&
            v->changes == r->changes.size());
    }
    if (!r) {
      check(r.error().category == ErrorCategory::kParse);
      check(r.error().offset.has_value() && *r.error().offset <= size);
      continue;
    }
    check(size <= options.max_body_bytes);
    check(r->events.size() + r->errors.size() + r->changes.size() <= options.max_events);
    // Exactly one value: after its closing brace, only JSON whitespace.
    const std::size_t last = body.find_last_not_of(" \t\r\n");
    check(last != std::string_view::npos && body[last] == '}');
    for (const Event& e : r->events) {
      (void)dedupKey(e);
      (void)e.userId();
      check(e.platform == r->platform);
      check(e.span.offset + e.span.size <= size && e.span.size >= 2);
      check(body[e.span.offset] == '{' && body[e.span.offset + e.span.size - 1] == '}');
      if (const auto* m = e.get<Message>()) check(validUtf8(m->text) && validUtf8(m->mid));
      check(validUtf8(e.sender.id) && validUtf8(e.page_id));
      if (const auto* u = e.get<Unknown>()) {
        // Raw text is a slice of the input, from '{' to '}'.
        check(!u->raw_json.empty() && u->raw_json.front() == '{' && u->raw_json.back() == '}');
        check(body.find(u->raw_json) != std::string_view::npos);
      }
    }
    for (const EventError& err : r->errors) check(err.offset <= size && !err.message.empty());
    for (const Change& c : r->changes) {
      check(c.value_json.empty() || body.find(c.value_json) != std::string_view::npos);
    }
  }
  return 0;
}
