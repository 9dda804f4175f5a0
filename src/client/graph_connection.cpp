// The production `Connection`: builds Graph requests, signs them with `appsecret_proof`,
// retries within a deadline and turns answers into typed results.

#include <algorithm>
#include <thread>
#include <utility>

#include "error_mapping.hpp"
#include "handover/connection.hpp"
#include "handover/crypto.hpp"
#include "handover/curl_transport.hpp"
#include "handover/types.hpp"
#include "json.hpp"
#include "json_body.hpp"
#include "local_document.hpp"
#include "request_bodies.hpp"
#include "responses.hpp"
#include "retry.hpp"
#include "url.hpp"

namespace handover {
namespace {

using detail::checkRecipient;
using detail::JsonBody;
using detail::parseError;
using detail::QueryParams;
using SteadyClock = std::chrono::steady_clock;

struct Call {
  const char* method = "GET";
  std::string path;  // after the version, already encoded, e.g. "me/thread_owner"
  QueryParams query;
  std::string body;  // JSON; empty for GET and DELETE
};

Call get(std::string path, QueryParams query) {
  Call c;
  c.path = std::move(path);
  c.query = std::move(query);
  return c;
}

Call post(std::string path, std::string body) {
  Call c;
  c.method = "POST";
  c.path = std::move(path);
  c.body = std::move(body);
  return c;
}

void addPaging(QueryParams& query, const std::string& after, int limit) {
  if (limit > 0) query.emplace_back("limit", std::to_string(limit));
  if (!after.empty()) query.emplace_back("after", after);
}

class GraphConnection final : public Connection {
 public:
  explicit GraphConnection(ClientOptions options) : options_(std::move(options)) {
    transport_ = options_.transport ? options_.transport : CurlTransport::shared();
    if (!options_.app_secret.empty() && !options_.access_token.empty()) {
      proof_ = appSecretProof(options_.access_token, options_.app_secret);
    }
  }

  const ClientOptions& options() const override { return options_; }

  Result<void> passThreadControl(const PassThreadControlRequest& r) override {
    auto body = detail::passThreadControlBody(r);
    if (!body) return std::move(body).error();
    return successCall("pass_thread_control", std::move(*body));
  }

  Result<TakeThreadControlResponse> takeThreadControl(const TakeThreadControlRequest& r) override {
    auto body = detail::takeThreadControlBody(r);
    if (!body) return std::move(body).error();
    detail::LocalDocument doc;
    if (auto e = performJson(post(pagePath("take_thread_control"), std::move(*body)), doc)) {
      return *e;
    }
    return detail::readTakeResponse(doc);
  }

  Result<RequestDelivered> requestThreadControl(const RequestThreadControlRequest& r) override {
    auto body = detail::requestThreadControlBody(r);
    if (!body) return std::move(body).error();
    auto ok = successCall("request_thread_control", std::move(*body));
    if (!ok) return std::move(ok).error();
    return RequestDelivered{};
  }

  Result<void> releaseThreadControl(const ReleaseThreadControlRequest& r) override {
    auto body = detail::releaseThreadControlBody(r);
    if (!body) return std::move(body).error();
    return successCall("release_thread_control", std::move(*body));
  }

  Result<void> extendThreadControl(const ExtendThreadControlRequest& r) override {
    auto body = detail::extendThreadControlBody(r);
    if (!body) return std::move(body).error();
    return successCall("extend_thread_control", std::move(*body));
  }

  Result<ThreadOwner> getThreadOwner(const GetThreadOwnerRequest& r) override {
    if (auto e = checkRecipient(r.recipient)) return *e;
    detail::LocalDocument doc;
    if (auto e = performJson(get(pagePath("thread_owner"), {{"recipient", r.recipient}}), doc)) {
      return *e;
    }
    return detail::readThreadOwner(doc, "thread_owner");
  }

  Result<SecondaryReceivers> getSecondaryReceivers(const GetSecondaryReceiversRequest& r) override {
    if (r.limit < 0) return invalidArgument("limit must not be negative");
    QueryParams query;
    std::string fields;
    for (const auto& f : r.fields) {
      if (f.empty() || f.find(',') != std::string::npos) {
        return invalidArgument("field names must be non-empty and contain no comma");
      }
      fields += (fields.empty() ? "" : ",") + f;
    }
    if (!fields.empty()) query.emplace_back("fields", fields);
    if (r.platform) {
      query.emplace_back("platform",
                         *r.platform == Platform::kInstagram ? "INSTAGRAM" : "MESSENGER");
    }
    addPaging(query, r.after, r.limit);
    detail::LocalDocument doc;
    if (auto e = performJson(get(pagePath("secondary_receivers"), std::move(query)), doc)) {
      return *e;
    }
    return detail::readSecondaryReceivers(doc);
  }

  Result<MessagingFeatureStatus> getMessagingFeatureStatus(
      const GetMessagingFeatureStatusRequest&) override {
    detail::LocalDocument doc;
    if (auto e = performJson(get(pagePath(""), {{"fields", "messaging_feature_status"}}), doc)) {
      return *e;
    }
    return detail::readFeatureStatus(doc);
  }

  Result<SendResponse> sendText(const SendTextRequest& r) override {
    auto body = detail::sendTextBody(r);
    if (!body) return std::move(body).error();
    return sendCall(std::move(*body), /*expect_message_id=*/true);
  }

  Result<SendResponse> sendSenderAction(const SendSenderActionRequest& r) override {
    if (auto e = checkRecipient(r.recipient)) return *e;
    JsonBody body;
    body.recipient(r.recipient).field("sender_action", toString(r.action));
    body.optionalField("persona_id", r.persona_id);
    return sendCall(body.finish(), /*expect_message_id=*/false);
  }

  Result<Persona> createPersona(const CreatePersonaRequest& r) override {
    if (r.name.empty()) return invalidArgument("persona name is empty");
    if (r.profile_picture_url.empty()) return invalidArgument("profile_picture_url is empty");
    JsonBody body;
    body.field("name", r.name).field("profile_picture_url", r.profile_picture_url);
    detail::LocalDocument doc;
    if (auto e = performJson(post(pagePath("personas"), body.finish()), doc)) return *e;
    auto id = detail::readCreatedId(doc, "personas");
    if (!id) return std::move(id).error();
    return Persona{std::move(*id), r.name, r.profile_picture_url};
  }

  Result<Persona> getPersona(const GetPersonaRequest& r) override {
    if (r.persona_id.empty()) return invalidArgument("persona_id is empty");
    detail::LocalDocument doc;
    auto call =
        get(detail::percentEncode(r.persona_id), {{"fields", "id,name,profile_picture_url"}});
    if (auto e = performJson(call, doc)) return *e;
    return detail::readPersona(doc);
  }

  Result<PersonaPage> listPersonas(const ListPersonasRequest& r) override {
    if (r.limit < 0) return invalidArgument("limit must not be negative");
    QueryParams query{{"fields", "id,name,profile_picture_url"}};
    addPaging(query, r.after, r.limit);
    detail::LocalDocument doc;
    if (auto e = performJson(get(pagePath("personas"), std::move(query)), doc)) return *e;
    return detail::readPersonaPage(doc);
  }

  Result<void> deletePersona(const DeletePersonaRequest& r) override {
    if (r.persona_id.empty()) return invalidArgument("persona_id is empty");
    Call call;
    call.method = "DELETE";
    call.path = detail::percentEncode(r.persona_id);
    detail::LocalDocument doc;
    if (auto e = performJson(call, doc)) return *e;
    return detail::readSuccess(doc, "delete persona");
  }

 private:
  std::string pagePath(const char* edge) const {
    std::string path = detail::percentEncode(options_.page_id);
    if (*edge != '\0') path.append("/").append(edge);
    return path;
  }

  Result<void> successCall(const char* edge, std::string body) {
    detail::LocalDocument doc;
    if (auto e = performJson(post(pagePath(edge), std::move(body)), doc)) return *e;
    return detail::readSuccess(doc, edge);
  }

  Result<SendResponse> sendCall(std::string body, bool expect_message_id) {
    detail::LocalDocument doc;
    if (auto e = performJson(post(pagePath("messages"), std::move(body)), doc)) return *e;
    return detail::readSendResponse(doc, expect_message_id);
  }

  /// Performs `call` and parses its 2xx body into `doc`, an object; the error otherwise.
  std::optional<Error> performJson(const Call& call, rapidjson::Document& doc) {
    auto body = perform(call);
    if (!body) return std::move(body).error();
    if (auto e = detail::parseJson(*body, doc)) {
      e->http_status = 200;
      e->message = describe(call) + ": " + e->message;
      return finish(std::move(*e));
    }
    // Graph occasionally wraps an error in a 2xx; it is still an error.
    if (auto api = detail::graphError(doc, 200)) return finish(std::move(*api));
    if (!doc.IsObject()) return finish(parseError(describe(call) + ": response is not an object"));
    return std::nullopt;
  }

  std::optional<Error> checkOptions() const {
    if (options_.access_token.empty())
      return invalidArgument("ClientOptions::access_token is empty");
    if (options_.page_id.empty()) return invalidArgument("ClientOptions::page_id is empty");
    if (options_.api_version.empty()) return invalidArgument("ClientOptions::api_version is empty");
    if (options_.base_url.empty()) return invalidArgument("ClientOptions::base_url is empty");
    if (!transport_) return invalidArgument("no HTTP transport");
    return std::nullopt;
  }

  HttpRequest buildRequest(const Call& call) const {
    HttpRequest req;
    req.method = call.method;
    std::string base = options_.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    req.url = base + "/" + options_.api_version + "/" + call.path;
    QueryParams query = call.query;
    // In the query string even for POSTs: some endpoints ignore it in a body (protocol §4.3).
    if (!proof_.empty()) query.emplace_back("appsecret_proof", proof_);
    if (!query.empty()) req.url += "?" + detail::encodeQuery(query);
    // The token goes in a header, never in the URL: URLs end up in logs and proxies.
    req.headers.emplace_back("Authorization", "Bearer " + options_.access_token);
    req.headers.emplace_back("Accept", "application/json");
    if (!call.body.empty()) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = call.body;
    }
    return req;
  }

  /// "POST /v26.0/me/pass_thread_control": no query, so no proof and no recipient of a GET.
  std::string describe(const Call& call) const {
    return std::string(call.method) + " /" + options_.api_version + "/" + call.path;
  }

  SteadyClock::time_point now() const {
    return options_.clock.now ? options_.clock.now() : SteadyClock::now();
  }

  void sleep(std::chrono::milliseconds d) const {
    if (options_.clock.sleep) {
      options_.clock.sleep(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  /// One call: attempts, backoff and the overall deadline. The 2xx body on success.
  Result<std::string> perform(const Call& call) {
    if (auto e = checkOptions()) return *e;
    HttpRequest req = buildRequest(call);
    const bool idempotent = req.method == "GET";
    const int max_attempts = std::max(1, options_.retry.max_attempts);
    const auto deadline = now() + options_.deadline;
    std::optional<Error> last;
    for (int attempt = 1;; ++attempt) {
      const auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now());
      if (remaining.count() <= 0) return deadlineExceeded(call, attempt - 1, last);
      req.timeout = options_.attempt_timeout.count() > 0
                        ? std::min(options_.attempt_timeout, remaining)
                        : remaining;
      auto result = transport_->send(req);
      Error error;
      if (result) {
        if (result->status >= 200 && result->status < 300) return std::move(result->body);
        error = detail::errorFromResponse(*result);
      } else {
        error = std::move(result).error();
        error.message = describe(call) + ": " + error.message;
      }
      if (attempt >= max_attempts || !detail::shouldRetry(error, idempotent, options_.retry)) {
        return finish(std::move(error));
      }
      const auto delay = detail::retryDelay(options_.retry, attempt, error, options_.clock.jitter);
      // Sleeping past the deadline only to fail is worse than answering now with the cause.
      if (now() + delay >= deadline) return finish(std::move(error));
      last = std::move(error);
      sleep(delay);
    }
  }

  Error deadlineExceeded(const Call& call, int attempts, const std::optional<Error>& last) const {
    Error e;
    e.category = ErrorCategory::kTimeout;
    e.message = describe(call) + ": deadline of " + std::to_string(options_.deadline.count()) +
                " ms exceeded after " + std::to_string(attempts) + " attempt(s)";
    if (last) e.message += "; last error: " + last->toString();
    return finish(std::move(e));
  }

  /// Last line of defence: no secret leaves in an error, whatever a server or library echoed.
  Error finish(Error e) const {
    return detail::scrubSecrets(std::move(e),
                                {&options_.access_token, &options_.app_secret, &proof_});
  }

  ClientOptions options_;
  std::shared_ptr<HttpTransport> transport_;
  std::string proof_;
};

}  // namespace

std::shared_ptr<Connection> makeConnection(ClientOptions options) {
  return std::make_shared<GraphConnection>(std::move(options));
}

}  // namespace handover
