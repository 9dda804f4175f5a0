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
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "handover/emulator/config.hpp"
#include "subscription.hpp"
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
  /// "delivered", "retrying", "dropped" (retry window over), "lost" (an injected drop),
  /// "duplicate" (an injected second POST of a delivered batch) or "unsubscribed" (never sent:
  /// the app failed the verification handshake).
  std::string outcome;
  std::string body;  ///< The envelope (JSON).
  /// Each event's stamp in milliseconds, in body order: WhatsApp bodies carry whole seconds.
  std::vector<std::int64_t> stamps;
  std::string signature;  ///< Its X-Hub-Signature-256 value (an HMAC, never the secret).
  std::chrono::milliseconds latency{0};   ///< From sending to the answer (or the failure).
  std::chrono::milliseconds retry_in{0};  ///< "retrying": the wait before the next attempt.
};

/// The `{"object":...,"entry":[...]}` envelope for a batch (consecutive events of one page and
/// kind share an entry; all events must share the object).
std::string buildEnvelope(const std::vector<Outgoing>& batch);

class Delivery {
 public:
  Delivery(DeliveryConfig config, std::function<void(const DeliveryRecord&)> on_record,
           std::function<void(const HandshakeRecord&)> on_handshake = {});
  ~Delivery();

  /// Declares an app that receives webhooks. Call before `start()`. With a verify token the
  /// app is verified first (subscription.hpp): at start, and again before a delivery while it
  /// has not answered; an app that answered wrong gets nothing.
  void addApp(const std::string& app_id, const std::string& url, const std::string& secret,
              const std::string& verify_token = {});
  /// Starts the workers; each app with a verify token is verified at once.
  void start();
  /// Verifies `app_id` (empty: every app with a verify token) again, and waits up to `wait`
  /// for the answers. Returns each app's state afterwards.
  std::vector<std::pair<std::string, Subscription>> verifyAgain(const std::string& app_id,
                                                                std::chrono::milliseconds wait);
  /// Each app's subscription state.
  std::vector<std::pair<std::string, Subscription>> subscriptions() const;
  /// Stops the workers; undelivered events are abandoned.
  void stop();
  /// Queues events; those for apps without a webhook are ignored. Keeps the given order.
  void enqueue(std::vector<Outgoing> events);
  /// True once every queue is empty; false on timeout.
  bool waitIdle(std::chrono::milliseconds timeout);
  std::size_t pending(const std::string& app_id) const;
  /// Replaces the injected delivery faults; each app's random choices restart from `seed`.
  void setFaults(const DeliveryFaults& faults, std::uint64_t seed);
  DeliveryFaults faults() const;

 private:
  struct AppQueue {
    std::string app_id;
    std::string url;
    std::string secret;
    std::string verify_token;
    Subscription subscription = Subscription::kNoHandshake;
    bool handshake_due = false;  // verify now, whether or not events wait
    bool handshaking = false;    // a verification GET is out
    std::deque<Outgoing> events;
    std::thread worker;
    // The retry state of the batch at the head (or of the handshake before it).
    int attempt = 0;
    std::chrono::steady_clock::time_point next_try{};
    std::chrono::steady_clock::time_point first_failure{};
    bool faulty = false;  // the faults apply to this app
    // Two streams so that what one decides never shifts the other: losses are drawn as events
    // arrive, the rest as batches go out.
    std::mt19937_64 arrival_rng;
    std::mt19937_64 send_rng;
    std::chrono::steady_clock::time_point oldest_since{};  // for batch_wait
  };
  void run(AppQueue& q);
  // With mu_ held (released while the POST is out): one attempt at the batch at the head.
  void sendBatch(AppQueue& q, httplib::Client& client, const std::string& path,
                 std::unique_lock<std::mutex>& lock);
  // With mu_ held (released while the GET is out): verifies the app; false when the handshake
  // got no answer, which counts as a failed attempt of the batch it holds back.
  bool handshake(AppQueue& q, std::unique_lock<std::mutex>& lock);
  // With mu_ held: what a failed attempt of `batch_size` events does to the queue (retry after
  // a backoff, or drop once the retry window is over); completes `rec`'s outcome.
  void afterFailure(AppQueue& q, DeliveryRecord& rec, std::size_t batch_size, double jitter);
  // With mu_ held: the app failed the handshake: its queue goes on record as never sent.
  std::vector<DeliveryRecord> dropUnsubscribed(AppQueue& q);
  void applyFaults(AppQueue& q);  // with mu_ held
  // With mu_ held: waits for a fault's batch to fill or its delay to pass; false if stopping.
  bool holdForFaults(AppQueue& q, std::unique_lock<std::mutex>& lock, int attempt);

  DeliveryConfig config_;
  DeliveryFaults faults_;
  std::uint64_t seed_ = 1;
  std::function<void(const DeliveryRecord&)> on_record_;
  std::function<void(const HandshakeRecord&)> on_handshake_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::map<std::string, std::unique_ptr<AppQueue>> apps_;
  bool running_ = false;
  bool stopping_ = false;
};

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
