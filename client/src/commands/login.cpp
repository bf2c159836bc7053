// stackato login [USER], stackato logout [--all]

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "resources.hpp"
#include "session.hpp"
#include "terminal.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

struct LoginOptions {
  std::string user;
  std::string password;  // --password: visible in ps; --password-stdin or the prompt are better
  bool password_stdin = false;
  std::string org, space;
};

void run_login(const LoginOptions& o, Globals& globals) {
  Session s(globals);
  bool interactive = !globals.non_interactive && stdin_is_tty();
  std::string user = o.user;
  if (user.empty()) {
    if (!interactive) throw UsageError("login needs a user name (stackato login USER)");
    user = ask_line("Email: ", false);
  }
  std::string password = o.password;
  if (o.password_stdin) {
    std::getline(std::cin, password);
  } else if (password.empty()) {
    if (!interactive) throw UsageError("no password: use --password-stdin, or log in on a terminal");
    password = ask_line("Password: ", true);
  }
  s.log_in(user, password);
  api::CloudController cc(s);
  api::Organization org = choose_org(cc, o.org, interactive);
  api::Space space = choose_space(cc, org, o.space, interactive);
  std::cerr << "Successfully logged in as " << user << "\n";
  save_org_space(s, org, space);
}

}  // namespace

void add_login(CLI::App& app, Globals& globals) {
  auto o = std::make_shared<LoginOptions>();
  auto* cmd = app.add_subcommand("login", "Log in to the target (and choose an organization and space)");
  cmd->add_option("user", o->user, "User name");
  cmd->add_option("--password", o->password, "Password (visible to other users in ps: prefer --password-stdin)");
  cmd->add_flag("--password-stdin", o->password_stdin, "Read the password from standard input");
  cmd->add_option("-o,--organization", o->org, "Organization");
  cmd->add_option("-s,--space", o->space, "Space");
  cmd->callback([o, &globals] { run_login(*o, globals); });

  auto all = std::make_shared<bool>(false);
  auto* out = app.add_subcommand("logout", "Forget the login for the target (and its refresh token)");
  out->add_flag("--all", *all, "Forget every target's login");
  out->callback([all, &globals] {
    Session s(globals);
    s.revoke_refresh();  // a copy of the refresh token taken before must not outlive the logout
    s.config().update([&](ConfigFiles& f) {
      for (auto& [url, adj] : f.adjuncts.items())
        if (*all || url == s.target()) adj.erase("refresh");
      if (*all)
        f.tokens = json::object();
      else
        f.tokens.erase(s.target());
    });
    std::cerr << (*all ? "Logged out of every target\n" : "Logged out of " + s.target() + "\n");
  });
}

}  // namespace stackato::client
