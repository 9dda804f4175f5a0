// The production `Connection`: every call of the call table (graph_calls.cpp), run through the
// shared core (graph_core.cpp) with blocking attempts on an `HttpTransport`.

#include <thread>
#include <utility>

#include "error_mapping.hpp"
#include "graph_calls.hpp"
#include "graph_core.hpp"
#include "handover/client/connection.hpp"
#include "handover/client/curl_transport.hpp"
#include "local_document.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace {

class GraphConnection final : public Connection {
 public:
  explicit GraphConnection(ClientOptions options) : core_(std::move(options)) {
    transport_ = core_.options().transport ? core_.options().transport : CurlTransport::shared();
  }

  const ClientOptions& options() const override { return core_.options(); }

#define HANDOVER_DETAIL_CALL(name_, snake_, Request_, Answer_) \
  Result<Answer_> name_(const Request_& r) override {          \
    return run(r);                                             \
  }
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_CALL)
#undef HANDOVER_DETAIL_CALL

 private:
  template <typename Request>
  Result<AnswerOf<Request>> run(const Request& request) {
    if (const auto& e = core_.optionsError()) return *e;
    auto call = detail::describe(request, core_.page());
    if (!call) return std::move(call).error();
    auto body = perform(*call);
    if (!body) return std::move(body).error();
    detail::LocalDocument doc;
    if (auto e = core_.readOk(*body, doc, *call)) return *e;
    return detail::readAnswer(request, doc);
  }

  void sleep(std::chrono::milliseconds d) const {
    const auto& hook = core_.options().clock.sleep;
    if (hook) {
      hook(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  /// One call: attempts, backoff and the overall deadline. The 2xx body on success.
  Result<std::string> perform(const detail::CallSpec& call) {
    HttpRequest req;
    req.method = call.method;
    req.url = core_.url(call);
    req.headers = core_.headers(!call.body.empty());
    req.body = call.body;
    const auto deadline = core_.deadlineFromNow();
    std::optional<Error> last;
    for (int attempt = 1;; ++attempt) {
      const auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - core_.now());
      if (remaining.count() <= 0) return core_.deadlineExceeded(call, attempt - 1, last);
      req.timeout = core_.attemptTimeout(remaining);
      auto result = transport_->send(req);
      Error error;
      if (result) {
        if (result->status >= 200 && result->status < 300) return std::move(result->body);
        error = detail::errorFromResponse(*result);
      } else {
        error = std::move(result).error();
        error.message = core_.what(call) + ": " + error.message;
      }
      const auto delay = core_.retryDelay(error, call, attempt, deadline);
      if (!delay) return core_.scrub(std::move(error));
      last = std::move(error);
      sleep(*delay);
    }
  }

  detail::GraphCore core_;
  std::shared_ptr<HttpTransport> transport_;
};

}  // namespace

std::shared_ptr<Connection> makeConnection(ClientOptions options) {
  return std::make_shared<GraphConnection>(std::move(options));
}

HANDOVER_END_NAMESPACE
