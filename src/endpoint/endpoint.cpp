// The webhook pipeline behind `Endpoint`: the HTTP side (verify, queue, answer) runs on the
// caller's threads; the handling side (de-duplicate, track, dispatch, acknowledge or retry) on
// the endpoint's workers. "Answered 200" means "in the queue": nothing is handled on the HTTP
// thread, so a slow handler never delays an acknowledgement.

#include "handover/endpoint/endpoint.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../core/ascii.hpp"
#include "handover/tracker/memory_store.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace webhook {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPopWait{200};
constexpr std::chrono::milliseconds kMaxRetryDelay{60'000};
constexpr std::chrono::milliseconds kMaxQueueBackoff{5'000};

Timestamp systemNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// An absent or `identity` Content-Encoding (any case, blanks ignored).
bool identityEncoding(std::string_view value) {
  std::string v;
  for (char c : value) {
    if (c != ' ' && c != '\t') v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return v.empty() || v == "identity";
}

EndpointResponse plain(int status, std::string body) {
  EndpointResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

const char* toString(Rejection r) noexcept {
  switch (r) {
    case Rejection::kHandshake:
      return "handshake";
    case Rejection::kBadSignature:
      return "bad_signature";
    case Rejection::kTooLarge:
      return "too_large";
    case Rejection::kUnparsable:
      return "unparsable";
    case Rejection::kQueueFull:
      return "queue_full";
    case Rejection::kQueueUnavailable:
      return "queue_unavailable";
    case Rejection::kStopping:
      return "stopping";
    case Rejection::kUnsupportedEncoding:
      return "unsupported_encoding";
    case Rejection::kBadFraming:
      return "bad_framing";
    case Rejection::kNotReplicated:
      return "not_replicated";
  }
  return "unknown";
}

struct Endpoint::Impl {
  EndpointOptions options;
  Router router;
  ClientResolver resolver;
  std::shared_ptr<tracker::Deduplicator> dedup;
  std::shared_ptr<tracker::ThreadTracker> tracker;
  std::shared_ptr<Queue> queue;

  std::atomic<bool> accepting{true};
  std::atomic<bool> running{true};
  std::atomic<std::size_t> busy{0};  // workers holding bodies
  std::vector<std::thread> workers;
  std::mutex stop_mu;
  std::optional<StopReport> stopped;

  std::atomic<std::size_t> received{0}, queued{0}, dashboard_tests{0}, handled{0}, failed{0},
      duplicates{0}, retried{0}, dead_lettered{0};
  std::atomic<std::size_t> rejected[kRejectionKinds] = {};

  Impl(EndpointOptions o, Router r, ClientResolver c, std::shared_ptr<tracker::Deduplicator> d,
       std::shared_ptr<tracker::ThreadTracker> t)
      : options(std::move(o)),
        router(std::move(r)),
        resolver(std::move(c)),
        dedup(std::move(d)),
        tracker(std::move(t)) {
    queue = options.queue ? options.queue : std::make_shared<MemoryQueue>();
    if (!dedup && options.deduplication == Deduplication::kOn) {
      dedup = std::make_shared<tracker::Deduplicator>(std::make_shared<tracker::MemoryStore>());
    }
  }

  void start() {
    const std::size_t n = std::max<std::size_t>(1, options.workers);
    for (std::size_t i = 0; i < n; ++i) workers.emplace_back([this] { work(); });
  }

  void emit(EndpointEventKind kind, std::string message,
            std::optional<Rejection> rejection = std::nullopt) const {
    if (!options.on_event) return;
    EndpointEvent e;
    e.kind = kind;
    e.rejection = rejection;
    e.message = std::move(message);
    try {
      options.on_event(e);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a logging hook must not break the pipeline
    }
  }

  EndpointResponse reject(Rejection why, int status, std::string body, std::string detail) {
    ++rejected[static_cast<std::size_t>(why)];
    emit(EndpointEventKind::kRejected, std::move(detail), why);
    EndpointResponse r = plain(status, std::move(body));
    if (status == 503) {
      r.headers.emplace_back("Retry-After", std::to_string(options.retry_after.count()));
    }
    return r;
  }

  // What a proxy in front may read differently from this server (request smuggling), or a
  // declared length already over the cap: refused before a byte of the body is read.
  std::optional<EndpointResponse> refuseFraming(const HttpHeaders& headers) {
    std::optional<std::string_view> length;
    bool transfer_encoding = false;
    for (const auto& [name, value] : headers) {
      if (handover::detail::equalsIgnoreCase(name, "Transfer-Encoding")) transfer_encoding = true;
      if (!handover::detail::equalsIgnoreCase(name, "Content-Length")) continue;
      if (length && *length != value) {
        return reject(Rejection::kBadFraming, 400, "bad framing",
                      "POST refused: two different Content-Length values");
      }
      length = value;
    }
    if (!length) return std::nullopt;
    if (transfer_encoding) {
      return reject(Rejection::kBadFraming, 400, "bad framing",
                    "POST refused: Transfer-Encoding with Content-Length");
    }
    const bool decimal =
        !length->empty() && length->size() <= 19 &&
        std::all_of(length->begin(), length->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!decimal) {
      return reject(Rejection::kBadFraming, 400, "bad framing",
                    "POST refused: Content-Length is not a decimal length");
    }
    if (std::stoull(std::string(*length)) > options.parse.max_body_bytes) {
      return reject(Rejection::kTooLarge, 413, "body too large",
                    "POST refused: Content-Length " + std::string(*length) +
                        " exceeds the limit of " + std::to_string(options.parse.max_body_bytes));
    }
    return std::nullopt;
  }

  std::optional<EndpointResponse> refuseEncoding(const HttpHeaders& headers) {
    for (const auto& [name, value] : headers) {
      if (handover::detail::equalsIgnoreCase(name, "Content-Encoding") &&
          !identityEncoding(value)) {
        return reject(Rejection::kUnsupportedEncoding, 415, "unsupported Content-Encoding",
                      "POST refused: Content-Encoding " + value + " (bodies are never inflated)");
      }
    }
    return std::nullopt;
  }

  // --- handling (workers) --------------------------------------------------------------------

  void work() {
    std::chrono::milliseconds backoff{100};
    while (running.load()) {
      auto next = queue->popBatch(std::max<std::size_t>(1, options.worker_batch), kPopWait);
      if (!next) {
        emit(EndpointEventKind::kQueueError, "queue pop failed: " + next.error().message);
        sleepUnlessStopping(backoff);
        backoff = std::min(backoff * 2, kMaxQueueBackoff);
        continue;
      }
      backoff = std::chrono::milliseconds{100};
      if (next->empty()) continue;
      ++busy;
      handle(*next);
      --busy;
    }
  }

  void sleepUnlessStopping(std::chrono::milliseconds d) const {
    const auto until = SteadyClock::now() + d;
    while (running.load() && SteadyClock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::chrono::milliseconds retryDelay(std::size_t deliveries) const {
    auto d = options.retry_delay;
    for (std::size_t i = 1; i < deliveries && d < kMaxRetryDelay; ++i) d *= 2;
    return std::min(d, kMaxRetryDelay);
  }

  void handBack(const QueuedBody& entry, const std::string& reason,
                std::chrono::milliseconds at_least = std::chrono::milliseconds(0)) {
    auto r = queue->retry(entry, std::max(retryDelay(entry.deliveries), at_least), reason);
    if (!r) {
      // The queue keeps it (a lease in Redis, in flight in memory): it comes back by itself.
      emit(EndpointEventKind::kQueueError, "queue retry failed: " + r.error().message);
      return;
    }
    if (*r == RetryOutcome::kDeadLettered) {
      ++dead_lettered;
      emit(EndpointEventKind::kDeadLettered, "body " + entry.id + " dead-lettered after " +
                                                 std::to_string(entry.deliveries) +
                                                 " deliveries: " + reason);
    } else {
      ++retried;
      emit(EndpointEventKind::kRetried, "body " + entry.id + " (delivery " +
                                            std::to_string(entry.deliveries) +
                                            ") will be retried: " + reason);
    }
  }

  // The tracker learns the calls the handlers' contexts make, as it learns its own.
  DispatchReport dispatch(const Batch& batch) const {
    return router.dispatch(batch, resolver, tracker.get());
  }

  // One body on its way through `handle`.
  struct Job {
    const QueuedBody* entry = nullptr;
    Batch parsed;                                // moved into `admitted` when de-duplicating
    std::optional<tracker::Admission> admitted;  // its claims
    DispatchReport report;
    std::set<std::size_t> failed_events;  // indexes of events a handler failed for
    std::string first_failure;
    SteadyClock::duration took{};  // tracking and dispatch
    bool done = false;             // handed back or dead-lettered already

    const Batch& fresh() const { return admitted ? admitted->fresh : parsed; }
  };

  // The handling side, for the bodies a worker took at once: parse each, claim every event in
  // one store call, then body by body: track and dispatch, settle its claims (at once, so a
  // crash between a handler and its settlement repeats as little as before), then acknowledge
  // or retry it.
  void handle(const std::vector<QueuedBody>& entries) {
    std::vector<Job> jobs = parseEach(entries);
    const auto claimed_at = SteadyClock::now();
    if (jobs.empty() || !admit(jobs)) return;
    for (Job& job : jobs) {
      if (claimsGrewOld(job, claimed_at)) continue;
      trackAndDispatch(job);
      if (settle(job)) finish(job);
    }
  }

  // A body that no longer parses is dead-lettered: it parsed when it was queued (another
  // writer's entry, or other options), so no retry can help.
  std::vector<Job> parseEach(const std::vector<QueuedBody>& entries) {
    std::vector<Job> jobs;
    jobs.reserve(entries.size());
    for (const QueuedBody& entry : entries) {
      auto batch = parse(entry.body, options.parse);
      if (!batch) {
        ++failed;
        ++dead_lettered;
        const std::string why = "unparsable in the queue: " + batch.error().message;
        emit(EndpointEventKind::kDeadLettered, "body " + entry.id + " " + why);
        if (auto r = queue->deadLetter(entry, why); !r) {
          emit(EndpointEventKind::kQueueError, "queue dead-letter failed: " + r.error().message);
        }
        continue;
      }
      Job job;
      job.entry = &entry;
      job.parsed = std::move(*batch);
      jobs.push_back(std::move(job));
    }
    return jobs;
  }

  // Every event of every body claimed in one store call. A store failure hands every body
  // back: none of their events was handled.
  bool admit(std::vector<Job>& jobs) {
    if (options.deduplication != Deduplication::kOn) return true;
    std::vector<Batch> batches;
    batches.reserve(jobs.size());
    for (Job& job : jobs) batches.push_back(std::move(job.parsed));
    auto admissions = dedup->admitAll(std::move(batches));
    if (!admissions) {
      for (const Job& job : jobs) {
        handBack(*job.entry, "de-duplication store: " + admissions.error().message);
      }
      return false;
    }
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      duplicates += (*admissions)[i].duplicates;
      jobs[i].admitted = std::move((*admissions)[i]);
    }
    return true;
  }

  // The tracker observes a body before its handlers run; if it fails, the body's claims are
  // given up and it is handed back whole.
  void trackAndDispatch(Job& job) {
    const auto started = SteadyClock::now();
    if (tracker) {
      if (auto r = tracker->observe(job.fresh()); !r) {
        if (job.admitted) (void)dedup->abandon(*job.admitted);
        job.done = true;
        return handBack(*job.entry, "tracker: " + r.error().message);
      }
    }
    job.report = dispatch(job.fresh());
    job.took = SteadyClock::now() - started;
    std::size_t unreadable = 0;
    for (const auto& f : job.report.failures) {
      if (f.event_index) {
        job.failed_events.insert(*f.event_index);
        if (job.first_failure.empty()) job.first_failure = f.message;
      } else {
        ++unreadable;  // a parse error of one event: retrying cannot fix it
      }
      // The router's own failure observer has said it already: one log line per failure.
      if (!router.reportsFailures()) emit(EndpointEventKind::kHandlerFailed, f.message);
    }
    failed += job.failed_events.size() + unreadable;
    handled += job.fresh().events.size() - job.failed_events.size();
  }

  // A claim lapses after the lease: once slow handlers took half of it, the batch's remaining
  // bodies give their claims up and wait for a later delivery instead of running unprotected.
  bool claimsGrewOld(Job& job, SteadyClock::time_point claimed_at) {
    if (!job.admitted || SteadyClock::now() - claimed_at < dedup->options().lease / 2) {
      return false;
    }
    (void)dedup->abandon(*job.admitted);
    job.done = true;
    handBack(*job.entry, "its batch outlasted half the claim lease before it ran");
    return true;
  }

  // Its handled events marked done, failed ones given up for their redelivery. A store
  // failure hands the body back.
  bool settle(Job& job) {
    if (job.done) return false;
    if (!job.admitted || job.admitted->keys.empty()) return true;  // nothing claimed
    if (auto r = dedup->settle(*job.admitted, job.report); !r) {
      job.done = true;
      handBack(*job.entry, "de-duplication store: " + r.error().message);
      return false;
    }
    return true;
  }

  // Each body on its own: retried when a handler failed or another server holds some of its
  // events, acknowledged otherwise.
  void finish(const Job& job) {
    if (job.done) return;
    const QueuedBody& entry = *job.entry;
    if (job.took > options.handler_deadline) {
      emit(EndpointEventKind::kSlowBatch,
           "body " + entry.id + " took longer than the handler deadline");
    }
    if (!job.failed_events.empty()) {
      return handBack(entry, std::to_string(job.failed_events.size()) +
                                 " events failed, first: " + job.first_failure);
    }
    if (job.admitted && job.admitted->in_flight > 0) {
      // Another worker or server holds some of them: if it dies, its claim lapses and this
      // body's next delivery handles them.
      // Not before that claim's lease can have lapsed: every later delivery then finds it
      // completed or free, so a body is never dead-lettered for a claim a dead server held.
      return handBack(entry, std::to_string(job.admitted->in_flight) + " events held elsewhere",
                      dedup->options().lease);
    }
    if (auto r = queue->ack(entry); !r) {
      emit(EndpointEventKind::kQueueError, "queue ack failed: " + r.error().message);
    }
  }
};

Endpoint::Endpoint(EndpointOptions options, Router router, ClientResolver resolver,
                   std::shared_ptr<tracker::Deduplicator> dedup,
                   std::shared_ptr<tracker::ThreadTracker> tracker)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), std::move(resolver),
                                   std::move(dedup), std::move(tracker))) {
  impl_->start();
}

Endpoint::~Endpoint() {
  stop();
}

EndpointResponse Endpoint::handleGet(std::string_view mode, std::string_view verify_token,
                                     std::string_view challenge) {
  auto answer = verifySubscription(mode, verify_token, challenge, impl_->options.verify_token);
  if (!answer) {
    return impl_->reject(Rejection::kHandshake, 403, "forbidden",
                         "subscribe handshake refused (wrong hub.mode or hub.verify_token)");
  }
  // The challenge is the caller's text, echoed: never let a browser sniff it into HTML.
  EndpointResponse ok = plain(200, std::move(*answer));
  ok.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return ok;
}

std::optional<EndpointResponse> Endpoint::refuseBeforeBody(const HttpHeaders& headers) {
  auto refused = impl_->refuseEncoding(headers);
  if (!refused) refused = impl_->refuseFraming(headers);
  if (refused) ++impl_->received;
  return refused;
}

EndpointResponse Endpoint::handlePost(const HttpHeaders& headers, std::string_view raw_body) {
  Impl& d = *impl_;
  ++d.received;
  if (!d.accepting.load()) {
    return d.reject(Rejection::kStopping, 503, "stopping",
                    "POST refused: the endpoint is stopping");
  }
  if (auto refused = d.refuseEncoding(headers)) return std::move(*refused);
  if (raw_body.size() > d.options.parse.max_body_bytes) {
    return d.reject(Rejection::kTooLarge, 413, "body too large",
                    "body of " + std::to_string(raw_body.size()) + " bytes exceeds the limit of " +
                        std::to_string(d.options.parse.max_body_bytes));
  }
  auto signature = verifySignature(raw_body, headers, d.options.app_secret, d.options.signature);
  if (!signature) {
    return d.reject(Rejection::kBadSignature, 403, "bad signature", signature.error().message);
  }
  // 400 or 200 is decided here, events are built by the worker that handles the body.
  auto checked = validate(raw_body, d.options.parse);
  if (!checked) {
    return d.reject(Rejection::kUnparsable, 400, "bad body", checked.error().message);
  }
  auto pushed = d.queue->push(raw_body, systemNow());
  if (!pushed) {
    return d.reject(Rejection::kQueueUnavailable, 503, "queue unavailable",
                    "queue push failed: " + pushed.error().message);
  }
  switch (*pushed) {
    case PushOutcome::kQueued:
      break;
    case PushOutcome::kFull:
      return d.reject(Rejection::kQueueFull, 503, "queue full", "queue full: POST refused");
    case PushOutcome::kNotReplicated:
      return d.reject(Rejection::kNotReplicated, 503, "not replicated",
                      "queued on the primary but not on enough replicas in time: POST refused, "
                      "Meta redelivers");
  }
  ++d.queued;
  if (checked->isDashboardTest()) {
    ++d.dashboard_tests;
    d.emit(EndpointEventKind::kDashboardTest, "App Dashboard test payload received (" +
                                                  std::to_string(checked->changes) + " changes)");
  }
  return plain(200, "EVENT_RECEIVED");
}

StopReport Endpoint::stop(std::chrono::milliseconds deadline) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.stop_mu);
  if (d.stopped) return *d.stopped;
  d.accepting = false;
  const auto give_up = SteadyClock::now() + deadline;
  StopReport report;
  for (;;) {
    auto s = d.queue->stats();
    const bool empty = s && s->depth == 0 && d.busy.load() == 0;
    if (empty) {
      report.drained = true;
      break;
    }
    if (SteadyClock::now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  d.running = false;
  d.queue->close();
  for (auto& w : d.workers) w.join();
  d.workers.clear();
  if (auto s = d.queue->stats()) report.left = s->depth + s->in_flight;
  d.stopped = report;
  return report;
}

std::size_t Endpoint::maxBodyBytes() const noexcept {
  return impl_->options.parse.max_body_bytes;
}

EndpointStats Endpoint::stats() const {
  const Impl& d = *impl_;
  EndpointStats s;
  s.received = d.received.load();
  for (std::size_t i = 0; i < kRejectionKinds; ++i) s.rejected[i] = d.rejected[i].load();
  s.queued = d.queued.load();
  s.dashboard_tests = d.dashboard_tests.load();
  s.handled = d.handled.load();
  s.failed = d.failed.load();
  s.duplicates = d.duplicates.load();
  s.retried = d.retried.load();
  s.dead_lettered = d.dead_lettered.load();
  if (auto q = d.queue->stats()) {
    s.queue_depth = q->depth;
    s.in_flight = q->in_flight;
    s.oldest_queued_age = q->oldest_age;
  }
  return s;
}

std::string Endpoint::metricsText() const {
  const EndpointStats s = stats();
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP handover_webhook_") + name + " " + help + "\n";
    out += std::string("# TYPE handover_webhook_") + name + " " + type + "\n";
  };
  auto value = [&](const char* name, const std::string& labels, double v) {
    out += std::string("handover_webhook_") + name + labels + " ";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    out += buf;
    out += "\n";
  };
  auto counter = [&](const char* name, const char* help, std::size_t v) {
    metric(name, "counter", help);
    value(name, "", static_cast<double>(v));
  };
  counter("received_total", "POST requests received.", s.received);
  metric("rejected_total", "counter", "Requests rejected, by reason.");
  for (std::size_t i = 0; i < kRejectionKinds; ++i) {
    value("rejected_total", std::string("{reason=\"") + toString(static_cast<Rejection>(i)) + "\"}",
          static_cast<double>(s.rejected[i]));
  }
  counter("queued_total", "Bodies queued (answered 200).", s.queued);
  counter("dashboard_tests_total", "App Dashboard test payloads received.", s.dashboard_tests);
  counter("handled_total", "Events whose handlers all succeeded.", s.handled);
  counter("failed_total", "Events whose handlers failed or that were unreadable.", s.failed);
  counter("duplicates_total", "Events skipped as already handled.", s.duplicates);
  counter("retried_total", "Bodies handed back to the queue after a failure.", s.retried);
  counter("dead_lettered_total", "Bodies given up after the last delivery.", s.dead_lettered);
  metric("queue_depth", "gauge", "Bodies waiting for a worker.");
  value("queue_depth", "", static_cast<double>(s.queue_depth));
  metric("in_flight", "gauge", "Bodies a worker holds.");
  value("in_flight", "", static_cast<double>(s.in_flight));
  metric("oldest_queued_age_seconds", "gauge", "Age of the oldest waiting body (0: none).");
  value("oldest_queued_age_seconds", "",
        s.oldest_queued_age ? static_cast<double>(s.oldest_queued_age->count()) / 1000.0 : 0.0);
  return out;
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
