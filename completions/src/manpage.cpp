#include "manpage.hpp"

#include <sstream>

namespace stackato::docs {

std::string roff_escape(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    line_start = c == '\n';
  }
  return out;
}

namespace {

bool hidden(const CLI::Option* opt) { return opt->get_group().empty(); }
bool hidden(const CLI::App* sub) { return sub->get_group().empty(); }

// "-w, --warning VALUE" in roff: names bold, the value's placeholder italic.
std::string option_term(const CLI::Option* opt) {
  std::string names;
  for (const auto& s : opt->get_snames()) names += (names.empty() ? "" : ", ") + std::string("\\fB\\-") + roff_escape(s) + "\\fR";
  for (const auto& l : opt->get_lnames())
    names += (names.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff_escape(l) + "\\fR";
  if (opt->get_items_expected_max() > 0) {
    std::string type = opt->get_type_name();
    if (type.empty()) type = "VALUE";
    names += " \\fI" + roff_escape(type) + "\\fR";
  }
  return names;
}

std::string option_text(const CLI::Option* opt) {
  std::string text = opt->get_description();
  if (!opt->get_default_str().empty() && opt->get_items_expected_max() > 0)
    text += " (default: " + opt->get_default_str() + ")";
  if (opt->get_required()) text += " Required.";
  return roff_escape(text);
}

// Every command's -h/--help is said once, at the top, not under each command.
bool is_help(const CLI::Option* opt) { return opt->get_lnames() == std::vector<std::string>{"help"}; }

void options(std::ostringstream& o, const CLI::App& app, bool with_help) {
  for (const auto* opt : app.get_options()) {
    if (hidden(opt) || !opt->nonpositional() || (is_help(opt) && !with_help)) continue;
    o << ".TP\n" << option_term(opt) << "\n" << option_text(opt) << "\n";
  }
}

// "push [OPTIONS] [app]...": what the command takes, as its help's usage line says it.
std::string usage(const CLI::App& sub) {
  std::string u = "\\fB" + roff_escape(sub.get_name()) + "\\fR";
  bool has_options = false;
  for (const auto* opt : sub.get_options()) {
    if (hidden(opt)) continue;
    if (opt->nonpositional()) {
      if (!is_help(opt)) has_options = true;
      continue;
    }
    std::string arg = "\\fI" + roff_escape(opt->get_name()) + "\\fR";
    if (opt->get_items_expected_max() > 1) arg += "...";
    u += opt->get_required() ? " " + arg : " [" + arg + "]";
  }
  if (has_options) u.insert(u.find("\\fR") + 3, " [\\fIOPTIONS\\fR]");
  return u;
}

void positionals(std::ostringstream& o, const CLI::App& sub) {
  for (const auto* opt : sub.get_options()) {
    if (hidden(opt) || opt->nonpositional() || opt->get_description().empty()) continue;
    o << ".TP\n\\fI" << roff_escape(opt->get_name()) << "\\fR\n" << option_text(opt) << "\n";
  }
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Each command, and the commands under it ("patch status") after it.
void commands(std::ostringstream& o, const CLI::App& app, const std::string& prefix) {
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (hidden(sub)) continue;
    o << ".SS \"" << (prefix.empty() ? "" : "\\fB" + roff_escape(prefix) + "\\fR ") << usage(*sub) << "\"\n"
      << roff_escape(sub->get_description()) << "\n";
    positionals(o, *sub);
    options(o, *sub, false);
    if (!sub->get_footer().empty()) o << ".PP\n.nf\n" << roff_escape(sub->get_footer()) << "\n.fi\n";
    commands(o, *sub, prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name());
  }
}

}  // namespace

std::string render_man(const CLI::App& app, const ManPage& page) {
  std::ostringstream o;
  o << ".\\\" Generated from the command tree by '" << page.name << " manpage'; do not edit.\n"
    << ".TH " << upper(page.name) << " " << page.section << " \"\" \"" << roff_escape(page.version) << "\" \""
    << (page.section == "8" ? "System Administration" : "User Commands") << "\"\n"
    << ".SH NAME\n" << roff_escape(page.name) << " \\- " << roff_escape(page.summary) << "\n"
    << ".SH SYNOPSIS\n.B " << roff_escape(page.name) << "\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
    << ".SH DESCRIPTION\n" << roff_escape(app.get_description()) << "\n";
  if (!app.get_footer().empty()) o << ".PP\n" << roff_escape(app.get_footer()) << "\n";
  o << ".SH OPTIONS\n";
  options(o, app, true);
  o << ".SH COMMANDS\n";
  commands(o, app, "");
  for (const auto& [heading, paragraphs] : page.sections) {
    o << ".SH " << upper(heading) << "\n";
    bool first = true;
    for (const auto& p : paragraphs) {
      if (!first) o << ".PP\n";
      o << roff_escape(p) << "\n";
      first = false;
    }
  }
  if (!page.see_also.empty()) {
    o << ".SH SEE ALSO\n";
    for (std::size_t i = 0; i < page.see_also.size(); ++i) {
      const std::string& ref = page.see_also[i];
      auto paren = ref.find('(');
      o << ".BR " << roff_escape(ref.substr(0, paren)) << " " << ref.substr(paren) << (i + 1 < page.see_also.size() ? "," : "")
        << "\n";
    }
  }
  return o.str();
}

}  // namespace stackato::docs
