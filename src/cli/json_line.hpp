#pragma once
// One JSON object per output line, written with RapidJSON's Writer (strings escaped, UTF-8 kept).

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace cli {

/// SAX handler that copies a document into a Writer, numbers digit for digit: RapidJSON's own
/// Writer::RawNumber would quote them.
template <typename W>
struct ExactCopy : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ExactCopy<W>> {
  explicit ExactCopy(W& w) : out(w) {}
  bool Null() { return out.Null(); }
  bool Bool(bool b) { return out.Bool(b); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return out.RawValue(s, n, rapidjson::kNumberType);
  }
  bool String(const char* s, rapidjson::SizeType n, bool) { return out.String(s, n); }
  bool StartObject() { return out.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return out.Key(s, n); }
  bool EndObject(rapidjson::SizeType) { return out.EndObject(); }
  bool StartArray() { return out.StartArray(); }
  bool EndArray(rapidjson::SizeType) { return out.EndArray(); }
  W& out;
};

class JsonLine {
 public:
  using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

  JsonLine() : writer_(buffer_) { writer_.StartObject(); }

  JsonLine& str(std::string_view key, std::string_view value) {
    this->key(key);
    return string(value);
  }
  /// The value, or JSON null when absent.
  JsonLine& optStr(std::string_view key, const std::optional<std::string>& value) {
    this->key(key);
    if (value) return string(*value);
    writer_.Null();
    return *this;
  }
  JsonLine& integer(std::string_view key, std::int64_t value) {
    this->key(key);
    writer_.Int64(value);
    return *this;
  }
  // A time is written as the wire has it: its count since the epoch, in its own unit (epoch ms
  // for a Timestamp, epoch seconds for an `expiration`).
  template <class Duration>
  JsonLine& integer(std::string_view key,
                    std::chrono::time_point<std::chrono::system_clock, Duration> value) {
    return integer(key, static_cast<std::int64_t>(value.time_since_epoch().count()));
  }
  template <class Duration>
  JsonLine& optInteger(
      std::string_view key,
      const std::optional<std::chrono::time_point<std::chrono::system_clock, Duration>>& value) {
    if (value) return integer(key, *value);
    return optInteger(key, std::optional<std::int64_t>());
  }
  JsonLine& optInteger(std::string_view key, const std::optional<std::int64_t>& value) {
    this->key(key);
    if (value) {
      writer_.Int64(*value);
    } else {
      writer_.Null();
    }
    return *this;
  }
  JsonLine& boolean(std::string_view key, bool value) {
    this->key(key);
    writer_.Bool(value);
    return *this;
  }
  /// Re-emits one JSON value (a raw slice kept by the webhook parser) compactly, so the output
  /// stays one line; numbers are copied digit for digit (ids beyond 2^64 included).
  /// Returns false, writing null, when `json` is not valid JSON.
  bool rawValue(std::string_view json) {
    rapidjson::Reader reader;
    rapidjson::MemoryStream ms(json.data(), json.size());
    rapidjson::Writer<rapidjson::StringBuffer> scratch_writer(scratch_);
    ExactCopy<rapidjson::Writer<rapidjson::StringBuffer>> copy(scratch_writer);
    scratch_.Clear();
    if (!reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(ms, copy)) {
      writer_.Null();
      return false;
    }
    writer_.RawValue(scratch_.GetString(), scratch_.GetSize(), rapidjson::kObjectType);
    return true;
  }
  JsonLine& raw(std::string_view key, std::string_view json) {
    this->key(key);
    rawValue(json);
    return *this;
  }
  JsonLine& key(std::string_view key) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    return *this;
  }
  JsonLine& string(std::string_view value) {
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  /// For arrays and nested objects.
  Writer& writer() { return writer_; }

  /// The finished object, without a newline.
  std::string finish() {
    writer_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  rapidjson::StringBuffer buffer_;
  Writer writer_;
  rapidjson::StringBuffer scratch_;
};

}  // namespace cli
HANDOVER_END_NAMESPACE
