#include "delivery.hpp"

#include <httplib.h>

#include <algorithm>

#include "../core/crypto.hpp"
#include "json_util.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

using handover::detail::hmacSha1Hex;
using handover::detail::hmacSha256Hex;

std::string buildEnvelope(const std::vector<Outgoing>& batch) {
  std::string out = "{\"object\":\"";
  out += !batch.empty() && batch.front().instagram ? "instagram" : "page";
  out += "\",\"entry\":[";
  std::size_t i = 0;
  bool first_entry = true;
  while (i < batch.size()) {
    std::size_t j = i;
    std::int64_t time = 0;
    while (j < batch.size() && batch[j].page_id == batch[i].page_id &&
           batch[j].standby == batch[i].standby) {
      time = std::max(time, batch[j].timestamp);
      ++j;
    }
    if (!first_entry) out += ",";
    first_entry = false;
    out += "{\"id\":" + escapeJsonString(batch[i].page_id) + ",\"time\":" + std::to_string(time) +
           (batch[i].standby ? ",\"standby\":[" : ",\"messaging\":[");
    for (std::size_t k = i; k < j; ++k) {
      if (k != i) out += ",";
      out += batch[k].event_json;
    }
    out += "]}";
    i = j;
  }
  out += "]}";
  return out;
}

namespace {

// "http://host:port/path?q" → ("http://host:port", "/path?q").
std::pair<std::string, std::string> splitUrl(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos) return {url, "/"};
  return {url.substr(0, path_start), url.substr(path_start)};
}

}  // namespace

Delivery::Delivery(DeliveryConfig config, std::function<void(const DeliveryRecord&)> on_record)
    : config_(config), on_record_(std::move(on_record)) {}

Delivery::~Delivery() {
  stop();
}

void Delivery::addApp(const std::string& app_id, const std::string& url,
                      const std::string& secret) {
  std::lock_guard<std::mutex> lock(mu_);
  auto q = std::make_unique<AppQueue>();
  q->app_id = app_id;
  q->url = url;
  q->secret = secret;
  apps_[app_id] = std::move(q);
}

void Delivery::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  for (auto& [id, q] : apps_) {
    AppQueue* raw = q.get();
    q->worker = std::thread([this, raw] { run(*raw); });
  }
}

void Delivery::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& [id, q] : apps_) {
    if (q->worker.joinable()) q->worker.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  idle_.notify_all();
}

void Delivery::enqueue(std::vector<Outgoing> events) {
  if (events.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& e : events) {
      auto it = apps_.find(e.app_id);
      if (it == apps_.end()) continue;
      it->second->events.push_back(std::move(e));
    }
  }
  wake_.notify_all();
}

bool Delivery::waitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, timeout, [this] {
    return std::all_of(apps_.begin(), apps_.end(),
                       [](const auto& kv) { return kv.second->events.empty(); });
  });
}

std::size_t Delivery::pending(const std::string& app_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = apps_.find(app_id);
  return it == apps_.end() ? 0 : it->second->events.size();
}

void Delivery::run(AppQueue& q) {
  using Clock = std::chrono::steady_clock;
  const auto [host, path] = splitUrl(q.url);
  httplib::Client client(host);
  client.set_connection_timeout(config_.timeout);
  client.set_read_timeout(config_.timeout);
  client.set_write_timeout(config_.timeout);
  int attempt = 0;
  Clock::time_point next_try = Clock::now();
  Clock::time_point first_failure{};
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (q.events.empty()) {
      wake_.wait(lock, [&] { return stopping_ || !q.events.empty(); });
      continue;
    }
    if (Clock::now() < next_try) {
      wake_.wait_until(lock, next_try, [&] { return stopping_; });
      continue;
    }
    // The head of the queue goes first and nothing overtakes it: per-app order is kept.
    std::vector<Outgoing> batch;
    for (const auto& e : q.events) {
      if (batch.size() >= config_.max_batch || e.instagram != q.events.front().instagram) break;
      batch.push_back(e);
    }
    lock.unlock();
    DeliveryRecord rec;
    rec.app_id = q.app_id;
    rec.url = q.url;
    rec.attempt = ++attempt;
    rec.events = batch.size();
    rec.body = buildEnvelope(batch);
    rec.signature = "sha256=" + hmacSha256Hex(q.secret, rec.body);
    httplib::Headers headers{{"X-Hub-Signature-256", rec.signature},
                             {"X-Hub-Signature", "sha1=" + hmacSha1Hex(q.secret, rec.body)}};
    const auto sent_at = Clock::now();
    auto res = client.Post(path, headers, rec.body, "application/json");
    rec.latency = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent_at);
    bool ok = false;
    if (res) {
      rec.status = res->status;
      ok = res->status >= 200 && res->status < 300;
    } else {
      rec.error = httplib::to_string(res.error());
    }
    lock.lock();
    const auto now = Clock::now();
    if (ok) {
      rec.outcome = "delivered";
      q.events.erase(q.events.begin(),
                     q.events.begin() + static_cast<std::ptrdiff_t>(batch.size()));
      attempt = 0;
      next_try = now;
    } else {
      if (attempt == 1) first_failure = now;
      if (now - first_failure >= config_.retry_window) {
        // Meta disables a webhook after an hour of failures (WH-M); the drop is on record.
        rec.outcome = "dropped";
        q.events.erase(q.events.begin(),
                       q.events.begin() + static_cast<std::ptrdiff_t>(batch.size()));
        attempt = 0;
        next_try = now;
      } else {
        rec.outcome = "retrying";
        auto backoff = config_.initial_backoff;
        for (int i = 1; i < attempt && backoff < config_.max_backoff; ++i) backoff *= 2;
        next_try = now + std::min(backoff, config_.max_backoff);
      }
    }
    if (on_record_) on_record_(rec);
    idle_.notify_all();
  }
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
