#pragma once
// push --zero-downtime and rollback. Where the target offers deployments, a rolling deployment:
// new instances of the app start beside the old ones, which stop once the new ones run (the
// server does it; the app keeps its GUID, bindings and logs). Else, or for a smoke test or a
// kept previous version, a swap: the new version runs beside the old one as a second app, takes
// over its routes (mapped to the new app before they are unmapped from the old), and the old one
// stops only after a drain. Each completed step is written to a journal in the config dir, so that a
// run that dies at any point is finished (traffic already moved) or undone (not yet) by the
// next run of the same command. Only portable V3 calls: works against any Cloud Foundry.

#include <string>

#include "push/deploy.hpp"

namespace stackato::client {

struct ReleaseOptions {
  std::string smoke_test;    // a command run against the new version's temporary URL
  long drain_s = 5;          // wait between unmapping the old app and stopping it
  bool keep_previous = false;  // keep the old version stopped as NAME-previous
  // "rolling": a deployment (the app keeps its GUID, routes, bindings and logs); "swap": a second
  // app takes over the routes (what --smoke-test and --keep-previous need); "": rolling where the
  // target offers deployments and neither of those is asked for, else swap.
  std::string strategy;
};

void push_zero_downtime(Session& s, manifest::Context& context, const manifest::Manifest& m, const manifest::App& app,
                        const PushFlags& flags, const ReleaseOptions& options, bool show_progress);

// Routes back to NAME-previous (started and healthy first), the current version kept as
// NAME-previous in turn.
void rollback(Session& s, const std::string& name, long drain_s);

}  // namespace stackato::client
