// Making and removing organizations and spaces: create-org, rename-org, delete-org,
// create-space, rename-space, delete-space. Names and arguments as in cf.

#include <iostream>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"
#include "session.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

struct Names {
  std::string first, second, org;
  bool force = false, recursive = false;
};

// Forgets the target's current org or space when it is the one deleted.
void forget_current(Session& s, const std::string& key, const std::string& guid) {
  s.config().update([&](ConfigFiles& f) {
    json& adj = f.adjuncts[s.target()];
    if (adj.value(key, "") != guid) return;
    adj.erase(key);
    adj.erase(key + "_name");
  });
}

void add_org_commands(CLI::App& app, Globals& globals) {
  auto c = std::make_shared<Names>();
  auto* create = app.add_subcommand("create-org", "Create an organization (an admin's command)");
  create->add_option("name", c->first, "Organization")->required();
  create->callback([c, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto org = cc.create_organization(c->first);
    std::cout << "Created organization " << org.name << "\n"
              << "TIP: use 'stackato create-space SPACE -o " << org.name << "' to give it a space\n";
  });

  auto r = std::make_shared<Names>();
  auto* rename = app.add_subcommand("rename-org", "Rename an organization (its managers may)");
  rename->add_option("org", r->first, "Organization")->required();
  rename->add_option("new_name", r->second, "New name")->required();
  rename->callback([r, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto org = cc.rename_organization(org_named(cc, r->first).guid, r->second);
    s.config().update([&](ConfigFiles& f) {
      json& adj = f.adjuncts[s.target()];
      if (adj.value("organization", "") == org.guid) adj["organization_name"] = org.name;
    });
    std::cout << "Renamed organization " << r->first << " to " << org.name << "\n";
  });

  auto d = std::make_shared<Names>();
  auto* del = app.add_subcommand("delete-org", "Delete an organization with its spaces, apps and services (an admin's command)");
  del->add_option("org", d->first, "Organization")->required();
  del->add_flag("-f,--force", d->force, "Do not ask for confirmation");
  del->callback([d, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto org = org_named(cc, d->first);
    if (!d->force && !confirmed(globals, "Really delete the organization " + org.name + " and everything in it?")) return;
    cc.delete_organization(org.guid);
    forget_current(s, "organization", org.guid);
    std::cout << "Deleted organization " << org.name << "\n";
  });
}

void add_space_commands(CLI::App& app, Globals& globals) {
  auto c = std::make_shared<Names>();
  auto* create = app.add_subcommand("create-space", "Create a space in the current organization (or -o ORG)");
  create->add_option("name", c->first, "Space")->required();
  create->add_option("-o,--organization", c->org, "Organization");
  create->callback([c, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto org = c->org.empty() ? current_org(s, cc) : org_named(cc, c->org);
    auto space = cc.create_space(org.guid, c->first);
    // As cf does: the user who makes a space manages it and may push to it.
    std::string me = s.config().read().adjuncts.value(s.target(), json::object()).value("user", "");
    if (!me.empty())
      for (const char* type : {"space_manager", "space_developer"}) cc.create_space_role(type, me, space.guid);
    std::cout << "Created space " << space.name << " in organization " << org.name << "\n"
              << "TIP: use 'stackato switch-space " << space.name << "' to push to it\n";
  });

  auto r = std::make_shared<Names>();
  auto* rename = app.add_subcommand("rename-space", "Rename a space of the current organization");
  rename->add_option("space", r->first, "Space")->required();
  rename->add_option("new_name", r->second, "New name")->required();
  rename->callback([r, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto org = current_org(s, cc);
    auto space = cc.rename_space(space_named(cc, org, r->first).guid, r->second);
    s.config().update([&](ConfigFiles& f) {
      json& adj = f.adjuncts[s.target()];
      if (adj.value("space", "") == space.guid) adj["space_name"] = space.name;
    });
    std::cout << "Renamed space " << r->first << " to " << space.name << "\n";
  });

  auto d = std::make_shared<Names>();
  auto* del = app.add_subcommand("delete-space",
                                 "Delete a space of the current organization (or -o ORG); with apps or services in it, "
                                 "--recursive");
  del->add_option("space", d->first, "Space")->required();
  del->add_option("-o,--organization", d->org, "Organization");
  del->add_flag("-f,--force", d->force, "Do not ask for confirmation");
  del->add_flag("-r,--recursive", d->recursive, "Delete its apps and service instances with it");
  del->callback([d, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto org = d->org.empty() ? current_org(s, cc) : org_named(cc, d->org);
    auto space = space_named(cc, org, d->first);
    // The server deletes what a space holds; deleting apps and databases is said out loud.
    if (!d->recursive) {
      long apps = cc.count_apps(space.guid), services = cc.count_service_instances(space.guid);
      if (apps || services)
        throw UsageError("space '" + space.name + "' holds " + std::to_string(apps) + " app(s) and " +
                         std::to_string(services) + " service instance(s): use --recursive to delete them with it");
    }
    if (!d->force && !confirmed(globals, "Really delete the space " + space.name + "?")) return;
    cc.delete_space(space.guid);
    forget_current(s, "space", space.guid);
    std::cout << "Deleted space " << space.name << "\n";
  });
}

}  // namespace

void add_org_admin(CLI::App& app, Globals& globals) {
  add_org_commands(app, globals);
  add_space_commands(app, globals);
}

}  // namespace stackato::client
