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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace handover;
  using namespace handover::webhook;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (std::size_t depth : {std::size_t{64}, std::size_t{6}}) {
    ParseOptions options;
    options.max_depth = depth;
    auto r = parse(body, options);
    if (!r) {
      check(r.error().category == ErrorCategory::kParse);
      check(r.error().offset.has_value() && *r.error().offset <= size);
      continue;
    }
    for (const Event& e : r->events) {
      (void)dedupKey(e);
      (void)e.userId();
      check(e.platform == r->platform);
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
