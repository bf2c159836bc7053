#pragma once
// Pushing one app of a manifest: create it or bring it in line with the manifest (saying what
// changed), routes, services, the pre-push hook, upload, staging with its log streamed, the new
// droplet, and a start that is followed until the instances run.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/model.hpp"
#include "session.hpp"
#include "stackato/manifest/context.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::client {

// Command-line settings; they win over the manifest.
struct PushFlags {
  std::optional<int> instances;
  std::optional<long> memory_mb, disk_mb;
  std::vector<std::string> urls;  // --url, repeatable
  bool no_route = false;
  bool no_start = false;
  bool force_start = false;
  std::map<std::string, std::string> env;  // --env K=V
  long start_timeout_s = 0;                // 0: the manifest's `timeout`, else 180 s
};

// How a new droplet reaches an app that runs: a restart (every instance stops, then starts, as
// the original client did), or a rolling deployment (POST /v3/deployments: new instances start
// beside the running ones, which stop once the new ones run; push --zero-downtime, where the
// target offers deployments). A new or stopped app simply starts.
enum class Rollout { Restart, Deployment };

struct PushResult {
  std::string guid;
  bool created = false;
  std::vector<std::string> urls;
};

// stackato restage: the app's newest package staged again (its hooks run against the services
// and variables the app has now, e.g. a binding made since), then the new droplet brought in as
// push brings one: a restart or a deployment when the app runs, only made current when it is
// stopped.
void restage_app(Session& s, const api::App& app, Rollout rollout, long timeout_s);

PushResult push_app(Session& s, manifest::Context& context, const manifest::Manifest& m, const manifest::App& app,
                    const PushFlags& flags, bool show_progress, Rollout rollout = Rollout::Restart);

}  // namespace stackato::client
