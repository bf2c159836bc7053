#include "manpage.hpp"

#include <catch2/catch.hpp>

using stackato::docs::ManPage;
using stackato::docs::render_man;
using stackato::docs::roff_escape;

TEST_CASE("man page: roff_escape guards requests, backslashes and hyphens") {
  CHECK(roff_escape("--data DIR") == "\\-\\-data DIR");
  CHECK(roff_escape(".hidden") == "\\&.hidden");
  CHECK(roff_escape("a\n'quote") == "a\n\\&'quote");
  CHECK(roff_escape("C:\\dir") == "C:\\edir");
  CHECK(roff_escape("mid.dot and it's") == "mid.dot and it's");
}

TEST_CASE("man page: render_man writes every visible command and option, and no hidden one") {
  CLI::App app{"demo: does things", "demo"};
  std::string data, name, secret;
  bool force = false;
  app.add_option("--data", data, "Data directory")->default_val("/var/lib/demo");
  auto* start = app.add_subcommand("start", "Start it");
  start->add_option("name", name, "What to start")->required();
  start->add_flag("-f,--force", force, "Even if running");
  start->add_option("--secret", secret, "internal")->group("");
  start->footer("Example: demo start web");
  app.add_subcommand("internal", "not for users")->group("");
  auto* patch = app.add_subcommand("patch", "Patches");
  bool json = false;
  patch->add_subcommand("status", "What is available")->add_flag("--json", json, "As JSON");
  ManPage page{"demo", "8", "demo 1.2.3", "a demo daemon", {{"Files", {"/var/lib/demo: the data"}}}, {"stackato(1)"}};
  std::string man = render_man(app, page);

  CHECK(man.find(".TH DEMO 8 \"\" \"demo 1.2.3\" \"System Administration\"") != std::string::npos);
  CHECK(man.find(".SH NAME\ndemo \\- a demo daemon") != std::string::npos);
  CHECK(man.find("\\fB\\-\\-data\\fR \\fITEXT\\fR\nData directory (default: /var/lib/demo)") != std::string::npos);
  CHECK(man.find(".SS \"\\fBstart\\fR [\\fIOPTIONS\\fR] \\fIname\\fR\"") != std::string::npos);
  CHECK(man.find("\\fB\\-f\\fR, \\fB\\-\\-force\\fR\nEven if running") != std::string::npos);
  CHECK(man.find("Example: demo start web") != std::string::npos);
  CHECK(man.find(".SH FILES\n/var/lib/demo: the data") != std::string::npos);
  CHECK(man.find(".BR stackato (1)") != std::string::npos);
  CHECK(man.find(".SS \"\\fBpatch\\fR \\fBstatus\\fR [\\fIOPTIONS\\fR]\"\nWhat is available") != std::string::npos);
  CHECK(man.find("secret") == std::string::npos);
  CHECK(man.find("internal") == std::string::npos);
  // --help once, at the top: not under each command.
  CHECK(man.find("\\-\\-help") == man.rfind("\\-\\-help"));
}
