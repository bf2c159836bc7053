// Which files push uploads. `ignores:` replaces the default list (as in the original); patterns
// follow .gitignore: a trailing '/' matches directories only, a pattern without '/' matches a
// name at any depth, one with '/' is relative to the app root ('**' spans directories), and a
// leading '!' re-includes. The last matching pattern decides.

#include <algorithm>
#include <system_error>

#include "stackato/manifest/manifest.hpp"

namespace stackato::manifest {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string>& default_ignores() {
  static const std::vector<std::string> list = {
      ".carton/", "local/bin/", "local/lib/", ".git/", "*.svn/", ".hg/", "*CVS/", "_FOSSIL_",
      ".fos", ".fslckout", "*.bzr", "*.cdv", "*.pc", "*RCS", "*SCCS", "*_MTN", "*_build",
      "*_darcs", "*_sgbak", "*autom4te.cache", "*blib", "*cover_db", "*~", "#*#", "*.log",
      "*~.dep", "*~.dot", "*~.nib", "*~.plst", "~*/"};
  return list;
}

// Shell glob: * and ? never match '/', "**" matches anything, [...] classes with ! or ^.
bool glob(std::string_view p, std::string_view s) {
  while (!p.empty()) {
    if (p.substr(0, 2) == "**") {
      p.remove_prefix(2);
      if (!p.empty() && p.front() == '/') {  // "**/" also matches nothing
        if (glob(p.substr(1), s)) return true;
      }
      for (std::size_t i = 0; i <= s.size(); ++i)
        if (glob(p, s.substr(i))) return true;
      return false;
    }
    char c = p.front();
    if (c == '*') {
      p.remove_prefix(1);
      for (std::size_t i = 0; i <= s.size(); ++i) {
        if (glob(p, s.substr(i))) return true;
        if (i < s.size() && s[i] == '/') break;
      }
      return false;
    }
    if (s.empty()) return false;
    if (c == '?') {
      if (s.front() == '/') return false;
    } else if (c == '[') {
      auto close = p.find(']', 2);
      if (close == std::string_view::npos) {
        if (s.front() != '[') return false;
      } else {
        std::string_view set = p.substr(1, close - 1);
        bool negate = !set.empty() && (set.front() == '!' || set.front() == '^');
        if (negate) set.remove_prefix(1);
        bool hit = false;
        for (std::size_t i = 0; i < set.size(); ++i) {
          if (i + 2 < set.size() && set[i + 1] == '-') {
            hit |= s.front() >= set[i] && s.front() <= set[i + 2];
            i += 2;
          } else {
            hit |= s.front() == set[i];
          }
        }
        if (hit == negate) return false;
        p.remove_prefix(close);
      }
    } else if (c == '\\' && p.size() > 1) {
      p.remove_prefix(1);
      if (s.front() != p.front()) return false;
    } else if (c != s.front()) {
      return false;
    }
    p.remove_prefix(1);
    s.remove_prefix(1);
  }
  return s.empty();
}

struct Pattern {
  std::string glob;
  bool dir_only = false, negate = false, anchored = false;
};

std::vector<Pattern> compile(const std::vector<std::string>& lines) {
  std::vector<Pattern> out;
  for (std::string line : lines) {
    Pattern p;
    if (!line.empty() && line.front() == '!') {
      p.negate = true;
      line.erase(0, 1);
    }
    while (line.size() > 1 && line.back() == '/') {
      p.dir_only = true;
      line.pop_back();
    }
    if (line.empty() || line == "/") continue;
    if (line.front() == '/') line.erase(0, 1);
    p.anchored = line.find('/') != std::string::npos;
    p.glob = line;
    out.push_back(std::move(p));
  }
  return out;
}

bool ignored(const std::vector<Pattern>& patterns, const std::string& rel, bool is_dir) {
  std::string_view name = rel;
  if (auto slash = rel.rfind('/'); slash != std::string::npos) name.remove_prefix(slash + 1);
  bool result = false;
  for (const auto& p : patterns) {
    if (p.dir_only && !is_dir) continue;
    if (glob(p.glob, p.anchored ? std::string_view(rel) : name)) result = !p.negate;
  }
  return result;
}

}  // namespace

std::vector<std::string> upload_files(const App& app) {
  auto patterns = compile(app.ignores ? *app.ignores : default_ignores());
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);  // never upload the client itself

  std::vector<std::string> files;
  auto it = fs::recursive_directory_iterator(app.path, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw Error(app.path.string(), 0, 0, "cannot read the application directory: " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw Error(app.path.string(), 0, 0, "cannot read the application directory: " + ec.message());
    const auto& entry = *it;
    std::string rel = entry.path().lexically_relative(app.path).generic_string();
    bool is_dir = entry.is_directory(ec) && !entry.is_symlink(ec);
    if (ignored(patterns, rel, is_dir)) {
      if (is_dir) it.disable_recursion_pending();
      continue;
    }
    if (is_dir) continue;
    // Files, and links (uploaded as links); a FIFO, socket or device has no content to send
    // (reading a FIFO waits for a writer that never comes).
    auto type = entry.symlink_status(ec).type();
    if (type != fs::file_type::regular && type != fs::file_type::symlink) {
      const char* what = type == fs::file_type::fifo       ? "a FIFO (named pipe)"
                         : type == fs::file_type::socket    ? "a socket"
                         : type == fs::file_type::block     ? "a block device"
                         : type == fs::file_type::character ? "a character device"
                                                            : "not a regular file";
      throw Error((app.path / rel).string(), 0, 0,
                  std::string("cannot upload ") + what + ": remove it, or list it under 'ignores:' in the manifest");
    }
    if (!self.empty() && fs::equivalent(entry.path(), self, ec)) continue;
    files.push_back(std::move(rel));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace stackato::manifest
