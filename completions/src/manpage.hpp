#pragma once
// Man pages written from a CLI11 command tree: the same source as `--help` and the shell
// completions, so the three cannot drift. stackato and kato print theirs with a hidden
// `manpage` command; the build turns them into the packages' man pages (see completions/README.md).

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace stackato::docs {

struct ManPage {
  std::string name;     // the program, e.g. "stackato"
  std::string section;  // "1" for user commands, "8" for system administration
  std::string version;  // e.g. "stackato 4.0.0": the footer's source
  std::string summary;  // the NAME line's description, lower case and short
  // Extra sections after COMMANDS, as {heading, paragraphs}: FILES, ENVIRONMENT, EXIT STATUS.
  std::vector<std::pair<std::string, std::vector<std::string>>> sections;
  std::vector<std::string> see_also;  // "kato(8)"
};

// The page in man(7) roff. Hidden commands and options (CLI11 group "") are left out, as
// `--help` leaves them out. Deterministic: no date, so rebuilt packages are identical.
std::string render_man(const CLI::App& app, const ManPage& page);

// Text escaped for roff: backslashes, hyphens as \- (so that options copy and paste as ASCII
// hyphen-minus), and a leading '.' or '\'' guarded so it is not read as a request.
std::string roff_escape(const std::string& text);

}  // namespace stackato::docs
