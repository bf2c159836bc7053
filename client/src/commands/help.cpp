// stackato help [COMMAND]

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "suggest.hpp"

namespace stackato::client {

void add_help(CLI::App& app) {
  auto* cmd = app.add_subcommand("help", "Show the commands, or one command's options");
  auto topic = std::make_shared<std::string>();  // the callback keeps it alive
  cmd->add_option("command", *topic, "The command to explain");
  cmd->callback([&app, topic] {
    if (topic->empty()) {
      // app.help() would describe the parsed subcommand, i.e. `help` itself.
      std::cout << app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal);
      return;
    }
    try {
      std::cout << app.get_subcommand(*topic)->help();
    } catch (const CLI::OptionNotFound&) {
      std::vector<std::string> names;
      for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
      std::string hint = closest(*topic, names);
      throw UsageError("unknown command '" + *topic + "'" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
  });
}

}  // namespace stackato::client
