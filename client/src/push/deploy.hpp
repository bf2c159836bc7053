#pragma once
// Pushing one app of a manifest: create it or bring it in line with the manifest (saying what
// changed), routes, services, the pre-push hook, upload, staging with its log streamed, the new
// droplet, and a start that is followed until the instances run.

#include <map>
#include <optional>
#include <string>
#include <vector>

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

struct PushResult {
  std::string guid;
  bool created = false;
  std::vector<std::string> urls;
};

PushResult push_app(Session& s, manifest::Context& context, const manifest::Manifest& m, const manifest::App& app,
                    const PushFlags& flags, bool show_progress);

}  // namespace stackato::client
