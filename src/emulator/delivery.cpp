#include "delivery.hpp"

#include <httplib.h>

#include <algorithm>

#include "../core/crypto.hpp"
#include "json_util.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

using handover::detail::hmacSha1Hex;
using handover::detail::hmacSha256Hex;

namespace {

// WhatsApp: {"object":"whatsapp_business_account","entry":[{"id":WABA,"changes":[{"field":F,
// "value":V}]}]} (whatsapp.md §3); consecutive changes of one account share an entry.
std::string whatsappEnvelope(const std::vector<Outgoing>& batch) {
  std::string out = "{\"object\":\"whatsapp_business_account\",\"entry\":[";
  for (std::size_t i = 0; i < batch.size();) {
    std::size_t j = i;
    if (i != 0) out += ",";
    out += "{\"id\":" + escapeJsonString(batch[i].page_id) + ",\"changes\":[";
    for (; j < batch.size() && batch[j].page_id == batch[i].page_id; ++j) {
      if (j != i) out += ",";
      out += "{\"field\":" + escapeJsonString(batch[j].field) +
             ",\"value\":" + batch[j].event_json + "}";
    }
    out += "]}";
    i = j;
  }
  return out + "]}";
}

}  // namespace

std::string buildEnvelope(const std::vector<Outgoing>& batch) {
  if (!batch.empty() && batch.front().whatsapp) return whatsappEnvelope(batch);
  std::string out = "{\"object\":\"";
  out += !batch.empty() && batch.front().instagram ? "instagram" : "page";
  out += "\",\"entry\":[";
  std::size_t i = 0;
  bool first_entry = true;
  while (i < batch.size()) {
    std::size_t j = i;
    std::int64_t time = 0;
    while (j < batch.size() && batch[j].page_id == batch[i].page_id &&
           batch[j].standby == batch[i].standby &&
           batch[j].hop_context_json == batch[i].hop_context_json) {
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
    out += "]";
    if (!batch[i].hop_context_json.empty()) out += ",\"hop_context\":" + batch[i].hop_context_json;
    out += "}";
    i = j;
  }
  out += "]}";
  return out;
}

namespace {

void setBody(DeliveryRecord& rec, const std::vector<Outgoing>& batch) {
  rec.body = buildEnvelope(batch);  // keeps the batch's order
  rec.stamps.clear();
  for (const auto& e : batch) rec.stamps.push_back(e.timestamp);
}

// A uniform draw from [0, 1).
double uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

std::uint64_t seedFor(std::uint64_t seed, const std::string& app_id, std::uint64_t stream) {
  std::uint64_t h = 1469598103934665603ULL ^ seed ^ (stream * 0x9e3779b97f4a7c15ULL);
  for (unsigned char c : app_id) h = (h ^ c) * 1099511628211ULL;  // FNV-1a
  return h;
}

}  // namespace

Delivery::Delivery(DeliveryConfig config, std::function<void(const DeliveryRecord&)> on_record,
                   std::function<void(const HandshakeRecord&)> on_handshake)
    : config_(config), on_record_(std::move(on_record)), on_handshake_(std::move(on_handshake)) {}

Delivery::~Delivery() {
  stop();
}

void Delivery::addApp(const std::string& app_id, const std::string& url, const std::string& secret,
                      const std::string& verify_token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto q = std::make_unique<AppQueue>();
  q->app_id = app_id;
  q->url = url;
  q->secret = secret;
  q->verify_token = verify_token;
  if (!verify_token.empty()) {
    q->subscription = Subscription::kPending;
    q->handshake_due = true;
  }
  AppQueue& added = *q;
  apps_[app_id] = std::move(q);
  applyFaults(added);
}

void Delivery::setFaults(const DeliveryFaults& faults, std::uint64_t seed) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    faults_ = faults;
    seed_ = seed;
    for (auto& [id, q] : apps_) applyFaults(*q);
  }
  wake_.notify_all();  // a held batch may go now
}

DeliveryFaults Delivery::faults() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

void Delivery::applyFaults(AppQueue& q) {
  q.faulty = faults_.apps.empty() ||
             std::find(faults_.apps.begin(), faults_.apps.end(), q.app_id) != faults_.apps.end();
  q.arrival_rng.seed(seedFor(seed_, q.app_id, 1));
  q.send_rng.seed(seedFor(seed_, q.app_id, 2));
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
  std::vector<DeliveryRecord> lost;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& e : events) {
      auto it = apps_.find(e.app_id);
      if (it == apps_.end()) continue;
      AppQueue& q = *it->second;
      if (q.subscription == Subscription::kRefused) {
        q.events.push_back(std::move(e));
        auto refused = dropUnsubscribed(q);
        lost.insert(lost.end(), refused.begin(), refused.end());
        continue;
      }
      if (q.faulty && faults_.drop_rate > 0 && uniform(q.arrival_rng) < faults_.drop_rate) {
        DeliveryRecord rec;  // an injected loss: on record, never sent
        rec.app_id = q.app_id;
        rec.url = q.url;
        rec.events = 1;
        rec.outcome = "lost";
        setBody(rec, {e});
        lost.push_back(std::move(rec));
        continue;
      }
      if (q.events.empty()) q.oldest_since = std::chrono::steady_clock::now();
      q.events.push_back(std::move(e));
    }
  }
  wake_.notify_all();
  if (on_record_) {
    for (const auto& rec : lost) on_record_(rec);
  }
  idle_.notify_all();
}

bool Delivery::holdForFaults(AppQueue& q, std::unique_lock<std::mutex>& lock, int attempt) {
  if (!q.faulty) return true;
  const std::size_t want = faults_.batch_size;
  if (attempt == 0 && want > 1 && q.events.size() < want) {
    const auto until = q.oldest_since + faults_.batch_wait;
    wake_.wait_until(lock, until, [&] { return stopping_ || q.events.size() >= want; });
    if (stopping_) return false;
  }
  if (faults_.delay.count() > 0) {
    wake_.wait_for(lock, faults_.delay, [&] { return stopping_; });
    if (stopping_) return false;
  }
  if (attempt == 0 && faults_.reorder_window > 1 && q.events.size() > 1) {
    // Any of the first N may go first: the bot must order by timestamp (WH-M).
    const std::size_t n = std::min(faults_.reorder_window, q.events.size());
    const auto k = static_cast<std::ptrdiff_t>(q.send_rng() % n);
    std::rotate(q.events.begin(), q.events.begin() + k, q.events.begin() + k + 1);
  }
  return !q.events.empty();
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

std::vector<std::pair<std::string, Subscription>> Delivery::subscriptions() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, Subscription>> out;
  for (const auto& [id, q] : apps_) out.emplace_back(id, q->subscription);
  return out;
}

std::vector<std::pair<std::string, Subscription>> Delivery::verifyAgain(
    const std::string& app_id, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& [id, q] : apps_) {
    if (q->verify_token.empty() || (!app_id.empty() && id != app_id)) continue;
    q->subscription = Subscription::kPending;
    q->handshake_due = true;
    q->attempt = 0;
    q->next_try = std::chrono::steady_clock::now();
  }
  wake_.notify_all();
  if (running_) {
    idle_.wait_for(lock, wait, [this] {
      return std::none_of(apps_.begin(), apps_.end(), [](const auto& kv) {
        return kv.second->handshake_due || kv.second->handshaking;
      });
    });
  }
  std::vector<std::pair<std::string, Subscription>> out;
  for (const auto& [id, q] : apps_) {
    if (app_id.empty() || id == app_id) out.emplace_back(id, q->subscription);
  }
  return out;
}

bool Delivery::handshake(AppQueue& q, std::unique_lock<std::mutex>& lock) {
  q.handshake_due = false;
  q.handshaking = true;
  const std::string url = q.url;
  const std::string token = q.verify_token;
  lock.unlock();
  HandshakeRecord rec = verifySubscription(q.app_id, url, token, config_.timeout);
  lock.lock();
  q.subscription = rec.result;
  q.handshaking = false;
  if (on_handshake_) on_handshake_(rec);
  idle_.notify_all();
  return rec.status != 0;
}

std::vector<DeliveryRecord> Delivery::dropUnsubscribed(AppQueue& q) {
  std::vector<DeliveryRecord> out;
  while (!q.events.empty()) {
    DeliveryRecord rec;
    rec.app_id = q.app_id;
    rec.url = q.url;
    rec.events = 1;
    rec.outcome = "unsubscribed";
    rec.error =
        "not sent: the app failed the webhook verification handshake, so it is not "
        "subscribed (POST /_emulator/subscriptions/verify asks again)";
    setBody(rec, {q.events.front()});
    q.events.pop_front();
    out.push_back(std::move(rec));
  }
  q.attempt = 0;
  return out;
}

void Delivery::afterFailure(AppQueue& q, DeliveryRecord& rec, std::size_t batch_size,
                            double jitter) {
  const auto now = std::chrono::steady_clock::now();
  if (q.attempt == 1) q.first_failure = now;
  if (now - q.first_failure >= config_.retry_window) {
    // Meta disables a webhook after an hour of failures (WH-M); the drop is on record.
    rec.outcome = "dropped";
    q.events.erase(q.events.begin(), q.events.begin() + static_cast<std::ptrdiff_t>(batch_size));
    q.attempt = 0;
    q.next_try = now;
    return;
  }
  rec.outcome = "retrying";
  auto backoff = config_.initial_backoff;
  for (int i = 1; i < q.attempt && backoff < config_.max_backoff; ++i) backoff *= 2;
  backoff = std::min(backoff, config_.max_backoff);
  rec.retry_in = backoff + std::chrono::duration_cast<std::chrono::milliseconds>(backoff * jitter);
  q.next_try = now + rec.retry_in;
}

void Delivery::run(AppQueue& q) {
  using Clock = std::chrono::steady_clock;
  const auto [host, path] = splitUrl(q.url);
  httplib::Client client(host);
  client.set_connection_timeout(config_.timeout);
  client.set_read_timeout(config_.timeout);
  client.set_write_timeout(config_.timeout);
  std::unique_lock<std::mutex> lock(mu_);
  const auto report = [&](const std::vector<DeliveryRecord>& records) {
    if (on_record_) {
      for (const auto& rec : records) on_record_(rec);
    }
    idle_.notify_all();
  };
  while (!stopping_) {
    if (q.handshake_due) {
      handshake(q, lock);
      continue;
    }
    if (q.events.empty()) {
      wake_.wait(lock, [&] { return stopping_ || !q.events.empty() || q.handshake_due; });
      continue;
    }
    if (Clock::now() < q.next_try) {
      wake_.wait_until(lock, q.next_try, [&] { return stopping_ || q.handshake_due; });
      continue;
    }
    if (q.subscription == Subscription::kRefused) {
      report(dropUnsubscribed(q));
      continue;
    }
    if (q.subscription == Subscription::kPending && !handshake(q, lock)) {
      // No answer yet: the events wait, retried as a failed delivery would be.
      DeliveryRecord rec;
      rec.app_id = q.app_id;
      rec.url = q.url;
      rec.attempt = ++q.attempt;
      rec.events = q.events.size();
      rec.error = "held back: the webhook verification handshake got no answer";
      afterFailure(q, rec, q.events.size(), 0.0);
      report({rec});
      continue;
    }
    if (q.subscription == Subscription::kPending || q.subscription == Subscription::kRefused) {
      continue;
    }
    if (!holdForFaults(q, lock, q.attempt)) continue;
    sendBatch(q, client, path, lock);
  }
}

void Delivery::sendBatch(AppQueue& q, httplib::Client& client, const std::string& path,
                         std::unique_lock<std::mutex>& lock) {
  using Clock = std::chrono::steady_clock;
  // The head of the queue goes first and nothing overtakes it: per-app order is kept (unless
  // a reorder fault shuffled the head).
  const std::size_t most =
      q.faulty ? std::max(config_.max_batch, faults_.batch_size) : config_.max_batch;
  std::vector<Outgoing> batch;
  for (const auto& e : q.events) {
    if (batch.size() >= most || e.instagram != q.events.front().instagram ||
        e.whatsapp != q.events.front().whatsapp) {
      break;
    }
    batch.push_back(e);
  }
  const bool faulty = q.faulty;
  const auto deadline = faults_.answer_deadline;
  const bool duplicate =
      faulty && faults_.duplicate_rate > 0 && uniform(q.send_rng) < faults_.duplicate_rate;
  const double jitter = faulty ? faults_.retry_jitter * uniform(q.send_rng) : 0.0;
  lock.unlock();
  DeliveryRecord rec;
  rec.app_id = q.app_id;
  rec.url = q.url;
  rec.attempt = ++q.attempt;
  rec.events = batch.size();
  setBody(rec, batch);
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
    if (ok && faulty && deadline.count() > 0 && rec.latency > deadline) {
      // Meta counts an answer after its deadline as a failure and sends the batch again.
      ok = false;
      rec.error = "answered after " + std::to_string(rec.latency.count()) +
                  " ms, past the answer deadline of " + std::to_string(deadline.count()) + " ms";
    }
  } else {
    rec.error = httplib::to_string(res.error());
  }
  if (ok && duplicate) {
    // At-least-once: the same envelope, signature and all, arrives a second time.
    rec.outcome = "delivered";
    if (on_record_) on_record_(rec);
    DeliveryRecord again = rec;
    const auto again_at = Clock::now();
    auto res2 = client.Post(path, headers, rec.body, "application/json");
    again.latency = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - again_at);
    again.status = res2 ? res2->status : 0;
    again.error = res2 ? "" : httplib::to_string(res2.error());
    again.outcome = "duplicate";
    rec = std::move(again);
  }
  lock.lock();
  if (ok) {
    if (rec.outcome.empty()) rec.outcome = "delivered";
    q.events.erase(q.events.begin(), q.events.begin() + static_cast<std::ptrdiff_t>(batch.size()));
    q.oldest_since = Clock::now();
    q.attempt = 0;
    q.next_try = q.oldest_since;
  } else {
    afterFailure(q, rec, batch.size(), jitter);
  }
  // On record before the lock goes: waitIdle() must not see the queue empty before the record.
  if (on_record_) on_record_(rec);
  idle_.notify_all();
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
