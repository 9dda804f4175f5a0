#pragma once
// One JSON object per output line, written with RapidJSON's Writer (strings escaped, UTF-8 kept).

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace handover::cli {

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
  /// `json` must be one valid JSON value (it comes from the webhook parser's raw slices).
  JsonLine& raw(std::string_view key, std::string_view json) {
    this->key(key);
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
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
};

}  // namespace handover::cli
