#include "cli.hpp"

#include <iostream>

#include "stackato/manifest/manifest.hpp"
#include "stackato/version.hpp"
#include "interrupt.hpp"
#include "session.hpp"
#include "suggest.hpp"

namespace stackato::client {

namespace {

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    out.push_back(sub->get_name());
  return out;
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::App* a = &app; a; a = a->get_parent())
    for (const auto* opt : a->get_options())
      for (const auto& l : opt->get_lnames()) out.push_back("--" + l);
  return out;
}

// The innermost command the parser got to.
const CLI::App* deepest(const CLI::App& app) {
  for (const auto* sub : app.get_subcommands())
    if (sub->parsed()) return deepest(*sub);
  return &app;
}

// CLI11's message, made specific: which word was not understood and what was probably meant.
std::string explain(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* where = deepest(app);
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    // With fallthrough, words the command did not take end up with the top level.
    auto words = where->remaining();
    if (words.empty()) words = app.remaining();
    for (const auto& word : words) {
      if (word.rfind("-", 0) == 0) {
        std::string opt = word.substr(0, word.find('='));
        std::string hint = closest(opt, option_names(*where));
        return "unknown option '" + opt + "'" +
               (where != &app ? " for '" + where->get_name() + "'" : "") +
               (hint.empty() ? "" : "; did you mean '" + hint + "'?");
      }
      if (where == &app) {
        std::string hint = closest(word, command_names(app));
        return "unknown command '" + word + "'" +
               (hint.empty() ? "; see 'stackato help'" : "; did you mean '" + hint + "'?");
      }
      return "unexpected argument '" + word + "' for '" + where->get_name() + "'";
    }
  }
  return e.what();
}

}  // namespace

int run(int argc, char** argv) {
  install_interrupt_handlers();
  CLI::App app{"stackato: deploy and manage applications on a Cloud Foundry V3 platform", "stackato"};
  Globals globals;
  app.set_version_flag("-v,--version", std::string("stackato ") + kVersion, "Print the version and exit");
  app.add_option("--target", globals.target, "Target API URL for this command only (not saved)");
  app.add_flag("-n,--non-interactive,--no-prompt", globals.non_interactive, "Never prompt");
  app.add_option("--color", globals.color, "Colour output: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->default_str("auto");
  app.add_option("--cafile", globals.cafile, "CA bundle to trust for the target's TLS certificate");
  app.add_flag("--skip-ssl-validation", globals.skip_ssl_validation, "Do not verify TLS certificates (unsafe)");
  app.add_flag("--trace", globals.trace, "Show the HTTP traffic on stderr (secrets redacted)");
  app.add_option("--timeout", globals.timeout_s, "Seconds allowed for each request")->check(CLI::PositiveNumber);
  app.require_subcommand(0, 1);
  // Global options also after the command (`stackato apps --target URL`, `push -n`), as kato's
  // start message and the original client's users write them. Subcommands inherit this.
  app.fallthrough();
  app.footer("Run 'stackato help COMMAND' for a command's options.");
  for (auto* opt : app.get_options()) opt->configurable(false);

  add_help(app);
  add_manifest(app, globals);
  add_target(app, globals);
  add_login(app, globals);
  add_orgs(app, globals);
  add_org_admin(app, globals);
  add_users(app, globals);
  add_apps(app, globals);
  add_routes(app, globals);
  add_lifecycle(app, globals);
  add_push(app, globals);
  add_info(app, globals);
  add_scale(app, globals);
  add_env(app, globals);
  add_logs(app, globals);
  add_stats(app, globals);
  add_domains(app, globals);
  add_curl(app, globals);
  add_services(app, globals);
  add_tunnel(app, globals);
  add_run(app, globals);
  add_dbexport(app, globals);
  add_completion(app, globals);

  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) {
      std::cout << app.help();
      return 0;
    }
    return 0;
  } catch (const ExitCode& e) {
    return e.code;
  } catch (const CLI::CallForHelp&) {
    std::cout << deepest(app)->help();
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << '\n';
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "stackato: error: " << explain(app, e) << '\n';
    return 2;
  } catch (const manifest::Error& e) {
    std::cerr << "stackato: error: " << e.what() << '\n';
    return 2;
  } catch (const NetworkError& e) {
    std::cerr << "stackato: error: " << e.what() << '\n';
    return 1;
  } catch (const ApiError& e) {
    std::cerr << "stackato: error: " << e.what() << '\n';
    return 1;
  } catch (const UsageError& e) {
    std::cerr << "stackato: error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "stackato: error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace stackato::client
