#pragma once
// Small RapidJSON helpers shared by the emulator's sources (not installed).

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

/// Parses `text` into `doc` iteratively, as the client does: a deeply nested request body
/// cannot exhaust a server thread's stack. Strings must be valid UTF-8. Check
/// `doc.HasParseError()` after.
inline rapidjson::Document& parseJson(rapidjson::Document& doc, std::string_view text) {
  // RapidJSON takes a NUL byte for the end of its input, so "{...}\0garbage" would parse as
  // "{...}". JSON never holds a raw NUL (it writes \u0000): parsing from the NUL on makes the
  // whole text an error (an empty document).
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(nul);
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(),
                                                                                    text.size());
  return doc;
}

/// The first key that repeats within one object, at any depth (iteratively: a deep document
/// cannot exhaust the stack). Graph-like input validation: two readers of one body must not
/// disagree, and a second `access_token` must not slip past the scrubber.
inline std::optional<std::string> repeatedKey(const rapidjson::Value& root) {
  std::vector<const rapidjson::Value*> todo{&root};
  std::vector<std::string_view> names;
  while (!todo.empty()) {
    const rapidjson::Value* v = todo.back();
    todo.pop_back();
    if (v->IsArray()) {
      for (const auto& item : v->GetArray()) todo.push_back(&item);
    } else if (v->IsObject()) {
      names.clear();
      for (auto m = v->MemberBegin(); m != v->MemberEnd(); ++m) {
        names.emplace_back(m->name.GetString(), m->name.GetStringLength());
        todo.push_back(&m->value);
      }
      std::sort(names.begin(), names.end());
      const auto dup = std::adjacent_find(names.begin(), names.end());
      if (dup != names.end()) return std::string(*dup);
    }
  }
  return std::nullopt;
}

/// Removes every member named `key` at any depth (a nested or repeated secret included).
inline void removeEverywhere(rapidjson::Value& root, const char* key) {
  std::vector<rapidjson::Value*> todo{&root};
  while (!todo.empty()) {
    rapidjson::Value* v = todo.back();
    todo.pop_back();
    if (v->IsArray()) {
      for (auto& item : v->GetArray()) todo.push_back(&item);
    } else if (v->IsObject()) {
      while (v->RemoveMember(key)) {
      }
      for (auto m = v->MemberBegin(); m != v->MemberEnd(); ++m) todo.push_back(&m->value);
    }
  }
}

/// An id given as a JSON string or integer, as exact decimal text (never through a double).
inline std::optional<std::string> idText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  return std::nullopt;
}

inline void writeString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

inline void writeKey(JsonWriter& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

/// Writes an all-digit id as a bare JSON number (as some Meta payloads do), else as a string.
inline void writeIdNumber(JsonWriter& w, std::string_view id) {
  bool digits = !id.empty() && id.size() < 20 && id[0] != '0';
  for (char c : id) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    w.RawValue(id.data(), id.size(), rapidjson::kNumberType);
  } else {
    writeString(w, id);
  }
}

inline std::string escapeJsonString(std::string_view s) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  writeString(w, s);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
