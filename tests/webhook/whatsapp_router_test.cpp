// WhatsApp through the Router: typed registrations hand a `WhatsAppContext`, whose calls go to
// the client's WhatsApp calls with the event's number and user, tell the observer, and never
// take a string where a role is meant. The Messenger `Context` refuses a WhatsApp event.

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "fixture_file.hpp"
#include "handover/testing/fake_connection.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/router.hpp"
#include "parse_ok.hpp"

using namespace handover;
using namespace handover::webhook;
using handover_test_webhook::fixtureBatch;

namespace {

// Whether `ctx.passThreadControl(arg)` compiles.
template <typename Arg, typename = void>
struct CanPass : std::false_type {};
template <typename Arg>
struct CanPass<Arg, std::void_t<decltype(std::declval<WhatsAppContext&>().passThreadControl(
                        std::declval<Arg>()))>> : std::true_type {};

static_assert(!CanPass<const char*>::value, "a string is not a role");
static_assert(!CanPass<std::string>::value, "a string is not a role");
static_assert(CanPass<wa::Role>::value);
static_assert(CanPass<wa::RoleName>::value);

struct Observed : CallObserver {
  std::vector<std::string> seen;
  void whatsappPassed(const CallTarget& on, const std::optional<wa::RoleName>& role) override {
    seen.push_back("passed " + on.account_id + " " + on.user_id + " " +
                   (role ? role->wire() : std::string("-")) + " " + toString(on.platform));
  }
  void whatsappTaken(const CallTarget& on) override { seen.push_back("taken " + on.user_id); }
  void whatsappReleased(const CallTarget& on) override { seen.push_back("released " + on.user_id); }
  void passed(const CallTarget&, const std::string&) override { seen.push_back("messenger"); }
};

}  // namespace

TEST_CASE("whatsapp router: a message handler passes to a role on the event's number and user") {
  auto fake = std::make_shared<testing::FakeConnection>();
  std::vector<wa::PassThreadControlRequest> passes;
  fake->on_wa_pass_thread_control = [&](const wa::PassThreadControlRequest& r) {
    passes.push_back(r);
    return Result<wa::ThreadControlResponse>(wa::ThreadControlResponse{"req-1"});
  };
  fake->on_wa_send_text = [](const wa::SendTextRequest&) {
    return Result<wa::SendResponse>(wa::SendResponse{"wamid.OUT", ""});
  };
  Router router;
  int texts = 0;
  router.onWhatsAppMessage([&](WhatsAppContext& ctx, const WhatsAppMessage& m) -> Result<void> {
    if (m.type != "text") return {};
    ++texts;
    auto sent = ctx.sendText("connecting you");
    if (!sent) return sent.error();
    auto r = ctx.passThreadControl(wa::Role::kCustomerService, "asked for a human");
    if (!r) return r.error();
    return {};
  });
  Observed observer;
  const auto report =
      router.dispatch(fixtureBatch("whatsapp_messages.json"), Client(fake), &observer);
  CHECK(report.ok());
  CHECK(texts == 1);
  REQUIRE(passes.size() == 1);
  CHECK(passes[0].phone_number_id == "106540352242922");
  CHECK(passes[0].user.field() == wa::UserField::kTo);
  CHECK(passes[0].user.id() == "16315551181");
  CHECK(passes[0].target_role->known() == wa::Role::kCustomerService);
  CHECK(passes[0].metadata == "asked for a human");
  CHECK(fake->calls() == std::vector<std::string>{"waSendText", "waPassThreadControl"});
  CHECK(observer.seen ==
        std::vector<std::string>{"passed 106540352242922 16315551181 customer_service whatsapp"});
}

TEST_CASE("whatsapp router: take, release and an untargeted pass tell the observer") {
  auto fake = std::make_shared<testing::FakeConnection>();
  const auto ok = [](const auto&) {
    return Result<wa::ThreadControlResponse>(wa::ThreadControlResponse{});
  };
  fake->on_wa_take_thread_control = ok;
  fake->on_wa_release_thread_control = ok;
  std::vector<wa::PassThreadControlRequest> passes;
  fake->on_wa_pass_thread_control = [&](const wa::PassThreadControlRequest& r) {
    passes.push_back(r);
    return Result<wa::ThreadControlResponse>(wa::ThreadControlResponse{});
  };
  Router router;
  router.onControlPassed([](WhatsAppContext& ctx, const ControlPassed&) -> Result<void> {
    auto r = ctx.releaseThreadControl("done");
    if (!r) return r.error();
    return {};
  });
  router.onControlTaken([](WhatsAppContext& ctx, const ControlTaken&) {
    (void)ctx.takeThreadControl();
    (void)ctx.passThreadControlToEscalationPartner();
  });
  Observed observer;
  const Batch b = fixtureBatch("whatsapp_handovers_observed.json");
  const auto report = router.dispatch(b, Client(fake), &observer);
  CHECK(report.ok());
  // Two control_passed (released), one control_taken by a BSUID user (taken, passed).
  CHECK(observer.seen ==
        std::vector<std::string>{"released 16315551181", "released 16315551181",
                                 "taken US.13491208655302741",
                                 "passed 106540352242922 US.13491208655302741 - whatsapp"});
  REQUIRE(passes.size() == 1);
  CHECK(passes[0].user.field() == wa::UserField::kRecipient);
  CHECK_FALSE(passes[0].target_role);
}

TEST_CASE("whatsapp router: the Messenger context refuses a WhatsApp event, sending nothing") {
  auto fake = std::make_shared<testing::FakeConnection>();
  Router router;
  std::vector<std::string> errors;
  router.on(EventKind::kWhatsAppMessage, [&](Context& ctx, const Event&) {
    errors.push_back(ctx.passThreadControl("customer_service").error().message);
    errors.push_back(ctx.sendText("hi").error().message);
    errors.push_back(ctx.takeThreadControl().error().message);
  });
  (void)router.dispatch(fixtureBatch("whatsapp_standby.json"), Client(fake));
  (void)router.dispatch(fixtureBatch("whatsapp_messages.json"), Client(fake));
  REQUIRE(errors.size() == 9);
  for (const auto& e : errors) CHECK(e.find("WhatsAppContext") != std::string::npos);
  CHECK(fake->calls().empty());
}

TEST_CASE("whatsapp router: standby copies reach only handlers that ask for them") {
  auto fake = std::make_shared<testing::FakeConnection>();
  Router router;
  int owner_deliveries = 0;
  int copies = 0;
  int echoes = 0;
  router.onWhatsAppMessage([&](WhatsAppContext&, const WhatsAppMessage&) { ++owner_deliveries; });
  router.onWhatsAppMessage(
      [&](WhatsAppContext& ctx, const WhatsAppMessage&) { copies += ctx.isStandby(); },
      Source::kStandby);
  router.onWhatsAppEcho([&](WhatsAppContext& ctx, const WhatsAppEcho&) {
    echoes += ctx.isStandby() && !ctx.userId().empty();
  });
  const auto report = router.dispatch(fixtureBatch("whatsapp_standby.json"), Client(fake));
  CHECK(report.ok());
  CHECK(owner_deliveries == 0);
  CHECK(copies == 1);
  CHECK(echoes == 2);
  CHECK(report.unhandled == 1);  // the status
}
