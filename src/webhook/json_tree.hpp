#pragma once
// Why a tree: WhatsApp events live inside `changes[].value` objects that are small, nested and
// shaped differently in Meta's pages and in live traffic (whatsapp.md §4), so they are read by
// path, with fallbacks, rather than by the SAX state machine's fixed contexts. The SAX pass has
// already held the whole body to the input rules (one value, UTF-8, depth, bounds) and sliced
// each value out; this tree re-reads one slice, refuses a repeated key in any of its objects (two
// readers of one body must not disagree), and keeps each node's bytes so that an item's raw JSON
// is the body's own, never re-serialised.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

struct JsonNode {
  enum class Type { kNull, kBool, kNumber, kString, kObject, kArray };
  Type type = Type::kNull;
  std::size_t begin = 0, end = 0;  // the value's bytes in the slice: [begin, end)
  std::string text;                // a string decoded, a number as written, "true"/"false"
  std::string key;                 // the member name, for a member of an object
  std::vector<std::size_t> children;

  bool isObject() const noexcept { return type == Type::kObject; }
  bool isArray() const noexcept { return type == Type::kArray; }
  bool isString() const noexcept { return type == Type::kString; }
};

class JsonTree {
 public:
  /// Reads `json` (a slice the SAX pass accepted). On a repeated key: false, with `error` and
  /// `error_offset` (in the slice) set.
  bool read(std::string_view json);

  const JsonNode& root() const { return nodes_.front(); }
  const JsonNode& node(std::size_t i) const { return nodes_[i]; }
  /// The member `key` of `object`, or nullptr (also when `object` is not an object).
  const JsonNode* member(const JsonNode& object, std::string_view key) const;
  /// `member(object, key)` when it is a string.
  const std::string* string(const JsonNode& object, std::string_view key) const;
  /// A string, or an integer's digits (ids arrive as both).
  std::optional<std::string> id(const JsonNode& object, std::string_view key) const;
  /// The node's bytes as they are in the slice.
  std::string raw(const JsonNode& n) const {
    return std::string(json_.substr(n.begin, n.end - n.begin));
  }

  std::string error;
  std::size_t error_offset = 0;

 private:
  friend class TreeBuilder;
  std::string_view json_;
  std::vector<JsonNode> nodes_;
};

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
