// stackato curl METHOD PATH [-d BODY]: an authenticated API call, the answer on stdout.

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "session.hpp"

namespace stackato::client {

void add_curl(CLI::App& app, Globals& globals) {
  struct Args {
    std::string method, path, body;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("curl", "Call the target's API as the logged-in user (exit 1 on HTTP >= 400)");
  cmd->add_option("method", a->method, "HTTP method")->required()->check(CLI::IsMember({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}, CLI::ignore_case));
  cmd->add_option("path", a->path, "Path, e.g. /v3/apps")->required();
  cmd->add_option("-d,--data", a->body, "Request body (JSON)");
  cmd->callback([a, &globals] {
    if (a->path.empty() || a->path[0] != '/') throw UsageError("PATH must start with '/' (e.g. /v3/apps)");
    for (auto& c : a->method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Session s(globals);
    std::vector<std::string> headers = {"Authorization: " + s.token(), "Accept: application/json"};
    if (!a->body.empty()) headers.push_back("Content-Type: application/json");
    Reply r = s.http().request(a->method, s.target() + a->path, a->body, headers);
    std::cout << r.body << (r.body.empty() || r.body.back() == '\n' ? "" : "\n");
    if (r.status >= 400) throw ApiError(r.status, a->method + " " + a->path + ": HTTP " + std::to_string(r.status));
  });
}

}  // namespace stackato::client
