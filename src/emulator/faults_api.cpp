// Part of Emulator::Impl (emulator_impl.hpp): switching faults on and off at run time, the
// Lead-Gen pass and the recorded scenario, over the control API (`/_emulator/faults`,
// `/_emulator/leadgen/pass`, `/_emulator/scenario`).

#include <string>

#include "emulator_impl.hpp"
#include "faults_json.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

Result<void> Emulator::Impl::setFaults(const Faults& f) {
  if (auto r = detail::checkFaultReferences(world.config(), f, "faults"); !r) return r;
  {
    std::lock_guard<std::mutex> lock(world_mu);
    graph_faults.set(f);
    world.setLeadGen(f.lead_gen);
    fault_seed = f.seed;
  }
  delivery.setFaults(f.delivery, f.seed);
  record("control", [&](JsonWriter& w) {
    w.Key("action");
    w.String("set_faults");
    w.Key("faults");
    const std::string json = faultsJson(f);
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  });
  return {};
}

Faults Emulator::Impl::faults() const {
  Faults f;
  {
    std::lock_guard<std::mutex> lock(world_mu);
    graph_faults.describe(f);
    f.lead_gen = world.leadGen();
    f.seed = fault_seed;
  }
  f.delivery = delivery.faults();
  return f;
}

Result<void> Emulator::Impl::leadGenPass(const std::string& page, const std::string& user,
                                         const std::string& target, bool complete) {
  return act<void>("lead_gen_pass", page, user,
                   [&] { return world.leadGenPass(page, user, target, complete); },
                   {{"target_app_id", target}, {"complete", complete ? "true" : "false"}});
}

void Emulator::Impl::faultRoutes() {
  auto answer = [this](httplib::Response& res) {
    res.set_content(faultsJson(faults()), "application/json");
  };
  server.Get("/_emulator/faults",
             [answer](const httplib::Request&, httplib::Response& res) { answer(res); });
  server.Post("/_emulator/faults",
              [this, answer](const httplib::Request& req, httplib::Response& res) {
                auto parsed = parseFaults(req.body.empty() ? "{}" : req.body, "faults");
                Result<void> set = parsed ? setFaults(*parsed) : Result<void>(parsed.error());
                if (!set) {
                  res.status = 400;
                  res.set_content(errorBody(set.error()), "application/json");
                  return;
                }
                answer(res);
              });
  server.Delete("/_emulator/faults",
                [this, answer](const httplib::Request&, httplib::Response& res) {
                  (void)setFaults(Faults{});  // nothing to refer to: cannot fail
                  answer(res);
                });
  server.Get("/_emulator/scenario", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(scenarioSkeleton(), "application/json");
  });
  server.Post(
      "/_emulator/leadgen/pass", [this](const httplib::Request& req, httplib::Response& res) {
        control(req, res, [this](const auto& s, rapidjson::Document& d) -> Result<std::string> {
          bool complete = true;
          if (auto it = d.FindMember("complete"); it != d.MemberEnd()) {
            if (!it->value.IsBool()) {
              return handover::detail::invalidArgument("complete must be true or false");
            }
            complete = it->value.GetBool();
          }
          return okJson(leadGenPass(s("page_id"), s("user_id"), s("target_app_id"), complete));
        });
      });
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
