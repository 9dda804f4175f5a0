#pragma once
// The suite-wide secret scan: every client a test builds through `guarded(...)` registers its
// credentials (token, app secret and the appsecret_proof derived from them), and every error
// those clients return is checked the moment it is produced, on whatever thread produced it.
// A leak aborts the test process with a message that names the call but withholds the text,
// so the secret is not printed either. Covers sync clients, Contexts (the Router's calls), the
// tracker's policies and the emulator fixtures' clients; async results go through `scanned`.

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "core/crypto.hpp"
#include "handover/client/client.hpp"
#include "handover/client/connection.hpp"
#include "handover/core/result.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {

/// Every text an error exposes: fields, toString(), and the exception's what().
inline std::string errorText(const Error& e) {
  return e.message + "\n" + e.type + "\n" + e.user_title + "\n" + e.user_message + "\n" +
         e.fbtrace_id + "\n" + e.toString() + "\n" + Exception(e).what();
}

class SecretRegistry {
 public:
  static SecretRegistry& instance() {
    static SecretRegistry r;
    return r;
  }
  /// Registers the credentials of a client: its token, its app secret and their proof.
  void add(const ClientOptions& o) {
    std::lock_guard<std::mutex> lock(mu_);
    if (o.access_token.size() >= 6) secrets_.insert(o.access_token);
    if (o.app_secret.size() >= 6) secrets_.insert(o.app_secret);
    if (!o.access_token.empty() && !o.app_secret.empty()) {
      secrets_.insert(detail::appSecretProof(o.access_token, o.app_secret));
    }
  }
  void add(const std::string& secret) {
    std::lock_guard<std::mutex> lock(mu_);
    if (secret.size() >= 6) secrets_.insert(secret);
  }
  bool leaks(const std::string& text) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : secrets_) {
      if (text.find(s) != std::string::npos) return true;
    }
    return false;
  }
  /// Errors scanned so far in this process (a test can check the scan ran at all).
  std::size_t scanned() const {
    std::lock_guard<std::mutex> lock(mu_);
    return scanned_;
  }
  void count() {
    std::lock_guard<std::mutex> lock(mu_);
    ++scanned_;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::string> secrets_;
  std::size_t scanned_ = 0;
};

/// Checks one error; aborts the process on a leak (safe on any thread, unlike a Catch FAIL).
inline void scanError(const Error& e, const char* where) {
  SecretRegistry::instance().count();
  if (SecretRegistry::instance().leaks(errorText(e))) {
    std::fprintf(stderr, "secret leaked into an error from %s (text withheld)\n", where);
    std::abort();
  }
}

/// `r` unchanged, its error (if any) scanned.
template <typename T>
Result<T> scanned(Result<T> r, const char* where = "an async call") {
  if (!r) scanError(r.error(), where);
  return r;
}

/// Forwards to a connection and scans each error it returns; `observer`, when set, sees each
/// error too (the client tests keep a log of them and fail on the main thread).
class ScanningConnection final : public Connection {
 public:
  explicit ScanningConnection(std::shared_ptr<Connection> inner,
                              std::function<void(const Error&)> observer = {})
      : inner_(std::move(inner)), observer_(std::move(observer)) {
    SecretRegistry::instance().add(inner_->options());
  }

// Every call of the table: a call added later is scanned too, not answered "unimplemented".
#define HANDOVER_SCAN(name_, snake_, Request_, Answer_) \
  Result<Answer_> name_(const Request_& r) override {   \
    return inspect(inner_->name_(r), #name_);           \
  }
  HANDOVER_GRAPH_CALLS(HANDOVER_SCAN)
#undef HANDOVER_SCAN

  const ClientOptions& options() const override {
    return inner_->options();
  }

 private:
  template <typename T>
  Result<T> inspect(Result<T> r, const char* where) {
    if (!r && observer_) observer_(r.error());
    return scanned(std::move(r), where);
  }

  std::shared_ptr<Connection> inner_;
  std::function<void(const Error&)> observer_;
};

/// A client over a real connection whose every error is scanned.
inline Client guarded(ClientOptions options) {
  return Client(std::make_shared<ScanningConnection>(makeConnection(std::move(options))));
}

}  // namespace test
HANDOVER_END_NAMESPACE
