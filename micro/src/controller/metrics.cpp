// GET /metrics: Prometheus's text format, for a scraper holding kato's scrape token (or an
// admin). Counters come from the router, stager and token endpoint as they count; the present
// (instances, service servers, disk) is asked of its owners now, outside any lock of theirs
// that a request holds.

#include <future>

#include "brokers/brokers.hpp"
#include "controller/handlers.hpp"
#include "metrics/metrics.hpp"
#include "model/model.hpp"
#include "runner/runner.hpp"

namespace kato::controller {

void Controller::Impl::add_metrics_routes() {
  add("GET", "/metrics", {Need::Scrape}, [this](Call& c) {
    c.allow_query({});
    if (!backends.metrics) throw ApiError(404, 10000, "CF-NotFound", "Unknown request");
    metrics::Metrics::Snapshot now;
    now.data = config.data_dir;
    std::map<std::string, runner::Runner::Census> census;
    if (backends.runner)
      for (const auto& x : backends.runner->census()) census[x.app] = x;
    // One read of each kind, not one per app.
    std::map<std::string, long> web_instances;  // app guid -> its web process's instances
    for (const auto& doc : store.list("process")) {
      model::Process p = model::parse_process(doc);
      if (p.type == "web") web_instances[p.app_guid] = p.instances;
    }
    std::map<std::string, std::string> space_names;
    for (const auto& doc : store.list("space")) {
      model::Space sp = model::parse_space(doc);
      space_names[sp.guid] = sp.name;
    }
    for (const auto& doc : store.list("app")) {
      model::App app = model::parse_app(doc);
      metrics::Metrics::App a;
      a.guid = app.guid;
      a.name = app.name;
      a.space = space_names[app.space_guid];
      if (app.runnable()) a.wanted = web_instances[app.guid];
      if (auto it = census.find(app.guid); it != census.end()) {
        a.running = it->second.running;
        a.crashed = it->second.crashed;
        a.restarts = it->second.restarts;
      }
      now.apps.push_back(a);
    }
    // The probes (2 s at most each) run side by side: a scrape waits 2 s, not 2 s per server.
    if (backends.brokers) {
      std::vector<std::pair<std::string, std::future<bool>>> probes;
      for (auto* b : backends.brokers->all()) {
        if (b->label() == "filesystem") continue;  // no server of its own
        if (!b->started()) {
          now.services.push_back({b->label(), false, false});
          continue;
        }
        probes.emplace_back(b->label(), std::async(std::launch::async, [b] { return b->answers(); }));
      }
      for (auto& [label, up] : probes) now.services.push_back({label, true, up.get()});
    }
    return http::Response{200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                          backends.metrics->render(now)};
  });
}

}  // namespace kato::controller
