// stackato manifest: the resolved, normalised manifest (the original client's debug-manifest).

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "client_context.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::client {

namespace {
struct Options {
  std::string app;
  std::string path = ".";
  std::string manifest;
  std::string as;
  bool json = false;
  bool files = false;
  bool upload = false;
};

void run_manifest(const Options& o, const Globals& globals) {
  ClientContext context(globals);
  manifest::LoadOptions load;
  load.path = o.path;
  if (!o.manifest.empty()) load.file = o.manifest;
  if (!o.as.empty()) load.as_name = o.as;
  if (!o.app.empty()) load.name = o.app;
  auto file = manifest::find_manifest(load);
  if (!file)
    throw UsageError("no manifest: neither stackato.yml in '" + o.path +
                     "' nor manifest.yml there or in a parent directory");
  auto shown = file->lexically_proximate(std::filesystem::current_path());
  if (shown.empty() || *shown.begin() == "..") shown = *file;  // below the cwd: relative
  std::cerr << "Using manifest file \"" << shown.generic_string() << "\"\n";
  load.file = *file;
  auto m = manifest::load(load, context);
  if (o.upload) {  // what push puts at the zip root for the stager, one document per app
    for (std::size_t i = 0; i < m.apps.size(); ++i)
      std::cout << (i ? "---\n" : "") << manifest::upload_manifest(m, m.apps[i]);
    return;
  }
  if (o.files) {
    nlohmann::ordered_json all = nlohmann::ordered_json::object();
    for (const auto& app : m.apps) {
      auto files = manifest::upload_files(app);
      if (o.json)
        all[app.name] = files;
      else
        for (const auto& f : files) std::cout << (m.apps.size() > 1 ? app.name + ": " : "") << f << '\n';
    }
    if (o.json) std::cout << all.dump(2) << '\n';
    return;
  }
  if (o.json)
    std::cout << m.json.dump(2) << '\n';
  else
    std::cout << manifest::to_yaml(m.json);
}
}  // namespace

void add_manifest(CLI::App& app, Globals& globals) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("manifest", "Print the resolved, normalised manifest");
  cmd->add_option("app", o->app, "Only this application; names a stackato.yml without 'name:'");
  cmd->add_option("--path", o->path, "Application directory (default: current directory)");
  cmd->add_option("--manifest", o->manifest, "Manifest file to use instead of searching");
  cmd->add_option("--as", o->as, "Name to give the application");
  cmd->add_flag("--json", o->json, "Print JSON instead of YAML");
  cmd->add_flag("--files", o->files, "List the files that push would upload");
  cmd->add_flag("--upload", o->upload, "Print the manifest that push puts at the zip root for the stager")
      ->excludes(cmd->get_option("--files"));
  cmd->callback([o, &globals] { run_manifest(*o, globals); });
}

}  // namespace stackato::client
