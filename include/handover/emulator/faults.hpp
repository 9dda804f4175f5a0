#pragma once
/// @file
/// Faults the emulator injects so users can test their bot's resilience: lost, repeated, late,
/// reordered and batched webhooks, a slow-answer deadline, retry jitter, Graph errors for the
/// next K matching calls, per-token rate limits, Pages with the handover APIs disabled, and
/// conversations that arrive through a Lead-Gen ad (`hop_context`).
///
/// Every random choice comes from one seed, so a failing run can be repeated. The same JSON
/// object is the config's `"faults"` key and the body of `POST /_emulator/faults`:
/// @code{.json}
/// {"seed":7,
///  "delivery":{"drop_rate":0.1,"duplicate_rate":0.2,"delay_ms":300,"reorder_window":3,
///              "batch_size":5,"batch_wait_ms":200,"answer_deadline_ms":5000,
///              "retry_jitter":0.5,"apps":["2001"]},
///  "graph":[{"method":"POST","edge":"pass_thread_control","count":2,"error":"rate_limit"}],
///  "rate_limits":[{"app_id":"2001","calls":10,"window_ms":1000,"code":613}],
///  "handover_disabled_pages":["1001"],
///  "lead_gen":[{"page_id":"1001","target_app_id":"2001","complete":true}]}
/// @endcode

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "handover/core/export.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

/// Faults of webhook delivery, per app queue. Rates are fractions in [0, 1].
struct DeliveryFaults {
  /// Each event is lost with this probability: never POSTed, recorded as `"lost"`.
  double drop_rate = 0;
  /// Each delivered POST is sent once more with this probability (Meta is at-least-once).
  double duplicate_rate = 0;
  /// Every POST waits this long before it is sent (the emulator's clock is not advanced).
  std::chrono::milliseconds delay{0};
  /// 0 or 1 keeps order; N lets any of the first N queued events go out first.
  std::size_t reorder_window = 0;
  /// 0 or 1 sends what is queued at once; N holds events until N are queued (or
  /// `batch_wait` has passed since the oldest arrived) and sends them in one POST.
  std::size_t batch_size = 0;
  std::chrono::milliseconds batch_wait{200};  ///< Longest hold of a partial batch.
  /// 0: off. A 2xx answer slower than this counts as failed and the batch is sent again, as
  /// Meta does past its 5 s deadline: the bot sees an event it already handled.
  std::chrono::milliseconds answer_deadline{0};
  /// Each retry waits its backoff plus up to this fraction of it more, chosen at random.
  double retry_jitter = 0.1;
  /// The apps these faults apply to; empty: every app.
  std::vector<std::string> apps;
};

/// The errors a `GraphFault` can answer with (protocol.md §3).
enum class GraphFaultKind {
  kNotOwner,         ///< 400, (#10) subcode 2018300: another app controls the thread.
  kRateLimit,        ///< 400, (#613) with `Retry-After`.
  kTransient,        ///< 500, (#2) "Service temporarily unavailable", `is_transient`.
  kInvalidToken,     ///< 400, (#190) subcode 463: the access token expired.
  kCloseConnection,  ///< The connection closes before an answer; the call is not applied.
  kCustom,           ///< `http_status`, `code`, `subcode` and `message` as given.
};

/// The next `count` Graph calls that match answer an error instead of being applied.
struct GraphFault {
  std::string method;  ///< "GET", "POST" or "DELETE"; empty: any.
  /// The path's edge ("pass_thread_control", "messages", "thread_owner", ...), or for a node
  /// call the node; empty: any.
  std::string edge;
  /// The request path, version left out ("/me/messages", "/1001/pass_thread_control"), or with
  /// it ("/v19.0/me/messages"); empty: any.
  std::string path;
  std::string app_id;     ///< Only calls made with this app's token; empty: any caller.
  std::size_t count = 1;  ///< How many matching calls fail; then the fault is spent.
  GraphFaultKind kind = GraphFaultKind::kTransient;  ///< The error answered (`error`).
  std::chrono::seconds retry_after{60};              ///< `kRateLimit`: the `Retry-After` header.
  int http_status = 400;                             ///< `kCustom` only.
  int code = 1;                                      ///< `kCustom` only.
  int subcode = 0;                                   ///< `kCustom` only; 0: none.
  std::string message;                               ///< `kCustom` only.
};

/// A per-token call budget: past it, calls answer a throttling error until the window ends.
struct RateLimit {
  std::string app_id;     ///< Whose token; empty: every token, each with its own budget.
  std::size_t calls = 1;  ///< Calls allowed per window.
  std::chrono::milliseconds window{1'000};  ///< On the emulator's clock (advance ends it).
  /// The throttling code: 4, 17, 32, 613, 80001, 80002 or 80006 (protocol.md §3.2). 800xx
  /// answers carry `X-Business-Use-Case-Usage` with `estimated_time_to_regain_access`.
  int code = 613;
};

/// New conversations on a Page arrive through a Lead-Gen ad: before the user's first message
/// the Lead-Gen app (413038776280800) owns the thread and passes it to `target_app_id` with
/// metadata `messenger_lead_gen_complete` (or `_incomplete`), and that entry carries
/// `hop_context` (protocol.md §4.5, §4.6).
struct LeadGenRouting {
  std::string page_id;        ///< The page whose new conversations come from the ad.
  std::string target_app_id;  ///< The app the Lead-Gen app passes them to.
  bool complete = true;       ///< The form was completed (the pass's metadata says which).
};

/// Everything injected; a default-constructed value injects nothing (retry jitter aside).
struct Faults {
  std::uint64_t seed = 1;              ///< Seeds every random choice.
  DeliveryFaults delivery;             ///< Webhook delivery faults (`delivery`).
  std::vector<GraphFault> graph;       ///< Next-K Graph errors (`graph`), in match order.
  std::vector<RateLimit> rate_limits;  ///< Per-token budgets (`rate_limits`).
  /// Pages whose take, request and extend calls answer "Handover Protocol APIs disabled for
  /// this page." (CR-M-old; pass and release stay allowed).
  std::vector<std::string> handover_disabled_pages;
  std::vector<LeadGenRouting> lead_gen;  ///< Pages whose new conversations come from an ad.
};

/// Parses the faults object. An error names the path inside it (`graph[1].count`) and what was
/// expected; `where` prefixes it (for example "config.json: faults").
HANDOVER_EMULATOR_EXPORT Result<Faults> parseFaults(std::string_view json,
                                                    std::string_view where = "faults");
/// The JSON form `parseFaults` reads (and `GET /_emulator/faults` answers).
HANDOVER_EMULATOR_EXPORT std::string faultsJson(const Faults& faults);

}  // namespace emulator
HANDOVER_END_NAMESPACE
