#include "json_tree.hpp"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstdint>
#include <utility>

HANDOVER_BEGIN_NAMESPACE
namespace webhook::detail {

// Builds a JsonTree from RapidJSON's iterative SAX events. Offsets: the iterative reader calls
// StartObject/EndObject (and the array ones) before taking the bracket, and every scalar or key
// handler after taking its text; a scalar starts at the first byte after the previous token that
// is not whitespace, ',' or ':'.
class TreeBuilder {
 public:
  TreeBuilder(JsonTree& tree, rapidjson::MemoryStream& is) : tree_(tree), is_(is) {}

  bool Null() { return scalar(JsonNode::Type::kNull, "", 0); }
  bool Bool(bool b) { return scalar(JsonNode::Type::kBool, b ? "true" : "false", b ? 4 : 5); }
  bool Int(int) { return false; }  // numbers arrive as text (kParseNumbersAsStringsFlag)
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return scalar(JsonNode::Type::kNumber, s, n);
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return scalar(JsonNode::Type::kString, s, n);
  }
  bool StartObject() { return open(JsonNode::Type::kObject); }
  bool StartArray() { return open(JsonNode::Type::kArray); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    pending_key_.assign(s, n);
    last_ = is_.Tell();
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  std::size_t start(std::size_t from) const {
    const std::string_view json = tree_.json_;
    while (from < json.size()) {
      const char c = json[from];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ',' && c != ':') break;
      ++from;
    }
    return from;
  }

  std::size_t add(JsonNode::Type type, std::size_t begin) {
    const std::size_t index = tree_.nodes_.size();
    JsonNode& n = tree_.nodes_.emplace_back();
    n.type = type;
    n.begin = begin;
    n.key = std::move(pending_key_);
    pending_key_.clear();
    if (!stack_.empty()) tree_.nodes_[stack_.back()].children.push_back(index);
    return index;
  }

  bool scalar(JsonNode::Type type, const char* s, std::size_t n) {
    const std::size_t index = add(type, start(last_));
    tree_.nodes_[index].text.assign(s, n);
    last_ = is_.Tell();
    tree_.nodes_[index].end = last_;
    return true;
  }
  bool open(JsonNode::Type type) {
    stack_.push_back(add(type, is_.Tell()));
    last_ = is_.Tell() + 1;
    return true;
  }
  bool close() {
    last_ = is_.Tell() + 1;
    JsonNode& n = tree_.nodes_[stack_.back()];
    n.end = last_;
    stack_.pop_back();
    return !n.isObject() || distinctKeys(n);
  }

  // Sorted, so that an object of many keys costs n log n, not n^2. The error names the repeat
  // that comes first in the body.
  bool distinctKeys(const JsonNode& object) {
    std::vector<std::pair<std::string_view, std::size_t>> keys;
    keys.reserve(object.children.size());
    for (std::size_t child : object.children) {
      keys.emplace_back(tree_.nodes_[child].key, tree_.nodes_[child].begin);
    }
    std::sort(keys.begin(), keys.end());
    const std::pair<std::string_view, std::size_t>* first = nullptr;
    for (std::size_t i = 1; i < keys.size(); ++i) {
      if (keys[i].first == keys[i - 1].first &&
          (first == nullptr || keys[i].second < first->second)) {
        first = &keys[i];
      }
    }
    if (first == nullptr) return true;
    tree_.error = "duplicate key `" + std::string(first->first) + "`";
    tree_.error_offset = first->second;
    return false;
  }

  JsonTree& tree_;
  rapidjson::MemoryStream& is_;
  std::vector<std::size_t> stack_;
  std::string pending_key_;
  std::size_t last_ = 0;
};

bool JsonTree::read(std::string_view json) {
  // Iterative: no recursion to bound (the SAX pass has bounded the body's depth already).
  json_ = json;
  nodes_.clear();
  error.clear();
  // A memory stream ends at the slice's end: no terminated copy of the value is needed.
  rapidjson::MemoryStream is(json.data(), json.size());
  TreeBuilder builder(*this, is);
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  const rapidjson::ParseResult ok = reader.Parse<kFlags>(is, builder);
  if (!ok) {
    if (error.empty()) {
      error = "unreadable value";
      error_offset = ok.Offset();
    }
    return false;
  }
  return !nodes_.empty();
}

const JsonNode* JsonTree::member(const JsonNode& object, std::string_view key) const {
  if (!object.isObject()) return nullptr;
  for (std::size_t child : object.children) {
    if (nodes_[child].key == key) return &nodes_[child];
  }
  return nullptr;
}

const std::string* JsonTree::string(const JsonNode& object, std::string_view key) const {
  const JsonNode* n = member(object, key);
  return n != nullptr && n->isString() ? &n->text : nullptr;
}

std::optional<std::string> JsonTree::id(const JsonNode& object, std::string_view key) const {
  const JsonNode* n = member(object, key);
  if (n == nullptr) return std::nullopt;
  if (n->isString()) return n->text;
  if (n->type == JsonNode::Type::kNumber && !n->text.empty()) {
    for (char c : n->text) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    return n->text;
  }
  return std::nullopt;
}

}  // namespace webhook::detail
HANDOVER_END_NAMESPACE
