// A decorator written against today's call table must still compile when a call is added: every
// call of Connection and AsyncConnection has a default body (kUnimplemented). These decorators
// override only some calls, as one written before a newer call joined the table would, and are
// used through the clients.

#include <atomic>

#include "catch.hpp"
#include "handover/client/async_client.hpp"
#include "handover/client/client.hpp"
#include "handover/testing/fake_async_connection.hpp"
#include "handover/testing/fake_connection.hpp"

using namespace handover;

namespace {

/// Counts getThreadOwner calls, forwards them; knows no other call.
class CountingOwnerReads : public Connection {
 public:
  explicit CountingOwnerReads(std::shared_ptr<Connection> inner) : inner_(std::move(inner)) {}
  Result<ThreadOwner> getThreadOwner(const GetThreadOwnerRequest& request) override {
    ++reads;
    return inner_->getThreadOwner(request);
  }
  const ClientOptions& options() const override { return inner_->options(); }
  std::atomic<int> reads{0};

 private:
  std::shared_ptr<Connection> inner_;
};

/// The async twin: forwards getThreadOwner only.
class ForwardingOwnerReads : public AsyncConnection {
 public:
  explicit ForwardingOwnerReads(std::shared_ptr<AsyncConnection> inner)
      : inner_(std::move(inner)) {}
  std::future<Result<ThreadOwner>> getThreadOwner(const GetThreadOwnerRequest& request,
                                                  AsyncCallback<ThreadOwner> done) override {
    return inner_->getThreadOwner(request, std::move(done));
  }
  void shutdown(ShutdownMode mode) override { inner_->shutdown(mode); }
  std::size_t pending() const override { return inner_->pending(); }
  std::size_t waiting() const override { return inner_->waiting(); }
  const ClientOptions& options() const override { return inner_->options(); }

 private:
  std::shared_ptr<AsyncConnection> inner_;
};

}  // namespace

TEST_CASE(
    "a Connection decorator that overrides one call compiles, and the rest are unimplemented") {
  auto fake = std::make_shared<testing::FakeConnection>();
  fake->on_get_thread_owner = [](const GetThreadOwnerRequest&) {
    ThreadOwner owner;
    owner.app_id = "263902037430900";
    return Result<ThreadOwner>(owner);
  };
  auto decorator = std::make_shared<CountingOwnerReads>(fake);
  Client client(decorator);

  auto owner = client.getThreadOwner("6543210987654321");
  REQUIRE(owner);
  CHECK(owner->app_id == "263902037430900");
  CHECK(decorator->reads == 1);

  auto pass = client.passThreadControlToPageInbox("6543210987654321");
  REQUIRE_FALSE(pass);
  CHECK(pass.error().category == ErrorCategory::kUnimplemented);
  CHECK(pass.error().message ==
        "passThreadControl is not implemented by this Connection (it "
        "does not override the call)");
  CHECK_FALSE(pass.error().isRetryable());
  CHECK(std::string(toString(ErrorCategory::kUnimplemented)) == "unimplemented");
}

TEST_CASE(
    "an AsyncConnection decorator that overrides one call compiles, and the rest answer at "
    "once, callback included") {
  auto fake = std::make_shared<testing::FakeAsyncConnection>();
  fake->on_get_thread_owner = [](const GetThreadOwnerRequest&) {
    ThreadOwner owner;
    owner.app_id = "263902037430900";
    return Result<ThreadOwner>(owner);
  };
  AsyncClient client(std::make_shared<ForwardingOwnerReads>(fake));
  auto owner = client.getThreadOwner(GetThreadOwnerRequest{"6543210987654321"}).get();
  REQUIRE(owner);
  CHECK(owner->app_id == "263902037430900");

  bool called = false;
  auto release = client.releaseThreadControl(
      ReleaseThreadControlRequest{"6543210987654321"}, [&](const Result<void>& r) {
        called = !r && r.error().category == ErrorCategory::kUnimplemented;
      });
  auto answer = release.get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().category == ErrorCategory::kUnimplemented);
  CHECK(answer.error().message.find("AsyncConnection") != std::string::npos);
  CHECK(called);
}
