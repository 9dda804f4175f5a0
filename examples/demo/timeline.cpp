#include "timeline.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "handover/webhook/parser.hpp"

namespace demo {
namespace {

std::string str(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::string serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

TimelineSlice readTimeline(const handover::emulator::Emulator& emulator, std::uint64_t since) {
  TimelineSlice out;
  out.last_seq = since;
  rapidjson::Document doc;
  const std::string json = emulator.timelineJson();
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsArray()) {
    out.problems.push_back("the emulator's timeline is not a JSON array");
    return out;
  }
  for (const auto& entry : doc.GetArray()) {
    if (!entry.IsObject() || !entry.HasMember("seq") || !entry["seq"].IsUint64()) continue;
    const std::uint64_t seq = entry["seq"].GetUint64();
    if (seq <= since) continue;
    out.last_seq = std::max(out.last_seq, seq);
    const std::string kind = str(entry, "kind");
    if (kind == "graph") {
      const int status =
          entry.HasMember("status") && entry["status"].IsInt() ? entry["status"].GetInt() : 0;
      const std::int64_t stamp_before =
          entry.HasMember("stamp_before") && entry["stamp_before"].IsInt64()
              ? entry["stamp_before"].GetInt64()
              : 0;
      out.calls.push_back(
          {str(entry, "app_id"), str(entry, "method"), str(entry, "path"), status, stamp_before});
      if (status >= 400) {
        FailedCall f;
        f.app_id = str(entry, "app_id");
        f.method = str(entry, "method");
        f.path = str(entry, "path");
        f.status = status;
        if (entry.HasMember("response")) f.response = serialize(entry["response"]);
        out.failed_calls.push_back(std::move(f));
      }
      continue;
    }
    if (kind != "delivery") continue;
    const std::string app = str(entry, "app_id");
    const std::string outcome = str(entry, "outcome");
    if (outcome != "delivered") {
      out.problems.push_back("delivery to app " + app + ": " + outcome + " (status " +
                             std::to_string(entry["status"].GetInt()) + ")");
      continue;
    }
    if (!entry.HasMember("body")) continue;
    // The body as the app received it, read with the SDK's own parser.
    auto batch = handover::webhook::parse(serialize(entry["body"]));
    if (!batch) {
      out.problems.push_back("unreadable delivery body: " + batch.error().message);
      continue;
    }
    const auto stamps = entry.FindMember("stamps");
    for (std::size_t i = 0; i < batch->events.size(); ++i) {
      std::int64_t stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                               batch->events[i].timestamp.time_since_epoch())
                               .count();
      if (stamps != entry.MemberEnd() && stamps->value.IsArray() && i < stamps->value.Size() &&
          stamps->value[static_cast<rapidjson::SizeType>(i)].IsInt64()) {
        stamp = stamps->value[static_cast<rapidjson::SizeType>(i)].GetInt64();
      }
      out.delivered.push_back({seq, app, std::move(batch->events[i]), stamp});
    }
  }
  return out;
}

}  // namespace demo
