#include "model.hpp"

namespace stackato::manifest {

namespace {

std::optional<std::string> text_of(const Node& def, std::string_view key) {
  const Node* n = def.find(key);
  if (!n || n->is_null()) return std::nullopt;
  return n->text;
}

std::vector<std::string> texts(const Node* seq) {
  std::vector<std::string> out;
  if (seq)
    for (const auto& item : seq->items) out.push_back(item.text);
  return out;
}

const Node* path(const Node& root, std::initializer_list<std::string_view> keys) {
  const Node* n = &root;
  for (auto k : keys)
    if (!(n = n->find(k))) return nullptr;
  return n;
}

}  // namespace

App to_app(const Node& def) {
  App app;
  app.name = def.find("name")->text;
  app.path = def.find("path")->text;
  if (auto v = text_of(def, "instances")) app.instances = std::stoi(*v);
  if (auto v = text_of(def, "memory")) app.memory_mb = std::stol(*v);
  if (auto v = text_of(def, "disk_quota")) app.disk_mb = std::stol(*v);
  if (const Node* u = def.find("urls")) app.urls = texts(u);
  app.buildpack = text_of(def, "buildpack");
  app.stack = text_of(def, "stack");
  app.docker_image = text_of(def, "docker_image");
  app.command = text_of(def, "command");
  app.runtime = text_of(def, "runtime");
  if (const Node* fw = def.find("framework")) app.framework = text_of(*fw, "name");
  if (auto v = text_of(def, "timeout")) app.timeout = std::stoi(*v);
  app.health_check_type = text_of(def, "health-check-type");
  if (app.health_check_type == "none") app.health_check_type = "process";
  app.health_check_endpoint = text_of(def, "health-check-http-endpoint");
  if (auto v = text_of(def, "health-check-invocation-timeout")) app.health_check_invocation_timeout = std::stoi(*v);
  app.depends_on = texts(def.find("depends-on"));

  if (const Node* web = path(def, {"stackato", "processes", "web"})) {
    if (web->is_null() || web->text.empty())
      app.worker = true;
    else
      app.web_command = web->text;
  }
  if (app.framework == "standalone") app.worker = true;

  if (const Node* services = def.find("services"))
    for (const auto& [name, s] : services->entries) {
      Service svc;
      svc.name = name;
      svc.type = text_of(s, "type").value_or("");
      svc.plan = text_of(s, "plan").value_or("");
      svc.provider = text_of(s, "provider").value_or("");
      svc.version = text_of(s, "version").value_or("");
      svc.tags = texts(s.find("tags"));
      if (const Node* p = s.find("parameters")) svc.parameters = to_json(*p);
      if (const Node* c = s.find("credentials")) svc.credentials = to_json(*c);
      if (svc.parameters.is_null()) svc.parameters = nlohmann::json::object();
      if (svc.credentials.is_null()) svc.credentials = nlohmann::json::object();
      svc.cache = s.has("cache");
      app.services.push_back(std::move(svc));
    }

  if (const Node* env = path(def, {"stackato", "env"}))
    for (const auto& [name, e] : env->entries) {
      EnvVar var;
      var.name = name;
      var.default_value = text_of(e, "default");
      var.required = e.has("required") && boolean_value(e.find("required")->text);
      var.inherit = e.has("inherit") && boolean_value(e.find("inherit")->text);
      var.hidden = e.has("hidden") && boolean_value(e.find("hidden")->text);
      var.prompt = text_of(e, "prompt");
      var.choices = texts(e.find("choices"));
      var.scope = text_of(e, "scope").value_or("both");
      app.env.push_back(std::move(var));
    }

  if (const Node* hooks = path(def, {"stackato", "hooks"}))
    for (const auto& [name, h] : hooks->entries) app.hooks[name] = texts(&h);
  app.cron = texts(path(def, {"stackato", "cron"}));
  if (const Node* ig = path(def, {"stackato", "ignores"})) app.ignores = texts(ig);
  if (const Node* mv = path(def, {"stackato", "min_version"})) {
    app.min_client_version = text_of(*mv, "client");
    app.min_server_version = text_of(*mv, "server");
  }
  app.json = to_json(def);
  return app;
}

}  // namespace stackato::manifest
