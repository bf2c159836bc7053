// Users and roles: users, create-user, delete-user, passwd, org-users, space-users,
// set-org-role, unset-org-role, set-space-role, unset-space-role. Names and arguments as in cf.

#include <iostream>
#include <map>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"
#include "session.hpp"
#include "table.hpp"
#include "terminal.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

// A password never comes from argv: a line of standard input (--password-stdin), or the
// terminal, asked twice.
std::string new_password(const Globals& globals, bool from_stdin, const std::string& prompt) {
  std::string password;
  if (from_stdin) {
    if (!std::getline(std::cin, password)) throw UsageError("--password-stdin: no line on standard input");
  } else {
    if (globals.non_interactive || !stdin_is_tty()) throw UsageError("no password: use --password-stdin, or a terminal");
    password = ask_line(prompt, true);
    if (ask_line("Verify " + prompt, true) != password) throw UsageError("the passwords do not match");
  }
  if (password.size() < 8) throw UsageError("a password has at least 8 characters");
  return password;
}

// Users grouped by role, in the order cf prints them; --json: {role: [names]}.
void print_by_role(const std::vector<std::pair<std::string, std::string>>& titles,
                   const std::map<std::string, std::vector<std::string>>& names, const std::string& heading,
                   bool as_json) {
  if (as_json) {
    json out = json::object();
    for (const auto& [type, title] : titles) {
      auto it = names.find(type);
      out[type] = it == names.end() ? json::array() : json(it->second);
    }
    std::cout << out.dump(4) << '\n';
    return;
  }
  std::cout << heading << "\n";
  for (const auto& [type, title] : titles) {
    std::cout << "\n" << title << "\n";
    auto it = names.find(type);
    if (it == names.end() || it->second.empty()) std::cout << "  No " << title << " found\n";
    else
      for (const auto& n : it->second) std::cout << "  " << n << "\n";
  }
}

// Names of the users holding each role type among `roles`.
std::map<std::string, std::vector<std::string>> names_by_role(const std::vector<api::Role>& roles,
                                                              const std::vector<api::User>& users) {
  std::map<std::string, std::string> name_of;
  for (const auto& u : users) name_of[u.guid] = u.username;
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r : roles) out[r.type].push_back(name_of.count(r.user_guid) ? name_of[r.user_guid] : r.user_guid);
  for (auto& [type, names] : out) std::sort(names.begin(), names.end());
  return out;
}

struct RoleArgs {
  std::string user, org, space, role;
};

void set_org_role(Globals& globals, const RoleArgs& a, bool set) {
  Session s(globals);
  api::CloudController cc(s);
  std::string type = api::org_role_type(a.role);
  auto org = org_named(cc, a.org);
  if (set) {
    cc.create_org_role(type, a.user, org.guid);
    std::cout << "Assigned role " << api::role_title(type) << " to user " << a.user << " in organization " << org.name
              << "\n";
    return;
  }
  auto user = user_named(cc, a.user);
  auto roles = cc.roles({user.guid, "", org.guid, type});
  if (roles.empty()) {
    std::cout << "User " << a.user << " does not have role " << api::role_title(type) << " in organization " << org.name
              << "\n";
    return;
  }
  for (const auto& r : roles) cc.delete_role(r.guid);
  std::cout << "Removed role " << api::role_title(type) << " from user " << a.user << " in organization " << org.name
            << "\n";
}

void set_space_role(Globals& globals, const RoleArgs& a, bool set) {
  Session s(globals);
  api::CloudController cc(s);
  std::string type = api::space_role_type(a.role);
  auto org = org_named(cc, a.org);
  auto space = space_named(cc, org, a.space);
  if (set) {
    cc.create_space_role(type, a.user, space.guid);
    std::cout << "Assigned role " << api::role_title(type) << " to user " << a.user << " in space " << space.name
              << " of organization " << org.name << "\n";
    return;
  }
  auto user = user_named(cc, a.user);
  auto roles = cc.roles({user.guid, space.guid, "", type});
  if (roles.empty()) {
    std::cout << "User " << a.user << " does not have role " << api::role_title(type) << " in space " << space.name
              << "\n";
    return;
  }
  for (const auto& r : roles) cc.delete_role(r.guid);
  std::cout << "Removed role " << api::role_title(type) << " from user " << a.user << " in space " << space.name
            << " of organization " << org.name << "\n";
}

void add_role_commands(CLI::App& app, Globals& globals) {
  std::string org_roles = "OrgManager, BillingManager, OrgAuditor or OrgUser";
  std::string space_roles = "SpaceManager, SpaceDeveloper, SpaceAuditor or SpaceSupporter";
  for (bool set : {true, false}) {
    auto a = std::make_shared<RoleArgs>();
    auto* org_cmd = app.add_subcommand(set ? "set-org-role" : "unset-org-role",
                                       set ? "Give USER a role in ORG" : "Take a role in ORG from USER");
    org_cmd->add_option("user", a->user, "User name")->required();
    org_cmd->add_option("org", a->org, "Organization")->required();
    org_cmd->add_option("role", a->role, org_roles)->required();
    org_cmd->callback([a, set, &globals] { set_org_role(globals, *a, set); });

    auto b = std::make_shared<RoleArgs>();
    auto* space_cmd = app.add_subcommand(set ? "set-space-role" : "unset-space-role",
                                         set ? "Give USER a role in SPACE of ORG" : "Take a role in SPACE of ORG from USER");
    space_cmd->add_option("user", b->user, "User name")->required();
    space_cmd->add_option("org", b->org, "Organization")->required();
    space_cmd->add_option("space", b->space, "Space")->required();
    space_cmd->add_option("role", b->role, space_roles)->required();
    space_cmd->callback([b, set, &globals] { set_space_role(globals, *b, set); });
  }
}

void add_listings(CLI::App& app, Globals& globals) {
  auto users_json = std::make_shared<bool>(false);
  auto* users = app.add_subcommand("users", "List the users you can see, with their roles");
  users->add_flag("--json", *users_json, "Print JSON");
  users->callback([users_json, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto all = cc.users();
    auto roles = cc.roles({});
    // Org and space names: two listings, whatever the number of orgs.
    std::map<std::string, std::string> place;
    for (const auto& o : cc.organizations()) place[o.guid] = o.name;
    for (const auto& sp : cc.spaces("")) place[sp.guid] = place[sp.org_guid] + "/" + sp.name;
    std::map<std::string, std::vector<std::string>> held;
    for (const auto& r : roles) {
      std::string where = r.in_space() ? r.space_guid : r.org_guid;
      held[r.user_guid].push_back((place.count(where) ? place[where] : where) + ":" + api::role_title(r.type));
    }
    std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.username < y.username; });
    if (*users_json) {
      json out = json::array();
      for (const auto& u : all)
        out.push_back({{"username", u.username}, {"guid", u.guid}, {"origin", u.origin}, {"roles", held[u.guid]}});
      std::cout << out.dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& u : all) {
      std::string list;
      for (const auto& h : held[u.guid]) list += (list.empty() ? "" : ", ") + h;
      rows.push_back({u.username, list});
    }
    std::cout << render_table({"Username", "Roles"}, rows);
  });

  auto org_users_args = std::make_shared<std::pair<std::string, bool>>();
  auto* org_users = app.add_subcommand("org-users", "List the users of ORG (default: the current one) by role");
  org_users->add_option("org", org_users_args->first, "Organization");
  org_users->add_flag("--json", org_users_args->second, "Print JSON");
  org_users->callback([org_users_args, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto org = org_users_args->first.empty() ? current_org(s, cc) : org_named(cc, org_users_args->first);
    auto names = names_by_role(cc.roles({"", "", org.guid, ""}), cc.organization_users(org.guid));
    print_by_role({{"organization_manager", "ORG MANAGER"},
                   {"organization_billing_manager", "BILLING MANAGER"},
                   {"organization_auditor", "ORG AUDITOR"},
                   {"organization_user", "USERS"}},
                  names, "Users of organization " + org.name + ":", org_users_args->second);
  });

  struct SpaceUsersArgs {
    std::string first, second;
    bool as_json = false;
  };
  auto su = std::make_shared<SpaceUsersArgs>();
  auto* space_users = app.add_subcommand(
      "space-users", "List the users of a space by role: [ORG SPACE], [SPACE] of the current org, or the current space");
  space_users->add_option("org_or_space", su->first, "ORG (and then SPACE), or SPACE of the current organization");
  space_users->add_option("space", su->second, "SPACE of ORG");
  space_users->add_flag("--json", su->as_json, "Print JSON");
  space_users->callback([su, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    api::Organization org = su->second.empty() ? current_org(s, cc) : org_named(cc, su->first);
    api::Space space;
    if (su->first.empty()) {
      std::string guid = space_of(s);
      for (const auto& sp : cc.spaces(org.guid))
        if (sp.guid == guid) space = sp;
      if (space.guid.empty()) throw UsageError("the current space is not in the current organization: use 'stackato switch-space'");
    } else {
      space = space_named(cc, org, su->second.empty() ? su->first : su->second);
    }
    auto names = names_by_role(cc.roles({"", space.guid, "", ""}), cc.space_users(space.guid));
    print_by_role({{"space_manager", "SPACE MANAGER"},
                   {"space_developer", "SPACE DEVELOPER"},
                   {"space_auditor", "SPACE AUDITOR"},
                   {"space_supporter", "SPACE SUPPORTER"}},
                  names, "Users of space " + space.name + " in organization " + org.name + ":", su->as_json);
  });
}

void add_user_commands(CLI::App& app, Globals& globals) {
  struct CreateArgs {
    std::string name;
    bool password_stdin = false;
  };
  auto ca = std::make_shared<CreateArgs>();
  auto* create = app.add_subcommand("create-user", "Create a user (an admin's command); the password is asked for");
  create->add_option("name", ca->name, "User name")->required();
  create->add_flag("--password-stdin", ca->password_stdin, "Read the password from a line of standard input");
  create->callback([ca, &globals] {
    std::string password = new_password(globals, ca->password_stdin, "Password: ");
    Session s(globals);
    api::CloudController cc(s);
    cc.create_user(ca->name, password);
    std::cout << "Created user " << ca->name << "\n";
  });

  struct DeleteArgs {
    std::string name;
    bool force = false;
  };
  auto da = std::make_shared<DeleteArgs>();
  auto* del = app.add_subcommand("delete-user", "Delete a user and its roles (an admin's command)");
  del->add_option("name", da->name, "User name")->required();
  del->add_flag("-f,--force", da->force, "Do not ask for confirmation");
  del->callback([da, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto user = user_named(cc, da->name);
    if (!da->force && !confirmed(globals, "Really delete the user " + user.username + "?")) return;
    cc.delete_user(user.guid);
    std::cout << "Deleted user " << user.username << "\n";
  });

  auto pw_stdin = std::make_shared<bool>(false);
  auto* passwd = app.add_subcommand("passwd", "Change your password (then log in again with it)");
  passwd->add_flag("--password-stdin", *pw_stdin,
                   "Read the current and the new password from two lines of standard input");
  passwd->callback([pw_stdin, &globals] {
    Session s(globals);
    std::string old_password;
    if (*pw_stdin) {
      if (!std::getline(std::cin, old_password)) throw UsageError("--password-stdin: no line on standard input");
    } else {
      if (globals.non_interactive || !stdin_is_tty()) throw UsageError("no password: use --password-stdin, or a terminal");
      old_password = ask_line("Current password: ", true);
    }
    std::string password = new_password(globals, *pw_stdin, "New password: ");
    std::string guid = s.user_guid();
    std::string user = s.config().read().adjuncts.value(s.target(), json::object()).value("user", "");
    api::change_password(s, guid, old_password, password);
    // The change revoked the refresh tokens: log in again so that this target keeps working.
    if (!user.empty()) s.log_in(user, password);
    std::cout << "Changed the password" << (user.empty() ? "" : " of " + user) << "\n";
  });
}

}  // namespace

void add_users(CLI::App& app, Globals& globals) {
  add_listings(app, globals);
  add_user_commands(app, globals);
  add_role_commands(app, globals);
}

}  // namespace stackato::client
