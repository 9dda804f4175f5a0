#pragma once
// Webhook delivery: one ordered queue and one worker thread per app, batching, signatures,
// retries with exponential backoff on a real clock (WH-M §4.4 semantics, faster defaults).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "handover/emulator/config.hpp"
#include "world.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

/// One delivery attempt, for the timeline.
struct DeliveryRecord {
  std::string app_id;
  std::string url;
  int attempt = 0;    ///< 1 for the first try of a batch.
  int status = 0;     ///< HTTP status; 0 when no response.
  std::string error;  ///< Transport error text, when no response.
  std::size_t events = 0;
  std::string outcome;    ///< "delivered", "retrying" or "dropped".
  std::string body;       ///< The envelope (JSON).
  std::string signature;  ///< Its X-Hub-Signature-256 value (an HMAC, never the secret).
  std::chrono::milliseconds latency{0};  ///< From sending to the answer (or the failure).
};

/// The `{"object":...,"entry":[...]}` envelope for a batch (consecutive events of one page and
/// kind share an entry; all events must share the object).
std::string buildEnvelope(const std::vector<Outgoing>& batch);

class Delivery {
 public:
  Delivery(DeliveryConfig config, std::function<void(const DeliveryRecord&)> on_record);
  ~Delivery();

  /// Declares an app that receives webhooks. Call before `start()`.
  void addApp(const std::string& app_id, const std::string& url, const std::string& secret);
  void start();
  /// Stops the workers; undelivered events are abandoned.
  void stop();
  /// Queues events; those for apps without a webhook are ignored. Keeps the given order.
  void enqueue(std::vector<Outgoing> events);
  /// True once every queue is empty; false on timeout.
  bool waitIdle(std::chrono::milliseconds timeout);
  std::size_t pending(const std::string& app_id) const;

 private:
  struct AppQueue {
    std::string app_id;
    std::string url;
    std::string secret;
    std::deque<Outgoing> events;
    std::thread worker;
  };
  void run(AppQueue& q);

  DeliveryConfig config_;
  std::function<void(const DeliveryRecord&)> on_record_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::map<std::string, std::unique_ptr<AppQueue>> apps_;
  bool running_ = false;
  bool stopping_ = false;
};

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
