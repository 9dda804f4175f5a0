// Part of Emulator::Impl (emulator_impl.hpp): the timeline: entries as JSON, request bodies with
// secrets scrubbed, and the filtered view.

#include <string>

#include "emulator_impl.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

std::chrono::steady_clock::time_point& Emulator::Impl::requestStartedAt() {
  thread_local std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
  return at;
}

std::int64_t& Emulator::Impl::stampAtRequestStart() {
  thread_local std::int64_t stamp = 0;
  return stamp;
}

// Request text goes on record only when it keeps the timeline valid and small.
std::string Emulator::Impl::recordable(const std::string& text) {
  if (text.size() <= 1024 && detail::isValidUtf8(text)) return text;
  return "(" + std::to_string(text.size()) + " bytes, not recorded: too long or not UTF-8)";
}

// One timeline entry; `app_id` is kept beside the JSON for the `app` filter.
void Emulator::Impl::record(const std::string& kind, const std::function<void(JsonWriter&)>& fields,
                            const std::string& app_id) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  std::lock_guard<std::mutex> lock(timeline_mu);
  const std::uint64_t entry_seq = ++seq;
  w.Key("seq");
  w.Uint64(entry_seq);
  w.Key("time");
  w.Int64(now());
  // Real time since start, apart from the emulator's clock (which advances jump): a recording
  // turns the real gaps in front of what apps did on their own timers into `wait` steps.
  w.Key("wall_ms");
  w.Int64(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                start_steady)
              .count());
  w.Key("kind");
  writeString(w, kind);
  fields(w);
  w.EndObject();
  if (timeline.size() >= kTimelineCap) timeline.pop_front();
  timeline.push_back({entry_seq, kind, app_id, std::string(buf.GetString(), buf.GetSize())});
}

// The app now controls a thread it will never hear about: accepted, as Meta accepts it, and
// said in the timeline so whoever wrote the config sees why their app stays silent.
void Emulator::Impl::warnIfDeaf(const std::string& app_id, const std::string& user_id) {
  const AppConfig* a = world.app(app_id);
  // The Page and Instagram Inboxes are humans in Meta's tools: no webhook is expected of them.
  if (app_id == inboxAppId(Platform::kMessenger) || app_id == inboxAppId(Platform::kInstagram)) {
    return;
  }
  if (a == nullptr || (!a->webhook_url.empty() && !a->subscribed_fields.empty())) return;
  const std::string why =
      a->webhook_url.empty() ? "has no webhook_url" : "has no subscribed_fields";
  record(
      "warning",
      [&](JsonWriter& w) {
        w.Key("app_id");
        writeString(w, app_id);
        w.Key("user_id");
        writeString(w, user_id);
        w.Key("message");
        writeString(w, "control passed to app " + app_id + ", which " + why +
                           ": it will receive no webhook for this thread (the real platform "
                           "accepts the pass too)");
      },
      app_id);
}

void Emulator::Impl::recordDelivery(const detail::DeliveryRecord& r) {
  record(
      "delivery",
      [&](JsonWriter& w) {
        w.Key("app_id");
        writeString(w, r.app_id);
        w.Key("url");
        writeString(w, r.url);
        w.Key("attempt");
        w.Int(r.attempt);
        w.Key("status");
        w.Int(r.status);
        if (!r.error.empty()) {
          w.Key("error");
          writeString(w, r.error);
        }
        w.Key("events");
        w.Uint64(r.events);
        w.Key("outcome");
        writeString(w, r.outcome);
        w.Key("latency_ms");
        w.Int64(r.latency.count());
        if (r.outcome == "retrying") {
          w.Key("retry_in_ms");
          w.Int64(r.retry_in.count());
        }
        w.Key("signature");
        writeString(w, r.signature);
        w.Key("stamps");
        w.StartArray();
        for (const std::int64_t stamp : r.stamps) w.Int64(stamp);
        w.EndArray();
        if (!r.body.empty()) {
          w.Key("body");
          w.RawValue(r.body.data(), r.body.size(), rapidjson::kObjectType);
        }
      },
      r.app_id);
  consoleOnDelivery(r);
}

void Emulator::Impl::recordHandshake(const detail::HandshakeRecord& r) {
  record(
      "subscription",
      [&](JsonWriter& w) {
        w.Key("app_id");
        writeString(w, r.app_id);
        w.Key("url");
        writeString(w, r.url);
        w.Key("result");
        w.String(detail::toString(r.result));
        w.Key("status");
        w.Int(r.status);
        if (!r.error.empty()) {
          w.Key("error");
          writeString(w, r.error);
        }
        w.Key("latency_ms");
        w.Int64(r.latency.count());
      },
      r.app_id);
  if (r.result == detail::Subscription::kVerified) {
    tellConsole("app " + r.app_id + " verified its webhook at " + r.url);
  } else if (r.result == detail::Subscription::kRefused) {
    tellConsole("app " + r.app_id + " FAILED the webhook verification at " + r.url + ": " +
                r.error +
                "; nothing is delivered to it (as Meta would not subscribe it) until "
                "POST /_emulator/subscriptions/verify");
  } else {
    tellConsole("app " + r.app_id + " is not verified yet: " + r.error +
                " (asked again before its first delivery)");
  }
}

void Emulator::Impl::tellConsole(const std::string& line) {
  std::lock_guard<std::mutex> lock(console_mu);
  if (console) console(line);
}

void Emulator::Impl::consoleOnDelivery(const detail::DeliveryRecord& r) {
  const bool ok = r.outcome == "delivered" || (r.outcome == "duplicate" && r.status / 100 == 2);
  std::string trouble;
  if (!ok && r.outcome != "lost") {
    trouble = r.status != 0 ? "answered " + std::to_string(r.status) : r.error;
    if (r.status != 0 && !r.error.empty()) trouble += " (" + r.error + ")";
  }
  std::string line;
  {
    std::lock_guard<std::mutex> lock(console_mu);
    std::string& last = delivery_trouble[r.app_id];
    if (trouble == last && r.outcome != "dropped" && r.outcome != "unsubscribed") return;
    line =
        trouble.empty()
            ? (last.empty() ? "" : "deliveries to app " + r.app_id + " at " + r.url + " work again")
            : "delivery to app " + r.app_id + " at " + r.url + " failed: " + trouble + " [" +
                  r.outcome + "]";
    last = trouble;
  }
  if (!line.empty()) tellConsole(line);
}

// Request bodies go on record without the secrets Graph accepts in them.
std::string Emulator::Impl::scrubbedBody(const httplib::Request& req) {
  rapidjson::Document doc;
  detail::parseJson(doc, req.body);
  if (doc.HasParseError() || !doc.IsObject()) return {};
  // Every occurrence, nested ones included: what is recorded is shown in the inspector.
  detail::removeEverywhere(doc, "access_token");
  detail::removeEverywhere(doc, "appsecret_proof");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  doc.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Emulator::Impl::timelineJson(const TimelineFilter& filter) const {
  std::lock_guard<std::mutex> lock(timeline_mu);
  std::string out = "[";
  bool first = true;
  for (const TimelineEntry& e : timeline) {
    if (e.seq <= filter.since || (!filter.kind.empty() && e.kind != filter.kind) ||
        (!filter.app_id.empty() && e.app_id != filter.app_id)) {
      continue;
    }
    if (!first) out += ",";
    first = false;
    out += e.json;
  }
  return out + "]";
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
